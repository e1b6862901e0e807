//! Geodesic circles.

use crate::polygon::pad_bounds;
use crate::sphere;
use crate::{GeomError, LatLng, LatLngBounds};

/// A geodesic disc: every point whose WGS84 geodesic distance from `center`
/// is at most `radius_m` (closed).
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
    /// `<= 1_000_000`; [`GeomError::ContainsPole`] if the disc reaches a pole;
    /// [`GeomError::CrossesAntimeridian`] if it reaches ±180° longitude (both
    /// judged on a cap slightly (≤ 0.7 %) larger than the disc).
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
        let c = Self { center, radius_m };
        let (dlat, dlng) = c.cap_half_extent_deg();
        if center.lat() + dlat >= 90.0 || center.lat() - dlat <= -90.0 {
            return Err(GeomError::ContainsPole);
        }
        if center.lng() - dlng <= -180.0 || center.lng() + dlng >= 180.0 {
            return Err(GeomError::CrossesAntimeridian);
        }
        Ok(c)
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

    /// Half extents (degrees) of the containing cap in latitude and longitude.
    fn cap_half_extent_deg(&self) -> (f64, f64) {
        let a = self.cap_angle();
        let cos_lat = self.center.lat().to_radians().cos();
        let s = a.sin() / cos_lat.max(1e-300);
        let dlng = if s >= 1.0 { 180.0 } else { s.asin().to_degrees() };
        (a.to_degrees(), dlng)
    }

    pub(crate) fn bounds(&self) -> LatLngBounds {
        let (dlat, dlng) = self.cap_half_extent_deg();
        pad_bounds(LatLngBounds {
            min_lat: self.center.lat() - dlat,
            max_lat: self.center.lat() + dlat,
            min_lng: self.center.lng() - dlng,
            max_lng: self.center.lng() + dlng,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn ll(lat: f64, lng: f64) -> LatLng {
        LatLng::new(lat, lng).unwrap()
    }

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
    fn poles_and_antimeridian() {
        assert_eq!(Circle::new(ll(89.99, 0.0), 2_000.0), Err(GeomError::ContainsPole));
        assert_eq!(Circle::new(ll(-89.99, 0.0), 2_000.0), Err(GeomError::ContainsPole));
        assert!(Circle::new(ll(89.9, 0.0), 2_000.0).is_ok());
        assert_eq!(Circle::new(ll(0.0, 179.999), 500.0), Err(GeomError::CrossesAntimeridian));
        assert_eq!(Circle::new(ll(0.0, -179.999), 500.0), Err(GeomError::CrossesAntimeridian));
        assert!(Circle::new(ll(0.0, 179.99), 500.0).is_ok());
    }

    #[test]
    fn bounds_contain_cardinal_points() {
        use geo::{Destination, Geodesic};
        for lat in [-70.0, -30.0, 0.0, 45.0, 80.0] {
            let c = Circle::new(ll(lat, 10.0), 25_000.0).unwrap();
            let b = c.bounds();
            for bearing in (0..360).step_by(5) {
                let q = Geodesic.destination(c.center().to_point(), f64::from(bearing), c.radius_m());
                assert!(b.contains(ll(q.y(), q.x())), "lat {lat} bearing {bearing}");
            }
            // And is not absurdly loose (< 1 % over).
            let north = Geodesic.destination(c.center().to_point(), 0.0, c.radius_m());
            assert!(b.max_lat - north.y() < 0.01 * (north.y() - lat));
        }
    }
}
