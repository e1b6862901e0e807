//! [`TrackPicture`]: the live picture — latest state per track, a short
//! bounded history, expiry of stale tracks, and a plausibility gate.
//!
//! **Plausibility.** A report whose position (or altitude) implies a speed
//! above [`PictureConfig::max_speed_kt`] (or a vertical rate above
//! [`PictureConfig::max_vertical_rate_fpm`]) from the track's latest accepted
//! state, beyond the measurement allowances, is *held back*: it does not
//! replace the latest state, so scans keep coasting the last plausible one.
//! The next report decides: consistent with the latest accepted state, the
//! held one was a blip and is dropped; consistent with the held one, the
//! aircraft really is there and that report is accepted; neither, it is held
//! in its turn.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use crate::track::{Position, TrackError, TrackId, TrackState};
use crate::units::{MPS_PER_KT, Timestamp};

fn push_history(history: &mut VecDeque<TrackState>, len: usize, old: TrackState) {
    if len > 0 {
        if history.len() >= len {
            history.pop_front();
        }
        history.push_back(old);
    }
}

/// Configuration of a [`TrackPicture`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PictureConfig {
    /// A track whose latest report is older than this at `expire(now)` is dropped.
    pub max_age: Duration,
    /// How many past states to keep per track, besides the latest (bounded).
    pub history_len: usize,
    /// Largest plausible ground speed between two reports, knots.
    pub max_speed_kt: f64,
    /// Position error allowed on top of `max_speed_kt` travel, metres.
    pub position_allowance_m: f64,
    /// Largest plausible vertical rate between two reports, feet per minute.
    pub max_vertical_rate_fpm: f64,
    /// Altitude error allowed on top of `max_vertical_rate_fpm` travel, feet.
    pub altitude_allowance_ft: f64,
}

impl Default for PictureConfig {
    /// 20 s expiry (a few missed radar sweeps / ADS-B messages), 10 states of
    /// history; reports implying more than 2,000 kt (about Mach 3 at
    /// altitude, above any aircraft in service) beyond a 1 NM position
    /// allowance, or more than 30,000 ft/min beyond a 500 ft altitude
    /// allowance, are held back.
    fn default() -> Self {
        Self {
            max_age: Duration::from_secs(20),
            history_len: 10,
            max_speed_kt: 2_000.0,
            position_allowance_m: 1_852.0,
            max_vertical_rate_fpm: 30_000.0,
            altitude_allowance_ft: 500.0,
        }
    }
}

impl PictureConfig {
    /// Whether `next` is a plausible successor of `prev`.
    pub fn plausible(&self, prev: &TrackState, next: &TrackState) -> bool {
        let dt = next.time.secs_since(prev.time).abs();
        let d = surface_distance_m(prev.position, next.position);
        let reach = self.max_speed_kt * MPS_PER_KT * dt + self.position_allowance_m;
        let dz = (next.altitude.feet - prev.altitude.feet).abs();
        let climb = self.max_vertical_rate_fpm / 60.0 * dt + self.altitude_allowance_ft;
        let comparable = prev.altitude.reference == next.altitude.reference;
        d <= reach && (!comparable || dz <= climb)
    }
}

/// Great-circle distance on a sphere of the mean earth radius, metres
/// (accurate to 0.5%, plenty for a plausibility gate).
fn surface_distance_m(a: Position, b: Position) -> f64 {
    const R: f64 = 6_371_008.8;
    let (la1, la2) = (a.lat_deg().to_radians(), b.lat_deg().to_radians());
    let dla = la2 - la1;
    let dlo = (b.lon_deg() - a.lon_deg()).to_radians();
    let h = (dla * 0.5).sin().powi(2) + la1.cos() * la2.cos() * (dlo * 0.5).sin().powi(2);
    2.0 * R * h.sqrt().min(1.0).asin()
}

/// What [`TrackPicture::update`] did with a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateOutcome {
    /// First report of this track.
    Created,
    /// Replaced the latest state; the old one moved into history.
    Updated,
    /// Older than (or as old as) the latest state; ignored.
    Stale,
    /// Implausibly far from the latest state: held back, not used by scans
    /// until a following report confirms it (see the module docs).
    HeldBack,
}

#[derive(Debug, Clone)]
struct Entry {
    latest: TrackState,
    history: VecDeque<TrackState>,
    /// The last held-back report, if the latest report was one.
    suspect: Option<TrackState>,
}

/// The current picture: latest state per track, plus up to
/// [`PictureConfig::history_len`] earlier states. Memory is linear in the
/// number of live tracks.
#[derive(Debug, Clone)]
pub struct TrackPicture {
    config: PictureConfig,
    tracks: HashMap<TrackId, Entry>,
}

impl TrackPicture {
    /// An empty picture.
    pub fn new(config: PictureConfig) -> Self {
        Self { config, tracks: HashMap::new() }
    }

    /// Records a report. Reports not newer than the latest one are ignored
    /// ([`UpdateOutcome::Stale`]); implausible jumps are held back
    /// ([`UpdateOutcome::HeldBack`]); invalid ones are rejected.
    ///
    /// # Errors
    /// The first invalid field ([`TrackState::validate`]).
    pub fn update(&mut self, state: TrackState) -> Result<UpdateOutcome, TrackError> {
        state.validate()?;
        let history_len = self.config.history_len;
        let config = self.config;
        match self.tracks.get_mut(&state.id) {
            None => {
                self.tracks.insert(
                    state.id,
                    Entry { latest: state, history: VecDeque::with_capacity(history_len), suspect: None },
                );
                Ok(UpdateOutcome::Created)
            }
            Some(e) if state.time <= e.latest.time => Ok(UpdateOutcome::Stale),
            Some(e) if e.suspect.is_some_and(|s| state.time <= s.time) => Ok(UpdateOutcome::Stale),
            Some(e) => {
                let confirmed = e.suspect.take().filter(|s| config.plausible(s, &state));
                if confirmed.is_none() && !config.plausible(&e.latest, &state) {
                    e.suspect = Some(state);
                    return Ok(UpdateOutcome::HeldBack);
                }
                if let Some(s) = confirmed {
                    // The jump was real: the held report joins the history.
                    push_history(&mut e.history, history_len, std::mem::replace(&mut e.latest, s));
                }
                let old = std::mem::replace(&mut e.latest, state);
                push_history(&mut e.history, history_len, old);
                Ok(UpdateOutcome::Updated)
            }
        }
    }

    /// The held-back report of a track, if its latest report was implausible.
    pub fn held_back(&self, id: TrackId) -> Option<&TrackState> {
        self.tracks.get(&id).and_then(|e| e.suspect.as_ref())
    }

    /// Drops every track whose latest accepted report is older than `now - max_age`
    /// and returns their last states, sorted by id.
    pub fn expire(&mut self, now: Timestamp) -> Vec<TrackState> {
        let cutoff = now.saturating_sub(self.config.max_age);
        let mut gone = Vec::new();
        self.tracks.retain(|_, e| {
            let keep = e.latest.time >= cutoff;
            if !keep {
                gone.push(e.latest);
            }
            keep
        });
        gone.sort_by_key(|s| s.id);
        gone
    }

    /// Removes one track, returning its latest state.
    pub fn remove(&mut self, id: TrackId) -> Option<TrackState> {
        self.tracks.remove(&id).map(|e| e.latest)
    }

    /// The latest state of a track.
    pub fn get(&self, id: TrackId) -> Option<&TrackState> {
        self.tracks.get(&id).map(|e| &e.latest)
    }

    /// Earlier states of a track, oldest first (excluding the latest).
    pub fn history(&self, id: TrackId) -> impl Iterator<Item = &TrackState> {
        self.tracks.get(&id).into_iter().flat_map(|e| e.history.iter())
    }

    /// Number of live tracks.
    pub fn len(&self) -> usize {
        self.tracks.len()
    }

    /// Whether there are no live tracks.
    pub fn is_empty(&self) -> bool {
        self.tracks.is_empty()
    }

    /// The latest state of every track, sorted by id (the input of a scan).
    pub fn snapshot(&self) -> Vec<TrackState> {
        let mut v: Vec<TrackState> = self.tracks.values().map(|e| e.latest).collect();
        v.sort_by_key(|s| s.id);
        v
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::track::PartyId;
    use crate::units::{Altitude, DegreesTrue, FeetPerMinute, Knots};

    fn st(id: u64, t: i64) -> TrackState {
        TrackState {
            id: TrackId(id),
            party: PartyId(1),
            time: Timestamp::from_secs(t),
            position: Position::new(50.0, 5.0).unwrap(),
            altitude: Altitude::pressure_ft(30_000.0),
            ground_speed: Knots(400.0),
            track_angle: DegreesTrue(90.0),
            vertical_rate: FeetPerMinute(0.0),
            intent: None,
            callsign: None,
            on_ground: false,
        }
    }

    #[test]
    fn latest_history_and_expiry() {
        let mut s = TrackPicture::new(PictureConfig {
            max_age: Duration::from_secs(10),
            history_len: 2,
            ..Default::default()
        });
        assert_eq!(s.update(st(1, 0)).unwrap(), UpdateOutcome::Created);
        for t in 1..=4 {
            assert_eq!(s.update(st(1, t)).unwrap(), UpdateOutcome::Updated);
        }
        assert_eq!(s.update(st(1, 3)).unwrap(), UpdateOutcome::Stale);
        assert_eq!(s.get(TrackId(1)).unwrap().time, Timestamp::from_secs(4));
        let h: Vec<i64> = s.history(TrackId(1)).map(|x| x.time.as_micros() / 1_000_000).collect();
        assert_eq!(h, vec![2, 3]);
        s.update(st(2, 10)).unwrap();
        assert!(s.expire(Timestamp::from_secs(14)).is_empty());
        let gone = s.expire(Timestamp::from_secs(15));
        assert_eq!(gone.len(), 1);
        assert_eq!(gone[0].id, TrackId(1));
        assert_eq!(s.len(), 1);
        assert_eq!(s.snapshot()[0].id, TrackId(2));
    }

    fn at(id: u64, t: i64, lat: f64, lon: f64) -> TrackState {
        TrackState { position: Position::new(lat, lon).unwrap(), ..st(id, t) }
    }

    #[test]
    fn blips_are_held_back_and_real_jumps_accepted() {
        let mut s = TrackPicture::new(PictureConfig::default());
        assert_eq!(s.update(at(1, 0, 50.0, 5.0)).unwrap(), UpdateOutcome::Created);
        // 10 s later, 0.5° (55 km) north: 10,700 kt. Held back.
        assert_eq!(s.update(at(1, 10, 50.5, 5.0)).unwrap(), UpdateOutcome::HeldBack);
        assert_eq!(s.get(TrackId(1)).unwrap().time, Timestamp::from_secs(0));
        assert!(s.held_back(TrackId(1)).is_some());
        // Back where it should be: the blip is dropped.
        assert_eq!(s.update(at(1, 20, 50.01, 5.0)).unwrap(), UpdateOutcome::Updated);
        assert!(s.held_back(TrackId(1)).is_none());
        assert_eq!(s.get(TrackId(1)).unwrap().position.lat_deg(), 50.01);
        // A real relocation (e.g. a new reference): two consistent reports.
        assert_eq!(s.update(at(1, 30, 40.0, 5.0)).unwrap(), UpdateOutcome::HeldBack);
        assert_eq!(s.update(at(1, 40, 40.01, 5.0)).unwrap(), UpdateOutcome::Updated);
        assert_eq!(s.get(TrackId(1)).unwrap().position.lat_deg(), 40.01);
        assert_eq!(s.history(TrackId(1)).last().unwrap().position.lat_deg(), 40.0);
        // Altitude glitch: 20,000 ft in 4 s.
        let mut up = at(1, 44, 40.01, 5.0);
        up.altitude.feet = 50_000.0;
        assert_eq!(s.update(up).unwrap(), UpdateOutcome::HeldBack);
        // 400 kt for 4 s is fine.
        let ok = at(1, 48, 40.02, 5.0);
        assert_eq!(s.update(ok).unwrap(), UpdateOutcome::Updated);
        assert_eq!(s.snapshot()[0].altitude.feet, 30_000.0);
    }

    #[test]
    fn rejects_invalid() {
        let mut s = TrackPicture::new(PictureConfig::default());
        let mut bad = st(1, 0);
        bad.ground_speed = Knots(f64::NAN);
        assert_eq!(s.update(bad), Err(TrackError::GroundSpeed));
        assert!(s.is_empty());
    }
}
