//! The wire form of an audit entry, as the live stream (`GET /v1/events/stream`)
//! and webhooks send it: one JSON object per event, with the payload inlined.

use serde::Serialize;

#[derive(Serialize)]
struct EventDto<'a> {
    seq: u64,
    timestamp_us: i64,
    kind: &'a str,
    actor: &'a str,
    subject: Option<&'a str>,
    parties: &'a [String],
    payload: serde_json::Value,
}

/// The JSON text of an event.
pub fn event_json(e: &audit::Entry) -> String {
    let dto = EventDto {
        seq: e.seq,
        timestamp_us: e.timestamp,
        kind: &e.kind,
        actor: &e.actor,
        subject: e.subject.as_deref(),
        parties: &e.parties,
        payload: serde_json::from_str(&e.payload).unwrap_or(serde_json::Value::Null),
    };
    serde_json::to_string(&dto).unwrap_or_else(|_| "{}".into())
}
