//! Lines between command posts: the party registry, lines and their policies,
//! the acknowledged hotline (messages, per-recipient delivery, reading and
//! acknowledgement, escalation), advance notice of operations, communication
//! checks (liveness) and webhook cursors.
//!
//! Everything is stored as generic [`Record`]s (no schema per feature) and
//! every state change appends an event in the same transaction, so it is in
//! the signed audit log and on each party's live stream: a party cannot later
//! claim a message came late or a line was alive when the log says otherwise.
//!
//! Each operation is one write transaction through [`Engine::write_tx`]
//! (retried on conflicts, never committed after the deadline). Time is always
//! passed in.
//!
//! Records (kind: id — k1, k2, due):
//! - `party`: name
//! - `line`: id — due = next communication check
//! - `message`: UUIDv7 — k1 = line, k2 = thread
//! - `delivery`: `{message}:{recipient}` — k1 = recipient, k2 = message, due = ack deadline
//! - `message_key`: `{len}:{sender}/{key}` (idempotency) — k1 = sender
//! - `notice`: `{intent}:{recipient}` — k1 = recipient, k2 = giver
//! - `notice_stats`: party
//! - `check`: UUIDv7 — k1 = line, due = deadline while open
//! - `heartbeat`: `{line}:{party}` — k1 = line
//! - `conflict_thread`: `{line}:{intent a}:{intent b}`
//! - `webhook_cursor`: party

mod alerts;
mod gauges;
mod lines;
mod liveness;
mod messages;
pub mod model;
mod notices;
mod webhooks;

#[cfg(test)]
mod tests;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::engine::{Engine, EngineError};
use crate::events::NewEvent;
use crate::records::Record;
use crate::store::{StoreError, Tx};

pub use alerts::{ALERT_RAISED, RaisedAlert};
pub use gauges::HotlineGauges;
pub use lines::{LineSpec, check_line_id};
pub use liveness::LivenessReport;
pub use messages::{ConflictThread, EscalationReport, MessageDraft, TEMPLATES};
pub(crate) use messages::{conflict_thread_tx, delivery_id, key_id, refusal_thread};
pub use model::*;
pub use notices::{NoticeList, on_intent_created};
pub use webhooks::{WebhookBatch, backoff_us, lease_name};

/// The name the service uses as sender and actor.
pub use crate::engine::events::SERVICE_ACTOR;

/// Record kinds.
pub mod kind {
    /// A party.
    pub const PARTY: &str = "party";
    /// A line.
    pub const LINE: &str = "line";
    /// A hotline message.
    pub const MESSAGE: &str = "message";
    /// A recipient's copy of a message.
    pub const DELIVERY: &str = "delivery";
    /// Idempotency key of a send.
    pub const MESSAGE_KEY: &str = "message_key";
    /// Advance notice of an operation.
    pub const NOTICE: &str = "notice";
    /// Late-notice counts per party.
    pub const NOTICE_STATS: &str = "notice_stats";
    /// A communication check.
    pub const CHECK: &str = "check";
    /// A party's last heartbeat on a line.
    pub const HEARTBEAT: &str = "heartbeat";
    /// The thread opened for a pair of conflicting intents.
    pub const CONFLICT_THREAD: &str = "conflict_thread";
    /// Webhook delivery cursor of a party.
    pub const WEBHOOK_CURSOR: &str = "webhook_cursor";
}

/// Largest message text, in bytes.
pub const MAX_TEXT_BYTES: usize = 4096;
/// Most records one listing reads.
pub const MAX_LIST: usize = 10_000;

const SECOND_US: i64 = 1_000_000;

/// The coordination features over an engine's store.
#[derive(Debug, Clone, Copy)]
pub struct Coord<'a> {
    engine: &'a Engine,
}

impl Engine {
    /// Lines, hotline, notices, liveness and webhook cursors over this engine's store.
    pub fn coord(&self) -> Coord<'_> {
        Coord { engine: self }
    }
}

/// A new UUIDv7 (monotonic within this process), so listings by id are chronological.
pub(crate) fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Decodes a record body.
pub(crate) fn decode<T: DeserializeOwned>(r: &Record) -> Result<T, EngineError> {
    serde_json::from_str(&r.body)
        .map_err(|e| EngineError::Store(StoreError::Corrupt(format!("{} record {}: {e}", r.kind, r.id))))
}

/// Loads and decodes a record.
pub(crate) fn load<T: DeserializeOwned>(
    tx: &mut dyn Tx,
    kind: &str,
    id: &str,
) -> Result<Option<T>, EngineError> {
    match tx.record(kind, id)? {
        Some(r) => decode(&r).map(Some),
        None => Ok(None),
    }
}

/// Encodes and stores a record.
pub(crate) fn save<T: Serialize>(
    tx: &mut dyn Tx,
    kind: &str,
    id: &str,
    body: &T,
    keys: (Option<&str>, Option<&str>),
    due: Option<i64>,
) -> Result<(), EngineError> {
    let body = serde_json::to_string(body)
        .map_err(|e| EngineError::Store(StoreError::backend(format!("encoding {kind} {id}: {e}"))))?;
    tx.put_record(&Record {
        kind: kind.to_owned(),
        id: id.to_owned(),
        body,
        k1: keys.0.map(str::to_owned),
        k2: keys.1.map(str::to_owned),
        due: due.map(geom::Time::from_micros),
    })?;
    Ok(())
}

/// Appends an event whose parties are `parties` (the service name is left out:
/// it is not a party that reads streams).
pub(crate) fn emit(
    tx: &mut dyn Tx,
    at: i64,
    kind: &str,
    actor: &str,
    subject: &str,
    parties: impl IntoIterator<Item = String>,
    payload: &serde_json::Value,
) -> Result<(), EngineError> {
    let parties = parties.into_iter().filter(|p| p != SERVICE_ACTOR);
    let event =
        NewEvent::new(geom::Time::from_micros(at), kind, actor, Some(subject.to_owned()), parties, payload);
    tx.append_event(&event)?;
    Ok(())
}

/// A JSON value of a serialisable document (never fails for our types).
pub(crate) fn json<T: Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}

pub(crate) fn bad<T>(m: impl Into<String>) -> Result<T, EngineError> {
    Err(EngineError::BadRequest(m.into()))
}
