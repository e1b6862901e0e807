//! Conflict geometry: boundaries of R and H, timing, accuracy, parties.

use crate::common::{NM, geodesic, offset, track};
use tactical::{DetectionConfig, Timestamp, TrackId, detect, detect_all_pairs};

const T0: Timestamp = Timestamp::from_micros(0);

fn both(tracks: &[tactical::TrackState], cfg: &DetectionConfig) -> tactical::ConflictReport {
    let a = detect(tracks, T0, cfg);
    let b = detect_all_pairs(tracks, T0, cfg);
    assert_eq!(a, b);
    a
}

/// Two hovering aircraft (no motion, so no meridian convergence) `d`
/// metres apart east-west, `dz` feet apart vertically, at `lat`.
fn formation(lat: f64, d: f64, dz: f64) -> Vec<tactical::TrackState> {
    let (la, lo) = offset(lat, 10.0, 90.0, d);
    vec![track(1, 1, lat, 10.0, 30_000.0, 0.0, 0.0, 0.0), track(2, 2, la, lo, 30_000.0 + dz, 0.0, 0.0, 0.0)]
}

#[test]
fn just_inside_and_outside_r() {
    let cfg = DetectionConfig::en_route();
    for lat in [0.0, 45.0, 70.0, -60.0] {
        let inside = both(&formation(lat, 5.0 * NM * 0.998, 0.0), &cfg);
        assert_eq!(inside.len(), 1, "lat {lat}");
        let c = inside.cross_party[0];
        assert!(c.t_in_s.is_infinite() && c.t_in_s < 0.0);
        assert_eq!(c.t_cpa_s, 0.0);
        // Horizontal distance matches the WGS84 geodesic to < 0.01% of R.
        assert!((c.d_cpa_m - 5.0 * NM * 0.998).abs() < 1.0, "lat {lat}: {}", c.d_cpa_m);
        assert!(both(&formation(lat, 5.0 * NM * 1.002, 0.0), &cfg).is_empty(), "lat {lat}");
    }
}

#[test]
fn vertical_minimum_is_strict() {
    let cfg = DetectionConfig::en_route();
    // Exactly 1000 ft apart, level, co-located: separated.
    assert!(both(&formation(50.0, 100.0, 1000.0), &cfg).is_empty());
    assert!(both(&formation(50.0, 100.0, -1000.0), &cfg).is_empty());
    assert_eq!(both(&formation(50.0, 100.0, 999.0), &cfg).len(), 1);
    assert!(both(&formation(50.0, 100.0, 1001.0), &cfg).is_empty());
}

#[test]
fn the_r_boundary_is_strict_to_the_last_bit() {
    // No relative motion: in conflict when the squared distance is below
    // R², so separated with R one unit in the last place below the
    // distance the scan reports, in conflict one above. (With R the
    // reported distance itself, the square root's rounding decides.)
    let cfg = DetectionConfig::en_route();
    let pair = formation(50.0, 9000.0, 0.0);
    let distance = both(&pair, &cfg).cross_party[0].d_cpa_m;
    let at = |r: f64| both(&pair, &DetectionConfig { horizontal_m: r, ..cfg });
    assert!(at(distance.next_down()).is_empty());
    assert_eq!(at(distance.next_up()).len(), 1);
}

#[test]
fn head_on_timing() {
    // Head-on at 450 kt each, 40 NM apart: closing 900 kt, 5 NM reached
    // after 35 NM = 140 s; CPA at 160 s.
    let cfg = DetectionConfig::en_route();
    let (la, lo) = offset(50.0, 5.0, 0.0, 40.0 * NM);
    let t = vec![
        track(1, 1, 50.0, 5.0, 35_000.0, 450.0, 0.0, 0.0),
        track(2, 2, la, lo, 35_000.0, 450.0, 180.0, 0.0),
    ];
    let r = both(&t, &cfg);
    assert_eq!(r.len(), 1);
    let c = r.cross_party[0];
    assert!((c.t_in_s - 140.0).abs() < 0.5, "{c:?}");
    assert!((c.t_cpa_s - 160.0).abs() < 0.5, "{c:?}");
    assert!((c.t_out_s - 180.0).abs() < 0.5, "{c:?}");
    assert!(c.d_cpa_m < 50.0);
    // With a 100 s look-ahead the pair is not yet in conflict.
    assert!(both(&t, &DetectionConfig { lookahead_s: 100.0, ..cfg }).is_empty());
    // Lateral offset just inside / outside 5 NM at CPA: head-on along the
    // equator (a great circle, so straight lines stay parallel to it).
    let (_, lo) = offset(0.0, 0.0, 90.0, 40.0 * NM);
    for (off, expect) in [(4.99, 1), (5.01, 0)] {
        let (la2, _) = offset(0.0, lo, 0.0, off * NM);
        let t2 = vec![
            track(1, 1, 0.0, 0.0, 35_000.0, 450.0, 90.0, 0.0),
            track(2, 2, la2, lo, 35_000.0, 450.0, 270.0, 0.0),
        ];
        let r = both(&t2, &cfg);
        assert_eq!(r.len(), expect, "offset {off}");
        if let Some(c) = r.cross_party.first() {
            assert!((c.d_cpa_m - off * NM).abs() < 0.001 * 5.0 * NM, "{c:?}");
            assert!((c.t_cpa_s - 160.0).abs() < 0.5, "{c:?}");
        }
    }
}

#[test]
fn climbing_through_a_level() {
    // B is 3000 ft below A, same position and velocity, climbing 1200 ft/min:
    // |dz| < 1000 from t = 100 s to t = 200 s.
    let cfg = DetectionConfig::en_route();
    let t = vec![
        track(1, 1, 50.0, 5.0, 33_000.0, 400.0, 90.0, 0.0),
        track(2, 1, 50.0, 5.01, 30_000.0, 400.0, 90.0, 1200.0),
    ];
    let r = both(&t, &cfg);
    assert_eq!(r.same_party.len(), 1);
    assert!(r.cross_party.is_empty());
    let c = r.same_party[0];
    assert!((c.t_in_s - 100.0).abs() < 1e-6 && (c.t_out_s - 200.0).abs() < 1e-6, "{c:?}");
    // With a 90 s look-ahead: no conflict.
    assert!(both(&t, &DetectionConfig { lookahead_s: 90.0, ..cfg }).is_empty());
}

#[test]
fn already_lost_and_diverging() {
    // Opposite directions, 1 NM apart along track and 0.5 NM abeam,
    // moving apart: loss now, CPA in the past.
    let cfg = DetectionConfig::en_route();
    let (la, lo) = offset(50.0, 5.0, 0.0, NM);
    let t = vec![
        track(1, 1, la, lo, 20_000.0, 300.0, 0.0, 0.0),
        track(2, 2, 50.0, 5.0, 20_000.0, 300.0, 180.0, 0.0),
    ];
    let c = both(&t, &cfg).cross_party[0];
    assert!(c.t_in_s < 0.0 && c.t_cpa_s < 0.0 && c.t_out_s > 0.0, "{c:?}");
    // Separation regained when 5 NM apart: after 4 NM at 600 kt = 24 s.
    assert!((c.t_out_s - 24.0).abs() < 0.2, "{c:?}");
}

#[test]
fn stale_reports_are_extrapolated() {
    // Report 60 s old: the scan extrapolates to the scan time first.
    let cfg = DetectionConfig::en_route();
    let (la, lo) = offset(50.0, 5.0, 0.0, 40.0 * NM);
    let mut t = vec![
        track(1, 1, 50.0, 5.0, 35_000.0, 450.0, 0.0, 0.0),
        track(2, 2, la, lo, 35_000.0, 450.0, 180.0, 0.0),
    ];
    for s in &mut t {
        s.time = Timestamp::from_secs(-60);
    }
    let c = detect(&t, T0, &cfg).cross_party[0];
    assert!((c.t_in_s - 80.0).abs() < 0.5, "{c:?}");
}

#[test]
fn drone_profile() {
    let cfg = DetectionConfig::drone();
    // 49 m apart at the same height: conflict; 51 m: none.
    for (d, n) in [(49.0, 1), (51.0, 0)] {
        let (la, lo) = offset(48.0, 11.0, 90.0, d);
        let t =
            vec![track(1, 1, 48.0, 11.0, 200.0, 20.0, 0.0, 0.0), track(2, 2, la, lo, 200.0, 20.0, 0.0, 0.0)];
        assert_eq!(both(&t, &cfg).len(), n, "{d} m");
    }
    // 14.9 m vs 15.1 m vertically (15 m = 49.2 ft).
    for (dz_m, n) in [(14.9, 1), (15.1, 0)] {
        let t = vec![
            track(1, 1, 48.0, 11.0, 200.0, 20.0, 0.0, 0.0),
            track(2, 2, 48.0, 11.0, 200.0 + dz_m / 0.3048, 20.0, 0.0, 0.0),
        ];
        assert_eq!(both(&t, &cfg).len(), n, "{dz_m} m");
    }
}

#[test]
fn accuracy_against_geodesic_at_range() {
    // The horizontal distance of a pair with no relative motion equals the geodesic distance within 0.1% of R, at various
    // bearings and latitudes, for distances up to R.
    let cfg = DetectionConfig::en_route();
    for lat in [-75.0, -30.0, 0.0, 35.0, 60.0, 80.0] {
        for brg in [0.0, 37.0, 90.0, 135.0, 210.0, 300.0] {
            let d = 9000.0;
            let (la, lo) = offset(lat, 179.99, brg, d); // also across the antimeridian
            let lo = if lo > 180.0 { lo - 360.0 } else { lo };
            let t = vec![
                track(1, 1, lat, 179.99, 30_000.0, 0.0, 33.0, 0.0),
                track(2, 2, la, lo, 30_000.0, 0.0, 33.0, 0.0),
            ];
            let r = both(&t, &cfg);
            assert_eq!(r.len(), 1, "lat {lat} brg {brg}");
            let g = geodesic((lat, 179.99), (la, lo));
            assert!((r.cross_party[0].d_cpa_m - g).abs() < 0.001 * cfg.horizontal_m, "lat {lat} brg {brg}");
        }
    }
}

#[test]
fn ids_are_ordered_and_same_party_apart() {
    let cfg = DetectionConfig::en_route();
    let t = vec![
        track(9, 1, 50.0, 5.0, 30_000.0, 400.0, 0.0, 0.0),
        track(3, 1, 50.0, 5.01, 30_000.0, 400.0, 0.0, 0.0),
        track(5, 2, 50.0, 5.02, 30_000.0, 400.0, 0.0, 0.0),
    ];
    let r = both(&t, &cfg);
    assert_eq!(r.same_party.iter().map(|c| c.pair()).collect::<Vec<_>>(), vec![(TrackId(3), TrackId(9))]);
    assert_eq!(
        r.cross_party.iter().map(|c| c.pair()).collect::<Vec<_>>(),
        vec![(TrackId(3), TrackId(5)), (TrackId(5), TrackId(9))]
    );
}

#[test]
fn invalid_tracks_and_configs_are_skipped() {
    let mut t = formation(50.0, 100.0, 0.0);
    let cfg = DetectionConfig::en_route();
    assert!(detect(&t, T0, &DetectionConfig { lookahead_s: f64::NAN, ..cfg }).is_empty());
    t[0].ground_speed = tactical::Knots(f64::INFINITY);
    assert!(both(&t, &cfg).is_empty());
}

#[test]
fn stale_and_fast_outliers_take_the_slow_path() {
    // Very old reports extrapolate far and sweep boxes too big for the grid;
    // they are checked against everyone and results still match.
    use tactical::traffic::{GenConfig, generate};
    let cfg = DetectionConfig::en_route();
    let mut t = generate(600, 5, &GenConfig { density_per_km2: 0.3, ..GenConfig::default() });
    for (k, s) in t.iter_mut().enumerate() {
        if k % 50 == 0 {
            s.time = Timestamp::from_secs(-100_000);
        }
        if k % 77 == 0 {
            s.ground_speed = tactical::Knots(9_000.0);
        }
    }
    let r = both(&t, &cfg);
    assert!(!r.is_empty());
}

#[test]
fn large_pictures_scanned_in_space_order_report_as_in_any_order() {
    // From 50,000 tracks given in id order, the scan reorders them in space
    // and maps the pairs back; the same tracks in reverse take the path
    // without reordering. Both reports must be identical, in order too.
    use tactical::traffic::{GenConfig, generate};
    let n = 60_000;
    let side_km = 1500.0;
    let gen_cfg = GenConfig { density_per_km2: n as f64 / (side_km * side_km), ..GenConfig::default() };
    let mut t = generate(n, 11, &gen_cfg);
    assert!(t.windows(2).all(|w| w[0].id < w[1].id));
    // A few invalid tracks, dropped by both.
    for s in t.iter_mut().step_by(4999) {
        s.ground_speed = tactical::Knots(-1.0);
    }
    let cfg = DetectionConfig { threads: 2, ..DetectionConfig::en_route() };
    let ordered = detect(&t, T0, &cfg);
    assert!(ordered.cross_party.len() > 1000 && !ordered.same_party.is_empty(), "{}", ordered.len());
    // On one thread too (its preparation and report take other paths).
    assert_eq!(detect(&t, T0, &DetectionConfig { threads: 1, ..cfg }), ordered);
    t.reverse();
    assert_eq!(detect(&t, T0, &cfg), ordered);
}
