//! Replay: recorded traffic played through the live service on a simulated
//! clock. The same [`LiveService`] as in production scans the picture every
//! scan interval of *recorded* time, so what a controller would have seen
//! that day — every alert raised, resumed and ended — comes out, and the
//! figures of alert quality (alerts, pairs alerted, alerts per pair,
//! conflicts found late) can be measured on real traffic.
//!
//! Recordings ([`load`], gzip or not, told apart by their first bytes):
//! - state vectors as CSV with the header
//!   `timestamp_utc,icao24,callsign,lat,lon,alt_ft,gs_kt,trk_deg,vs_fpm`
//!   (RFC 3339 times, empty `callsign`/`vs_fpm` allowed);
//! - Beast binary as a receiver's port 30005 sends it: frames are timed by
//!   their 12 MHz receiver timestamp (from the epoch: the receiver's clock
//!   has no date), decoded and assembled as a live feed would.

use std::io::Read as _;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use deconflict_core::{App, Limits, MemoryStore, PartyName};
use feeds::Framer as _;
use feeds::adsb;
use feeds::assembler::{AdsbAssembler, AdsbAssemblerConfig};
use feeds::beast::BeastFramer;
use geom::Time;
use tactical::{
    Altitude, Callsign, DegreesTrue, FeetPerMinute, Knots, PartyId, Position, Severity, Timestamp, TrackId,
    TrackState,
};

use crate::alert::AlertEvent;
use crate::clock::Clock;
use crate::config::LiveConfig;
use crate::source::decode::icao_name;
use crate::{Alert, LiveService};

/// One recorded report.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    /// The aircraft's name (ICAO address).
    pub name: String,
    /// Its state (`id` and `party` are set by the service).
    pub state: TrackState,
}

/// Why a recording cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// The file.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// A bad CSV line, with its number and what is wrong.
    #[error("line {line}: {message}")]
    Line {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// Neither format.
    #[error("not a recording: expected the CSV header `{HEADER}` or Beast binary")]
    Format,
}

/// The header of a state-vector recording.
pub const HEADER: &str = "timestamp_utc,icao24,callsign,lat,lon,alt_ft,gs_kt,trk_deg,vs_fpm";

/// Reads a recording (see the module docs), sorted by time (stable).
///
/// # Errors
/// [`ReplayError`].
pub fn load(path: &Path) -> Result<Vec<Recorded>, ReplayError> {
    let raw = std::fs::read(path)?;
    let bytes = if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(raw.as_slice()).read_to_end(&mut out)?;
        out
    } else {
        raw
    };
    let mut v = if bytes.starts_with(b"timestamp_utc,") {
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| ReplayError::Line { line: 0, message: "not UTF-8".into() })?;
        parse_states(text)?
    } else if bytes.first() == Some(&0x1a) {
        parse_beast(&bytes)
    } else {
        return Err(ReplayError::Format);
    };
    v.sort_by_key(|r| r.state.time);
    Ok(v)
}

/// Parses a state-vector CSV (see the module docs).
///
/// # Errors
/// The first bad line, naming the field.
pub fn parse_states(text: &str) -> Result<Vec<Recorded>, ReplayError> {
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, h)) if h.trim() == HEADER => {}
        _ => return Err(ReplayError::Format),
    }
    let mut out = Vec::new();
    for (i, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let bad = |message: String| ReplayError::Line { line: i + 1, message };
        let f: Vec<&str> = line.split(',').map(str::trim).collect();
        let [t, icao, cs, lat, lon, alt, gs, trk, vs] = f.as_slice() else {
            return Err(bad(format!("expected 9 fields, got {}", f.len())));
        };
        let time = chrono::DateTime::parse_from_rfc3339(t)
            .map_err(|e| bad(format!("timestamp_utc: {e}")))?
            .timestamp_micros();
        let num = |name: &str, x: &str| {
            x.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| bad(format!("{name}: not a number: {x:?}")))
        };
        if icao.is_empty() {
            return Err(bad("icao24: empty".into()));
        }
        let state = TrackState {
            id: TrackId(0),
            party: PartyId(0),
            time: Timestamp::from_micros(time),
            position: Position::new(num("lat", lat)?, num("lon", lon)?).map_err(|e| bad(e.to_string()))?,
            altitude: Altitude::pressure_ft(num("alt_ft", alt)?),
            ground_speed: Knots(num("gs_kt", gs)?),
            track_angle: DegreesTrue(num("trk_deg", trk)?.rem_euclid(360.0)),
            vertical_rate: FeetPerMinute(if vs.is_empty() { 0.0 } else { num("vs_fpm", vs)? }),
            intent: None,
            callsign: if cs.is_empty() { None } else { Callsign::new(cs) },
            on_ground: false,
        };
        state.validate().map_err(|e| bad(e.to_string()))?;
        out.push(Recorded { name: icao.to_ascii_uppercase(), state });
    }
    Ok(out)
}

/// Decodes a Beast recording, each frame at its receiver timestamp.
pub fn parse_beast(bytes: &[u8]) -> Vec<Recorded> {
    let mut framer = BeastFramer::new();
    let mut asm = AdsbAssembler::new(AdsbAssemblerConfig::default());
    let mut out = Vec::new();
    framer.push(bytes, |f| {
        let feeds::Frame::ModeS(m) = f else { return };
        let Some(mlat) = m.mlat else { return };
        let Ok(msg) = adsb::decode(&m) else { return };
        let t = Timestamp::from_micros(i64::try_from(mlat / 12).unwrap_or(i64::MAX));
        if let Some(state) = asm.ingest(&msg, t) {
            out.push(Recorded { name: icao_name(msg.icao), state });
        }
    });
    out
}

/// One alert transition, as `replay` prints it.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    /// Time of the scan that published it (simulated clock): an alert
    /// ends when a scan clears it, after its last prediction.
    pub time: Time,
    /// The pair's names, in order.
    pub id_a: String,
    /// See `id_a`.
    pub id_b: String,
    /// What happened.
    pub state: TransitionKind,
    /// Time to loss of separation at that scan, seconds (0: lost).
    pub t_los_s: f64,
    /// Predicted horizontal distance at the closest point of approach, NM.
    pub d_cpa_nm: f64,
}

/// The transitions of a loss-of-separation alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransitionKind {
    /// A new encounter.
    New,
    /// A cleared encounter confirmed again (same alert).
    Resumed,
    /// Over.
    Ended,
}

impl TransitionKind {
    /// `new`, `resumed` or `ended`.
    pub fn name(self) -> &'static str {
        match self {
            TransitionKind::New => "new",
            TransitionKind::Resumed => "resumed",
            TransitionKind::Ended => "ended",
        }
    }
}

/// What a replay found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    /// Reports played.
    pub reports: usize,
    /// Distinct aircraft.
    pub aircraft: usize,
    /// Scans run.
    pub scans: usize,
    /// Recorded time covered, seconds.
    pub duration_s: f64,
    /// Alerts raised (new encounters).
    pub alerts: usize,
    /// Of which resumed after clearing (same alert, counted once above).
    pub resumed: usize,
    /// Distinct pairs of aircraft alerted.
    pub pairs: usize,
    /// Alerts raised when separation was already lost (no warning at all).
    pub late: usize,
    /// Alerts raised with less than the imminent time (2 min en route) left.
    pub imminent: usize,
}

impl Summary {
    /// Alerts per pair alerted (0 when none).
    pub fn alerts_per_pair(&self) -> f64 {
        if self.pairs == 0 { 0.0 } else { self.alerts as f64 / self.pairs as f64 }
    }
}

/// How to play.
#[derive(Debug, Clone)]
pub struct ReplayOptions {
    /// The live settings (scan interval, minima, lifecycle).
    pub live: LiveConfig,
    /// Real-time pacing: `Some(x)` plays `x` recorded seconds per second; `None` as fast as possible.
    pub speed: Option<f64>,
}

/// Plays `recording` (sorted by time) through a fresh live service: the
/// clock starts at the first report, moves one scan interval at a time,
/// each step ingests the reports up to its time and scans; after the last
/// report it goes on until every track has expired, so every alert ends.
/// `on` gets every transition in order. Same input, same output.
pub async fn run(recording: &[Recorded], opts: &ReplayOptions, mut on: impl FnMut(&Transition)) -> Summary {
    let mut summary = Summary { reports: recording.len(), ..Summary::default() };
    let (Some(first), Some(last)) = (recording.first(), recording.last()) else { return summary };
    let step_us = i64::try_from(opts.live.scan_interval.as_micros()).unwrap_or(1_000_000).max(1);
    let stale_us = i64::try_from(opts.live.stale_after.as_micros()).unwrap_or(i64::MAX);
    let (t0, t_end) = (first.state.time.as_micros(), last.state.time.as_micros());
    let clock = Clock::manual(t0);
    let app = App::new(Arc::new(MemoryStore::new()), Limits::default());
    let live = LiveService::new(opts.live.clone(), app, clock.clone());
    let party = PartyName::new("replay").map(|m| live.party(&m)).unwrap_or(PartyId(0));
    let mut names = std::collections::BTreeSet::new();
    let mut pairs = std::collections::BTreeSet::new();
    let mut next = 0;
    let mut t = t0;
    let pace = opts
        .speed
        .filter(|s| s.is_finite() && *s > 0.0)
        .map(|s| Duration::from_micros(step_us as u64).div_f64(s));
    loop {
        let upto = recording[next..].partition_point(|r| r.state.time.as_micros() <= t) + next;
        let batch = &recording[next..upto];
        next = upto;
        names.extend(batch.iter().map(|r| r.name.as_str()));
        live.ingest(party, batch.iter().map(|r| (r.name.clone(), r.state)));
        clock.set(t);
        let (_, events) = live.scan_collect().await;
        summary.scans += 1;
        for e in &events {
            let Some(tr) = transition(e, Time::from_micros(t)) else { continue };
            match tr.state {
                TransitionKind::New => {
                    summary.alerts += 1;
                    pairs.insert((tr.id_a.clone(), tr.id_b.clone()));
                    if let Some(l) = e.alert().los() {
                        if l.severity == Severity::Lost {
                            summary.late += 1;
                        }
                        if l.severity >= Severity::Imminent {
                            summary.imminent += 1;
                        }
                    }
                }
                TransitionKind::Resumed => summary.resumed += 1,
                TransitionKind::Ended => {}
            }
            on(&tr);
        }
        if next >= recording.len() && (live.track_count() == 0 || t > t_end.saturating_add(stale_us)) {
            break;
        }
        t += step_us;
        if let Some(p) = pace {
            tokio::time::sleep(p).await;
        }
    }
    summary.aircraft = names.len();
    summary.pairs = pairs.len();
    summary.duration_s = (t_end - t0) as f64 / 1e6;
    summary
}

/// The transition of a loss-of-separation event published by the scan at
/// `now` (`None` for ongoing ones and non-conformance).
pub fn transition(e: &AlertEvent, now: Time) -> Option<Transition> {
    let a: &Alert = e.alert();
    let los = a.los()?;
    let state = match e {
        AlertEvent::New(_) if los.resumed => TransitionKind::Resumed,
        AlertEvent::New(_) => TransitionKind::New,
        AlertEvent::Ended { .. } => TransitionKind::Ended,
        AlertEvent::Ongoing(_) => return None,
    };
    let mut ids: Vec<String> = a.tracks.iter().map(|t| t.id.clone()).collect();
    ids.sort();
    let [id_a, id_b] = <[String; 2]>::try_from(ids).ok()?;
    Some(Transition {
        time: now,
        id_a,
        id_b,
        state,
        t_los_s: los.time_to_los_s,
        d_cpa_nm: los.d_cpa_m / tactical::units::METRES_PER_NM,
    })
}
