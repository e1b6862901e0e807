//! Integration tests for `geom`, through the public API only.
#![allow(clippy::unwrap_used)]

mod index;
mod props;
mod volumes;

use geom::*;

pub fn ll(lat: f64, lng: f64) -> LatLng {
    LatLng::new(lat, lng).unwrap()
}

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

pub fn window(a: i64, b: i64) -> TimeWindow {
    TimeWindow::new(Time::from_micros(a), Time::from_micros(b)).unwrap()
}

pub fn alt(a: f64, b: f64) -> AltitudeRange {
    AltitudeRange::new(a, b).unwrap()
}
