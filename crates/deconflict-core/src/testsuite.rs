//! The store conformance suite: one set of checks every [`Store`] backend must
//! pass, so memory, SQLite and PostgreSQL cannot drift apart. A backend's tests
//! call [`store_conformance!`](crate::store_conformance) with an expression that
//! makes a fresh, empty store; each check becomes its own `#[test]`.
//!
//! Also home to the small fixture builders the checks (and backends' own tests)
//! use. Checks panic with a message on failure, like any test.

#![allow(clippy::missing_panics_doc)]

use geom::{AltitudeRange, Circle, Footprint, LatLng, Polygon, Time, TimeWindow, Volume4D};

use crate::events::NewEvent;
use crate::ids::{EntityId, Ovn, PartyName, SubscriptionId, UssBaseUrl};
use crate::model::{
    Availability, AvailabilityRecord, Constraint, IntentState, OperationalIntent, Subscription,
};
use crate::records::{Record, RecordKey};
use crate::store::{AreaQuery, Store, StoreError, Tx, TxMode};

/// 2030-01-01T00:00:00Z, a fixed "now" for fixtures.
pub const T0: i64 = 1_893_456_000_000_000;
/// One hour in µs.
pub const HOUR: i64 = 3_600_000_000;

/// A square footprint of `half` degrees around (`lat`, `lng`); longitudes
/// past ±180° wrap round (a square about 180° straddles the antimeridian).
pub fn square(lat: f64, lng: f64, half: f64) -> Footprint {
    polygon(&[
        (lat - half, lng - half),
        (lat - half, lng + half),
        (lat + half, lng + half),
        (lat + half, lng - half),
    ])
}

/// A polygon footprint through these (lat, lng) vertices; longitudes past
/// ±180° wrap round.
pub fn polygon(vertices: &[(f64, f64)]) -> Footprint {
    let wrap = |lng: f64| {
        if lng > 180.0 {
            lng - 360.0
        } else if lng < -180.0 {
            lng + 360.0
        } else {
            lng
        }
    };
    let p = |&(a, b): &(f64, f64)| LatLng::new(a, wrap(b)).expect("fixture coordinates are valid");
    Footprint::Polygon(Polygon::new(vertices.iter().map(p).collect()).expect("fixture polygon is valid"))
}

/// A circle footprint.
pub fn circle(lat: f64, lng: f64, radius_m: f64) -> Footprint {
    let c = LatLng::new(lat, lng).expect("fixture coordinates are valid");
    Footprint::Circle(Circle::new(c, radius_m).expect("fixture radius is valid"))
}

/// A volume over `footprint`, `alt` metres, from `t0` to `t1` µs.
pub fn volume(footprint: Footprint, alt: (f64, f64), t0: i64, t1: i64) -> Volume4D {
    Volume4D::new(
        footprint,
        AltitudeRange::new(alt.0, alt.1).expect("fixture altitudes are valid"),
        TimeWindow::new(Time::from_micros(t0), Time::from_micros(t1)).expect("fixture times are valid"),
    )
}

/// A party by name.
pub fn manager(name: &str) -> PartyName {
    PartyName::new(name).expect("fixture manager is valid")
}

/// A base URL by host.
pub fn url(host: &str) -> UssBaseUrl {
    UssBaseUrl::parse(&format!("https://{host}"), false).expect("fixture url is valid")
}

fn ovn(n: u32) -> Ovn {
    Ovn::parse(&format!("fixture-ovn-{n:08}")).expect("fixture ovn is valid")
}

/// The parameters of an Accepted intent of `who` over `extents`, with an
/// implicit subscription and an empty key.
pub fn put_params(who: &str, extents: Vec<Volume4D>) -> crate::engine::PutIntent {
    crate::engine::PutIntent {
        extents,
        key: Vec::new(),
        state: IntentState::Accepted,
        uss_base_url: url(&format!("{who}.example")),
        subscription: crate::engine::SubscriptionChoice::New {
            uss_base_url: url(&format!("{who}.example")),
            notify_for_constraints: false,
        },
        requested_ovn_suffix: None,
    }
}

/// An Accepted intent of `who` over `extents`, with no subscription.
pub fn intent(who: &str, extents: Vec<Volume4D>) -> OperationalIntent {
    let id = EntityId::random();
    OperationalIntent {
        id,
        party: manager(who),
        version: 1,
        state: IntentState::Accepted,
        ovn: ovn(rand::random::<u32>()),
        extents,
        uss_base_url: url(&format!("{who}.example")),
        subscription_id: None,
        created_at: Time::from_micros(T0),
        updated_at: Time::from_micros(T0),
    }
}

/// A constraint of `who` over `extents`.
pub fn constraint(who: &str, extents: Vec<Volume4D>) -> Constraint {
    Constraint {
        id: EntityId::random(),
        party: manager(who),
        version: 1,
        ovn: ovn(rand::random::<u32>()),
        extents,
        uss_base_url: url(&format!("{who}.example")),
        created_at: Time::from_micros(T0),
        updated_at: Time::from_micros(T0),
    }
}

/// An explicit subscription of `who` over `extents`.
pub fn subscription(who: &str, extents: Vec<Volume4D>) -> Subscription {
    Subscription {
        id: SubscriptionId::random(),
        party: manager(who),
        version: "1".into(),
        notification_index: 0,
        extents,
        uss_base_url: url(&format!("{who}.example")),
        notify_for_intents: true,
        notify_for_constraints: false,
        implicit: false,
        updated_at: Time::from_micros(T0),
    }
}

fn here(alt: (f64, f64)) -> Vec<Volume4D> {
    vec![volume(square(46.0, 7.0, 0.01), alt, T0, T0 + HOUR)]
}

/// An event of kind `test.event` by alice, `n` µs after [`T0`].
pub fn new_event(n: i64, subject: Option<&str>, parties: &[&str], payload: &str) -> NewEvent {
    NewEvent {
        at: Time::from_micros(T0 + n),
        kind: "test.event".into(),
        actor: "alice".into(),
        subject: subject.map(str::to_owned),
        parties: parties.iter().map(|p| (*p).to_owned()).collect(),
        payload: payload.to_owned(),
    }
}

/// A record of `kind` with `id` (and a body naming it), keys `k1` and `k2`,
/// due `due` µs after [`T0`].
pub fn record(kind: &str, id: &str, k1: Option<&str>, k2: Option<&str>, due: Option<i64>) -> Record {
    Record {
        kind: kind.into(),
        id: id.into(),
        body: format!("{{\"id\":\"{id}\",\"note\":\"ünïcode \\\"q\\\"\"}}"),
        k1: k1.map(str::to_owned),
        k2: k2.map(str::to_owned),
        due: due.map(|d| Time::from_micros(T0 + d)),
    }
}

/// Runs `f` in a write transaction and commits, starting over while the store
/// answers [`StoreError::Retry`]. Returns the result and how many attempts it took.
pub fn with_retry<T>(store: &dyn Store, mut f: impl FnMut(&mut dyn Tx) -> Result<T, StoreError>) -> (T, u32) {
    for attempt in 1..=1000 {
        let mut tx = match store.begin(TxMode::Write) {
            Ok(tx) => tx,
            Err(StoreError::Retry) => continue,
            Err(e) => panic!("begin: {e}"),
        };
        let out = match f(&mut *tx) {
            Ok(out) => out,
            Err(StoreError::Retry) => continue,
            Err(e) => panic!("write: {e}"),
        };
        match tx.commit() {
            Ok(()) => return (out, attempt),
            Err(StoreError::Retry) => continue,
            Err(e) => panic!("commit: {e}"),
        }
    }
    panic!("still told to retry after 1000 attempts");
}

/// What an audit entry of `event` holds, as the sealer writes it.
fn entry_of(event: NewEvent) -> audit::NewEntry {
    let NewEvent { at, kind, actor, subject, parties, payload } = event;
    audit::NewEntry { timestamp: at.as_micros(), actor, kind, subject, parties, payload }
}

/// Seals up to `limit` pending events in one transaction, as the sealer does
/// (without lease or checkpoint), and returns the entries exactly as they
/// were handed to the store.
pub fn seal_pending(store: &dyn Store, limit: usize) -> Vec<audit::Entry> {
    let mut tx = store.begin(TxMode::Write).expect("begin");
    let mut chain = match tx.last_sealed().expect("last") {
        Some(last) => audit::Chain::resume_after(&last),
        None => audit::Chain::genesis(),
    };
    let mut out = Vec::new();
    for p in tx.unsealed_events(limit).expect("pending") {
        let entry = chain.prepare(entry_of(p.event)).expect("prepare");
        tx.seal_event(p.id, &entry).expect("seal");
        chain.commit(&entry).expect("commit to chain");
        out.push(entry);
    }
    tx.commit().expect("commit");
    out
}

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
    let mut tx = store.begin(TxMode::Write).expect("begin");
    tx.put_intent(&oi).expect("put");
    tx.commit().expect("commit");
    let mut tx = store.begin(TxMode::Read).expect("begin");
    assert_eq!(tx.intent(oi.id).expect("get"), Some(oi.clone()));
    assert_eq!(tx.intent(EntityId::random()).expect("get"), None);
    drop(tx);
    oi.version = 2;
    oi.state = IntentState::Activated;
    let mut tx = store.begin(TxMode::Write).expect("begin");
    tx.put_intent(&oi).expect("update");
    tx.commit().expect("commit");
    let mut tx = store.begin(TxMode::Write).expect("begin");
    assert_eq!(tx.intent(oi.id).expect("get").map(|o| o.state), Some(IntentState::Activated));
    assert_eq!(tx.counts().expect("counts").intents, 1);
    tx.delete_intent(oi.id).expect("delete");
    tx.delete_intent(oi.id).expect("deleting twice is fine");
    tx.commit().expect("commit");
    let mut tx = store.begin(TxMode::Read).expect("begin");
    assert_eq!(tx.intent(oi.id).expect("get"), None);
}

/// Writes, reads, deletes a constraint.
pub fn constraint_round_trip(store: &dyn Store) {
    let c = constraint("carol", here((0.0, 500.0)));
    let mut tx = store.begin(TxMode::Write).expect("begin");
    tx.put_constraint(&c).expect("put");
    tx.commit().expect("commit");
    let mut tx = store.begin(TxMode::Write).expect("begin");
    assert_eq!(tx.constraint(c.id).expect("get"), Some(c.clone()));
    tx.delete_constraint(c.id).expect("delete");
    tx.commit().expect("commit");
    let mut tx = store.begin(TxMode::Read).expect("begin");
    assert_eq!(tx.constraint(c.id).expect("get"), None);
}

/// Writes, reads, updates, deletes a subscription.
pub fn subscription_round_trip(store: &dyn Store) {
    let mut s = subscription("dave", here((0.0, 500.0)));
    s.implicit = true;
    s.notify_for_constraints = true;
    let mut tx = store.begin(TxMode::Write).expect("begin");
    tx.put_subscription(&s).expect("put");
    tx.commit().expect("commit");
    s.notification_index = 7;
    s.version = "2".into();
    let mut tx = store.begin(TxMode::Write).expect("begin");
    tx.put_subscription(&s).expect("update");
    tx.commit().expect("commit");
    let mut tx = store.begin(TxMode::Write).expect("begin");
    assert_eq!(tx.subscription(s.id).expect("get"), Some(s.clone()));
    tx.delete_subscription(s.id).expect("delete");
    tx.commit().expect("commit");
    let mut tx = store.begin(TxMode::Read).expect("begin");
    assert_eq!(tx.subscription(s.id).expect("get"), None);
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

fn event(n: u32, parties: &[&str]) -> NewEvent {
    let payload = format!("{{\"n\":{n},\"text\":\"héllo \\\"quoted\\\"\"}}");
    new_event(i64::from(n), Some(&format!("subject-{n}")), parties, &payload)
}

/// Appended events are pending in append order, survive only when committed,
/// and once sealed come back as identical audit entries in sequence order.
pub fn events_are_sealed_in_order(store: &dyn Store) {
    let mut tx = store.begin(TxMode::Write).expect("begin");
    tx.append_event(&event(1, &["alice", "bob"])).expect("append");
    tx.append_event(&event(2, &["alice"])).expect("append");
    tx.commit().expect("commit");
    let mut tx = store.begin(TxMode::Write).expect("begin");
    tx.append_event(&event(99, &["alice"])).expect("append");
    drop(tx);
    let mut tx = store.begin(TxMode::Write).expect("begin");
    tx.append_event(&event(3, &[])).expect("append");
    tx.commit().expect("commit");

    let mut tx = store.begin(TxMode::Read).expect("begin");
    let pending = tx.unsealed_events(10).expect("pending");
    assert_eq!(
        pending.iter().map(|p| p.event.clone()).collect::<Vec<_>>(),
        vec![event(1, &["alice", "bob"]), event(2, &["alice"]), event(3, &[])]
    );
    assert!(pending.windows(2).all(|w| w[0].id < w[1].id));
    assert_eq!(tx.unsealed_events(2).expect("pending").len(), 2);
    assert!(tx.last_sealed().expect("last").is_none());
    drop(tx);

    let key = audit::ServiceKey::generate().expect("key");
    let r = crate::ledger::seal_once(store, &key, "replica-a", Time::from_micros(T0), 2).expect("seal");
    assert_eq!((r.leader, r.sealed, r.head), (true, 2, 2));
    let r = crate::ledger::seal_once(store, &key, "replica-a", Time::from_micros(T0), 10).expect("seal");
    assert_eq!((r.sealed, r.head), (1, 3));
    let mut tx = store.begin(TxMode::Read).expect("begin");
    assert!(tx.unsealed_events(10).expect("pending").is_empty());
    let entries = tx.sealed_after(0, 100).expect("sealed");
    assert_eq!(entries.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![1, 2, 3]);
    assert_eq!(entries[0].payload, event(1, &[]).payload);
    assert_eq!(entries[0].parties, vec!["alice".to_owned(), "bob".to_owned()]);
    assert_eq!(tx.sealed_after(2, 100).expect("sealed").len(), 1);
    assert_eq!(tx.last_sealed().expect("last").map(|e| e.seq), Some(3));
    let checkpoints = tx.checkpoints_after(0).expect("checkpoints");
    assert_eq!(checkpoints.iter().map(|c| c.seq).collect::<Vec<_>>(), vec![2, 3]);
    let report = audit::verify(&entries, &checkpoints, &[key.public_key()]).expect("the stored log verifies");
    assert_eq!(report.entries_checked, 3);
}

/// A lease belongs to one holder until it expires.
pub fn leases_are_exclusive_until_they_expire(store: &dyn Store) {
    let t = |s: i64| Time::from_micros(T0 + s * 1_000_000);
    let mut tx = store.begin(TxMode::Write).expect("begin");
    assert!(tx.acquire_lease(crate::ledger::SEALER_LEASE, "a", t(0), 10_000_000).expect("lease"));
    assert!(!tx.acquire_lease(crate::ledger::SEALER_LEASE, "b", t(5), 10_000_000).expect("lease"));
    assert!(tx.acquire_lease("other", "b", t(5), 10_000_000).expect("lease"));
    assert!(tx.acquire_lease(crate::ledger::SEALER_LEASE, "a", t(8), 10_000_000).expect("renew"));
    tx.commit().expect("commit");
    let mut tx = store.begin(TxMode::Write).expect("begin");
    assert!(!tx.acquire_lease(crate::ledger::SEALER_LEASE, "b", t(17), 10_000_000).expect("lease"));
    assert!(
        tx.acquire_lease(crate::ledger::SEALER_LEASE, "b", t(18), 10_000_000)
            .expect("expired lease is taken")
    );
    tx.commit().expect("commit");
    let key = audit::ServiceKey::generate().expect("key");
    let r = crate::ledger::seal_once(store, &key, "a", t(19), 10).expect("seal");
    assert!(!r.leader, "a may not seal while b holds the lease");
}

/// Records round-trip, are listed by key in id order and by due time, and
/// are rolled back with their transaction.
pub fn records_round_trip_and_lookups(store: &dyn Store) {
    let mut tx = store.begin(TxMode::Write).expect("begin");
    let m1 = record("message", "0001", Some("line-a"), Some("bob"), Some(30));
    let m2 = record("message", "0002", Some("line-a"), Some("carol"), Some(10));
    let m3 = record("message", "0003", Some("line-b"), Some("bob"), None);
    let l1 = record("line", "line-a", None, None, Some(5));
    for r in [&m3, &m1, &m2, &l1] {
        tx.put_record(r).expect("put");
    }
    tx.commit().expect("commit");
    let mut tx = store.begin(TxMode::Write).expect("begin");
    assert_eq!(tx.record("message", "0002").expect("get"), Some(m2.clone()));
    assert_eq!(tx.record("line", "0002").expect("get"), None, "ids are per kind");
    let all = tx.records_by("message", RecordKey::All, 10).expect("all");
    assert_eq!(all, vec![m1.clone(), m2.clone(), m3.clone()]);
    assert_eq!(
        tx.records_by("message", RecordKey::K1("line-a"), 10).expect("k1"),
        vec![m1.clone(), m2.clone()]
    );
    assert_eq!(tx.records_by("message", RecordKey::K2("bob"), 10).expect("k2"), vec![m1.clone(), m3.clone()]);
    assert_eq!(tx.records_by("message", RecordKey::K2("bob"), 1).expect("limit"), vec![m1.clone()]);
    let due = tx.records_due("message", Time::from_micros(T0 + 30), 10).expect("due");
    assert_eq!(due, vec![m2.clone(), m1.clone()], "by due time, only those due");
    assert_eq!(tx.records_due("message", Time::from_micros(T0 + 20), 10).expect("due"), vec![m2.clone()]);
    let mut m1b = m1.clone();
    m1b.due = None;
    m1b.body = "{}".into();
    tx.put_record(&m1b).expect("replace");
    tx.delete_record("message", "0003").expect("delete");
    tx.delete_record("message", "nope").expect("deleting a missing record is fine");
    tx.commit().expect("commit");
    let mut tx = store.begin(TxMode::Write).expect("begin");
    assert_eq!(tx.record("message", "0001").expect("get"), Some(m1b));
    assert_eq!(tx.record("message", "0003").expect("get"), None);
    tx.put_record(&record("message", "0009", None, None, None)).expect("put");
    drop(tx);
    let mut tx = store.begin(TxMode::Read).expect("begin");
    assert_eq!(tx.record("message", "0009").expect("get"), None, "rolled back");
    assert_eq!(tx.records_by("message", RecordKey::All, 10).expect("all").len(), 2);
}

/// Payloads a JSON round trip (or jsonb) would change, and text a careless
/// encoding would: every byte must come back.
const TRICKY_PAYLOADS: &[&str] = &[
    r#"{"b":1, "a":2}"#,
    r#"{"a":1,"a":2}"#,
    r#"{ "n" : 1.000000000000000000001, "big": 123456789012345678901234567890, "e": 1E3 }"#,
    r#"{"s":"h\u00e9llo héllo 日本語 🛩️ \"quoted\" back\\slash \/ \t \u0000 end"}"#,
    "  [ ]\n",
    "not JSON at all: ' \" \\ \u{7f} \u{fffd}",
    "",
];

/// Events and the audit entries sealed from them come back byte for byte:
/// tricky and large payloads, unsorted, duplicated and unicode parties (in
/// their order while pending, canonical once sealed), with and without subject.
pub fn entries_come_back_exactly_as_sealed(store: &dyn Store) {
    let big = format!("{{\"pad\":\"{}\"}}", "x€".repeat(50_000));
    let mut appended = Vec::new();
    let mut tx = store.begin(TxMode::Write).expect("begin");
    for (i, payload) in TRICKY_PAYLOADS.iter().copied().chain([big.as_str()]).enumerate() {
        let i = i64::try_from(i).expect("few payloads");
        let e = match i % 3 {
            0 => new_event(i, Some("sübject \"1\""), &["zoë", "bob", "alice", "bob"], payload),
            1 => new_event(i, None, &[], payload),
            _ => new_event(i, Some(""), &["ß", "a b", "A"], payload),
        };
        tx.append_event(&e).expect("append");
        appended.push(e);
    }
    tx.commit().expect("commit");

    let mut tx = store.begin(TxMode::Read).expect("begin");
    let pending: Vec<NewEvent> =
        tx.unsealed_events(100).expect("pending").into_iter().map(|p| p.event).collect();
    assert_eq!(pending, appended, "pending events come back as appended, parties in their order");
    drop(tx);

    let sealed = seal_pending(store, usize::MAX);
    assert_eq!(sealed.len(), appended.len());
    assert_eq!(sealed[0].parties, vec!["alice", "bob", "zoë"], "the entry's parties are canonical");
    let mut tx = store.begin(TxMode::Read).expect("begin");
    assert_eq!(tx.sealed_after(0, 100).expect("sealed"), sealed, "byte-for-byte equal entries");
    assert_eq!(tx.sealed_after(3, 2).expect("sealed"), sealed[3..5].to_vec());
    assert_eq!(tx.sealed_after(u64::MAX, 10).expect("sealed"), vec![]);
    assert_eq!(tx.sealed_after(0, 0).expect("sealed"), vec![]);
    assert_eq!(tx.last_sealed().expect("last").as_ref(), sealed.last());
    assert!(tx.unsealed_events(100).expect("pending").is_empty());
    let report = audit::verify(&sealed, &[], &[]).expect("the chain verifies");
    assert_eq!(report.entries_checked, sealed.len());
}

/// Checkpoints come back as stored, in sequence order, each with its key id.
pub fn checkpoints_round_trip(store: &dyn Store) {
    let key = audit::ServiceKey::generate().expect("key");
    let other = audit::ServiceKey::generate().expect("key");
    let c1 = key.sign_checkpoint(1, [1; 32], T0);
    let c5 = other.sign_checkpoint(5, [5; 32], T0 + 5);
    let c9 = key.sign_checkpoint(9, [9; 32], T0 + 9);
    let mut tx = store.begin(TxMode::Write).expect("begin");
    for c in [&c9, &c1, &c5] {
        tx.put_checkpoint(c).expect("put");
    }
    tx.commit().expect("commit");
    let mut tx = store.begin(TxMode::Read).expect("begin");
    assert_eq!(tx.checkpoints_after(0).expect("all"), vec![c1, c5, c9]);
    assert_eq!(tx.checkpoints_after(5).expect("after 5"), vec![c9]);
    assert_eq!(tx.checkpoints_after(u64::MAX).expect("none"), vec![]);
    assert_eq!(tx.checkpoints_after(0).expect("all")[1].key_id, other.key_id());
}

/// Record ids are listed in byte order (as `String`'s `Ord`), whatever the
/// database's collation, not in a linguistic one; bodies come back byte for byte.
pub fn record_ids_are_in_byte_order_and_bodies_exact(store: &dyn Store) {
    let body = "{ \"z\" : 1,\n\t\"a\":[1.0e0, \"é\\u00e9\"], \"z\": 2 }";
    let ids = ["é", "a", "Z", "aa", "B", "a b", "a-b", "ab"];
    let mut tx = store.begin(TxMode::Write).expect("begin");
    for id in ids {
        tx.put_record(&Record { body: body.into(), ..record("k", id, Some("x"), None, Some(1)) })
            .expect("put");
    }
    tx.commit().expect("commit");
    let mut want: Vec<&str> = ids.to_vec();
    want.sort_unstable();
    let mut tx = store.begin(TxMode::Read).expect("begin");
    for key in [RecordKey::All, RecordKey::K1("x")] {
        let got = tx.records_by("k", key, 100).expect("list");
        assert_eq!(got.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), want, "{key:?}");
        assert!(got.iter().all(|r| r.body == body));
    }
    let due = tx.records_due("k", Time::from_micros(T0 + 1), 100).expect("due");
    assert_eq!(due.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), want, "same due: by id");
}

/// `records_by_rev` lists by decreasing id in byte order (whatever the
/// database's collation), resumes strictly below the cursor (an id that need
/// not exist), honours the key and the limit, and pages through everything
/// without skipping or repeating a record.
pub fn records_newest_first_resume_below_the_cursor(store: &dyn Store) {
    // (id, k1, k2)
    let rows = [
        ("é", "even", "first"),
        ("a", "odd", "first"),
        ("Z", "even", "first"),
        ("aa", "odd", "first"),
        ("B", "even", "first"),
        ("a b", "odd", "last"),
        ("a-b", "even", "last"),
        ("ab", "odd", "last"),
        ("0", "even", "last"),
        ("~", "odd", "last"),
    ];
    let mut tx = store.begin(TxMode::Write).expect("begin");
    for (id, k1, k2) in rows {
        tx.put_record(&record("m", id, Some(k1), Some(k2), None)).expect("put");
    }
    // Neighbours of other kinds on both sides never show up.
    tx.put_record(&record("l", "zz", Some("even"), None, None)).expect("put");
    tx.put_record(&record("n", "0", Some("even"), None, None)).expect("put");
    tx.commit().expect("commit");
    let desc = |keep: &dyn Fn(&(&str, &str, &str)) -> bool| -> Vec<String> {
        let mut ids: Vec<String> = rows.iter().filter(|r| keep(r)).map(|r| r.0.to_owned()).collect();
        ids.sort_unstable();
        ids.reverse();
        ids
    };
    let ids = |rs: Vec<Record>| rs.into_iter().map(|r| r.id).collect::<Vec<_>>();
    let mut tx = store.begin(TxMode::Read).expect("begin");
    let all = desc(&|_| true);
    assert_eq!(ids(tx.records_by_rev("m", RecordKey::All, None, 100).expect("all")), all);
    assert_eq!(ids(tx.records_by_rev("m", RecordKey::All, None, 3).expect("limit")), all[..3].to_vec());
    // Below "a": upper case and digits, not "a" itself.
    assert_eq!(ids(tx.records_by_rev("m", RecordKey::All, Some("a"), 100).expect("below")), ["Z", "B", "0"]);
    // A cursor that is no id: "a-a" sorts between "a b" and "a-b".
    assert_eq!(ids(tx.records_by_rev("m", RecordKey::All, Some("a-a"), 2).expect("between")), ["a b", "a"]);
    assert!(tx.records_by_rev("m", RecordKey::All, Some(""), 100).expect("none").is_empty());
    assert_eq!(
        ids(tx.records_by_rev("m", RecordKey::K1("even"), None, 100).expect("k1")),
        desc(&|r| r.1 == "even")
    );
    assert_eq!(
        ids(tx.records_by_rev("m", RecordKey::K2("last"), Some("a-b"), 100).expect("k2")),
        desc(&|r| r.2 == "last" && r.0 < "a-b")
    );
    for key in [RecordKey::All, RecordKey::K1("odd"), RecordKey::K2("first")] {
        let whole = ids(tx.records_by_rev("m", key, None, 100).expect("whole"));
        let (mut paged, mut cursor) = (Vec::new(), None::<String>);
        loop {
            let page = ids(tx.records_by_rev("m", key, cursor.as_deref(), 3).expect("page"));
            let done = page.len() < 3;
            cursor = page.last().cloned();
            paged.extend(page);
            if done {
                break;
            }
        }
        assert_eq!(paged, whole, "{key:?}: the pages join up to the whole listing");
    }
}

/// `records_after` lists one kind from just above a cursor, in byte order
/// of ids, so a caller can walk a whole kind page by page.
pub fn records_after_is_a_cursor(store: &dyn Store) {
    let ids = ["b", "a", "é", "a b", "ab", "B"];
    let mut tx = store.begin(TxMode::Write).expect("begin");
    for id in ids {
        tx.put_record(&record("k", id, None, None, None)).expect("put");
    }
    tx.put_record(&record("l", "c", None, None, None)).expect("put");
    tx.commit().expect("commit");
    let mut want: Vec<&str> = ids.to_vec();
    want.sort_unstable();
    let mut tx = store.begin(TxMode::Read).expect("begin");
    let mut walked = Vec::new();
    let mut after = String::new();
    loop {
        let page = tx.records_after("k", &after, 4).expect("page");
        walked.extend(page.iter().map(|r| r.id.clone()));
        match page.last() {
            Some(last) if page.len() == 4 => after.clone_from(&last.id),
            _ => break,
        }
    }
    assert_eq!(walked, want, "every id once, in byte order, no other kind");
    assert_eq!(
        tx.records_after("k", "a", 2).expect("page").iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        ["a b", "ab"]
    );
    assert_eq!(tx.records_after("k", "é", 10).expect("page"), vec![], "nothing above the last");
    assert_eq!(tx.records_after("k", "", 1).expect("page"), vec![record("k", "B", None, None, None)]);
}

/// `forget_sealed` empties the bodies of exactly the entries of its range,
/// keeps their links (the chain and its checkpoints still verify as a
/// slice), leaves later entries whole, and is rolled back with its transaction.
pub fn forgotten_entries_keep_their_links(store: &dyn Store) {
    let mut tx = store.begin(TxMode::Write).expect("begin");
    for n in 0..5 {
        tx.append_event(&new_event(n, Some("s"), &["alice", "bob"], &format!("{{\"n\":{n}}}")))
            .expect("append");
    }
    tx.commit().expect("commit");
    let key = audit::ServiceKey::generate().expect("key");
    crate::ledger::seal_once(store, &key, "a", Time::from_micros(T0), 100).expect("seal");
    let mut tx = store.begin(TxMode::Read).expect("begin");
    let before = tx.sealed_after(0, 100).expect("sealed");
    drop(tx);

    let mut tx = store.begin(TxMode::Write).expect("begin");
    assert_eq!(tx.forget_sealed(0, 2).expect("forget"), 2);
    drop(tx);
    let mut tx = store.begin(TxMode::Read).expect("begin");
    assert_eq!(tx.sealed_after(0, 100).expect("sealed"), before, "rolled back");
    drop(tx);

    let mut tx = store.begin(TxMode::Write).expect("begin");
    assert_eq!(tx.forget_sealed(0, 2).expect("forget"), 2);
    assert_eq!(tx.forget_sealed(2, 3).expect("forget"), 1);
    tx.commit().expect("commit");
    let mut tx = store.begin(TxMode::Read).expect("begin");
    let after = tx.sealed_after(0, 100).expect("sealed");
    assert_eq!(after.len(), before.len());
    for (a, b) in after.iter().zip(&before) {
        assert_eq!(
            (a.seq, a.timestamp, a.salt, a.prev_hash, a.hash),
            (b.seq, b.timestamp, b.salt, b.prev_hash, b.hash)
        );
        if a.seq <= 3 {
            assert!(a.actor.is_empty() && a.kind.is_empty() && a.payload.is_empty(), "{a:?}");
            assert_eq!((a.subject.as_deref(), a.parties.len()), (None, 0));
        } else {
            assert_eq!(a, b, "entries after the range are whole");
        }
    }
    assert_eq!(tx.last_sealed().expect("last").as_ref(), before.last());
    let checkpoints = tx.checkpoints_after(0).expect("checkpoints");
    let slice = audit::Slice::filtered(&after, &checkpoints, |e| e.seq > 3);
    let report = audit::verify_slice(&slice, &[key.public_key()]).expect("the chain still verifies");
    assert!(report.fully_signed(), "{report}");
    assert_eq!((report.links_checked, report.entries_checked), (5, 2));
}

/// What a write transaction is good for once the store said [`StoreError::Retry`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterRetry {
    /// It goes on: the refused statement changed nothing (SQLite, memory).
    GoesOn,
    /// It is over: its commit says `Retry` too (PostgreSQL).
    IsOver,
}

/// The guards of `seal_event`, for the stores that check an entry against its
/// event: an event sealed twice, a missing event and the entry of another
/// event are refused without ending the transaction; a stale chain head (its
/// sequence number taken) is [`StoreError::Retry`], after which the
/// transaction does as `after_retry` says, and none of it is written.
pub fn seal_event_guards(store: &dyn Store, after_retry: AfterRetry) {
    let mut tx = store.begin(TxMode::Write).expect("begin");
    for n in 0..3 {
        tx.append_event(&new_event(n, Some("s"), &["alice"], &format!("{{\"n\":{n}}}"))).expect("append");
    }
    tx.commit().expect("commit");

    let mut tx = store.begin(TxMode::Write).expect("begin");
    let pending = tx.unsealed_events(10).expect("pending");
    let new_entry = |i: usize| entry_of(pending[i].event.clone());
    let mut chain = audit::Chain::genesis();
    let first = chain.prepare(new_entry(0)).expect("prepare");
    tx.seal_event(pending[0].id, &first).expect("seal");
    chain.commit(&first).expect("chain");

    // Sealing it again: not pending.
    match tx.seal_event(pending[0].id, &first) {
        Err(StoreError::EventNotPending { id }) => assert_eq!(id, pending[0].id),
        other => panic!("expected EventNotPending, got {other:?}"),
    }
    // An event that does not exist: not pending.
    assert!(matches!(tx.seal_event(123_456, &first), Err(StoreError::EventNotPending { id: 123_456 })));
    // The entry of another event: refused.
    let wrong = chain.prepare(new_entry(2)).expect("prepare");
    match tx.seal_event(pending[1].id, &wrong) {
        Err(StoreError::EventMismatch { id, .. }) => assert_eq!(id, pending[1].id),
        other => panic!("expected EventMismatch, got {other:?}"),
    }
    // The transaction is still usable after those refusals.
    let second = chain.prepare(new_entry(1)).expect("prepare");
    tx.seal_event(pending[1].id, &second).expect("seal");
    chain.commit(&second).expect("chain");
    tx.commit().expect("commit");

    // A stale head (seq 2 is taken): retry.
    let mut tx = store.begin(TxMode::Write).expect("begin");
    let stale = audit::Chain::resume_after(&first).prepare(new_entry(2)).expect("prepare");
    assert!(matches!(tx.seal_event(pending[2].id, &stale), Err(StoreError::Retry)));
    match after_retry {
        AfterRetry::IsOver => assert!(matches!(tx.commit(), Err(StoreError::Retry))),
        AfterRetry::GoesOn => {
            let third = chain.prepare(new_entry(2)).expect("prepare");
            tx.seal_event(pending[2].id, &third).expect("the transaction goes on after a Retry");
            drop(tx);
        }
    }

    let mut tx = store.begin(TxMode::Read).expect("begin");
    assert_eq!(tx.sealed_after(0, 10).expect("sealed"), vec![first, second]);
    assert_eq!(tx.unsealed_events(10).expect("pending").len(), 1);
}

/// Two replicas (stores over the same data, each made by `open_replica`),
/// each with two sealer threads running `seal_once` in a loop, while four
/// threads append events through both. The sealers' shared clock advances 6 s
/// per call against the 10 s lease, so the lease changes hands and sometimes
/// two sealers of one replica (same holder) seal at once: correctness must
/// come from the store, not from the lease. At the end every event is sealed
/// exactly once, the sequence is 1..N, each appender's events are in the
/// order it committed them, and the stored log verifies with its checkpoints.
pub fn sealers_racing_appenders_seal_every_event_once(open_replica: &dyn Fn() -> Box<dyn Store>) {
    use std::collections::BTreeSet;
    use std::io::Write as _;
    use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering};

    use crate::ledger::seal_once;

    const APPENDERS: usize = 4;
    const PER_APPENDER: usize = 60;
    let replicas = [open_replica(), open_replica()];
    let keys = [audit::ServiceKey::generate().expect("key"), audit::ServiceKey::generate().expect("key")];
    let clock = AtomicI64::new(T0);
    let done = AtomicBool::new(false);
    let sealed_by = [AtomicUsize::new(0), AtomicUsize::new(0)];
    let retries = AtomicUsize::new(0);
    let payload =
        |w: usize, i: usize| format!("{{\"w\":{w},\"i\":{i},\"text\":\"h\\u00e9llo \\\"é\\\" \\\\\"}}");
    std::thread::scope(|s| {
        let mut sealers = Vec::new();
        for r in 0..2 {
            for _ in 0..2 {
                let (store, key) = (&*replicas[r], &keys[r]);
                let (clock, done, sealed_by, retries) = (&clock, &done, &sealed_by, &retries);
                sealers.push(s.spawn(move || {
                    let holder = format!("replica-{r}");
                    while !done.load(Ordering::SeqCst) {
                        let now = Time::from_micros(clock.fetch_add(6_000_000, Ordering::SeqCst));
                        match seal_once(store, key, &holder, now, 5) {
                            Ok(rep) => {
                                sealed_by[r].fetch_add(rep.sealed, Ordering::SeqCst);
                            }
                            Err(StoreError::Retry) => {
                                retries.fetch_add(1, Ordering::SeqCst);
                            }
                            Err(e) => panic!("seal: {e}"),
                        }
                    }
                }));
            }
        }
        let appenders: Vec<_> = (0..APPENDERS)
            .map(|w| {
                let store = &*replicas[w % 2];
                s.spawn(move || {
                    let uss = format!("uss{w}");
                    for i in 0..PER_APPENDER {
                        let at = i64::try_from(i).expect("few events");
                        let e = NewEvent {
                            actor: uss.clone(),
                            ..new_event(at, Some(&format!("w{w}")), &[&uss, "alice"], &payload(w, i))
                        };
                        with_retry(store, |tx| tx.append_event(&e));
                    }
                })
            })
            .collect();
        for a in appenders {
            a.join().expect("appender");
        }
        done.store(true, Ordering::SeqCst);
        for s in sealers {
            s.join().expect("sealer");
        }
    });
    // Drain what the sealers left, on replica 1, once every lease has expired.
    clock.fetch_add(10_000_000, Ordering::SeqCst);
    loop {
        let now = Time::from_micros(clock.fetch_add(11_000_000, Ordering::SeqCst));
        match seal_once(&*replicas[1], &keys[1], "replica-1", now, 100) {
            Ok(r) => {
                assert!(r.leader, "the drain holds the lease");
                if r.sealed == 0 {
                    break;
                }
                sealed_by[1].fetch_add(r.sealed, Ordering::SeqCst);
            }
            Err(StoreError::Retry) => {}
            Err(e) => panic!("drain: {e}"),
        }
    }

    let total = APPENDERS * PER_APPENDER;
    let mut tx = replicas[0].begin(TxMode::Read).expect("begin");
    assert!(tx.unsealed_events(10).expect("pending").is_empty(), "everything is sealed");
    let entries = tx.sealed_after(0, usize::MAX).expect("sealed");
    let seqs: Vec<u64> = entries.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=total as u64).collect::<Vec<_>>(), "contiguous sequence numbers");
    let got: BTreeSet<&str> = entries.iter().map(|e| e.payload.as_str()).collect();
    let want: BTreeSet<String> =
        (0..APPENDERS).flat_map(|w| (0..PER_APPENDER).map(move |i| payload(w, i))).collect();
    assert_eq!(got.len(), total, "no event sealed twice");
    assert_eq!(got, want.iter().map(String::as_str).collect(), "every event sealed");
    // Each appender's events are sealed in the order it committed them.
    for w in 0..APPENDERS {
        let subject = format!("w{w}");
        let mine: Vec<&str> = entries
            .iter()
            .filter(|e| e.subject.as_ref() == Some(&subject))
            .map(|e| e.payload.as_str())
            .collect();
        assert_eq!(mine, (0..PER_APPENDER).map(|i| payload(w, i)).collect::<Vec<_>>());
    }
    let checkpoints = tx.checkpoints_after(0).expect("checkpoints");
    let report = audit::verify(&entries, &checkpoints, &[keys[0].public_key(), keys[1].public_key()])
        .expect("the stored log verifies");
    assert!(report.fully_signed(), "{report:?}");
    assert_eq!(tx.last_sealed().expect("last").as_ref(), entries.last());
    let by: Vec<usize> = sealed_by.iter().map(|n| n.load(Ordering::SeqCst)).collect();
    assert_eq!(by.iter().sum::<usize>(), total, "sealed counts add up: {by:?}");
    let _ = writeln!(
        std::io::stderr(),
        "sealed by replica: {by:?}, sealer retries: {}, checkpoints: {}",
        retries.load(Ordering::SeqCst),
        checkpoints.len()
    );
}

/// A store upgraded from schema version 1 (before the event log) has the
/// tables of later versions: no pending events, free leases, no records.
pub fn upgraded_from_version_1(store: &dyn Store) {
    let mut tx = store.begin(TxMode::Write).expect("begin");
    assert!(tx.unsealed_events(10).expect("events table exists").is_empty());
    assert!(tx.acquire_lease("l", "me", Time::from_micros(T0), 1).expect("leases table exists"));
    assert_eq!(tx.record("k", "1").expect("records table exists"), None);
    tx.commit().expect("commit");
}

/// A store upgraded from schema version 2 (before the generic records) kept
/// the rows a backend's test wrote with the SQL of version 2: uss-a `Down`
/// at version `v2`, one pending event whose payload is `{ "kept" : true }`,
/// and the sealer lease held by `replica-1` for ever; and records work.
pub fn upgraded_from_version_2(store: &dyn Store) {
    let mut tx = store.begin(TxMode::Write).expect("begin");
    let uss = manager("uss-a");
    assert_eq!(tx.availability(&uss).expect("get").map(|r| r.version), Some("v2".to_owned()));
    let pending = tx.unsealed_events(10).expect("events");
    assert_eq!(pending.len(), 1, "version 2 events survive");
    assert_eq!(pending[0].event.payload, "{ \"kept\" : true }");
    assert!(!tx.acquire_lease("sealer", "me", Time::from_micros(T0), 1).expect("lease"), "lease survives");
    let r = Record { body: "{}".into(), ..record("line", "l1", Some("a"), None, Some(0)) };
    tx.put_record(&r).expect("records table exists");
    assert_eq!(tx.records_by("line", RecordKey::K1("a"), 10).expect("by k1"), vec![r.clone()]);
    assert_eq!(tx.records_due("line", Time::from_micros(T0), 10).expect("due"), vec![r]);
    tx.commit().expect("commit");
}

/// A store upgraded from schema version 3 (before the per-party indexes)
/// kept the record a backend's test wrote with the SQL of version 3 (`line`
/// `l3`, body `{"v":3}`, k1 `a`), and per-party usage works.
pub fn upgraded_from_version_3(store: &dyn Store) {
    let mut tx = store.begin(TxMode::Write).expect("begin");
    assert_eq!(tx.record("line", "l3").expect("get").map(|r| r.body), Some("{\"v\":3}".to_owned()));
    tx.put_intent(&intent("a", here((0.0, 100.0)))).expect("put");
    assert_eq!(tx.usage(&manager("a"), Time::from_micros(T0)).expect("usage").intents, 1);
    tx.commit().expect("commit");
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

/// A store upgraded from schema version 4 (before the cell locks) kept the
/// record a backend's test wrote with the SQL of version 4 (`line` `l4`,
/// body `{"v":4}`), and area writes work.
pub fn upgraded_from_version_4(store: &dyn Store) {
    let mut tx = store.begin(TxMode::Read).expect("begin");
    assert_eq!(tx.record("line", "l4").expect("get").map(|r| r.body), Some("{\"v\":4}".to_owned()));
    drop(tx);
    area_writes_lock_and_bump(store);
}

/// Generates one `#[test]` per conformance check, each on a fresh store made by
/// `$make` (an expression returning something that derefs to a `Store`).
#[macro_export]
macro_rules! store_conformance {
    ($make:expr) => {
        $crate::store_conformance!(@each $make;
            intent_round_trip constraint_round_trip subscription_round_trip
            availability_round_trip area_candidates_are_a_superset pole_and_antimeridian_candidates
            uncommitted_writes_are_rolled_back intents_of_subscription
            ended_by_lists_exactly_what_ended usage_is_per_manager_and_live events_are_sealed_in_order
            leases_are_exclusive_until_they_expire records_round_trip_and_lookups
            entries_come_back_exactly_as_sealed checkpoints_round_trip
            record_ids_are_in_byte_order_and_bodies_exact records_newest_first_resume_below_the_cursor
            area_writes_lock_and_bump
            records_after_is_a_cursor forgotten_entries_keep_their_links);
    };
    (@each $make:expr; $($check:ident)*) => {
        $(
            #[test]
            fn $check() {
                let store = $make;
                $crate::testsuite::$check(&*store);
            }
        )*
    };
}
