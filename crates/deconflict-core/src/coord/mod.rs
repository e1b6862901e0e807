//! Lines between command posts: the party registry, lines and their policies,
//! the acknowledged hotline (messages, per-recipient delivery, reading and
//! acknowledgement, escalation), advance notice of operations, communication
//! checks (liveness) and webhook cursors.
//!
//! The domain is typed ([`model`], [`ids`]: `LineId`, UUIDv7 `MessageId` and
//! `CheckId`, parties as [`crate::PartyName`], instants as [`geom::Time`], areas
//! as [`geom::Volume4D`]) and stored as generic [`Record`]s (no schema per
//! feature) whose JSON bodies keep the layout of older records
//! (`coord::stored`). Every state change appends an event in the same transaction,
//! so it is in the signed audit log and on each party's live stream: a party
//! cannot later claim a message came late or a line was alive when the log
//! says otherwise.
//!
//! Each change is one write transaction through [`Runner::write`]
//! (retried on conflicts, never committed after the deadline); reads are read
//! transactions ([`Runner::read`]). Time is always passed in.
//!
//! Records (kind: id — k1, k2, due):
//! - `party`: name
//! - `line`: id — due = next communication check
//! - `message`: UUIDv7 — k1 = line, k2 = thread
//! - `delivery`: `{message}:{recipient}` — k1 = recipient, k2 = message, due = ack deadline
//! - `message_key`: `{len}:{sender}/{key}` (idempotency) — k1 = sender
//! - `notice`: UUIDv7 (before: `{intent}:{recipient}`) — k1 = recipient, k2 = giver
//! - `notice_key`: `{intent}:{recipient}` → the notice's id
//! - `notice_stats`: party
//! - `check`: UUIDv7 — k1 = line, due = deadline while open
//! - `heartbeat`: `{line}:{party}` — k1 = line
//! - `conflict_thread`: `{line}:{topic}`
//! - `webhook_cursor`: party
//! - the `blind_*` kinds of [`blind`] (blind operations, issue 14)

mod alerts;
pub mod blind;
mod events;
mod gauges;
pub mod ids;
mod lines;
mod liveness;
mod messages;
pub mod model;
mod notices;
mod page;
pub(crate) mod stored;
mod templates;
mod webhooks;

#[cfg(test)]
mod tests;

use std::fmt::Display;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::engine::{EngineError, Limits};
use crate::events::{EventKind, NewEvent};
use crate::ids::PartyName;
use crate::quota::Rates;
use crate::records::{Record, RecordKey};
use crate::store::{StoreError, Tx};
use crate::txn::Runner;

pub use alerts::RaisedAlert;
pub use gauges::HotlineGauges;
pub use ids::{CheckId, CoordIdError, LineId, MessageId, NoticeId, ThreadId};
pub use lines::LineSpec;
pub use liveness::LivenessReport;
pub use messages::{ConflictThread, EscalationReport, MessageDraft};
pub(crate) use messages::{ConflictThreadState, conflict_thread_tx, delivery_id, key_id, refusal_thread};
pub use model::*;
pub use notices::NoticeList;
pub(crate) use notices::on_intent_created;
pub use page::Page;
pub use templates::{Template, TemplateError, UnknownTemplate};
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
    /// Which notice an intent gave a recipient.
    pub const NOTICE_KEY: &str = "notice_key";
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

/// `t` plus `s` seconds.
fn plus_s(t: geom::Time, s: i64) -> geom::Time {
    t.saturating_add_micros(s.saturating_mul(SECOND_US))
}

/// The coordination features: lines, hotline, notices, liveness and webhook
/// cursors, over the application's transaction runner
/// ([`crate::app::App::coord`]).
#[derive(Debug, Clone, Copy)]
pub struct Coord<'a> {
    runner: &'a Runner,
    limits: &'a Limits,
    rates: &'a Rates,
}

impl<'a> Coord<'a> {
    /// The coordination features over `runner`, under `limits` (URL rules,
    /// quotas) with the per-party write rates `rates`.
    pub(crate) fn new(runner: &'a Runner, limits: &'a Limits, rates: &'a Rates) -> Self {
        Self { runner, limits, rates }
    }
}

/// Decodes a record body.
pub(crate) fn decode<T: DeserializeOwned>(r: &Record) -> Result<T, EngineError> {
    serde_json::from_str(&r.body).map_err(|e| {
        EngineError::Store(StoreError::corrupt_by(format!("{} record {}: {e}", r.kind, r.id), e))
    })
}

/// Every record of `kind` under `key` (at most [`MAX_LIST`]), decoded.
pub(crate) fn load_all<T: DeserializeOwned>(
    tx: &mut dyn Tx,
    kind: &str,
    key: RecordKey<'_>,
) -> Result<Vec<T>, EngineError> {
    tx.records_by(kind, key, MAX_LIST)?.iter().map(decode).collect()
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
    due: Option<geom::Time>,
) -> Result<(), EngineError> {
    let body = serde_json::to_string(body)
        .map_err(|e| EngineError::Store(StoreError::encode(format!("{kind} {id}"), e)))?;
    tx.put_record(&Record {
        kind: kind.to_owned(),
        id: id.to_owned(),
        body,
        k1: keys.0.map(str::to_owned),
        k2: keys.1.map(str::to_owned),
        due,
    })?;
    Ok(())
}

/// Appends an event whose parties are `parties` (the service is left out: it
/// is not a party that reads streams).
pub(crate) fn emit<'p>(
    tx: &mut dyn Tx,
    at: geom::Time,
    kind: EventKind,
    actor: &PartyName,
    subject: impl Display,
    parties: impl IntoIterator<Item = &'p PartyName>,
    payload: &impl Serialize,
) -> Result<(), EngineError> {
    let parties = parties.into_iter().filter(|p| !p.is_service()).map(PartyName::to_string);
    let subject = Some(subject.to_string());
    tx.append_event(&NewEvent::new(at, kind, actor.as_str(), subject, parties, payload)?)?;
    Ok(())
}

pub(crate) fn bad<T>(m: impl Into<String>) -> Result<T, EngineError> {
    Err(EngineError::BadRequest(m.into()))
}
