//! `deconflict notice list|ack`: advance notice of operations (`/v1/notices`).

use clap::Subcommand;
use serde_json::{Value, json};

use crate::client::{Conn, block_on};
use crate::output::{Format, Table, field, time};

/// The `notice` subcommands.
#[derive(Debug, Subcommand)]
pub enum NoticeCmd {
    /// Notices received (of others' operations) and given (of the caller's).
    List,
    /// Acknowledge the notice of an operation.
    Ack {
        /// The operational intent the notice is about.
        intent_id: String,
        /// The person acknowledging.
        #[arg(long)]
        operator: Option<String>,
    },
}

fn acked(n: &Value) -> String {
    if n["acked_at"].is_string() {
        format!("{} by {}", time(n, "acked_at"), field(n, "acked_by_operator"))
    } else {
        "-".to_owned()
    }
}

fn notices_table(notices: &Value, other: &str, other_key: &str, empty: &str) {
    let mut t = Table::new(&["INTENT", "LINE", other, "FILED", "STARTS", "LATE", "ACKED"]);
    for n in notices.as_array().into_iter().flatten() {
        let late = if n["late"] == true { "LATE" } else { "no" };
        t.row(vec![
            field(n, "intent_id"),
            field(n, "line_id"),
            field(n, other_key),
            time(n, "filed_at"),
            time(n, "time_start"),
            late.into(),
            acked(n),
        ]);
    }
    t.print(empty);
}

/// Runs a `notice` subcommand.
pub fn run(conn: &Conn, format: Format, cmd: NoticeCmd) -> anyhow::Result<()> {
    block_on(async move {
        match cmd {
            NoticeCmd::List => {
                let body = conn.client()?.get("/v1/notices").await?.ok("listing notices")?;
                format.print(&body, |b| {
                    println!("received:");
                    notices_table(&b["received"], "FROM", "giver", "none received");
                    println!("given:");
                    notices_table(&b["given"], "TO", "recipient", "none given");
                });
            }
            NoticeCmd::Ack { intent_id, operator } => {
                let path = format!("/v1/notices/{intent_id}/ack");
                let body = conn.client()?.post(&path, &json!({ "operator": operator })).await?;
                let body = body.ok(&format!("acknowledging the notice of {intent_id}"))?;
                format.print(&body, |n| {
                    println!(
                        "notice of {} from {} acknowledged {}",
                        field(n, "intent_id"),
                        field(n, "giver"),
                        acked(n)
                    );
                });
            }
        }
        Ok(())
    })
}
