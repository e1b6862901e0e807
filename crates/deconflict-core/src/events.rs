//! The event log: every change the engine commits appends an event in the same
//! transaction (durable before the request is acknowledged). A sealer later
//! chains events, in the order they became visible, into the hash-chained audit
//! log (`audit::Entry`: contiguous sequence numbers, signed checkpoints). The
//! sealed sequence is also the change feed every replica follows to push live
//! notifications: ordered, gap-free, resumable after a restart.
//!
//! [`EventKind`] is the one list of what can happen: its table below is the
//! only place an event name is spelled. Each kind's payload is a struct next to
//! the code that emits it, serialised once into the event's JSON text (payloads
//! are hashed byte for byte, so they are made once and never re-serialised);
//! other parties' OVNs are never in them.

use geom::Time;
use serde::Serialize;

/// Writes [`EventKind`] from one table of `Variant => "name"` rows, so that the
/// name ↔ variant mapping exists once.
macro_rules! event_kinds {
    ($($(#[$doc:meta])* $variant:ident => $name:literal,)*) => {
        /// What happened. Streams, webhooks and the audit log carry the name
        /// ([`EventKind::name`]); the README lists every kind.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum EventKind {
            $($(#[$doc])* $variant,)*
        }

        impl EventKind {
            /// Every kind, in the order of the table.
            pub const ALL: &'static [EventKind] = &[$(EventKind::$variant,)*];

            /// The name on the wire and in the audit log, e.g. `intent.created`.
            pub const fn name(self) -> &'static str {
                match self {
                    $(EventKind::$variant => $name,)*
                }
            }

            /// The kind named `name`, if it is one.
            pub fn parse(name: &str) -> Option<Self> {
                match name {
                    $($name => Some(EventKind::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

event_kinds! {
    /// An operational intent was created (actor, notified subscribers).
    IntentCreated => "intent.created",
    /// An operational intent was updated.
    IntentUpdated => "intent.updated",
    /// An operational intent was deleted.
    IntentDeleted => "intent.deleted",
    /// A write was refused for a missing key; the refusal disclosed the
    /// conflicting references to the caller (caller and their parties).
    IntentRefusedMissingKey => "intent.refused_missing_key",
    /// The owner set an operation's details (a digest, never the text).
    IntentDetailsSet => "intent.details_set",
    /// A constraint was created.
    ConstraintCreated => "constraint.created",
    /// A constraint was updated.
    ConstraintUpdated => "constraint.updated",
    /// A constraint was deleted.
    ConstraintDeleted => "constraint.deleted",
    /// A subscription was created (its owner only).
    SubscriptionCreated => "subscription.created",
    /// A subscription was updated.
    SubscriptionUpdated => "subscription.updated",
    /// A subscription was deleted.
    SubscriptionDeleted => "subscription.deleted",
    /// An arbitrator set the availability of a USS.
    AvailabilitySet => "availability.set",
    /// A USS filed an F3548 report (size and digest only).
    ReportFiled => "report.filed",
    /// A party was registered or changed, or its webhook set (the party and the actor).
    PartyUpdated => "party.updated",
    /// A line was created.
    LineCreated => "line.created",
    /// A line's name, parties or policy changed.
    LineUpdated => "line.updated",
    /// A party took a line out of service.
    LineSuspended => "line.suspended",
    /// A party put a suspended line back in service.
    LineResumed => "line.resumed",
    /// A party said it is alive on a line.
    LineHeartbeat => "line.heartbeat",
    /// A communication check failed: the line is dead.
    LineDead => "line.dead",
    /// A communication check passed on a dead line: it is alive again.
    LineAlive => "line.alive",
    /// A communication check (or an exercise) started.
    CheckStarted => "check.started",
    /// Every party acknowledged a check in time.
    CheckPassed => "check.passed",
    /// A check's deadline passed without every acknowledgement.
    CheckFailed => "check.failed",
    /// A hotline message was sent (sender and recipients).
    MessageSent => "message.sent",
    /// A recipient first received a message (and how).
    MessageDelivered => "message.delivered",
    /// A recipient marked a message read.
    MessageRead => "message.read",
    /// A recipient acknowledged a message, naming its operator.
    MessageAcked => "message.acked",
    /// An urgent or flash message passed its acknowledgement deadline.
    MessageEscalated => "message.escalated",
    /// A party was given advance notice of another's operation.
    NoticeFiled => "notice.filed",
    /// The notice was shorter than the line's minimum.
    NoticeLate => "notice.late",
    /// The notified party acknowledged a notice.
    NoticeAcked => "notice.acked",
    /// A new loss of separation between two parties' tracks (both owners).
    AlertRaised => "alert.raised",
    /// A retention pass forgot old history (auditors only): the cutoff and what it removed.
    RetentionApplied => "retention.applied",
}

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A payload that could not be encoded as JSON. Never happens for the payload
/// types of this crate (plain structs, string-keyed maps), but it is an error,
/// not a silently empty payload.
#[derive(Debug, thiserror::Error)]
#[error("encoding the payload of a {kind} event: {source}")]
pub struct PayloadError {
    kind: EventKind,
    source: serde_json::Error,
}

impl From<PayloadError> for crate::store::StoreError {
    fn from(e: PayloadError) -> Self {
        crate::store::StoreError::backend_with(
            format!("encoding the payload of a {} event", e.kind),
            e.source,
        )
    }
}

impl From<PayloadError> for crate::engine::EngineError {
    fn from(e: PayloadError) -> Self {
        crate::engine::EngineError::Store(e.into())
    }
}

/// An event to append in the current transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    /// When it happened (server clock).
    pub at: Time,
    /// What happened: an [`EventKind::name`] (events read back from a store
    /// keep the text they were written with).
    pub kind: String,
    /// Who did it (a party name, or `deconflict` for the service itself).
    pub actor: String,
    /// The entity concerned, if any.
    pub subject: Option<String>,
    /// Who may see it: sorted, without duplicates.
    pub parties: Vec<String>,
    /// JSON text.
    pub payload: String,
}

impl NewEvent {
    /// An event of `kind` with `parties` sorted and deduplicated and `payload`
    /// serialised once, here.
    ///
    /// # Errors
    /// [`PayloadError`] if the payload does not encode.
    pub fn new(
        at: Time,
        kind: EventKind,
        actor: &str,
        subject: Option<String>,
        parties: impl IntoIterator<Item = String>,
        payload: &impl Serialize,
    ) -> Result<Self, PayloadError> {
        let payload = serde_json::to_string(payload).map_err(|source| PayloadError { kind, source })?;
        let mut parties: Vec<String> = parties.into_iter().collect();
        parties.sort_unstable();
        parties.dedup();
        Ok(Self { at, kind: kind.name().to_owned(), actor: actor.to_owned(), subject, parties, payload })
    }

    /// The kind, if the stored name is one this build knows.
    pub fn event_kind(&self) -> Option<EventKind> {
        EventKind::parse(&self.kind)
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn names_and_variants_map_one_to_one() {
        let mut names: Vec<&str> = EventKind::ALL.iter().map(|k| k.name()).collect();
        for k in EventKind::ALL {
            assert_eq!(EventKind::parse(k.name()), Some(*k));
            let (domain, what) = k.name().split_once('.').unwrap();
            assert!(!domain.is_empty() && !what.is_empty(), "{k:?}");
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), EventKind::ALL.len(), "no name is used twice");
        assert_eq!(EventKind::parse("message.acknowledged"), None);
    }

    /// The README's list of event kinds ("Live events" section, one
    /// `` - `kind` — … `` line each) is exactly [`EventKind::ALL`], in order.
    #[test]
    fn the_readme_lists_every_event_kind() {
        let readme = include_str!("../../../README.md");
        let section = readme.split("<!-- event kinds: begin -->").nth(1).unwrap();
        let section = section.split("<!-- event kinds: end -->").next().unwrap();
        let listed: Vec<&str> = section
            .lines()
            .filter_map(|l| l.trim_start().strip_prefix("- `"))
            .filter_map(|l| l.split('`').next())
            .collect();
        let kinds: Vec<&str> = EventKind::ALL.iter().map(|k| k.name()).collect();
        assert_eq!(listed, kinds, "README.md and EventKind disagree: list every kind, in the enum's order");
    }

    #[test]
    fn payloads_are_encoded_once_and_parties_sorted() {
        #[derive(Serialize)]
        struct P<'a> {
            b: u32,
            a: &'a str,
        }
        let e = NewEvent::new(
            Time::from_micros(1),
            EventKind::LineHeartbeat,
            "alice",
            None,
            ["bob".to_owned(), "alice".to_owned(), "bob".to_owned()],
            &P { b: 1, a: "x" },
        )
        .unwrap();
        assert_eq!(e.kind, "line.heartbeat");
        assert_eq!(e.event_kind(), Some(EventKind::LineHeartbeat));
        assert_eq!(e.parties, ["alice", "bob"]);
        assert_eq!(e.payload, r#"{"b":1,"a":"x"}"#);
    }
}
