//! The payloads of the coordination events (kinds in [`crate::events::EventKind`]),
//! each serialised once when the event is appended. Times are µs since the
//! epoch in fields ending in `_us`, as in the record bodies they quote.

use std::collections::BTreeMap;

use geom::Time;
use serde::{Serialize, Serializer};

use super::ids::{CheckId, LineId, MessageId};
use super::model::{Check, DeliveryChannel, Heartbeat, Line, LineState, Message, Notice, Priority};
use super::stored::{opt_us, us, us_by_party};
use crate::ids::{EntityId, PartyName};

#[allow(clippy::trivially_copy_pass_by_ref)] // the signature serde's `serialize_with` asks for
fn acks_us<S: Serializer>(m: &&BTreeMap<PartyName, Time>, s: S) -> Result<S::Ok, S::Error> {
    us_by_party::serialize(m, s)
}

/// `party.updated`. The webhook URL is in it: only the party and the actor
/// see the event, and the party must be able to tell where its events go.
#[derive(Debug, Serialize)]
pub(super) struct PartyUpdated<'a> {
    pub(super) name: &'a PartyName,
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
    pub(super) line_id: &'a LineId,
    pub(super) by: &'a PartyName,
    #[serde(rename = "at_us", with = "us")]
    pub(super) at: Time,
    pub(super) why: &'a str,
    pub(super) state_before: &'static str,
}

/// The suspension a `line.resumed` ends.
#[derive(Debug, Serialize)]
pub(super) struct Suspension<'a> {
    pub(super) by: &'a PartyName,
    #[serde(rename = "at_us", with = "us")]
    pub(super) at: Time,
    pub(super) why: &'a str,
}

/// `line.resumed`.
#[derive(Debug, Serialize)]
pub(super) struct LineResumed<'a> {
    pub(super) line_id: &'a LineId,
    pub(super) by: &'a PartyName,
    #[serde(rename = "at_us", with = "us")]
    pub(super) at: Time,
    pub(super) why: Option<&'a str>,
    pub(super) suspended: Suspension<'a>,
}

/// `line.heartbeat`: the heartbeat as stored.
pub(super) type LineHeartbeat = Heartbeat;

/// `line.dead`, `line.alive`.
#[derive(Debug, Serialize)]
pub(super) struct LineLiveness<'a> {
    pub(super) line_id: &'a LineId,
    pub(super) check_id: CheckId,
    pub(super) failed: &'a [PartyName],
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
    pub(super) check_id: CheckId,
    pub(super) line_id: &'a LineId,
    pub(super) exercise: bool,
    #[serde(rename = "started_at_us", with = "us")]
    pub(super) started_at: Time,
    #[serde(rename = "deadline_us", with = "us")]
    pub(super) deadline: Time,
    #[serde(serialize_with = "acks_us")]
    pub(super) acks: &'a BTreeMap<PartyName, Time>,
    pub(super) failed: &'a [PartyName],
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
    pub(super) message_id: MessageId,
    pub(super) line_id: &'a LineId,
    pub(super) recipient: &'a PartyName,
    pub(super) via: DeliveryChannel,
    #[serde(rename = "delivered_at_us", with = "us")]
    pub(super) delivered_at: Time,
    pub(super) exercise: bool,
}

/// `message.read`.
#[derive(Debug, Serialize)]
pub(super) struct MessageRead<'a> {
    pub(super) message_id: MessageId,
    pub(super) recipient: &'a PartyName,
    #[serde(rename = "read_at_us", with = "us")]
    pub(super) read_at: Time,
    pub(super) exercise: bool,
}

/// `message.acked`.
#[derive(Debug, Serialize)]
pub(super) struct MessageAcked<'a> {
    pub(super) message_id: MessageId,
    pub(super) line_id: &'a LineId,
    pub(super) thread_id: MessageId,
    pub(super) recipient: &'a PartyName,
    pub(super) operator: &'a str,
    #[serde(rename = "acked_at_us", with = "us")]
    pub(super) acked_at: Time,
    #[serde(rename = "sent_at_us", with = "us")]
    pub(super) sent_at: Time,
    pub(super) ack_delay_s: i64,
    pub(super) overdue: bool,
    pub(super) escalations: u32,
    pub(super) exercise: bool,
    pub(super) check_id: Option<CheckId>,
}

/// `message.escalated`: enough to act on without fetching the message.
#[derive(Debug, Serialize)]
pub(super) struct MessageEscalated<'a> {
    pub(super) message_id: MessageId,
    pub(super) line_id: &'a LineId,
    pub(super) thread_id: MessageId,
    pub(super) recipient: &'a PartyName,
    pub(super) sender: &'a PartyName,
    pub(super) priority: Priority,
    pub(super) text: &'a str,
    #[serde(rename = "sent_at_us", with = "us")]
    pub(super) sent_at: Time,
    #[serde(rename = "missed_deadline_us", with = "opt_us")]
    pub(super) missed_deadline: Option<Time>,
    pub(super) escalations: u32,
    #[serde(rename = "next_deadline_us", with = "opt_us")]
    pub(super) next_deadline: Option<Time>,
    pub(super) exercise: bool,
}

/// The operation a notice is about.
#[derive(Debug, Serialize)]
pub(super) struct NoticedIntent<'a> {
    pub(super) id: EntityId,
    pub(super) manager: &'a PartyName,
    #[serde(rename = "time_start_us", with = "us")]
    pub(super) time_start: Time,
    #[serde(rename = "time_end_us", with = "us")]
    pub(super) time_end: Time,
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

/// One track of an `alert.raised`: its owner and the owner's name for it.
#[derive(Debug, Serialize)]
pub(super) struct AlertTrack<'a> {
    pub(super) party: &'a PartyName,
    pub(super) id: &'a str,
}

/// `alert.raised`.
#[derive(Debug, Serialize)]
pub(super) struct AlertRaised<'a> {
    pub(super) alert_id: &'a str,
    pub(super) tracks: [AlertTrack<'a>; 2],
    pub(super) time_to_los_s: f64,
    pub(super) d_cpa_m: Option<f64>,
    pub(super) severity: &'static str,
}
