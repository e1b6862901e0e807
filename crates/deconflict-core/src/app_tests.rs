//! The application layer on the memory store, watched through a wrapper that
//! logs each transaction begun and can refuse write transactions on demand.
#![allow(clippy::unwrap_used)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use geom::Time;

use super::*;
use crate::coord::kind;
use crate::events::EventKind;
use crate::memory::MemoryStore;
use crate::records::RecordKey;
use crate::store::{StoreError, Tx, TxMode};
use crate::testsuite::{HOUR, T0, manager, square, volume};

/// The memory store, logging the mode of every transaction begun; while
/// `fail_writes` is set, a write transaction ([`TxMode::Write`], not an area
/// write) cannot begin.
#[derive(Debug, Default)]
struct Watched {
    inner: MemoryStore,
    begun: Mutex<Vec<TxMode>>,
    fail_writes: AtomicBool,
}

impl Watched {
    /// The modes begun since the last call.
    fn take_begun(&self) -> Vec<TxMode> {
        std::mem::take(&mut *self.begun.lock().unwrap())
    }

    fn records(&self, kind: &str) -> usize {
        let mut tx = self.inner.begin(TxMode::Read).unwrap();
        tx.records_by(kind, RecordKey::All, 100).unwrap().len()
    }

    fn event_kinds(&self) -> Vec<EventKind> {
        let mut tx = self.inner.begin(TxMode::Read).unwrap();
        tx.unsealed_events(1000).unwrap().iter().map(|p| p.event.event_kind().unwrap()).collect()
    }
}

impl Store for Watched {
    fn begin(&self, mode: TxMode) -> Result<Box<dyn Tx + '_>, StoreError> {
        self.begun.lock().unwrap().push(mode);
        if mode == TxMode::Write && self.fail_writes.load(Ordering::SeqCst) {
            return Err(StoreError::unavailable("injected by the test"));
        }
        self.inner.begin(mode)
    }

    fn kind(&self) -> &'static str {
        "memory (watched)"
    }
}

fn at(who: &str) -> Ctx {
    Ctx::new(manager(who), Time::from_micros(T0))
}

fn put(lat: f64, who: &str) -> PutIntent {
    crate::testsuite::put_params(who, vec![volume(square(lat, 7.0, 0.01), (0.0, 120.0), T0, T0 + HOUR)])
}

/// Alpha and bravo on line `ab`; alpha's intent filed: the store, the app
/// and that intent's id.
fn alpha_on_a_line_with_bravo() -> (Arc<Watched>, App, EntityId) {
    let store = Arc::new(Watched::default());
    let app = App::new(store.clone(), Limits::default());
    let operator = at("admin").with_roles(crate::Roles::NONE.with(crate::Role::Operator));
    crate::testsuite::alpha_and_bravo_on_line_ab(&app, &operator);
    let id = EntityId::random();
    app.put_intent(&at("alpha"), id, None, &put(46.0, "alpha")).unwrap();
    (store, app, id)
}

#[test]
fn a_new_intent_and_its_notices_are_one_transaction() {
    let (store, app, alpha_id) = alpha_on_a_line_with_bravo();
    let notices = app.coord().notices(&at("bravo")).unwrap();
    assert_eq!(notices.received.iter().map(|n| n.intent_id).collect::<Vec<_>>(), [alpha_id]);
    store.take_begun();
    let id = EntityId::random();
    app.put_intent(&at("alpha"), id, None, &put(48.0, "alpha")).unwrap();
    assert_eq!(store.take_begun(), [TxMode::AreaWrite], "one area write files the intent and its notice");
    let notices = app.coord().notices(&at("bravo")).unwrap();
    assert!(notices.received.iter().any(|n| n.intent_id == id));
    assert_eq!(store.event_kinds().iter().filter(|k| **k == EventKind::NoticeFiled).count(), 2);
}

#[test]
fn a_refusal_is_recorded_with_its_thread_in_a_transaction_of_its_own() {
    let (store, app, alpha_id) = alpha_on_a_line_with_bravo();
    store.take_begun();
    let before = store.event_kinds().len();
    let bravo_id = EntityId::random();
    let err = app.put_intent(&at("bravo"), bravo_id, None, &put(46.005, "bravo")).unwrap_err();
    let EngineError::MissingKeys(conflict) = err else { panic!("expected the 409, got {err:?}") };
    assert_eq!(conflict.missing_intents[0].intent.id, alpha_id);
    // The refused area write rolled back; the record is one write after it.
    assert_eq!(store.take_begun(), [TxMode::AreaWrite, TxMode::Write]);
    let appended = store.event_kinds().split_off(before);
    assert_eq!(appended, [EventKind::IntentRefusedMissingKey, EventKind::MessageSent]);
    assert_eq!(store.records(kind::CONFLICT_THREAD), 1, "the thread on line ab");
    assert_eq!(store.records(kind::MESSAGE), 1, "its first message");
    assert!(matches!(app.engine().intent(bravo_id), Err(EngineError::NotFound(_))));
}

#[test]
fn a_refusal_whose_record_fails_returns_that_failure_and_writes_nothing() {
    let (store, app, _) = alpha_on_a_line_with_bravo();
    let before = store.event_kinds();
    store.fail_writes.store(true, Ordering::SeqCst);
    let err = app.put_intent(&at("bravo"), EntityId::random(), None, &put(46.005, "bravo")).unwrap_err();
    assert!(matches!(err, EngineError::Store(StoreError::Unavailable { .. })), "not the 409: {err:?}");
    store.fail_writes.store(false, Ordering::SeqCst);
    assert_eq!(store.event_kinds(), before, "no refusal event");
    assert_eq!(store.records(kind::CONFLICT_THREAD), 0);
    assert_eq!(store.records(kind::MESSAGE), 0);
    // Once the store writes again, the same refusal is answered and recorded.
    let err = app.put_intent(&at("bravo"), EntityId::random(), None, &put(46.005, "bravo")).unwrap_err();
    assert!(matches!(err, EngineError::MissingKeys(_)), "{err:?}");
    assert_eq!(store.records(kind::CONFLICT_THREAD), 1);
}
