//! `deconflict party list|put|webhook`: the party registry (`/v1/parties`).

use clap::Subcommand;
use serde_json::{Value, json};

use crate::client::{Conn, block_on};
use crate::output::{Format, Table, field, time};

/// The `party` subcommands.
#[derive(Debug, Subcommand)]
pub enum PartyCmd {
    /// List the registered parties (any token).
    List,
    /// Register a party or change its display name (scope `deconflict.admin`).
    #[command(visible_alias = "create")]
    Put {
        /// The party's name: the `sub` of its tokens.
        name: String,
        /// How people call it, e.g. "Alpha command post".
        #[arg(long)]
        display_name: String,
        /// Where its events are POSTed.
        #[arg(long)]
        webhook_url: Option<String>,
    },
    /// Set or remove a party's webhook (the party itself, or `deconflict.admin`).
    Webhook {
        /// The party.
        name: String,
        /// The new URL; without it, the webhook is removed.
        #[arg(long)]
        url: Option<String>,
    },
}

/// One party on one line: name, display name, webhook, last change.
fn describe(p: &Value) -> String {
    let webhook = if p["webhook"] == true { "webhook" } else { "no webhook" };
    format!(
        "{} ({}), {webhook}, updated {}",
        field(p, "name"),
        field(p, "display_name"),
        time(p, "updated_at")
    )
}

/// Runs a `party` subcommand.
pub fn run(conn: &Conn, format: Format, cmd: PartyCmd) -> anyhow::Result<()> {
    block_on(async move {
        match cmd {
            PartyCmd::List => {
                let body = conn.client()?.get("/v1/parties").await?.ok("listing parties")?;
                format.print(&body, |b| {
                    let mut t = Table::new(&["NAME", "DISPLAY NAME", "WEBHOOK", "UPDATED"]);
                    for p in b["parties"].as_array().into_iter().flatten() {
                        let webhook = if p["webhook"] == true { "yes" } else { "no" };
                        t.row(vec![
                            field(p, "name"),
                            field(p, "display_name"),
                            webhook.into(),
                            time(p, "updated_at"),
                        ]);
                    }
                    t.print("no parties registered");
                });
            }
            PartyCmd::Put { name, display_name, webhook_url } => {
                let body = json!({ "display_name": display_name, "webhook_url": webhook_url });
                let reply = conn.client()?.put(&format!("/v1/parties/{name}"), &body).await?;
                let created = reply.status == reqwest::StatusCode::CREATED;
                let body = reply.ok(&format!("registering party {name}"))?;
                format.print(&body, |b| {
                    println!("{} {}", if created { "registered" } else { "updated" }, describe(b));
                });
            }
            PartyCmd::Webhook { name, url } => {
                let path = format!("/v1/parties/{name}/webhook");
                let body = conn.client()?.put(&path, &json!({ "webhook_url": url })).await?;
                let body = body.ok(&format!("setting the webhook of {name}"))?;
                format.print(&body, |b| println!("{}", describe(b)));
            }
        }
        Ok(())
    })
}
