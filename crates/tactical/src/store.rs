//! [`TrackStore`]: the live picture — latest state per track, a short
//! bounded history, and expiry of stale tracks.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use crate::track::{TrackError, TrackId, TrackState};
use crate::units::Timestamp;

/// Configuration of a [`TrackStore`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StoreConfig {
    /// A track whose latest report is older than this at `expire(now)` is dropped.
    pub max_age: Duration,
    /// How many past states to keep per track, besides the latest (bounded).
    pub history_len: usize,
}

impl Default for StoreConfig {
    /// 20 s expiry (a few missed radar sweeps / ADS-B messages), 10 states of history.
    fn default() -> Self {
        Self { max_age: Duration::from_secs(20), history_len: 10 }
    }
}

/// What [`TrackStore::update`] did with a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateOutcome {
    /// First report of this track.
    Created,
    /// Replaced the latest state; the old one moved into history.
    Updated,
    /// Older than (or as old as) the latest state; ignored.
    Stale,
}

#[derive(Debug, Clone)]
struct Entry {
    latest: TrackState,
    history: VecDeque<TrackState>,
}

/// The current picture: latest state per track, plus up to
/// [`StoreConfig::history_len`] earlier states. Memory is linear in the
/// number of live tracks.
#[derive(Debug, Clone)]
pub struct TrackStore {
    config: StoreConfig,
    tracks: HashMap<TrackId, Entry>,
}

impl TrackStore {
    /// An empty store.
    pub fn new(config: StoreConfig) -> Self {
        Self { config, tracks: HashMap::new() }
    }

    /// Records a report. Reports not newer than the latest one are ignored
    /// ([`UpdateOutcome::Stale`]); invalid ones are rejected.
    pub fn update(&mut self, state: TrackState) -> Result<UpdateOutcome, TrackError> {
        state.validate()?;
        let history_len = self.config.history_len;
        match self.tracks.get_mut(&state.id) {
            None => {
                self.tracks
                    .insert(state.id, Entry { latest: state, history: VecDeque::with_capacity(history_len) });
                Ok(UpdateOutcome::Created)
            }
            Some(e) if state.time <= e.latest.time => Ok(UpdateOutcome::Stale),
            Some(e) => {
                let old = std::mem::replace(&mut e.latest, state);
                if history_len > 0 {
                    if e.history.len() >= history_len {
                        e.history.pop_front();
                    }
                    e.history.push_back(old);
                }
                Ok(UpdateOutcome::Updated)
            }
        }
    }

    /// Drops every track whose latest report is older than `now - max_age`
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
    use crate::track::{PartyId, Position};
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
        }
    }

    #[test]
    fn latest_history_and_expiry() {
        let mut s = TrackStore::new(StoreConfig { max_age: Duration::from_secs(10), history_len: 2 });
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

    #[test]
    fn rejects_invalid() {
        let mut s = TrackStore::new(StoreConfig::default());
        let mut bad = st(1, 0);
        bad.ground_speed = Knots(f64::NAN);
        assert_eq!(s.update(bad), Err(TrackError::GroundSpeed));
        assert!(s.is_empty());
    }
}
