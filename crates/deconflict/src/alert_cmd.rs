//! `deconflict alert list|follow`: tactical alerts the caller needs to know
//! about (`/v1/alerts`, `/v1/alerts/stream`).

use clap::Subcommand;
use serde_json::Value;

use crate::client::{Conn, block_on};
use crate::output::{Format, Table, field, time};

/// The `alert` subcommands.
#[derive(Debug, Subcommand)]
pub enum AlertCmd {
    /// The active alerts.
    List {
        /// Conflicts between two of the caller's own tracks: `true` shows
        /// them, `false` hides them (default: the caller's setting).
        #[arg(long)]
        own: Option<bool>,
    },
    /// Print alert changes as they happen (new, ongoing, ended), until interrupted.
    Follow {
        /// As for `list`.
        #[arg(long)]
        own: Option<bool>,
        /// Stop after this many events.
        #[arg(long)]
        count: Option<u64>,
    },
}

/// `party/id x party/id`.
fn tracks(a: &Value) -> String {
    let names: Vec<String> = a["tracks"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| format!("{}/{}", field(t, "party"), field(t, "id")))
        .collect();
    names.join(" x ")
}

/// Severity for a loss of separation, the reason for a non-conformance.
fn what(a: &Value) -> String {
    if a["severity"].is_string() { field(a, "severity") } else { field(a, "reason") }
}

fn query(own: Option<bool>) -> String {
    own.map_or_else(String::new, |o| format!("?own={o}"))
}

/// Runs an `alert` subcommand.
pub fn run(conn: &Conn, format: Format, cmd: AlertCmd) -> anyhow::Result<()> {
    block_on(async move {
        match cmd {
            AlertCmd::List { own } => {
                let body =
                    conn.client()?.get(&format!("/v1/alerts{}", query(own))).await?.ok("listing alerts")?;
                format.print(&body, |b| {
                    let mut t = Table::new(&[
                        "ID", "KIND", "STATE", "SEVERITY", "TRACKS", "LOS IN S", "CPA M", "SINCE",
                    ]);
                    for a in b["alerts"].as_array().into_iter().flatten() {
                        let d_cpa =
                            a["d_cpa_m"].as_f64().map_or_else(|| "-".to_owned(), |d| format!("{d:.0}"));
                        t.row(vec![
                            field(a, "id"),
                            field(a, "kind"),
                            field(a, "state"),
                            what(a),
                            tracks(a),
                            field(a, "time_to_los_s"),
                            d_cpa,
                            time(a, "since"),
                        ]);
                    }
                    t.print("no active alerts");
                });
            }
            AlertCmd::Follow { own, count } => {
                let client = conn.client()?;
                let mut seen = 0;
                client
                    .follow(&format!("/v1/alerts/stream{}", query(own)), None, |event| {
                        let data: Value =
                            serde_json::from_str(&event.data).unwrap_or(Value::String(event.data));
                        format.print(&data, |a| {
                            println!(
                                "{} {:<7} {} {} {} ({})",
                                time(a, "updated"),
                                event.name,
                                field(a, "id"),
                                field(a, "kind"),
                                tracks(a),
                                what(a)
                            );
                        });
                        seen += 1;
                        Ok(count.is_none_or(|n| seen < n))
                    })
                    .await?;
            }
        }
        Ok(())
    })
}
