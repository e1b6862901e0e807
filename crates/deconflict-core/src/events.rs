//! The event log: every change the engine commits appends an event in the same
//! transaction (durable before the request is acknowledged). A sealer later
//! chains events, in the order they became visible, into the hash-chained audit
//! log (`audit::Entry`: contiguous sequence numbers, signed checkpoints). The
//! sealed sequence is also the change feed every replica follows to push live
//! notifications: ordered, gap-free, resumable after a restart.
//!
//! Payloads are JSON text built here (they are hashed byte for byte, so they
//! are made once and never re-serialised); other parties' OVNs are never in them.

use geom::Time;

/// An event to append in the current transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    /// When it happened (server clock).
    pub at: Time,
    /// What happened, e.g. `intent.created`.
    pub kind: String,
    /// Who did it (a manager name, or `deconflict` for the service itself).
    pub actor: String,
    /// The entity concerned, if any.
    pub subject: Option<String>,
    /// Who may see it: sorted, without duplicates.
    pub parties: Vec<String>,
    /// JSON text.
    pub payload: String,
}

impl NewEvent {
    /// An event with `parties` sorted and deduplicated.
    pub fn new(
        at: Time,
        kind: &str,
        actor: &str,
        subject: Option<String>,
        parties: impl IntoIterator<Item = String>,
        payload: &serde_json::Value,
    ) -> Self {
        let mut parties: Vec<String> = parties.into_iter().collect();
        parties.sort_unstable();
        parties.dedup();
        Self {
            at,
            kind: kind.to_owned(),
            actor: actor.to_owned(),
            subject,
            parties,
            payload: payload.to_string(),
        }
    }
}

/// An appended event not yet chained into the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingEvent {
    /// Its position in the store (increasing, but on a distributed database not
    /// necessarily in commit order, and with gaps).
    pub id: i64,
    /// The event.
    pub event: NewEvent,
}
