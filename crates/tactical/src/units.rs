//! Units of measure and time used throughout the crate.
//!
//! Every quantity carries its unit in its type (or, for plain `f64` fields,
//! in its name: `_s` seconds, `_m` metres, `_ft` feet, `_nm` nautical miles).

/// Metres in one international nautical mile.
pub const METRES_PER_NM: f64 = 1852.0;
/// Metres in one international foot.
pub const METRES_PER_FT: f64 = 0.3048;
/// Metres per second in one knot (one nautical mile per hour).
pub const MPS_PER_KT: f64 = METRES_PER_NM / 3600.0;

/// An instant: microseconds since the Unix epoch (UTC).
///
/// The crate never reads a clock; every instant is passed in by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The instant `us` microseconds after the Unix epoch.
    pub const fn from_micros(us: i64) -> Self {
        Self(us)
    }

    /// The instant `s` seconds after the Unix epoch.
    pub const fn from_secs(s: i64) -> Self {
        Self(s.saturating_mul(1_000_000))
    }

    /// Microseconds since the Unix epoch.
    pub const fn as_micros(self) -> i64 {
        self.0
    }

    /// Seconds elapsed from `earlier` to `self` (negative if `earlier` is later).
    pub fn secs_since(self, earlier: Timestamp) -> f64 {
        self.0.saturating_sub(earlier.0) as f64 * 1e-6
    }

    /// `self` plus `d`, saturating at the representable range.
    pub fn saturating_add(self, d: std::time::Duration) -> Self {
        let us = i64::try_from(d.as_micros()).unwrap_or(i64::MAX);
        Self(self.0.saturating_add(us))
    }

    /// `self` minus `d`, saturating at the representable range.
    pub fn saturating_sub(self, d: std::time::Duration) -> Self {
        let us = i64::try_from(d.as_micros()).unwrap_or(i64::MAX);
        Self(self.0.saturating_sub(us))
    }
}

/// Speed over the ground in knots (nautical miles per hour).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default)]
pub struct Knots(pub f64);

impl Knots {
    /// The speed in metres per second.
    pub fn to_mps(self) -> f64 {
        self.0 * MPS_PER_KT
    }
}

/// A direction in degrees clockwise from true north, `[0, 360)`.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default)]
pub struct DegreesTrue(pub f64);

/// A vertical rate in feet per minute, positive when climbing.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default)]
pub struct FeetPerMinute(pub f64);

impl FeetPerMinute {
    /// The rate in feet per second.
    pub fn to_fps(self) -> f64 {
        self.0 / 60.0
    }
}

/// What an altitude is measured against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AltitudeRef {
    /// Barometric pressure altitude (standard setting 1013.25 hPa), as
    /// reported by Mode C/S and ADS-B barometric altitude. Flight levels.
    #[default]
    Pressure,
    /// Geometric altitude: height above the WGS84 ellipsoid (as from GNSS).
    Geometric,
}

/// An altitude in feet, with its reference.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Altitude {
    /// Altitude in feet.
    pub feet: f64,
    /// What `feet` is measured against.
    pub reference: AltitudeRef,
}

impl Altitude {
    /// A pressure altitude in feet (FL330 is `pressure_ft(33_000.0)`).
    pub const fn pressure_ft(feet: f64) -> Self {
        Self { feet, reference: AltitudeRef::Pressure }
    }

    /// A geometric altitude (above the WGS84 ellipsoid) in feet.
    pub const fn geometric_ft(feet: f64) -> Self {
        Self { feet, reference: AltitudeRef::Geometric }
    }

    /// The altitude in metres, same reference.
    pub fn to_metres(self) -> f64 {
        self.feet * METRES_PER_FT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions() {
        assert!((Knots(3600.0).to_mps() - 1852.0).abs() < 1e-9);
        assert!((FeetPerMinute(600.0).to_fps() - 10.0).abs() < 1e-12);
        assert!((Altitude::pressure_ft(1000.0).to_metres() - 304.8).abs() < 1e-9);
        let t = Timestamp::from_secs(10);
        assert_eq!(t.as_micros(), 10_000_000);
        assert!((t.secs_since(Timestamp::from_micros(9_500_000)) - 0.5).abs() < 1e-12);
        let d = std::time::Duration::from_millis(1500);
        assert_eq!(t.saturating_add(d).as_micros(), 11_500_000);
        assert_eq!(t.saturating_sub(d).as_micros(), 8_500_000);
    }
}
