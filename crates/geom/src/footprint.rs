//! Exact footprint predicates.

use geo::{Destination, Geodesic, GeodesicArea};

use crate::planar::{self, P2};
use crate::polygon::EPS_PLANE;
use crate::sphere::{self, Gnomonic};
use crate::{Circle, GeomError, LatLng, LatLngBounds, Polygon, TOUCH_TOLERANCE_M};

/// The horizontal extent of a volume.
#[derive(Debug, Clone, PartialEq)]
pub enum Footprint {
    /// A polygon with great-circle edges.
    Polygon(Polygon),
    /// A geodesic disc.
    Circle(Circle),
}

impl From<Polygon> for Footprint {
    fn from(p: Polygon) -> Self {
        Footprint::Polygon(p)
    }
}

impl From<Circle> for Footprint {
    fn from(c: Circle) -> Self {
        Footprint::Circle(c)
    }
}

impl Footprint {
    /// Area on the WGS84 ellipsoid (m²), Karney's geodesic polygon area, or
    /// within 1° of a pole the planar area in the polar Lambert azimuthal
    /// equal-area projection of the ellipsoid. Polygon edges longer than 1 km
    /// are densified along their great circle first; a circle is measured as
    /// a 720-gon corrected for the inscribed-polygon deficit.
    ///
    /// Why two methods: Karney's sum adds, per edge, the area between the
    /// edge and the equator; near a pole even a metre-long edge spans a wide
    /// angle of longitude, those terms reach 10¹³ m² and their rounding
    /// leaves errors of several m² (all of a 1 m circle's area).
    #[must_use]
    pub fn area_m2(&self) -> f64 {
        const N: usize = 720;
        let (ring, deficit) = match self {
            Footprint::Polygon(p) => (densified_outline(p, 1_000.0), 1.0),
            Footprint::Circle(c) => {
                let w = std::f64::consts::TAU / N as f64;
                (circle_outline(c, N, 1.0), w.sin() / w)
            }
        };
        let area = match sphere::near_pole(&self.bounds()) {
            Some(_) => polar_equal_area_m2(&ring),
            None => geo::Polygon::new(ring.into(), vec![]).geodesic_area_signed().abs(),
        };
        area / deficit
    }

    /// Whether the two closed footprints share a point (touching counts;
    /// boundaries within [`TOUCH_TOLERANCE_M`] are touching).
    #[must_use]
    pub fn intersects(&self, other: &Footprint) -> bool {
        if !self.bounds().intersects(&other.bounds()) {
            return false;
        }
        match (self, other) {
            (Footprint::Circle(a), Footprint::Circle(b)) => {
                a.center().distance_m(&b.center()) <= a.radius_m() + b.radius_m() + TOUCH_TOLERANCE_M
            }
            (Footprint::Polygon(p), Footprint::Circle(c)) | (Footprint::Circle(c), Footprint::Polygon(p)) => {
                polygon_within(p, c.center(), c.radius_m() + TOUCH_TOLERANCE_M)
            }
            (Footprint::Polygon(a), Footprint::Polygon(b)) => polygons_intersect(a, b),
        }
    }

    /// Whether `p` is inside the footprint or within `tolerance_m` (geodesic
    /// metres; negative values count as 0) of its boundary, plus
    /// [`TOUCH_TOLERANCE_M`].
    #[must_use]
    pub fn contains(&self, p: LatLng, tolerance_m: f64) -> bool {
        let tol = tolerance_m.max(0.0) + TOUCH_TOLERANCE_M;
        match self {
            Footprint::Circle(c) => c.center().distance_m(&p) <= c.radius_m() + tol,
            Footprint::Polygon(poly) => polygon_within(poly, p, tol),
        }
    }

    /// Closed lat/lng bounds containing the footprint (great-circle bulges
    /// included), padded outward by about a centimetre; every longitude when
    /// the footprint crosses or touches ±180° or reaches a pole.
    #[must_use]
    pub fn bounds(&self) -> LatLngBounds {
        match self {
            Footprint::Polygon(p) => p.bounds(),
            Footprint::Circle(c) => c.bounds(),
        }
    }

    /// The H3 cells covering the footprint: every cell that intersects it
    /// (possibly a few more), as sorted, deduplicated `u64` H3 indexes.
    /// Across the antimeridian the outline is tiled on either side; within
    /// 1° of a pole, where the lat/lng plane h3o tiles in tears apart, the
    /// cells are found by walking from neighbour to neighbour with this
    /// crate's own geometry.
    ///
    /// # Errors
    /// [`GeomError::InvalidResolution`] if `resolution > 15`;
    /// [`GeomError::TooManyCells`] if the covering would exceed
    /// [`crate::MAX_CELLS`] cells (20,000 within 1° of a pole); a store
    /// indexing cells then falls back to [`Footprint::bounds`].
    pub fn cells(&self, resolution: u8) -> Result<Vec<u64>, GeomError> {
        crate::cells::cover(self, resolution)
    }

    /// The H3 cells that meet the footprint grown by `buffer_m` metres (every
    /// cell with a point within `buffer_m` of the footprint, possibly a few
    /// more), sorted. Found by walking from neighbour to neighbour on the
    /// sphere (a cell is kept when a disc surely containing it comes within
    /// the buffer), so it needs nothing special at the poles or across ±180°;
    /// it costs one distance test per cell, hence the caller's `max_cells`.
    ///
    /// # Errors
    /// [`GeomError::InvalidResolution`] if `resolution > 15`;
    /// [`GeomError::TooManyCells`] past `max_cells` cells.
    ///
    /// ```
    /// use geom::*;
    /// let fp = Footprint::Circle(Circle::new(LatLng::new(46.5, 6.6)?, 100.0)?);
    /// let near = fp.cells_within(9, 0.0, 1_000)?;
    /// let grown = fp.cells_within(9, 500.0, 1_000)?;
    /// assert!(near.iter().all(|c| grown.binary_search(c).is_ok()) && grown.len() > near.len());
    /// # Ok::<(), GeomError>(())
    /// ```
    pub fn cells_within(
        &self,
        resolution: u8,
        buffer_m: f64,
        max_cells: usize,
    ) -> Result<Vec<u64>, GeomError> {
        crate::cells::cover_within(self, resolution, buffer_m, max_cells)
    }
}

/// Outline of a polygon in (lng, lat) degrees with edges densified so that
/// consecutive points are at most about `step_m` apart along the great circle.
pub(crate) fn densified_outline(p: &Polygon, step_m: f64) -> Vec<geo::Coord<f64>> {
    let (c, _) = p.cap();
    let proj = Gnomonic::new(c);
    let plane = p.project(&proj);
    let n = plane.len();
    let mut out = Vec::with_capacity(n + 1);
    for i in 0..n {
        let (a, b) = (plane[i], plane[(i + 1) % n]);
        let v = p.vertices()[i];
        out.push(geo::Coord { x: v.lng(), y: v.lat() });
        let len_m = (b[0] - a[0]).hypot(b[1] - a[1]) * sphere::N_MAX;
        let k = (len_m / step_m).ceil();
        if k > 1.0 {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let k = k.min(1e6) as usize;
            for s in 1..k {
                let t = s as f64 / k as f64;
                let q = sphere::to_latlng(proj.unproject(lerp(a, b, t)));
                out.push(geo::Coord { x: q.lng(), y: q.lat() });
            }
        }
    }
    out
}

/// `n` points on the circle boundary, at `scale` times the radius.
pub(crate) fn circle_outline(c: &Circle, n: usize, scale: f64) -> Vec<geo::Coord<f64>> {
    (0..n)
        .map(|i| {
            let bearing = 360.0 * i as f64 / n as f64;
            let q = Geodesic.destination(c.center().to_point(), bearing, c.radius_m() * scale);
            geo::Coord { x: q.x(), y: q.y() }
        })
        .collect()
}

/// Area (m²) of a ring of (lng, lat) degrees near a pole, by the shoelace
/// formula in the polar Lambert azimuthal equal-area projection of the
/// ellipsoid, which preserves areas exactly. The projected radius is
/// `ρ = a·sqrt(q_p − q(φ))` with Snyder's authalic `q`; `q_p − q` is
/// rearranged so that nothing cancels close to the pole (`1 − sin|φ|` from
/// the half colatitude, the difference of two `atanh` as one). The ring's
/// points are close enough together (≤ 1 km, or a 720-gon) that its edges are
/// straight in the projection to well under a millimetre.
pub(crate) fn polar_equal_area_m2(ring: &[geo::Coord<f64>]) -> f64 {
    let e2 = sphere::WGS84_E2;
    let e = e2.sqrt();
    let rho = |lat_deg: f64| {
        let s = lat_deg.abs().to_radians().sin();
        let half_colat = (90.0 - lat_deg.abs()).to_radians() / 2.0;
        let one_minus_s = 2.0 * half_colat.sin().powi(2);
        let q_gap = (1.0 - e2)
            * (one_minus_s * (1.0 + e2 * s) / ((1.0 - e2) * (1.0 - e2 * s * s))
                + (e * one_minus_s / (1.0 - e2 * s)).atanh() / e);
        sphere::WGS84_A * q_gap.max(0.0).sqrt()
    };
    let pts: Vec<P2> = ring
        .iter()
        .map(|c| {
            let (r, lng) = (rho(c.y), c.x.to_radians());
            [r * lng.sin(), r * lng.cos()]
        })
        .collect();
    let n = pts.len();
    let twice: f64 = (0..n)
        .map(|i| {
            let (a, b) = (pts[i], pts[(i + 1) % n]);
            a[0] * b[1] - b[0] * a[1]
        })
        .sum();
    twice.abs() / 2.0
}

fn lerp(a: P2, b: P2, t: f64) -> P2 {
    [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])]
}

/// Polygon/polygon: projected together into one gnomonic plane (edges are
/// exact segments there), then "some pair of edges comes within ε, or a
/// vertex of one lies inside the other".
fn polygons_intersect(a: &Polygon, b: &Polygon) -> bool {
    let (ca, ea) = a.cap();
    let (cb, eb) = b.cap();
    if sphere::angle(ca, cb) > ea + eb + 1e-9 {
        return false;
    }
    let proj = Gnomonic::new(sphere::normalize([ca[0] + cb[0], ca[1] + cb[1], ca[2] + cb[2]]));
    let ra = a.project(&proj);
    let rb = b.project(&proj);
    if rings_touch(&ra, &rb) {
        return true;
    }
    planar::point_in_ring(ra[0], &rb) || planar::point_in_ring(rb[0], &ra)
}

/// Whether any edge of `a` comes within [`EPS_PLANE`] of any edge of `b`.
fn rings_touch(a: &[P2], b: &[P2]) -> bool {
    let (small, big) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    let (ns, nb) = (small.len(), big.len());
    let seg_s = |i: usize| (small[i], small[(i + 1) % ns]);
    let seg_b = |i: usize| (big[i], big[(i + 1) % nb]);
    if ns * nb <= 4096 {
        for i in 0..ns {
            let (p, q) = seg_s(i);
            for j in 0..nb {
                let (r, s) = seg_b(j);
                if planar::segments_within(p, q, r, s, EPS_PLANE) {
                    return true;
                }
            }
        }
        return false;
    }
    let tree = rstar::RTree::bulk_load(
        (0..nb)
            .map(|j| {
                let (r, s) = seg_b(j);
                rstar::primitives::GeomWithData::new(planar::seg_rect(r, s, EPS_PLANE), j)
            })
            .collect(),
    );
    (0..ns).any(|i| {
        let (p, q) = seg_s(i);
        let env = rstar::AABB::from_corners(
            [p[0].min(q[0]) - EPS_PLANE, p[1].min(q[1]) - EPS_PLANE],
            [p[0].max(q[0]) + EPS_PLANE, p[1].max(q[1]) + EPS_PLANE],
        );
        tree.locate_in_envelope_intersecting(&env).any(|e| {
            let (r, s) = seg_b(e.data);
            planar::segments_within(p, q, r, s, EPS_PLANE)
        })
    })
}

/// Meridional radius of curvature at latitude `lat` (radians).
fn meridional_radius(lat: f64) -> f64 {
    let s = lat.sin();
    sphere::WGS84_A * (1.0 - sphere::WGS84_E2) / (1.0 - sphere::WGS84_E2 * s * s).powf(1.5)
}

/// Prime-vertical radius of curvature at latitude `lat` (radians).
fn prime_vertical_radius(lat: f64) -> f64 {
    let s = lat.sin();
    sphere::WGS84_A / (1.0 - sphere::WGS84_E2 * s * s).sqrt()
}

/// Whether some point of the closed polygon lies within WGS84 geodesic
/// distance `r` (m) of `c`.
///
/// In the gnomonic plane centred at `c`, the distance from the origin is
/// monotonic in the spherical angle from `c`, so the nearest point of each
/// edge on the sphere is the nearest point of its segment. Spherical angles
/// bound ellipsoidal distances between `θ·M` and `θ·N` (radii of curvature
/// over the latitudes involved); edges whose bounds straddle `r` are
/// resolved exactly by a golden-section search of the true geodesic
/// distance along the edge (unimodal at these scales).
pub(crate) fn polygon_within(p: &Polygon, c: LatLng, r: f64) -> bool {
    let cv = sphere::to_vec(c);
    let (pc, pe) = p.cap();
    let theta_max = r / sphere::M_MIN * (1.0 + 1e-9);
    if sphere::angle(cv, pc) > pe + theta_max + 1e-9 {
        return false;
    }
    let proj = Gnomonic::new(cv);
    let ring = p.project(&proj);
    let origin = [0.0, 0.0];
    if planar::point_in_ring(origin, &ring) {
        return true;
    }
    let lat = c.lat().to_radians();
    let lo_abs = (lat.abs() - theta_max).max(0.0);
    let hi_abs = (lat.abs() + theta_max).min(std::f64::consts::FRAC_PI_2);
    let m_lo = meridional_radius(lo_abs).min(prime_vertical_radius(lo_abs));
    let n_hi = prime_vertical_radius(hi_abs).max(meridional_radius(hi_abs));
    let n = ring.len();
    let mut candidates: Vec<(f64, usize, f64)> = Vec::new();
    for i in 0..n {
        let (a, b) = (ring[i], ring[(i + 1) % n]);
        let (d2, t) = planar::point_segment_dist2(origin, a, b);
        let theta = d2.sqrt().atan();
        if theta * n_hi <= r || theta <= EPS_PLANE {
            return true;
        }
        if theta * m_lo <= r {
            candidates.push((theta, i, t));
        }
    }
    candidates.sort_by(|x, y| x.0.total_cmp(&y.0));
    candidates.into_iter().any(|(_, i, t0)| {
        let (a, b) = (ring[i], ring[(i + 1) % n]);
        let f = |t: f64| c.distance_m(&sphere::to_latlng(proj.unproject(lerp(a, b, t))));
        if f(t0) <= r {
            return true;
        }
        let len_m = (b[0] - a[0]).hypot(b[1] - a[1]) * sphere::N_MAX;
        min_along_edge_le(f, r, len_m)
    })
}

/// Golden-section search for `min f(t), t in [0, 1]`, returning early once
/// a value `<= r` is seen. Stops when the bracket is below 0.1 mm of an edge
/// `len_m` metres long (the minimum is flat there: sub-micrometre error).
fn min_along_edge_le(f: impl Fn(f64) -> f64, r: f64, len_m: f64) -> bool {
    const INV_PHI: f64 = 0.618_033_988_749_895;
    let (mut lo, mut hi) = (0.0_f64, 1.0_f64);
    let mut x1 = hi - INV_PHI * (hi - lo);
    let mut x2 = lo + INV_PHI * (hi - lo);
    let (mut f1, mut f2) = (f(x1), f(x2));
    for _ in 0..80 {
        if f1 <= r || f2 <= r {
            return true;
        }
        if (hi - lo) * len_m < 1e-4 || hi - lo < 1e-15 {
            break;
        }
        if f1 < f2 {
            hi = x2;
            x2 = x1;
            f2 = f1;
            x1 = hi - INV_PHI * (hi - lo);
            f1 = f(x1);
        } else {
            lo = x1;
            x1 = x2;
            f1 = f2;
            x2 = lo + INV_PHI * (hi - lo);
            f2 = f(x2);
        }
    }
    f(0.0) <= r || f(1.0) <= r || f1 <= r || f2 <= r
}

#[cfg(test)]
#[path = "footprint_tests.rs"]
mod tests;
