//! The payloads of the coordination events (kinds in [`crate::events::EventKind`]),
//! each serialised once when the event is appended. Times are µs since the
//! epoch in fields ending in `_us`, as in the record bodies they quote.

use std::collections::BTreeMap;

use serde::Serialize;

use super::model::{Check, Heartbeat, Line, LineState, Message, Notice};

/// `party.updated`. The webhook URL is in it: only the party and the actor
/// see the event, and the party must be able to tell where its events go.
#[derive(Debug, Serialize)]
pub(super) struct PartyUpdated<'a> {
    pub(super) name: &'a str,
    pub(super) display_name: &'a str,
    pub(super) webhook: bool,
    pub(super) webhook_url: Option<&'a str>,
}

/// `line.created`, `line.updated`.
#[derive(Debug, Serialize)]
pub(super) struct LineChanged<'a> {
    pub(super) line: &'a Line,
}

/// `line.suspended`.
#[derive(Debug, Serialize)]
pub(super) struct LineSuspended<'a> {
    pub(super) line_id: &'a str,
    pub(super) by: &'a str,
    pub(super) at_us: i64,
    pub(super) why: &'a str,
    pub(super) state_before: &'static str,
}

/// The suspension a `line.resumed` ends.
#[derive(Debug, Serialize)]
pub(super) struct Suspension<'a> {
    pub(super) by: &'a str,
    pub(super) at_us: i64,
    pub(super) why: &'a str,
}

/// `line.resumed`.
#[derive(Debug, Serialize)]
pub(super) struct LineResumed<'a> {
    pub(super) line_id: &'a str,
    pub(super) by: &'a str,
    pub(super) at_us: i64,
    pub(super) why: Option<&'a str>,
    pub(super) suspended: Suspension<'a>,
}

/// `line.heartbeat`: the heartbeat as stored.
pub(super) type LineHeartbeat = Heartbeat;

/// `line.dead`, `line.alive`.
#[derive(Debug, Serialize)]
pub(super) struct LineLiveness<'a> {
    pub(super) line_id: &'a str,
    pub(super) check_id: &'a str,
    pub(super) failed: &'a [String],
    pub(super) state: &'a LineState,
    pub(super) state_before: &'a LineState,
}

/// `check.started`.
#[derive(Debug, Serialize)]
pub(super) struct CheckStarted<'a> {
    pub(super) check: &'a Check,
}

/// `check.passed`, `check.failed`.
#[derive(Debug, Serialize)]
pub(super) struct CheckDecided<'a> {
    pub(super) check_id: &'a str,
    pub(super) line_id: &'a str,
    pub(super) exercise: bool,
    pub(super) started_at_us: i64,
    pub(super) deadline_us: i64,
    pub(super) acks: &'a BTreeMap<String, i64>,
    pub(super) failed: &'a [String],
}

/// `message.sent`: the message as stored and its acknowledgement deadline.
#[derive(Debug, Serialize)]
pub(super) struct MessageSent<'a> {
    pub(super) message: &'a Message,
    pub(super) ack_deadline_s: Option<i64>,
}

/// `message.delivered`.
#[derive(Debug, Serialize)]
pub(super) struct MessageDelivered<'a> {
    pub(super) message_id: &'a str,
    pub(super) line_id: &'a str,
    pub(super) recipient: &'a str,
    pub(super) via: &'a str,
    pub(super) delivered_at_us: i64,
    pub(super) exercise: bool,
}

/// `message.read`.
#[derive(Debug, Serialize)]
pub(super) struct MessageRead<'a> {
    pub(super) message_id: &'a str,
    pub(super) recipient: &'a str,
    pub(super) read_at_us: i64,
    pub(super) exercise: bool,
}

/// `message.acked`.
#[derive(Debug, Serialize)]
pub(super) struct MessageAcked<'a> {
    pub(super) message_id: &'a str,
    pub(super) line_id: &'a str,
    pub(super) thread_id: &'a str,
    pub(super) recipient: &'a str,
    pub(super) operator: &'a str,
    pub(super) acked_at_us: i64,
    pub(super) sent_at_us: i64,
    pub(super) ack_delay_s: i64,
    pub(super) overdue: bool,
    pub(super) escalations: u32,
    pub(super) exercise: bool,
    pub(super) check_id: Option<&'a str>,
}

/// `message.escalated`: enough to act on without fetching the message.
#[derive(Debug, Serialize)]
pub(super) struct MessageEscalated<'a> {
    pub(super) message_id: &'a str,
    pub(super) line_id: &'a str,
    pub(super) thread_id: &'a str,
    pub(super) recipient: &'a str,
    pub(super) sender: &'a str,
    pub(super) priority: &'static str,
    pub(super) text: &'a str,
    pub(super) sent_at_us: i64,
    pub(super) missed_deadline_us: Option<i64>,
    pub(super) escalations: u32,
    pub(super) next_deadline_us: Option<i64>,
    pub(super) exercise: bool,
}

/// The operation a notice is about.
#[derive(Debug, Serialize)]
pub(super) struct NoticedIntent<'a> {
    pub(super) id: &'a str,
    pub(super) manager: &'a str,
    pub(super) time_start_us: i64,
    pub(super) time_end_us: i64,
    pub(super) uss_base_url: &'a str,
}

/// `notice.filed`, `notice.late`.
#[derive(Debug, Serialize)]
pub(super) struct NoticeFiled<'a> {
    pub(super) notice: &'a Notice,
    pub(super) intent: NoticedIntent<'a>,
    pub(super) notice_s: i64,
}

/// `notice.acked`.
#[derive(Debug, Serialize)]
pub(super) struct NoticeAcked<'a> {
    pub(super) notice: &'a Notice,
}
