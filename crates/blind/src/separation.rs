//! The exact conflict the tokens must never miss.

use geom::{AltitudeRange, Footprint, TimeWindow, Volume4D};

use crate::LinePolicy;

/// Whether the two volumes come within the line's separation: some instant
/// of one is within `buffer_t` of some instant of the other (windows are
/// half-open, `[s, e)` holding `s..=e-1`), their closed altitude ranges are
/// within `buffer_v`, and their footprints within `buffer_h` (geodesic). With
/// zero buffers this is exactly [`Volume4D::intersects`]. Token matching is a
/// guaranteed superset of this relation.
#[must_use]
pub fn within_separation(a: &Volume4D, b: &Volume4D, policy: &LinePolicy) -> bool {
    let p = policy.params();
    times_within(a.time(), b.time(), p.buffer_t_micros)
        && altitudes_within(a.altitude(), b.altitude(), p.buffer_v_m)
        && footprints_within(a.footprint(), b.footprint(), p.buffer_h_m)
}

fn times_within(a: &TimeWindow, b: &TimeWindow, buffer: i64) -> bool {
    let last = |w: &TimeWindow| {
        let (s, e) = (w.start().as_micros(), w.end().as_micros());
        if e > s { e - 1 } else { s }
    };
    let (sa, sb) = (i128::from(a.start().as_micros()), i128::from(b.start().as_micros()));
    let (la, lb) = (i128::from(last(a)), i128::from(last(b)));
    let d = i128::from(buffer);
    sa - d <= lb && sb - d <= la
}

fn altitudes_within(a: &AltitudeRange, b: &AltitudeRange, buffer: f64) -> bool {
    a.lower() - buffer <= b.upper() && b.lower() - buffer <= a.upper()
}

/// Footprints within `d` metres: a circle's reach is its radius plus `d`;
/// two polygons are within `d` when they intersect or a vertex of one is
/// within `d` of the other (the closest points of two disjoint polygons
/// with great-circle edges include a vertex of one of them).
fn footprints_within(a: &Footprint, b: &Footprint, d: f64) -> bool {
    if d == 0.0 {
        return a.intersects(b);
    }
    match (a, b) {
        (Footprint::Circle(c), other) | (other, Footprint::Circle(c)) => match other {
            Footprint::Circle(k) => {
                c.center().distance_m(&k.center())
                    <= c.radius_m() + k.radius_m() + d + geom::TOUCH_TOLERANCE_M
            }
            Footprint::Polygon(_) => other.contains(c.center(), c.radius_m() + d),
        },
        (Footprint::Polygon(pa), Footprint::Polygon(pb)) => {
            a.intersects(b)
                || pa.vertices().iter().any(|v| b.contains(*v, d))
                || pb.vertices().iter().any(|v| a.contains(*v, d))
        }
    }
}
