//! `deconflict audit verify FILE|URL`: checks an audit export offline — the
//! hash chain, the links of entries the holder may not see, and the signed
//! checkpoints — and names the first broken entry.

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand};

/// The `audit` subcommands.
#[derive(Debug, Subcommand)]
pub enum AuditCmd {
    /// Verify an export (a file, or `http(s)://...` fetched with `--token`).
    Verify(VerifyArgs),
}

/// Flags of `audit verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The export: a file path, or the server's `/v1/audit` URL.
    pub source: String,
    /// A trusted service key: hex, PEM, or a file holding either (repeatable).
    /// Without one, the keys inside the export are used, with a warning.
    #[arg(long = "trusted-key")]
    pub trusted_keys: Vec<String>,
    /// Bearer token when `source` is a URL.
    #[arg(long, env = "DECONF_TOKEN")]
    pub token: Option<String>,
    /// CAs (PEM) trusted for an `https://` source, beyond the system's roots.
    #[arg(long, env = "DECONF_CA_FILE")]
    pub ca_file: Option<std::path::PathBuf>,
}

fn parse_key(text: &str) -> anyhow::Result<audit::PublicKey> {
    let content = match std::fs::read_to_string(text) {
        Ok(c) => c,
        Err(_) => text.to_owned(),
    };
    content.trim().parse::<audit::PublicKey>().map_err(|e| anyhow::anyhow!("trusted key {text:?}: {e}"))
}

async fn fetch(url: &str, token: Option<&str>, ca_file: Option<&std::path::Path>) -> anyhow::Result<String> {
    let http = server::net::tls::http_client(ca_file, std::time::Duration::from_secs(60))?;
    let mut req = http.get(url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.with_context(|| format!("GET {url}"))?;
    let status = resp.status();
    let text = resp.text().await.with_context(|| format!("reading {url}"))?;
    if !status.is_success() {
        bail!("GET {url}: {status}: {text}");
    }
    Ok(text)
}

/// Runs an `audit` subcommand.
pub fn run(cmd: AuditCmd) -> anyhow::Result<()> {
    let AuditCmd::Verify(args) = cmd;
    let text = if args.source.starts_with("http://") || args.source.starts_with("https://") {
        let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
        rt.block_on(fetch(&args.source, args.token.as_deref(), args.ca_file.as_deref()))?
    } else {
        std::fs::read_to_string(&args.source).with_context(|| format!("reading {}", args.source))?
    };
    let export = audit::export::parse_export(&text).map_err(|e| anyhow::anyhow!("{}: {e}", args.source))?;
    let trusted: Vec<audit::PublicKey> = if args.trusted_keys.is_empty() {
        eprintln!(
            "warning: no --trusted-key given; trusting the {} key(s) inside the export, which proves integrity only against that key",
            export.keys.len()
        );
        export.keys.clone()
    } else {
        args.trusted_keys.iter().map(|k| parse_key(k)).collect::<anyhow::Result<_>>()?
    };
    match audit::verify_slice(&export.slice, &trusted) {
        Ok(report) => {
            println!("OK: {report}");
            if !report.fully_signed() {
                eprintln!(
                    "warning: {} entries after the last signed checkpoint are not signed yet",
                    report.unsigned_tail
                );
            }
            Ok(())
        }
        Err(e) => bail!("verification FAILED: {e}"),
    }
}
