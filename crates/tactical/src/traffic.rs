//! A deterministic generator of realistic en-route traffic, for the CLI,
//! tests and benchmarks.
//!
//! Aircraft are spread uniformly over a square around a centre, sized so the
//! density is constant (by default 10,000 aircraft per 600 km × 600 km, a
//! very busy en-route picture). Most fly level at flight levels FL100–FL400
//! following the semicircular rule (odd thousands eastbound, even westbound);
//! a fraction climb or descend at 500–3000 ft/min. Ground speeds are uniform
//! in 250–500 kt, tracks uniform in `[0, 360)`. The output depends only on
//! `n`, `seed` and the configuration (a hand-written SplitMix64 PRNG).

use crate::track::{PartyId, Position, TrackId, TrackState};
use crate::units::{Altitude, DegreesTrue, FeetPerMinute, Knots, Timestamp};

/// Parameters of [`generate`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GenConfig {
    /// Latitude of the centre of the square, degrees.
    pub center_lat_deg: f64,
    /// Longitude of the centre of the square, degrees.
    pub center_lon_deg: f64,
    /// Aircraft per square kilometre (10,000 / 600² by default).
    pub density_per_km2: f64,
    /// Fraction of aircraft climbing or descending, `[0, 1]`.
    pub vertical_fraction: f64,
    /// Lowest flight level (hundreds of feet).
    pub fl_min: u32,
    /// Highest flight level (hundreds of feet).
    pub fl_max: u32,
    /// Slowest ground speed, knots.
    pub gs_min_kt: f64,
    /// Fastest ground speed, knots.
    pub gs_max_kt: f64,
    /// Tracks are owned round-robin by this many parties (at least 1).
    pub parties: u64,
    /// Report time of every generated state.
    pub time: Timestamp,
}

impl Default for GenConfig {
    /// Centred at 50°N 5°E; 10,000 aircraft per 600 km square; 20% climbing
    /// or descending; FL100–FL400; 250–500 kt; 8 parties; time 0.
    fn default() -> Self {
        Self {
            center_lat_deg: 50.0,
            center_lon_deg: 5.0,
            density_per_km2: 10_000.0 / (600.0 * 600.0),
            vertical_fraction: 0.2,
            fl_min: 100,
            fl_max: 400,
            gs_min_kt: 250.0,
            gs_max_kt: 500.0,
            parties: 8,
            time: Timestamp::from_micros(0),
        }
    }
}

impl GenConfig {
    /// Side of the square (km) holding `n` aircraft at this density.
    pub fn side_km(&self, n: usize) -> f64 {
        (n as f64 / self.density_per_km2.max(f64::MIN_POSITIVE)).sqrt()
    }
}

/// SplitMix64: a tiny, good-quality, deterministic 64-bit PRNG.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `[lo, hi)`.
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
}

/// Mean earth radius used to lay out the square, metres.
const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// `n` aircraft states with ids `1..=n`, deterministic from `seed`.
pub fn generate(n: usize, seed: u64, cfg: &GenConfig) -> Vec<TrackState> {
    let mut rng = SplitMix64::new(seed);
    let half_m = cfg.side_km(n) * 500.0;
    let (fl_lo, fl_hi) = (cfg.fl_min.min(cfg.fl_max), cfg.fl_min.max(cfg.fl_max));
    // Whole thousands of feet between the limits, as flight levels / 10.
    let k_lo = fl_lo.div_ceil(10);
    let k_hi = (fl_hi / 10).max(k_lo);
    let parties = cfg.parties.max(1);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let x = rng.range(-half_m, half_m);
        let y = rng.range(-half_m, half_m);
        let lat = (cfg.center_lat_deg + (y / EARTH_RADIUS_M).to_degrees()).clamp(-89.0, 89.0);
        let coslat = lat.to_radians().cos().max(1e-3);
        let mut lon = cfg.center_lon_deg + (x / (EARTH_RADIUS_M * coslat)).to_degrees();
        lon = (lon + 180.0).rem_euclid(360.0) - 180.0;
        let trk = rng.range(0.0, 360.0);
        let gs = rng.range(cfg.gs_min_kt, cfg.gs_max_kt);
        let (alt_ft, vs_fpm) = if rng.unit() < cfg.vertical_fraction {
            let alt = rng.range(f64::from(fl_lo) * 100.0, f64::from(fl_hi) * 100.0);
            let rate = rng.range(500.0, 3000.0);
            (alt, if rng.unit() < 0.5 { rate } else { -rate })
        } else {
            // Semicircular rule: eastbound odd thousands, westbound even.
            let eastbound = trk < 180.0;
            let mut k = k_lo + (rng.next_u64() % u64::from(k_hi - k_lo + 1)) as u32;
            if (k % 2 == 1) != eastbound {
                k = if k < k_hi { k + 1 } else { k.saturating_sub(1).max(k_lo) };
            }
            (f64::from(k) * 1000.0, 0.0)
        };
        let Ok(position) = Position::new(lat, lon) else { continue };
        out.push(TrackState {
            id: TrackId(i as u64 + 1),
            party: PartyId(i as u64 % parties),
            time: cfg.time,
            position,
            altitude: Altitude::pressure_ft(alt_ft),
            ground_speed: Knots(gs),
            track_angle: DegreesTrue(trk),
            vertical_rate: FeetPerMinute(vs_fpm),
            intent: None,
            callsign: None,
            on_ground: false,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_in_bounds() {
        let cfg = GenConfig::default();
        let a = generate(2000, 7, &cfg);
        assert_eq!(a, generate(2000, 7, &cfg));
        assert_ne!(a, generate(2000, 8, &cfg));
        assert_eq!(a.len(), 2000);
        let mut vertical = 0;
        for s in &a {
            assert!(s.validate().is_ok());
            assert!((10_000.0..=40_000.0).contains(&s.altitude.feet));
            assert!((250.0..=500.0).contains(&s.ground_speed.0));
            if s.vertical_rate.0 != 0.0 {
                vertical += 1;
            } else {
                let k = (s.altitude.feet / 1000.0) as u32;
                assert_eq!(s.altitude.feet, f64::from(k) * 1000.0);
            }
            // 2000 aircraft at the default density: a ~268 km square.
            assert!((s.position.lat_deg() - 50.0).abs() < 1.3);
        }
        assert!((300..=500).contains(&vertical), "{vertical}");
    }
}
