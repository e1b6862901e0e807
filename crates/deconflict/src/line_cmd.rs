//! `deconflict line create|list|show|suspend|resume|heartbeat`: lines
//! between command posts (`/v1/lines`).

use clap::{Args, Subcommand};
use serde_json::{Map, Value, json};

use crate::cli_values::non_negative;
use crate::client::{Conn, block_on};
use crate::output::{Format, Table, field, list, time};

/// The `line` subcommands.
#[derive(Debug, Subcommand)]
pub enum LineCmd {
    /// Create a line, or change an existing one's name, parties or policy
    /// (scope `deconflict.admin`).
    Create {
        /// The line's id (`[A-Za-z0-9._-]`, at most 64).
        id: String,
        /// Its human name.
        #[arg(long)]
        name: String,
        /// A registered party on it (repeat: at least two).
        #[arg(long = "party", required = true)]
        parties: Vec<String>,
        #[command(flatten)]
        policy: PolicyArgs,
    },
    /// List the lines the caller is on (an administrator: all).
    List,
    /// Show one line: state, policy and each party's last sign of life.
    Show {
        /// The line's id.
        id: String,
    },
    /// Take a line out of service (a party on it), saying why.
    Suspend {
        /// The line's id.
        id: String,
        /// Why (recorded in the audit log).
        #[arg(long)]
        why: String,
    },
    /// Put a suspended line back into service.
    Resume {
        /// The line's id.
        id: String,
        /// Why (optional).
        #[arg(long)]
        why: Option<String>,
    },
    /// Tell the line the caller is alive.
    Heartbeat {
        /// The line's id.
        id: String,
    },
}

/// A line's policy; what is not given keeps the server's default.
#[derive(Debug, Args)]
pub struct PolicyArgs {
    /// Least advance notice of an operation, seconds (default 3600); less is late.
    #[arg(long, value_parser = non_negative::<i64>)]
    min_notice_s: Option<i64>,
    /// Seconds an urgent message has to be acknowledged (default 300).
    #[arg(long, value_parser = non_negative::<i64>)]
    ack_urgent_s: Option<i64>,
    /// Seconds a flash message has to be acknowledged (default 60).
    #[arg(long, value_parser = non_negative::<i64>)]
    ack_flash_s: Option<i64>,
    /// Seconds a routine message has to be acknowledged (default: no deadline).
    #[arg(long, value_parser = non_negative::<i64>)]
    ack_routine_s: Option<i64>,
    /// Seconds between communication checks (default 3600).
    #[arg(long, value_parser = non_negative::<i64>)]
    liveness_interval_s: Option<i64>,
    /// Seconds each party has to acknowledge a check (default 300).
    #[arg(long, value_parser = non_negative::<i64>)]
    liveness_deadline_s: Option<i64>,
}

impl PolicyArgs {
    /// The policy JSON with only the given fields.
    fn json(&self) -> Value {
        let mut acks = Map::new();
        for (k, v) in
            [("urgent", self.ack_urgent_s), ("flash", self.ack_flash_s), ("routine", self.ack_routine_s)]
        {
            if let Some(v) = v {
                acks.insert(k.into(), v.into());
            }
        }
        let mut policy = Map::new();
        if !acks.is_empty() {
            policy.insert("ack_deadline_s".into(), Value::Object(acks));
        }
        for (k, v) in [
            ("min_notice_s", self.min_notice_s),
            ("liveness_interval_s", self.liveness_interval_s),
            ("liveness_deadline_s", self.liveness_deadline_s),
        ] {
            if let Some(v) = v {
                policy.insert(k.into(), v.into());
            }
        }
        Value::Object(policy)
    }
}

/// A line's state, with who suspended it and why, or since when it is dead.
fn state(l: &Value) -> String {
    let s = &l["state"];
    match s["kind"].as_str() {
        Some("suspended") => format!("suspended by {}: {}", field(s, "by"), field(s, "why")),
        Some("dead") => format!("dead since {}", time(s, "since")),
        Some(other) => other.to_owned(),
        None => "-".to_owned(),
    }
}

/// The line on one line.
fn summary(l: &Value) -> String {
    format!("line {} ({}): {}, parties {}", field(l, "id"), field(l, "name"), state(l), list(l, "parties"))
}

fn print_line(l: &Value) {
    println!("{}", summary(l));
    let p = &l["policy"];
    let acks = &p["ack_deadline_s"];
    println!(
        "policy: min notice {} s; ack deadlines urgent {} s, flash {} s, routine {}; check every {} s, {} s to answer",
        field(p, "min_notice_s"),
        field(acks, "urgent"),
        field(acks, "flash"),
        acks["routine"].as_i64().map_or_else(|| "none".to_owned(), |s| format!("{s} s")),
        field(p, "liveness_interval_s"),
        field(p, "liveness_deadline_s"),
    );
    println!("next check: {}", time(l, "next_check"));
    let mut t = Table::new(&["PARTY", "LAST HEARD", "VIA"]);
    for h in l["heartbeats"].as_array().into_iter().flatten() {
        t.row(vec![field(h, "party"), time(h, "at"), field(h, "via")]);
    }
    t.print("no sign of life from any party yet");
}

/// Runs a `line` subcommand.
pub fn run(conn: &Conn, format: Format, cmd: LineCmd) -> anyhow::Result<()> {
    block_on(async move {
        match cmd {
            LineCmd::Create { id, name, parties, policy } => {
                let body = json!({ "name": name, "parties": parties, "policy": policy.json() });
                let reply = conn.client()?.put(&format!("/v1/lines/{id}"), &body).await?;
                let created = reply.status == reqwest::StatusCode::CREATED;
                let body = reply.ok(&format!("setting up line {id}"))?;
                format.print(&body, |b| {
                    println!("{} {}", if created { "created" } else { "updated" }, summary(b));
                });
            }
            LineCmd::List => {
                let body = conn.client()?.get("/v1/lines").await?.ok("listing lines")?;
                format.print(&body, |b| {
                    let mut t = Table::new(&["ID", "NAME", "STATE", "PARTIES", "NEXT CHECK"]);
                    for l in b["lines"].as_array().into_iter().flatten() {
                        t.row(vec![
                            field(l, "id"),
                            field(l, "name"),
                            state(l),
                            list(l, "parties"),
                            time(l, "next_check"),
                        ]);
                    }
                    t.print("no lines");
                });
            }
            LineCmd::Show { id } => {
                let body = conn.client()?.get(&format!("/v1/lines/{id}")).await?.ok(&format!("line {id}"))?;
                format.print(&body, print_line);
            }
            LineCmd::Suspend { id, why } => {
                let path = format!("/v1/lines/{id}/suspend");
                let body = conn.client()?.post(&path, &json!({ "why": why })).await?;
                let body = body.ok(&format!("suspending line {id}"))?;
                format.print(&body, |b| println!("{}", summary(b)));
            }
            LineCmd::Resume { id, why } => {
                let path = format!("/v1/lines/{id}/resume");
                let body = conn.client()?.post(&path, &json!({ "why": why })).await?;
                let body = body.ok(&format!("resuming line {id}"))?;
                format.print(&body, |b| println!("{}", summary(b)));
            }
            LineCmd::Heartbeat { id } => {
                let path = format!("/v1/lines/{id}/heartbeat");
                let body = conn.client()?.call(reqwest::Method::POST, &path, None).await?;
                let body = body.ok(&format!("heartbeat on line {id}"))?;
                format.print(&body, |b| {
                    println!("heartbeat on line {} at {}", field(b, "line_id"), time(b, "at"))
                });
            }
        }
        Ok(())
    })
}
