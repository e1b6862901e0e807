//! `deconflict token`: a development token, signed with the local key.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use server::auth::{DevKey, TokenRequest};

/// Flags of `token`.
#[derive(Debug, Args)]
pub struct TokenArgs {
    /// The subject: the party (manager) the token speaks for.
    #[arg(long)]
    pub sub: String,
    /// Space-separated scopes, e.g. "utm.strategic_coordination".
    #[arg(long, default_value = "utm.strategic_coordination")]
    pub scope: String,
    /// The audience: the host name of the server URL.
    #[arg(long, default_value = "localhost")]
    pub aud: String,
    /// Lifetime in seconds (at most 3600).
    #[arg(long, default_value_t = 3600)]
    pub ttl_s: u64,
    /// Where the development key is kept (created on first use).
    #[arg(long, env = "DECONF_DEV_KEY", default_value = "deconflict-dev-key.pem")]
    pub dev_key: PathBuf,
}

/// Signs a token for `sub` with the development key.
pub fn sign(
    dev_key: &std::path::Path,
    sub: &str,
    scope: &str,
    aud: &str,
    ttl_s: u64,
) -> anyhow::Result<String> {
    let key = DevKey::load_or_create(dev_key)?;
    let req = TokenRequest {
        sub: sub.to_owned(),
        scopes: scope.split_whitespace().map(str::to_owned).collect(),
        audience: aud.to_owned(),
        ttl: Duration::from_secs(ttl_s),
    };
    Ok(key.sign(&req, chrono::Utc::now().timestamp())?)
}

/// Prints the token on stdout.
pub fn run(args: TokenArgs) -> anyhow::Result<()> {
    let token = sign(&args.dev_key, &args.sub, &args.scope, &args.aud, args.ttl_s)?;
    println!("{token}");
    Ok(())
}
