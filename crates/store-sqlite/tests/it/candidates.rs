//! The R*Tree search returns a superset of the exact box matches, despite
//! 32-bit coordinates and second-granular time.

use std::collections::HashSet;

use deconflict_core::model::extents_bbox;
use deconflict_core::store::AreaQuery;
use deconflict_core::testsuite::{HOUR, T0, circle, intent, square, volume};
use deconflict_core::{EntityId, Store, TxMode};
use geom::{Footprint, Volume4D};
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};

use crate::fresh_store;

fn random_footprint(rng: &mut StdRng) -> Footprint {
    let lat = rng.random_range(45.0..46.0);
    let lng = rng.random_range(6.0..7.5);
    if rng.random_bool(0.5) {
        square(lat, lng, rng.random_range(0.0005..0.05))
    } else {
        circle(lat, lng, rng.random_range(10.0..3000.0))
    }
}

fn random_volume(rng: &mut StdRng) -> Volume4D {
    let alt0 = rng.random_range(-100.0..1000.0);
    // Times with sub-second offsets, so rounding to seconds matters.
    let t0 = T0 + rng.random_range(0..24 * HOUR);
    volume(
        random_footprint(rng),
        (alt0, alt0 + rng.random_range(0.0..300.0)),
        t0,
        t0 + rng.random_range(0..2 * HOUR),
    )
}

#[test]
fn candidates_are_a_superset_of_box_matches() {
    let store = fresh_store();
    let mut rng = StdRng::seed_from_u64(0x5eed);
    let intents: Vec<_> = (0..600)
        .map(|i| {
            let n = 1 + (i % 3);
            intent("a", (0..n).map(|_| random_volume(&mut rng)).collect())
        })
        .collect();
    let mut tx = store.begin(TxMode::Write).expect("begin");
    for oi in &intents {
        tx.put_intent(oi).expect("put");
    }
    tx.commit().expect("commit");

    let mut tx = store.begin(TxMode::Read).expect("begin");
    let mut total_expected = 0;
    let mut total_got = 0;
    for _ in 0..300 {
        let area: Vec<Volume4D> = (0..rng.random_range(1..=2)).map(|_| random_volume(&mut rng)).collect();
        let q = AreaQuery::new(&area);
        let got: HashSet<EntityId> = tx.intents_in(&q).expect("query").into_iter().map(|o| o.id).collect();
        let want: Vec<EntityId> = intents
            .iter()
            .filter(|oi| extents_bbox(&oi.extents).intersects(q.bbox()))
            .map(|oi| oi.id)
            .collect();
        for id in &want {
            assert!(got.contains(id), "intent {id} meets the query box but was not a candidate");
        }
        total_expected += want.len();
        total_got += got.len();
    }
    assert!(total_expected > 100, "the test must exercise real matches ({total_expected})");
    // Rounding may add a few, not many.
    assert!(
        total_got <= total_expected + total_expected / 5,
        "{total_got} candidates for {total_expected} matches"
    );
}

#[test]
fn touching_boxes_are_candidates() {
    let store = fresh_store();
    // Ends exactly where the query starts, 1 µs past a whole second, in time;
    // tops out exactly where the query begins in altitude; shares an edge in
    // longitude.
    let t_edge = T0 + HOUR + 1;
    let oi = intent("a", vec![volume(square(46.0, 7.0, 0.01), (0.0, 120.25), T0 + 1, t_edge)]);
    let mut tx = store.begin(TxMode::Write).expect("begin");
    tx.put_intent(&oi).expect("put");
    tx.commit().expect("commit");
    let b = oi.bbox();
    let mut tx = store.begin(TxMode::Read).expect("begin");
    for area in [
        vec![volume(square(46.0, 7.0, 0.01), (0.0, 120.0), t_edge, t_edge + HOUR)],
        vec![volume(square(46.0, 7.0, 0.01), (120.25, 500.0), T0, T0 + 2)],
        vec![volume(square(46.0, b.max[0] + 0.01, 0.01), (0.0, 120.0), T0, T0 + HOUR)],
    ] {
        let q = AreaQuery::new(&area);
        assert!(b.intersects(q.bbox()), "the fixture must touch");
        let got = tx.intents_in(&q).expect("query");
        assert_eq!(got.len(), 1, "touching box not found: {:?}", q.bbox());
    }
}

#[test]
fn searches_use_the_rtree_and_the_subscription_index() {
    let store = fresh_store();
    let p = store.query_plan(
        "SELECT t.id FROM operational_intents_rtree r JOIN operational_intents t ON t.pk = r.id \
         WHERE r.max_lng >= 1 AND r.min_lng <= 2 AND r.max_lat >= 1 AND r.min_lat <= 2 \
         AND r.max_alt_km >= 1 AND r.min_alt_km <= 2 AND r.max_t_h >= 1 AND r.min_t_h <= 2",
    );
    assert!(p.contains("VIRTUAL TABLE INDEX") && p.contains("INTEGER PRIMARY KEY"), "{p}");
    let p = store.query_plan("SELECT id FROM operational_intents WHERE subscription_id = 'x'");
    assert!(p.contains("operational_intents_subscription"), "{p}");
    eprintln!("{p}");
}
