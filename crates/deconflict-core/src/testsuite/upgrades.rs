//! Checks of stores upgraded from an older schema: what the backend's test
//! wrote with the old SQL is kept and the newer tables work. Each backend
//! prepares the old schema itself and then calls these.

use geom::Time;

use super::*;
use crate::records::{Record, RecordKey};
use crate::store::{Store, TxMode};

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

/// A store upgraded from schema version 4 (before the cell locks) kept the
/// record a backend's test wrote with the SQL of version 4 (`line` `l4`,
/// body `{"v":4}`), and area writes work.
pub fn upgraded_from_version_4(store: &dyn Store) {
    let mut tx = store.begin(TxMode::Read).expect("begin");
    assert_eq!(tx.record("line", "l4").expect("get").map(|r| r.body), Some("{\"v\":4}".to_owned()));
    drop(tx);
    area_writes_lock_and_bump(store);
}
