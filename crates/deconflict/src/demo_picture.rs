//! The live part of `deconflict demo`: after the scripted scenario, the
//! server keeps running on the real clock and three parties fly simulated
//! aircraft around Bern, reported once a second through `POST /v1/tracks`
//! with each party's own token (the same API a party's own tracker uses, so
//! the live service treats them like any other source).
//!
//! Alpha's `ALP21` and Bravo's `BRV42` shuttle head-on along the same
//! 40 km line at FL200, 3 km apart laterally: each pass is a predicted loss
//! of separation, alerted to both parties (never to Charlie) with a hotline
//! thread. Every other aircraft circles at its own flight level, clear of the rest.

use std::f64::consts::TAU;

use serde_json::{Value, json};

use crate::client::Client;

/// Metres per degree of latitude (spherical approximation, enough for a demo).
const M_PER_DEG: f64 = 111_320.0;
/// Knots to metres per second.
const KT: f64 = 1852.0 / 3600.0;
/// Where the demo happens (Bern), as in the scripted scenario.
pub const CENTRE: (f64, f64) = (46.95, 7.45);

/// How one simulated aircraft moves.
#[derive(Debug, Clone, Copy)]
enum Path {
    /// Back and forth along a west-east line through `lat`, from `west` to
    /// `east` longitude, starting at the western end when `from_west`.
    Shuttle { lat: f64, west: f64, east: f64, from_west: bool },
    /// A circle of `radius_m` around (`lat`, `lng`), clockwise.
    Circle { lat: f64, lng: f64, radius_m: f64 },
}

/// One simulated aircraft.
#[derive(Debug, Clone, Copy)]
pub struct Flight {
    /// The owning party.
    pub party: &'static str,
    /// The party's track id, also its callsign.
    pub id: &'static str,
    gs_kt: f64,
    alt_ft: f64,
    path: Path,
}

/// Longitude degrees per metre at `lat`.
fn deg_lng(lat: f64) -> f64 {
    1.0 / (M_PER_DEG * lat.to_radians().cos())
}

/// The demo's traffic: two aircraft per party; one Alpha-Bravo pair in conflict.
pub fn flights() -> Vec<Flight> {
    let (lat, lng) = CENTRE;
    let half = 20_000.0 * deg_lng(lat);
    let offset = 1_500.0 / M_PER_DEG;
    let (west, east) = (lng - half, lng + half);
    vec![
        Flight {
            party: "alpha",
            id: "ALP21",
            gs_kt: 350.0,
            alt_ft: 20_000.0,
            path: Path::Shuttle { lat: lat + offset, west, east, from_west: true },
        },
        Flight {
            party: "bravo",
            id: "BRV42",
            gs_kt: 350.0,
            alt_ft: 20_000.0,
            path: Path::Shuttle { lat: lat - offset, west, east, from_west: false },
        },
        Flight {
            party: "alpha",
            id: "ALP07",
            gs_kt: 250.0,
            alt_ft: 12_000.0,
            path: Path::Circle { lat: 47.10, lng: 7.20, radius_m: 8_000.0 },
        },
        Flight {
            party: "bravo",
            id: "BRV15",
            gs_kt: 220.0,
            alt_ft: 9_000.0,
            path: Path::Circle { lat: 46.80, lng: 7.75, radius_m: 7_000.0 },
        },
        Flight {
            party: "charlie",
            id: "CHL03",
            gs_kt: 180.0,
            alt_ft: 15_000.0,
            path: Path::Circle { lat: 46.72, lng: 7.25, radius_m: 6_000.0 },
        },
        Flight {
            party: "charlie",
            id: "CHL11",
            gs_kt: 300.0,
            alt_ft: 25_000.0,
            path: Path::Circle { lat: 47.20, lng: 7.60, radius_m: 10_000.0 },
        },
    ]
}

impl Flight {
    /// Position (lat, lng) and track angle (degrees true) `t` seconds after the start.
    pub fn at(&self, t: f64) -> (f64, f64, f64) {
        let speed = self.gs_kt * KT;
        match self.path {
            Path::Shuttle { lat, west, east, from_west } => {
                let leg_m = (east - west) / deg_lng(lat);
                let s = (speed * t).rem_euclid(2.0 * leg_m);
                // Eastbound on the first leg when starting in the west.
                let (along, eastbound) =
                    if s <= leg_m { (s, from_west) } else { (2.0 * leg_m - s, !from_west) };
                let x = if from_west { along } else { leg_m - along };
                (lat, west + x * deg_lng(lat), if eastbound { 90.0 } else { 270.0 })
            }
            Path::Circle { lat, lng, radius_m } => {
                // Clockwise from north: bearing from the centre grows with time.
                let bearing = (speed * t / radius_m).rem_euclid(TAU);
                let (n, e) = (radius_m * bearing.cos(), radius_m * bearing.sin());
                let heading = (bearing.to_degrees() + 90.0).rem_euclid(360.0);
                (lat + n / M_PER_DEG, lng + e * deg_lng(lat), heading)
            }
        }
    }

    /// The report of this flight `t` seconds after the start (time: the server's now).
    pub fn report(&self, t: f64) -> Value {
        let (lat, lon, trk) = self.at(t);
        json!({ "id": self.id, "callsign": self.id, "lat": lat, "lon": lon, "alt_ft": self.alt_ft,
                "gs_kt": self.gs_kt, "trk_deg": trk, "vs_fpm": 0 })
    }
}

/// How often [`fly`] asks for fresh clients (their tokens live an hour).
const RENEW_S: f64 = 1800.0;

/// Reports every flight of every party once a second until the task is
/// dropped, with the clients `clients` makes (asked again every half hour, so
/// tokens never run out); a refused batch is printed once and the flying goes on.
pub async fn fly(clients: impl Fn() -> anyhow::Result<Vec<(&'static str, Client)>>) {
    let flights = flights();
    let start = tokio::time::Instant::now();
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    let mut complained = false;
    let mut parties = Vec::new();
    let mut renewed = f64::NEG_INFINITY;
    loop {
        tick.tick().await;
        let t = start.elapsed().as_secs_f64();
        if t - renewed >= RENEW_S {
            match clients() {
                Ok(p) => parties = p,
                Err(e) => eprintln!("demo: cannot sign the parties' tokens: {e:#}"),
            }
            renewed = t;
        }
        for (party, client) in &parties {
            let batch: Vec<Value> =
                flights.iter().filter(|f| f.party == *party).map(|f| f.report(t)).collect();
            let outcome = client.post("/v1/tracks", &json!({ "tracks": batch })).await;
            let refused = match outcome {
                Ok(r) if r.status.is_success() => None,
                Ok(r) => Some(format!("{} {}", r.status, r.body)),
                Err(e) => Some(e.to_string()),
            };
            if let Some(why) = refused.filter(|_| !complained) {
                eprintln!("demo: {party}'s track report was refused: {why}");
                complained = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metres(a: (f64, f64, f64), b: (f64, f64, f64)) -> f64 {
        let dy = (a.0 - b.0) * M_PER_DEG;
        let dx = (a.1 - b.1) / deg_lng(a.0);
        dx.hypot(dy)
    }

    /// Each second's step is what the reported speed flies, so the live
    /// service's plausibility gate takes every report, and the heading points
    /// where the aircraft goes next.
    #[test]
    fn flights_move_as_their_speed_and_heading_say() {
        for f in flights() {
            for t in [0.0, 37.0, 111.0, 500.0] {
                let (a, b) = (f.at(t), f.at(t + 1.0));
                let step = metres(a, b);
                assert!((step - f.gs_kt * KT).abs() < 2.0, "{} at {t}: {step} m in 1 s", f.id);
                let north = (b.0 - a.0) * M_PER_DEG;
                let east = (b.1 - a.1) / deg_lng(a.0);
                let bearing = east.atan2(north).to_degrees().rem_euclid(360.0);
                let diff = (bearing - a.2 + 540.0).rem_euclid(360.0) - 180.0;
                assert!(diff.abs() < 2.0, "{} at {t}: heads {} but moves {bearing}", f.id, a.2);
            }
        }
    }

    /// The Alpha-Bravo pair closes head-on from the start and passes within
    /// 5 NM at the same level; no other pair comes near at the same level.
    #[test]
    fn only_the_shuttle_pair_conflicts() {
        let all = flights();
        let closest = |a: &Flight, b: &Flight| {
            (0..600).map(|t| metres(a.at(f64::from(t)), b.at(f64::from(t)))).fold(f64::INFINITY, f64::min)
        };
        let (alp, brv) = (&all[0], &all[1]);
        assert!(metres(alp.at(0.0), brv.at(0.0)) > 30_000.0);
        assert!(closest(alp, brv) < 5.0 * 1852.0);
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                if (a.id, b.id) != ("ALP21", "BRV42") {
                    assert!((a.alt_ft - b.alt_ft).abs() >= 2_000.0, "{} and {} share a level", a.id, b.id);
                }
            }
        }
    }
}
