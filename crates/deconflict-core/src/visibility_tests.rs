#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use geom::Footprint;

use super::*;
use crate::engine::{Limits, PutIntent, PutSubscription, SubscriptionChoice};
use crate::ids::{Ovn, SubscriptionId};
use crate::memory::MemoryStore;
use crate::testsuite::{HOUR, T0, manager, square, url, volume};

fn engine() -> Engine {
    Engine::new(Arc::new(MemoryStore::new()), Limits::default())
}

fn ctx(who: &str) -> Ctx {
    Ctx::new(manager(who), Time::from_micros(T0))
}

fn file(e: &Engine, who: &str, v: Volume4D, key: Vec<Ovn>) -> OperationalIntent {
    let p = PutIntent { key, ..crate::testsuite::put_params(who, vec![v]) };
    e.put_intent(&ctx(who), EntityId::random(), None, &p).unwrap().intent.intent
}

fn subscribe(e: &Engine, who: &str, footprint: Footprint, alt: (f64, f64)) {
    let p = PutSubscription {
        footprint,
        altitude: AltitudeRange::new(alt.0, alt.1).unwrap(),
        start: Some(Time::from_micros(T0)),
        end: Some(Time::from_micros(T0 + 3 * HOUR)),
        uss_base_url: url(&format!("{who}.example")),
        notify_for_intents: true,
        notify_for_constraints: false,
    };
    e.put_subscription(&ctx(who), SubscriptionId::random(), None, &p).unwrap();
}

fn details(purpose: &str, contact: &str) -> IntentDetails {
    IntentDetails { purpose: purpose.into(), contact: contact.into() }
}

fn everywhere() -> Vec<Volume4D> {
    vec![volume(square(46.0, 7.0, 0.2), (-100.0, 5000.0), T0, T0 + 10 * HOUR)]
}

fn query(e: &Engine, who: &str) -> Vec<VisibleOperation> {
    query_operations(e, &ctx(who), &everywhere()).unwrap()
}

fn area_of(parts: &[VisiblePart]) -> f64 {
    parts
        .iter()
        .flat_map(|p| &p.polygons)
        .map(|r| Footprint::Polygon(geom::Polygon::new(r.clone()).unwrap()).area_m2())
        .sum()
}

fn box_area(lat0: f64, lng0: f64, lat1: f64, lng1: f64) -> f64 {
    let p = |a: f64, b: f64| LatLng::new(a, b).unwrap();
    let ring = vec![p(lat0, lng0), p(lat0, lng1), p(lat1, lng1), p(lat1, lng0)];
    Footprint::Polygon(geom::Polygon::new(ring).unwrap()).area_m2()
}

/// A and B overlap (A: 46.00±0.01, B: 46.01±0.01 → overlap band
/// 46.00..46.01); C is far away with a subscription over A's south-west.
struct World {
    e: Engine,
    a: OperationalIntent,
    b: OperationalIntent,
    c: OperationalIntent,
}

fn world() -> World {
    let e = engine();
    let a = file(&e, "alice", volume(square(46.0, 7.0, 0.01), (0.0, 120.0), T0, T0 + 2 * HOUR), vec![]);
    let b = file(
        &e,
        "bob",
        volume(square(46.01, 7.0, 0.01), (100.0, 300.0), T0 + HOUR, T0 + 3 * HOUR),
        vec![a.ovn.clone()],
    );
    let c = file(&e, "carol", volume(square(46.15, 7.15, 0.01), (0.0, 120.0), T0, T0 + 2 * HOUR), vec![]);
    subscribe(&e, "carol", square(45.995, 6.995, 0.004), (50.0, 60.0));
    for (who, oi) in [("alice", &a), ("bob", &b), ("carol", &c)] {
        set_details(
            &e,
            &ctx(who),
            oi.id,
            &details(&format!("{who}'s secret purpose"), &format!("tel:{who}")),
        )
        .unwrap();
    }
    World { e, a, b, c }
}

#[test]
fn own_operations_in_full() {
    let w = world();
    for (who, oi) in [("alice", &w.a), ("bob", &w.b), ("carol", &w.c)] {
        let seen = query(&w.e, who);
        let own: Vec<_> = seen.iter().filter(|v| v.own()).collect();
        assert_eq!(own.len(), 1, "{who}");
        assert_eq!(own[0].id, oi.id);
        assert_eq!(own[0].contact.as_deref(), Some(format!("tel:{who}").as_str()));
        let View::Own { volumes, purpose } = &own[0].view else { panic!() };
        assert_eq!(volumes, &oi.extents);
        assert_eq!(purpose.as_deref(), Some(format!("{who}'s secret purpose").as_str()));
        assert_eq!(operation(&w.e, &ctx(who), oi.id).unwrap(), *own[0]);
    }
}

#[test]
fn the_three_party_matrix() {
    let w = world();
    // Alice sees Bob's operation only where it overlaps hers.
    let seen = query(&w.e, "alice");
    assert_eq!(seen.iter().map(|v| v.id).collect::<Vec<_>>().len(), 2);
    let bob = seen.iter().find(|v| v.id == w.b.id).unwrap();
    assert_eq!(bob.party, manager("bob"));
    assert_eq!(bob.contact.as_deref(), Some("tel:bob"));
    let View::Other { parts } = &bob.view else { panic!("expected parts") };
    assert_eq!(parts.len(), 1);
    assert_eq!(parts[0].altitude, AltitudeRange::new(100.0, 120.0).unwrap());
    assert_eq!(
        parts[0].time,
        TimeWindow::new(Time::from_micros(T0 + HOUR), Time::from_micros(T0 + 2 * HOUR)).unwrap()
    );
    let overlap = box_area(46.0, 6.99, 46.01, 7.01);
    let got = area_of(parts);
    assert!((got - overlap).abs() / overlap < 1e-6, "{got} vs {overlap}");
    assert!(seen.iter().all(|v| v.id != w.c.id), "alice sees nothing of carol");
    assert_eq!(operation(&w.e, &ctx("alice"), w.b.id).unwrap(), *bob);

    // Bob symmetrically sees Alice's overlap part.
    let seen = query(&w.e, "bob");
    let alice = seen.iter().find(|v| v.id == w.a.id).unwrap();
    let View::Other { parts } = &alice.view else { panic!() };
    assert!((area_of(parts) - overlap).abs() / overlap < 1e-6);
    assert!(seen.iter().all(|v| v.id != w.c.id));

    // Carol sees nothing of Bob nor of Alice: her subscription over Alice's
    // south-west corner tells her of changes there, it shows no geometry.
    let seen = query(&w.e, "carol");
    assert_eq!(seen.iter().map(|v| v.id).collect::<Vec<_>>(), vec![w.c.id]);
    assert!(matches!(operation(&w.e, &ctx("carol"), w.b.id), Err(EngineError::NotFound(_))));
    assert!(matches!(operation(&w.e, &ctx("carol"), w.a.id), Err(EngineError::NotFound(_))));
}

#[test]
fn a_constraint_the_party_manages_shows_what_it_covers() {
    let w = world();
    // Carol restricts a 0.008° square inside Alice's, 50–60 m.
    let corner = volume(square(45.995, 6.995, 0.004), (50.0, 60.0), T0, T0 + 3 * HOUR);
    let p = crate::engine::PutConstraint { extents: vec![corner], uss_base_url: url("carol.example") };
    w.e.put_constraint(&ctx("carol"), EntityId::random(), None, &p).unwrap();
    let seen = query(&w.e, "carol");
    assert!(seen.iter().all(|v| v.id != w.b.id));
    let alice = seen.iter().find(|v| v.id == w.a.id).unwrap();
    assert_eq!(alice.contact.as_deref(), Some("tel:alice"));
    let View::Other { parts } = &alice.view else { panic!() };
    assert_eq!(parts.len(), 1);
    assert_eq!(parts[0].altitude, AltitudeRange::new(50.0, 60.0).unwrap());
    assert_eq!(parts[0].time, *w.a.extents[0].time());
    let corner_area = square(45.995, 6.995, 0.004).area_m2();
    assert!((area_of(parts) - corner_area).abs() / corner_area < 1e-6);
    assert_eq!(operation(&w.e, &ctx("carol"), w.a.id).unwrap(), *alice);
}

#[test]
fn invisible_is_indistinguishable_from_missing() {
    let w = world();
    let hidden = operation(&w.e, &ctx("alice"), w.c.id).unwrap_err().to_string();
    let missing_id = EntityId::random();
    let missing = operation(&w.e, &ctx("alice"), missing_id).unwrap_err().to_string();
    assert_eq!(hidden.replace(&w.c.id.to_string(), "X"), missing.replace(&missing_id.to_string(), "X"));
}

#[test]
fn details_are_owner_only_and_bounded() {
    let w = world();
    let r = set_details(&w.e, &ctx("bob"), w.a.id, &details("x", "y"));
    assert!(matches!(r, Err(EngineError::Forbidden(_))), "{r:?}");
    let r = set_details(&w.e, &ctx("bob"), EntityId::random(), &details("x", "y"));
    assert!(matches!(r, Err(EngineError::NotFound(_))), "{r:?}");
    let long = "é".repeat(MAX_PURPOSE_BYTES / 2 + 1);
    let r = set_details(&w.e, &ctx("alice"), w.a.id, &details(&long, "y"));
    assert!(matches!(r, Err(EngineError::BadRequest(_))), "{r:?}");
    let ok = "é".repeat(MAX_CONTACT_CHARS);
    set_details(&w.e, &ctx("alice"), w.a.id, &details("", &ok)).unwrap();
    let r = set_details(&w.e, &ctx("alice"), w.a.id, &details("", &format!("{ok}x")));
    assert!(matches!(r, Err(EngineError::BadRequest(_))), "{r:?}");
    let r = set_details(&w.e, &ctx("alice"), w.a.id, &details("", "a\nb"));
    assert!(matches!(r, Err(EngineError::BadRequest(_))), "{r:?}");
    // The event is the owner's only, and carries no text.
    let mut tx = w.e.store().begin(TxMode::Read).unwrap();
    let events = tx.unsealed_events(1000).unwrap();
    let set: Vec<_> = events
        .iter()
        .filter(|p| p.event.event_kind() == Some(crate::events::EventKind::IntentDetailsSet))
        .collect();
    assert_eq!(set.len(), 4);
    for p in set {
        assert_eq!(p.event.parties, vec![p.event.actor.clone()]);
        assert!(!p.event.payload.contains("purpose") && !p.event.payload.contains("tel:"));
    }
}

#[test]
fn details_do_not_survive_a_new_incarnation() {
    let e = engine();
    let v = volume(square(46.0, 7.0, 0.01), (0.0, 120.0), T0, T0 + 2 * HOUR);
    let a = file(&e, "alice", v.clone(), vec![]);
    set_details(&e, &ctx("alice"), a.id, &details("secret", "tel:alice")).unwrap();
    e.delete_intent(&ctx("alice"), a.id, &a.ovn).unwrap();
    let p = PutIntent {
        extents: vec![v],
        key: vec![],
        state: IntentState::Accepted,
        uss_base_url: url("mallory.example"),
        subscription: SubscriptionChoice::None,
        requested_ovn_suffix: None,
    };
    e.put_intent(&ctx("mallory"), a.id, None, &p).unwrap();
    let seen = operation(&e, &ctx("mallory"), a.id).unwrap();
    assert_eq!(seen.contact, None);
    assert_eq!(seen.view, View::Own { volumes: p.extents, purpose: None });
}

#[test]
fn ended_and_disjoint_in_time_are_invisible() {
    let e = engine();
    let a = file(&e, "alice", volume(square(46.0, 7.0, 0.01), (0.0, 120.0), T0, T0 + HOUR), vec![]);
    // Same place, later: no time overlap, so no need to know.
    let b = file(&e, "bob", volume(square(46.0, 7.0, 0.01), (0.0, 120.0), T0 + HOUR, T0 + 2 * HOUR), vec![]);
    assert!(query(&e, "alice").iter().all(|v| v.id != b.id));
    assert!(matches!(operation(&e, &ctx("alice"), b.id), Err(EngineError::NotFound(_))));
    // Once Alice's operation has ended, nothing grants her a view either.
    let later = Ctx::new(manager("alice"), Time::from_micros(T0 + HOUR + 1));
    assert!(matches!(operation(&e, &later, b.id), Err(EngineError::NotFound(_))));
    assert!(operation(&e, &later, a.id).is_ok(), "own, even ended");
}

#[test]
fn implicit_subscriptions_do_not_widen_the_view() {
    let e = engine();
    let a = file(&e, "alice", volume(square(46.0, 7.0, 0.01), (0.0, 120.0), T0, T0 + HOUR), vec![]);
    let b =
        file(&e, "bob", volume(square(46.0, 7.0, 0.01), (0.0, 120.0), T0, T0 + HOUR), vec![a.ovn.clone()]);
    // One part (Alice's intent), not two (its implicit subscription too).
    let seen = operation(&e, &ctx("alice"), b.id).unwrap();
    let View::Other { parts } = seen.view else { panic!() };
    assert_eq!(parts.len(), 1);
    assert_eq!(seen.contact, None);
}

#[test]
fn empty_or_huge_areas_are_refused() {
    let e = engine();
    assert!(matches!(query_operations(&e, &ctx("alice"), &[]), Err(EngineError::BadRequest(_))));
    let huge = vec![volume(square(46.0, 7.0, 5.0), (0.0, 120.0), T0, T0 + HOUR)];
    assert!(matches!(query_operations(&e, &ctx("alice"), &huge), Err(EngineError::AreaTooLarge { .. })));
}
