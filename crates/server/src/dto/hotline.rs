//! Wire types of the hotline (`POST /v1/lines/{id}/messages`, `/v1/inbox`,
//! `/v1/messages/{id}`) and their conversions to and from the typed domain of
//! `deconflict_core::coord`. Times are RFC 3339 (UTC, µs).

use std::collections::BTreeMap;

use axum::http::HeaderMap;
use deconflict_core::coord::{
    Delivery, DeliveryChannel, Message, MessageDraft, MessageId, MessageKind, MessageView, Priority, Refs,
    Template,
};
use serde::{Deserialize, Serialize};

use super::coord::{party_name, wire_enum};
use crate::dto::{Bounds, Volume4dDto, format_time};
use crate::error::ApiError;

wire_enum! {
    /// How quickly a message must be acknowledged (deadlines per the line's policy).
    PriorityDto <=> Priority {
        /// No deadline by default.
        Routine,
        /// 300 s by default.
        Urgent,
        /// 60 s by default.
        Flash,
    }
}

wire_enum! {
    /// What a message is.
    MessageKindDto <=> MessageKind {
        /// Written by a party.
        Message,
        /// A communication check every party must acknowledge.
        CommCheck,
        /// Posted by the service (sender `deconflict`).
        System,
    }
}

wire_enum! {
    /// How a recipient first received a message.
    DeliveryChannelDto <=> DeliveryChannel {
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
}

wire_enum! {
    /// A standard message (its fields: `intent_to_operate` `what`, `when`,
    /// `where`?; `request_to_vacate` `where`, `until`, `reason`?;
    /// `emergency_assistance` `nature`, `position`?).
    TemplateDto <=> Template {
        /// "INTENT TO OPERATE".
        IntentToOperate,
        /// "REQUEST TO VACATE".
        RequestToVacate,
        /// "EMERGENCY ASSISTANCE".
        EmergencyAssistance,
    }
}

/// What a message refers to.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefsDto {
    /// An operational intent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation_id: Option<String>,
    /// A tactical alert.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert_id: Option<String>,
    /// An F3548 `Volume4D`, every bound given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub area: Option<Volume4dDto>,
}

impl RefsDto {
    fn to_refs(&self) -> Result<Refs, ApiError> {
        let area = self.area.as_ref().map(|a| a.to_volume("refs.area", Bounds::Required)).transpose()?;
        Ok(Refs { operation_id: self.operation_id.clone(), alert_id: self.alert_id.clone(), area })
    }
}

impl From<&Refs> for RefsDto {
    fn from(r: &Refs) -> Self {
        Self {
            operation_id: r.operation_id.clone(),
            alert_id: r.alert_id.clone(),
            area: r.area.as_ref().map(Volume4dDto::from_volume),
        }
    }
}

/// Body of `POST /v1/lines/{id}/messages`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendDto {
    /// How quickly it must be acknowledged.
    pub priority: PriorityDto,
    /// The text (at most 4 KiB; with a template, the remarks).
    #[serde(default)]
    pub text: String,
    /// What it is about.
    #[serde(default)]
    pub refs: RefsDto,
    /// A standard template.
    #[serde(default)]
    pub template: Option<TemplateDto>,
    /// The template's fields.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    /// The message this answers (same thread).
    #[serde(default)]
    pub reply_to: Option<String>,
    /// A subset of the other parties on the line.
    #[serde(default)]
    pub to: Option<Vec<String>>,
    /// Retries with the same key return the first message (or use the `Idempotency-Key` header).
    #[serde(default)]
    pub idempotency_key: Option<String>,
}

impl SendDto {
    /// The draft, with the idempotency key of the body or the header (they
    /// must agree when both are given).
    ///
    /// # Errors
    /// 400 naming the field.
    pub fn into_draft(self, headers: &HeaderMap) -> Result<MessageDraft, ApiError> {
        let header_key = match headers.get("idempotency-key") {
            None => None,
            Some(v) => {
                Some(v.to_str().map_err(|_| ApiError::bad("Idempotency-Key header is not ASCII"))?.to_owned())
            }
        };
        let idempotency_key = match (self.idempotency_key, header_key) {
            (Some(b), Some(h)) if b != h => {
                return Err(ApiError::bad("idempotency_key and the Idempotency-Key header differ"));
            }
            (b, h) => b.or(h),
        };
        let reply_to = self
            .reply_to
            .map(|r| MessageId::parse(&r).map_err(|e| ApiError::bad(format!("reply_to: {e}"))))
            .transpose()?;
        let to = self
            .to
            .map(|to| {
                to.iter()
                    .enumerate()
                    .map(|(i, p)| party_name(&format!("to[{i}]"), p))
                    .collect::<Result<_, _>>()
            })
            .transpose()?;
        Ok(MessageDraft {
            priority: self.priority.into(),
            text: self.text,
            refs: self.refs.to_refs()?,
            template: self.template.map(Template::from),
            fields: self.fields,
            reply_to,
            to,
            idempotency_key,
        })
    }
}

/// Body of an acknowledgement.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AckDto {
    /// The person who acknowledges.
    pub operator: String,
}

/// One recipient's copy of a message: delivery, reading, acknowledgement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DeliveryDto {
    /// The message.
    pub message_id: String,
    /// Its line.
    pub line_id: String,
    /// The recipient.
    pub recipient: String,
    /// The sender.
    pub sender: String,
    /// The message's priority.
    pub priority: PriorityDto,
    /// When the recipient first got it (RFC 3339).
    pub delivered_at: Option<String>,
    /// How.
    pub delivered_via: Option<DeliveryChannelDto>,
    /// When the recipient marked it read (RFC 3339).
    pub read_at: Option<String>,
    /// When the recipient acknowledged it (RFC 3339).
    pub acked_at: Option<String>,
    /// The operator who acknowledged it.
    pub acked_by_operator: Option<String>,
    /// The current acknowledgement deadline (RFC 3339), if any.
    pub ack_deadline: Option<String>,
    /// A deadline passed without acknowledgement.
    pub overdue: bool,
    /// How many times it was escalated.
    pub escalations: u32,
    /// Exercise traffic.
    pub exercise: bool,
}

impl From<&Delivery> for DeliveryDto {
    fn from(d: &Delivery) -> Self {
        Self {
            message_id: d.message_id.to_string(),
            line_id: d.line_id.to_string(),
            recipient: d.recipient.to_string(),
            sender: d.sender.to_string(),
            priority: d.priority.into(),
            delivered_at: d.delivered_at.map(format_time),
            delivered_via: d.delivered_via.map(Into::into),
            read_at: d.read_at.map(format_time),
            acked_at: d.acked_at.map(format_time),
            acked_by_operator: d.acked_by_operator.clone(),
            ack_deadline: d.ack_deadline.map(format_time),
            overdue: d.overdue,
            escalations: d.escalations,
            exercise: d.exercise,
        }
    }
}

/// A message with the delivery receipts the caller may see (the sender:
/// every recipient's; a recipient: its own).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MessageDto {
    /// Its id (UUIDv7).
    pub id: String,
    /// The line it was sent on.
    pub line_id: String,
    /// The id of the first message of its thread.
    pub thread_id: String,
    /// The message it answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
    /// What it is.
    pub kind: MessageKindDto,
    /// Who sent it (`deconflict` for the service).
    pub sender: String,
    /// Who it is for.
    pub recipients: Vec<String>,
    /// How quickly it must be acknowledged.
    pub priority: PriorityDto,
    /// The text.
    pub text: String,
    /// What it is about.
    pub refs: RefsDto,
    /// The standard template it was written from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<TemplateDto>,
    /// The template's fields.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, String>,
    /// The sender's idempotency key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
    /// The communication check it belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check_id: Option<String>,
    /// Exercise traffic (test data).
    pub exercise: bool,
    /// Server time of sending (RFC 3339).
    pub sent_at: String,
    /// The receipts the caller may see.
    pub deliveries: Vec<DeliveryDto>,
}

impl MessageDto {
    fn new(m: &Message, deliveries: &[Delivery]) -> Self {
        Self {
            id: m.id.to_string(),
            line_id: m.line_id.to_string(),
            thread_id: m.thread_id.to_string(),
            reply_to: m.reply_to.map(|r| r.to_string()),
            kind: m.kind.into(),
            sender: m.sender.to_string(),
            recipients: m.recipients.iter().map(ToString::to_string).collect(),
            priority: m.priority.into(),
            text: m.text.clone(),
            refs: (&m.refs).into(),
            template: m.template.map(Into::into),
            fields: m.fields.clone(),
            idempotency_key: m.idempotency_key.clone(),
            check_id: m.check_id.map(|c| c.to_string()),
            exercise: m.exercise,
            sent_at: format_time(m.sent_at),
            deliveries: deliveries.iter().map(DeliveryDto::from).collect(),
        }
    }
}

impl From<&MessageView> for MessageDto {
    fn from(v: &MessageView) -> Self {
        MessageDto::new(&v.message, &v.deliveries)
    }
}

/// A list of messages (`GET /v1/inbox`, `GET /v1/lines/{id}/messages`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MessagesDto {
    /// The messages, newest first.
    pub messages: Vec<MessageDto>,
    /// More exist: pass this as `cursor` for the next page (absent on the last page).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl MessagesDto {
    /// The wire form of a page of messages.
    pub fn page(
        page: &deconflict_core::coord::Page<
            deconflict_core::coord::MessageView,
            deconflict_core::coord::MessageId,
        >,
    ) -> Self {
        Self {
            messages: page.items.iter().map(MessageDto::from).collect(),
            next_cursor: page.next.map(|m| m.to_string()),
        }
    }
}
