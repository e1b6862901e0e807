//! Points and lat/lng bounding boxes.

use geo::{Distance, Geodesic, Point};

use crate::GeomError;

/// A WGS84 position in degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatLng {
    lat: f64,
    lng: f64,
}

impl LatLng {
    pub(crate) const ORIGIN: LatLng = LatLng { lat: 0.0, lng: 0.0 };

    /// A position from latitude and longitude in degrees.
    ///
    /// # Errors
    /// [`GeomError::InvalidLatitude`] unless `lat` is finite and in `[-90, 90]`;
    /// [`GeomError::InvalidLongitude`] unless `lng` is finite and in `[-180, 180]`.
    ///
    /// ```
    /// use geom::LatLng;
    /// let p = LatLng::new(46.5, 6.6)?;
    /// assert_eq!(p.lat(), 46.5);
    /// assert!(LatLng::new(95.0, 0.0).is_err());
    /// # Ok::<(), geom::GeomError>(())
    /// ```
    pub fn new(lat: f64, lng: f64) -> Result<Self, GeomError> {
        if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
            return Err(GeomError::InvalidLatitude(lat));
        }
        if !lng.is_finite() || !(-180.0..=180.0).contains(&lng) {
            return Err(GeomError::InvalidLongitude(lng));
        }
        // Normalise -0.0 so that equality and hashing of vertices behave.
        Ok(Self { lat: lat + 0.0, lng: lng + 0.0 })
    }

    /// Latitude in degrees.
    #[must_use]
    pub const fn lat(&self) -> f64 {
        self.lat
    }

    /// Longitude in degrees.
    #[must_use]
    pub const fn lng(&self) -> f64 {
        self.lng
    }

    /// Geodesic distance on the WGS84 ellipsoid, metres (Karney's algorithm).
    #[must_use]
    pub fn distance_m(&self, other: &LatLng) -> f64 {
        Geodesic.distance(self.to_point(), other.to_point())
    }

    pub(crate) fn to_point(self) -> Point<f64> {
        Point::new(self.lng, self.lat)
    }
}

/// A closed lat/lng box in degrees. Never wraps: `min_lng <= max_lng`.
///
/// The box of a footprint that crosses or touches the antimeridian (±180°)
/// or reaches a pole spans every longitude, `[-180, 180]`, over its band of
/// latitudes: a superset that every store can index as an ordinary box (the
/// band is narrow for the small footprints that matter, and exact around a
/// pole).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatLngBounds {
    /// Southern edge.
    pub min_lat: f64,
    /// Northern edge.
    pub max_lat: f64,
    /// Western edge.
    pub min_lng: f64,
    /// Eastern edge.
    pub max_lng: f64,
}

impl LatLngBounds {
    /// Closed overlap test on plain intervals. A footprint's box that reaches
    /// a pole or ±180° spans every longitude, so footprints meeting there
    /// always have overlapping boxes.
    #[must_use]
    pub fn intersects(&self, other: &LatLngBounds) -> bool {
        self.min_lat <= other.max_lat
            && other.min_lat <= self.max_lat
            && self.min_lng <= other.max_lng
            && other.min_lng <= self.max_lng
    }

    /// Whether `p` is inside (closed). At a pole every longitude names the
    /// same point, and so do -180 and 180 on the antimeridian.
    #[must_use]
    pub fn contains(&self, p: LatLng) -> bool {
        let lng_ok = self.spans_all_longitudes()
            || (self.min_lng..=self.max_lng).contains(&p.lng)
            || (p.lng.abs() == 180.0 && (self.min_lng..=self.max_lng).contains(&-p.lng));
        (self.min_lat..=self.max_lat).contains(&p.lat) && (lng_ok || p.lat.abs() == 90.0)
    }

    /// Whether the box spans every longitude (see the type docs for when a
    /// footprint's box does).
    #[must_use]
    pub fn spans_all_longitudes(&self) -> bool {
        self.min_lng <= -180.0 && self.max_lng >= 180.0
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn validation() {
        assert_eq!(LatLng::new(95.0, 0.0), Err(GeomError::InvalidLatitude(95.0)));
        assert_eq!(GeomError::InvalidLatitude(95.0).to_string(), "latitude 95 is outside [-90, 90] degrees");
        assert_eq!(LatLng::new(0.0, -180.5), Err(GeomError::InvalidLongitude(-180.5)));
        assert_eq!(
            GeomError::InvalidLongitude(-180.5).to_string(),
            "longitude -180.5 is outside [-180, 180] degrees"
        );
        assert!(matches!(LatLng::new(f64::NAN, 0.0), Err(GeomError::InvalidLatitude(_))));
        assert!(matches!(LatLng::new(0.0, f64::INFINITY), Err(GeomError::InvalidLongitude(_))));
        assert!(LatLng::new(90.0, 180.0).is_ok());
        assert!(LatLng::new(-90.0, -180.0).is_ok());
        // -0.0 is normalised so vertices compare equal.
        assert_eq!(LatLng::new(-0.0, 0.0).unwrap(), LatLng::new(0.0, -0.0).unwrap());
    }

    #[test]
    fn geodesic_distance() {
        // One degree of latitude at the equator on WGS84: 110574.389 m.
        let a = LatLng::new(0.0, 0.0).unwrap();
        let b = LatLng::new(1.0, 0.0).unwrap();
        assert!((a.distance_m(&b) - 110_574.389).abs() < 0.01);
        // One degree of longitude on the equator: 111319.491 m.
        let c = LatLng::new(0.0, 1.0).unwrap();
        assert!((a.distance_m(&c) - 111_319.491).abs() < 0.01);
    }
}
