//! `deconflict intent file|list|delete`: talk to a running server.

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand};
use serde_json::{Value, json};

use crate::client::Client;
use crate::geojson_intent;

/// Where the server is and who we are.
#[derive(Debug, Args)]
pub struct Conn {
    /// Server base URL.
    #[arg(long, env = "DECONF_SERVER", default_value = "http://127.0.0.1:8080", value_parser = crate::cli_values::server_url)]
    pub server: String,
    /// Bearer token (see `deconflict token`).
    #[arg(long, env = "DECONF_TOKEN")]
    pub token: String,
    /// CAs (PEM) trusted for an `https://` server, beyond the system's roots.
    #[arg(long, env = "DECONF_CA_FILE")]
    pub ca_file: Option<std::path::PathBuf>,
}

impl Conn {
    /// A client for this server.
    ///
    /// # Errors
    /// When the CA file is unusable.
    pub fn client(&self) -> anyhow::Result<Client> {
        Client::new(&self.server, &self.token, self.ca_file.as_deref())
    }
}

/// The `intent` subcommands.
#[derive(Debug, Subcommand)]
pub enum IntentCmd {
    /// File every intent in a GeoJSON file (see the README for the properties).
    File {
        #[command(flatten)]
        conn: Conn,
        /// The GeoJSON file.
        file: PathBuf,
        /// Base URL where others fetch the details.
        #[arg(long, default_value = "https://uss.example")]
        uss_base_url: String,
        /// OVNs of entities already seen (repeatable). An OVN may begin with `-`.
        #[arg(long = "key", allow_hyphen_values = true)]
        key: Vec<String>,
    },
    /// List intents around a point.
    List {
        #[command(flatten)]
        conn: Conn,
        /// Latitude, degrees.
        #[arg(long, allow_hyphen_values = true)]
        lat: f64,
        /// Longitude, degrees.
        #[arg(long, allow_hyphen_values = true)]
        lng: f64,
        /// Radius in metres.
        #[arg(long, default_value_t = 10_000.0)]
        radius_m: f64,
    },
    /// Delete an intent.
    Delete {
        #[command(flatten)]
        conn: Conn,
        /// Its id.
        id: String,
        /// Its current OVN (base64url, so it may begin with `-`).
        #[arg(allow_hyphen_values = true)]
        ovn: String,
    },
}

/// Runs an `intent` subcommand.
pub fn run(cmd: IntentCmd) -> anyhow::Result<()> {
    let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    rt.block_on(async move {
        match cmd {
            IntentCmd::File { conn, file, uss_base_url, key } => {
                let text = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
                let specs = geojson_intent::parse(&text)?;
                let client = conn.client()?;
                let mut failed = 0;
                for spec in specs {
                    let id = uuid::Uuid::new_v4().to_string();
                    let body = json!({
                        "extents": spec.extents, "key": key, "state": "Accepted",
                        "uss_base_url": uss_base_url,
                        "new_subscription": { "uss_base_url": uss_base_url, "notify_for_constraints": false },
                    });
                    let r = client.put_intent(&id, None, &body).await?;
                    if r.status.is_success() {
                        let oir = &r.body["operational_intent_reference"];
                        println!("{}\tfiled\tid={id}\tovn={}", spec.name, oir["ovn"].as_str().unwrap_or(""));
                    } else {
                        failed += 1;
                        println!("{}\trefused {}\t{}", spec.name, r.status.as_u16(), r.message());
                        for m in r.body["missing_operational_intents"].as_array().into_iter().flatten() {
                            println!("\tmissing key of intent {} managed by {} ({})", m["id"], m["manager"], m["uss_base_url"]);
                        }
                    }
                }
                if failed > 0 {
                    bail!("{failed} intent(s) refused");
                }
                Ok(())
            }
            IntentCmd::List { conn, lat, lng, radius_m } => {
                let client = conn.client()?;
                let area = json!({ "volume": { "outline_circle": {
                    "center": { "lat": lat, "lng": lng }, "radius": { "value": radius_m, "units": "M" } } } });
                let r = client.query_intents(&area).await?;
                if !r.status.is_success() {
                    bail!("query refused {}: {}", r.status.as_u16(), r.message());
                }
                for oir in r.body["operational_intent_references"].as_array().into_iter().flatten() {
                    println!(
                        "{}\t{}\t{}\t{} .. {}\tovn={}",
                        str_of(oir, "id"), str_of(oir, "manager"), str_of(oir, "state"),
                        oir["time_start"]["value"].as_str().unwrap_or(""),
                        oir["time_end"]["value"].as_str().unwrap_or(""), str_of(oir, "ovn"),
                    );
                }
                Ok(())
            }
            IntentCmd::Delete { conn, id, ovn } => {
                let client = conn.client()?;
                let r = client.delete_intent(&id, &ovn).await?;
                if !r.status.is_success() {
                    bail!("delete refused {}: {}", r.status.as_u16(), r.message());
                }
                println!("deleted {id}");
                Ok(())
            }
        }
    })
}

fn str_of<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::IntentCmd;

    #[derive(Debug, Parser)]
    struct Wrap {
        #[command(subcommand)]
        cmd: IntentCmd,
    }

    #[test]
    fn an_ovn_that_begins_with_a_dash_is_a_value_not_a_flag() {
        let parsed = Wrap::try_parse_from(["x", "delete", "--token", "t", "id-1", "-96F6Bdj"]);
        match parsed.map(|w| w.cmd) {
            Ok(IntentCmd::Delete { id, ovn, .. }) => {
                assert_eq!((id.as_str(), ovn.as_str()), ("id-1", "-96F6Bdj"))
            }
            other => panic!("expected a delete, got {other:?}"),
        }
        let parsed = Wrap::try_parse_from(["x", "file", "--token", "t", "--key", "-abc", "f.geojson"]);
        match parsed.map(|w| w.cmd) {
            Ok(IntentCmd::File { key, .. }) => assert_eq!(key, vec!["-abc".to_owned()]),
            other => panic!("expected a file, got {other:?}"),
        }
    }
}
