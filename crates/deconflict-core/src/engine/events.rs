//! The events the engine appends with each change (see [`crate::events`]).
//! Payloads carry what a party needs to act on a change, never an OVN.

use serde_json::{Value, json};

use super::Ctx;
use super::notify::Notified;
use crate::events::NewEvent;
use crate::model::{Constraint, OperationalIntent};

/// The actor name of events the service itself causes.
pub const SERVICE_ACTOR: &str = "deconflict";

pub(super) fn intent_json(oi: &OperationalIntent) -> Value {
    let t = oi.time();
    json!({
        "id": oi.id.to_string(),
        "manager": oi.manager.as_str(),
        "version": oi.version,
        "state": oi.state.as_str(),
        "time_start_us": t.start().as_micros(),
        "time_end_us": t.end().as_micros(),
        "uss_base_url": oi.uss_base_url.as_str(),
        "volumes": oi.extents.len(),
    })
}

pub(super) fn constraint_json(c: &Constraint) -> Value {
    let t = c.time();
    json!({
        "id": c.id.to_string(),
        "manager": c.manager.as_str(),
        "version": c.version,
        "time_start_us": t.start().as_micros(),
        "time_end_us": t.end().as_micros(),
        "uss_base_url": c.uss_base_url.as_str(),
    })
}

/// An event about a change that `notified` subscriptions were told of: the
/// actor and the notified managers may see it.
pub(super) fn change(ctx: &Ctx, kind: &str, subject: String, entity: Value, notified: &Notified) -> NewEvent {
    let parties = std::iter::once(ctx.caller.to_string()).chain(notified.managers.iter().cloned());
    let payload = json!({ "entity": entity, "notified": notified.to_json() });
    NewEvent::new(ctx.now, kind, ctx.caller.as_str(), Some(subject), parties, &payload)
}

/// An event only the actor (and `others`) may see.
pub(super) fn private(
    ctx: &Ctx,
    kind: &str,
    subject: String,
    others: &[String],
    payload: &Value,
) -> NewEvent {
    let parties = std::iter::once(ctx.caller.to_string()).chain(others.iter().cloned());
    NewEvent::new(ctx.now, kind, ctx.caller.as_str(), Some(subject), parties, payload)
}
