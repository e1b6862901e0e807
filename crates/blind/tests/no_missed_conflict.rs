//! Property tests: two volumes within the line's separation (exact `geom`
//! geometry) always share a token, on random volumes and on adversarial ones
//! whose closest points sit on cell vertices, slot edges and band edges,
//! near the poles and across ±180°.
#![allow(clippy::unwrap_used)]

mod common;

use blind::*;
use common::*;
use geom::{Footprint, LatLng, Volume4D};
use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;

fn policy(res: u8, slot_s: i64, band: f64, bh: f64, bv: f64, bt_us: i64) -> LinePolicy {
    LinePolicy::new(PolicyParams {
        cell_resolution: res,
        slot_micros: slot_s * 1_000_000,
        band_m: band,
        buffer_h_m: bh,
        buffer_v_m: bv,
        buffer_t_micros: bt_us,
        max_area_m2: 100e6,
        max_tokens: 1 << 20,
        min_tokens: 16,
    })
    .unwrap()
}

fn policies() -> impl Strategy<Value = LinePolicy> {
    (
        8_u8..=10,
        prop_oneof![Just(60_i64), Just(300), Just(7)],
        prop_oneof![Just(10.0), Just(30.0), Just(7.5)],
        prop_oneof![Just(0.0), 0.0..300.0],
        prop_oneof![Just(0.0), 0.0..40.0],
        prop_oneof![Just(0_i64), Just(1), 0..180_000_000_i64],
    )
        .prop_map(|(r, s, b, bh, bv, bt)| policy(r, s, b, bh, bv, bt))
}

/// Where the two volumes' closest points meet.
fn anchors() -> impl Strategy<Value = LatLng> {
    let ll = |lat: f64, lng: f64| LatLng::new(lat, lng).unwrap();
    prop_oneof![
        // anywhere
        (-88.0..88.0, -180.0..180.0_f64).prop_map(move |(a, b)| ll(a, b)),
        // near either pole, and on it
        (89.97..=90.0, -180.0..180.0_f64).prop_map(move |(a, b)| ll(a, b)),
        (-90.0..=-89.97, -180.0..180.0_f64).prop_map(move |(a, b)| ll(a, b)),
        // on the antimeridian, and either side of it
        (-70.0..70.0, prop_oneof![Just(180.0), Just(-180.0), 179.999..180.0, -180.0..-179.999])
            .prop_map(move |(a, b)| ll(a, b)),
        // on a vertex of a cell (at resolutions 8-10, where cell edges meet)
        (-80.0..80.0, -180.0..180.0_f64, 8_u8..=10, 0_usize..6).prop_map(move |(a, b, r, i)| {
            let cell = h3o::LatLng::new(a, b).unwrap().to_cell(h3o::Resolution::try_from(r).unwrap());
            let boundary = cell.boundary();
            let v = boundary[i % boundary.len()];
            ll(v.lat(), v.lng())
        }),
    ]
}

/// A gap given as a fraction of the buffer: 0, exactly the buffer, just
/// over it, or anything up to twice.
fn gap_fraction() -> impl Strategy<Value = f64> {
    prop_oneof![Just(0.0), Just(1.0), Just(1.000_01), 0.0..2.0]
}

/// A footprint whose point nearest to the anchor direction is `d` metres
/// from the anchor, on `bearing`: a circle, or a star polygon with a vertex
/// there.
fn footprint_at(
    anchor: LatLng,
    bearing: f64,
    d: f64,
    size: f64,
    shape: (bool, Vec<f64>, f64),
) -> Option<Footprint> {
    let (is_circle, radii, jitter) = shape;
    let centre = offset(anchor, bearing, d + size);
    if is_circle {
        return Some(circle(centre, size));
    }
    // Vertex 0 points back at the anchor (bearing from the centre).
    let back = bearing + 180.0;
    let mut rs = vec![size];
    rs.extend(radii.iter().map(|f| f * size));
    let n = rs.len();
    let step = 360.0 / n as f64;
    // Vertex 0 exactly `d` from the anchor (not through the centre: the
    // back azimuth is not the forward one plus 180°).
    let pts: Vec<LatLng> = rs
        .iter()
        .enumerate()
        .map(|(i, &r)| {
            if i == 0 {
                offset(anchor, bearing, d)
            } else {
                offset(centre, back + i as f64 * step + jitter * step * 0.3, r)
            }
        })
        .collect();
    geom::Polygon::new(pts).ok().map(Footprint::Polygon)
}

fn shapes() -> impl Strategy<Value = (bool, Vec<f64>, f64)> {
    (any::<bool>(), prop::collection::vec(0.3..1.0_f64, 2..6), -1.0..1.0_f64)
}

fn tokens(policy: &LinePolicy, v: &Volume4D, seed: u64) -> BlindOperation {
    BlindOperation::new(
        &LineKey::new([3; 32]),
        Epoch(5),
        policy,
        std::slice::from_ref(v),
        &mut StdRng::seed_from_u64(seed),
    )
    .unwrap()
}

fn check(policy: &LinePolicy, a: &Volume4D, b: &Volume4D) -> Result<bool, TestCaseError> {
    let conflict = within_separation(a, b, policy);
    prop_assert_eq!(conflict, within_separation(b, a, policy), "symmetric");
    let (ta, tb) = (tokens(policy, a, 1), tokens(policy, b, 2));
    let m = matches(ta.tokens(), tb.tokens());
    if conflict {
        prop_assert!(!m.is_empty(), "missed conflict:\n{:?}\n{:?}\n{:?}", policy, a, b);
        for t in &m {
            prop_assert_eq!(ta.decode(t), tb.decode(t));
        }
    }
    Ok(conflict)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    /// Closest points placed at chosen gaps around an anchor on every axis.
    #[test]
    fn adversarial_pairs_never_miss(
        policy in policies(),
        anchor in anchors(),
        bearing in 0.0..360.0_f64,
        (fh, fv, ft) in (gap_fraction(), gap_fraction(), gap_fraction()),
        (sa, sb) in (1.0..400.0_f64, 1.0..400.0_f64),
        (shape_a, shape_b) in (shapes(), shapes()),
        (slot_k, band_k) in (-3_i64..3, -2_i64..20),
        (dur_a, dur_b) in (0_i64..900_000_000, 0_i64..900_000_000),
        (ha, hb) in (0.0..60.0_f64, 0.0..60.0_f64),
        split in 0.0..1.0_f64,
    ) {
        let p = policy.params();
        // Horizontal: the gap split about the anchor.
        let gh = fh * p.buffer_h_m;
        let fa = footprint_at(anchor, bearing, gh * split, sa, shape_a);
        let fb = footprint_at(anchor, bearing + 180.0, gh * (1.0 - split), sb, shape_b);
        let (Some(fa), Some(fb)) = (fa, fb) else { return Err(TestCaseError::reject("polygon refused")) };
        // Vertical: about a band edge.
        let z = band_k as f64 * p.band_m;
        let gv = fv * p.buffer_v_m;
        let (a_hi, b_lo) = (z - gv * split, z + gv * (1.0 - split));
        // Time: a's last instant and b's first about a slot edge (b from
        // 1.7e15 µs, around 2023).
        let edge = 1_700_000_000_000_000 / p.slot_micros * p.slot_micros + slot_k * p.slot_micros;
        #[allow(clippy::cast_possible_truncation)]
        let gt = (ft * p.buffer_t_micros as f64).round() as i64;
        #[allow(clippy::cast_possible_truncation)]
        let a_last = edge - (gt as f64 * split) as i64;
        let b_start = a_last + gt;
        let a = volume(fa, (a_hi - ha).max(-8000.0), a_hi, a_last - dur_a, a_last + 1);
        let b = volume(fb, b_lo, b_lo + hb, b_start, b_start + dur_b);
        let conflict = check(&policy, &a, &b)?;
        if fh == 0.0 && fv == 0.0 && ft == 0.0 {
            prop_assert!(conflict, "touching on every axis is a conflict");
        }
    }

    /// Volumes anywhere near each other.
    #[test]
    fn random_pairs_never_miss(
        policy in policies(),
        anchor in anchors(),
        (ba, bb) in (0.0..360.0_f64, 0.0..360.0_f64),
        (da, db) in (0.0..600.0_f64, 0.0..600.0_f64),
        (sa, sb) in (1.0..400.0_f64, 1.0..400.0_f64),
        (shape_a, shape_b) in (shapes(), shapes()),
        (za, zb, ha, hb) in (0.0..200.0_f64, 0.0..200.0_f64, 0.0..60.0_f64, 0.0..60.0_f64),
        (t0a, t0b, la, lb) in (0_i64..1_800_000_000, 0_i64..1_800_000_000, 0_i64..900_000_000, 0_i64..900_000_000),
    ) {
        let fa = footprint_at(anchor, ba, da, sa, shape_a);
        let fb = footprint_at(anchor, bb, db, sb, shape_b);
        let (Some(fa), Some(fb)) = (fa, fb) else { return Err(TestCaseError::reject("polygon refused")) };
        let a = volume(fa, za, za + ha, t0a, t0a + la);
        let b = volume(fb, zb, zb + hb, t0b, t0b + lb);
        check(&policy, &a, &b)?;
    }
}

#[test]
fn zero_buffers_match_exactly_when_geom_says_they_intersect() {
    let p = policy(9, 60, 10.0, 0.0, 0.0, 0);
    let ll = |lat, lng| LatLng::new(lat, lng).unwrap();
    // Back to back in time, touching in altitude, 1 cm apart horizontally.
    let a = volume(circle(ll(10.0, 179.9995), 30.0), 0.0, 10.0, 0, 60_000_000);
    let b = volume(circle(offset(ll(10.0, 179.9995), 90.0, 60.01), 30.0), 10.0, 20.0, 0, 60_000_000);
    assert!(!a.intersects(&b) && !within_separation(&a, &b, &p));
    let c =
        volume(circle(offset(ll(10.0, 179.9995), 90.0, 59.9), 30.0), 10.0, 20.0, 60_000_000 - 1, 70_000_000);
    assert!(a.intersects(&c) && within_separation(&a, &c, &p));
    assert!(!matches(tokens(&p, &a, 1).tokens(), tokens(&p, &c, 2).tokens()).is_empty());
    // With a time buffer of 1 µs the back-to-back pair conflicts.
    let back_to_back = volume(circle(ll(10.0, 179.9995), 30.0), 0.0, 10.0, 60_000_000, 70_000_000);
    assert!(!within_separation(&a, &back_to_back, &p));
    let p1 = policy(9, 60, 10.0, 0.0, 0.0, 1);
    assert!(within_separation(&a, &back_to_back, &p1));
    assert!(!matches(tokens(&p1, &a, 1).tokens(), tokens(&p1, &back_to_back, 2).tokens()).is_empty());
}
