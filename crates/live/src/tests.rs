//! The live service driven by a manual clock, without HTTP: the lifecycle on
//! scripted sequences (blips, missed reports, clearing), need-to-know and
//! same-party conflicts, the audit record and thread of a new cross-party
//! alert, and which replica records it.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use deconflict_core::coord::{LineId, LineSpec, Party, Policy};
use deconflict_core::events::EventKind;
use deconflict_core::{App, Ctx, Limits, MemoryStore, PartyName, Role, Roles, TxMode};
use tactical::{
    Altitude, DegreesTrue, FeetPerMinute, Knots, PartyId, Position, Severity, Timestamp, TrackId, TrackState,
};

use crate::{AlertEvent, Clock, EndReason, LiveConfig, LiveService};

const T0: i64 = 1_700_000_000_000_000;

fn service(config: LiveConfig) -> (LiveService, Clock) {
    let clock = Clock::manual(T0);
    let app = App::new(Arc::new(MemoryStore::new()), Limits::default());
    (LiveService::new(config, app, clock.clone()), clock)
}

fn state(clock: &Clock, lat: f64, lon: f64, trk: f64) -> TrackState {
    TrackState {
        id: TrackId(0),
        party: PartyId(0),
        time: Timestamp::from_micros(clock.now().as_micros()),
        position: Position::new(lat, lon).unwrap(),
        altitude: Altitude::pressure_ft(30_000.0),
        ground_speed: Knots(400.0),
        track_angle: DegreesTrue(trk),
        vertical_rate: FeetPerMinute(0.0),
        intent: None,
        callsign: None,
        on_ground: false,
    }
}

fn party(live: &LiveService, name: &str) -> PartyId {
    live.party(&PartyName::new(name).unwrap())
}

/// Head-on at FL300, 0.5° of longitude apart: `a` flies east, `b` west.
fn head_on(live: &LiveService, clock: &Clock, a: (PartyId, &str), b: (PartyId, &str)) {
    live.ingest(a.0, [(a.1.to_owned(), state(clock, 46.0, 7.0, 90.0))]);
    live.ingest(b.0, [(b.1.to_owned(), state(clock, 46.0, 7.5, 270.0))]);
}

fn step(clock: &Clock, secs: u64) {
    clock.advance(Duration::from_secs(secs));
}

#[tokio::test]
async fn a_blip_is_never_confirmed_and_missed_reports_never_flicker() {
    let (live, clock) = service(LiveConfig::default());
    let (alice, bob) = (party(&live, "alice"), party(&live, "bob"));
    head_on(&live, &clock, (alice, "A1"), (bob, "B1"));
    // One report each, rescanned for 10 s: a blip, never confirmed.
    for _ in 0..10 {
        let (s, events) = live.scan_collect().await;
        assert_eq!(s.conflicts, 1);
        assert!(events.is_empty(), "{events:?}");
        step(&clock, 1);
    }
    // A second report of each, 10 s on: confirmed.
    head_on(&live, &clock, (alice, "A1"), (bob, "B1"));
    let (_, events) = live.scan_collect().await;
    let [AlertEvent::New(a)] = events.as_slice() else { panic!("{events:?}") };
    let los = a.los().unwrap();
    assert!(los.time_to_los_s > 30.0 && los.time_to_los_s < 120.0, "{los:?}");
    assert_eq!(los.severity, Severity::Imminent);
    let [Some(pa), Some(pb)] = los.cpa else { panic!("{los:?}") };
    // They meet in the middle, about 7.25° E.
    assert!(
        (pa.position.lon_deg() - 7.25).abs() < 0.02 && (pb.position.lon_deg() - 7.25).abs() < 0.02,
        "{los:?}"
    );
    assert_eq!(a.recipients, [alice, bob]);
    assert!(live.may_see(&events[0], alice, None) && live.may_see(&events[0], bob, None));
    assert!(!live.may_see(&events[0], party(&live, "carol"), Some(true)));

    // No report for 15 s (missed reports, tracks still live): ongoing, never ended.
    for _ in 0..15 {
        step(&clock, 1);
        let (_, events) = live.scan_collect().await;
        assert!(events.iter().all(|e| matches!(e, AlertEvent::Ongoing(_))), "{events:?}");
    }
    assert_eq!(live.alerts_for(alice, None).len(), 1);

    // They turn away; the alert ends once reports 20 s newer than the last
    // predicting ones no longer predict it, with the same id.
    live.ingest(alice, [("A1".to_owned(), state(&clock, 46.0, 7.0, 270.0))]);
    live.ingest(bob, [("B1".to_owned(), state(&clock, 46.0, 7.5, 90.0))]);
    let (_, events) = live.scan_collect().await;
    assert!(events.is_empty(), "{events:?}");
    step(&clock, 21);
    live.ingest(alice, [("A1".to_owned(), state(&clock, 46.0, 6.9, 270.0))]);
    let (_, events) = live.scan_collect().await;
    let [AlertEvent::Ended { alert, reason: EndReason::Cleared }] = events.as_slice() else {
        panic!("{events:?}")
    };
    assert_eq!(alert.id, a.id);
    assert!(live.alerts_for(alice, None).is_empty());
}

#[tokio::test]
async fn own_conflicts_are_shown_to_their_owner_only_unless_turned_off() {
    let hide = PartyName::new("quiet").unwrap();
    let config = LiveConfig { hide_own_conflicts: [hide.clone()].into(), ..LiveConfig::default() };
    let (live, clock) = service(config);
    let (radar, quiet, bob) = (party(&live, "radar"), live.party(&hide), party(&live, "bob"));
    for _ in 0..2 {
        head_on(&live, &clock, (radar, "R1"), (radar, "R2"));
        live.ingest(quiet, [("Q1".to_owned(), state(&clock, 40.0, 0.0, 90.0))]);
        live.ingest(quiet, [("Q2".to_owned(), state(&clock, 40.0, 0.5, 270.0))]);
        live.scan_once().await;
        step(&clock, 5);
    }
    let own = live.alerts_for(radar, None);
    assert_eq!(own.len(), 1, "a single-receiver party sees its own conflicts by default");
    assert!(own[0].alert().same_party);
    assert!(live.alerts_for(radar, Some(false)).is_empty(), "asked not to");
    assert!(live.alerts_for(bob, Some(true)).is_empty(), "never someone else's");
    assert!(live.alerts_for(quiet, None).is_empty(), "turned off by its setting");
    assert_eq!(live.alerts_for(quiet, Some(true)).len(), 1, "unless it asks");
}

fn unsealed(app: &App) -> Vec<(Option<EventKind>, Vec<String>, String)> {
    let mut tx = app.runner().store().begin(TxMode::Read).unwrap();
    tx.unsealed_events(10_000)
        .unwrap()
        .into_iter()
        .map(|p| (p.event.event_kind(), p.event.parties, p.event.payload))
        .collect()
}

/// Parties `a` and `b` on line `ab` between them: their track parties.
fn on_a_line(live: &LiveService, a: &str, b: &str) -> (PartyId, PartyId) {
    let app = live.app();
    let admin = Ctx::new(PartyName::new("admin").unwrap(), geom::Time::from_micros(T0))
        .with_roles(Roles::NONE.with(Role::Operator));
    let (a, b) = (PartyName::new(a).unwrap(), PartyName::new(b).unwrap());
    for p in [&a, &b] {
        let party = Party {
            name: p.clone(),
            display_name: p.to_string(),
            webhook_url: None,
            updated_at: geom::Time::from_micros(0),
        };
        app.coord().put_party(&admin, party).unwrap();
    }
    let spec =
        LineSpec { name: "line".into(), parties: vec![a.clone(), b.clone()], policy: Policy::default() };
    app.coord().put_line(&admin, &LineId::parse("ab").unwrap(), &spec).unwrap();
    (live.party(&a), live.party(&b))
}

#[tokio::test]
async fn a_new_cross_party_alert_is_recorded_once_with_its_thread() {
    let (live, clock) = service(LiveConfig::default());
    let (alice, bob) = on_a_line(&live, "alice", "bob");
    for _ in 0..2 {
        head_on(&live, &clock, (alice, "A1"), (bob, "B1"));
        live.scan_once().await;
        step(&clock, 5);
    }
    for _ in 0..3 {
        live.scan_once().await; // ongoing: nothing more recorded
        step(&clock, 1);
    }
    let events = unsealed(live.app());
    let raised: Vec<_> = events.iter().filter(|e| e.0 == Some(EventKind::AlertRaised)).collect();
    assert_eq!(raised.len(), 1, "{events:?}");
    assert_eq!(raised[0].1, ["alice", "bob"]);
    assert!(
        raised[0].2.contains("\"severity\":\"imminent\"") && raised[0].2.contains("\"A1\""),
        "{}",
        raised[0].2
    );
    let sent: Vec<_> = events.iter().filter(|e| e.0 == Some(EventKind::MessageSent)).collect();
    assert_eq!(sent.len(), 1, "one thread message: {events:?}");
    assert!(sent[0].2.contains("LOSS OF SEPARATION"), "{}", sent[0].2);
}

#[tokio::test]
async fn the_replica_that_received_the_first_track_records_the_alert() {
    // Here alice's A1 (the pair's first track by owner) came from another
    // replica: this one raises the alert but leaves the record to that one.
    let (live, clock) = service(LiveConfig::default());
    let (alice, bob) = on_a_line(&live, "alice", "bob");
    for _ in 0..2 {
        live.ingest_remote(alice, [("A1".to_owned(), state(&clock, 46.0, 7.0, 90.0))]);
        live.ingest(bob, [("B1".to_owned(), state(&clock, 46.0, 7.5, 270.0))]);
        live.scan_once().await;
        step(&clock, 5);
    }
    assert_eq!(live.alerts_for(bob, None).len(), 1);
    let kinds: Vec<Option<EventKind>> = unsealed(live.app()).into_iter().map(|e| e.0).collect();
    assert!(
        !kinds.iter().any(|k| matches!(k, Some(EventKind::AlertRaised | EventKind::MessageSent))),
        "{kinds:?}"
    );
}

#[tokio::test]
async fn expired_tracks_end_their_alerts_and_their_names() {
    let (live, clock) = service(LiveConfig::default());
    let (alice, bob) = (party(&live, "alice"), party(&live, "bob"));
    for _ in 0..2 {
        head_on(&live, &clock, (alice, "A1"), (bob, "B1"));
        live.scan_once().await;
        step(&clock, 5);
    }
    assert_eq!(live.track_count(), 2);
    step(&clock, 61);
    let (s, events) = live.scan_collect().await;
    assert_eq!(s.expired, 2);
    let [AlertEvent::Ended { reason: EndReason::TrackExpired, .. }] = events.as_slice() else {
        panic!("{events:?}")
    };
    assert!(live.tracks_of(alice).is_empty());
}

#[tokio::test]
async fn tracks_are_counted_by_the_source_of_their_latest_report() {
    use crate::source::{SourceKind, SourceSpec};
    let config = LiveConfig {
        sources: vec![
            SourceSpec::parse(SourceKind::SbsListen, "127.0.0.1:0=radar").unwrap(),
            SourceSpec::parse(SourceKind::BeastListen, "127.0.0.1:0=radar").unwrap(),
        ],
        ..LiveConfig::default()
    };
    let (live, clock) = service(config);
    let sources = live.sources();
    let (sbs, beast) = (sources[0].origin().clone(), sources[1].origin().clone());
    let radar = party(&live, "radar");
    live.ingest_via(radar, &sbs, [("R1".to_owned(), state(&clock, 46.0, 7.0, 90.0))]);
    live.ingest_via(radar, &sbs, [("R2".to_owned(), state(&clock, 46.0, 8.0, 90.0))]);
    live.ingest(radar, [("A1".to_owned(), state(&clock, 47.0, 7.0, 90.0))]);
    let counts = |live: &LiveService| live.tracks_by_origin().into_iter().collect::<Vec<_>>();
    let by = |label: &str, n: usize| (label.to_owned(), n);
    assert_eq!(counts(&live), vec![by(&sbs, 2), by(&beast, 0), by("api", 1), by("exchange", 0)]);
    // A track's latest report decides: R2 now comes through the API, A1 from another replica.
    step(&clock, 1);
    live.ingest(radar, [("R2".to_owned(), state(&clock, 46.0, 8.01, 90.0))]);
    live.ingest_remote(radar, [("A1".to_owned(), state(&clock, 47.0, 7.01, 90.0))]);
    assert_eq!(counts(&live), vec![by(&sbs, 1), by(&beast, 0), by("api", 1), by("exchange", 1)]);
    // Expired tracks leave every count.
    step(&clock, 120);
    live.scan_once().await;
    assert_eq!(live.track_count(), 0);
    assert_eq!(counts(&live), vec![by(&sbs, 0), by(&beast, 0), by("api", 0), by("exchange", 0)]);
}
