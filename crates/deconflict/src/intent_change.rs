//! Changing one of the caller's operational intents in place: the current
//! OVN, state, base URL and subscription are fetched from the server (F3548
//! `GET .../{id}`), the volumes, when kept, from the native API
//! (`GET /v1/operations/{id}`, which shows an owner its volumes in full),
//! then `PUT .../{id}/{ovn}` changes it. Also the one way a refusal is
//! printed, with the hint that turns a 409 on one's own intent into an update.

use anyhow::Context as _;
use serde_json::{Value, json};

use crate::client::{Client, Reply};

/// What the server holds of one of the caller's intents: enough to change it.
#[derive(Debug, Clone)]
pub struct Current {
    pub id: String,
    pub ovn: String,
    pub state: String,
    pub uss_base_url: String,
    pub subscription_id: Option<String>,
}

impl Current {
    /// From an F3548 `OperationalIntentReference`; `None` for another
    /// manager's intent (the server shows an OVN to its manager only).
    pub fn from_ref(r: &Value) -> Option<Self> {
        let s = |k: &str| r[k].as_str().map(str::to_owned);
        let ovn = s("ovn").filter(|o| o != server::dto::scd::HIDDEN_OVN)?;
        Some(Self {
            id: s("id")?,
            ovn,
            state: s("state")?,
            uss_base_url: s("uss_base_url")?,
            subscription_id: s("subscription_id").filter(|i| i != server::dto::scd::NULL_SUBSCRIPTION),
        })
    }

    /// The caller's intent `id` as the server holds it now.
    ///
    /// # Errors
    /// When it does not exist, is another manager's, or the server refuses.
    pub async fn fetch(client: &Client, id: &str) -> anyhow::Result<Self> {
        let body = client.get_intent(id).await?.ok(&format!("intent {id}"))?;
        let r = &body["operational_intent_reference"];
        Self::from_ref(r).with_context(|| {
            format!("intent {id} is managed by {}: only its manager can change it", r["manager"])
        })
    }
}

/// The volumes of the caller's intent `id` (native API: in full for its owner).
///
/// # Errors
/// When the server refuses.
pub async fn volumes(client: &Client, id: &str) -> anyhow::Result<Vec<Value>> {
    let body = client.get(&format!("/v1/operations/{id}")).await?.ok(&format!("operation {id}"))?;
    body["volumes"].as_array().cloned().with_context(|| format!("operation {id}: the server sent no volumes"))
}

/// `PUT .../{id}/{ovn}`: `current` with these extents, state and key,
/// keeping its base URL and subscription.
///
/// # Errors
/// When the request cannot be sent.
pub async fn update(
    client: &Client,
    current: &Current,
    extents: &[Value],
    state: &str,
    key: &[String],
) -> anyhow::Result<Reply> {
    let mut body =
        json!({ "extents": extents, "key": key, "state": state, "uss_base_url": current.uss_base_url });
    match &current.subscription_id {
        Some(sub) => body["subscription_id"] = json!(sub),
        None if state != "Accepted" => {
            body["new_subscription"] =
                json!({ "uss_base_url": current.uss_base_url, "notify_for_constraints": false });
        }
        None => {}
    }
    client.put_intent(&current.id, Some(&current.ovn), &body).await
}

/// `name\tverb\tid=…\tovn=…` for an accepted change.
pub fn print_accepted(name: &str, verb: &str, reply: &Reply) {
    let oir = &reply.body["operational_intent_reference"];
    println!(
        "{name}\t{verb}\tid={}\tstate={}\tovn={}",
        oir["id"].as_str().unwrap_or(""),
        oir["state"].as_str().unwrap_or(""),
        oir["ovn"].as_str().unwrap_or("")
    );
}

/// Prints a refused change: the status and message, then each intent whose
/// key was missing — marking the caller's own, which are changed in place
/// rather than filed over.
pub fn print_refused(name: &str, reply: &Reply) {
    println!("{name}\t{}", reply.refusal());
    for m in reply.body["missing_operational_intents"].as_array().into_iter().flatten() {
        let id = m["id"].as_str().unwrap_or("");
        if Current::from_ref(m).is_some() {
            println!(
                "\tmissing key of intent {id}, which is yours: to change it rather than file a second one, \
                 re-file with --update or run `deconflict intent update --id {id} FILE`"
            );
        } else {
            println!("\tmissing key of intent {id} managed by {} ({})", m["manager"], m["uss_base_url"]);
        }
    }
}

/// The caller's own intents among those a 409 names as missing from the key.
pub fn own_missing(reply: &Reply) -> Vec<Current> {
    reply.body["missing_operational_intents"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Current::from_ref)
        .collect()
}
