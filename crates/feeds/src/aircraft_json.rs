//! readsb / dump1090 `aircraft.json` (the receiver's current picture, as
//! served at `/data/aircraft.json`) into track states.
//!
//! Fields read, per aircraft: `hex` (a leading `~` marks a non-ICAO
//! address: its track id gets bit 24 set so it cannot collide with an ICAO
//! one), `flight`, `lat`, `lon`, `seen_pos` (age of the position at `now`,
//! seconds), `alt_baro` (feet, or `"ground"`), `alt_geom`, `gs`, `track`,
//! `baro_rate`/`geom_rate`; and dump1090's older names `altitude`, `speed`,
//! `vert_rate`. A state's time is `now - seen_pos`. Aircraft without a
//! position, a fresh one, an altitude or a ground velocity are skipped and
//! counted per reason.

use std::time::Duration;

use serde_json::{Map, Value};
use tactical::{
    Altitude, Callsign, DegreesTrue, FeetPerMinute, Knots, PartyId, Position, Timestamp, TrackId, TrackState,
};

/// Settings of [`parse`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AircraftJsonConfig {
    /// Owner of every track.
    pub party: PartyId,
    /// Positions older than this at `now` are skipped.
    pub max_position_age: Duration,
}

impl Default for AircraftJsonConfig {
    /// Party 0, 20 s.
    fn default() -> Self {
        Self { party: PartyId(0), max_position_age: Duration::from_secs(20) }
    }
}

/// Why the document as a whole was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AircraftJsonError {
    /// Not JSON.
    #[error("not JSON: {0}")]
    Json(String),
    /// No numeric `now` or no `aircraft` array.
    #[error("not an aircraft.json document (needs `now` and `aircraft`)")]
    Shape,
}

/// Aircraft skipped, by reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Skipped {
    /// Not an object, or `hex` missing or not 6 hex digits.
    pub bad_address: u64,
    /// No `lat`/`lon`.
    pub no_position: u64,
    /// `seen_pos` older than the limit.
    pub stale_position: u64,
    /// No altitude.
    pub no_altitude: u64,
    /// No ground speed and track.
    pub no_velocity: u64,
    /// Out-of-range values.
    pub invalid: u64,
}

impl Skipped {
    /// Skips by reason, as metric labels.
    pub fn reasons(&self) -> [(&'static str, u64); 6] {
        [
            ("bad_address", self.bad_address),
            ("no_position", self.no_position),
            ("stale_position", self.stale_position),
            ("no_altitude", self.no_altitude),
            ("no_velocity", self.no_velocity),
            ("invalid", self.invalid),
        ]
    }
}

/// One parsed document.
#[derive(Debug, Clone, PartialEq)]
pub struct AircraftJson {
    /// The receiver's time of the picture.
    pub now: Timestamp,
    /// The states, each with the address as sent (`hex`).
    pub tracks: Vec<(String, TrackState)>,
    /// What was skipped.
    pub skipped: Skipped,
}

enum Skip {
    Address,
    Position,
    Stale,
    Altitude,
    Velocity,
    Invalid,
}

/// Parses one `aircraft.json` document.
///
/// # Errors
/// Not JSON, or not shaped like `aircraft.json` ([`AircraftJsonError`]).
pub fn parse(text: &str, config: &AircraftJsonConfig) -> Result<AircraftJson, AircraftJsonError> {
    let doc: Value = serde_json::from_str(text).map_err(|e| AircraftJsonError::Json(e.to_string()))?;
    let now_s =
        doc.get("now").and_then(Value::as_f64).filter(|x| x.is_finite()).ok_or(AircraftJsonError::Shape)?;
    let list = doc.get("aircraft").and_then(Value::as_array).ok_or(AircraftJsonError::Shape)?;
    let now = Timestamp::from_micros((now_s * 1e6) as i64);
    let mut out = AircraftJson { now, tracks: Vec::with_capacity(list.len()), skipped: Skipped::default() };
    for a in list {
        match one(a, now_s, config) {
            Ok(x) => out.tracks.push(x),
            Err(why) => {
                let s = &mut out.skipped;
                match why {
                    Skip::Address => s.bad_address += 1,
                    Skip::Position => s.no_position += 1,
                    Skip::Stale => s.stale_position += 1,
                    Skip::Altitude => s.no_altitude += 1,
                    Skip::Velocity => s.no_velocity += 1,
                    Skip::Invalid => s.invalid += 1,
                }
            }
        }
    }
    Ok(out)
}

fn num(o: &Map<String, Value>, keys: &[&str]) -> Option<f64> {
    keys.iter().find_map(|k| o.get(*k).and_then(Value::as_f64)).filter(|x| x.is_finite())
}

fn one(a: &Value, now_s: f64, cfg: &AircraftJsonConfig) -> Result<(String, TrackState), Skip> {
    let o = a.as_object().ok_or(Skip::Address)?;
    let hex = o.get("hex").and_then(Value::as_str).ok_or(Skip::Address)?;
    let (digits, non_icao) = match hex.strip_prefix('~') {
        Some(d) => (d, true),
        None => (hex, false),
    };
    if digits.len() != 6 {
        return Err(Skip::Address);
    }
    let addr = u32::from_str_radix(digits, 16).map_err(|_| Skip::Address)?;
    let (Some(lat), Some(lon)) = (num(o, &["lat"]), num(o, &["lon"])) else {
        return Err(Skip::Position);
    };
    let age = num(o, &["seen_pos"]).unwrap_or(0.0).max(0.0);
    if age > cfg.max_position_age.as_secs_f64() {
        return Err(Skip::Stale);
    }
    let ground = o.get("alt_baro").and_then(Value::as_str) == Some("ground")
        || o.get("altitude").and_then(Value::as_str) == Some("ground");
    let baro = num(o, &["alt_baro", "altitude"]);
    let geom = num(o, &["alt_geom"]);
    let (altitude, rate_keys): (Altitude, &[&str]) = match (baro, geom) {
        (Some(ft), _) => (Altitude::pressure_ft(ft), &["baro_rate", "vert_rate", "geom_rate"]),
        (None, Some(ft)) => (Altitude::geometric_ft(ft), &["geom_rate", "baro_rate", "vert_rate"]),
        (None, None) if ground => (Altitude::pressure_ft(0.0), &[]),
        (None, None) => return Err(Skip::Altitude),
    };
    let (Some(gs), Some(trk)) = (num(o, &["gs", "speed"]), num(o, &["track"])) else {
        return Err(Skip::Velocity);
    };
    let position = Position::new(lat, lon).map_err(|_| Skip::Invalid)?;
    let id = TrackId(u64::from(addr) | if non_icao { 1 << 24 } else { 0 });
    let state = TrackState {
        id,
        party: cfg.party,
        time: Timestamp::from_micros(((now_s - age) * 1e6) as i64),
        position,
        altitude,
        ground_speed: Knots(gs),
        track_angle: DegreesTrue(trk.rem_euclid(360.0)),
        vertical_rate: FeetPerMinute(if ground { 0.0 } else { num(o, rate_keys).unwrap_or(0.0) }),
        intent: None,
        callsign: o.get("flight").and_then(Value::as_str).and_then(Callsign::new),
        on_ground: ground,
    };
    state.validate().map_err(|_| Skip::Invalid)?;
    Ok((hex.to_owned(), state))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const DOC: &str = r#"{ "now" : 1720249200.5, "messages" : 123456, "aircraft" : [
{"hex":"393322","type":"adsb_icao","flight":"AFR34ZG ","alt_baro":4800,"alt_geom":4650,"gs":220.5,"track":263.9,"baro_rate":2176,"squawk":"1000","lat":48.995,"lon":2.41,"nic":8,"seen_pos":0.4,"seen":0.1,"rssi":-12.3},
{"hex":"~2a0b1c","type":"tisb_other","alt_geom":12000,"gs":300,"track":10,"geom_rate":-640,"lat":48.7,"lon":2.9,"seen_pos":2.0},
{"hex":"4ca2d6","alt_baro":"ground","gs":12.0,"track":181.4,"lat":49.01,"lon":2.55,"seen_pos":1.0},
{"hex":"400001","altitude":35000,"speed":450,"track":90,"vert_rate":0,"lat":50.0,"lon":1.0,"seen_pos":0},
{"hex":"400002","alt_baro":33000,"gs":400,"track":90,"lat":50.0,"lon":1.0,"seen_pos":45.0},
{"hex":"400003","alt_baro":33000,"gs":400,"track":90,"seen":1.0},
{"hex":"400004","alt_baro":33000,"lat":50.1,"lon":1.1,"seen_pos":1.0},
{"hex":"400005","gs":400,"track":90,"lat":50.1,"lon":1.1,"seen_pos":1.0},
{"hex":"zz","alt_baro":33000,"gs":400,"track":90,"lat":50.1,"lon":1.1},
{"hex":"400006","alt_baro":33000,"gs":400,"track":90,"lat":95.0,"lon":1.1}
]}"#;

    #[test]
    fn picture_to_states() {
        let p = parse(DOC, &AircraftJsonConfig { party: PartyId(4), ..Default::default() }).unwrap();
        assert_eq!(p.now, Timestamp::from_micros(1_720_249_200_500_000));
        assert_eq!(p.tracks.len(), 4);
        let (hex, s) = &p.tracks[0];
        assert_eq!(hex, "393322");
        assert_eq!((s.id, s.party), (TrackId(0x393322), PartyId(4)));
        assert_eq!(s.time, Timestamp::from_micros(1_720_249_200_100_000));
        assert_eq!(s.altitude, Altitude::pressure_ft(4800.0));
        assert_eq!((s.ground_speed.0, s.track_angle.0, s.vertical_rate.0), (220.5, 263.9, 2176.0));
        assert_eq!(s.callsign.unwrap().as_str(), "AFR34ZG");
        let (_, tisb) = &p.tracks[1];
        assert_eq!(tisb.id, TrackId(0x2a0b1c | 1 << 24));
        assert_eq!((tisb.altitude, tisb.vertical_rate.0), (Altitude::geometric_ft(12_000.0), -640.0));
        assert!(p.tracks[2].1.on_ground);
        assert_eq!(p.tracks[3].1.ground_speed.0, 450.0);
        assert_eq!(
            p.skipped,
            Skipped {
                bad_address: 1,
                no_position: 1,
                stale_position: 1,
                no_altitude: 1,
                no_velocity: 1,
                invalid: 1
            }
        );
        assert_eq!(parse("[]", &AircraftJsonConfig::default()), Err(AircraftJsonError::Shape));
        assert!(matches!(parse("{", &AircraftJsonConfig::default()), Err(AircraftJsonError::Json(_))));
    }
}
