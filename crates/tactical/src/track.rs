//! The track model: identifiers and one reported state of one aircraft.

use crate::units::{Altitude, DegreesTrue, FeetPerMinute, Knots, Timestamp};

/// Identifies one track (one aircraft) within a picture. For ADS-B tracks this
/// is the 24-bit ICAO address; other sources assign their own numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TrackId(pub u64);

impl std::fmt::Display for TrackId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Identifies the party (operator, USS or surveillance feed) that owns a
/// track and receives alerts about it. The mapping to real parties is the
/// server's business.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PartyId(pub u64);

/// Opaque key of the owner's operational intent (a 16-byte UUID value).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OperationKey(pub [u8; 16]);

impl From<u128> for OperationKey {
    fn from(v: u128) -> Self {
        Self(v.to_be_bytes())
    }
}

/// A flight identification (callsign), up to 8 ASCII characters, stored
/// inline (no allocation).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Callsign {
    bytes: [u8; 8],
    len: u8,
}

impl Callsign {
    /// A callsign from `s` with surrounding spaces trimmed; `None` when empty,
    /// longer than 8 bytes, or not printable ASCII.
    pub fn new(s: &str) -> Option<Self> {
        let s = s.trim();
        if s.is_empty() || s.len() > 8 || !s.bytes().all(|b| b.is_ascii_graphic()) {
            return None;
        }
        let mut bytes = [0u8; 8];
        bytes[..s.len()].copy_from_slice(s.as_bytes());
        Some(Self { bytes, len: s.len() as u8 })
    }

    /// The callsign text.
    pub fn as_str(&self) -> &str {
        // Only printable ASCII is ever stored, so this cannot fail.
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or("")
    }
}

impl std::fmt::Debug for Callsign {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Callsign({:?})", self.as_str())
    }
}

/// Largest accepted |altitude|, feet.
pub const MAX_ABS_ALTITUDE_FT: f64 = 1_000_000.0;
/// Largest accepted ground speed, knots.
pub const MAX_GROUND_SPEED_KT: f64 = 10_000.0;
/// Largest accepted |vertical rate|, feet per minute.
pub const MAX_ABS_VERTICAL_RATE_FPM: f64 = 100_000.0;

/// Why a [`Position`] or [`TrackState`] is invalid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TrackError {
    /// Latitude not a finite number in `[-90, 90]` degrees.
    #[error("latitude out of range")]
    Latitude,
    /// Longitude not a finite number in `[-180, 180]` degrees.
    #[error("longitude out of range")]
    Longitude,
    /// Altitude not finite or implausible.
    #[error("altitude not finite or implausible")]
    Altitude,
    /// Ground speed negative, not finite or implausible.
    #[error("ground speed negative, not finite or implausible")]
    GroundSpeed,
    /// Track angle not finite.
    #[error("track angle not finite")]
    TrackAngle,
    /// Vertical rate not finite or implausible.
    #[error("vertical rate not finite or implausible")]
    VerticalRate,
}

impl TrackError {
    /// The field at fault, as the CSV traffic files and the track reports of
    /// the HTTP API name it (`lat`, `lon`, `alt_ft`, `gs_kt`, `trk_deg`, `vs_fpm`).
    #[must_use]
    pub const fn field(self) -> &'static str {
        match self {
            Self::Latitude => "lat",
            Self::Longitude => "lon",
            Self::Altitude => "alt_ft",
            Self::GroundSpeed => "gs_kt",
            Self::TrackAngle => "trk_deg",
            Self::VerticalRate => "vs_fpm",
        }
    }
}

/// A WGS84 geodetic position in degrees (latitude north, longitude east).
///
/// Invariant: latitude in `[-90, 90]`, longitude in `[-180, 180]`, both finite.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Position {
    lat_deg: f64,
    lon_deg: f64,
}

impl Position {
    /// A validated position.
    pub fn new(lat_deg: f64, lon_deg: f64) -> Result<Self, TrackError> {
        if !(-90.0..=90.0).contains(&lat_deg) {
            return Err(TrackError::Latitude);
        }
        if !(-180.0..=180.0).contains(&lon_deg) {
            return Err(TrackError::Longitude);
        }
        Ok(Self { lat_deg, lon_deg })
    }

    /// Latitude in degrees north.
    pub fn lat_deg(&self) -> f64 {
        self.lat_deg
    }

    /// Longitude in degrees east.
    pub fn lon_deg(&self) -> f64 {
        self.lon_deg
    }
}

/// One reported state of one track.
///
/// Horizontal motion is `ground_speed` along `track_angle` (over the
/// ground, true north); vertical motion is `vertical_rate`. Prediction
/// extrapolates linearly from `time`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrackState {
    /// Which track.
    pub id: TrackId,
    /// Who owns it (and receives alerts about it).
    pub party: PartyId,
    /// When the position was measured.
    pub time: Timestamp,
    /// Where the aircraft was at `time`.
    pub position: Position,
    /// Its altitude at `time`.
    pub altitude: Altitude,
    /// Ground speed.
    pub ground_speed: Knots,
    /// Track angle over the ground, degrees true.
    pub track_angle: DegreesTrue,
    /// Vertical rate, feet per minute (positive up).
    pub vertical_rate: FeetPerMinute,
    /// The owner's operational intent this flight claims to follow, if any.
    pub intent: Option<OperationKey>,
    /// The flight identification, when known.
    pub callsign: Option<Callsign>,
    /// The source says the aircraft is on the ground (SBS-1 flag, ADS-B
    /// surface position, `aircraft.json` `"ground"`). Ground traffic is never
    /// alerted ([`crate::AlertConfig::floor_ft`]).
    pub on_ground: bool,
}

impl TrackState {
    /// Checks that every numeric field is finite and physically plausible:
    /// |altitude| ≤ [`MAX_ABS_ALTITUDE_FT`], ground speed in
    /// `[0, MAX_GROUND_SPEED_KT]`, |vertical rate| ≤ [`MAX_ABS_VERTICAL_RATE_FPM`].
    pub fn validate(&self) -> Result<(), TrackError> {
        if !(-MAX_ABS_ALTITUDE_FT..=MAX_ABS_ALTITUDE_FT).contains(&self.altitude.feet) {
            return Err(TrackError::Altitude);
        }
        if !(0.0..=MAX_GROUND_SPEED_KT).contains(&self.ground_speed.0) {
            return Err(TrackError::GroundSpeed);
        }
        if !self.track_angle.0.is_finite() {
            return Err(TrackError::TrackAngle);
        }
        if !(-MAX_ABS_VERTICAL_RATE_FPM..=MAX_ABS_VERTICAL_RATE_FPM).contains(&self.vertical_rate.0) {
            return Err(TrackError::VerticalRate);
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn position_validation() {
        assert!(Position::new(51.0, -0.1).is_ok());
        assert_eq!(Position::new(90.1, 0.0), Err(TrackError::Latitude));
        assert_eq!(Position::new(f64::NAN, 0.0), Err(TrackError::Latitude));
        assert_eq!(Position::new(0.0, 180.5), Err(TrackError::Longitude));
    }

    #[test]
    fn callsign_inline() {
        let c = Callsign::new(" BAW123  ").unwrap();
        assert_eq!(c.as_str(), "BAW123");
        assert!(Callsign::new("        ").is_none());
        assert!(Callsign::new("TOOLONGXX").is_none());
        assert_eq!(format!("{c:?}"), "Callsign(\"BAW123\")");
    }

    #[test]
    fn operation_key_from_u128() {
        assert_eq!(OperationKey::from(1u128).0[15], 1);
    }
}
