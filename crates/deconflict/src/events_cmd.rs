//! `deconflict events follow`: the caller's live event stream
//! (`/v1/events/stream`): every change it is a party to, as it is sealed
//! into the audit log; resumed without loss after a dropped connection.

use clap::Subcommand;
use serde_json::Value;

use crate::client::{Conn, block_on};
use crate::output::{Format, field, list, short};

/// The `events` subcommands.
#[derive(Debug, Subcommand)]
pub enum EventsCmd {
    /// Print events as they arrive, until interrupted: first those after
    /// `--after` (by default every earlier one the caller may see), then live.
    Follow {
        /// Start after this audit sequence number (the `seq` of the last event seen).
        #[arg(long)]
        after: Option<u64>,
        /// Stop after this many events.
        #[arg(long)]
        count: Option<u64>,
    },
}

/// What an event is about, in a few words.
fn summary(e: &Value) -> String {
    let p = &e["payload"];
    let m = &p["message"];
    if m.is_object() {
        let text = short(m["text"].as_str().unwrap_or(""), 60);
        return format!(
            "[{}] {} -> {} on {}: {text}",
            field(m, "priority"),
            field(m, "sender"),
            list(m, "recipients"),
            field(m, "line_id")
        );
    }
    if p["operator"].is_string() {
        return format!("{} by {}", field(e, "subject"), field(p, "operator"));
    }
    field(e, "subject")
}

/// One event on one line: sequence number, time, kind, actor, subject.
fn line(e: &Value) -> String {
    let at = e["timestamp_us"]
        .as_i64()
        .and_then(chrono::DateTime::from_timestamp_micros)
        .map_or_else(|| "-".to_owned(), |t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string());
    format!("#{} {at} {} by {}: {}", field(e, "seq"), field(e, "kind"), field(e, "actor"), summary(e))
}

/// Runs an `events` subcommand.
pub fn run(conn: &Conn, format: Format, cmd: EventsCmd) -> anyhow::Result<()> {
    let EventsCmd::Follow { after, count } = cmd;
    block_on(async move {
        let client = conn.client()?;
        let mut seen = 0;
        // `after` goes in Last-Event-ID, which reconnections move forward.
        client
            .follow("/v1/events/stream", after, |event| {
                let data: Value = serde_json::from_str(&event.data).unwrap_or(Value::String(event.data));
                format.print(&data, |e| println!("{}", line(e)));
                seen += 1;
                Ok(count.is_none_or(|n| seen < n))
            })
            .await
    })
}
