//! The coordination domain: parties, lines and their policies, hotline
//! messages and their per-recipient deliveries, notices, checks, heartbeats,
//! webhook cursors.
//!
//! Each type is also a stored record body (serde JSON, `coord::stored`):
//! instants are [`Time`]s stored as µs since the epoch in fields whose names
//! end in `_us`, durations are whole seconds in fields ending in `_s`. This is
//! the storage layout only; the server's DTOs are the wire.

use std::collections::BTreeMap;

use geom::{Time, Volume4D};
use serde::{Deserialize, Serialize};

use super::ids::{CheckId, LineId, MessageId, ThreadId};
use super::stored::{area, epoch, opt_us, us, us_by_party};
use crate::ids::{EntityId, PartyName};

/// A party: a command post or a USS, named as its tokens' `sub`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    /// The token `sub`.
    pub name: PartyName,
    /// How people call it.
    pub display_name: String,
    /// Where its events are POSTed (at least once), if anywhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<String>,
    /// Last change.
    #[serde(rename = "updated_at_us", default = "epoch", with = "us")]
    pub updated_at: Time,
}

/// Acknowledgement deadlines per priority, in seconds (`None`: no deadline).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AckDeadlines {
    /// Routine messages (default: none).
    #[serde(default)]
    pub routine: Option<i64>,
    /// Urgent messages (default 300 s).
    #[serde(default = "default_urgent")]
    pub urgent: Option<i64>,
    /// Flash messages (default 60 s).
    #[serde(default = "default_flash")]
    pub flash: Option<i64>,
}

#[allow(clippy::unnecessary_wraps)]
fn default_urgent() -> Option<i64> {
    Some(300)
}

#[allow(clippy::unnecessary_wraps)]
fn default_flash() -> Option<i64> {
    Some(60)
}

impl Default for AckDeadlines {
    fn default() -> Self {
        Self { routine: None, urgent: default_urgent(), flash: default_flash() }
    }
}

impl AckDeadlines {
    /// The deadline for `priority`, in seconds.
    pub fn of(&self, priority: Priority) -> Option<i64> {
        match priority {
            Priority::Routine => self.routine,
            Priority::Urgent => self.urgent,
            Priority::Flash => self.flash,
        }
    }
}

/// The rules of one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Least advance notice of an operation, in seconds (default 3600); less is `late`.
    #[serde(default = "default_min_notice")]
    pub min_notice_s: i64,
    /// Acknowledgement deadlines per priority.
    #[serde(default)]
    pub ack_deadline_s: AckDeadlines,
    /// Seconds between communication checks (default 3600).
    #[serde(default = "default_interval")]
    pub liveness_interval_s: i64,
    /// Seconds each party has to acknowledge a check (default 300).
    #[serde(default = "default_deadline")]
    pub liveness_deadline_s: i64,
}

fn default_min_notice() -> i64 {
    3600
}
fn default_interval() -> i64 {
    3600
}
fn default_deadline() -> i64 {
    300
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            min_notice_s: default_min_notice(),
            ack_deadline_s: AckDeadlines::default(),
            liveness_interval_s: default_interval(),
            liveness_deadline_s: default_deadline(),
        }
    }
}

impl Policy {
    /// A description of the first unusable value, if any.
    pub fn problem(&self) -> Option<String> {
        const DAY: i64 = 86_400;
        if !(0..=30 * DAY).contains(&self.min_notice_s) {
            return Some(format!("policy.min_notice_s must be 0..={}, not {}", 30 * DAY, self.min_notice_s));
        }
        for (name, v) in [
            ("routine", self.ack_deadline_s.routine),
            ("urgent", self.ack_deadline_s.urgent),
            ("flash", self.ack_deadline_s.flash),
        ] {
            if let Some(v) = v
                && !(1..=DAY).contains(&v)
            {
                return Some(format!("policy.ack_deadline_s.{name} must be 1..={DAY} or null, not {v}"));
            }
        }
        if !(10..=7 * DAY).contains(&self.liveness_interval_s) {
            return Some(format!(
                "policy.liveness_interval_s must be 10..={}, not {}",
                7 * DAY,
                self.liveness_interval_s
            ));
        }
        if self.liveness_deadline_s < 1 || self.liveness_deadline_s >= self.liveness_interval_s {
            return Some(format!(
                "policy.liveness_deadline_s must be at least 1 and less than liveness_interval_s ({}), not {}",
                self.liveness_interval_s, self.liveness_deadline_s
            ));
        }
        None
    }
}

/// Whether a line may be used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LineState {
    /// In service.
    Active,
    /// Taken out of service by a party on it.
    Suspended {
        /// Who.
        by: PartyName,
        /// When.
        #[serde(rename = "at_us", with = "us")]
        at: Time,
        /// Why.
        why: String,
    },
    /// A communication check failed; the next passed check revives it.
    Dead {
        /// Since when.
        #[serde(rename = "since_us", with = "us")]
        since: Time,
        /// The check that failed.
        failed_check: CheckId,
    },
}

impl LineState {
    /// `active`, `suspended` or `dead`.
    pub fn as_str(&self) -> &'static str {
        match self {
            LineState::Active => "active",
            LineState::Suspended { .. } => "suspended",
            LineState::Dead { .. } => "dead",
        }
    }
}

/// A line between two or more parties.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    /// Chosen by the operator.
    pub id: LineId,
    /// Human name.
    pub name: String,
    /// The parties on it (sorted, at least two).
    pub parties: Vec<PartyName>,
    /// Whether it may be used.
    pub state: LineState,
    /// Its rules.
    pub policy: Policy,
    /// Creation.
    #[serde(rename = "created_at_us", with = "us")]
    pub created_at: Time,
    /// Last change.
    #[serde(rename = "updated_at_us", with = "us")]
    pub updated_at: Time,
    /// When the next communication check starts (none while suspended).
    #[serde(rename = "next_check_us", default, with = "opt_us")]
    pub next_check: Option<Time>,
}

impl Line {
    /// Whether `party` is on the line.
    pub fn has(&self, party: &PartyName) -> bool {
        self.parties.contains(party)
    }

    /// Whether the party named `name` is on the line.
    pub fn has_named(&self, name: &str) -> bool {
        self.parties.iter().any(|p| p.as_str() == name)
    }
}

/// How quickly a message must be acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    /// No deadline by default.
    Routine,
    /// 300 s by default.
    Urgent,
    /// 60 s by default.
    Flash,
}

impl Priority {
    /// Parses `routine`, `urgent` or `flash`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "routine" => Some(Priority::Routine),
            "urgent" => Some(Priority::Urgent),
            "flash" => Some(Priority::Flash),
            _ => None,
        }
    }

    /// The name in records and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Routine => "routine",
            Priority::Urgent => "urgent",
            Priority::Flash => "flash",
        }
    }
}

/// What a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// Written by a party.
    Message,
    /// A communication check every party must acknowledge.
    CommCheck,
    /// Posted by the service (e.g. a refused conflicting operation).
    System,
}

/// How a recipient first received a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryChannel {
    /// Listed in its inbox.
    Inbox,
    /// Fetched by id.
    Fetch,
    /// Written to its live event stream.
    Stream,
    /// Acknowledged with 2xx by its own webhook.
    Webhook,
    /// Acknowledged before it was otherwise delivered.
    Ack,
    /// Marked read before it was otherwise delivered.
    Read,
}

impl DeliveryChannel {
    /// The name in records and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryChannel::Inbox => "inbox",
            DeliveryChannel::Fetch => "fetch",
            DeliveryChannel::Stream => "stream",
            DeliveryChannel::Webhook => "webhook",
            DeliveryChannel::Ack => "ack",
            DeliveryChannel::Read => "read",
        }
    }
}

/// What showed that a party was alive on a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HeartbeatSource {
    /// An explicit heartbeat.
    Heartbeat,
    /// It sent a message.
    Send,
    /// It acknowledged a message.
    Ack,
    /// It acknowledged a notice.
    NoticeAck,
    /// It suspended the line.
    Suspend,
    /// It resumed the line.
    Resume,
}

impl HeartbeatSource {
    /// The name in records and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            HeartbeatSource::Heartbeat => "heartbeat",
            HeartbeatSource::Send => "send",
            HeartbeatSource::Ack => "ack",
            HeartbeatSource::NoticeAck => "notice_ack",
            HeartbeatSource::Suspend => "suspend",
            HeartbeatSource::Resume => "resume",
        }
    }
}

/// What a message is about. The ids refer to things that may be gone (an
/// intent purged, an alert cleared), so they are kept as given.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Refs {
    /// An operational intent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation_id: Option<String>,
    /// A tactical alert.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert_id: Option<String>,
    /// A 4D volume.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "area")]
    pub area: Option<Volume4D>,
}

/// A hotline message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// Its id.
    pub id: MessageId,
    /// The line it was sent on.
    pub line_id: LineId,
    /// The id of the first message of its thread.
    pub thread_id: ThreadId,
    /// The message it answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<MessageId>,
    /// What it is.
    pub kind: MessageKind,
    /// Who sent it ([`PartyName::service`] for the service).
    pub sender: PartyName,
    /// Who it is for.
    pub recipients: Vec<PartyName>,
    /// How quickly it must be acknowledged.
    pub priority: Priority,
    /// The text (at most 4 KiB).
    pub text: String,
    /// What it is about.
    #[serde(default)]
    pub refs: Refs,
    /// The standard template it was written from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<super::Template>,
    /// The template's fields.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, String>,
    /// The sender's idempotency key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
    /// The communication check it belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check_id: Option<CheckId>,
    /// Exercise traffic (test data).
    #[serde(default)]
    pub exercise: bool,
    /// Server time of sending.
    #[serde(rename = "sent_at_us", with = "us")]
    pub sent_at: Time,
}

impl Message {
    /// Whether `party` sent or received it.
    pub fn concerns(&self, party: &PartyName) -> bool {
        &self.sender == party || self.recipients.contains(party)
    }
}

/// One recipient's copy of a message: delivery, reading, acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// The message.
    pub message_id: MessageId,
    /// Its line.
    pub line_id: LineId,
    /// The recipient.
    pub recipient: PartyName,
    /// The sender.
    pub sender: PartyName,
    /// The message's priority.
    pub priority: Priority,
    /// When the recipient first got it.
    #[serde(rename = "delivered_at_us", default, with = "opt_us")]
    pub delivered_at: Option<Time>,
    /// How.
    #[serde(default)]
    pub delivered_via: Option<DeliveryChannel>,
    /// When the recipient marked it read.
    #[serde(rename = "read_at_us", default, with = "opt_us")]
    pub read_at: Option<Time>,
    /// When the recipient acknowledged it.
    #[serde(rename = "acked_at_us", default, with = "opt_us")]
    pub acked_at: Option<Time>,
    /// The operator who acknowledged it.
    #[serde(default)]
    pub acked_by_operator: Option<String>,
    /// The current acknowledgement deadline, if any.
    #[serde(rename = "ack_deadline_us", default, with = "opt_us")]
    pub ack_deadline: Option<Time>,
    /// A deadline passed without acknowledgement.
    #[serde(default)]
    pub overdue: bool,
    /// How many times it was escalated.
    #[serde(default)]
    pub escalations: u32,
    /// Exercise traffic.
    #[serde(default)]
    pub exercise: bool,
}

/// A message as a party may see it: with its own delivery, or (for the
/// sender) every recipient's.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageView {
    /// The message.
    pub message: Message,
    /// Delivery receipts the viewer may see.
    pub deliveries: Vec<Delivery>,
}

/// The answer to a send: the message and whether it was created now (or an
/// earlier send with the same idempotency key is returned).
#[derive(Debug, Clone, PartialEq)]
pub struct Sent {
    /// The message.
    pub view: MessageView,
    /// `false` for a retried send.
    pub created: bool,
}

/// Advance notice of an operation to a party sharing an active line with its owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    /// The operational intent.
    pub intent_id: EntityId,
    /// The line the notice went over (the one with the strictest policy).
    pub line_id: LineId,
    /// The intent's owner.
    pub giver: PartyName,
    /// Who was told.
    pub recipient: PartyName,
    /// When the intent was filed.
    #[serde(rename = "filed_at_us", with = "us")]
    pub filed_at: Time,
    /// When the operation starts.
    #[serde(rename = "time_start_us", with = "us")]
    pub time_start: Time,
    /// When the recipient was told (pushed at once: = filed_at).
    #[serde(rename = "notified_at_us", with = "us")]
    pub notified_at: Time,
    /// The line's minimum notice then.
    pub min_notice_s: i64,
    /// Less notice than the minimum.
    pub late: bool,
    /// When the recipient acknowledged it.
    #[serde(rename = "acked_at_us", default, with = "opt_us")]
    pub acked_at: Option<Time>,
    /// Who acknowledged it.
    #[serde(default)]
    pub acked_by_operator: Option<String>,
}

/// The result of a communication check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckResult {
    /// Waiting for acknowledgements.
    Open,
    /// Every party acknowledged in time.
    Passed,
    /// Someone did not.
    Failed,
}

/// A communication check of a line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    /// Its id.
    pub id: CheckId,
    /// The line.
    pub line_id: LineId,
    /// The `comm_check` message.
    pub message_id: MessageId,
    /// An exercise: a failure does not mark the line dead.
    pub exercise: bool,
    /// Start.
    #[serde(rename = "started_at_us", with = "us")]
    pub started_at: Time,
    /// Every party must acknowledge by then.
    #[serde(rename = "deadline_us", with = "us")]
    pub deadline: Time,
    /// Who must acknowledge.
    pub parties: Vec<PartyName>,
    /// Who did, when.
    #[serde(default, with = "us_by_party")]
    pub acks: BTreeMap<PartyName, Time>,
    /// Outcome.
    pub result: CheckResult,
    /// Who failed to acknowledge.
    #[serde(default)]
    pub failed: Vec<PartyName>,
    /// When the outcome was decided.
    #[serde(rename = "finished_at_us", default, with = "opt_us")]
    pub finished_at: Option<Time>,
}

/// A party's last sign of life on a line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Heartbeat {
    /// The line.
    pub line_id: LineId,
    /// The party.
    pub party: PartyName,
    /// When.
    #[serde(rename = "at_us", with = "us")]
    pub at: Time,
    /// What showed it.
    pub via: HeartbeatSource,
}

/// A line with what its parties may see of its liveness.
#[derive(Debug, Clone, PartialEq)]
pub struct LineView {
    /// The line.
    pub line: Line,
    /// Each party's last heartbeat.
    pub heartbeats: Vec<Heartbeat>,
}

/// Where a party's webhook dispatcher is in the sealed log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookCursor {
    /// Every entry up to this sequence number was delivered (or does not concern the party).
    pub seq: u64,
    /// Failed attempts at the next entry.
    #[serde(default)]
    pub attempts: u32,
    /// No attempt before this time.
    #[serde(rename = "next_attempt_us", default = "epoch", with = "us")]
    pub next_attempt: Time,
    /// The last error, for operators.
    #[serde(default)]
    pub last_error: Option<String>,
}

impl Default for WebhookCursor {
    fn default() -> Self {
        Self { seq: 0, attempts: 0, next_attempt: epoch(), last_error: None }
    }
}

/// How many late notices a party gave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeStats {
    /// The party (intent owner).
    pub party: PartyName,
    /// Late notices given.
    pub late: u64,
    /// All notices given.
    pub total: u64,
}
