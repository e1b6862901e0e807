//! Wire types of the lines between command posts (`/v1/parties`, `/v1/lines`,
//! `/v1/lines/{id}/checks`, `/v1/notices`) and their conversions from the
//! typed domain of `deconflict_core::coord`. Times are RFC 3339 (UTC, µs);
//! durations are whole seconds in fields ending in `_s`.

use std::collections::BTreeMap;

use deconflict_core::PartyName;
use deconflict_core::coord::{
    AckDeadlines, Check, CheckResult, Heartbeat, HeartbeatSource, LineId, LineState, LineView, Notice, Party,
    Policy,
};
use serde::{Deserialize, Serialize};

use crate::dto::format_time;
use crate::error::ApiError;

/// A mirror of a core enum on the wire, with the same snake_case names and
/// conversions both ways.
macro_rules! wire_enum {
    ($(#[$meta:meta])* $dto:ident <=> $core:ty { $($(#[$vmeta:meta])* $variant:ident,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $dto {
            $($(#[$vmeta])* $variant,)*
        }

        impl From<$core> for $dto {
            fn from(v: $core) -> Self {
                match v {
                    $(<$core>::$variant => $dto::$variant,)*
                }
            }
        }

        impl From<$dto> for $core {
            fn from(v: $dto) -> Self {
                match v {
                    $($dto::$variant => <$core>::$variant,)*
                }
            }
        }
    };
}
pub(crate) use wire_enum;

/// Parses a party name from the wire, naming `path` on error.
///
/// # Errors
/// 400 naming the field.
pub fn party_name(path: &str, s: &str) -> Result<PartyName, ApiError> {
    PartyName::new(s).map_err(|e| ApiError::bad(format!("{path}: {e}")))
}

/// Parses a line id from the path.
///
/// # Errors
/// 400 naming the rule.
pub fn line_id(s: &str) -> Result<LineId, ApiError> {
    LineId::parse(s).map_err(|e| ApiError::bad(e.to_string()))
}

fn names(parties: &[PartyName]) -> Vec<String> {
    parties.iter().map(PartyName::to_string).collect()
}

// ---------------------------------------------------------------------------
// Parties

/// Body of `PUT /v1/parties/{name}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutPartyDto {
    /// Must equal the path if given.
    #[serde(default)]
    pub name: Option<String>,
    /// How people call it.
    pub display_name: String,
    /// Where its events are POSTed.
    #[serde(default)]
    pub webhook_url: Option<String>,
}

/// Body of `PUT /v1/parties/{name}/webhook`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookDto {
    /// Where the party's events are POSTed; `null` removes the webhook.
    pub webhook_url: Option<String>,
}

/// A party as anyone may see it: never its webhook URL.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PartyDto {
    /// Its name (the token `sub`).
    pub name: String,
    /// How people call it.
    pub display_name: String,
    /// Whether it has a webhook.
    pub webhook: bool,
    /// Last change (RFC 3339).
    pub updated_at: String,
}

impl From<&Party> for PartyDto {
    fn from(p: &Party) -> Self {
        Self {
            name: p.name.to_string(),
            display_name: p.display_name.clone(),
            webhook: p.webhook_url.is_some(),
            updated_at: format_time(p.updated_at),
        }
    }
}

/// `GET /v1/parties` answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PartiesDto {
    /// The registry.
    pub parties: Vec<PartyDto>,
}

// ---------------------------------------------------------------------------
// Lines

/// Acknowledgement deadlines per priority in seconds; `null`: none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AckDeadlinesDto {
    /// Routine messages (default `null`).
    #[serde(default)]
    pub routine: Option<i64>,
    /// Urgent messages (default 300).
    #[serde(default = "urgent_s")]
    pub urgent: Option<i64>,
    /// Flash messages (default 60).
    #[serde(default = "flash_s")]
    pub flash: Option<i64>,
}

#[allow(clippy::unnecessary_wraps)] // a serde default of an Option field
fn urgent_s() -> Option<i64> {
    AckDeadlines::default().urgent
}

#[allow(clippy::unnecessary_wraps)] // a serde default of an Option field
fn flash_s() -> Option<i64> {
    AckDeadlines::default().flash
}

impl Default for AckDeadlinesDto {
    fn default() -> Self {
        AckDeadlines::default().into()
    }
}

impl From<AckDeadlines> for AckDeadlinesDto {
    fn from(d: AckDeadlines) -> Self {
        Self { routine: d.routine, urgent: d.urgent, flash: d.flash }
    }
}

/// The rules of a line (every field has a default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyDto {
    /// Least advance notice of an operation (default 3600); less is `late`.
    #[serde(default = "min_notice_s")]
    pub min_notice_s: i64,
    /// Acknowledgement deadlines per priority.
    #[serde(default)]
    pub ack_deadline_s: AckDeadlinesDto,
    /// Seconds between communication checks (default 3600).
    #[serde(default = "liveness_interval_s")]
    pub liveness_interval_s: i64,
    /// Seconds each party has to acknowledge a check (default 300; less than the interval).
    #[serde(default = "liveness_deadline_s")]
    pub liveness_deadline_s: i64,
}

fn min_notice_s() -> i64 {
    Policy::default().min_notice_s
}
fn liveness_interval_s() -> i64 {
    Policy::default().liveness_interval_s
}
fn liveness_deadline_s() -> i64 {
    Policy::default().liveness_deadline_s
}

impl Default for PolicyDto {
    fn default() -> Self {
        Policy::default().into()
    }
}

impl From<Policy> for PolicyDto {
    fn from(p: Policy) -> Self {
        Self {
            min_notice_s: p.min_notice_s,
            ack_deadline_s: p.ack_deadline_s.into(),
            liveness_interval_s: p.liveness_interval_s,
            liveness_deadline_s: p.liveness_deadline_s,
        }
    }
}

impl From<PolicyDto> for Policy {
    fn from(p: PolicyDto) -> Self {
        let d = p.ack_deadline_s;
        Self {
            min_notice_s: p.min_notice_s,
            ack_deadline_s: AckDeadlines { routine: d.routine, urgent: d.urgent, flash: d.flash },
            liveness_interval_s: p.liveness_interval_s,
            liveness_deadline_s: p.liveness_deadline_s,
        }
    }
}

/// Body of `PUT /v1/lines/{id}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutLineDto {
    /// Human name.
    pub name: String,
    /// At least two registered parties.
    pub parties: Vec<String>,
    /// Rules (every field has a default).
    #[serde(default)]
    pub policy: PolicyDto,
}

/// Body of suspend and resume.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WhyDto {
    /// The reason.
    #[serde(default)]
    pub why: Option<String>,
}

/// Whether a line may be used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LineStateDto {
    /// In service.
    Active,
    /// Taken out of service by a party on it.
    Suspended {
        /// Who.
        by: String,
        /// When (RFC 3339).
        at: String,
        /// Why.
        why: String,
    },
    /// A communication check failed; the next passed check revives it.
    Dead {
        /// Since when (RFC 3339).
        since: String,
        /// The check that failed.
        failed_check: String,
    },
}

impl From<&LineState> for LineStateDto {
    fn from(s: &LineState) -> Self {
        match s {
            LineState::Active => LineStateDto::Active,
            LineState::Suspended { by, at, why } => {
                LineStateDto::Suspended { by: by.to_string(), at: format_time(*at), why: why.clone() }
            }
            LineState::Dead { since, failed_check } => {
                LineStateDto::Dead { since: format_time(*since), failed_check: failed_check.to_string() }
            }
        }
    }
}

wire_enum! {
    /// What showed that a party was alive.
    HeartbeatSourceDto <=> HeartbeatSource {
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
}

/// A party's last sign of life on a line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HeartbeatDto {
    /// The line.
    pub line_id: String,
    /// The party.
    pub party: String,
    /// When (RFC 3339).
    pub at: String,
    /// What showed it.
    pub via: HeartbeatSourceDto,
}

impl From<&Heartbeat> for HeartbeatDto {
    fn from(h: &Heartbeat) -> Self {
        Self {
            line_id: h.line_id.to_string(),
            party: h.party.to_string(),
            at: format_time(h.at),
            via: h.via.into(),
        }
    }
}

/// A line with its parties' last heartbeats.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LineDto {
    /// Chosen by the operator.
    pub id: String,
    /// Human name.
    pub name: String,
    /// The parties on it, sorted.
    pub parties: Vec<String>,
    /// Whether it may be used.
    pub state: LineStateDto,
    /// Its rules.
    pub policy: PolicyDto,
    /// Creation (RFC 3339).
    pub created_at: String,
    /// Last change (RFC 3339).
    pub updated_at: String,
    /// When the next communication check starts (`null` while suspended).
    pub next_check: Option<String>,
    /// Each party's last sign of life.
    pub heartbeats: Vec<HeartbeatDto>,
}

impl From<&LineView> for LineDto {
    fn from(v: &LineView) -> Self {
        let l = &v.line;
        Self {
            id: l.id.to_string(),
            name: l.name.clone(),
            parties: names(&l.parties),
            state: (&l.state).into(),
            policy: l.policy.into(),
            created_at: format_time(l.created_at),
            updated_at: format_time(l.updated_at),
            next_check: l.next_check.map(format_time),
            heartbeats: v.heartbeats.iter().map(HeartbeatDto::from).collect(),
        }
    }
}

/// `GET /v1/lines` answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LinesDto {
    /// The lines.
    pub lines: Vec<LineDto>,
}

// ---------------------------------------------------------------------------
// Checks

wire_enum! {
    /// The result of a communication check.
    CheckResultDto <=> CheckResult {
        /// Waiting for acknowledgements.
        Open,
        /// Every party acknowledged in time.
        Passed,
        /// Someone did not.
        Failed,
    }
}

/// A communication check of a line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CheckDto {
    /// Its id.
    pub id: String,
    /// The line.
    pub line_id: String,
    /// The `comm_check` message every party acknowledges.
    pub message_id: String,
    /// An exercise: a failure does not mark the line dead.
    pub exercise: bool,
    /// Start (RFC 3339).
    pub started_at: String,
    /// Every party must acknowledge by then (RFC 3339).
    pub deadline: String,
    /// Who must acknowledge.
    pub parties: Vec<String>,
    /// Who acknowledged, when (RFC 3339).
    pub acks: BTreeMap<String, String>,
    /// Outcome.
    pub result: CheckResultDto,
    /// Who failed to acknowledge.
    pub failed: Vec<String>,
    /// When the outcome was decided (RFC 3339; `null` while open).
    pub finished_at: Option<String>,
}

impl From<&Check> for CheckDto {
    fn from(c: &Check) -> Self {
        Self {
            id: c.id.to_string(),
            line_id: c.line_id.to_string(),
            message_id: c.message_id.to_string(),
            exercise: c.exercise,
            started_at: format_time(c.started_at),
            deadline: format_time(c.deadline),
            parties: names(&c.parties),
            acks: c.acks.iter().map(|(p, t)| (p.to_string(), format_time(*t))).collect(),
            result: c.result.into(),
            failed: names(&c.failed),
            finished_at: c.finished_at.map(format_time),
        }
    }
}

/// `GET /v1/lines/{id}/checks` answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ChecksDto {
    /// The checks, newest first.
    pub checks: Vec<CheckDto>,
    /// More exist: pass this as `cursor` for the next page (absent on the last page).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

// ---------------------------------------------------------------------------
// Notices

/// Optional body of a notice acknowledgement.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoticeAckDto {
    /// The person who acknowledges.
    #[serde(default)]
    pub operator: Option<String>,
}

/// Advance notice of an operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NoticeDto {
    /// The operational intent.
    pub intent_id: String,
    /// The line the notice went over (the one with the strictest policy).
    pub line_id: String,
    /// The intent's manager.
    pub giver: String,
    /// Who was told.
    pub recipient: String,
    /// When the intent was filed (RFC 3339).
    pub filed_at: String,
    /// When the operation starts (RFC 3339).
    pub time_start: String,
    /// When the recipient was told (RFC 3339; at once, so = `filed_at`).
    pub notified_at: String,
    /// The line's minimum notice then, in seconds.
    pub min_notice_s: i64,
    /// Less notice than the minimum.
    pub late: bool,
    /// When the recipient acknowledged it (RFC 3339).
    pub acked_at: Option<String>,
    /// Who acknowledged it.
    pub acked_by_operator: Option<String>,
}

impl From<&Notice> for NoticeDto {
    fn from(n: &Notice) -> Self {
        Self {
            intent_id: n.intent_id.to_string(),
            line_id: n.line_id.to_string(),
            giver: n.giver.to_string(),
            recipient: n.recipient.to_string(),
            filed_at: format_time(n.filed_at),
            time_start: format_time(n.time_start),
            notified_at: format_time(n.notified_at),
            min_notice_s: n.min_notice_s,
            late: n.late,
            acked_at: n.acked_at.map(format_time),
            acked_by_operator: n.acked_by_operator.clone(),
        }
    }
}

/// `GET /v1/notices` answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NoticesDto {
    /// Notices of other parties' operations, newest first.
    pub received: Vec<NoticeDto>,
    /// Notices of the caller's own operations, newest first.
    pub given: Vec<NoticeDto>,
}
