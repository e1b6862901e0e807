//! Validated F3548 polygons.

use std::collections::HashMap;
use std::fmt;

use rstar::primitives::GeomWithData;
use rstar::{AABB, RTree};

use crate::planar::{self, P2};
use crate::sphere::{self, Gnomonic, V3};
use crate::{GeomError, LatLng, LatLngBounds};

/// Plane tolerance (gnomonic units ≈ radians) below which two boundaries
/// are considered touching: [`crate::TOUCH_TOLERANCE_M`] on the sphere.
pub(crate) const EPS_PLANE: f64 = crate::TOUCH_TOLERANCE_M / sphere::N_MAX;

/// Outward padding of [`LatLngBounds`] in degrees of latitude (≈ 1.1 cm),
/// so that bounds never miss a touch accepted within
/// [`crate::TOUCH_TOLERANCE_M`].
pub(crate) const BOUNDS_PAD_DEG: f64 = 1e-7;

/// A simple polygon on the Earth's surface, edges being great-circle arcs
/// between consecutive vertices (geodetic latitude/longitude taken as
/// spherical coordinates, as in F3548 / S2). The ring is implicitly closed
/// and the winding order is free: the polygon is always the smaller of the
/// two regions the ring bounds.
///
/// Rules, checked by [`Polygon::new`]:
/// * 3 ..= [`Polygon::MAX_VERTICES`] vertices;
/// * no vertex repeats another one, and the last vertex is not the first;
/// * edges neither cross nor touch, except adjacent edges at their shared
///   vertex (checked in `O(n log n)` typical time with an R-tree of edges);
/// * every vertex is within [`Polygon::MAX_EXTENT_DEG`] of arc of the
///   polygon's centre ([`GeomError::TooLarge`]).
///
/// A polygon may cross the antimeridian (an edge from 179.9° E to 179.9° W is
/// the short arc of 0.2° across ±180°) and may contain a pole, or have a
/// vertex on one (at a pole every longitude names the same point).
#[derive(Clone)]
pub struct Polygon {
    vertices: Vec<LatLng>,
    units: Vec<V3>,
    centre: V3,
    extent_rad: f64,
    bounds: LatLngBounds,
}

impl fmt::Debug for Polygon {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Polygon").field("vertices", &self.vertices).finish_non_exhaustive()
    }
}

impl PartialEq for Polygon {
    fn eq(&self, other: &Self) -> bool {
        self.vertices == other.vertices
    }
}

impl Polygon {
    /// Largest number of vertices accepted.
    pub const MAX_VERTICES: usize = 10_000;
    /// Largest great-circle distance (degrees of arc, ≈ 3,300 km) from the
    /// polygon's centre (normalised mean of its vertices) to any vertex.
    /// F3548 footprints are far smaller; the bound keeps every computation
    /// inside one hemisphere.
    pub const MAX_EXTENT_DEG: f64 = 30.0;

    /// Validates `vertices` (see the type docs for the rules).
    ///
    /// # Errors
    /// [`GeomError::TooFewVertices`], [`GeomError::TooManyVertices`],
    /// [`GeomError::ClosingVertex`], [`GeomError::RepeatedVertex`],
    /// [`GeomError::TooLarge`] or [`GeomError::SelfIntersecting`].
    ///
    /// ```
    /// use geom::{LatLng, Polygon};
    /// let square = Polygon::new(vec![
    ///     LatLng::new(46.0, 6.0)?,
    ///     LatLng::new(46.0, 6.01)?,
    ///     LatLng::new(46.01, 6.01)?,
    ///     LatLng::new(46.01, 6.0)?,
    /// ])?;
    /// assert_eq!(square.vertices().len(), 4);
    /// # Ok::<(), geom::GeomError>(())
    /// ```
    pub fn new(vertices: Vec<LatLng>) -> Result<Self, GeomError> {
        let n = vertices.len();
        if n < 3 {
            return Err(GeomError::TooFewVertices(n));
        }
        if n > Self::MAX_VERTICES {
            return Err(GeomError::TooManyVertices(n));
        }
        if vertices[0] == vertices[n - 1] {
            return Err(GeomError::ClosingVertex);
        }
        check_repeats(&vertices)?;
        let units: Vec<V3> = vertices.iter().map(|&v| sphere::to_vec(v)).collect();
        let sum = units.iter().fold([0.0; 3], |acc, u| [acc[0] + u[0], acc[1] + u[1], acc[2] + u[2]]);
        let centre = sphere::normalize(sum);
        let mut extent_rad = 0.0_f64;
        for (i, &u) in units.iter().enumerate() {
            let a = sphere::angle(centre, u);
            if sphere::norm(sum) < 1e-9 || a > Self::MAX_EXTENT_DEG.to_radians() {
                return Err(GeomError::TooLarge { index: i, extent_deg: a.to_degrees() });
            }
            extent_rad = extent_rad.max(a);
        }
        let proj = Gnomonic::new(centre);
        let plane: Vec<P2> = units.iter().map(|&u| proj.project(u)).collect();
        check_self_intersection(&plane)?;
        let bounds = ring_bounds(&vertices, &units, centre);
        Ok(Self { vertices, units, centre, extent_rad, bounds })
    }

    /// The vertices as given (ring not closed).
    #[must_use]
    pub fn vertices(&self) -> &[LatLng] {
        &self.vertices
    }

    /// Centre (unit vector) and angular radius of a spherical cap containing
    /// the polygon.
    pub(crate) fn cap(&self) -> (V3, f64) {
        (self.centre, self.extent_rad)
    }

    pub(crate) fn bounds(&self) -> LatLngBounds {
        self.bounds
    }

    /// Vertices in the gnomonic plane of `proj`.
    pub(crate) fn project(&self, proj: &Gnomonic) -> Vec<P2> {
        self.units.iter().map(|&u| proj.project(u)).collect()
    }
}

fn vertex_key(v: &LatLng) -> (u64, u64) {
    // Every longitude names the same point at a pole; -180 and 180 name the
    // same meridian.
    let lng = if v.lat().abs() == 90.0 {
        0.0
    } else if v.lng() == -180.0 {
        180.0
    } else {
        v.lng()
    };
    (v.lat().to_bits(), lng.to_bits())
}

fn check_repeats(vertices: &[LatLng]) -> Result<(), GeomError> {
    let mut seen: HashMap<(u64, u64), usize> = HashMap::with_capacity(vertices.len());
    for (i, v) in vertices.iter().enumerate() {
        if seen.insert(vertex_key(v), i).is_some() {
            if i == vertices.len() - 1 && vertex_key(v) == vertex_key(&vertices[0]) {
                return Err(GeomError::ClosingVertex);
            }
            return Err(GeomError::RepeatedVertex { index: i });
        }
    }
    Ok(())
}

type EdgeEntry = GeomWithData<rstar::primitives::Rectangle<P2>, usize>;

/// Self-intersection test with an R-tree of edge boxes: each edge is only
/// compared with edges whose (ε-expanded) boxes overlap its own.
fn check_self_intersection(p: &[P2]) -> Result<(), GeomError> {
    let n = p.len();
    let seg = |i: usize| (p[i], p[(i + 1) % n]);
    let entries: Vec<EdgeEntry> = (0..n)
        .map(|i| {
            let (a, b) = seg(i);
            GeomWithData::new(planar::seg_rect(a, b, EPS_PLANE), i)
        })
        .collect();
    let tree = RTree::bulk_load(entries);
    let mut worst: Option<(usize, usize)> = None;
    for i in 0..n {
        if worst.is_some_and(|(a, _)| a < i) {
            break;
        }
        let (a, b) = seg(i);
        let env = AABB::from_corners(
            [a[0].min(b[0]) - EPS_PLANE, a[1].min(b[1]) - EPS_PLANE],
            [a[0].max(b[0]) + EPS_PLANE, a[1].max(b[1]) + EPS_PLANE],
        );
        for e in tree.locate_in_envelope_intersecting(&env) {
            let j = e.data;
            if j <= i {
                continue;
            }
            let (c, d) = seg(j);
            let bad = if j == i + 1 {
                adjacent_overlap(a, b, d)
            } else if i == 0 && j == n - 1 {
                adjacent_overlap(c, a, b)
            } else {
                planar::segments_within(a, b, c, d, EPS_PLANE)
            };
            if bad && worst.is_none_or(|w| (i, j) < w) {
                worst = Some((i, j));
            }
        }
    }
    match worst {
        Some((edge_a, edge_b)) => Err(GeomError::SelfIntersecting { edge_a, edge_b }),
        None => Ok(()),
    }
}

/// Adjacent edges `a -> b -> c` overlap when they fold back onto each other:
/// the far end of one lies (within ε) on the other.
fn adjacent_overlap(a: P2, b: P2, c: P2) -> bool {
    let e2 = EPS_PLANE * EPS_PLANE;
    let ba = [a[0] - b[0], a[1] - b[1]];
    let bc = [c[0] - b[0], c[1] - b[1]];
    if ba[0] * bc[0] + ba[1] * bc[1] <= 0.0 {
        return false;
    }
    planar::point_segment_dist2(c, a, b).0 <= e2 || planar::point_segment_dist2(a, b, c).0 <= e2
}

/// Lat/lng bounds of the polygon: the latitudes of its vertices and of the
/// poleward (or equatorward) extremes of great-circle edges, a pole it
/// contains, and the longitudes its edges sweep; padded outward by
/// [`BOUNDS_PAD_DEG`]. Spans every longitude when it crosses or touches
/// ±180° or reaches a pole (see [`LatLngBounds`]).
fn ring_bounds(vertices: &[LatLng], units: &[V3], centre: V3) -> LatLngBounds {
    let n = vertices.len();
    let mut b =
        LatLngBounds { min_lat: f64::INFINITY, max_lat: f64::NEG_INFINITY, min_lng: -180.0, max_lng: 180.0 };
    for i in 0..n {
        let v = vertices[i];
        b.min_lat = b.min_lat.min(v.lat());
        b.max_lat = b.max_lat.max(v.lat());
        let (ua, ub) = (units[i], units[(i + 1) % n]);
        let nrm = sphere::cross(ua, ub);
        if sphere::norm(nrm) < 1e-15 {
            continue;
        }
        let nh = sphere::normalize(nrm);
        // Highest point of the great circle: ẑ projected onto its plane.
        let top = [-nh[2] * nh[0], -nh[2] * nh[1], 1.0 - nh[2] * nh[2]];
        if sphere::norm(top) < 1e-15 {
            continue; // the equator
        }
        let top = sphere::normalize(top);
        for ext in [top, [-top[0], -top[1], -top[2]]] {
            let inside = sphere::dot(sphere::cross(ua, ext), nrm) >= 0.0
                && sphere::dot(sphere::cross(ext, ub), nrm) >= 0.0;
            if inside {
                let lat = ext[2].clamp(-1.0, 1.0).asin().to_degrees();
                b.min_lat = b.min_lat.min(lat);
                b.max_lat = b.max_lat.max(lat);
            }
        }
    }
    match sweep(vertices) {
        Sweep::Between(lo, hi) => {
            b.min_lng = lo;
            b.max_lng = hi;
        }
        // The polygon lies within 30° of its centre, so the pole it winds
        // around is the one on the centre's side.
        Sweep::AroundPole if centre[2] > 0.0 => b.max_lat = 90.0,
        Sweep::AroundPole => b.min_lat = -90.0,
        Sweep::Unknown => {}
    }
    pad_bounds(b)
}

/// The longitudes a ring's edges sweep.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Sweep {
    /// From `lo` to `hi` degrees east, `lo` in `[-180, 180)`, `hi - lo < 360`;
    /// `hi` is above 180 when the ring crosses the antimeridian.
    Between(f64, f64),
    /// The ring winds once around a pole: the polygon contains it.
    AroundPole,
    /// A vertex is at a pole or an edge passes (within rounding) over one:
    /// every longitude may be swept.
    Unknown,
}

/// Walks the ring adding each edge's longitude step, taken the short way in
/// `(-180, 180)` (a great-circle arc shorter than 180° that misses the poles
/// moves monotonically in longitude and spans less than 180° of it). A
/// simple ring in a cap that holds no pole steps back to its start (net 0°);
/// around a pole, by ±360°.
fn sweep(vertices: &[LatLng]) -> Sweep {
    if vertices.iter().any(|v| v.lat().abs() == 90.0) {
        return Sweep::Unknown;
    }
    let start = vertices[0].lng();
    let (mut at, mut lo, mut hi) = (start, start, start);
    for (i, v) in vertices.iter().enumerate() {
        let next = vertices[(i + 1) % vertices.len()].lng();
        let mut step = next - v.lng();
        if step > 180.0 {
            step -= 360.0;
        } else if step < -180.0 {
            step += 360.0;
        }
        if step.abs() >= 180.0 - 1e-9 {
            return Sweep::Unknown;
        }
        at += step;
        lo = lo.min(at);
        hi = hi.max(at);
    }
    if (at - start).abs() > 180.0 {
        return Sweep::AroundPole;
    }
    let turns = ((lo + 180.0) / 360.0).floor();
    Sweep::Between(lo - 360.0 * turns, hi - 360.0 * turns)
}

/// Pads bounds outward by [`BOUNDS_PAD_DEG`] (scaled for longitude),
/// clamped to the valid latitudes. `b`'s longitudes may run past ±180° (a
/// footprint across the antimeridian): a padded box that reaches ±180° or a
/// pole spans every longitude instead, since -180° and 180° are one meridian
/// and all meridians meet at the poles.
pub(crate) fn pad_bounds(b: LatLngBounds) -> LatLngBounds {
    let min_lat = (b.min_lat - BOUNDS_PAD_DEG).max(-90.0);
    let max_lat = (b.max_lat + BOUNDS_PAD_DEG).min(90.0);
    let c = min_lat.abs().max(max_lat.abs()).to_radians().cos();
    let lng_pad = if c > 1e-6 { BOUNDS_PAD_DEG / c } else { 360.0 };
    let (min_lng, max_lng) = (b.min_lng - lng_pad, b.max_lng + lng_pad);
    let all = min_lng <= -180.0 || max_lng >= 180.0 || min_lat <= -90.0 || max_lat >= 90.0;
    LatLngBounds {
        min_lat,
        max_lat,
        min_lng: if all { -180.0 } else { min_lng },
        max_lng: if all { 180.0 } else { max_lng },
    }
}

#[cfg(test)]
#[path = "polygon_tests.rs"]
pub(crate) mod tests;
