//! WGS84 helpers (internal): earth-centred earth-fixed (ECEF) coordinates,
//! local east/north directions, ellipsoid normals. Metres throughout.

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

/// The ECEF point on the ellipsoid surface at a geodetic latitude/longitude
/// (radians), and the local unit east and north vectors there.
pub(crate) fn surface_frame(lat: f64, lon: f64) -> (V3, V3, V3) {
    let (sl, cl) = lat.sin_cos();
    let (so, co) = lon.sin_cos();
    let n = WGS84_A / (1.0 - WGS84_E2 * sl * sl).sqrt();
    let p = [n * cl * co, n * cl * so, n * (1.0 - WGS84_E2) * sl];
    let east = [-so, co, 0.0];
    let north = [-sl * co, -sl * so, cl];
    (p, east, north)
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
#[inline]
pub(crate) fn normal_near(p: V3) -> V3 {
    let g = [p[0] * INV_A2, p[1] * INV_A2, p[2] * INV_B2];
    let k = 1.0 / dot(g, g).sqrt();
    [g[0] * k, g[1] * k, g[2] * k]
}

/// Horizontal part of `v` with respect to the unit normal `n`.
#[inline]
pub(crate) fn horizontal(v: V3, n: V3) -> V3 {
    axpy(-dot(v, n), n, v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_is_orthonormal_and_normal_is_up() {
        let (lat, lon) = (0.9_f64, 0.1_f64);
        let (p, e, n) = surface_frame(lat, lon);
        let up = normal_near(p);
        assert!(dot(e, n).abs() < 1e-12);
        assert!(dot(e, up).abs() < 1e-12);
        assert!(dot(n, up).abs() < 1e-12);
        // Geodetic up has the geodetic latitude.
        assert!((up[2].asin() - lat).abs() < 1e-12);
        let (la, lo) = lat_lon_deg(p);
        assert!((la - lat.to_degrees()).abs() < 1e-9 && (lo - lon.to_degrees()).abs() < 1e-12);
        // 3 km above the surface along the normal: same latitude.
        let (la, _) = lat_lon_deg(axpy(3000.0, up, p));
        assert!((la - lat.to_degrees()).abs() < 1e-9);
    }
}
