//! `deconflict message send|inbox|show|read|ack|thread`: the hotline
//! (`/v1/lines/{id}/messages`, `/v1/inbox`, `/v1/messages/{id}`).

use clap::{Subcommand, ValueEnum};
use serde_json::{Map, Value, json};

use crate::client::{Conn, block_on};
use crate::output::{Format, Table, field, list, short, time};

/// How quickly a message must be acknowledged.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Priority {
    /// No deadline unless the line's policy sets one.
    Routine,
    /// 300 s by default.
    Urgent,
    /// 60 s by default.
    Flash,
}

impl Priority {
    fn as_str(self) -> &'static str {
        match self {
            Priority::Routine => "routine",
            Priority::Urgent => "urgent",
            Priority::Flash => "flash",
        }
    }
}

/// The `message` subcommands.
#[derive(Debug, Subcommand)]
pub enum MessageCmd {
    /// Send a message on a line.
    Send {
        /// The line.
        line: String,
        /// The text (with a template: the remarks).
        #[arg(default_value = "")]
        text: String,
        /// routine, urgent or flash.
        #[arg(long, value_enum, default_value = "routine")]
        priority: Priority,
        /// Only to these parties on the line (repeatable; default all the others).
        #[arg(long)]
        to: Vec<String>,
        /// The message this answers (joins its thread).
        #[arg(long)]
        reply_to: Option<String>,
        /// A standard text: intent_to_operate, request_to_vacate or emergency_assistance.
        #[arg(long)]
        template: Option<String>,
        /// A template field, `NAME=VALUE` (repeatable).
        #[arg(long = "field", value_parser = key_value)]
        fields: Vec<(String, String)>,
        /// The operational intent it is about.
        #[arg(long)]
        operation: Option<String>,
        /// The tactical alert it is about.
        #[arg(long)]
        alert: Option<String>,
        /// A retried send with the same key returns the first message, never a second one.
        #[arg(long)]
        idempotency_key: Option<String>,
    },
    /// The caller's received messages, newest first (fetching delivers them).
    Inbox {
        /// Only those not acknowledged yet.
        #[arg(long)]
        unacked: bool,
        /// At most this many (1 to 1000; default 100).
        #[arg(long)]
        limit: Option<usize>,
    },
    /// One message with the receipts the caller may see.
    Show {
        /// The message id.
        id: String,
    },
    /// Mark a received message read.
    Read {
        /// The message id.
        id: String,
    },
    /// Acknowledge a received message, naming the officer who does.
    Ack {
        /// The message id.
        id: String,
        /// The person acknowledging, e.g. "Maj. Keller".
        #[arg(long)]
        operator: String,
    },
    /// The caller's messages on a line, oldest first.
    Thread {
        /// The line.
        line: String,
        /// Only this thread (the id of its first message).
        #[arg(long)]
        thread: Option<String>,
    },
}

fn key_value(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .ok_or_else(|| format!("`{s}`: write NAME=VALUE, e.g. what=survey"))
}

/// The acknowledgement state of one receipt: who acknowledged when, overdue, or due by when.
fn ack_state(d: &Value) -> String {
    if d["acked_at"].is_string() {
        format!("acked {} by {}", time(d, "acked_at"), field(d, "acked_by_operator"))
    } else if d["overdue"] == true {
        format!("OVERDUE (escalated {}x)", field(d, "escalations"))
    } else if d["ack_deadline"].is_string() {
        format!("due {}", time(d, "ack_deadline"))
    } else {
        "-".to_owned()
    }
}

/// The receipts of a message, summed up for a table cell.
fn acks(m: &Value) -> String {
    let states: Vec<String> = m["deliveries"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| match m["deliveries"].as_array().map_or(0, Vec::len) {
            1 => ack_state(d),
            _ => format!("{}: {}", field(d, "recipient"), ack_state(d)),
        })
        .collect();
    if states.is_empty() { "-".to_owned() } else { states.join("; ") }
}

fn messages_table(b: &Value, empty: &str) {
    let mut t = Table::new(&["ID", "SENT", "FROM", "LINE", "PRIORITY", "ACK", "TEXT"]);
    for m in b["messages"].as_array().into_iter().flatten() {
        t.row(vec![
            field(m, "id"),
            time(m, "sent_at"),
            field(m, "sender"),
            field(m, "line_id"),
            field(m, "priority"),
            acks(m),
            short(m["text"].as_str().unwrap_or(""), 60),
        ]);
    }
    t.print(empty);
}

/// A message and its receipts.
fn print_message(m: &Value) {
    println!(
        "message {} [{}] from {} on line {} at {} (thread {})",
        field(m, "id"),
        field(m, "priority"),
        field(m, "sender"),
        field(m, "line_id"),
        time(m, "sent_at"),
        field(m, "thread_id"),
    );
    println!("to: {}", list(m, "recipients"));
    println!("{}", m["text"].as_str().unwrap_or(""));
    let mut t = Table::new(&["RECIPIENT", "DELIVERED", "VIA", "READ", "ACK"]);
    for d in m["deliveries"].as_array().into_iter().flatten() {
        t.row(vec![
            field(d, "recipient"),
            time(d, "delivered_at"),
            field(d, "delivered_via"),
            time(d, "read_at"),
            ack_state(d),
        ]);
    }
    t.print("no receipts visible to the caller");
}

/// Runs a `message` subcommand.
pub fn run(conn: &Conn, format: Format, cmd: MessageCmd) -> anyhow::Result<()> {
    block_on(async move {
        match cmd {
            MessageCmd::Send {
                line,
                text,
                priority,
                to,
                reply_to,
                template,
                fields,
                operation,
                alert,
                idempotency_key,
            } => {
                let mut body = Map::new();
                body.insert("priority".into(), priority.as_str().into());
                body.insert("text".into(), text.into());
                body.insert("refs".into(), json!({ "operation_id": operation, "alert_id": alert }));
                if !to.is_empty() {
                    body.insert("to".into(), json!(to));
                }
                for (k, v) in
                    [("reply_to", reply_to), ("template", template), ("idempotency_key", idempotency_key)]
                {
                    if let Some(v) = v {
                        body.insert(k.into(), v.into());
                    }
                }
                if !fields.is_empty() {
                    body.insert(
                        "fields".into(),
                        fields.into_iter().map(|(k, v)| (k, Value::String(v))).collect::<Map<_, _>>().into(),
                    );
                }
                let path = format!("/v1/lines/{line}/messages");
                let reply = conn.client()?.post(&path, &Value::Object(body)).await?;
                let repeated = reply.status == reqwest::StatusCode::OK;
                let body = reply.ok(&format!("sending on line {line}"))?;
                format.print(&body, |m| {
                    let again = if repeated { " (already sent with this idempotency key)" } else { "" };
                    println!(
                        "sent {} [{}] on line {} to {}{again}; {}",
                        field(m, "id"),
                        field(m, "priority"),
                        field(m, "line_id"),
                        list(m, "recipients"),
                        acks(m),
                    );
                });
            }
            MessageCmd::Inbox { unacked, limit } => {
                let mut path = format!("/v1/inbox?unacked={unacked}");
                if let Some(n) = limit {
                    path.push_str(&format!("&limit={n}"));
                }
                let body = conn.client()?.get(&path).await?.ok("reading the inbox")?;
                format.print(&body, |b| {
                    messages_table(b, if unacked { "nothing to acknowledge" } else { "inbox empty" })
                });
            }
            MessageCmd::Show { id } => {
                let body =
                    conn.client()?.get(&format!("/v1/messages/{id}")).await?.ok(&format!("message {id}"))?;
                format.print(&body, print_message);
            }
            MessageCmd::Read { id } => {
                let path = format!("/v1/messages/{id}/read");
                let body = conn.client()?.call(reqwest::Method::POST, &path, None).await?;
                let body = body.ok(&format!("marking message {id} read"))?;
                format.print(&body, |m| println!("read {} from {}", field(m, "id"), field(m, "sender")));
            }
            MessageCmd::Ack { id, operator } => {
                let path = format!("/v1/messages/{id}/ack");
                let body = conn.client()?.post(&path, &json!({ "operator": operator })).await?;
                let body = body.ok(&format!("acknowledging message {id}"))?;
                format.print(&body, |m| {
                    println!("message {} from {}: {}", field(m, "id"), field(m, "sender"), acks(m))
                });
            }
            MessageCmd::Thread { line, thread } => {
                let mut path = format!("/v1/lines/{line}/messages");
                if let Some(t) = thread {
                    path.push_str(&format!("?thread={t}"));
                }
                let body = conn.client()?.get(&path).await?.ok(&format!("messages on line {line}"))?;
                format.print(&body, |b| messages_table(b, "no messages"));
            }
        }
        Ok(())
    })
}
