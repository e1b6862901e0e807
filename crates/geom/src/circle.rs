//! Geodesic circles.

use crate::polygon::pad_bounds;
use crate::sphere;
use crate::{GeomError, LatLng, LatLngBounds};

/// A geodesic disc: every point whose WGS84 geodesic distance from `center`
/// is at most `radius_m` (closed). It may contain a pole or cross the
/// antimeridian.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Circle {
    center: LatLng,
    radius_m: f64,
}

impl Circle {
    /// Largest accepted radius (m).
    pub const MAX_RADIUS_M: f64 = 1_000_000.0;

    /// A disc of `radius_m` metres around `center`.
    ///
    /// # Errors
    /// [`GeomError::InvalidRadius`] unless `radius_m` is finite, `> 0` and
    /// `<= 1_000_000`.
    ///
    /// ```
    /// use geom::{Circle, LatLng};
    /// let c = Circle::new(LatLng::new(46.5, 6.6)?, 500.0)?;
    /// assert_eq!(c.radius_m(), 500.0);
    /// assert!(Circle::new(LatLng::new(46.5, 6.6)?, 0.0).is_err());
    /// # Ok::<(), geom::GeomError>(())
    /// ```
    pub fn new(center: LatLng, radius_m: f64) -> Result<Self, GeomError> {
        if !radius_m.is_finite() || radius_m <= 0.0 || radius_m > Self::MAX_RADIUS_M {
            return Err(GeomError::InvalidRadius(radius_m));
        }
        Ok(Self { center, radius_m })
    }

    /// Centre.
    #[must_use]
    pub const fn center(&self) -> LatLng {
        self.center
    }

    /// Radius (m).
    #[must_use]
    pub const fn radius_m(&self) -> f64 {
        self.radius_m
    }

    /// Angular radius (radians, geodetic sphere) of a cap surely containing
    /// the disc: a geodesic of length `r` spans at most `r / M_MIN` radians.
    pub(crate) fn cap_angle(&self) -> f64 {
        self.radius_m / sphere::M_MIN * (1.0 + 1e-9)
    }

    /// Bounds of the containing cap (of angular radius [`Circle::cap_angle`]):
    /// its latitudes, and the longitudes `±asin(sin a / cos φ)` about the
    /// centre, or every longitude when it reaches a pole.
    pub(crate) fn bounds(&self) -> LatLngBounds {
        let a = self.cap_angle().to_degrees();
        let (lat, lng) = (self.center.lat(), self.center.lng());
        let (min_lat, max_lat) = (lat - a, lat + a);
        if max_lat >= 90.0 || min_lat <= -90.0 {
            return pad_bounds(LatLngBounds {
                min_lat: min_lat.max(-90.0),
                max_lat: max_lat.min(90.0),
                min_lng: -180.0,
                max_lng: 180.0,
            });
        }
        // a < 90° - |φ| here, so the ratio is below 1.
        let s = a.to_radians().sin() / lat.to_radians().cos();
        let dlng = s.min(1.0).asin().to_degrees();
        pad_bounds(LatLngBounds { min_lat, max_lat, min_lng: lng - dlng, max_lng: lng + dlng })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::test_shapes::ll;

    #[test]
    fn radius_validation() {
        for r in [0.0, -1.0, f64::NAN, f64::INFINITY, 1_000_000.5] {
            let e = Circle::new(ll(0.0, 0.0), r).unwrap_err();
            assert!(matches!(e, GeomError::InvalidRadius(_)), "{r}");
        }
        assert_eq!(GeomError::InvalidRadius(0.0).to_string(), "circle radius 0 m is not in (0, 1000000] m");
        assert!(Circle::new(ll(0.0, 0.0), 1_000_000.0).is_ok());
    }

    #[test]
    fn poles_and_antimeridian_are_accepted() {
        for (lat, lng, r) in
            [(90.0, 0.0, 300.0), (-90.0, 45.0, 300.0), (89.99, 0.0, 2_000.0), (0.0, 179.999, 500.0)]
        {
            let c = Circle::new(ll(lat, lng), r).unwrap();
            let b = c.bounds();
            assert!(b.spans_all_longitudes(), "{lat},{lng}: {b:?}");
        }
        // Around a pole the box is the polar cap; across ±180° a band.
        let b = Circle::new(ll(90.0, 0.0), 300.0).unwrap().bounds();
        assert_eq!(b.max_lat, 90.0);
        assert!(b.min_lat < 90.0 - 300.0 / 111_700.0 && b.min_lat > 90.0 - 300.0 / 110_000.0, "{b:?}");
        let b = Circle::new(ll(-89.99, 0.0), 2_000.0).unwrap().bounds();
        assert_eq!(b.min_lat, -90.0);
        let b = Circle::new(ll(10.0, -179.999), 500.0).unwrap().bounds();
        assert!((b.max_lat - 10.0 - 500.0 / 110_600.0).abs() < 1e-4, "{b:?}");
        // Near but clear of both: an ordinary box.
        let b = Circle::new(ll(0.0, 179.99), 500.0).unwrap().bounds();
        assert!(!b.spans_all_longitudes() && b.max_lng < 180.0 && b.min_lng > 179.98, "{b:?}");
    }

    #[test]
    fn bounds_contain_cardinal_points() {
        use geo::{Destination, Geodesic};
        for (lat, lng) in [
            (-70.0, 10.0),
            (-30.0, 10.0),
            (0.0, 10.0),
            (45.0, 10.0),
            (80.0, 10.0),
            (89.9, 10.0),
            (0.0, 179.9),
        ] {
            let c = Circle::new(ll(lat, lng), 25_000.0).unwrap();
            let b = c.bounds();
            for bearing in (0..360).step_by(5) {
                let q = Geodesic.destination(c.center().to_point(), f64::from(bearing), c.radius_m());
                assert!(b.contains(ll(q.y(), q.x())), "lat {lat} bearing {bearing}");
            }
            // And is not absurdly loose (< 1 % over) unless it reaches a pole.
            let north = Geodesic.destination(c.center().to_point(), 0.0, c.radius_m());
            assert!(b.max_lat == 90.0 || b.max_lat - north.y() < 0.01 * (north.y() - lat));
        }
    }
}
