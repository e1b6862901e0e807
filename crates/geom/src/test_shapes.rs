//! Shapes the unit tests of this crate build, written once.
#![allow(clippy::unwrap_used)]

use crate::{Circle, Footprint, LatLng, Polygon};

/// A point; panics on an invalid one (tests only).
pub(crate) fn ll(lat: f64, lng: f64) -> LatLng {
    LatLng::new(lat, lng).unwrap()
}

/// A polygon footprint through `(lat, lng)` vertices.
pub(crate) fn poly(pts: &[(f64, f64)]) -> Footprint {
    Footprint::Polygon(Polygon::new(pts.iter().map(|&(a, b)| ll(a, b)).collect()).unwrap())
}

/// A square of `side` degrees with its south-west corner at `(lat, lng)`.
pub(crate) fn square(lat: f64, lng: f64, side: f64) -> Footprint {
    poly(&[(lat, lng), (lat, lng + side), (lat + side, lng + side), (lat + side, lng)])
}

/// A circle of radius `r` metres.
pub(crate) fn circle(lat: f64, lng: f64, r: f64) -> Footprint {
    Footprint::Circle(Circle::new(ll(lat, lng), r).unwrap())
}
