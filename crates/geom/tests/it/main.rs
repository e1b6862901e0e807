//! Integration tests for `geom`, through the public API only.
#![allow(clippy::unwrap_used)]

mod edges;
mod index;
mod props;
mod volumes;

use geom::*;

/// A point, degrees.
pub fn ll(lat: f64, lng: f64) -> LatLng {
    LatLng::new(lat, lng).unwrap()
}

/// The point `distance_m` metres from `from` along the WGS84 geodesic leaving
/// at `bearing_deg` (clockwise from north).
pub fn destination(from: LatLng, bearing_deg: f64, distance_m: f64) -> LatLng {
    use geo::Destination;
    let q = geo::Geodesic.destination(geo::Point::new(from.lng(), from.lat()), bearing_deg, distance_m);
    ll(q.y(), q.x())
}

/// A square of `side_deg` degrees centred on (`lat`, `lng`).
pub fn square(lat: f64, lng: f64, side_deg: f64) -> Footprint {
    Footprint::Polygon(
        Polygon::new(vec![
            ll(lat, lng),
            ll(lat, lng + side_deg),
            ll(lat + side_deg, lng + side_deg),
            ll(lat + side_deg, lng),
        ])
        .unwrap(),
    )
}

/// The half-open window [`a`, `b`) µs.
pub fn window(a: i64, b: i64) -> TimeWindow {
    TimeWindow::new(Time::from_micros(a), Time::from_micros(b)).unwrap()
}

/// The closed altitude range [`a`, `b`] metres.
pub fn alt(a: f64, b: f64) -> AltitudeRange {
    AltitudeRange::new(a, b).unwrap()
}
