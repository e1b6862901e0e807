//! Planar predicates on gnomonic coordinates.

use geo::Coord;
use geo::algorithm::kernels::{Kernel, Orientation, RobustKernel};

pub(crate) type P2 = [f64; 2];

fn c(p: P2) -> Coord<f64> {
    Coord { x: p[0], y: p[1] }
}

/// Robust orientation sign of `r` relative to the directed line `p -> q`:
/// 1 left, -1 right, 0 collinear.
pub(crate) fn orient(p: P2, q: P2, r: P2) -> i8 {
    match RobustKernel::orient2d(c(p), c(q), c(r)) {
        Orientation::CounterClockwise => 1,
        Orientation::Clockwise => -1,
        Orientation::Collinear => 0,
    }
}

fn on_segment_collinear(a: P2, b: P2, p: P2) -> bool {
    p[0] >= a[0].min(b[0]) && p[0] <= a[0].max(b[0]) && p[1] >= a[1].min(b[1]) && p[1] <= a[1].max(b[1])
}

/// Exact closed segment intersection test (touching counts).
pub(crate) fn segments_intersect(a: P2, b: P2, c: P2, d: P2) -> bool {
    let o1 = orient(a, b, c);
    let o2 = orient(a, b, d);
    let o3 = orient(c, d, a);
    let o4 = orient(c, d, b);
    if o1 != o2 && o3 != o4 && o1 != 0 && o2 != 0 && o3 != 0 && o4 != 0 {
        return true;
    }
    (o1 == 0 && on_segment_collinear(a, b, c))
        || (o2 == 0 && on_segment_collinear(a, b, d))
        || (o3 == 0 && on_segment_collinear(c, d, a))
        || (o4 == 0 && on_segment_collinear(c, d, b))
        || (o1 * o2 < 0 && o3 * o4 < 0)
}

/// Squared distance from `p` to segment `a-b`, and the parameter `t` in
/// `[0, 1]` of the nearest point.
pub(crate) fn point_segment_dist2(p: P2, a: P2, b: P2) -> (f64, f64) {
    let ab = [b[0] - a[0], b[1] - a[1]];
    let ap = [p[0] - a[0], p[1] - a[1]];
    let len2 = ab[0] * ab[0] + ab[1] * ab[1];
    let t = if len2 > 0.0 { ((ap[0] * ab[0] + ap[1] * ab[1]) / len2).clamp(0.0, 1.0) } else { 0.0 };
    let dx = a[0] + t * ab[0] - p[0];
    let dy = a[1] + t * ab[1] - p[1];
    (dx * dx + dy * dy, t)
}

/// Whether the closed segments come within `eps` of each other.
pub(crate) fn segments_within(a: P2, b: P2, c: P2, d: P2, eps: f64) -> bool {
    if segments_intersect(a, b, c, d) {
        return true;
    }
    let e2 = eps * eps;
    point_segment_dist2(a, c, d).0 <= e2
        || point_segment_dist2(b, c, d).0 <= e2
        || point_segment_dist2(c, a, b).0 <= e2
        || point_segment_dist2(d, a, b).0 <= e2
}

/// Even-odd point-in-polygon test (ring implicitly closed). Points exactly
/// on the boundary may go either way; callers handle the boundary
/// separately with a distance test.
pub(crate) fn point_in_ring(p: P2, ring: &[P2]) -> bool {
    let mut inside = false;
    let n = ring.len();
    let mut j = n.wrapping_sub(1);
    for i in 0..n {
        let (a, b) = (ring[i], ring[j]);
        if (a[1] > p[1]) != (b[1] > p[1]) {
            let x = a[0] + (p[1] - a[1]) / (b[1] - a[1]) * (b[0] - a[0]);
            if p[0] < x {
                inside = !inside;
            }
        }
        j = i;
    }
    inside
}

/// Axis-aligned bounding rectangle of a segment, expanded by `eps`.
pub(crate) fn seg_rect(a: P2, b: P2, eps: f64) -> rstar::primitives::Rectangle<P2> {
    rstar::primitives::Rectangle::from_corners(
        [a[0].min(b[0]) - eps, a[1].min(b[1]) - eps],
        [a[0].max(b[0]) + eps, a[1].max(b[1]) + eps],
    )
}
