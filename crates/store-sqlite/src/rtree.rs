//! The boxes written to and searched in the R*Tree tables.
//!
//! Axes and units: longitude (degrees), latitude (degrees), altitude
//! (**kilometres**), time (**hours** since [`INDEX_EPOCH_US`], 2024-01-01Z).
//!
//! Why these units: SQLite's R*Tree chooses split axes and subtrees by box
//! margins (sums of edge lengths), which depend on each axis's scale. With
//! time in seconds (a day is 86,400 units) or altitude in metres, against a
//! few degrees of longitude, the tree ends up partitioned almost only by time
//! and space barely prunes: on 100,000 small intents a 2 km × 1 h search cost
//! ~115 µs and a 2 km × 24 h one ~760 µs. In degrees/km/hours the extents of
//! typical entities (0.01–0.05°, 0.03–0.3 km, 0.2–2 h) are comparable on every
//! axis and the same searches take ~11 µs and ~28 µs.
//!
//! Precision: SQLite stores R*Tree coordinates as 32-bit floats and rounds
//! them outward (lower bounds down, upper bounds up). Hours are counted from
//! 2024 rather than 1970 to keep the `f32` step small (≈ 14 s in 2030,
//! ≈ 28 s until 2039). Before SQLite sees them, values are rounded outward
//! here too: time to whole seconds (floor/ceil, exact in integers), then one
//! `f64` ulp down/up after each inexact division. Both the stored and the
//! searched boxes only ever grow, so every entity whose exact box meets the
//! query box is found: the search returns a superset, as the trait requires.

use deconflict_core::model::{extents_bbox, extents_time};
use deconflict_core::store::AreaQuery;
use geom::{Box4, Time, Volume4D};

/// Origin of the R*Tree time axis: 2024-01-01T00:00:00Z in µs since the Unix epoch.
pub(crate) const INDEX_EPOCH_US: i64 = 1_704_067_200_000_000;

const MICROS_PER_SECOND: i64 = 1_000_000;
const SECONDS_PER_HOUR: f64 = 3600.0;
const METRES_PER_KM: f64 = 1000.0;

/// A closed 4D box in R*Tree units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct RBox {
    pub(crate) min: [f64; 4],
    pub(crate) max: [f64; 4],
}

/// Whole seconds since the index epoch at or before `t`.
fn floor_secs(t: Time) -> i64 {
    t.as_micros().div_euclid(MICROS_PER_SECOND) - INDEX_EPOCH_US / MICROS_PER_SECOND
}

/// Whole seconds since the index epoch at or after `t`.
fn ceil_secs(t: Time) -> i64 {
    let us = t.as_micros();
    us.div_euclid(MICROS_PER_SECOND) + i64::from(us.rem_euclid(MICROS_PER_SECOND) != 0)
        - INDEX_EPOCH_US / MICROS_PER_SECOND
}

/// Hours at or before `t`. `secs as f64` is exact (|secs| < 2^53); the
/// division may round either way, so step one ulp down.
fn lower_hours(t: Time) -> f64 {
    (floor_secs(t) as f64 / SECONDS_PER_HOUR).next_down()
}

/// Hours at or after `t`.
fn upper_hours(t: Time) -> f64 {
    (ceil_secs(t) as f64 / SECONDS_PER_HOUR).next_up()
}

impl RBox {
    fn new(b: &Box4, start: Time, end: Time) -> Self {
        Self {
            min: [b.min[0], b.min[1], (b.min[2] / METRES_PER_KM).next_down(), lower_hours(start)],
            max: [b.max[0], b.max[1], (b.max[2] / METRES_PER_KM).next_up(), upper_hours(end)],
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

    const EPOCH_S: i64 = INDEX_EPOCH_US / MICROS_PER_SECOND;

    #[test]
    fn seconds_round_outward() {
        let t = |us| Time::from_micros(INDEX_EPOCH_US + us);
        assert_eq!(floor_secs(t(1_500_000)), 1);
        assert_eq!(ceil_secs(t(1_500_000)), 2);
        assert_eq!(floor_secs(t(2_000_000)), 2);
        assert_eq!(ceil_secs(t(2_000_000)), 2);
        assert_eq!(floor_secs(t(-1)), -1);
        assert_eq!(ceil_secs(t(-1)), 0);
        assert_eq!(floor_secs(Time::MIN), i64::MIN / MICROS_PER_SECOND - 1 - EPOCH_S);
        assert_eq!(ceil_secs(Time::MAX), i64::MAX / MICROS_PER_SECOND + 1 - EPOCH_S);
    }

    #[test]
    fn hours_bracket_the_instant() {
        for us in [0, 1, 999_999, 3_600_000_000, 7 * 3_600_000_000 + 1, 200_000 * 3_600_000_000, -5] {
            let t = Time::from_micros(INDEX_EPOCH_US + us);
            let exact = us as f64 / 3.6e9;
            assert!(lower_hours(t) <= exact && exact <= upper_hours(t), "{us}");
            assert!(upper_hours(t) - lower_hours(t) < 1.0 / 3600.0 + 1e-9, "{us}");
        }
        assert!(lower_hours(Time::MIN).is_finite() && upper_hours(Time::MAX).is_finite());
    }
}
