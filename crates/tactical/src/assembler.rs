//! Merges partial SBS-1 messages per ICAO address into [`TrackState`]s.
//!
//! Position (MSG 2/3), velocity (MSG 2/4), altitude (MSG 2/3/5/6/7) and
//! callsign (MSG 1) arrive separately. Once an aircraft has a position, an
//! altitude and a velocity, every kinematic message yields an update. The
//! state's `time` is the receive time of the latest position (passed in by
//! the caller; the generated-time text of the feed is not trusted).
//! Altitudes are barometric ([`AltitudeRef::Pressure`]); a missing vertical
//! rate counts as level; the on-ground flag is kept.
//!
//! **Position-only feeds.** Some feeds send `MSG,3` positions and never a
//! `MSG,4` velocity (or lose it). Without a fresh reported velocity, the
//! velocity is estimated from the last two positions at least
//! [`AssemblerConfig::min_estimate_interval`] apart (great-circle ground
//! speed and initial bearing; vertical rate from the altitude change), so a
//! track appears from the second position. What stopped a message from
//! yielding a state is returned by [`SbsAssembler::ingest_explained`] and
//! counted in [`SbsAssembler::stats`].

use std::time::Duration;

use crate::heard::Heard;
use crate::sbs::{Icao, SbsMessage};
use crate::track::{Callsign, PartyId, Position, TrackId, TrackState};
use crate::units::{Altitude, AltitudeRef, DegreesTrue, FeetPerMinute, Knots, MPS_PER_KT, Timestamp};

/// Configuration of an [`SbsAssembler`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AssemblerConfig {
    /// Owner given to every track of this feed.
    pub party: PartyId,
    /// Partial data older than this is not merged, and aircraft silent for
    /// longer are forgotten by [`SbsAssembler::expire`].
    pub max_age: Duration,
    /// Shortest time between the two positions a velocity is estimated from.
    pub min_estimate_interval: Duration,
}

impl Default for AssemblerConfig {
    /// Party 0, 20 s, velocity estimated over at least 2 s.
    fn default() -> Self {
        Self {
            party: PartyId(0),
            max_age: Duration::from_secs(20),
            min_estimate_interval: Duration::from_secs(2),
        }
    }
}

/// Why a message yielded no state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Incomplete {
    /// The message carries no position, altitude or velocity (e.g. MSG 1).
    NotKinematic,
    /// No fresh position yet.
    NoPosition,
    /// No fresh altitude yet.
    NoAltitude,
    /// No fresh velocity, and not two positions to estimate one from yet.
    NoVelocity,
    /// The merged state is implausible ([`TrackState::validate`]).
    Invalid,
}

impl Incomplete {
    /// The metric label.
    pub fn label(&self) -> &'static str {
        match self {
            Incomplete::NotKinematic => "not_kinematic",
            Incomplete::NoPosition => "no_position",
            Incomplete::NoAltitude => "no_altitude",
            Incomplete::NoVelocity => "no_velocity",
            Incomplete::Invalid => "invalid",
        }
    }
}

/// Counts of what the assembler made of messages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AssemblerStats {
    /// States emitted.
    pub states: u64,
    /// Of which with a velocity estimated from positions.
    pub estimated_velocity: u64,
    /// Messages waiting for a position.
    pub no_position: u64,
    /// Messages waiting for an altitude.
    pub no_altitude: u64,
    /// Messages waiting for a velocity.
    pub no_velocity: u64,
    /// Merged states rejected as implausible.
    pub invalid: u64,
}

#[derive(Debug, Clone, Copy, Default)]
struct Partial {
    callsign: Option<Callsign>,
    position: Option<(Position, Timestamp)>,
    /// The position before `position`, with its altitude: the start of an
    /// estimated velocity.
    previous: Option<(Position, Option<f64>, Timestamp)>,
    altitude: Option<(f64, Timestamp)>,
    on_ground: Option<bool>,
    velocity: Option<(f64, f64, Timestamp)>,
    vertical_rate: Option<(f64, Timestamp)>,
}

/// The per-aircraft merge state of one SBS-1 feed.
#[derive(Debug, Clone, Default)]
pub struct SbsAssembler {
    config: AssemblerConfig,
    aircraft: Heard<Icao, Partial>,
    stats: AssemblerStats,
}

/// Great-circle distance (metres, mean earth radius) and initial bearing
/// (degrees true) from `a` to `b`.
fn distance_bearing(a: Position, b: Position) -> (f64, f64) {
    const R: f64 = 6_371_008.8;
    let (p1, p2) = (a.lat_deg().to_radians(), b.lat_deg().to_radians());
    let dl = (b.lon_deg() - a.lon_deg()).to_radians();
    let h = ((p2 - p1) * 0.5).sin().powi(2) + p1.cos() * p2.cos() * (dl * 0.5).sin().powi(2);
    let d = 2.0 * R * h.sqrt().min(1.0).asin();
    let y = dl.sin() * p2.cos();
    let x = p1.cos() * p2.sin() - p1.sin() * p2.cos() * dl.cos();
    (d, y.atan2(x).to_degrees().rem_euclid(360.0))
}

/// The track id of an ICAO address.
pub fn track_id(icao: Icao) -> TrackId {
    TrackId(u64::from(icao.0))
}

impl SbsAssembler {
    /// An empty assembler.
    pub fn new(config: AssemblerConfig) -> Self {
        Self { config, aircraft: Heard::default(), stats: AssemblerStats::default() }
    }

    /// Counts so far.
    pub fn stats(&self) -> &AssemblerStats {
        &self.stats
    }

    /// Merges one message received at `now`; returns the aircraft's new
    /// state when it is complete and the message changed its kinematics.
    pub fn ingest(&mut self, msg: &SbsMessage<'_>, now: Timestamp) -> Option<TrackState> {
        self.ingest_explained(msg, now).ok()
    }

    /// [`SbsAssembler::ingest`], saying what is missing when there is no state.
    ///
    /// # Errors
    /// What the aircraft still lacks ([`Incomplete`]).
    pub fn ingest_explained(
        &mut self,
        msg: &SbsMessage<'_>,
        now: Timestamp,
    ) -> Result<TrackState, Incomplete> {
        let r = self.merge(msg, now);
        match &r {
            Ok(_) => self.stats.states += 1,
            Err(Incomplete::NotKinematic) => {}
            Err(Incomplete::NoPosition) => self.stats.no_position += 1,
            Err(Incomplete::NoAltitude) => self.stats.no_altitude += 1,
            Err(Incomplete::NoVelocity) => self.stats.no_velocity += 1,
            Err(Incomplete::Invalid) => self.stats.invalid += 1,
        }
        r
    }

    fn merge(&mut self, msg: &SbsMessage<'_>, now: Timestamp) -> Result<TrackState, Incomplete> {
        let cfg = self.config;
        let a = self.aircraft.heard(msg.icao, now);
        if let Some(c) = msg.callsign.and_then(Callsign::new) {
            a.callsign = Some(c);
        }
        if let Some(g) = msg.on_ground {
            a.on_ground = Some(g);
        }
        let mut kinematic = false;
        if let Some((lat, lon)) = msg.lat_lon
            && let Ok(p) = Position::new(lat, lon)
        {
            if let Some((old, t)) = a.position {
                // Keep the start of an estimate at least the minimum interval back.
                let far_enough = now.secs_since(t) >= cfg.min_estimate_interval.as_secs_f64();
                let keep_older = a.previous.is_some_and(|(_, _, pt)| {
                    now.secs_since(pt) < 2.0 * cfg.min_estimate_interval.as_secs_f64().max(1.0) && !far_enough
                });
                if !keep_older {
                    a.previous = Some((old, a.altitude.map(|x| x.0), t));
                }
            }
            a.position = Some((p, now));
            kinematic = true;
        }
        if let Some(alt) = msg.altitude_ft {
            a.altitude = Some((alt, now));
            kinematic = true;
        }
        if let (Some(gs), Some(trk)) = (msg.ground_speed_kt, msg.track_deg) {
            a.velocity = Some((gs, trk, now));
            kinematic = true;
        }
        if let Some(vr) = msg.vertical_rate_fpm {
            a.vertical_rate = Some((vr, now));
            kinematic = true;
        }
        if !kinematic {
            return Err(Incomplete::NotKinematic);
        }
        let cutoff = now.saturating_sub(cfg.max_age);
        let fresh = |t: Timestamp| t >= cutoff;
        let (position, t_pos) = a.position.filter(|p| fresh(p.1)).ok_or(Incomplete::NoPosition)?;
        let (alt, _) = a.altitude.filter(|x| fresh(x.1)).ok_or(Incomplete::NoAltitude)?;
        let reported = a
            .velocity
            .filter(|x| fresh(x.2))
            .map(|(gs, trk, _)| (gs, trk, a.vertical_rate.filter(|x| fresh(x.1)).map_or(0.0, |x| x.0)));
        let (gs, trk, vr) = match reported {
            Some(v) => v,
            None => {
                let (p0, alt0, t0) = a
                    .previous
                    .filter(|(_, _, t)| {
                        fresh(*t) && t_pos.secs_since(*t) >= cfg.min_estimate_interval.as_secs_f64().max(1e-3)
                    })
                    .ok_or(Incomplete::NoVelocity)?;
                let dt = t_pos.secs_since(t0);
                let (d_m, bearing) = distance_bearing(p0, position);
                let vr = alt0.map_or(0.0, |z0| (alt - z0) / dt * 60.0);
                self.stats.estimated_velocity += 1;
                (d_m / dt / MPS_PER_KT, bearing, vr)
            }
        };
        let state = TrackState {
            id: track_id(msg.icao),
            party: self.config.party,
            time: t_pos,
            position,
            altitude: Altitude { feet: alt, reference: AltitudeRef::Pressure },
            ground_speed: Knots(gs),
            track_angle: DegreesTrue(trk.rem_euclid(360.0)),
            vertical_rate: FeetPerMinute(vr),
            intent: None,
            callsign: a.callsign,
            on_ground: a.on_ground.unwrap_or(false),
        };
        state.validate().map_err(|_| Incomplete::Invalid)?;
        Ok(state)
    }

    /// Forgets aircraft not heard for longer than `max_age`; returns their
    /// track ids, sorted.
    pub fn expire(&mut self, now: Timestamp) -> Vec<TrackId> {
        let gone = self.aircraft.forget_before(now.saturating_sub(self.config.max_age));
        gone.into_iter().map(track_id).collect()
    }

    /// The callsign last heard from an aircraft.
    pub fn callsign(&self, icao: Icao) -> Option<Callsign> {
        self.aircraft.get(icao).and_then(|a| a.callsign)
    }

    /// Aircraft currently known (complete or not).
    pub fn len(&self) -> usize {
        self.aircraft.len()
    }

    /// Whether no aircraft is known.
    pub fn is_empty(&self) -> bool {
        self.aircraft.is_empty()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::sbs::parse_line;

    #[allow(clippy::too_many_arguments)]
    fn line(kind: u8, cs: &str, alt: &str, gs: &str, trk: &str, lat: &str, lon: &str, vr: &str) -> String {
        format!(
            "MSG,{kind},1,1,40621D,1,2024/05/01,12:00:00.000,2024/05/01,12:00:00.000,{cs},{alt},{gs},{trk},{lat},{lon},{vr},,0,0,0,0"
        )
    }

    #[test]
    fn merges_partial_messages() {
        let mut asm = SbsAssembler::new(AssemblerConfig {
            party: PartyId(3),
            max_age: Duration::from_secs(10),
            ..AssemblerConfig::default()
        });
        let t = Timestamp::from_secs;
        let id = line(1, "EZY12AB", "", "", "", "", "", "");
        assert!(asm.ingest(&parse_line(id.as_bytes()).unwrap(), t(0)).is_none());
        let pos = line(3, "", "35000", "", "", "51.5", "-0.1", "");
        assert!(asm.ingest(&parse_line(pos.as_bytes()).unwrap(), t(1)).is_none());
        let vel = line(4, "", "", "420", "270", "", "", "-500");
        let s = asm.ingest(&parse_line(vel.as_bytes()).unwrap(), t(2)).unwrap();
        assert_eq!(s.id, TrackId(0x40621D));
        assert_eq!(s.party, PartyId(3));
        assert_eq!(s.time, t(1));
        assert_eq!(s.altitude, Altitude::pressure_ft(35000.0));
        assert_eq!(
            (s.ground_speed, s.track_angle, s.vertical_rate),
            (Knots(420.0), DegreesTrue(270.0), FeetPerMinute(-500.0))
        );
        assert_eq!(s.callsign.unwrap().as_str(), "EZY12AB");
        // A much later position without fresh velocity (nor a fresh
        // previous position) is not complete.
        let late = line(3, "", "35000", "", "", "51.6", "-0.2", "");
        assert_eq!(
            asm.ingest_explained(&parse_line(late.as_bytes()).unwrap(), t(30)),
            Err(Incomplete::NoVelocity)
        );
        assert!(asm.expire(t(35)).is_empty());
        assert_eq!(asm.expire(t(41)), vec![TrackId(0x40621D)]);
        assert!(asm.is_empty());
    }

    #[test]
    fn position_only_feeds_get_an_estimated_velocity() {
        let mut asm = SbsAssembler::new(AssemblerConfig::default());
        let t = Timestamp::from_secs;
        let msg = |lat: f64, alt: &str, ground: &str| {
            format!(
                "MSG,3,1,1,40621D,1,2024/05/01,12:00:00.000,2024/05/01,12:00:00.000,,{alt},,,{lat:.6},-0.1,,,0,0,0,{ground}"
            )
        };
        let first = msg(51.5, "35000", "0");
        assert_eq!(
            asm.ingest_explained(&parse_line(first.as_bytes()).unwrap(), t(0)),
            Err(Incomplete::NoVelocity)
        );
        // Too soon for an estimate.
        let soon = msg(51.5003, "35000", "0");
        assert_eq!(
            asm.ingest_explained(&parse_line(soon.as_bytes()).unwrap(), t(1)),
            Err(Incomplete::NoVelocity)
        );
        // 9 s after the second, 0.0247° (2.75 km) north, 200 ft higher:
        // 593 kt due north, climbing 1,333 ft/min.
        let next = msg(51.525, "35200", "0");
        let s = asm.ingest_explained(&parse_line(next.as_bytes()).unwrap(), t(10)).unwrap();
        assert!((s.ground_speed.0 - 593.2).abs() < 1.0, "{:?}", s.ground_speed);
        assert!(s.track_angle.0 < 0.01 || s.track_angle.0 > 359.99, "{:?}", s.track_angle);
        assert!((s.vertical_rate.0 - 1333.3).abs() < 1.0, "{:?}", s.vertical_rate);
        assert!(!s.on_ground);
        assert_eq!(asm.stats().estimated_velocity, 1);
        assert_eq!(asm.stats().no_velocity, 2);
        // The ground flag is kept.
        let parked = msg(51.5251, "35200", "-1");
        assert!(asm.ingest(&parse_line(parked.as_bytes()).unwrap(), t(20)).unwrap().on_ground);
    }
}
