//! Engine rules on the memory store. Server tests repeat the important ones
//! over HTTP; these pin down the rules themselves.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use geom::Time;

use super::*;
use crate::App;
use crate::events::EventKind;
use crate::ids::{EntityId, PartyName, SubscriptionId};
use crate::memory::MemoryStore;
use crate::model::{Availability, IntentState};
use crate::store::TxMode;
use crate::testsuite::{HOUR, T0, manager, square, url, volume};

fn engine() -> App {
    App::new(Arc::new(MemoryStore::new()), Limits::default())
}

fn ctx(who: &str) -> Ctx {
    Ctx::new(manager(who), Time::from_micros(T0))
}

fn put(extents_lat: f64, who: &str) -> PutIntent {
    crate::testsuite::put_params(
        who,
        vec![volume(square(extents_lat, 7.0, 0.01), (0.0, 120.0), T0, T0 + HOUR)],
    )
}

/// A new intent of `who` around latitude `lat`, filed.
fn file(e: &App, who: &str, lat: f64) -> ChangeIntent {
    e.put_intent(&ctx(who), EntityId::random(), None, &put(lat, who)).unwrap()
}

#[test]
fn second_party_needs_the_first_partys_key() {
    let e = engine();
    let a = file(&e, "alice", 46.0);
    let bob_id = EntityId::random();
    let mut p = put(46.005, "bob");
    let err = e.put_intent(&ctx("bob"), bob_id, None, &p).unwrap_err();
    let EngineError::MissingKeys(conflict) = err else { panic!("expected MissingKeys, got {err:?}") };
    assert_eq!(conflict.missing_intents.len(), 1);
    assert_eq!(conflict.missing_intents[0].intent.id, a.intent.intent.id);
    // Nothing was written by the refused attempt.
    assert!(matches!(e.engine().intent(bob_id), Err(EngineError::NotFound(_))));
    p.key = vec![a.intent.intent.ovn.clone()];
    let b = e.put_intent(&ctx("bob"), bob_id, None, &p).unwrap();
    assert_eq!(b.intent.intent.version, 1);
    // Alice's implicit subscription hears of Bob's intent.
    assert!(b.subscribers.iter().any(|s| s.uss_base_url == url("alice.example")));
}

#[test]
fn disjoint_intents_need_no_key() {
    let e = engine();
    file(&e, "alice", 46.0);
    file(&e, "bob", 47.0);
}

#[test]
fn updates_need_the_current_ovn_and_the_owner() {
    let e = engine();
    let first = file(&e, "alice", 46.0).intent.intent;
    let id = first.id;
    let second =
        e.put_intent(&ctx("alice"), id, Some(&first.ovn), &put(46.0, "alice")).unwrap().intent.intent;
    assert_eq!(second.version, 2);
    assert_ne!(second.ovn, first.ovn);
    let stale = e.put_intent(&ctx("alice"), id, Some(&first.ovn), &put(46.0, "alice"));
    assert!(matches!(stale, Err(EngineError::Stale(_))), "{stale:?}");
    let theft = e.put_intent(&ctx("mallory"), id, Some(&second.ovn), &put(46.0, "mallory"));
    assert!(matches!(theft, Err(EngineError::Forbidden(_))), "{theft:?}");
    let delete = e.engine().delete_intent(&ctx("mallory"), id, &second.ovn);
    assert!(matches!(delete, Err(EngineError::Forbidden(_))), "{delete:?}");
    let again = e.put_intent(&ctx("alice"), id, None, &put(46.0, "alice"));
    assert!(matches!(again, Err(EngineError::AlreadyExists(_))), "{again:?}");
}

#[test]
fn state_rules() {
    let e = engine();
    let id = EntityId::random();
    let mut p = put(46.0, "alice");
    p.state = IntentState::Activated;
    assert!(matches!(e.put_intent(&ctx("alice"), id, None, &p), Err(EngineError::BadRequest(_))));
    p.state = IntentState::Accepted;
    let oi = e.put_intent(&ctx("alice"), id, None, &p).unwrap().intent.intent;
    p.state = IntentState::Nonconforming;
    let r = e.put_intent(&ctx("alice"), id, Some(&oi.ovn), &p);
    assert!(matches!(r, Err(EngineError::Forbidden(_))), "{r:?}");
    let mut monitor = ctx("alice");
    monitor.roles = monitor.roles.with(crate::Role::ConformanceMonitor);
    p.subscription = SubscriptionChoice::None;
    let r = e.put_intent(&monitor, id, Some(&oi.ovn), &p);
    assert!(matches!(r, Err(EngineError::BadRequest(_))), "no subscription: {r:?}");
    p.subscription = SubscriptionChoice::Existing(oi.subscription_id.unwrap());
    let nc = e.put_intent(&monitor, id, Some(&oi.ovn), &p).unwrap().intent.intent;
    assert_eq!(nc.state, IntentState::Nonconforming);
    // A Nonconforming intent needs no key from others.
    file(&e, "bob", 46.0);
}

#[test]
fn implicit_subscription_lives_and_dies_with_its_intent() {
    let e = engine();
    let oi = file(&e, "alice", 46.0).intent.intent;
    let id = oi.id;
    let sid = oi.subscription_id.unwrap();
    let sub = e.engine().subscription(&ctx("alice"), sid).unwrap();
    assert!(sub.subscription.implicit);
    assert_eq!(sub.dependent_intents, vec![id]);
    e.engine().delete_intent(&ctx("alice"), id, &oi.ovn).unwrap();
    assert!(matches!(e.engine().subscription(&ctx("alice"), sid), Err(EngineError::NotFound(_))));
}

fn explicit(who: &str, lat: f64) -> PutSubscription {
    PutSubscription {
        footprint: square(lat, 7.0, 0.05),
        altitude: geom::AltitudeRange::new(0.0, 1000.0).unwrap(),
        start: None,
        end: Some(Time::from_micros(T0 + 2 * HOUR)),
        uss_base_url: url(&format!("{who}.example")),
        notify_for_intents: true,
        notify_for_constraints: false,
    }
}

#[test]
fn subscribers_get_increasing_notification_indexes() {
    let e = engine();
    let sid = SubscriptionId::random();
    let created = e.engine().put_subscription(&ctx("carol"), sid, None, &explicit("carol", 46.0)).unwrap();
    assert_eq!(created.subscription.subscription.notification_index, 0);
    let id = EntityId::random();
    let mut p = put(46.0, "alice");
    p.subscription = SubscriptionChoice::None;
    let first = e.put_intent(&ctx("alice"), id, None, &p).unwrap();
    let carol = |c: &ChangeIntent| {
        c.subscribers.iter().find(|s| s.uss_base_url == url("carol.example")).map(|s| s.subscriptions.clone())
    };
    assert_eq!(carol(&first), Some(vec![(sid, 1)]));
    let second = e.put_intent(&ctx("alice"), id, Some(&first.intent.intent.ovn), &p).unwrap();
    assert_eq!(carol(&second), Some(vec![(sid, 2)]));
    let gone = e.engine().delete_intent(&ctx("alice"), id, &second.intent.intent.ovn).unwrap();
    assert_eq!(carol(&gone), Some(vec![(sid, 3)]));
    // Far away: not notified.
    let far = file(&e, "alice", 48.0);
    assert_eq!(carol(&far), None);
}

#[test]
fn subscription_rules() {
    let e = engine();
    let sid = SubscriptionId::random();
    let mut p = explicit("carol", 46.0);
    p.notify_for_intents = false;
    assert!(matches!(
        e.engine().put_subscription(&ctx("carol"), sid, None, &p),
        Err(EngineError::BadRequest(_))
    ));
    p.notify_for_intents = true;
    p.end = Some(Time::from_micros(T0 + 25 * HOUR));
    assert!(matches!(
        e.engine().put_subscription(&ctx("carol"), sid, None, &p),
        Err(EngineError::BadRequest(_))
    ));
    p.end = None;
    p.start = Some(Time::from_micros(T0 - HOUR));
    assert!(matches!(
        e.engine().put_subscription(&ctx("carol"), sid, None, &p),
        Err(EngineError::BadRequest(_))
    ));
    p.start = None;
    let s = e.engine().put_subscription(&ctx("carol"), sid, None, &p).unwrap().subscription.subscription;
    assert_eq!(s.time().end().as_micros() - s.time().start().as_micros(), 24 * HOUR);
    let r = e.engine().delete_subscription(&ctx("dave"), sid, &s.version);
    assert!(matches!(r, Err(EngineError::Forbidden(_))), "{r:?}");
    let r = e.engine().delete_subscription(&ctx("carol"), sid, "stale");
    assert!(matches!(r, Err(EngineError::Stale(_))), "{r:?}");
    // Own subscriptions only in queries.
    let area = volume(square(46.0, 7.0, 0.1), (0.0, 1000.0), T0, T0 + HOUR);
    assert_eq!(e.engine().query_subscriptions(&ctx("carol"), &area).unwrap().len(), 1);
    assert_eq!(e.engine().query_subscriptions(&ctx("dave"), &area).unwrap().len(), 0);
    e.engine().delete_subscription(&ctx("carol"), sid, &s.version).unwrap();
}

#[test]
fn explicit_subscription_must_cover_the_intent() {
    let e = engine();
    let sid = SubscriptionId::random();
    e.engine().put_subscription(&ctx("alice"), sid, None, &explicit("alice", 46.0)).unwrap();
    let mut p = put(46.0, "alice");
    p.subscription = SubscriptionChoice::Existing(sid);
    e.put_intent(&ctx("alice"), EntityId::random(), None, &p).unwrap();
    let mut far = put(47.0, "alice");
    far.subscription = SubscriptionChoice::Existing(sid);
    let r = e.put_intent(&ctx("alice"), EntityId::random(), None, &far);
    assert!(matches!(r, Err(EngineError::BadRequest(_))), "{r:?}");
    let r = e.put_intent(&ctx("bob"), EntityId::random(), None, &p);
    assert!(matches!(r, Err(EngineError::Forbidden(_))), "{r:?}");
}

#[test]
fn constraints_are_in_the_key_only_for_constraint_processors() {
    let e = engine();
    let c = e
        .engine()
        .put_constraint(
            &ctx("authority"),
            EntityId::random(),
            None,
            &PutConstraint {
                extents: vec![volume(square(46.0, 7.0, 0.05), (0.0, 500.0), T0, T0 + HOUR)],
                uss_base_url: url("authority.example"),
            },
        )
        .unwrap();
    file(&e, "alice", 46.0);
    let mut p = put(46.0, "bob");
    p.subscription =
        SubscriptionChoice::New { uss_base_url: url("bob.example"), notify_for_constraints: true };
    let err = e.put_intent(&ctx("bob"), EntityId::random(), None, &p).unwrap_err();
    let EngineError::MissingKeys(conflict) = err else { panic!("expected MissingKeys, got {err:?}") };
    assert_eq!(conflict.missing_constraints.len(), 1);
    assert_eq!(conflict.missing_constraints[0].constraint.id, c.constraint.constraint.id);
}

#[test]
fn timeouts_commit_nothing() {
    let e = engine();
    let id = EntityId::random();
    let late = ctx("alice").with_budget(Duration::ZERO);
    assert!(matches!(e.put_intent(&late, id, None, &put(46.0, "alice")), Err(EngineError::Timeout)));
    assert!(matches!(e.engine().intent(id), Err(EngineError::NotFound(_))));
}

#[test]
fn limits_are_errors_not_truncation() {
    let limits = Limits { max_results: 2, ..Limits::default() };
    let e = App::new(Arc::new(MemoryStore::new()), limits);
    for _ in 0..3 {
        let mut p = put(46.0, "alice");
        p.state = IntentState::Accepted;
        p.subscription = SubscriptionChoice::None;
        // Each must show awareness of the ones before it.
        let area = volume(square(46.0, 7.0, 0.1), (0.0, 1000.0), T0, T0 + HOUR);
        p.key = e
            .runner()
            .store()
            .begin(crate::store::TxMode::Read)
            .and_then(|mut tx| tx.intents_in(&crate::store::AreaQuery::new(std::slice::from_ref(&area))))
            .unwrap()
            .into_iter()
            .map(|o| o.ovn)
            .collect();
        e.put_intent(&ctx("alice"), EntityId::random(), None, &p).unwrap();
    }
    let area = volume(square(46.0, 7.0, 0.1), (0.0, 1000.0), T0, T0 + HOUR);
    let r = e.engine().query_intents(&ctx("bob"), &area);
    assert!(matches!(r, Err(EngineError::TooManyResults { limit: 2 })), "{r:?}");
    let huge = volume(square(46.0, 7.0, 1.0), (0.0, 1000.0), T0, T0 + HOUR);
    assert!(matches!(e.engine().query_intents(&ctx("bob"), &huge), Err(EngineError::AreaTooLarge { .. })));
}

#[test]
fn availability_versions() {
    let e = engine();
    let uss = PartyName::new("alice").unwrap();
    assert_eq!(e.engine().availability(&uss).unwrap().availability, Availability::Unknown);
    // A party that is not an arbitrator cannot mark another USS down.
    assert!(matches!(
        e.engine().set_availability(&ctx("bob"), &uss, "", Availability::Down),
        Err(EngineError::Forbidden(_))
    ));
    let arbiter = ctx("arbiter").with_roles(crate::Roles::NONE.with(crate::Role::Arbitrator));
    let r = e.engine().set_availability(&arbiter, &uss, "", Availability::Down).unwrap();
    assert!(matches!(
        e.engine().set_availability(&arbiter, &uss, "", Availability::Normal),
        Err(EngineError::Stale(_))
    ));
    e.engine().set_availability(&arbiter, &uss, &r.version, Availability::Normal).unwrap();
    let oi = file(&e, "alice", 46.0);
    assert_eq!(oi.intent.uss_availability, Availability::Normal);
    file(&e, "alice", 46.1);
    file(&e, "bob", 46.2);
    // A query reports each intent with its own owner's availability.
    let area = volume(square(46.1, 7.0, 0.15), (0.0, 1000.0), T0, T0 + HOUR);
    let mut seen: Vec<(String, Availability)> = e
        .engine()
        .query_intents(&ctx("carol"), &area)
        .unwrap()
        .into_iter()
        .map(|v| (v.intent.party.to_string(), v.uss_availability))
        .collect();
    seen.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        seen,
        [
            ("alice".to_owned(), Availability::Normal),
            ("alice".to_owned(), Availability::Normal),
            ("bob".to_owned(), Availability::Unknown)
        ]
    );
}

#[test]
fn purge_removes_what_ended_with_its_implicit_subscription_and_nothing_live() {
    let e = engine();
    // Ends at T0 + 1 h, with an implicit subscription.
    let ended = file(&e, "alice", 46.0);
    // Live until T0 + 5 h, with its own implicit subscription.
    let mut p = put(47.0, "bob");
    p.extents = vec![volume(square(47.0, 7.0, 0.01), (0.0, 120.0), T0, T0 + 5 * HOUR)];
    let live = e.put_intent(&ctx("bob"), EntityId::random(), None, &p).unwrap();
    // An explicit subscription ending at T0 + 1 h.
    let sub = PutSubscription {
        footprint: square(48.0, 7.0, 0.01),
        altitude: geom::AltitudeRange::new(0.0, 100.0).unwrap(),
        start: Some(Time::from_micros(T0)),
        end: Some(Time::from_micros(T0 + HOUR)),
        uss_base_url: url("carol.example"),
        notify_for_intents: true,
        notify_for_constraints: false,
    };
    e.engine().put_subscription(&ctx("carol"), SubscriptionId::random(), None, &sub).unwrap();
    assert_eq!(e.engine().counts().unwrap().subscriptions, 3);
    let counts = e.engine().purge_expired(Time::from_micros(T0 + 2 * HOUR)).unwrap();
    assert_eq!((counts.intents, counts.constraints, counts.subscriptions), (1, 0, 2));
    assert!(matches!(e.engine().intent(ended.intent.intent.id), Err(EngineError::NotFound(_))));
    e.engine().intent(live.intent.intent.id).unwrap();
    let mut tx = e.runner().store().begin(TxMode::Read).unwrap();
    let sid = live.intent.intent.subscription_id.unwrap();
    assert!(tx.subscription(sid).unwrap().is_some(), "a live intent keeps its implicit subscription");
    assert_eq!(tx.counts().unwrap().subscriptions, 1);
}

#[test]
fn every_change_and_refusal_is_logged_for_the_parties_concerned() {
    let store = Arc::new(MemoryStore::new());
    let e = App::new(store.clone(), Limits::default());
    let sid = SubscriptionId::random();
    e.engine().put_subscription(&ctx("carol"), sid, None, &explicit("carol", 46.0)).unwrap();
    let a = file(&e, "alice", 46.0);
    let bob_id = EntityId::random();
    assert!(e.put_intent(&ctx("bob"), bob_id, None, &put(46.0, "bob")).is_err());
    e.engine().delete_intent(&ctx("alice"), a.intent.intent.id, &a.intent.intent.ovn).unwrap();

    let key = audit::ServiceKey::generate().unwrap();
    let report = crate::ledger::seal_once(&*store, &key, "me", Time::from_micros(T0), 100).unwrap();
    assert_eq!(report.sealed, 4);
    let mut tx = store.begin(crate::store::TxMode::Read).unwrap();
    let log = tx.sealed_after(0, 100).unwrap();
    let kinds: Vec<Option<EventKind>> = log.iter().map(|e| EventKind::parse(&e.kind)).collect();
    assert_eq!(
        kinds,
        [
            EventKind::SubscriptionCreated,
            EventKind::IntentCreated,
            EventKind::IntentRefusedMissingKey,
            EventKind::IntentDeleted
        ]
        .map(Some)
    );
    // Carol's subscription was notified of Alice's intent: she is a party to it.
    assert_eq!(log[1].parties, ["alice", "carol"]);
    // The refusal disclosed Alice's intent to Bob: both are parties.
    assert_eq!(log[2].parties, ["alice", "bob"]);
    assert!(log[2].payload.contains(&a.intent.intent.id.to_string()));
    // No OVN ever appears in the log.
    assert!(log.iter().all(|e| !e.payload.contains(a.intent.intent.ovn.as_str())));
    let checkpoints = tx.checkpoints_after(0).unwrap();
    audit::verify(&log, &checkpoints, &[key.public_key()]).unwrap();
}

/// A footprint that fills its lat/lng box, `half_lat` by `half_lng` degrees
/// around (`lat`, `lng`).
fn rectangle(lat: f64, lng: f64, half_lat: f64, half_lng: f64) -> geom::Footprint {
    let p = |a: f64, b: f64| geom::LatLng::new(a, b).unwrap();
    geom::Footprint::Polygon(
        geom::Polygon::new(vec![
            p(lat - half_lat, lng - half_lng),
            p(lat - half_lat, lng + half_lng),
            p(lat + half_lat, lng + half_lng),
            p(lat + half_lat, lng - half_lng),
        ])
        .unwrap(),
    )
}

#[test]
fn quick_area_bound_holds_above_45_degrees() {
    // Bug: the bound used the equatorial radius, but poleward of ~45° the
    // ellipsoid's area element is larger than that sphere's, so a tall,
    // narrow footprint filling its box at 85° N, just over the limit, passed
    // the shortcut.
    let limit = Limits::default().max_area_m2;
    let half_lat = 1.0;
    let unit = rectangle(85.0, 7.0, half_lat, 0.1).area_m2();
    let half_lng = 0.1 * 1.002 * limit / unit;
    let fp = rectangle(85.0, 7.0, half_lat, half_lng);
    let exact = fp.area_m2();
    assert!(exact > limit && exact < 1.01 * limit, "fixture: {exact} m² just over {limit}");
    let b = fp.bounds();
    let equatorial = 6_378_137.0_f64.powi(2)
        * (b.max_lng - b.min_lng).to_radians()
        * (b.max_lat.to_radians().sin() - b.min_lat.to_radians().sin());
    assert!(equatorial < limit, "fixture: the old bound {equatorial} m² was under the limit");
    assert!(bounds_area_m2(&b) >= exact, "{} < {exact}", bounds_area_m2(&b));
    let r = engine().engine().query_intents(&ctx("bob"), &volume(fp, (0.0, 100.0), T0, T0 + HOUR));
    assert!(matches!(r, Err(EngineError::AreaTooLarge { .. })), "{r:?}");
}

#[test]
fn quick_area_bound_is_an_upper_bound_at_every_latitude() {
    for lat in [-89.0, -75.0, -45.0, 0.0, 10.0, 45.1, 60.0, 80.0, 89.0] {
        for (half_lat, half_lng) in [(0.001, 0.001), (0.2, 0.5), (0.5, 0.2)] {
            let fp = rectangle(lat, 7.0, half_lat, half_lng);
            let (bound, exact) = (bounds_area_m2(&fp.bounds()), fp.area_m2());
            assert!(bound >= exact, "lat {lat} {half_lat}x{half_lng}: {bound} < {exact}");
            assert!(bound < 1.05 * exact, "lat {lat} {half_lat}x{half_lng}: {bound} is loose for {exact}");
        }
    }
}

#[test]
fn the_quick_area_bound_never_hides_an_area_over_the_limit() {
    // Footprints just under and over 2,500 km², at several latitudes: the
    // decision must follow the exact area, whatever the shortcut does.
    let e = engine();
    for lat in [0.0, 30.0, 60.0] {
        for (half_km, over) in [(24.5, false), (25.5, true)] {
            let half_lat = half_km / 111.0;
            let area = volume(square(lat, 7.0, half_lat), (0.0, 100.0), T0, T0 + HOUR);
            let exact = area.footprint().area_m2();
            let r = e.engine().query_intents(&ctx("bob"), &area);
            assert_eq!(
                matches!(r, Err(EngineError::AreaTooLarge { .. })),
                exact > Limits::default().max_area_m2,
                "lat {lat} half {half_km} km: exact {exact} m², {r:?} (expected over: {over})"
            );
        }
    }
}

#[test]
fn holding_quotas_bound_creates_not_updates() {
    let quotas = crate::quota::Quotas { operations: 2, constraints: 1, ..Default::default() };
    let e = App::new(Arc::new(MemoryStore::new()), Limits { quotas, ..Limits::default() });
    let a = file(&e, "alice", 46.0);
    file(&e, "alice", 46.5);
    let err = e.put_intent(&ctx("alice"), EntityId::random(), None, &put(47.0, "alice")).unwrap_err();
    assert!(
        matches!(err, EngineError::QuotaExceeded { quota: crate::quota::Quota::Operations, .. }),
        "{err:?}"
    );
    assert_eq!(e.engine().counts().unwrap().intents, 2, "nothing written");
    // An update of one it holds is not a new one; another party has its own quota.
    let id = a.intent.intent.id;
    e.put_intent(&ctx("alice"), id, Some(&a.intent.intent.ovn), &put(46.0, "alice")).unwrap();
    file(&e, "bob", 48.0);
    // Once one has ended, there is room again.
    let later = Ctx::new(manager("alice"), Time::from_micros(T0 + HOUR));
    let mut p = put(47.0, "alice");
    p.extents = vec![volume(square(47.0, 7.0, 0.01), (0.0, 120.0), T0 + HOUR, T0 + 2 * HOUR)];
    e.put_intent(&later, EntityId::random(), None, &p).unwrap();
    // Constraints likewise.
    let c = |lat| crate::engine::PutConstraint {
        extents: vec![volume(square(lat, 8.0, 0.01), (0.0, 120.0), T0, T0 + HOUR)],
        uss_base_url: crate::testsuite::url("alice.example"),
    };
    e.engine().put_constraint(&ctx("alice"), EntityId::random(), None, &c(46.0)).unwrap();
    assert!(matches!(
        e.engine().put_constraint(&ctx("alice"), EntityId::random(), None, &c(47.0)),
        Err(EngineError::QuotaExceeded { quota: crate::quota::Quota::Constraints, .. })
    ));
}

/// The delete rule shared with intents holds for constraints too: only the
/// owner, only with the current OVN, and a deleted constraint is gone.
#[test]
fn a_constraint_is_deleted_only_by_its_owner_with_its_current_ovn() {
    let e = engine();
    let area = vec![volume(square(46.0, 7.0, 0.01), (0.0, 120.0), T0, T0 + HOUR)];
    let p = crate::engine::PutConstraint { extents: area, uss_base_url: url("alice.example") };
    let id = EntityId::random();
    let c = e.engine().put_constraint(&ctx("alice"), id, None, &p).unwrap().constraint.constraint;
    let theft = e.engine().delete_constraint(&ctx("mallory"), id, &c.ovn);
    assert!(matches!(theft, Err(EngineError::Forbidden(_))), "{theft:?}");
    let updated =
        e.engine().put_constraint(&ctx("alice"), id, Some(&c.ovn), &p).unwrap().constraint.constraint;
    let stale = e.engine().delete_constraint(&ctx("alice"), id, &c.ovn);
    assert!(matches!(stale, Err(EngineError::Stale(_))), "{stale:?}");
    let gone = e.engine().delete_constraint(&ctx("alice"), id, &updated.ovn).unwrap();
    assert_eq!(gone.constraint.constraint.id, id);
    let read = e.engine().constraint(id);
    assert!(matches!(read, Err(EngineError::NotFound(_))), "{read:?}");
}
