//! The store conformance suite: one set of checks every [`Store`] backend must
//! pass, so memory, SQLite and PostgreSQL cannot drift apart. A backend's tests
//! call [`store_conformance!`](crate::store_conformance) with an expression that
//! makes a fresh, empty store; each check becomes its own `#[test]`.
//!
//! Also home to the small fixture builders the checks (and backends' own tests)
//! use. Checks panic with a message on failure, like any test.

#![allow(clippy::missing_panics_doc)]

use geom::{AltitudeRange, Circle, Footprint, LatLng, Polygon, Time, TimeWindow, Volume4D};

use crate::ids::{EntityId, Manager, Ovn, SubscriptionId, UssBaseUrl};
use crate::model::{
    Availability, AvailabilityRecord, Constraint, IntentState, OperationalIntent, Subscription,
};
use crate::store::{AreaQuery, Store, TxMode};

/// 2030-01-01T00:00:00Z, a fixed "now" for fixtures.
pub const T0: i64 = 1_893_456_000_000_000;
/// One hour in µs.
pub const HOUR: i64 = 3_600_000_000;

/// A square footprint of `half` degrees around (`lat`, `lng`).
pub fn square(lat: f64, lng: f64, half: f64) -> Footprint {
    let p = |a: f64, b: f64| LatLng::new(a, b).expect("fixture coordinates are valid");
    Footprint::Polygon(
        Polygon::new(vec![
            p(lat - half, lng - half),
            p(lat - half, lng + half),
            p(lat + half, lng + half),
            p(lat + half, lng - half),
        ])
        .expect("fixture square is valid"),
    )
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

/// A manager by name.
pub fn manager(name: &str) -> Manager {
    Manager::new(name).expect("fixture manager is valid")
}

/// A base URL by host.
pub fn url(host: &str) -> UssBaseUrl {
    UssBaseUrl::parse(&format!("https://{host}"), false).expect("fixture url is valid")
}

fn ovn(n: u32) -> Ovn {
    Ovn::parse(&format!("fixture-ovn-{n:08}")).expect("fixture ovn is valid")
}

/// An Accepted intent of `who` over `extents`, with no subscription.
pub fn intent(who: &str, extents: Vec<Volume4D>) -> OperationalIntent {
    let id = EntityId::random();
    OperationalIntent {
        id,
        manager: manager(who),
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
        manager: manager(who),
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
        manager: manager(who),
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

/// Purge removes ended entities and orphaned implicit subscriptions, nothing else.
pub fn purge_removes_only_what_ended(store: &dyn Store) {
    let ended = vec![volume(square(46.0, 7.0, 0.01), (0.0, 120.0), T0, T0 + HOUR)];
    let live = vec![volume(square(46.0, 7.0, 0.01), (0.0, 120.0), T0, T0 + 3 * HOUR)];
    let old_intent = intent("a", ended.clone());
    let live_intent = intent("a", live.clone());
    let old_constraint = constraint("a", ended.clone());
    let live_constraint = constraint("a", live.clone());
    let old_sub = subscription("a", ended);
    let mut orphan = subscription("a", live.clone());
    orphan.implicit = true;
    let mut used = subscription("a", live.clone());
    used.implicit = true;
    let mut user = intent("a", live);
    user.subscription_id = Some(used.id);
    let mut tx = store.begin(TxMode::Write).expect("begin");
    for oi in [&old_intent, &live_intent, &user] {
        tx.put_intent(oi).expect("put");
    }
    tx.put_constraint(&old_constraint).expect("put");
    tx.put_constraint(&live_constraint).expect("put");
    for s in [&old_sub, &orphan, &used] {
        tx.put_subscription(s).expect("put");
    }
    let counts = tx.purge_expired(Time::from_micros(T0 + 2 * HOUR)).expect("purge");
    tx.commit().expect("commit");
    assert_eq!((counts.intents, counts.constraints, counts.subscriptions), (1, 1, 2));
    let mut tx = store.begin(TxMode::Read).expect("begin");
    assert!(tx.intent(old_intent.id).expect("get").is_none());
    assert!(tx.intent(live_intent.id).expect("get").is_some());
    assert!(tx.constraint(old_constraint.id).expect("get").is_none());
    assert!(tx.constraint(live_constraint.id).expect("get").is_some());
    assert!(tx.subscription(old_sub.id).expect("get").is_none());
    assert!(tx.subscription(orphan.id).expect("get").is_none());
    assert!(tx.subscription(used.id).expect("get").is_some());
    let c = tx.counts().expect("counts");
    assert_eq!((c.intents, c.constraints, c.subscriptions), (2, 1, 1));
}

fn event(n: u32, parties: &[&str]) -> crate::events::NewEvent {
    crate::events::NewEvent {
        at: Time::from_micros(T0 + i64::from(n)),
        kind: "test.event".into(),
        actor: "alice".into(),
        subject: Some(format!("subject-{n}")),
        parties: parties.iter().map(|p| (*p).to_owned()).collect(),
        payload: format!("{{\"n\":{n},\"text\":\"héllo \\\"quoted\\\"\"}}"),
    }
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

fn record(
    kind: &str,
    id: &str,
    k1: Option<&str>,
    k2: Option<&str>,
    due: Option<i64>,
) -> crate::records::Record {
    crate::records::Record {
        kind: kind.into(),
        id: id.into(),
        body: format!("{{\"id\":\"{id}\",\"note\":\"ünïcode \\\"q\\\"\"}}"),
        k1: k1.map(str::to_owned),
        k2: k2.map(str::to_owned),
        due: due.map(|d| Time::from_micros(T0 + d)),
    }
}

/// Records round-trip, are listed by key in id order and by due time, and
/// are rolled back with their transaction.
pub fn records_round_trip_and_lookups(store: &dyn Store) {
    use crate::records::RecordKey;
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

/// Generates one `#[test]` per conformance check, each on a fresh store made by
/// `$make` (an expression returning something that derefs to a `Store`).
#[macro_export]
macro_rules! store_conformance {
    ($make:expr) => {
        $crate::store_conformance!(@each $make;
            intent_round_trip constraint_round_trip subscription_round_trip
            availability_round_trip area_candidates_are_a_superset
            uncommitted_writes_are_rolled_back intents_of_subscription
            purge_removes_only_what_ended events_are_sealed_in_order
            leases_are_exclusive_until_they_expire records_round_trip_and_lookups);
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
