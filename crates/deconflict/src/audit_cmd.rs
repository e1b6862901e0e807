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
    /// Entries fetched per request from a URL (the server allows 1 to 10,000);
    /// every page is fetched and the whole log verified as one chain.
    #[arg(long, default_value_t = 10_000, value_parser = page_size)]
    pub page_size: usize,
}

/// Most entries the server returns per page.
const MAX_PAGE: usize = 10_000;

fn page_size(s: &str) -> Result<usize, String> {
    let n: usize = crate::cli_values::non_negative(s)?;
    if n == 0 || n > MAX_PAGE {
        return Err(format!("{n}: a page holds 1 to {MAX_PAGE} entries"));
    }
    Ok(n)
}

fn parse_key(text: &str) -> anyhow::Result<audit::PublicKey> {
    let content = match std::fs::read_to_string(text) {
        Ok(c) => c,
        Err(_) => text.to_owned(),
    };
    content.trim().parse::<audit::PublicKey>().map_err(|e| anyhow::anyhow!("trusted key {text:?}: {e}"))
}

async fn fetch(http: &reqwest::Client, url: &reqwest::Url, token: Option<&str>) -> anyhow::Result<String> {
    let mut req = http.get(url.clone());
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.with_context(|| format!("GET {url}"))?;
    let status = resp.status();
    let text = resp.text().await.with_context(|| format!("reading {url}"))?;
    if !status.is_success() {
        let body = serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
        bail!("GET {url}: {}", crate::client::refusal(status, &body));
    }
    Ok(text)
}

/// Every page of the export at `source` (a `/v1/audit` URL, optionally with
/// `after=`), joined into one export: the pages follow each other in the
/// chain, so the whole range is verified as one chain, not page by page.
async fn fetch_all(args: &VerifyArgs) -> anyhow::Result<audit::export::Export> {
    let http = server::net::tls::http_client(args.ca_file.as_deref(), std::time::Duration::from_secs(60))?;
    let mut base = reqwest::Url::parse(&args.source).with_context(|| args.source.clone())?;
    let pairs: Vec<(String, String)> =
        base.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    let mut after: u64 = 0;
    let mut kept = Vec::new();
    for (k, v) in pairs {
        match k.as_str() {
            "after" => {
                after = v
                    .parse()
                    .with_context(|| format!("{}: `after={v}` is not a sequence number", args.source))?
            }
            "limit" => {}
            _ => kept.push((k, v)),
        }
    }
    base.query_pairs_mut().clear().extend_pairs(kept);
    let progress = indicatif::ProgressBar::new_spinner();
    let mut all = audit::export::Export::default();
    loop {
        let mut url = base.clone();
        url.query_pairs_mut()
            .append_pair("after", &after.to_string())
            .append_pair("limit", &args.page_size.to_string());
        let text = fetch(&http, &url, args.token.as_deref()).await?;
        let page = audit::export::parse_export(&text).map_err(|e| anyhow::anyhow!("{url}: {e}"))?;
        let count = page.slice.skeleton.len();
        let last = page.slice.skeleton.last().map(|l| l.seq);
        all.slice.skeleton.extend(page.slice.skeleton);
        all.slice.entries.extend(page.slice.entries);
        all.slice.checkpoints.extend(page.slice.checkpoints);
        for key in page.keys {
            if !all.keys.contains(&key) {
                all.keys.push(key);
            }
        }
        progress.set_message(format!("fetched {} entries", all.slice.skeleton.len()));
        progress.tick();
        match last {
            Some(seq) if count == args.page_size => after = seq,
            _ => break,
        }
    }
    progress.finish_and_clear();
    Ok(all)
}

/// Runs an `audit` subcommand.
pub fn run(cmd: AuditCmd) -> anyhow::Result<()> {
    let AuditCmd::Verify(args) = cmd;
    let export = if args.source.starts_with("http://") || args.source.starts_with("https://") {
        crate::client::block_on(fetch_all(&args))?
    } else {
        let text =
            std::fs::read_to_string(&args.source).with_context(|| format!("reading {}", args.source))?;
        audit::export::parse_export(&text).map_err(|e| anyhow::anyhow!("{}: {e}", args.source))?
    };
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
