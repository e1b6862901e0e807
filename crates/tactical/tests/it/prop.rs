//! Property tests: the pruned scan equals the all-pairs reference; parsers
//! never panic.

use proptest::prelude::*;
use tactical::traffic::{GenConfig, generate};
use tactical::{ConflictReport, DetectionConfig, Timestamp, TrackState, detect, detect_all_pairs};

fn same(a: &ConflictReport, b: &ConflictReport) -> Result<(), TestCaseError> {
    let (x, y) = (a.all_sorted(), b.all_sorted());
    let px: Vec<_> = x.iter().map(|c| c.pair()).collect();
    let py: Vec<_> = y.iter().map(|c| c.pair()).collect();
    prop_assert_eq!(px, py);
    for (c, d) in x.iter().zip(&y) {
        for (u, v) in
            [(c.t_in_s, d.t_in_s), (c.t_out_s, d.t_out_s), (c.t_cpa_s, d.t_cpa_s), (c.d_cpa_m, d.d_cpa_m)]
        {
            prop_assert!(u == v || (u - v).abs() <= 1e-6 * (1.0 + u.abs()), "{c:?} vs {d:?}");
        }
    }
    prop_assert_eq!(a.same_party.len(), b.same_party.len());
    Ok(())
}

/// The pruned scan of `tracks` at time 0, once checked [`same`] as the
/// all-pairs reference.
fn pruned_scan_checked(
    tracks: &[TrackState],
    cfg: &DetectionConfig,
) -> Result<ConflictReport, TestCaseError> {
    let now = Timestamp::from_micros(0);
    let pruned = detect(tracks, now, cfg);
    same(&pruned, &detect_all_pairs(tracks, now, cfg))?;
    Ok(pruned)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Random en-route traffic anywhere on earth (poles and antimeridian
    /// included), dense enough for many conflicts; random minima.
    #[test]
    fn pruned_equals_all_pairs(
        n in 2usize..400,
        seed in any::<u64>(),
        lat in -89.0f64..89.0,
        lon in -180.0f64..180.0,
        density in 0.01f64..2.0,
        vertical in 0.0f64..1.0,
        r_nm in 0.5f64..20.0,
        h_ft in 100.0f64..3000.0,
        look in 1.0f64..900.0,
        threads in 1usize..4,
        age_s in 0i64..60,
    ) {
        let gen_cfg = GenConfig {
            center_lat_deg: lat,
            center_lon_deg: lon,
            density_per_km2: density * 10_000.0 / 360_000.0,
            vertical_fraction: vertical,
            time: Timestamp::from_secs(-age_s),
            ..GenConfig::default()
        };
        let tracks = generate(n, seed, &gen_cfg);
        let cfg = DetectionConfig { horizontal_m: r_nm * 1852.0, vertical_ft: h_ft, lookahead_s: look, threads };
        pruned_scan_checked(&tracks, &cfg)?;
    }

    /// Drone-scale traffic with the drone profile.
    #[test]
    fn pruned_equals_all_pairs_drones(n in 2usize..300, seed in any::<u64>(), lat in -80.0f64..80.0) {
        let gen_cfg = GenConfig {
            center_lat_deg: lat,
            density_per_km2: 50.0,
            fl_min: 1,
            fl_max: 4,
            gs_min_kt: 0.0,
            gs_max_kt: 60.0,
            vertical_fraction: 0.5,
            ..GenConfig::default()
        };
        let tracks = generate(n, seed, &gen_cfg);
        let cfg = DetectionConfig::drone();
        pruned_scan_checked(&tracks, &cfg)?;
    }

    /// Dense traffic: 10,000 aircraft per 100 km × 100 km, random threads.
    #[test]
    fn pruned_equals_all_pairs_dense(
        n in 2usize..800,
        seed in any::<u64>(),
        lat in -85.0f64..85.0,
        lon in -180.0f64..180.0,
        threads in 1usize..4,
    ) {
        let gen_cfg = GenConfig {
            center_lat_deg: lat,
            center_lon_deg: lon,
            density_per_km2: 1.0,
            ..GenConfig::default()
        };
        let tracks = generate(n, seed, &gen_cfg);
        let cfg = DetectionConfig { threads, ..DetectionConfig::en_route() };
        pruned_scan_checked(&tracks, &cfg)?;
    }

    /// Altitudes at or within a hair of whole thousands of feet, with tiny
    /// vertical rates: the bands of the pruned scan are exactly ±H/2, so
    /// pairs one minimum apart are its sharpest edge.
    #[test]
    fn pruned_equals_all_pairs_at_the_vertical_minimum(
        n in 2usize..400,
        seed in any::<u64>(),
        hair in prop::sample::select(vec![0.0, 1e-9, 1e-6, 1e-3, 0.5]),
        rate in prop::sample::select(vec![0.0, 1e-6, 1e-3]),
    ) {
        let gen_cfg = GenConfig { density_per_km2: 1.0, vertical_fraction: 0.0, ..GenConfig::default() };
        let mut tracks = generate(n, seed, &gen_cfg);
        for (k, s) in tracks.iter_mut().enumerate() {
            let sign = if k % 3 == 0 { -1.0 } else { 1.0 };
            s.altitude.feet += if k % 2 == 0 { sign * hair } else { 0.0 };
            s.vertical_rate = tactical::FeetPerMinute(if k % 5 == 0 { sign * rate } else { 0.0 });
        }
        let cfg = DetectionConfig::en_route();
        pruned_scan_checked(&tracks, &cfg)?;
    }

    /// Stale reports (up to 40 minutes old, some from the future) and
    /// absurd ground speeds among ordinary traffic: tracks the pruned
    /// scan's bounds do not cover go to the exact test against everyone.
    #[test]
    fn pruned_equals_all_pairs_stale_and_fast(
        n in 2usize..300,
        seed in any::<u64>(),
        density in 0.05f64..1.0,
        threads in 1usize..4,
    ) {
        let gen_cfg = GenConfig { density_per_km2: density, vertical_fraction: 0.3, ..GenConfig::default() };
        let mut tracks = generate(n, seed, &gen_cfg);
        for (k, s) in tracks.iter_mut().enumerate() {
            if k % 7 == 0 {
                s.time = Timestamp::from_secs(-((k % 5) as i64) * 600 + if k % 2 == 0 { 0 } else { 90 });
            }
            if k % 11 == 0 {
                s.ground_speed = tactical::Knots(1000.0 + (k % 3) as f64 * 1500.0);
            }
        }
        let cfg = DetectionConfig { threads, ..DetectionConfig::en_route() };
        pruned_scan_checked(&tracks, &cfg)?;
    }

    /// Traffic over the whole globe (the grids fold nothing: 3-D cells),
    /// with wide minima and long look-aheads so that pairs far apart in
    /// the frame still meet.
    #[test]
    fn pruned_equals_all_pairs_worldwide(
        n in 2usize..250,
        seed in any::<u64>(),
        lat in -60.0f64..60.0,
        r_km in 50.0f64..1000.0,
        look in 60.0f64..7200.0,
        vertical in 0.0f64..1.0,
    ) {
        // A square far larger than the earth: latitudes clamp, longitudes wrap.
        let gen_cfg = GenConfig {
            center_lat_deg: lat,
            density_per_km2: n as f64 / (30_000.0 * 30_000.0),
            vertical_fraction: vertical,
            ..GenConfig::default()
        };
        let tracks = generate(n, seed, &gen_cfg);
        let cfg = DetectionConfig { horizontal_m: r_km * 1000.0, vertical_ft: 5000.0, lookahead_s: look, threads: 2 };
        pruned_scan_checked(&tracks, &cfg)?;
    }

    /// Climbing and descending traffic crossing levelled traffic at whole
    /// thousands of feet, at rates that put pairs exactly one minimum
    /// apart at whole seconds (so on slice boundaries), with vertical
    /// rates around the level/vertical threshold (H/4 over the look-ahead).
    #[test]
    fn pruned_equals_all_pairs_crossing_levels(
        n in 2usize..500,
        seed in any::<u64>(),
        threads in 1usize..4,
        look in prop::sample::select(vec![60.0, 120.0, 300.0]),
    ) {
        let gen_cfg = GenConfig { density_per_km2: 1.0, vertical_fraction: 0.4, ..GenConfig::default() };
        let mut tracks = generate(n, seed, &gen_cfg);
        let flat = 0.25 * 1000.0 / look * 60.0;
        let rates = [1000.0, -2000.0, 3000.0, 500.0, flat, -flat, flat * (1.0 + 1e-9), flat * (1.0 - 1e-9), 1e-9];
        for (k, s) in tracks.iter_mut().enumerate() {
            if s.vertical_rate.0 != 0.0 {
                s.altitude.feet = (s.altitude.feet / 500.0).round() * 500.0;
                s.vertical_rate = tactical::FeetPerMinute(rates[k % rates.len()]);
            }
        }
        let cfg = DetectionConfig { threads, lookahead_s: look, ..DetectionConfig::en_route() };
        pruned_scan_checked(&tracks, &cfg)?;
    }

    /// Tracks piled on the same few points, some not moving, some moving
    /// together (no relative motion), some sharing an id.
    #[test]
    fn pruned_equals_all_pairs_piled_up(
        n in 2usize..200,
        seed in any::<u64>(),
        points in 1usize..5,
    ) {
        let base = generate(points, seed, &GenConfig { density_per_km2: 0.5, ..GenConfig::default() });
        let tracks: Vec<_> = (0..n)
            .map(|k| {
                let mut s = base[k % points];
                s.id = tactical::TrackId(if k % 13 == 0 { 1 } else { k as u64 + 1 });
                s.party = tactical::PartyId((k % 3) as u64);
                if k % 4 == 0 {
                    s.ground_speed = tactical::Knots(0.0);
                }
                if k % 6 == 0 {
                    s.altitude.feet += 1000.0;
                }
                s
            })
            .collect();
        let cfg = DetectionConfig::en_route();
        pruned_scan_checked(&tracks, &cfg)?;
    }

    /// Arbitrary bytes never make the SBS-1 parser panic.
    #[test]
    fn sbs_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = tactical::sbs::parse_line(&bytes);
    }

    /// Lines that look almost right never make it panic either.
    #[test]
    fn sbs_mutated_lines(fields in proptest::collection::vec("[-0-9A-Za-z.:/ ]{0,12}", 0..26), kind in 0u8..10) {
        let line = format!("MSG,{kind},{}", fields.join(","));
        let _ = tactical::sbs::parse_line(line.as_bytes());
    }

    /// Arbitrary text never makes the traffic CSV parser panic.
    #[test]
    fn csv_arbitrary_text(body in "[-0-9a-z,.\n\r ]{0,400}") {
        let _ = tactical::csv::parse_traffic(&format!("id,lat,lon,alt_ft,gs_kt,trk_deg,vs_fpm\n{body}"));
        let _ = tactical::csv::parse_traffic(&body);
    }
}

#[test]
fn pruned_equals_all_pairs_at_2000() {
    // One larger realistic picture, with both thread counts.
    let tracks = generate(2000, 99, &GenConfig::default());
    for threads in [1, 2] {
        let cfg = DetectionConfig { threads, ..DetectionConfig::en_route() };
        let a = pruned_scan_checked(&tracks, &cfg).unwrap();
        assert!(!a.is_empty());
    }
}

#[test]
fn pruned_equals_all_pairs_dense_at_5000() {
    // 5,000 aircraft in a 71 km square: tens of thousands of conflicts.
    let gen_cfg = GenConfig { density_per_km2: 1.0, ..GenConfig::default() };
    let tracks = generate(5000, 7, &gen_cfg);
    let a = pruned_scan_checked(&tracks, &DetectionConfig::en_route()).unwrap();
    assert!(a.len() > 10_000, "{}", a.len());
}

#[test]
fn pruned_equals_all_pairs_dense_climbing_at_3000() {
    // 3,000 aircraft in a 55 km square, half of them climbing or
    // descending through the others' levels.
    let gen_cfg = GenConfig { density_per_km2: 1.0, vertical_fraction: 0.5, ..GenConfig::default() };
    let tracks = generate(3000, 5, &gen_cfg);
    for threads in [1, 2] {
        let cfg = DetectionConfig { threads, ..DetectionConfig::en_route() };
        let a = pruned_scan_checked(&tracks, &cfg).unwrap();
        assert!(a.len() > 5_000, "{}", a.len());
    }
}
