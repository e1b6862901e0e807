//! Live alerts as the service publishes them, and who may see each one.
//!
//! An [`AlertEvent`] is one change of one alert: raised ([`AlertEvent::New`],
//! also when a cleared encounter resumes with its id), still predicted
//! ([`AlertEvent::Ongoing`]) or over ([`AlertEvent::Ended`]). The active
//! picture is the latest event of each live alert. The server serialises
//! events; it decides nothing about them.
//!
//! **Need-to-know** ([`Alert::visible_to`]): a party sees an alert only when
//! it is one of its recipients — it owns one of the tracks, or (for
//! non-conformance) it manages an operational intent that intersects the one
//! the track should follow. A conflict between two tracks of one party is
//! shown to that party (unless it turned them off) and to nobody else.

use std::sync::Arc;

use geom::Time;
use tactical::conformance::NonConformance;
use tactical::{CpaPoint, PartyId, Severity};
use uuid::Uuid;

/// Which kind of alert, with what is particular to it.
#[derive(Debug, Clone, PartialEq)]
pub enum AlertKind {
    /// A predicted loss of separation between two tracks.
    LossOfSeparation(Los),
    /// A track outside the operational intent it claims to follow.
    NonConformance(Nc),
}

/// What a loss-of-separation alert predicts (seconds from [`Alert::updated`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Los {
    /// Until both minima are infringed (negative: already; infinite: never).
    pub t_in_s: f64,
    /// Until separation is regained (infinite: never within the prediction).
    pub t_out_s: f64,
    /// To the horizontal closest point of approach.
    pub t_cpa_s: f64,
    /// Horizontal distance at the closest point of approach, metres.
    pub d_cpa_m: f64,
    /// Until both minima are infringed, 0 when already lost.
    pub time_to_los_s: f64,
    /// How urgent.
    pub severity: Severity,
    /// Both aircraft at the closest point of approach, in the order of
    /// [`Alert::tracks`] (`None` when a state could not be extrapolated).
    pub cpa: [Option<CpaPoint>; 2],
    /// This encounter was cleared and confirmed again: same id, raised again.
    pub resumed: bool,
}

/// What a non-conformance alert is about.
#[derive(Debug, Clone, PartialEq)]
pub struct Nc {
    /// The operational intent the track claims to follow.
    pub intent: Uuid,
    /// Why it does not conform (another party's intent is `UnknownIntent`).
    pub reason: NonConformance,
}

/// Why an alert ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    /// Separation is no longer predicted to be lost.
    Cleared,
    /// A track stopped reporting.
    TrackExpired,
    /// The track is back inside its intent.
    Conforming,
}

/// Which alert: its kind and number (`los-N`, `nc-N`), stable for its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AlertId {
    /// Loss of separation number N.
    Los(u64),
    /// Non-conformance number N.
    Nc(u64),
}

impl std::fmt::Display for AlertId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AlertId::Los(n) => write!(f, "los-{n}"),
            AlertId::Nc(n) => write!(f, "nc-{n}"),
        }
    }
}

/// One track named in an alert: its owner and the owner's name for it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct TrackRef {
    /// The owner (a token's `sub`, or the party of a source).
    pub party: String,
    /// The owner's name for the track (for receiver feeds, the ICAO address in hex).
    pub id: String,
}

/// An alert as the service publishes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// Which alert.
    pub id: AlertId,
    /// Its kind and particulars.
    pub kind: AlertKind,
    /// The pair (lower internal number first), or the one non-conforming track.
    pub tracks: Vec<TrackRef>,
    /// When it was raised (scan time).
    pub since: Time,
    /// Time of the latest prediction (loss of separation) or scan (non-conformance).
    pub updated: Time,
    /// Who must be told: owners of the tracks, and for non-conformance the
    /// parties of intersecting intents. Sorted.
    pub recipients: Vec<PartyId>,
    /// A loss of separation between two tracks of one party.
    pub same_party: bool,
}

impl Alert {
    /// The need-to-know rule: whether `party` may see this alert. A
    /// same-party conflict is seen by its owner only when `own` (the
    /// owner's setting, or what it asked for).
    pub fn visible_to(&self, party: PartyId, own: bool) -> bool {
        self.recipients.binary_search(&party).is_ok() && (own || !self.same_party)
    }

    /// The loss-of-separation particulars, if it is one.
    pub fn los(&self) -> Option<&Los> {
        match &self.kind {
            AlertKind::LossOfSeparation(l) => Some(l),
            AlertKind::NonConformance(_) => None,
        }
    }
}

/// One change of one alert.
#[derive(Debug, Clone, PartialEq)]
pub enum AlertEvent {
    /// Raised by this scan (or resumed: see [`Los::resumed`]).
    New(Arc<Alert>),
    /// Still there; the alert carries the latest prediction.
    Ongoing(Arc<Alert>),
    /// Over.
    Ended {
        /// The alert as last seen.
        alert: Arc<Alert>,
        /// Why.
        reason: EndReason,
    },
}

impl AlertEvent {
    /// The alert concerned.
    pub fn alert(&self) -> &Arc<Alert> {
        match self {
            AlertEvent::New(a) | AlertEvent::Ongoing(a) | AlertEvent::Ended { alert: a, .. } => a,
        }
    }

    /// Whether the alert is over.
    pub fn is_end(&self) -> bool {
        matches!(self, AlertEvent::Ended { .. })
    }
}

/// The names clients read, each spelled here only.
pub mod names {
    use super::{AlertEvent, AlertKind, EndReason};
    use tactical::Severity;
    use tactical::conformance::NonConformance;

    /// `new`, `ongoing` or `ended`.
    pub fn state(e: &AlertEvent) -> &'static str {
        match e {
            AlertEvent::New(_) => "new",
            AlertEvent::Ongoing(_) => "ongoing",
            AlertEvent::Ended { .. } => "ended",
        }
    }

    /// `loss_of_separation` or `nonconformance`.
    pub fn kind(k: &AlertKind) -> &'static str {
        match k {
            AlertKind::LossOfSeparation(_) => "loss_of_separation",
            AlertKind::NonConformance(_) => "nonconformance",
        }
    }

    /// `cleared`, `track_expired` or `conforming`.
    pub fn end_reason(r: EndReason) -> &'static str {
        match r {
            EndReason::Cleared => "cleared",
            EndReason::TrackExpired => "track_expired",
            EndReason::Conforming => "conforming",
        }
    }

    /// `outside_volumes` or `unknown_intent`.
    pub fn nonconformance(r: NonConformance) -> &'static str {
        match r {
            NonConformance::OutsideVolumes => "outside_volumes",
            NonConformance::UnknownIntent => "unknown_intent",
        }
    }

    /// `predicted`, `imminent` or `lost`.
    pub fn severity(s: Severity) -> &'static str {
        match s {
            Severity::Predicted => "predicted",
            Severity::Imminent => "imminent",
            Severity::Lost => "lost",
        }
    }
}

pub use names::severity as severity_name;

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(recipients: Vec<PartyId>, same_party: bool) -> Alert {
        Alert {
            id: AlertId::Los(1),
            kind: AlertKind::NonConformance(Nc {
                intent: Uuid::nil(),
                reason: NonConformance::UnknownIntent,
            }),
            tracks: Vec::new(),
            since: Time::from_micros(0),
            updated: Time::from_micros(0),
            recipients,
            same_party,
        }
    }

    #[test]
    fn recipients_only_and_own_conflicts_on_the_owners_terms() {
        let cross = alert(vec![PartyId(1), PartyId(2)], false);
        assert!(cross.visible_to(PartyId(1), false) && cross.visible_to(PartyId(2), true));
        assert!(!cross.visible_to(PartyId(3), true), "not a recipient");
        let own = alert(vec![PartyId(1)], true);
        assert!(own.visible_to(PartyId(1), true));
        assert!(!own.visible_to(PartyId(1), false), "turned off");
        assert!(!own.visible_to(PartyId(2), true), "never someone else's");
        assert_eq!(AlertId::Los(4).to_string(), "los-4");
        assert_eq!(AlertId::Nc(9).to_string(), "nc-9");
    }
}
