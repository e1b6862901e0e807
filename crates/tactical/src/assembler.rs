//! Merges partial SBS-1 messages per ICAO address into [`TrackState`]s.
//!
//! Position (MSG 2/3), velocity (MSG 2/4), altitude (MSG 2/3/5/6/7) and
//! callsign (MSG 1) arrive separately. Once an aircraft has a position, an
//! altitude and a velocity, every kinematic message yields an update. The
//! state's `time` is the receive time of the latest position (passed in by
//! the caller; the generated-time text of the feed is not trusted).
//! Altitudes are barometric ([`AltitudeRef::Pressure`]); a missing vertical
//! rate counts as level.

use std::collections::HashMap;
use std::time::Duration;

use crate::sbs::{Icao, SbsMessage};
use crate::track::{Callsign, PartyId, Position, TrackId, TrackState};
use crate::units::{Altitude, AltitudeRef, DegreesTrue, FeetPerMinute, Knots, Timestamp};

/// Configuration of an [`SbsAssembler`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AssemblerConfig {
    /// Owner given to every track of this feed.
    pub party: PartyId,
    /// Partial data older than this is not merged, and aircraft silent for
    /// longer are forgotten by [`SbsAssembler::expire`].
    pub max_age: Duration,
}

impl Default for AssemblerConfig {
    /// Party 0, 20 s.
    fn default() -> Self {
        Self { party: PartyId(0), max_age: Duration::from_secs(20) }
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Partial {
    callsign: Option<Callsign>,
    position: Option<(Position, Timestamp)>,
    altitude: Option<(f64, Timestamp)>,
    velocity: Option<(f64, f64, Timestamp)>,
    vertical_rate: Option<(f64, Timestamp)>,
    last_seen: Timestamp,
}

/// The per-aircraft merge state of one SBS-1 feed.
#[derive(Debug, Clone, Default)]
pub struct SbsAssembler {
    config: AssemblerConfig,
    aircraft: HashMap<Icao, Partial>,
}

/// The track id of an ICAO address.
pub fn track_id(icao: Icao) -> TrackId {
    TrackId(u64::from(icao.0))
}

impl SbsAssembler {
    /// An empty assembler.
    pub fn new(config: AssemblerConfig) -> Self {
        Self { config, aircraft: HashMap::new() }
    }

    /// Merges one message received at `now`; returns the aircraft's new
    /// state when it is complete and the message changed its kinematics.
    pub fn ingest(&mut self, msg: &SbsMessage<'_>, now: Timestamp) -> Option<TrackState> {
        let a = self.aircraft.entry(msg.icao).or_default();
        a.last_seen = now;
        if let Some(c) = msg.callsign.and_then(Callsign::new) {
            a.callsign = Some(c);
        }
        let mut kinematic = false;
        if let Some((lat, lon)) = msg.lat_lon
            && let Ok(p) = Position::new(lat, lon)
        {
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
            return None;
        }
        let cutoff = now.saturating_sub(self.config.max_age);
        let fresh = |t: Timestamp| t >= cutoff;
        let (position, t_pos) = a.position.filter(|p| fresh(p.1))?;
        let (alt, _) = a.altitude.filter(|x| fresh(x.1))?;
        let (gs, trk, _) = a.velocity.filter(|x| fresh(x.2))?;
        let vr = a.vertical_rate.filter(|x| fresh(x.1)).map_or(0.0, |x| x.0);
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
            on_ground: false,
        };
        state.validate().ok().map(|()| state)
    }

    /// Forgets aircraft not heard for longer than `max_age`; returns their
    /// track ids, sorted.
    pub fn expire(&mut self, now: Timestamp) -> Vec<TrackId> {
        let cutoff = now.saturating_sub(self.config.max_age);
        let mut gone = Vec::new();
        self.aircraft.retain(|icao, a| {
            let keep = a.last_seen >= cutoff;
            if !keep {
                gone.push(track_id(*icao));
            }
            keep
        });
        gone.sort_unstable();
        gone
    }

    /// The callsign last heard from an aircraft.
    pub fn callsign(&self, icao: Icao) -> Option<Callsign> {
        self.aircraft.get(&icao).and_then(|a| a.callsign)
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
        let mut asm =
            SbsAssembler::new(AssemblerConfig { party: PartyId(3), max_age: Duration::from_secs(10) });
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
        // A much later position without fresh velocity is not complete.
        let late = line(3, "", "35000", "", "", "51.6", "-0.2", "");
        assert!(asm.ingest(&parse_line(late.as_bytes()).unwrap(), t(30)).is_none());
        assert!(asm.expire(t(35)).is_empty());
        assert_eq!(asm.expire(t(41)), vec![TrackId(0x40621D)]);
        assert!(asm.is_empty());
    }
}
