//! The conflict alert lifecycle, as in short-term conflict alert (STCA)
//! systems, counted in **seconds of track time** (the report times of the
//! two tracks), never in scans: rescanning the same reports adds no evidence.
//!
//! - **Eligibility.** A pair is considered only when both tracks are
//!   airborne: not flagged on the ground ([`TrackState::on_ground`]) and not
//!   below [`AlertConfig::floor_ft`]. Implausible jumps never get this far:
//!   the [`TrackPicture`](crate::TrackPicture) holds them back.
//! - **Confirmation.** A predicted conflict is *pending* until, for **each**
//!   of its two tracks, a report at least [`AlertConfig::confirm_s`] newer
//!   than the first report that predicted it still predicts it. So it needs
//!   two distinct reports of each aircraft: a one-report blip of either is
//!   never confirmed, however often it is rescanned. A pending conflict not
//!   predicted on a scan is forgotten.
//! - **Coasting.** A confirmed alert stays while its tracks are live: missed
//!   reports do not advance track time, so they never end it.
//! - **Clearing.** It ends ([`EndReason::Cleared`]) once the newest report
//!   of either track is [`AlertConfig::clear_s`] newer than the newest one
//!   on which it was still predicted; or at once when a track expires.
//! - **One alert per encounter.** A pair confirmed again within
//!   [`AlertConfig::rejoin_s`] of track time after it was cleared continues
//!   the same alert ([`AlertEvent::Resumed`], same [`AlertId`]).
//!
//! Every alert carries both aircraft's predicted positions at the closest
//! point of approach, the time to loss of separation and a [`Severity`].
//!
//! [`AlertTracker::update`] is a pure state machine: no clock, no IO.

use std::collections::{BTreeMap, BTreeSet};

use crate::detect::{Conflict, predict};
use crate::track::{PartyId, Position, TrackId, TrackState};
use crate::units::{Altitude, Timestamp};

/// Settings of the conflict alert lifecycle. Times are seconds of track
/// time (report times), see the module docs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AlertConfig {
    /// Each track must still predict the conflict on a report at least this
    /// much newer than its first predicting report (> 0; a distinct report
    /// is always needed, whatever the value).
    pub confirm_s: f64,
    /// Track time without the prediction before an alert ends.
    pub clear_s: f64,
    /// A re-detection this soon after clearing continues the same alert.
    pub rejoin_s: f64,
    /// Loss of separation within this time is [`Severity::Imminent`].
    pub imminent_s: f64,
    /// Tracks below this altitude (feet, as reported) are never alerted.
    pub floor_ft: f64,
}

impl AlertConfig {
    /// En-route settings. From published STCA practice (EUROCONTROL STCA
    /// specification and guidance; ICAO surveillance update rates):
    /// - `confirm_s` 4 s: one update of the fastest (4 s) terminal radar, so
    ///   confirmation takes two distinct reports of each aircraft, and at
    ///   least 4 s of consistent data at ADS-B's 1–2 Hz;
    /// - `clear_s` 20 s: two updates of an en-route radar (8–12 s rotation),
    ///   so one missed or noisy report never ends an alert;
    /// - `imminent_s` 120 s: the about-2-minute warning time STCA is tuned to.
    ///
    /// Chosen here (no published figure): `rejoin_s` 60 s, re-detections
    /// within a minute being the same encounter; `floor_ft` 1,000 ft, one
    /// vertical minimum, below which pairs are ground or take-off/landing
    /// traffic that aerodrome control separates.
    pub fn en_route() -> Self {
        Self { confirm_s: 4.0, clear_s: 20.0, rejoin_s: 60.0, imminent_s: 120.0, floor_ft: 1_000.0 }
    }

    /// Small drones: same timing as [`AlertConfig::en_route`], scaled look
    /// (`imminent_s` 30 s for a 60 s look-ahead), no altitude floor (only
    /// the ground flag counts: drones fly low).
    pub fn drone() -> Self {
        Self { imminent_s: 30.0, floor_ft: f64::NEG_INFINITY, ..Self::en_route() }
    }

    /// Whether a track may be alerted on.
    pub fn eligible(&self, s: &TrackState) -> bool {
        !s.on_ground && s.altitude.feet >= self.floor_ft
    }
}

impl Default for AlertConfig {
    /// [`AlertConfig::en_route`].
    fn default() -> Self {
        Self::en_route()
    }
}

/// Identifies an alert for its whole life (unique within one tracker).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AlertId(pub u64);

/// How urgent an alert is (ordered: `Predicted < Imminent < Lost`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Loss of separation predicted later than [`AlertConfig::imminent_s`].
    Predicted,
    /// Loss of separation within [`AlertConfig::imminent_s`].
    Imminent,
    /// Separation is already lost.
    Lost,
}

/// Where one aircraft is predicted to be at the closest point of approach.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CpaPoint {
    /// Position.
    pub position: Position,
    /// Altitude (same reference as the report).
    pub altitude: Altitude,
}

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
    /// Track `a` at the closest point of approach (at `predicted_at` +
    /// `max(t_cpa_s, 0)`); `None` when the track was not given.
    pub cpa_a: Option<CpaPoint>,
    /// Track `b` at the same instant.
    pub cpa_b: Option<CpaPoint>,
    /// Seconds from `predicted_at` until both minima are infringed (0 when
    /// already lost).
    pub time_to_los_s: f64,
    /// How urgent.
    pub severity: Severity,
}

/// Why an alert ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    /// Not predicted for [`AlertConfig::clear_s`] of track time.
    Cleared,
    /// This track of the pair expired.
    TrackExpired(TrackId),
}

/// A change in the alert picture.
#[derive(Debug, Clone, PartialEq)]
pub enum AlertEvent {
    /// A conflict was confirmed: a new encounter.
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
    /// A cleared alert confirmed again within [`AlertConfig::rejoin_s`]:
    /// the same encounter, the same id.
    Resumed {
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
            | AlertEvent::Resumed { alert, .. }
            | AlertEvent::Ended { alert, .. } => alert,
        }
    }

    /// Who must be told.
    pub fn recipients(&self) -> &[PartyId] {
        &self.alert().recipients
    }
}

type Pair = (TrackId, TrackId);

#[derive(Debug, Clone)]
enum Phase {
    /// Report times of `a` and `b` at the first prediction.
    Pending { first: (Timestamp, Timestamp) },
    /// Newest report time of the pair at the latest prediction.
    Active { id: u64, last_seen: Timestamp },
}

#[derive(Debug, Clone)]
struct PairState {
    phase: Phase,
    alert: Alert,
}

/// Tracks conflict alerts across scans.
#[derive(Debug, Clone)]
pub struct AlertTracker {
    config: AlertConfig,
    next_id: u64,
    pairs: BTreeMap<Pair, PairState>,
    /// Cleared alerts that may still resume: id and newest report time at clearing.
    cleared: BTreeMap<Pair, (u64, Timestamp)>,
}

/// The states of the tracks given to a scan, looked up by id.
struct Lookup<'a> {
    sorted: std::borrow::Cow<'a, [TrackState]>,
}

impl<'a> Lookup<'a> {
    fn new(tracks: &'a [TrackState]) -> Self {
        if tracks.is_sorted_by_key(|s| s.id) {
            Self { sorted: std::borrow::Cow::Borrowed(tracks) }
        } else {
            let mut v = tracks.to_vec();
            v.sort_by_key(|s| s.id);
            Self { sorted: std::borrow::Cow::Owned(v) }
        }
    }

    fn get(&self, id: TrackId) -> Option<&TrackState> {
        self.sorted.binary_search_by_key(&id, |s| s.id).ok().map(|i| &self.sorted[i])
    }
}

impl AlertTracker {
    /// A tracker with no alerts.
    pub fn new(config: AlertConfig) -> Self {
        Self { config, next_id: 1, pairs: BTreeMap::new(), cleared: BTreeMap::new() }
    }

    /// The settings.
    pub fn config(&self) -> &AlertConfig {
        &self.config
    }

    /// Number of active (confirmed, not ended) alerts.
    pub fn active(&self) -> usize {
        self.pairs.values().filter(|p| matches!(p.phase, Phase::Active { .. })).count()
    }

    /// Feeds one scan: the conflicts predicted at `scan_time` (any order;
    /// pass same- and cross-party ones as the server wishes), the track
    /// states that scan used (any order; sorted by id is fastest, as
    /// [`TrackPicture::snapshot`](crate::TrackPicture::snapshot) gives them) and
    /// the tracks that expired since the last scan. A conflict whose tracks
    /// are not among `tracks` is ignored. Returns the events of this scan:
    /// ends by expiry first, then per pair in `(a, b)` order.
    pub fn update<'a, I>(
        &mut self,
        scan_time: Timestamp,
        conflicts: I,
        tracks: &[TrackState],
        expired_tracks: &[TrackId],
    ) -> Vec<AlertEvent>
    where
        I: IntoIterator<Item = &'a Conflict>,
    {
        let cfg = self.config;
        let expired: BTreeSet<TrackId> = expired_tracks.iter().copied().collect();
        let lookup = Lookup::new(tracks);
        let mut events = Vec::new();

        // Expiry ends alerts at once.
        let gone: Vec<Pair> =
            self.pairs.keys().filter(|(a, b)| expired.contains(a) || expired.contains(b)).copied().collect();
        for (a, b) in gone {
            if let Some(PairState { phase: Phase::Active { .. }, alert }) = self.pairs.remove(&(a, b)) {
                let which = if expired.contains(&a) { a } else { b };
                events.push(AlertEvent::Ended {
                    at: scan_time,
                    alert,
                    reason: EndReason::TrackExpired(which),
                });
            }
        }
        self.cleared.retain(|(a, b), _| !expired.contains(a) && !expired.contains(b));

        // This scan's eligible predictions, one per pair.
        let mut seen: BTreeMap<Pair, (Conflict, &TrackState, &TrackState)> = BTreeMap::new();
        for c in conflicts {
            let mut c = *c;
            if c.b < c.a {
                std::mem::swap(&mut c.a, &mut c.b);
                std::mem::swap(&mut c.party_a, &mut c.party_b);
            }
            if expired.contains(&c.a) || expired.contains(&c.b) {
                continue;
            }
            let (Some(sa), Some(sb)) = (lookup.get(c.a), lookup.get(c.b)) else { continue };
            if cfg.eligible(sa) && cfg.eligible(sb) {
                seen.entry((c.a, c.b)).or_insert((c, sa, sb));
            }
        }

        let mut out: BTreeMap<Pair, AlertEvent> = BTreeMap::new();
        for (pair, (c, sa, sb)) in seen.iter() {
            let newest = sa.time.max(sb.time);
            let alert = self.make_alert(0, c, scan_time, sa, sb);
            match self.pairs.get_mut(pair) {
                None => {
                    self.pairs.insert(
                        *pair,
                        PairState { phase: Phase::Pending { first: (sa.time, sb.time) }, alert },
                    );
                }
                Some(st) => match st.phase {
                    Phase::Active { id, .. } => {
                        st.phase = Phase::Active { id, last_seen: newest };
                        st.alert = Alert { id: AlertId(id), ..alert };
                        out.insert(*pair, AlertEvent::Ongoing { at: scan_time, alert: st.alert.clone() });
                    }
                    Phase::Pending { first } => {
                        let held = |t: Timestamp, t0: Timestamp| t > t0 && t.secs_since(t0) >= cfg.confirm_s;
                        if !(held(sa.time, first.0) && held(sb.time, first.1)) {
                            st.alert = alert;
                            continue;
                        }
                        let resumed = self
                            .cleared
                            .remove(pair)
                            .filter(|(_, at)| newest.secs_since(*at) <= cfg.rejoin_s)
                            .map(|(id, _)| id);
                        let id = resumed.unwrap_or_else(|| {
                            self.next_id += 1;
                            self.next_id - 1
                        });
                        st.phase = Phase::Active { id, last_seen: newest };
                        st.alert = Alert { id: AlertId(id), ..alert };
                        let alert = st.alert.clone();
                        out.insert(
                            *pair,
                            if resumed.is_some() {
                                AlertEvent::Resumed { at: scan_time, alert }
                            } else {
                                AlertEvent::New { at: scan_time, alert }
                            },
                        );
                    }
                },
            }
        }

        // Pairs not predicted now: pending ones are forgotten, active ones
        // clear after `clear_s` of newer reports.
        let mut ended = Vec::new();
        self.pairs.retain(|pair, st| {
            if seen.contains_key(pair) {
                return true;
            }
            match st.phase {
                Phase::Pending { .. } => false,
                Phase::Active { id, last_seen } => {
                    let newest = [pair.0, pair.1]
                        .iter()
                        .filter_map(|t| lookup.get(*t).map(|s| s.time))
                        .max()
                        .unwrap_or(last_seen);
                    if newest.secs_since(last_seen) >= cfg.clear_s {
                        ended.push((*pair, id, newest, st.alert.clone()));
                        false
                    } else {
                        true
                    }
                }
            }
        });
        for (pair, id, newest, alert) in ended {
            self.cleared.insert(pair, (id, newest));
            out.insert(pair, AlertEvent::Ended { at: scan_time, alert, reason: EndReason::Cleared });
        }
        // Forget cleared alerts too old to resume.
        self.cleared.retain(|(a, b), (_, at)| {
            let newest = [*a, *b].iter().filter_map(|t| lookup.get(*t).map(|s| s.time)).max();
            newest.is_none_or(|n| n.secs_since(*at) <= cfg.rejoin_s)
        });
        events.extend(out.into_values());
        events
    }

    fn make_alert(&self, id: u64, c: &Conflict, at: Timestamp, sa: &TrackState, sb: &TrackState) -> Alert {
        let mut recipients = vec![c.party_a, c.party_b];
        recipients.sort_unstable();
        recipients.dedup();
        let t_cpa = c.t_cpa_s.max(0.0);
        let cpa = |s: &TrackState| {
            predict(s, at, t_cpa).map(|(position, altitude)| CpaPoint { position, altitude })
        };
        let time_to_los_s = c.t_in_s.max(0.0);
        let severity = if c.t_in_s <= 0.0 {
            Severity::Lost
        } else if c.t_in_s <= self.config.imminent_s {
            Severity::Imminent
        } else {
            Severity::Predicted
        };
        Alert {
            id: AlertId(id),
            conflict: *c,
            predicted_at: at,
            recipients,
            cpa_a: cpa(sa),
            cpa_b: cpa(sb),
            time_to_los_s,
            severity,
        }
    }
}

impl Default for AlertTracker {
    fn default() -> Self {
        Self::new(AlertConfig::default())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::units::{DegreesTrue, FeetPerMinute, Knots};

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

    fn st(id: u64, party: u64, t: i64) -> TrackState {
        TrackState {
            id: TrackId(id),
            party: PartyId(party),
            time: Timestamp::from_secs(t),
            position: Position::new(50.0, 5.0).unwrap(),
            altitude: Altitude::pressure_ft(30_000.0),
            ground_speed: Knots(360.0),
            track_angle: DegreesTrue(90.0),
            vertical_rate: FeetPerMinute(0.0),
            intent: None,
            callsign: None,
            on_ground: false,
        }
    }

    fn kinds(ev: &[AlertEvent]) -> Vec<&'static str> {
        ev.iter()
            .map(|e| match e {
                AlertEvent::New { .. } => "new",
                AlertEvent::Ongoing { .. } => "ongoing",
                AlertEvent::Resumed { .. } => "resumed",
                AlertEvent::Ended { reason: EndReason::Cleared, .. } => "cleared",
                AlertEvent::Ended { .. } => "expired",
            })
            .collect()
    }

    /// The tracker over tracks 1 (party 7) and 2 (party 9), one scan at a
    /// time: each step gives the scan's second, whether the pair is predicted
    /// in conflict, and the second of each track's last report.
    struct Pair(AlertTracker);

    impl Pair {
        fn new() -> Self {
            Self(AlertTracker::default())
        }

        fn scan(&mut self, at: i64, in_conflict: bool, reports: (i64, i64)) -> Vec<AlertEvent> {
            let conflict: &[Conflict] = if in_conflict { &[CONFLICT] } else { &[] };
            let tracks = [st(1, 7, reports.0), st(2, 9, reports.1)];
            self.0.update(Timestamp::from_secs(at), conflict, &tracks, &[])
        }

        /// A scan whose tracks were both last reported at `at`.
        fn fresh(&mut self, at: i64, in_conflict: bool) -> Vec<AlertEvent> {
            self.scan(at, in_conflict, (at, at))
        }
    }

    const CONFLICT: Conflict = Conflict {
        a: TrackId(1),
        b: TrackId(2),
        party_a: PartyId(7),
        party_b: PartyId(9),
        t_in_s: 10.0,
        t_out_s: 50.0,
        t_cpa_s: 30.0,
        d_cpa_m: 100.0,
    };

    #[test]
    fn rescanning_the_same_reports_never_confirms() {
        let mut t = Pair::new();
        for s in 0..100 {
            assert!(t.scan(s, true, (0, 0)).is_empty());
        }
        assert_eq!(t.0.active(), 0);
    }

    #[test]
    fn confirm_needs_each_track_reported_again() {
        let mut t = Pair::new();
        assert!(t.fresh(0, true).is_empty());
        // Only track 2 reported again: not yet.
        assert!(t.scan(5, true, (0, 5)).is_empty());
        // Track 1 too, but only 2 s later: under `confirm_s`.
        assert!(t.scan(6, true, (2, 6)).is_empty());
        let ev = t.scan(8, true, (4, 6));
        assert_eq!(kinds(&ev), ["new"]);
        let a = ev[0].alert();
        assert_eq!(a.recipients, [PartyId(7), PartyId(9)]);
        assert_eq!((a.time_to_los_s, a.severity), (10.0, Severity::Imminent));
        // CPA 30 s after the scan: 360 kt east for 30 s (track 1's report is
        // 4 s old, so 34 s of travel: 6.3 km, 0.0876° of longitude at 50°N).
        let p = a.cpa_a.unwrap().position;
        assert!((p.lon_deg() - 5.0 - 0.0876).abs() < 0.001, "{p:?}");
        assert!((p.lat_deg() - 50.0).abs() < 0.001);
    }

    #[test]
    fn coasts_through_missed_reports_and_clears_in_track_time() {
        let mut t = Pair::new();
        t.fresh(0, true);
        assert_eq!(kinds(&t.fresh(10, true)), ["new"]);
        // No prediction, no new reports for 50 s of scans (missed reports):
        // the alert is held, silently.
        for k in 11..60 {
            assert!(t.scan(k, false, (10, 10)).is_empty());
        }
        assert_eq!(t.0.active(), 1);
        // One new report without the conflict: 10 s of track time, held.
        assert!(t.scan(60, false, (20, 10)).is_empty());
        // The conflict again: ongoing, and the clock restarts.
        assert_eq!(kinds(&t.scan(61, true, (21, 21))), ["ongoing"]);
        assert!(t.scan(70, false, (31, 21)).is_empty());
        assert_eq!(kinds(&t.scan(80, false, (41, 21))), ["cleared"]);
        assert_eq!(t.0.active(), 0);
    }

    #[test]
    fn a_redetection_soon_after_clearing_is_the_same_encounter() {
        let mut t = Pair::new();
        t.fresh(0, true);
        let id = t.fresh(10, true)[0].alert().id;
        assert_eq!(kinds(&t.fresh(30, false)), ["cleared"]);
        // Back 20 s later: pending again, then resumed under the same id.
        assert!(t.fresh(50, true).is_empty());
        let ev = t.fresh(60, true);
        assert_eq!(kinds(&ev), ["resumed"]);
        assert_eq!(ev[0].alert().id, id);
        // Cleared again, back after more than `rejoin_s`: a new encounter.
        assert_eq!(kinds(&t.fresh(80, false)), ["cleared"]);
        t.fresh(200, true);
        let ev = t.fresh(210, true);
        assert_eq!(kinds(&ev), ["new"]);
        assert_ne!(ev[0].alert().id, id);
    }

    #[test]
    fn ground_and_low_traffic_never_alerts() {
        let mut t = AlertTracker::default();
        let s = Timestamp::from_secs;
        let conflict = [c(1, 2, 7, 9, 10.0)];
        for k in 0..5 {
            let mut a = st(1, 7, k * 10);
            a.on_ground = true;
            let mut low = st(2, 9, k * 10);
            low.altitude.feet = 800.0;
            assert!(t.update(s(k * 10), &conflict, &[a, st(2, 9, k * 10)], &[]).is_empty());
            assert!(t.update(s(k * 10 + 1), &conflict, &[st(1, 7, k * 10), low], &[]).is_empty());
        }
        // The drone profile has no floor.
        let mut t = AlertTracker::new(AlertConfig::drone());
        let low = |k| TrackState { altitude: Altitude::pressure_ft(200.0), ..st(2, 9, k) };
        t.update(s(0), &conflict, &[low(0), TrackState { id: TrackId(1), ..low(0) }], &[]);
        let ev = t.update(s(5), &conflict, &[low(5), TrackState { id: TrackId(1), ..low(5) }], &[]);
        assert_eq!(kinds(&ev), ["new"]);
    }

    #[test]
    fn expiry_ends_alerts_and_same_party_has_one_recipient() {
        let mut t = AlertTracker::default();
        let s = Timestamp::from_secs;
        // Reversed order is normalised.
        let mut rev = c(3, 4, 5, 5, 10.0);
        std::mem::swap(&mut rev.a, &mut rev.b);
        let all = |k| [st(1, 1, k), st(2, 2, k), st(3, 5, k), st(4, 5, k)];
        t.update(s(0), &[c(1, 2, 1, 2, 10.0), rev], &all(0), &[]);
        let ev = t.update(s(5), &[c(1, 2, 1, 2, 10.0), rev], &all(5), &[]);
        assert_eq!(kinds(&ev), ["new", "new"]);
        assert_eq!(ev[1].recipients(), &[PartyId(5)]);
        assert_eq!(ev[1].alert().conflict.a, TrackId(3));
        let ev = t.update(s(6), &[c(1, 2, 1, 2, 10.0), c(3, 4, 5, 5, 10.0)], &all(6), &[TrackId(4)]);
        assert_eq!(kinds(&ev), ["expired", "ongoing"]);
        match &ev[0] {
            AlertEvent::Ended { reason, .. } => assert_eq!(*reason, EndReason::TrackExpired(TrackId(4))),
            other => panic!("{other:?}"),
        }
        assert_eq!(t.active(), 1);
    }
}
