//! `deconflict token`: a development token, signed with the local key.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use server::auth::{DevKey, TokenRequest};

use crate::paths::DataDirArg;

/// Flags of `token`.
#[derive(Debug, Args)]
pub struct TokenArgs {
    /// The subject: the party the token speaks for.
    #[arg(long)]
    pub sub: String,
    /// Space-separated scopes, e.g. "utm.strategic_coordination".
    #[arg(long, default_value = "utm.strategic_coordination")]
    pub scope: String,
    /// The audience: the host name of the server URL.
    #[arg(long, default_value = "localhost")]
    pub aud: String,
    /// Lifetime in seconds, 1 to 3600 (servers refuse tokens living longer).
    #[arg(long, default_value_t = 3600, value_parser = ttl_s)]
    pub ttl_s: u64,
    /// The development key the server trusts; default `dev-key.pem` in the
    /// data directory (`deconflict serve --dev` creates it; this never does).
    #[arg(long, env = "DECONF_DEV_KEY")]
    pub dev_key: Option<PathBuf>,
    #[command(flatten)]
    pub data: DataDirArg,
}

/// The most a server accepts by default (`server::auth::DEFAULT_MAX_EXP_AHEAD`).
const MAX_TTL_S: u64 = server::auth::DEFAULT_MAX_EXP_AHEAD.as_secs();

/// A token lifetime a server accepts.
fn ttl_s(s: &str) -> Result<u64, String> {
    let ttl: u64 = crate::cli_values::non_negative(s)?;
    if ttl == 0 || ttl > MAX_TTL_S {
        return Err(format!("{ttl} s: a token lives 1 to {MAX_TTL_S} seconds (servers refuse longer ones)"));
    }
    Ok(ttl)
}

/// Signs a token for `sub` with the development key.
pub fn sign(
    dev_key: &std::path::Path,
    sub: &str,
    scope: &str,
    aud: &str,
    ttl_s: u64,
) -> anyhow::Result<String> {
    sign_at(dev_key, sub, scope, aud, ttl_s, chrono::Utc::now().timestamp())
}

/// [`sign`] with `now_unix` as the token's `iat` and `nbf` (the demo's clock).
pub fn sign_at(
    dev_key: &std::path::Path,
    sub: &str,
    scope: &str,
    aud: &str,
    ttl_s: u64,
    now_unix: i64,
) -> anyhow::Result<String> {
    let key = DevKey::load_or_create(dev_key)?;
    let req = TokenRequest {
        sub: sub.to_owned(),
        scopes: scope.split_whitespace().map(str::to_owned).collect(),
        audience: aud.to_owned(),
        ttl: Duration::from_secs(ttl_s),
    };
    Ok(key.sign(&req, now_unix)?)
}

/// Prints the token on stdout.
pub fn run(args: TokenArgs) -> anyhow::Result<()> {
    let key = crate::paths::existing_dev_key(args.dev_key.as_deref(), &args.data.resolve())?;
    let token = sign(&key, &args.sub, &args.scope, &args.aud, args.ttl_s)?;
    println!("{token}");
    Ok(())
}
