//! Intersection geometry of two footprints ("the part of B that A may see").
//!
//! Both footprints are projected into one gnomonic plane centred between
//! them. Great-circle edges are straight there, so polygon edges are exact
//! segments; the planar intersection is computed by `geo`'s boolean
//! operations (`i_overlay`) and its vertices are projected back. The edges of
//! the result are again great-circle arcs, the F3548 polygon convention, so
//! the result is exact up to floating point for polygon/polygon.
//!
//! A circle is replaced by a **circumscribed** regular polygon: its vertices
//! lie on the geodesic circle of radius `r / cos(1.01·π/n)` (the 1 % margin
//! absorbs the ≤ 0.7 % anisotropy of the WGS84 metric in geodetic
//! coordinates), so the polygon contains the disc and the reported overlap is
//! never smaller than the true one; `n` is chosen so that the polygon's
//! boundary is at most [`CLIP_CIRCLE_TOLERANCE_M`] outside the circle.

use std::f64::consts::PI;

use geo::BooleanOps;

use crate::footprint::circle_outline;
use crate::sphere::{self, Gnomonic, V3};
use crate::{Circle, Footprint, LatLng};

/// Largest distance (m) by which the polygon standing in for a circle in
/// [`clip`] lies outside the circle. It never lies inside it.
pub const CLIP_CIRCLE_TOLERANCE_M: f64 = 0.5;

/// Fewest and most vertices of the polygon standing in for a circle.
const MIN_CIRCLE_VERTICES: usize = 128;
const MAX_CIRCLE_VERTICES: usize = 8192;

/// Safety factor on the angular step of the circumscribed polygon.
const STEP_MARGIN: f64 = 1.01;

/// The intersection of two footprints as polygons: outer rings of lat/lng
/// vertices (no closing vertex), edges being great-circle arcs, disjoint from
/// each other. Empty when the footprints do not intersect, or only touch
/// (a zero-area intersection has no polygon).
///
/// Circles are approximated from outside (see the module docs and
/// [`CLIP_CIRCLE_TOLERANCE_M`]), so the result may exceed the true
/// intersection by that much at a circular boundary, never fall short of it.
/// The intersection of two simple polygons has no holes; should rounding ever
/// produce one it is dropped (the result only grows). Vertices closer than a
/// centimetre are merged, so every ring is a valid [`crate::Polygon`].
///
/// ```
/// use geom::*;
/// let sq = |lat: f64, lng: f64| -> Result<Footprint, GeomError> {
///     Ok(Footprint::Polygon(Polygon::new(vec![
///         LatLng::new(lat, lng)?,
///         LatLng::new(lat, lng + 0.01)?,
///         LatLng::new(lat + 0.01, lng + 0.01)?,
///         LatLng::new(lat + 0.01, lng)?,
///     ])?))
/// };
/// let parts = clip(&sq(46.0, 6.0)?, &sq(46.005, 6.005)?);
/// assert_eq!(parts.len(), 1);
/// assert_eq!(parts[0].len(), 4);
/// assert!(clip(&sq(46.0, 6.0)?, &sq(47.0, 6.0)?).is_empty());
/// # Ok::<(), GeomError>(())
/// ```
#[must_use]
pub fn clip(a: &Footprint, b: &Footprint) -> Vec<Vec<LatLng>> {
    if !a.intersects(b) {
        return Vec::new();
    }
    let proj = Gnomonic::new(sphere::normalize(add(centre(a), centre(b))));
    let pa = planar_polygon(a, &proj);
    let pb = planar_polygon(b, &proj);
    let out = pa.intersection(&pb);
    out.0
        .iter()
        .filter_map(|p| {
            let coords = &p.exterior().0;
            let n = coords.len().saturating_sub(usize::from(coords.first() == coords.last()));
            let ring = clean_ring(coords[..n].iter().map(|c| [c.x, c.y]).collect());
            let mut out: Vec<LatLng> = Vec::with_capacity(ring.len());
            for c in ring {
                let q = sphere::to_latlng(proj.unproject([c[0] / SCALE, c[1] / SCALE]));
                if out.last() != Some(&q) {
                    out.push(q);
                }
            }
            while out.len() > 1 && out.first() == out.last() {
                out.pop();
            }
            (out.len() >= 3).then_some(out)
        })
        .collect()
}

/// Vertices of the overlay closer than this (plane units ≈ metres) to their
/// neighbour are merged; the overlay rounds to a grid of a few micrometres
/// (up to about a millimetre for the largest footprints), which can leave
/// pairs of nearly equal vertices or needle-thin spikes behind.
const SNAP: f64 = 0.01;

/// Removes vertices within [`SNAP`] of their predecessor and the tips of
/// spikes (a vertex where the ring folds back onto itself within [`SNAP`]),
/// until none is left. The ring is implicitly closed.
fn clean_ring(mut ring: Vec<[f64; 2]>) -> Vec<[f64; 2]> {
    let d2 = |a: [f64; 2], b: [f64; 2]| (a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2);
    let mut changed = true;
    while changed && ring.len() >= 3 {
        changed = false;
        let mut i = 0;
        while i < ring.len() && ring.len() >= 3 {
            let n = ring.len();
            let (p, v, q) = (ring[(i + n - 1) % n], ring[i], ring[(i + 1) % n]);
            let close = d2(p, v) < SNAP * SNAP;
            let (pv, qv) = ([p[0] - v[0], p[1] - v[1]], [q[0] - v[0], q[1] - v[1]]);
            let folds = pv[0] * qv[0] + pv[1] * qv[1] > 0.0
                && (crate::planar::point_segment_dist2(q, v, p).0 < SNAP * SNAP
                    || crate::planar::point_segment_dist2(p, v, q).0 < SNAP * SNAP);
            if close || folds {
                ring.remove(i);
                changed = true;
            } else {
                i += 1;
            }
        }
    }
    ring
}

/// Plane coordinates are scaled from gnomonic units (≈ radians) to about
/// metres, so that the overlay works on numbers of ordinary size.
const SCALE: f64 = sphere::WGS84_A;

fn add(a: V3, b: V3) -> V3 {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}

fn centre(f: &Footprint) -> V3 {
    match f {
        Footprint::Polygon(p) => p.cap().0,
        Footprint::Circle(c) => sphere::to_vec(c.center()),
    }
}

fn planar_polygon(f: &Footprint, proj: &Gnomonic) -> geo::Polygon<f64> {
    let ring: Vec<geo::Coord<f64>> = match f {
        Footprint::Polygon(p) => p.project(proj).into_iter().map(coord).collect(),
        Footprint::Circle(c) => circle_ring(c).into_iter().map(|u| coord(proj.project(u))).collect(),
    };
    geo::Polygon::new(geo::LineString::new(ring), vec![])
}

fn coord(p: [f64; 2]) -> geo::Coord<f64> {
    geo::Coord { x: p[0] * SCALE, y: p[1] * SCALE }
}

/// Number of vertices of the circumscribed polygon standing in for `c`.
pub(crate) fn circle_vertices(radius_m: f64) -> usize {
    // Boundary overshoot r·(sec(m·π/n) − 1) <= tol  <=>  n >= m·π / acos(1 / (1 + tol/r)).
    let half_step = (1.0 / (1.0 + CLIP_CIRCLE_TOLERANCE_M / radius_m)).acos();
    let n = (STEP_MARGIN * PI / half_step).ceil();
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let n = if n.is_finite() { n.min(MAX_CIRCLE_VERTICES as f64) as usize } else { MAX_CIRCLE_VERTICES };
    n.clamp(MIN_CIRCLE_VERTICES, MAX_CIRCLE_VERTICES)
}

/// Unit vectors of the circumscribed polygon of `c`, by increasing bearing.
fn circle_ring(c: &Circle) -> Vec<V3> {
    let n = circle_vertices(c.radius_m());
    #[allow(clippy::cast_precision_loss)]
    let scale = 1.0 / (STEP_MARGIN * PI / n as f64).cos();
    circle_outline(c, n, scale)
        .into_iter()
        .map(|q| {
            let (la, ln) = (q.y.to_radians(), q.x.to_radians());
            [la.cos() * ln.cos(), la.cos() * ln.sin(), la.sin()]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::Polygon;
    use crate::test_shapes::{circle, ll, poly, square};
    use geo::{Destination, Geodesic};

    fn area(parts: &[Vec<LatLng>]) -> f64 {
        parts.iter().map(|r| Footprint::Polygon(Polygon::new(r.clone()).unwrap()).area_m2()).sum()
    }

    /// Whether `ring` equals `expected` up to rotation, vertex by vertex
    /// within `tol_m`.
    fn same_ring(ring: &[LatLng], expected: &[LatLng], tol_m: f64) -> bool {
        if ring.len() != expected.len() {
            return false;
        }
        (0..ring.len()).any(|shift| {
            expected.iter().enumerate().all(|(i, e)| ring[(i + shift) % ring.len()].distance_m(e) < tol_m)
        })
    }

    #[test]
    fn overlapping_squares_give_the_overlap_square() {
        let a = square(46.0, 6.0, 0.01);
        let b = square(46.004, 6.006, 0.01);
        let parts = clip(&a, &b);
        assert_eq!(parts.len(), 1, "{parts:?}");
        // The overlap's corners: two original vertices and two edge crossings.
        let expected = [ll(46.004, 6.006), ll(46.004, 6.01), ll(46.01, 6.01), ll(46.01, 6.006)];
        // The great-circle edges bulge poleward by < 1 cm over 0.01°, so the
        // corners are those of the lat/lng box to within centimetres.
        assert!(same_ring(&parts[0], &expected, 0.05), "{:?}", parts[0]);
        let box_area = poly(&[(46.004, 6.006), (46.004, 6.01), (46.01, 6.01), (46.01, 6.006)]).area_m2();
        assert!((area(&parts) - box_area).abs() < 1.0, "{} vs {box_area}", area(&parts));
        // Symmetric.
        let back = clip(&b, &a);
        assert!((area(&back) - box_area).abs() < 1.0);
    }

    #[test]
    fn disjoint_is_empty() {
        assert!(clip(&square(46.0, 6.0, 0.01), &square(46.0, 6.02, 0.01)).is_empty());
        assert!(clip(&circle(46.0, 6.0, 500.0), &circle(46.0, 6.1, 500.0)).is_empty());
        assert!(clip(&circle(46.0, 6.0, 500.0), &square(46.1, 6.0, 0.01)).is_empty());
    }

    #[test]
    fn touching_has_no_area() {
        let a = square(46.0, 6.0, 0.01);
        let b = poly(&[(46.0, 6.01), (46.0, 6.02), (46.01, 6.02), (46.01, 6.01)]);
        assert!(a.intersects(&b));
        assert!(area(&clip(&a, &b)) < 1.0);
    }

    #[test]
    fn nested_gives_the_inner_one() {
        let outer = square(46.0, 6.0, 0.1);
        let inner = square(46.03, 6.04, 0.01);
        let Footprint::Polygon(ip) = &inner else { unreachable!() };
        for parts in [clip(&outer, &inner), clip(&inner, &outer)] {
            assert_eq!(parts.len(), 1);
            assert!(same_ring(&parts[0], ip.vertices(), 0.01), "{:?}", parts[0]);
        }
        // A circle inside a polygon: the circle's stand-in, area just above it.
        let c = circle(46.05, 6.05, 800.0);
        let parts = clip(&outer, &c);
        assert_eq!(parts.len(), 1);
        let (got, want) = (area(&parts), c.area_m2());
        assert!(got >= want && got < want * 1.001, "{got} vs {want}");
    }

    #[test]
    fn circle_over_a_meridian_edge_is_half_a_disc() {
        // The western edge of the square runs along the meridian 6.0; the
        // geodesic circle is symmetric about it.
        let sq = square(45.9, 6.0, 0.2);
        for r in [50.0, 1_000.0, 5_000.0] {
            let c = circle(46.0, 6.0, r);
            let got = area(&clip(&sq, &c));
            let want = c.area_m2() / 2.0;
            assert!(((got - want) / want).abs() < 1e-3, "r {r}: {got} vs {want}");
            assert!(got >= want * (1.0 - 1e-6), "never under-reports: r {r}: {got} vs {want}");
        }
    }

    #[test]
    fn two_circles_lens() {
        // Two discs of radius r whose centres are r apart: the lens area is
        // (2π/3 − √3/2)·r².
        let r = 1_000.0;
        let a = circle(46.0, 6.0, r);
        let east = Geodesic.destination(geo::Point::new(6.0, 46.0), 90.0, r);
        let b = circle(east.y(), east.x(), r);
        let got = area(&clip(&a, &b));
        let want = (2.0 * PI / 3.0 - 3f64.sqrt() / 2.0) * r * r;
        assert!(((got - want) / want).abs() < 2e-3, "{got} vs {want}");
    }

    #[test]
    fn circle_stand_in_contains_the_circle() {
        for (lat, r) in [(0.0, 30.0), (46.0, 100.0), (60.0, 2_500.0), (-35.0, 50_000.0), (10.0, 900_000.0)] {
            let c = Circle::new(ll(lat, 6.0), r).unwrap();
            let ring: Vec<LatLng> = circle_ring(&c).into_iter().map(sphere::to_latlng).collect();
            let n = ring.len();
            for v in &ring {
                let d = c.center().distance_m(v);
                assert!(d >= r && d <= r + CLIP_CIRCLE_TOLERANCE_M, "lat {lat} r {r}: vertex at {d}");
            }
            let stand_in = Footprint::Polygon(Polygon::new(ring).unwrap());
            for i in 0..(4 * n) {
                #[allow(clippy::cast_precision_loss)]
                let bearing = 360.0 * (i as f64 + 0.5) / (4 * n) as f64;
                let q = Geodesic.destination(c.center().to_point(), bearing, r);
                assert!(
                    stand_in.contains(ll(q.y(), q.x()), 0.0),
                    "lat {lat} r {r}: bearing {bearing} outside"
                );
            }
        }
    }

    #[test]
    fn vertex_counts() {
        assert_eq!(circle_vertices(10.0), MIN_CIRCLE_VERTICES);
        assert!(circle_vertices(1_000_000.0) <= MAX_CIRCLE_VERTICES);
        assert!(circle_vertices(1_000_000.0) > 3_000);
    }
}
