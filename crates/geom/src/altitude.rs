//! Closed altitude bands.

use crate::GeomError;

/// A closed altitude interval `[lower, upper]`, metres above the WGS84
/// ellipsoid (F3548 reference "W84", units "M"). Touching ranges overlap.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AltitudeRange {
    lower: f64,
    upper: f64,
}

impl AltitudeRange {
    /// Lowest accepted altitude (m).
    pub const MIN_M: f64 = -8000.0;
    /// Highest accepted altitude (m).
    pub const MAX_M: f64 = 100_000.0;

    /// A closed range `[lower, upper]`.
    ///
    /// # Errors
    /// [`GeomError::InvalidAltitude`] if a bound is not finite or outside
    /// `[MIN_M, MAX_M]`; [`GeomError::ReversedAltitude`] if `lower > upper`.
    ///
    /// ```
    /// use geom::AltitudeRange;
    /// let a = AltitudeRange::new(0.0, 120.0)?;
    /// assert!(a.overlaps(&AltitudeRange::new(120.0, 200.0)?));
    /// # Ok::<(), geom::GeomError>(())
    /// ```
    pub fn new(lower: f64, upper: f64) -> Result<Self, GeomError> {
        for v in [lower, upper] {
            if !v.is_finite() || !(Self::MIN_M..=Self::MAX_M).contains(&v) {
                return Err(GeomError::InvalidAltitude(v));
            }
        }
        if lower > upper {
            return Err(GeomError::ReversedAltitude { lower, upper });
        }
        Ok(Self { lower, upper })
    }

    /// `[MIN_M, MAX_M]`.
    #[must_use]
    pub const fn unbounded() -> Self {
        Self { lower: Self::MIN_M, upper: Self::MAX_M }
    }

    /// Lower bound (m).
    #[must_use]
    pub const fn lower(&self) -> f64 {
        self.lower
    }

    /// Upper bound (m).
    #[must_use]
    pub const fn upper(&self) -> f64 {
        self.upper
    }

    /// Closed overlap: touching ranges overlap.
    #[must_use]
    pub fn overlaps(&self, other: &AltitudeRange) -> bool {
        self.lower <= other.upper && other.lower <= self.upper
    }

    /// `lower - tolerance_m <= alt_m <= upper + tolerance_m`.
    #[must_use]
    pub fn contains(&self, alt_m: f64, tolerance_m: f64) -> bool {
        alt_m >= self.lower - tolerance_m && alt_m <= self.upper + tolerance_m
    }

    /// The smallest range containing both (gaps included).
    #[must_use]
    pub fn union(&self, other: &AltitudeRange) -> AltitudeRange {
        AltitudeRange { lower: self.lower.min(other.lower), upper: self.upper.max(other.upper) }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn validation() {
        assert_eq!(AltitudeRange::new(-9000.0, 0.0), Err(GeomError::InvalidAltitude(-9000.0)));
        assert_eq!(AltitudeRange::new(0.0, 100_001.0), Err(GeomError::InvalidAltitude(100_001.0)));
        assert!(matches!(AltitudeRange::new(f64::NAN, 0.0), Err(GeomError::InvalidAltitude(_))));
        assert_eq!(AltitudeRange::new(0.0, f64::INFINITY), Err(GeomError::InvalidAltitude(f64::INFINITY)));
        let e = AltitudeRange::new(120.0, 50.0).unwrap_err();
        assert_eq!(e, GeomError::ReversedAltitude { lower: 120.0, upper: 50.0 });
        assert_eq!(e.to_string(), "altitude lower bound 120 m is above upper bound 50 m");
        assert_eq!(
            GeomError::InvalidAltitude(-9000.0).to_string(),
            "altitude -9000 m is outside [-8000, 100000] m (WGS84 ellipsoid)"
        );
        assert!(AltitudeRange::new(AltitudeRange::MIN_M, AltitudeRange::MAX_M).is_ok());
        assert!(AltitudeRange::new(10.0, 10.0).is_ok());
    }

    #[test]
    fn closed_overlap() {
        let a = AltitudeRange::new(0.0, 100.0).unwrap();
        let b = AltitudeRange::new(100.0, 200.0).unwrap();
        let c = AltitudeRange::new(100.001, 200.0).unwrap();
        assert!(a.overlaps(&b) && b.overlaps(&a));
        assert!(!a.overlaps(&c) && !c.overlaps(&a));
        assert!(a.contains(100.0, 0.0));
        assert!(!a.contains(100.5, 0.0));
        assert!(a.contains(100.5, 0.5));
        assert!(a.contains(-0.5, 0.5));
        assert_eq!(a.union(&c), AltitudeRange::new(0.0, 200.0).unwrap());
        assert!(AltitudeRange::unbounded().overlaps(&a));
    }
}
