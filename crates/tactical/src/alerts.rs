//! The conflict alert lifecycle, as in short-term conflict alert (STCA)
//! systems: a predicted conflict becomes an alert once it has been seen on
//! [`AlertConfig::confirm_scans`] consecutive scans, is updated while it
//! persists, and ends after [`AlertConfig::clear_scans`] consecutive scans
//! without it (hysteresis: a pair hovering on the boundary does not flap) or
//! at once when one of its tracks expires.
//!
//! [`AlertTracker::update`] is a pure state machine: no clock, no IO.

use std::collections::BTreeSet;

use crate::detect::Conflict;
use crate::lifecycle::{Lifecycle, Step};
use crate::track::{PartyId, TrackId};
use crate::units::Timestamp;

/// Debouncing of conflict alerts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlertConfig {
    /// Consecutive scans a conflict must be predicted on before it alerts (≥ 1).
    pub confirm_scans: u32,
    /// Consecutive scans without the conflict before its alert ends (≥ 1).
    pub clear_scans: u32,
}

impl Default for AlertConfig {
    /// Confirm over 2 scans, clear after 3.
    fn default() -> Self {
        Self { confirm_scans: 2, clear_scans: 3 }
    }
}

/// Identifies an alert for its whole life (unique within one tracker).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AlertId(pub u64);

/// An alert about a pair of tracks.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// Which alert.
    pub id: AlertId,
    /// The latest prediction for the pair (`a < b`).
    pub conflict: Conflict,
    /// Scan time of that prediction.
    pub predicted_at: Timestamp,
    /// The parties owning the two tracks, sorted and deduplicated: who must
    /// be told.
    pub recipients: Vec<PartyId>,
}

impl Alert {
    fn new(id: u64, conflict: Conflict, predicted_at: Timestamp) -> Self {
        let mut recipients = vec![conflict.party_a, conflict.party_b];
        recipients.sort_unstable();
        recipients.dedup();
        Self { id: AlertId(id), conflict, predicted_at, recipients }
    }
}

/// Why an alert ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    /// The conflict was not predicted for `clear_scans` consecutive scans.
    Cleared,
    /// This track of the pair expired.
    TrackExpired(TrackId),
}

/// A change in the alert picture.
#[derive(Debug, Clone, PartialEq)]
pub enum AlertEvent {
    /// A conflict was confirmed.
    New {
        /// Scan time.
        at: Timestamp,
        /// The alert.
        alert: Alert,
    },
    /// A confirmed conflict is still predicted; `alert.conflict` is the latest.
    Ongoing {
        /// Scan time.
        at: Timestamp,
        /// The alert.
        alert: Alert,
    },
    /// The alert is over.
    Ended {
        /// Scan time.
        at: Timestamp,
        /// The alert, with the last prediction seen.
        alert: Alert,
        /// Why.
        reason: EndReason,
    },
}

impl AlertEvent {
    /// The alert concerned.
    pub fn alert(&self) -> &Alert {
        match self {
            AlertEvent::New { alert, .. }
            | AlertEvent::Ongoing { alert, .. }
            | AlertEvent::Ended { alert, .. } => alert,
        }
    }

    /// Who must be told.
    pub fn recipients(&self) -> &[PartyId] {
        &self.alert().recipients
    }
}

/// Tracks conflict alerts across scans.
#[derive(Debug, Clone)]
pub struct AlertTracker {
    life: Lifecycle<(TrackId, TrackId), (Conflict, Timestamp)>,
}

impl AlertTracker {
    /// A tracker with no alerts.
    pub fn new(config: AlertConfig) -> Self {
        Self { life: Lifecycle::new(config.confirm_scans, config.clear_scans) }
    }

    /// Number of active (confirmed, not ended) alerts.
    pub fn active(&self) -> usize {
        self.life.active()
    }

    /// Feeds one scan: the conflicts predicted at `scan_time` (any order;
    /// pass same- and cross-party ones as the server wishes) and the tracks
    /// that expired since the last scan. Returns the events of this scan:
    /// ends by expiry first, then per pair in `(a, b)` order.
    pub fn update<'a, I>(
        &mut self,
        scan_time: Timestamp,
        conflicts: I,
        expired_tracks: &[TrackId],
    ) -> Vec<AlertEvent>
    where
        I: IntoIterator<Item = &'a Conflict>,
    {
        let expired: BTreeSet<TrackId> = expired_tracks.iter().copied().collect();
        let mut events = Vec::new();
        for ((a, b), id, (conflict, predicted_at)) in
            self.life.remove_where(|(a, b)| expired.contains(a) || expired.contains(b))
        {
            let gone = if expired.contains(&a) { a } else { b };
            events.push(AlertEvent::Ended {
                at: scan_time,
                alert: Alert::new(id, conflict, predicted_at),
                reason: EndReason::TrackExpired(gone),
            });
        }
        let mut seen: Vec<((TrackId, TrackId), (Conflict, Timestamp))> = conflicts
            .into_iter()
            .filter(|c| !expired.contains(&c.a) && !expired.contains(&c.b))
            .map(|c| {
                let mut c = *c;
                if c.b < c.a {
                    std::mem::swap(&mut c.a, &mut c.b);
                    std::mem::swap(&mut c.party_a, &mut c.party_b);
                }
                ((c.a, c.b), (c, scan_time))
            })
            .collect();
        seen.sort_by_key(|(k, _)| *k);
        seen.dedup_by_key(|(k, _)| *k);
        for (_, step, (conflict, predicted_at)) in self.life.update(seen) {
            match step {
                Step::New(id) => events
                    .push(AlertEvent::New { at: scan_time, alert: Alert::new(id, conflict, predicted_at) }),
                Step::Ongoing(id) => events.push(AlertEvent::Ongoing {
                    at: scan_time,
                    alert: Alert::new(id, conflict, predicted_at),
                }),
                Step::Ended(id) => events.push(AlertEvent::Ended {
                    at: scan_time,
                    alert: Alert::new(id, conflict, predicted_at),
                    reason: EndReason::Cleared,
                }),
                Step::Pending | Step::Holding(_) => {}
            }
        }
        events
    }
}

impl Default for AlertTracker {
    fn default() -> Self {
        Self::new(AlertConfig::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(a: u64, b: u64, pa: u64, pb: u64, d: f64) -> Conflict {
        Conflict {
            a: TrackId(a),
            b: TrackId(b),
            party_a: PartyId(pa),
            party_b: PartyId(pb),
            t_in_s: 10.0,
            t_out_s: 50.0,
            t_cpa_s: 30.0,
            d_cpa_m: d,
        }
    }

    fn kinds(ev: &[AlertEvent]) -> Vec<&'static str> {
        ev.iter()
            .map(|e| match e {
                AlertEvent::New { .. } => "new",
                AlertEvent::Ongoing { .. } => "ongoing",
                AlertEvent::Ended { reason: EndReason::Cleared, .. } => "cleared",
                AlertEvent::Ended { .. } => "expired",
            })
            .collect()
    }

    #[test]
    fn confirm_update_clear_with_hysteresis() {
        let mut t = AlertTracker::new(AlertConfig { confirm_scans: 2, clear_scans: 2 });
        let s = Timestamp::from_secs;
        assert!(t.update(s(0), &[c(1, 2, 7, 9, 100.0)], &[]).is_empty());
        let ev = t.update(s(4), &[c(1, 2, 7, 9, 90.0)], &[]);
        assert_eq!(kinds(&ev), ["new"]);
        assert_eq!(ev[0].recipients(), &[PartyId(7), PartyId(9)]);
        let ev = t.update(s(8), &[c(1, 2, 7, 9, 80.0)], &[]);
        assert_eq!(kinds(&ev), ["ongoing"]);
        assert_eq!(ev[0].alert().conflict.d_cpa_m, 80.0);
        // Boundary flapping: one miss is held, no event.
        assert!(t.update(s(12), &[], &[]).is_empty());
        assert_eq!(kinds(&t.update(s(16), &[c(1, 2, 7, 9, 70.0)], &[])), ["ongoing"]);
        assert!(t.update(s(20), &[], &[]).is_empty());
        let ev = t.update(s(24), &[], &[]);
        assert_eq!(kinds(&ev), ["cleared"]);
        assert_eq!(ev[0].alert().conflict.d_cpa_m, 70.0);
        assert_eq!(t.active(), 0);
    }

    #[test]
    fn expiry_ends_alerts_and_same_party_has_one_recipient() {
        let mut t = AlertTracker::new(AlertConfig { confirm_scans: 1, clear_scans: 3 });
        let now = Timestamp::from_secs(1);
        // Reversed order is normalised.
        let mut rev = c(3, 4, 5, 5, 10.0);
        std::mem::swap(&mut rev.a, &mut rev.b);
        let ev = t.update(now, &[c(1, 2, 1, 2, 10.0), rev], &[]);
        assert_eq!(kinds(&ev), ["new", "new"]);
        assert_eq!(ev[1].recipients(), &[PartyId(5)]);
        assert_eq!(ev[1].alert().conflict.a, TrackId(3));
        let ev = t.update(now, &[c(1, 2, 1, 2, 10.0), c(3, 4, 5, 5, 10.0)], &[TrackId(4)]);
        assert_eq!(kinds(&ev), ["expired", "ongoing"]);
        match &ev[0] {
            AlertEvent::Ended { reason, .. } => assert_eq!(*reason, EndReason::TrackExpired(TrackId(4))),
            other => panic!("{other:?}"),
        }
        assert_eq!(t.active(), 1);
    }
}
