//! Merges ADS-B messages per aircraft into [`TrackState`]s, as
//! `tactical::assembler` does for SBS-1.
//!
//! Positions: the first fix of an aircraft comes from *global* CPR decoding
//! of an even and an odd message received within [`AdsbAssemblerConfig::pair_window`]
//! (surface pairs also need a reference: the receiver's position, or the
//! aircraft's last one). Later messages are decoded *locally* against the
//! aircraft's last position while it is younger than
//! [`AdsbAssemblerConfig::local_window`] (far less time than it takes to fly
//! half a CPR zone, 180 NM), or, without one, against the receiver when
//! [`AdsbAssemblerConfig::receiver_range_nm`] says where it can hear. A
//! locally decoded position more than
//! [`AdsbAssemblerConfig::max_jump_nm`] from the last one is refused and the
//! aircraft starts over from a global fix.
//!
//! A state is emitted on every decoded position once the aircraft also has
//! a fresh altitude and velocity (surface positions carry their own speed
//! and track, and are on the ground). Altitude is barometric when known,
//! else GNSS (geometric). `time` is the receive time of the position,
//! passed in by the caller.

use std::time::Duration;

use tactical::heard::Heard;
use tactical::{
    Altitude, Callsign, DegreesTrue, FeetPerMinute, Knots, PartyId, Position, Timestamp, TrackId, TrackState,
};

use crate::adsb::{AdsbContent, AdsbMessage, ReportedAltitude};
use crate::cpr::{self, Cpr, CprKind};

/// Settings of an [`AdsbAssembler`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdsbAssemblerConfig {
    /// Owner of every track of this feed.
    pub party: PartyId,
    /// Partial data older than this is not merged; aircraft silent longer
    /// are forgotten by [`AdsbAssembler::expire`].
    pub max_age: Duration,
    /// Longest time between the even and odd messages of a global fix
    /// (10 s airborne, as ICAO Doc 9871 advises; surface pairs get 2.5×).
    pub pair_window: Duration,
    /// Longest age of a last position used as the reference of local decoding.
    pub local_window: Duration,
    /// Largest distance between successive decoded positions, NM.
    pub max_jump_nm: f64,
    /// The receiver's position (latitude, longitude), when known: the
    /// reference of global surface decoding, and of local decoding while an
    /// aircraft has no recent position of its own.
    pub receiver: Option<(f64, f64)>,
    /// Range of the receiver, NM: local decoding against the receiver is
    /// used only when it lands this close (at most 180 NM, half a zone; 0
    /// turns it off).
    pub receiver_range_nm: f64,
}

impl Default for AdsbAssemblerConfig {
    /// Party 0, 20 s, 10 s pairs, 30 s local references, 20 NM jumps, no receiver.
    fn default() -> Self {
        Self {
            party: PartyId(0),
            max_age: Duration::from_secs(20),
            pair_window: Duration::from_secs(10),
            local_window: Duration::from_secs(30),
            max_jump_nm: 20.0,
            receiver: None,
            receiver_range_nm: 0.0,
        }
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Aircraft {
    callsign: Option<Callsign>,
    even: Option<(Cpr, CprKind, Timestamp)>,
    odd: Option<(Cpr, CprKind, Timestamp)>,
    position: Option<(f64, f64, CprKind, Timestamp)>,
    baro_ft: Option<(f64, Timestamp)>,
    gnss_ft: Option<(f64, Timestamp)>,
    velocity: Option<(f64, f64, Timestamp)>,
    vertical_rate: Option<(f64, Timestamp)>,
}

/// Counts of what the assembler did with messages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AdsbAssemblerStats {
    /// Positions decoded (global or local).
    pub positions: u64,
    /// Position messages waiting for their pair or reference.
    pub awaiting_fix: u64,
    /// Locally decoded positions refused as a jump.
    pub jumps: u64,
    /// States emitted.
    pub states: u64,
}

/// The per-aircraft merge state of one ADS-B feed.
#[derive(Debug, Clone, Default)]
pub struct AdsbAssembler {
    config: AdsbAssemblerConfig,
    aircraft: Heard<u32, Aircraft>,
    stats: AdsbAssemblerStats,
}

/// The track id of a 24-bit address.
pub fn track_id(icao: u32) -> TrackId {
    TrackId(u64::from(icao & 0x00FF_FFFF))
}

/// Great-circle distance in NM on a sphere (plenty for jump checks).
fn distance_nm(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, la2) = (a.0.to_radians(), b.0.to_radians());
    let h = ((la2 - la1) * 0.5).sin().powi(2)
        + la1.cos() * la2.cos() * (((b.1 - a.1).to_radians()) * 0.5).sin().powi(2);
    2.0 * 3440.065 * h.sqrt().min(1.0).asin()
}

impl AdsbAssembler {
    /// An empty assembler.
    pub fn new(config: AdsbAssemblerConfig) -> Self {
        Self { config, aircraft: Heard::default(), stats: AdsbAssemblerStats::default() }
    }

    /// Counts so far.
    pub fn stats(&self) -> &AdsbAssemblerStats {
        &self.stats
    }

    /// Merges one message received at `now`; returns the aircraft's new
    /// state when a position was decoded and the state is complete.
    pub fn ingest(&mut self, msg: &AdsbMessage, now: Timestamp) -> Option<TrackState> {
        let cfg = self.config;
        let a = self.aircraft.heard(msg.icao, now);
        let (cpr, kind) = match msg.content {
            AdsbContent::Identification { callsign, .. } => {
                if callsign.is_some() {
                    a.callsign = callsign;
                }
                return None;
            }
            AdsbContent::Velocity { ground_speed_kt, track_deg, vertical_rate_fpm, .. } => {
                a.velocity = Some((ground_speed_kt, track_deg, now));
                if let Some(v) = vertical_rate_fpm {
                    a.vertical_rate = Some((v, now));
                }
                return None;
            }
            AdsbContent::Other(_) => return None,
            AdsbContent::AirbornePosition { altitude, cpr } => {
                match altitude {
                    Some(ReportedAltitude::Barometric(ft)) => a.baro_ft = Some((ft, now)),
                    Some(ReportedAltitude::Gnss(ft)) => a.gnss_ft = Some((ft, now)),
                    None => {}
                }
                (cpr, CprKind::Airborne)
            }
            AdsbContent::SurfacePosition { ground_speed_kt, track_deg, cpr } => {
                if let (Some(gs), Some(trk)) = (ground_speed_kt, track_deg) {
                    a.velocity = Some((gs, trk, now));
                } else if let Some(gs) = ground_speed_kt.filter(|g| *g == 0.0) {
                    a.velocity = Some((gs, 0.0, now));
                }
                a.vertical_rate = Some((0.0, now));
                (cpr, CprKind::Surface)
            }
        };
        let slot = (cpr, kind, now);
        if cpr.odd {
            a.odd = Some(slot);
        } else {
            a.even = Some(slot);
        }
        let fresh = |t: Timestamp, d: Duration| now.secs_since(t) <= d.as_secs_f64();
        // Local decoding against the aircraft's own recent position (of
        // either kind: take-off and landing keep their reference).
        let local = a
            .position
            .filter(|&(_, _, _, t)| fresh(t, cfg.local_window))
            .and_then(|(lat, lon, _, _)| cpr::local(cpr, kind, (lat, lon)).map(|p| (p, (lat, lon))));
        // Else against the receiver, when the result is within its range.
        let range = cfg.receiver_range_nm.min(180.0);
        let from_receiver = || {
            let rx = cfg.receiver.filter(|_| range > 0.0)?;
            cpr::local(cpr, kind, rx).filter(|p| distance_nm(*p, rx) <= range)
        };
        let decoded = match local {
            Some((p, last)) if distance_nm(p, last) <= cfg.max_jump_nm => Some(p),
            Some(_) => {
                self.stats.jumps += 1;
                a.position = None;
                None
            }
            None if a.position.is_none_or(|(_, _, _, t)| !fresh(t, cfg.local_window))
                && from_receiver().is_some() =>
            {
                from_receiver()
            }
            None => {
                let window = match kind {
                    CprKind::Airborne => cfg.pair_window,
                    CprKind::Surface => cfg.pair_window.mul_f64(2.5),
                };
                match (a.even, a.odd) {
                    (Some((e, ke, te)), Some((o, ko, to)))
                        if ke == kind && ko == kind && now.secs_since(te.min(to)) <= window.as_secs_f64() =>
                    {
                        let reference = a.position.map(|(lat, lon, _, _)| (lat, lon)).or(cfg.receiver);
                        cpr::global(e, o, to >= te, kind, reference)
                    }
                    _ => None,
                }
            }
        };
        let Some((lat, lon)) = decoded else {
            self.stats.awaiting_fix += 1;
            return None;
        };
        self.stats.positions += 1;
        a.position = Some((lat, lon, kind, now));
        let position = Position::new(lat, lon).ok()?;
        let on_ground = kind == CprKind::Surface;
        let altitude = if on_ground {
            // Surface messages carry no altitude: the last barometric one
            // if any, else 0 ft; ground traffic is never alerted anyway.
            Altitude::pressure_ft(a.baro_ft.filter(|x| fresh(x.1, cfg.max_age)).map_or(0.0, |x| x.0))
        } else if let Some((ft, _)) = a.baro_ft.filter(|x| fresh(x.1, cfg.max_age)) {
            Altitude::pressure_ft(ft)
        } else {
            Altitude::geometric_ft(a.gnss_ft.filter(|x| fresh(x.1, cfg.max_age))?.0)
        };
        let (gs, trk, _) = a.velocity.filter(|v| fresh(v.2, cfg.max_age))?;
        let vr = a.vertical_rate.filter(|v| fresh(v.1, cfg.max_age)).map_or(0.0, |v| v.0);
        let state = TrackState {
            id: track_id(msg.icao),
            party: cfg.party,
            time: now,
            position,
            altitude,
            ground_speed: Knots(gs),
            track_angle: DegreesTrue(trk.rem_euclid(360.0)),
            vertical_rate: FeetPerMinute(vr),
            intent: None,
            callsign: a.callsign,
            on_ground,
        };
        state.validate().ok()?;
        self.stats.states += 1;
        Some(state)
    }

    /// Forgets aircraft not heard for longer than `max_age`; returns their
    /// track ids, sorted.
    pub fn expire(&mut self, now: Timestamp) -> Vec<TrackId> {
        let gone = self.aircraft.forget_before(now.saturating_sub(self.config.max_age));
        gone.into_iter().map(track_id).collect()
    }

    /// The last decoded position of an aircraft (latitude, longitude).
    pub fn position(&self, icao: u32) -> Option<(f64, f64)> {
        self.aircraft.get(icao).and_then(|a| a.position).map(|(lat, lon, _, _)| (lat, lon))
    }

    /// Aircraft currently known.
    pub fn len(&self) -> usize {
        self.aircraft.len()
    }

    /// Whether no aircraft is known.
    pub fn is_empty(&self) -> bool {
        self.aircraft.is_empty()
    }
}
