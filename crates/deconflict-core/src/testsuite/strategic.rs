//! Strategic entities: intents, constraints, subscriptions and availability
//! round-trip; area candidates (also at the poles and across ±180°);
//! rollback; the lookups the engine's purge and quotas use; area writes.

use geom::{Footprint, Time};

use super::*;
use crate::ids::{EntityId, SubscriptionId};
use crate::model::{Availability, AvailabilityRecord, IntentState};
use crate::store::{AreaQuery, Store, StoreError, Tx, TxMode};

/// Writes then reads an intent of every footprint kind, updates and deletes it.
pub fn intent_round_trip(store: &dyn Store) {
    let mut oi = intent(
        "alice",
        vec![
            volume(square(46.0, 7.0, 0.01), (0.0, 120.0), T0, T0 + HOUR),
            volume(circle(46.1, 7.1, 300.0), (10.0, 50.0), T0 + HOUR, T0 + 2 * HOUR),
        ],
    );
    oi.subscription_id = Some(SubscriptionId::random());
    committed(store, |tx| tx.put_intent(&oi).expect("put"));
    let mut tx = store.begin(TxMode::Read).expect("begin");
    assert_eq!(tx.intent(oi.id).expect("get"), Some(oi.clone()));
    assert_eq!(tx.intent(EntityId::random()).expect("get"), None);
    drop(tx);
    oi.version = 2;
    oi.state = IntentState::Activated;
    committed(store, |tx| tx.put_intent(&oi).expect("update"));
    committed(store, |tx| {
        assert_eq!(tx.intent(oi.id).expect("get").map(|o| o.state), Some(IntentState::Activated));
        assert_eq!(tx.counts().expect("counts").intents, 1);
        tx.delete_intent(oi.id).expect("delete");
        tx.delete_intent(oi.id).expect("deleting twice is fine");
    });
    let mut tx = store.begin(TxMode::Read).expect("begin");
    assert_eq!(tx.intent(oi.id).expect("get"), None);
}

/// Writes, reads, deletes a constraint.
pub fn constraint_round_trip(store: &dyn Store) {
    let c = constraint("carol", here((0.0, 500.0)));
    committed(store, |tx| tx.put_constraint(&c).expect("put"));
    read_back_then_deleted(store, &c, |tx| tx.constraint(c.id), |tx| tx.delete_constraint(c.id));
}

/// Writes, reads, updates, deletes a subscription.
pub fn subscription_round_trip(store: &dyn Store) {
    let mut s = subscription("dave", here((0.0, 500.0)));
    s.implicit = true;
    s.notify_for_constraints = true;
    committed(store, |tx| tx.put_subscription(&s).expect("put"));
    s.notification_index = 7;
    s.version = "2".into();
    committed(store, |tx| tx.put_subscription(&s).expect("update"));
    read_back_then_deleted(store, &s, |tx| tx.subscription(s.id), |tx| tx.delete_subscription(s.id));
}

/// Reads `row` back (with `get`) in a write transaction that deletes it, then
/// finds it gone after the commit.
fn read_back_then_deleted<E: PartialEq + std::fmt::Debug>(
    store: &dyn Store,
    row: &E,
    get: impl Fn(&mut dyn Tx) -> Result<Option<E>, StoreError>,
    delete: impl FnOnce(&mut dyn Tx) -> Result<(), StoreError>,
) {
    committed(store, |tx| {
        assert_eq!(get(tx).expect("get").as_ref(), Some(row));
        delete(tx).expect("delete");
    });
    let mut tx = store.begin(TxMode::Read).expect("begin");
    assert_eq!(get(&mut *tx).expect("get"), None);
}

/// Availability records are stored per USS and replaced on write.
pub fn availability_round_trip(store: &dyn Store) {
    let uss = manager("erin");
    let mut tx = store.begin(TxMode::Write).expect("begin");
    assert_eq!(tx.availability(&uss).expect("get"), None);
    let r = AvailabilityRecord { uss: uss.clone(), availability: Availability::Down, version: "a".into() };
    tx.put_availability(&r).expect("put");
    let r2 = AvailabilityRecord { availability: Availability::Normal, version: "b".into(), ..r };
    tx.put_availability(&r2).expect("replace");
    tx.commit().expect("commit");
    let mut tx = store.begin(TxMode::Read).expect("begin");
    assert_eq!(tx.availability(&uss).expect("get"), Some(r2));
}

/// Every entity whose box meets the query area is returned; entities far away
/// in space, altitude or time may be left out.
pub fn area_candidates_are_a_superset(store: &dyn Store) {
    let near = intent("a", here((0.0, 120.0)));
    let far_space = intent("b", vec![volume(square(50.0, 10.0, 0.01), (0.0, 120.0), T0, T0 + HOUR)]);
    let far_alt = intent("c", here((5000.0, 6000.0)));
    let far_time =
        intent("d", vec![volume(square(46.0, 7.0, 0.01), (0.0, 120.0), T0 + 10 * HOUR, T0 + 11 * HOUR)]);
    let c = constraint("e", here((0.0, 120.0)));
    let s = subscription("f", here((0.0, 120.0)));
    let mut tx = store.begin(TxMode::Write).expect("begin");
    for oi in [&near, &far_space, &far_alt, &far_time] {
        tx.put_intent(oi).expect("put");
    }
    tx.put_constraint(&c).expect("put");
    tx.put_subscription(&s).expect("put");
    tx.commit().expect("commit");

    let area = vec![volume(square(46.005, 7.005, 0.01), (100.0, 200.0), T0 + HOUR / 2, T0 + 2 * HOUR)];
    let q = AreaQuery::new(&area);
    let mut tx = store.begin(TxMode::Read).expect("begin");
    let ids: Vec<EntityId> = tx.intents_in(&q).expect("query").into_iter().map(|o| o.id).collect();
    assert!(ids.contains(&near.id), "the intersecting intent must be a candidate");
    assert!(!ids.contains(&far_space.id), "an intent 500 km away must not be a candidate");
    assert!(!ids.contains(&far_alt.id), "an intent 5 km higher must not be a candidate");
    assert!(!ids.contains(&far_time.id), "an intent 9 hours later must not be a candidate");
    let cs: Vec<EntityId> = tx.constraints_in(&q).expect("query").into_iter().map(|c| c.id).collect();
    assert_eq!(cs, vec![c.id]);
    let ss: Vec<SubscriptionId> = tx.subscriptions_in(&q).expect("query").into_iter().map(|s| s.id).collect();
    assert_eq!(ss, vec![s.id]);
}

/// Footprints around a pole and across ±180° are candidates of every area
/// that meets them exactly, from either side of the line or of the pole.
pub fn pole_and_antimeridian_candidates(store: &dyn Store) {
    let v = |f: Footprint| vec![volume(f, (0.0, 120.0), T0, T0 + HOUR)];
    let north = intent("a", v(circle(90.0, 0.0, 300.0)));
    let across = intent("b", v(square(0.05, 180.0, 0.05)));
    let wedge = intent("c", v(polygon(&[(90.0, 0.0), (89.99, 0.0), (89.99, 10.0)])));
    let south = intent("d", v(polygon(&[(-89.9, 0.0), (-89.9, 120.0), (-89.9, -120.0)])));
    let far = intent("e", here((0.0, 120.0)));
    let all = [&north, &across, &wedge, &south, &far];
    let c = constraint("f", v(square(0.05, 180.0, 0.05)));
    let s = subscription("g", v(circle(90.0, 0.0, 300.0)));
    let mut tx = store.begin(TxMode::Write).expect("begin");
    for oi in all {
        tx.put_intent(oi).expect("put");
    }
    tx.put_constraint(&c).expect("put");
    tx.put_subscription(&s).expect("put");
    tx.commit().expect("commit");

    let cases = [
        // Across the pole from both (111 m from it, reaching 89 m past it).
        (circle(89.999, 170.0, 200.0), vec![north.id, wedge.id]),
        // East and west of the antimeridian, inside the straddling square.
        (square(0.05, -179.97, 0.01), vec![across.id]),
        (square(0.05, 179.97, 0.01), vec![across.id]),
        // Touching its eastern edge from outside.
        (polygon(&[(0.0, -179.95), (0.0, -179.9), (0.1, -179.9), (0.1, -179.95)]), vec![across.id]),
        // The South Pole itself, inside the triangle around it.
        (circle(-90.0, 0.0, 10.0), vec![south.id]),
        // Across the antimeridian near the North Pole, inside the circle.
        (polygon(&[(89.998, 179.0), (89.998, -179.0), (89.999, -179.0), (89.999, 179.0)]), vec![north.id]),
    ];
    let mut tx = store.begin(TxMode::Read).expect("begin");
    for (i, (area, want)) in cases.into_iter().enumerate() {
        let area = v(area);
        let exact: Vec<EntityId> = all
            .iter()
            .filter(|oi| crate::model::extents_intersect(&oi.extents, &area))
            .map(|oi| oi.id)
            .collect();
        assert_eq!(exact, want, "case {i}: the fixture's exact intersections");
        let got: Vec<EntityId> =
            tx.intents_in(&AreaQuery::new(&area)).expect("query").into_iter().map(|o| o.id).collect();
        for id in &want {
            assert!(got.contains(id), "case {i}: intersecting intent {id} is not a candidate ({got:?})");
        }
        assert!(!got.contains(&far.id), "case {i}: an intent at 46° N is not a candidate");
        if i == 0 || i == 5 {
            let ss: Vec<SubscriptionId> = tx
                .subscriptions_in(&AreaQuery::new(&area))
                .expect("query")
                .into_iter()
                .map(|s| s.id)
                .collect();
            assert_eq!(ss, vec![s.id], "case {i}");
        }
        if (1..=3).contains(&i) {
            let cs: Vec<EntityId> =
                tx.constraints_in(&AreaQuery::new(&area)).expect("query").into_iter().map(|c| c.id).collect();
            assert_eq!(cs, vec![c.id], "case {i}");
        }
    }
}

/// Dropping a transaction without commit leaves the store as it was.
pub fn uncommitted_writes_are_rolled_back(store: &dyn Store) {
    let kept = intent("a", here((0.0, 120.0)));
    let mut tx = store.begin(TxMode::Write).expect("begin");
    tx.put_intent(&kept).expect("put");
    tx.commit().expect("commit");

    let lost = intent("b", here((0.0, 120.0)));
    let mut changed = kept.clone();
    changed.version = 9;
    let mut tx = store.begin(TxMode::Write).expect("begin");
    tx.put_intent(&lost).expect("put");
    tx.put_intent(&changed).expect("put");
    tx.put_availability(&AvailabilityRecord {
        uss: manager("a"),
        availability: Availability::Down,
        version: "x".into(),
    })
    .expect("put");
    drop(tx);

    let mut tx = store.begin(TxMode::Read).expect("begin");
    assert_eq!(tx.intent(lost.id).expect("get"), None);
    assert_eq!(tx.intent(kept.id).expect("get"), Some(kept));
    assert_eq!(tx.availability(&manager("a")).expect("get"), None);
    let area = here((0.0, 120.0));
    assert_eq!(tx.intents_in(&AreaQuery::new(&area)).expect("query").len(), 1);
}

/// The intents that name a subscription are found by it.
pub fn intents_of_subscription(store: &dyn Store) {
    let s = subscription("a", here((0.0, 120.0)));
    let mut one = intent("a", here((0.0, 120.0)));
    let mut two = intent("a", here((0.0, 120.0)));
    let other = intent("a", here((0.0, 120.0)));
    one.subscription_id = Some(s.id);
    two.subscription_id = Some(s.id);
    let mut tx = store.begin(TxMode::Write).expect("begin");
    tx.put_subscription(&s).expect("put");
    for oi in [&one, &two, &other] {
        tx.put_intent(oi).expect("put");
    }
    tx.commit().expect("commit");
    let mut tx = store.begin(TxMode::Read).expect("begin");
    let mut got = tx.intents_of_subscription(s.id).expect("query");
    got.sort();
    let mut want = vec![one.id, two.id];
    want.sort();
    assert_eq!(got, want);
    assert!(tx.intents_of_subscription(SubscriptionId::random()).expect("query").is_empty());
}

/// `ended_by` lists exactly the entities whose every volume ended by then,
/// soonest first, at most the limit asked.
pub fn ended_by_lists_exactly_what_ended(store: &dyn Store) {
    use crate::store::EntityKind;
    let ended = |h: i64| vec![volume(square(46.0, 7.0, 0.01), (0.0, 120.0), T0, T0 + h * HOUR)];
    let (early, late, live) = (intent("a", ended(1)), intent("b", ended(2)), intent("a", ended(5)));
    let (old_c, live_c) = (constraint("a", ended(1)), constraint("a", ended(5)));
    let (old_s, live_s) = (subscription("a", ended(2)), subscription("a", ended(5)));
    let mut tx = store.begin(TxMode::Write).expect("begin");
    for oi in [&late, &live, &early] {
        tx.put_intent(oi).expect("put");
    }
    tx.put_constraint(&old_c).expect("put");
    tx.put_constraint(&live_c).expect("put");
    tx.put_subscription(&old_s).expect("put");
    tx.put_subscription(&live_s).expect("put");
    tx.commit().expect("commit");
    let mut tx = store.begin(TxMode::Read).expect("begin");
    let at = Time::from_micros(T0 + 2 * HOUR);
    let ids = |v: &[uuid::Uuid]| v.to_vec();
    assert_eq!(
        ids(&tx.ended_by(EntityKind::Intent, at, 10).expect("intents")),
        vec![early.id.as_uuid(), late.id.as_uuid()],
        "soonest ended first; ending exactly at `now` counts"
    );
    assert_eq!(tx.ended_by(EntityKind::Intent, at, 1).expect("intents"), vec![early.id.as_uuid()]);
    assert_eq!(tx.ended_by(EntityKind::Constraint, at, 10).expect("constraints"), vec![old_c.id.as_uuid()]);
    assert_eq!(tx.ended_by(EntityKind::Subscription, at, 10).expect("subs"), vec![old_s.id.as_uuid()]);
    assert!(tx.ended_by(EntityKind::Intent, Time::from_micros(T0), 10).expect("none").is_empty());
}

/// A owner's usage counts its own live intents and constraints and lists
/// its own live explicit subscriptions, nothing of anyone else's.
pub fn usage_is_per_manager_and_live(store: &dyn Store) {
    let ended = vec![volume(square(46.0, 7.0, 0.01), (0.0, 120.0), T0, T0 + HOUR)];
    let live = vec![volume(square(46.0, 7.0, 0.01), (0.0, 120.0), T0, T0 + 3 * HOUR)];
    let mut implicit = subscription("a", live.clone());
    implicit.implicit = true;
    let explicit = subscription("a", live.clone());
    let mut tx = store.begin(TxMode::Write).expect("begin");
    for oi in [
        intent("a", live.clone()),
        intent("a", live.clone()),
        intent("a", ended.clone()),
        intent("b", live.clone()),
    ] {
        tx.put_intent(&oi).expect("put");
    }
    for c in [constraint("a", live.clone()), constraint("a", ended.clone()), constraint("b", live.clone())] {
        tx.put_constraint(&c).expect("put");
    }
    for s in [&implicit, &explicit, &subscription("a", ended), &subscription("b", live)] {
        tx.put_subscription(s).expect("put");
    }
    tx.commit().expect("commit");
    let mut tx = store.begin(TxMode::Read).expect("begin");
    let u = tx.usage(&manager("a"), Time::from_micros(T0 + 2 * HOUR)).expect("usage");
    assert_eq!((u.intents, u.constraints), (2, 1));
    assert_eq!(u.subscriptions, vec![explicit]);
    let nobody = tx.usage(&manager("c"), Time::from_micros(T0)).expect("usage");
    assert_eq!(nobody, crate::store::Usage::default());
}

/// An area write locks its area, writes and reads as a write does, and
/// bumps notification indexes one at a time (`None` for no subscription).
pub fn area_writes_lock_and_bump(store: &dyn Store) {
    let area = here((0.0, 100.0));
    let sub = subscription("a", area.clone());
    let mut tx = store.begin(TxMode::AreaWrite).expect("begin");
    tx.lock_area(&AreaQuery::new(&area)).expect("lock");
    tx.put_subscription(&sub).expect("put");
    assert_eq!(tx.bump_notification_index(sub.id).expect("bump"), Some(1));
    assert_eq!(tx.bump_notification_index(sub.id).expect("bump"), Some(2));
    assert_eq!(tx.bump_notification_index(SubscriptionId::random()).expect("bump missing"), None);
    let found = tx.subscriptions_in(&AreaQuery::new(&area)).expect("search");
    assert_eq!(found.iter().map(|s| (s.id, s.notification_index)).collect::<Vec<_>>(), vec![(sub.id, 2)]);
    tx.commit().expect("commit");
    let mut tx = store.begin(TxMode::Read).expect("begin");
    assert_eq!(tx.subscription(sub.id).expect("get").map(|s| s.notification_index), Some(2));
}
