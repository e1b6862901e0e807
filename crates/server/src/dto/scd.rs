//! F3548 strategic-coordination bodies: operational intent and constraint
//! references, subscriptions, availability, reports; and their mapping from
//! the engine's types. OVNs of other managers are never shown.

use deconflict_core::engine::{
    ChangeConstraint, ChangeIntent, ConstraintView, IntentView, PutSubscriptionResult, SubscriberToNotify,
    SubscriptionView,
};
use deconflict_core::model::AvailabilityRecord;
use deconflict_core::{PartyName, SubscriptionId};
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

use super::geometry::{TimeDto, Volume4dDto};

/// The placeholder F3548 shows instead of another manager's OVN.
pub const HIDDEN_OVN: &str = "Available from USS";
/// The id F3548 shows for an intent that has no subscription.
pub const NULL_SUBSCRIPTION: &str = "00000000-0000-4000-8000-000000000000";

/// Body of `PUT /dss/v1/operational_intent_references/{id}[/{ovn}]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PutIntentDto {
    /// At least one volume.
    pub extents: Vec<Volume4dDto>,
    /// OVNs of the entities the caller has seen.
    #[serde(default)]
    pub key: Vec<String>,
    /// Requested state.
    pub state: String,
    /// Where others fetch the details.
    pub uss_base_url: String,
    /// An existing subscription.
    #[serde(default)]
    pub subscription_id: Option<String>,
    /// Or a new implicit one.
    #[serde(default)]
    pub new_subscription: Option<ImplicitSubscriptionDto>,
    /// InterUSS extension: UUIDv7 suffix for the new OVN.
    #[serde(default)]
    pub requested_ovn_suffix: Option<String>,
    /// Legacy (pre-F3548-21 interface), still sent by InterUSS's tests:
    /// accepted and ignored (the OVN is in the path).
    #[serde(default, rename = "old_version")]
    pub legacy_old_version: Option<IgnoredAny>,
}

/// F3548 `ImplicitSubscriptionParameters`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImplicitSubscriptionDto {
    /// Where notifications go.
    pub uss_base_url: String,
    /// Whether constraint changes are wanted too.
    #[serde(default)]
    pub notify_for_constraints: bool,
}

/// F3548 `OperationalIntentReference`.
#[derive(Debug, Clone, Serialize)]
pub struct IntentRefDto {
    id: String,
    manager: String,
    uss_availability: &'static str,
    version: i32,
    state: &'static str,
    ovn: String,
    time_start: TimeDto,
    time_end: TimeDto,
    uss_base_url: String,
    subscription_id: String,
}

impl IntentRefDto {
    /// The wire form as `viewer` may see it: another manager's OVN is hidden.
    pub fn new(view: &IntentView, viewer: &PartyName) -> Self {
        let oi = &view.intent;
        let time = oi.time();
        Self {
            id: oi.id.to_string(),
            manager: oi.party.to_string(),
            uss_availability: view.uss_availability.as_str(),
            version: oi.version,
            state: oi.state.as_str(),
            ovn: if &oi.party == viewer { oi.ovn.to_string() } else { HIDDEN_OVN.into() },
            time_start: TimeDto::from_time(time.start()),
            time_end: TimeDto::from_time(time.end()),
            uss_base_url: oi.uss_base_url.to_string(),
            subscription_id: oi
                .subscription_id
                .map_or_else(|| NULL_SUBSCRIPTION.to_owned(), |s| s.to_string()),
        }
    }
}

/// F3548 `ConstraintReference`.
#[derive(Debug, Clone, Serialize)]
pub struct ConstraintRefDto {
    id: String,
    manager: String,
    uss_availability: &'static str,
    version: i32,
    ovn: String,
    time_start: TimeDto,
    time_end: TimeDto,
    uss_base_url: String,
}

impl ConstraintRefDto {
    /// The wire form as `viewer` may see it.
    pub fn new(view: &ConstraintView, viewer: &PartyName) -> Self {
        let c = &view.constraint;
        let time = c.time();
        Self {
            id: c.id.to_string(),
            manager: c.party.to_string(),
            uss_availability: view.uss_availability.as_str(),
            version: c.version,
            ovn: if &c.party == viewer { c.ovn.to_string() } else { HIDDEN_OVN.into() },
            time_start: TimeDto::from_time(time.start()),
            time_end: TimeDto::from_time(time.end()),
            uss_base_url: c.uss_base_url.to_string(),
        }
    }
}

/// F3548 `SubscriberToNotify`.
#[derive(Debug, Clone, Serialize)]
pub struct SubscriberDto {
    uss_base_url: String,
    subscriptions: Vec<SubscriptionStateDto>,
}

/// F3548 `SubscriptionState`.
#[derive(Debug, Clone, Serialize)]
pub struct SubscriptionStateDto {
    subscription_id: String,
    notification_index: i32,
}

fn subscribers(list: &[SubscriberToNotify]) -> Vec<SubscriberDto> {
    list.iter()
        .map(|s| SubscriberDto {
            uss_base_url: s.uss_base_url.to_string(),
            subscriptions: s
                .subscriptions
                .iter()
                .map(|(id, idx)| SubscriptionStateDto {
                    subscription_id: id.to_string(),
                    notification_index: *idx,
                })
                .collect(),
        })
        .collect()
}

/// F3548 `ChangeOperationalIntentReferenceResponse`.
#[derive(Debug, Clone, Serialize)]
pub struct ChangeIntentDto {
    subscribers: Vec<SubscriberDto>,
    operational_intent_reference: IntentRefDto,
}

impl ChangeIntentDto {
    /// From the engine's result.
    pub fn new(c: &ChangeIntent, viewer: &PartyName) -> Self {
        Self {
            subscribers: subscribers(&c.subscribers),
            operational_intent_reference: IntentRefDto::new(&c.intent, viewer),
        }
    }
}

/// F3548 `ChangeConstraintReferenceResponse`.
#[derive(Debug, Clone, Serialize)]
pub struct ChangeConstraintDto {
    subscribers: Vec<SubscriberDto>,
    constraint_reference: ConstraintRefDto,
}

impl ChangeConstraintDto {
    /// From the engine's result.
    pub fn new(c: &ChangeConstraint, viewer: &PartyName) -> Self {
        Self {
            subscribers: subscribers(&c.subscribers),
            constraint_reference: ConstraintRefDto::new(&c.constraint, viewer),
        }
    }
}

/// Body of `GET /dss/v1/operational_intent_references/{id}`.
#[derive(Debug, Clone, Serialize)]
pub struct GetIntentDto {
    /// The reference.
    pub operational_intent_reference: IntentRefDto,
}

/// Body of `GET /dss/v1/constraint_references/{id}`.
#[derive(Debug, Clone, Serialize)]
pub struct GetConstraintDto {
    /// The reference.
    pub constraint_reference: ConstraintRefDto,
}

/// Body of the query endpoints: `{ "area_of_interest": Volume4D }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueryDto {
    /// The area; required.
    pub area_of_interest: Option<Volume4dDto>,
}

/// Answer of `POST /dss/v1/operational_intent_references/query`.
#[derive(Debug, Clone, Serialize)]
pub struct QueryIntentsDto {
    /// What intersects the area.
    pub operational_intent_references: Vec<IntentRefDto>,
}

/// Answer of `POST /dss/v1/constraint_references/query`.
#[derive(Debug, Clone, Serialize)]
pub struct QueryConstraintsDto {
    /// What intersects the area.
    pub constraint_references: Vec<ConstraintRefDto>,
}

/// Body of `PUT /dss/v1/constraint_references/{id}[/{ovn}]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PutConstraintDto {
    /// At least one volume.
    pub extents: Vec<Volume4dDto>,
    /// Where others fetch the details.
    pub uss_base_url: String,
    /// Legacy: accepted and ignored (see [`PutIntentDto::legacy_old_version`]).
    #[serde(default, rename = "old_version")]
    pub legacy_old_version: Option<IgnoredAny>,
}

/// Body of `PUT /dss/v1/subscriptions/{id}[/{version}]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PutSubscriptionDto {
    /// Exactly one volume.
    pub extents: Volume4dDto,
    /// Where notifications go.
    pub uss_base_url: String,
    /// Notify on intent changes.
    #[serde(default)]
    pub notify_for_operational_intents: bool,
    /// Notify on constraint changes.
    #[serde(default)]
    pub notify_for_constraints: bool,
    /// Legacy: accepted and ignored (the version is in the path).
    #[serde(default, rename = "old_version")]
    pub legacy_old_version: Option<IgnoredAny>,
    /// Legacy name of `notify_for_operational_intents`, still sent by
    /// InterUSS's tests alongside it: accepted and ignored.
    #[serde(default, rename = "notify_for_operations")]
    pub legacy_notify_for_operations: Option<IgnoredAny>,
}

/// The body some F3548 clients send with a `DELETE`: only legacy fields,
/// accepted and ignored; anything else is refused like any unknown field.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeleteBodyDto {
    /// Legacy: accepted and ignored (the OVN or version is in the path).
    #[serde(default, rename = "old_version")]
    pub legacy_old_version: Option<IgnoredAny>,
}

/// F3548 `Subscription`.
#[derive(Debug, Clone, Serialize)]
pub struct SubscriptionDto {
    id: String,
    version: String,
    notification_index: i32,
    time_start: TimeDto,
    time_end: TimeDto,
    uss_base_url: String,
    notify_for_operational_intents: bool,
    notify_for_constraints: bool,
    implicit_subscription: bool,
    /// Omitted when empty, as the InterUSS DSS does.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    dependent_operational_intents: Vec<String>,
}

impl SubscriptionDto {
    /// From the engine's view.
    pub fn new(v: &SubscriptionView) -> Self {
        let s = &v.subscription;
        let time = s.time();
        Self {
            id: s.id.to_string(),
            version: s.version.clone(),
            notification_index: s.notification_index,
            time_start: TimeDto::from_time(time.start()),
            time_end: TimeDto::from_time(time.end()),
            uss_base_url: s.uss_base_url.to_string(),
            notify_for_operational_intents: s.notify_for_intents,
            notify_for_constraints: s.notify_for_constraints,
            implicit_subscription: s.implicit,
            dependent_operational_intents: v.dependent_intents.iter().map(ToString::to_string).collect(),
        }
    }
}

/// F3548 `PutSubscriptionResponse`.
#[derive(Debug, Clone, Serialize)]
pub struct PutSubscriptionResponseDto {
    subscription: SubscriptionDto,
    /// Omitted when empty, as the InterUSS DSS does (also below).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    operational_intent_references: Vec<IntentRefDto>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    constraint_references: Vec<ConstraintRefDto>,
}

impl PutSubscriptionResponseDto {
    /// From the engine's result.
    pub fn new(r: &PutSubscriptionResult, viewer: &PartyName) -> Self {
        Self {
            subscription: SubscriptionDto::new(&r.subscription),
            operational_intent_references: r.intents.iter().map(|v| IntentRefDto::new(v, viewer)).collect(),
            constraint_references: r.constraints.iter().map(|c| ConstraintRefDto::new(c, viewer)).collect(),
        }
    }
}

/// `{ "subscription": Subscription }` (get and delete).
#[derive(Debug, Clone, Serialize)]
pub struct GetSubscriptionDto {
    /// The subscription.
    pub subscription: SubscriptionDto,
}

/// Answer of `POST /dss/v1/subscriptions/query`.
#[derive(Debug, Clone, Serialize)]
pub struct QuerySubscriptionsDto {
    /// The caller's own subscriptions in the area.
    pub subscriptions: Vec<SubscriptionDto>,
}

/// Body of `PUT /dss/v1/uss_availability/{uss_id}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetAvailabilityDto {
    /// Current version; "" or absent for the first write (absent as the
    /// InterUSS DSS allows).
    #[serde(default)]
    pub old_version: String,
    /// `Unknown`, `Normal` or `Down`, in any case (as the InterUSS DSS matches).
    pub availability: String,
}

/// F3548 `UssAvailabilityStatusResponse`.
#[derive(Debug, Clone, Serialize)]
pub struct AvailabilityDto {
    version: String,
    status: AvailabilityStatusDto,
}

#[derive(Debug, Clone, Serialize)]
struct AvailabilityStatusDto {
    uss: String,
    availability: &'static str,
}

impl AvailabilityDto {
    /// From the stored record.
    pub fn new(r: &AvailabilityRecord) -> Self {
        Self {
            version: r.version.clone(),
            status: AvailabilityStatusDto { uss: r.uss.to_string(), availability: r.availability.as_str() },
        }
    }
}

/// F3548 `AirspaceConflictResponse` (the 409 body when the key is short).
#[derive(Debug, Clone, Serialize)]
pub struct AirspaceConflictDto {
    /// What is wrong.
    pub message: String,
    /// Intersecting intents missing from the key (omitted when none, as
    /// the InterUSS DSS does; also below).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing_operational_intents: Vec<IntentRefDto>,
    /// Intersecting constraints missing from the key.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing_constraints: Vec<ConstraintRefDto>,
}

/// Parses an optional subscription id field.
///
/// # Errors
/// 400 naming the field.
pub fn parse_subscription_id(s: &str, field: &str) -> Result<SubscriptionId, crate::error::ApiError> {
    SubscriptionId::parse(s).map_err(|e| crate::error::ApiError::bad(format!("{field}: {e}")))
}
