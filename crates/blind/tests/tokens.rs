//! Unit tests: padding, determinism, key/epoch/grid separation, refusals,
//! decoding.
#![allow(clippy::unwrap_used)]

mod common;

use blind::*;
use common::*;
use geom::LatLng;
use rand::SeedableRng;
use rand::rngs::StdRng;

const MIN: i64 = 60_000_000;

fn ll(lat: f64, lng: f64) -> LatLng {
    LatLng::new(lat, lng).unwrap()
}

fn op(key: u8, epoch: u64, policy: &LinePolicy, vols: &[geom::Volume4D], seed: u64) -> BlindOperation {
    BlindOperation::new(
        &LineKey::new([key; 32]),
        Epoch(epoch),
        policy,
        vols,
        &mut StdRng::seed_from_u64(seed),
    )
    .unwrap()
}

fn small(lat: f64) -> geom::Volume4D {
    volume(circle(ll(lat, 6.6), 300.0), 0.0, 120.0, 0, 20 * MIN)
}

fn real(o: &BlindOperation) -> Vec<Token> {
    o.tokens().iter().filter(|t| o.decode(t).is_some()).copied().collect()
}

#[test]
fn sets_are_padded_to_a_power_of_two_with_undecodable_tokens() {
    let p = LinePolicy::default();
    for (vols, min_len) in [(vec![small(46.5)], 64), (vec![small(46.5), small(46.6), small(46.7)], 64)] {
        let o = op(1, 1, &p, &vols, 9);
        let n = o.tokens().len();
        assert!(n.is_power_of_two() && n >= min_len && n >= o.real_count(), "{n} for {}", o.real_count());
        assert!(n < 2 * o.real_count().max(32), "no more than needed: {n} for {}", o.real_count());
        assert_eq!(real(&o).len(), o.real_count(), "every real token decodes, no padding does");
        assert!(o.tokens().windows(2).all(|w| w[0] < w[1]), "sorted");
    }
    // One place only: padded up to min_tokens.
    let tiny = PolicyParams {
        cell_resolution: 3,
        buffer_h_m: 0.0,
        buffer_v_m: 0.0,
        buffer_t_micros: 0,
        ..p.params()
    };
    let tiny = LinePolicy::new(tiny).unwrap();
    let o = op(1, 1, &tiny, &[volume(circle(ll(46.5, 6.6), 1.0), 10.0, 11.0, 10, 20)], 9);
    assert!((1..=3).contains(&o.real_count()), "{}", o.real_count());
    assert_eq!(o.tokens().len(), 64);
}

#[test]
fn tokens_are_deterministic_and_pinned() {
    let p = LinePolicy::default();
    let a = op(1, 1, &p, &[small(46.5)], 1);
    let b = op(1, 1, &p, &[small(46.5)], 2);
    assert_eq!(real(&a), real(&b), "same key, epoch, policy and volume: same tokens");
    assert_ne!(a.tokens(), b.tokens(), "padding differs");
    assert_eq!(op(1, 1, &p, &[small(46.5)], 1).tokens(), a.tokens(), "same rng seed: same set");
    // The encoding is part of the protocol between clients: pin one token.
    let tiny = LinePolicy::new(PolicyParams {
        cell_resolution: 3,
        buffer_h_m: 0.0,
        buffer_v_m: 0.0,
        buffer_t_micros: 0,
        ..p.params()
    })
    .unwrap();
    let o = op(1, 1, &tiny, &[volume(circle(ll(46.5, 6.6), 1.0), 10.0, 11.0, 10, 20)], 9);
    let t = *real(&o).iter().min_by_key(|t| o.decode(t)).unwrap();
    let place = o.decode(&t).unwrap();
    assert_eq!((place.slot, place.band), (0, 0));
    let hex: String = t.0.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hex, "cd8a8613c3abd03e61662845f07dfa6a615f7d4073b602be76fe4721d4516823", "{place:?}");
}

#[test]
fn another_key_epoch_or_grid_gives_unrelated_tokens() {
    let p = LinePolicy::default();
    let base = op(1, 1, &p, &[small(46.5)], 1);
    assert_eq!(matches(base.tokens(), base.tokens()).len(), base.tokens().len());
    let other_key = op(2, 1, &p, &[small(46.5)], 2);
    let other_epoch = op(1, 2, &p, &[small(46.5)], 3);
    let other_grid = LinePolicy::new(PolicyParams { band_m: 40.0, ..p.params() }).unwrap();
    let other_grid = op(1, 1, &other_grid, &[small(46.5)], 4);
    for other in [other_key, other_epoch, other_grid] {
        assert!(other.real_count() > 0);
        assert!(matches(base.tokens(), other.tokens()).is_empty());
        assert!(real(&base).iter().all(|t| other.decode(t).is_none()));
    }
}

#[test]
fn operations_over_the_line_limits_are_refused() {
    let p = LinePolicy::default();
    let key = LineKey::new([1; 32]);
    let mut rng = StdRng::seed_from_u64(1);
    let big = volume(circle(ll(46.5, 6.6), 6_000.0), 0.0, 120.0, 0, MIN);
    let e = BlindOperation::new(&key, Epoch(1), &p, &[big], &mut rng).unwrap_err();
    assert!(
        matches!(e, BlindError::AreaTooLarge { area_km2, max_km2 } if area_km2 > 113.0 && max_km2 == 100.0)
    );
    assert!(e.to_string().starts_with("blind operation footprint area 113."), "{e}");
    assert!(e.to_string().ends_with("over the line's maximum blind area of 100.000 km²"), "{e}");
    // Fifty small volumes add up.
    let many: Vec<_> = (0..50)
        .map(|i| volume(circle(ll(46.5 + 0.02 * f64::from(i), 6.6), 900.0), 0.0, 10.0, 0, MIN))
        .collect();
    assert!(matches!(
        BlindOperation::new(&key, Epoch(1), &p, &many, &mut rng),
        Err(BlindError::AreaTooLarge { .. })
    ));
    // A year-long window is too many tokens, refused before any covering.
    let long = volume(circle(ll(46.5, 6.6), 100.0), 0.0, 10.0, 0, 365 * 24 * 60 * MIN);
    let e = BlindOperation::new(&key, Epoch(1), &p, &[long], &mut rng).unwrap_err();
    assert!(matches!(e, BlindError::TooManyTokens { max: 65_536, needed } if needed > 65_536), "{e:?}");
    assert_eq!(BlindOperation::new(&key, Epoch(1), &p, &[], &mut rng).unwrap_err(), BlindError::NoVolumes);
}

#[test]
fn invalid_policies_are_refused_naming_the_parameter() {
    let d = LinePolicy::default().params();
    let cases = [
        (PolicyParams { cell_resolution: 16, ..d }, "cell_resolution"),
        (PolicyParams { slot_micros: 0, ..d }, "slot_micros"),
        (PolicyParams { band_m: f64::NAN, ..d }, "band_m"),
        (PolicyParams { buffer_h_m: -1.0, ..d }, "buffer_h_m"),
        (PolicyParams { buffer_v_m: f64::INFINITY, ..d }, "buffer_v_m"),
        (PolicyParams { buffer_t_micros: -1, ..d }, "buffer_t_micros"),
        (PolicyParams { max_area_m2: 0.0, ..d }, "max_area_m2"),
        (PolicyParams { max_tokens: 1000, ..d }, "max_tokens"),
        (PolicyParams { min_tokens: 1 << 17, ..d }, "min_tokens"),
    ];
    for (p, name) in cases {
        let e = LinePolicy::new(p).unwrap_err();
        assert!(matches!(&e, BlindError::InvalidPolicy { name: n, .. } if *n == name), "{e:?}");
        assert!(e.to_string().starts_with(&format!("line policy: {name} = ")), "{e}");
    }
}

#[test]
fn a_matched_token_decodes_to_the_owners_place_where_the_two_meet() {
    let p = LinePolicy::default();
    let a = op(1, 1, &p, &[volume(circle(ll(46.5, 6.6), 200.0), 0.0, 40.0, 0, 4 * MIN)], 1);
    // East of it, 300 m apart edge to edge (outside 50 m of separation,
    // but ...) and one 40 m apart, in the next 10 minutes.
    let b = op(
        1,
        1,
        &p,
        &[volume(circle(offset(ll(46.5, 6.6), 90.0, 440.0), 200.0), 30.0, 60.0, 3 * MIN, 10 * MIN)],
        2,
    );
    let m = matches(a.tokens(), b.tokens());
    assert!(!m.is_empty());
    for t in &m {
        let (pa, pb) = (a.decode(t).unwrap(), b.decode(t).unwrap());
        assert_eq!(pa, pb, "both owners decode a shared token to the same place");
        let (s, e) = pa.slot_bounds(&p);
        assert!(s.as_micros() < 4 * MIN + 30_000_000 && e.as_micros() > 3 * MIN - 30_000_000);
        let (lo, hi) = pa.band_bounds(&p);
        assert!(lo <= 40.0 + 7.5 && hi >= 30.0 - 7.5, "{lo}..{hi}");
    }
}
