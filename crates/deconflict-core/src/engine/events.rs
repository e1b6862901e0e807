//! The events the engine appends with each change (see [`crate::events`]) and
//! their payloads. Payloads carry what a party needs to act on a change, never
//! an OVN.

use serde::Serialize;

use super::Ctx;
use super::notify::Notified;
use crate::events::{EventKind, NewEvent, PayloadError};
use crate::model::{Constraint, OperationalIntent, Subscription};

/// The actor name of events the service itself causes.
pub const SERVICE_ACTOR: &str = "deconflict";

/// An operational intent as events show it (no OVN, no geometry).
#[derive(Debug, Serialize)]
pub(crate) struct IntentSummary<'a> {
    id: String,
    #[serde(rename = "manager")]
    party: &'a str,
    version: i32,
    state: &'static str,
    time_start_us: i64,
    time_end_us: i64,
    uss_base_url: &'a str,
    volumes: usize,
}

impl<'a> IntentSummary<'a> {
    pub(crate) fn new(oi: &'a OperationalIntent) -> Self {
        let t = oi.time();
        Self {
            id: oi.id.to_string(),
            party: oi.party.as_str(),
            version: oi.version,
            state: oi.state.as_str(),
            time_start_us: t.start().as_micros(),
            time_end_us: t.end().as_micros(),
            uss_base_url: oi.uss_base_url.as_str(),
            volumes: oi.extents.len(),
        }
    }
}

/// A constraint as events show it.
#[derive(Debug, Serialize)]
pub(super) struct ConstraintSummary<'a> {
    id: String,
    #[serde(rename = "manager")]
    party: &'a str,
    version: i32,
    time_start_us: i64,
    time_end_us: i64,
    uss_base_url: &'a str,
}

impl<'a> ConstraintSummary<'a> {
    pub(super) fn new(c: &'a Constraint) -> Self {
        let t = c.time();
        Self {
            id: c.id.to_string(),
            party: c.party.as_str(),
            version: c.version,
            time_start_us: t.start().as_micros(),
            time_end_us: t.end().as_micros(),
            uss_base_url: c.uss_base_url.as_str(),
        }
    }
}

/// Payload of `subscription.*`.
#[derive(Debug, Serialize)]
pub(super) struct SubscriptionSummary<'a> {
    id: String,
    version: &'a str,
    time_start_us: i64,
    time_end_us: i64,
    uss_base_url: &'a str,
    notify_for_operational_intents: bool,
    notify_for_constraints: bool,
    implicit: bool,
}

impl<'a> SubscriptionSummary<'a> {
    pub(super) fn new(s: &'a Subscription) -> Self {
        let t = s.time();
        Self {
            id: s.id.to_string(),
            version: &s.version,
            time_start_us: t.start().as_micros(),
            time_end_us: t.end().as_micros(),
            uss_base_url: s.uss_base_url.as_str(),
            notify_for_operational_intents: s.notify_for_intents,
            notify_for_constraints: s.notify_for_constraints,
            implicit: s.implicit,
        }
    }
}

/// One subscription told of a change.
#[derive(Debug, Serialize)]
struct NotifiedSubscription<'a> {
    uss_base_url: &'a str,
    subscription_id: String,
    notification_index: i32,
}

/// Payload of `intent.created|updated|deleted` and `constraint.*`: the entity
/// and the subscriptions told of the change.
#[derive(Debug, Serialize)]
struct Change<'a, E> {
    entity: E,
    notified: Vec<NotifiedSubscription<'a>>,
}

/// One entity a refused write did not show awareness of.
#[derive(Debug, Serialize)]
pub(super) struct Disclosed<'a> {
    pub(super) id: String,
    #[serde(rename = "manager")]
    pub(super) party: &'a str,
}

/// Payload of `intent.refused_missing_key`.
#[derive(Debug, Serialize)]
pub(super) struct Refusal<'a> {
    pub(super) requested: String,
    pub(super) missing_operational_intents: Vec<Disclosed<'a>>,
    pub(super) missing_constraints: Vec<Disclosed<'a>>,
}

/// Payload of `availability.set`.
#[derive(Debug, Serialize)]
pub(super) struct AvailabilitySet<'a> {
    pub(super) uss: &'a str,
    pub(super) availability: &'static str,
}

/// An event about a change that `notified` subscriptions were told of: the
/// actor and the notified parties may see it.
pub(super) fn change(
    ctx: &Ctx,
    kind: EventKind,
    subject: String,
    entity: impl Serialize,
    notified: &Notified,
) -> Result<NewEvent, PayloadError> {
    let parties = std::iter::once(ctx.caller.to_string()).chain(notified.parties.iter().cloned());
    let notified = notified
        .subscribers
        .iter()
        .flat_map(|s| {
            s.subscriptions.iter().map(move |(id, idx)| NotifiedSubscription {
                uss_base_url: s.uss_base_url.as_str(),
                subscription_id: id.to_string(),
                notification_index: *idx,
            })
        })
        .collect();
    NewEvent::new(ctx.now, kind, ctx.caller.as_str(), Some(subject), parties, &Change { entity, notified })
}

/// An event only the actor (and `others`) may see.
pub(crate) fn private(
    ctx: &Ctx,
    kind: EventKind,
    subject: String,
    others: &[String],
    payload: &impl Serialize,
) -> Result<NewEvent, PayloadError> {
    let parties = std::iter::once(ctx.caller.to_string()).chain(others.iter().cloned());
    NewEvent::new(ctx.now, kind, ctx.caller.as_str(), Some(subject), parties, payload)
}
