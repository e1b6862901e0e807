//! The boxes written to and searched in the R*Tree tables.
//!
//! Axes: longitude (deg), latitude (deg), altitude (m), time (whole seconds
//! since the Unix epoch). SQLite stores R*Tree coordinates as 32-bit floats
//! and rounds them outward (lower bounds down, upper bounds up), so a stored
//! box always contains the box we computed; time is converted from µs to
//! seconds here, rounding outward too (floor for the start, ceil for the
//! end), because µs since the epoch (~1.9e15) would lose far more than a
//! second in an `f32` mantissa. Rounding outward on both the stored and the
//! queried side only ever grows boxes, so every box that intersects the query
//! exactly is still found: the search returns a superset.

use deconflict_core::model::{extents_bbox, extents_time};
use deconflict_core::store::AreaQuery;
use geom::{Box4, Time, Volume4D};

const MICROS: i64 = 1_000_000;

/// A closed 4D box in R*Tree units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct RBox {
    pub(crate) min: [f64; 4],
    pub(crate) max: [f64; 4],
}

/// Whole seconds at or before `t`.
fn floor_secs(t: Time) -> f64 {
    // Exact: |t| / 1e6 < 2^53.
    t.as_micros().div_euclid(MICROS) as f64
}

/// Whole seconds at or after `t`.
fn ceil_secs(t: Time) -> f64 {
    let us = t.as_micros();
    (us.div_euclid(MICROS) + i64::from(us.rem_euclid(MICROS) != 0)) as f64
}

impl RBox {
    fn new(b: &Box4, start: Time, end: Time) -> Self {
        Self {
            min: [b.min[0], b.min[1], b.min[2], floor_secs(start)],
            max: [b.max[0], b.max[1], b.max[2], ceil_secs(end)],
        }
    }

    /// The box indexed for an entity with these extents.
    pub(crate) fn of_extents(extents: &[Volume4D]) -> Self {
        let t = extents_time(extents);
        Self::new(&extents_bbox(extents), t.start(), t.end())
    }

    /// The box searched for an area.
    pub(crate) fn of_area(area: &AreaQuery<'_>) -> Self {
        let (start, end) = area.time_bounds();
        Self::new(area.bbox(), start, end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_round_outward() {
        let t = |us| Time::from_micros(us);
        assert_eq!(floor_secs(t(1_500_000)), 1.0);
        assert_eq!(ceil_secs(t(1_500_000)), 2.0);
        assert_eq!(floor_secs(t(2_000_000)), 2.0);
        assert_eq!(ceil_secs(t(2_000_000)), 2.0);
        assert_eq!(floor_secs(t(-1)), -1.0);
        assert_eq!(ceil_secs(t(-1)), 0.0);
        assert_eq!(floor_secs(Time::MIN), (i64::MIN / MICROS - 1) as f64);
        assert_eq!(ceil_secs(Time::MAX), (i64::MAX / MICROS + 1) as f64);
    }
}
