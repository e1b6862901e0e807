//! Helpers: building tracks at geodesic offsets.

use geo::{Destination, Distance, Geodesic, Point};
use tactical::{
    Altitude, DegreesTrue, FeetPerMinute, Knots, PartyId, Position, Timestamp, TrackId, TrackState,
};

pub const NM: f64 = 1852.0;

/// A track at (lat, lon), `alt_ft`, flying `trk` at `gs` knots, `vs` ft/min.
#[allow(clippy::too_many_arguments)]
pub fn track(id: u64, party: u64, lat: f64, lon: f64, alt_ft: f64, gs: f64, trk: f64, vs: f64) -> TrackState {
    TrackState {
        id: TrackId(id),
        party: PartyId(party),
        time: Timestamp::from_micros(0),
        position: Position::new(lat, lon).unwrap(),
        altitude: Altitude::pressure_ft(alt_ft),
        ground_speed: Knots(gs),
        track_angle: DegreesTrue(trk),
        vertical_rate: FeetPerMinute(vs),
        intent: None,
        callsign: None,
        on_ground: false,
    }
}

/// The point `dist_m` from (lat, lon) along `bearing_deg` on the WGS84 ellipsoid.
pub fn offset(lat: f64, lon: f64, bearing_deg: f64, dist_m: f64) -> (f64, f64) {
    let p = Geodesic.destination(Point::new(lon, lat), bearing_deg, dist_m);
    (p.y(), p.x())
}

/// WGS84 geodesic distance in metres.
pub fn geodesic(a: (f64, f64), b: (f64, f64)) -> f64 {
    Geodesic.distance(Point::new(a.1, a.0), Point::new(b.1, b.0))
}
