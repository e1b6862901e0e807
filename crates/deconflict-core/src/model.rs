//! The strategic entities: operational intents, constraints, subscriptions and USS
//! availability, as the engine and the stores see them (not as HTTP shows them).

use geom::{Box4, Time, TimeWindow, Volume4D};

use crate::ids::{EntityId, Ovn, PartyName, SubscriptionId, UssBaseUrl};

/// F3548 `OperationalIntentState`. `Ended` is not a state: it is a deletion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IntentState {
    /// Planned, deconflicted, not yet flying.
    Accepted,
    /// Flying as planned.
    Activated,
    /// Flying outside its volumes (set by conformance monitoring).
    Nonconforming,
    /// Flying outside its volumes and not expected to return.
    Contingent,
}

impl IntentState {
    /// All states, in F3548 order.
    pub const ALL: [IntentState; 4] =
        [IntentState::Accepted, IntentState::Activated, IntentState::Nonconforming, IntentState::Contingent];

    /// The F3548 spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            IntentState::Accepted => "Accepted",
            IntentState::Activated => "Activated",
            IntentState::Nonconforming => "Nonconforming",
            IntentState::Contingent => "Contingent",
        }
    }

    /// Parses the F3548 spelling.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Whether an intent in this state must be acknowledged in the key of
    /// others, and whether writing this state needs a key: true for Accepted
    /// and Activated, false for the off-nominal states.
    pub fn requires_key(self) -> bool {
        matches!(self, IntentState::Accepted | IntentState::Activated)
    }

    /// Nonconforming and Contingent may only be set by a conformance monitor.
    pub fn is_off_nominal(self) -> bool {
        !self.requires_key()
    }
}

/// F3548 `UssAvailabilityState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Availability {
    /// Nobody has said (the default).
    #[default]
    Unknown,
    /// Operating normally.
    Normal,
    /// Declared down by an arbitrator.
    Down,
}

impl Availability {
    /// The F3548 spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Availability::Unknown => "Unknown",
            Availability::Normal => "Normal",
            Availability::Down => "Down",
        }
    }

    /// Parses the F3548 spelling.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// Parses the F3548 spelling in any letter case, as the InterUSS DSS
    /// accepts what a client sends (`down`, `NORMAL`).
    pub fn parse_any_case(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str().eq_ignore_ascii_case(s))
    }

    const ALL: [Self; 3] = [Availability::Unknown, Availability::Normal, Availability::Down];
}

/// Stored availability of one USS, with its opaque version.
#[derive(Debug, Clone, PartialEq)]
pub struct AvailabilityRecord {
    /// The USS (a party name).
    pub uss: PartyName,
    /// Its declared availability.
    pub availability: Availability,
    /// Opaque version, changes on every write.
    pub version: String,
}

/// Union of the extents' boxes: the cheap first filter every store can index.
pub fn extents_bbox(extents: &[Volume4D]) -> Box4 {
    let mut it = extents.iter().map(Volume4D::bbox);
    let first = it.next().unwrap_or_else(Box4::everything);
    it.fold(first, |acc, b| acc.union(&b))
}

/// Union of the extents' time windows.
pub fn extents_time(extents: &[Volume4D]) -> TimeWindow {
    let mut it = extents.iter().map(|v| *v.time());
    let first = it.next().unwrap_or_else(TimeWindow::unbounded);
    it.fold(first, |acc, t| acc.union(&t))
}

/// Whether any volume of `a` intersects any volume of `b` exactly.
pub fn extents_intersect(a: &[Volume4D], b: &[Volume4D]) -> bool {
    a.iter().any(|va| b.iter().any(|vb| va.intersects(vb)))
}

/// An operational intent reference (F3548 `OperationalIntentReference`) with the
/// full 4D extents it was filed with.
#[derive(Debug, Clone, PartialEq)]
pub struct OperationalIntent {
    /// Its id, chosen by the party.
    pub id: EntityId,
    /// Who filed it.
    pub party: PartyName,
    /// 1 on creation, +1 on every update.
    pub version: i32,
    /// Current state.
    pub state: IntentState,
    /// Current opaque version token.
    pub ovn: Ovn,
    /// The 4D volumes; at least one.
    pub extents: Vec<Volume4D>,
    /// Where other USSs fetch the details.
    pub uss_base_url: UssBaseUrl,
    /// The subscription that keeps its owner informed; an intent in the
    /// Accepted state may have none.
    pub subscription_id: Option<SubscriptionId>,
    /// When it was first filed.
    pub created_at: Time,
    /// When it was last written.
    pub updated_at: Time,
}

impl OperationalIntent {
    /// Union of its time windows.
    pub fn time(&self) -> TimeWindow {
        extents_time(&self.extents)
    }

    /// Union of its volumes' boxes.
    pub fn bbox(&self) -> Box4 {
        extents_bbox(&self.extents)
    }
}

/// A constraint reference (F3548 `ConstraintReference`).
#[derive(Debug, Clone, PartialEq)]
pub struct Constraint {
    /// Its id, chosen by the party.
    pub id: EntityId,
    /// Who filed it.
    pub party: PartyName,
    /// 1 on creation, +1 on every update.
    pub version: i32,
    /// Current opaque version token.
    pub ovn: Ovn,
    /// The 4D volumes; at least one.
    pub extents: Vec<Volume4D>,
    /// Where other USSs fetch the details.
    pub uss_base_url: UssBaseUrl,
    /// When it was first filed.
    pub created_at: Time,
    /// When it was last written.
    pub updated_at: Time,
}

impl Constraint {
    /// Union of its time windows.
    pub fn time(&self) -> TimeWindow {
        extents_time(&self.extents)
    }

    /// Union of its volumes' boxes.
    pub fn bbox(&self) -> Box4 {
        extents_bbox(&self.extents)
    }
}

/// A subscription to changes in an area (F3548 `Subscription`). Explicit
/// subscriptions have one volume; an implicit one covers the extents of the
/// intents that depend on it.
#[derive(Debug, Clone, PartialEq)]
pub struct Subscription {
    /// Its id, chosen by the party.
    pub id: SubscriptionId,
    /// Who owns it.
    pub party: PartyName,
    /// Opaque version, changes on every write.
    pub version: String,
    /// Incremented every time a change is reported to it.
    pub notification_index: i32,
    /// The watched 4D area.
    pub extents: Vec<Volume4D>,
    /// Where notifications go.
    pub uss_base_url: UssBaseUrl,
    /// Notify on operational intent changes.
    pub notify_for_intents: bool,
    /// Notify on constraint changes.
    pub notify_for_constraints: bool,
    /// Created with an intent, removed with its last dependent intent.
    pub implicit: bool,
    /// When it was last written.
    pub updated_at: Time,
}

impl Subscription {
    /// Union of its time windows.
    pub fn time(&self) -> TimeWindow {
        extents_time(&self.extents)
    }

    /// Union of its volumes' boxes.
    pub fn bbox(&self) -> Box4 {
        extents_bbox(&self.extents)
    }
}

/// How many entities a purge removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PurgeCounts {
    /// Operational intents whose every volume had ended.
    pub intents: u64,
    /// Constraints whose every volume had ended.
    pub constraints: u64,
    /// Subscriptions that had ended, or implicit ones left without dependents.
    pub subscriptions: u64,
}

/// How many live entities a store holds (for metrics).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EntityCounts {
    /// Operational intents.
    pub intents: u64,
    /// Constraints.
    pub constraints: u64,
    /// Subscriptions.
    pub subscriptions: u64,
}
