//! WGS84 helpers (internal): earth-centred earth-fixed (ECEF) coordinates,
//! local east/north directions, ellipsoid normals. Metres throughout.

use wide::f64x4;

/// WGS84 semi-major axis, metres.
pub(crate) const WGS84_A: f64 = 6_378_137.0;
/// WGS84 flattening.
const WGS84_F: f64 = 1.0 / 298.257_223_563;
/// First eccentricity squared.
const WGS84_E2: f64 = WGS84_F * (2.0 - WGS84_F);
/// 1 / a².
const INV_A2: f64 = 1.0 / (WGS84_A * WGS84_A);
/// 1 / b².
const INV_B2: f64 = 1.0 / (WGS84_A * WGS84_A * (1.0 - WGS84_F) * (1.0 - WGS84_F));

/// A 3-vector in metres (or metres per second).
pub(crate) type V3 = [f64; 3];

#[inline]
pub(crate) fn sub(a: V3, b: V3) -> V3 {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

#[inline]
pub(crate) fn dot(a: V3, b: V3) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

#[inline]
pub(crate) fn axpy(k: f64, x: V3, y: V3) -> V3 {
    [y[0] + k * x[0], y[1] + k * x[1], y[2] + k * x[2]]
}

/// The ECEF point on the ellipsoid surface at a geodetic latitude and
/// longitude, and the unit horizontal vector there along a true track
/// (angles in radians; a track's magnitude must be below about 10⁸). The
/// three sines and cosines are one vector computation (`wide`'s, within a
/// few units in the last place of the library's): three calls to the
/// library took a sixth of preparing a scan.
pub(crate) fn surface_frame(lat: f64, lon: f64, track: f64) -> (V3, V3) {
    let (s, c) = f64x4::from([lat, lon, track, 0.0]).sin_cos();
    let ([sl, so, st, _], [cl, co, ct, _]) = (s.to_array(), c.to_array());
    let n = WGS84_A / (1.0 - WGS84_E2 * sl * sl).sqrt();
    let p = [n * cl * co, n * cl * so, n * (1.0 - WGS84_E2) * sl];
    // `st` east, [-so, co, 0], and `ct` north, [-sl co, -sl so, cl].
    let along = [-st * so - ct * sl * co, st * co - ct * sl * so, ct * cl];
    (p, along)
}

/// Geodetic latitude and longitude (degrees) of an ECEF point near the
/// ellipsoid surface (within a few kilometres), by two fixed-point steps of
/// the latitude equation; sub-millimetre at such heights.
pub(crate) fn lat_lon_deg(p: V3) -> (f64, f64) {
    let lon = p[1].atan2(p[0]);
    let r = p[0].hypot(p[1]);
    let mut lat = p[2].atan2(r * (1.0 - WGS84_E2));
    for _ in 0..3 {
        let s = lat.sin();
        let n = WGS84_A / (1.0 - WGS84_E2 * s * s).sqrt();
        lat = (p[2] + WGS84_E2 * n * s).atan2(r);
    }
    (lat.to_degrees(), lon.to_degrees())
}

/// The unit outward ellipsoid normal (geodetic "up") at or near ECEF point `p`.
#[cfg(test)]
pub(crate) fn normal_near(p: V3) -> V3 {
    let g = [p[0] * INV_A2, p[1] * INV_A2, p[2] * INV_B2];
    let k = 1.0 / dot(g, g).sqrt();
    [g[0] * k, g[1] * k, g[2] * k]
}

/// The geodetic horizontal at or near an ECEF point: the plane at right
/// angles to the ellipsoid normal there. The normal is kept unnormalised
/// with the inverse of its squared length, so that a projection takes no
/// square root (the exact pair test projects two vectors per pair).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Horizontal {
    g: V3,
    inv_g2: f64,
}

impl Horizontal {
    /// The horizontal at or near `p`.
    #[inline]
    pub(crate) fn at(p: V3) -> Self {
        let g = [p[0] * INV_A2, p[1] * INV_A2, p[2] * INV_B2];
        Horizontal { g, inv_g2: 1.0 / dot(g, g) }
    }

    /// The horizontal part of `v`.
    #[inline]
    pub(crate) fn of(&self, v: V3) -> V3 {
        axpy(-dot(v, self.g) * self.inv_g2, self.g, v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_is_orthonormal_and_normal_is_up() {
        let (lat, lon) = (0.9_f64, 0.1_f64);
        let (p, along) = surface_frame(lat, lon, 0.3);
        let up = normal_near(p);
        // Geodetic up has the geodetic latitude.
        assert!((up[2].asin() - lat).abs() < 1e-12);
        // Along the track: a horizontal unit vector, 0.3 rad east of north.
        let east = [-lon.sin(), lon.cos(), 0.0];
        let north = [
            up[1] * east[2] - up[2] * east[1],
            up[2] * east[0] - up[0] * east[2],
            up[0] * east[1] - up[1] * east[0],
        ];
        assert!(dot(along, up).abs() < 1e-12 && (dot(along, along) - 1.0).abs() < 1e-12);
        assert!((dot(along, east).atan2(dot(along, north)) - 0.3).abs() < 1e-12);
        let (la, lo) = lat_lon_deg(p);
        assert!((la - lat.to_degrees()).abs() < 1e-9 && (lo - lon.to_degrees()).abs() < 1e-12);
        // 3 km above the surface along the normal: same latitude.
        let (la, _) = lat_lon_deg(axpy(3000.0, up, p));
        assert!((la - lat.to_degrees()).abs() < 1e-9);
    }

    #[test]
    fn the_vector_sines_and_cosines_are_the_library_ones() {
        // Latitudes, longitudes and tracks over their whole ranges, and
        // tracks of several turns: within a few units in the last place.
        let ulps = |a: f64, b: f64| (a - b).abs() <= 4.0 * f64::EPSILON * b.abs().max(1.0);
        for k in 0..20_000 {
            let x = f64::from(k) * 1.7e-3 - 17.0;
            let (lat, lon, track) = (x.clamp(-1.6, 1.6), x.clamp(-3.2, 3.2), 4.0 * x);
            let (p, along) = surface_frame(lat, lon, track);
            let ((sl, cl), (so, co), (st, ct)) = (lat.sin_cos(), lon.sin_cos(), track.sin_cos());
            let n = WGS84_A / (1.0 - WGS84_E2 * sl * sl).sqrt();
            let want_p = [n * cl * co, n * cl * so, n * (1.0 - WGS84_E2) * sl];
            let want_along = [-st * so - ct * sl * co, st * co - ct * sl * so, ct * cl];
            for a in 0..3 {
                assert!((p[a] - want_p[a]).abs() < 1e-8, "{x} {a}: {} {}", p[a], want_p[a]);
                assert!(ulps(along[a], want_along[a]), "{x} {a}: {} {}", along[a], want_along[a]);
            }
        }
    }
}
