//! Unit-sphere helpers: geodetic lat/lng taken as spherical coordinates (the
//! S2 / F3548 convention for "great-circle" edges), and the gnomonic
//! projection, in which great circles are straight lines.

use crate::LatLng;

pub(crate) type V3 = [f64; 3];

/// WGS84 semi-major axis (m).
pub(crate) const WGS84_A: f64 = 6_378_137.0;
/// WGS84 first eccentricity squared.
pub(crate) const WGS84_E2: f64 = 0.006_694_379_990_141_317;

/// Smallest meridional radius of curvature (at the equator): a(1-e²). A
/// curve of spherical (unit-sphere, geodetic-angle) length `θ` has an
/// ellipsoidal length of at least `θ·M_MIN`.
pub(crate) const M_MIN: f64 = WGS84_A * (1.0 - WGS84_E2);
/// Largest prime-vertical radius of curvature (at the poles): a/sqrt(1-e²).
/// A curve of spherical length `θ` is at most `θ·N_MAX` long on the ellipsoid.
pub(crate) const N_MAX: f64 = 6_399_593.625_758_493;

/// Footprints whose bounds come within this many degrees of latitude of a
/// pole (≈ 111 km) get their cells ([`crate::cells`]) and their area
/// ([`crate::Footprint::area_m2`]) from methods that do not work in the
/// lat/lng plane, which tears apart around the pole.
pub(crate) const POLAR_CAP_DEG: f64 = 1.0;

/// Which pole a footprint's bounds come within [`POLAR_CAP_DEG`] of, if any.
pub(crate) fn near_pole(b: &crate::LatLngBounds) -> Option<f64> {
    if b.max_lat >= 90.0 - POLAR_CAP_DEG {
        Some(90.0)
    } else if b.min_lat <= -90.0 + POLAR_CAP_DEG {
        Some(-90.0)
    } else {
        None
    }
}

pub(crate) fn to_vec(p: LatLng) -> V3 {
    let (la, ln) = (p.lat().to_radians(), p.lng().to_radians());
    let c = la.cos();
    [c * ln.cos(), c * ln.sin(), la.sin()]
}

/// Back to lat/lng degrees (clamped into the valid domain).
pub(crate) fn to_latlng(v: V3) -> LatLng {
    let lat = v[2].atan2(v[0].hypot(v[1])).to_degrees().clamp(-90.0, 90.0);
    let lng = v[1].atan2(v[0]).to_degrees().clamp(-180.0, 180.0);
    // Both are in range by construction.
    LatLng::new(lat, lng).unwrap_or(LatLng::ORIGIN)
}

pub(crate) fn dot(a: V3, b: V3) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

pub(crate) fn cross(a: V3, b: V3) -> V3 {
    [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
}

pub(crate) fn norm(a: V3) -> f64 {
    dot(a, a).sqrt()
}

pub(crate) fn normalize(a: V3) -> V3 {
    let n = norm(a);
    if n == 0.0 { [1.0, 0.0, 0.0] } else { [a[0] / n, a[1] / n, a[2] / n] }
}

/// Angle between two unit vectors (radians), accurate for small angles.
pub(crate) fn angle(a: V3, b: V3) -> f64 {
    norm(cross(a, b)).atan2(dot(a, b))
}

/// Gnomonic projection centred at a unit vector. Coordinates are in units of
/// the sphere radius (`tan` of the angle from the centre). Valid only for
/// points less than 90° from the centre; callers guarantee well under that.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Gnomonic {
    c: V3,
    e1: V3,
    e2: V3,
}

impl Gnomonic {
    /// Centred at `c` (unit); `e1` points east, `e2` north (any orthonormal
    /// basis within 1e-12 rad of a pole).
    pub(crate) fn new(c: V3) -> Self {
        let z = [0.0, 0.0, 1.0];
        let mut e1 = cross(z, c);
        if norm(e1) < 1e-12 {
            // ŷ with its component along `c` removed.
            e1 = [-c[1] * c[0], 1.0 - c[1] * c[1], -c[1] * c[2]];
        }
        let e1 = normalize(e1);
        let e2 = cross(c, e1);
        Self { c, e1, e2 }
    }

    pub(crate) fn project(&self, v: V3) -> [f64; 2] {
        let d = dot(v, self.c);
        [dot(v, self.e1) / d, dot(v, self.e2) / d]
    }

    pub(crate) fn unproject(&self, p: [f64; 2]) -> V3 {
        normalize([
            self.c[0] + p[0] * self.e1[0] + p[1] * self.e2[0],
            self.c[1] + p[0] * self.e1[1] + p[1] * self.e2[1],
            self.c[2] + p[0] * self.e1[2] + p[1] * self.e2[2],
        ])
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn gnomonic_basis_is_orthonormal_at_and_near_the_poles() {
        for (lat, lng) in [(90.0, 0.0), (90.0, 123.0), (-90.0, -45.0), (89.999_999_999_99, 30.0), (46.0, 7.0)]
        {
            let c = to_vec(LatLng::new(lat, lng).unwrap());
            let g = Gnomonic::new(c);
            for (a, b) in [(g.c, g.e1), (g.c, g.e2), (g.e1, g.e2)] {
                assert!(dot(a, b).abs() < 1e-15, "{lat},{lng}");
            }
            for v in [g.e1, g.e2] {
                assert!((norm(v) - 1.0).abs() < 1e-15, "{lat},{lng}");
            }
            // Project and back.
            let p = to_vec(LatLng::new(lat - 0.01_f64.copysign(lat), lng + 1.0).unwrap());
            let back = g.unproject(g.project(p));
            assert!(angle(p, back) < 1e-15, "{lat},{lng}");
        }
    }
}
