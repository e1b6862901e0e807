//! Conformance monitoring: is a track inside the operational intent it
//! claims to follow?
//!
//! A track linked to an intent ([`TrackState::intent`]) conforms when, at
//! its report time, its position and altitude are inside at least one of the
//! intent's 4-D volumes, with a horizontal and a vertical tolerance. The
//! library only decides; which parties besides the track's owner are told
//! is the server's business.
//!
//! **Altitude reference assumption.** Intent volumes are in metres above the
//! WGS84 ellipsoid. A track's altitude is converted from feet to metres
//! (× 0.3048) and compared as is: geometric altitudes are taken to be
//! heights above the ellipsoid; barometric (pressure) altitudes are used
//! without QNH or geoid correction, which may be off by tens to hundreds of
//! metres — choose [`ConformanceConfig::tolerance_v_m`] accordingly, or feed
//! geometric altitudes.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::BuildHasher;

use geom::{LatLng, Time, Volume4D};

use crate::alerts::AlertId;
use crate::lifecycle::{Lifecycle, Step};
use crate::track::{OperationKey, PartyId, TrackId, TrackState};
use crate::units::Timestamp;

/// Where the intents' volumes come from.
pub trait IntentVolumes {
    /// The volumes of an operational intent; `None` when unknown.
    fn volumes(&self, key: &OperationKey) -> Option<&[Volume4D]>;
}

impl<S: BuildHasher> IntentVolumes for HashMap<OperationKey, Vec<Volume4D>, S> {
    fn volumes(&self, key: &OperationKey) -> Option<&[Volume4D]> {
        self.get(key).map(Vec::as_slice)
    }
}

impl IntentVolumes for BTreeMap<OperationKey, Vec<Volume4D>> {
    fn volumes(&self, key: &OperationKey) -> Option<&[Volume4D]> {
        self.get(key).map(Vec::as_slice)
    }
}

/// Tolerances and debouncing of conformance alerts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConformanceConfig {
    /// Horizontal tolerance, metres.
    pub tolerance_h_m: f64,
    /// Vertical tolerance, metres.
    pub tolerance_v_m: f64,
    /// Consecutive non-conforming updates before an alert (≥ 1).
    pub confirm_updates: u32,
    /// Consecutive conforming updates before the alert ends (≥ 1).
    pub clear_updates: u32,
}

impl Default for ConformanceConfig {
    /// 30 m / 15 m tolerance, alert on the 2nd update, end after 3.
    fn default() -> Self {
        Self { tolerance_h_m: 30.0, tolerance_v_m: 15.0, confirm_updates: 2, clear_updates: 3 }
    }
}

/// Why a track does not conform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonConformance {
    /// Outside every volume of its intent (within the tolerances).
    OutsideVolumes,
    /// Its intent is not known to the caller (treated as having no volume).
    UnknownIntent,
}

/// Whether `state` conforms to `volumes` (see the module docs).
pub fn conforms(state: &TrackState, volumes: &[Volume4D], config: &ConformanceConfig) -> bool {
    let Ok(p) = LatLng::new(state.position.lat_deg(), state.position.lon_deg()) else {
        return false;
    };
    let alt_m = state.altitude.to_metres();
    let t = Time::from_micros(state.time.as_micros());
    volumes.iter().any(|v| v.contains(p, alt_m, t, config.tolerance_h_m, config.tolerance_v_m))
}

/// A non-conformance alert.
#[derive(Debug, Clone, PartialEq)]
pub struct ConformanceAlert {
    /// Which alert (numbered apart from conflict alerts).
    pub id: AlertId,
    /// The latest state of the track.
    pub state: TrackState,
    /// The intent it should follow.
    pub intent: OperationKey,
    /// Why it does not conform (as of the latest non-conforming update).
    pub reason: NonConformance,
}

impl ConformanceAlert {
    /// The track's owner (the first recipient).
    pub fn owner(&self) -> PartyId {
        self.state.party
    }
}

/// Why a conformance alert ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConformanceEnd {
    /// Conforming (or no longer linked to an intent) for `clear_updates` updates.
    Conforming,
    /// The track expired.
    TrackExpired,
}

/// A change in the conformance picture.
#[derive(Debug, Clone, PartialEq)]
pub enum ConformanceEvent {
    /// A track was confirmed non-conforming.
    New {
        /// Update time.
        at: Timestamp,
        /// The alert.
        alert: ConformanceAlert,
    },
    /// The alert is over.
    Ended {
        /// Update time.
        at: Timestamp,
        /// The alert, as last seen.
        alert: ConformanceAlert,
        /// Why.
        reason: ConformanceEnd,
    },
}

/// Tracks non-conformance alerts across updates.
#[derive(Debug, Clone)]
pub struct ConformanceMonitor {
    config: ConformanceConfig,
    life: Lifecycle<TrackId, (TrackState, OperationKey, NonConformance)>,
}

impl ConformanceMonitor {
    /// A monitor with no alerts.
    pub fn new(config: ConformanceConfig) -> Self {
        Self { config, life: Lifecycle::new(config.confirm_updates, config.clear_updates) }
    }

    /// Number of active alerts.
    pub fn active(&self) -> usize {
        self.life.active()
    }

    /// One update at `now`: `tracks` must be every live track (a track
    /// missing from it counts as conforming), `expired` the tracks that
    /// expired since the last update. Returns events, expiries first, then
    /// by track id.
    pub fn update(
        &mut self,
        now: Timestamp,
        tracks: &[TrackState],
        intents: &impl IntentVolumes,
        expired: &[TrackId],
    ) -> Vec<ConformanceEvent> {
        let expired: BTreeSet<TrackId> = expired.iter().copied().collect();
        let mut events = Vec::new();
        for (_, id, (state, intent, reason)) in self.life.remove_where(|t| expired.contains(t)) {
            events.push(ConformanceEvent::Ended {
                at: now,
                alert: ConformanceAlert { id: AlertId(id), state, intent, reason },
                reason: ConformanceEnd::TrackExpired,
            });
        }
        let mut seen = Vec::new();
        for s in tracks {
            let Some(intent) = s.intent else { continue };
            if expired.contains(&s.id) {
                continue;
            }
            let reason = match intents.volumes(&intent) {
                None => NonConformance::UnknownIntent,
                Some(v) if conforms(s, v, &self.config) => continue,
                Some(_) => NonConformance::OutsideVolumes,
            };
            seen.push((s.id, (*s, intent, reason)));
        }
        seen.sort_by_key(|(id, _)| *id);
        seen.dedup_by_key(|(id, _)| *id);
        for (_, step, (state, intent, reason)) in self.life.update(seen) {
            let alert = |id| ConformanceAlert { id: AlertId(id), state, intent, reason };
            match step {
                Step::New(id) => events.push(ConformanceEvent::New { at: now, alert: alert(id) }),
                Step::Ended(id) => events.push(ConformanceEvent::Ended {
                    at: now,
                    alert: alert(id),
                    reason: ConformanceEnd::Conforming,
                }),
                Step::Pending | Step::Ongoing(_) | Step::Holding(_) => {}
            }
        }
        events
    }
}

impl Default for ConformanceMonitor {
    fn default() -> Self {
        Self::new(ConformanceConfig::default())
    }
}
