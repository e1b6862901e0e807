//! Builders shared by the tests and the traffic bench.
#![allow(dead_code, clippy::unwrap_used)]

use geo::{Destination, Geodesic, Point};
use geom::{AltitudeRange, Circle, Footprint, LatLng, Polygon, Time, TimeWindow, Volume4D};

/// The point `d` metres from `p` along `bearing` (degrees).
pub fn offset(p: LatLng, bearing: f64, d: f64) -> LatLng {
    let q = Geodesic.destination(Point::new(p.lng(), p.lat()), bearing, d);
    let mut lng = q.x();
    if lng > 180.0 {
        lng -= 360.0;
    } else if lng < -180.0 {
        lng += 360.0;
    }
    LatLng::new(q.y().clamp(-90.0, 90.0), lng).unwrap()
}

/// A circle of radius `r` metres around `c`.
pub fn circle(c: LatLng, r: f64) -> Footprint {
    Footprint::Circle(Circle::new(c, r).unwrap())
}

/// A star-shaped polygon about `c`: vertex `i` at bearing `i·360/n + jitter`
/// and distance `radii[i]`. `None` if geom refuses it.
#[allow(dead_code)]
pub fn star(c: LatLng, radii: &[f64], jitter: f64) -> Option<Footprint> {
    let n = radii.len();
    let step = 360.0 / n as f64;
    let pts =
        radii.iter().enumerate().map(|(i, &r)| offset(c, i as f64 * step + jitter * step * 0.4, r)).collect();
    Polygon::new(pts).ok().map(Footprint::Polygon)
}

/// A volume over `fp` between `lower` and `upper` metres, from `start_us` to `end_us`.
pub fn volume(fp: Footprint, lower: f64, upper: f64, start_us: i64, end_us: i64) -> Volume4D {
    Volume4D::new(
        fp,
        AltitudeRange::new(lower, upper).unwrap(),
        TimeWindow::new(Time::from_micros(start_us), Time::from_micros(end_us)).unwrap(),
    )
}
