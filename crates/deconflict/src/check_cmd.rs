//! `deconflict check list|exercise`: communication checks of a line
//! (`/v1/lines/{id}/checks`, `/v1/lines/{id}/exercise`).

use clap::Subcommand;
use serde_json::Value;

use crate::client::{Conn, block_on};
use crate::output::{Format, Table, field, list, time};

/// The `check` subcommands.
#[derive(Debug, Subcommand)]
pub enum CheckCmd {
    /// A line's communication checks, newest first.
    List {
        /// The line.
        line: String,
        /// At most this many (1 to 1000; default 20).
        #[arg(long)]
        limit: Option<usize>,
    },
    /// Run an exercise check now: every party must acknowledge its message
    /// (flagged exercise; a failure does not mark the line dead).
    Exercise {
        /// The line.
        line: String,
    },
}

fn acked_by(c: &Value) -> String {
    let names: Vec<&str> = c["acks"].as_object().into_iter().flatten().map(|(k, _)| k.as_str()).collect();
    if names.is_empty() { "-".to_owned() } else { names.join(",") }
}

/// Runs a `check` subcommand.
pub fn run(conn: &Conn, format: Format, cmd: CheckCmd) -> anyhow::Result<()> {
    block_on(async move {
        match cmd {
            CheckCmd::List { line, limit } => {
                let mut path = format!("/v1/lines/{line}/checks");
                if let Some(n) = limit {
                    path.push_str(&format!("?limit={n}"));
                }
                let body = conn.client()?.get(&path).await?.ok(&format!("checks of line {line}"))?;
                format.print(&body, |b| {
                    let mut t = Table::new(&[
                        "ID", "STARTED", "DEADLINE", "RESULT", "EXERCISE", "ACKED BY", "SILENT",
                    ]);
                    for c in b["checks"].as_array().into_iter().flatten() {
                        let exercise = if c["exercise"] == true { "yes" } else { "no" };
                        t.row(vec![
                            field(c, "id"),
                            time(c, "started_at"),
                            time(c, "deadline"),
                            field(c, "result"),
                            exercise.into(),
                            acked_by(c),
                            list(c, "failed"),
                        ]);
                    }
                    t.print("no checks yet");
                });
            }
            CheckCmd::Exercise { line } => {
                let path = format!("/v1/lines/{line}/exercise");
                let body = conn.client()?.call(reqwest::Method::POST, &path, None).await?;
                let body = body.ok(&format!("exercise check on line {line}"))?;
                format.print(&body, |c| {
                    println!(
                        "exercise check {} on line {}: {} must acknowledge message {} by {}",
                        field(c, "id"),
                        field(c, "line_id"),
                        list(c, "parties"),
                        field(c, "message_id"),
                        time(c, "deadline"),
                    );
                });
            }
        }
        Ok(())
    })
}
