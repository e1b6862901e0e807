//! The event log and the audit log built from it, beyond the shared
//! conformance checks: the guards of `seal_event`, writes refused in a read
//! transaction, the query plans, and sealers racing appenders on two stores
//! over one file.

use deconflict_core::testsuite::{self, AfterRetry, T0, new_event, record};
use deconflict_core::{Store, TxMode};
use geom::Time;
use store_sqlite::SqliteStore;

use crate::fresh_store;

/// A refused statement does not end the transaction, as in the memory store.
#[test]
fn seal_event_guards() {
    let store = fresh_store();
    testsuite::seal_event_guards(&*store, AfterRetry::GoesOn);
}

#[test]
fn writes_in_a_read_transaction_are_refused() {
    let store = fresh_store();
    let mut tx = store.begin(TxMode::Read).expect("begin");
    assert!(tx.append_event(&new_event(9, None, &[], "{}")).is_err());
    assert!(tx.acquire_lease("x", "a", Time::from_micros(T0), 1).is_err());
    assert!(tx.put_record(&record("k", "new", None, None, None)).is_err());
    assert!(tx.delete_record("k", "a").is_err());
}

/// A batch of seals: every event, and the refusals of `seal_event`.
#[test]
fn seal_events_batches() {
    let store = fresh_store();
    testsuite::seal_events_batches(&*store);
}

#[test]
fn event_queries_are_index_scans() {
    let store = fresh_store();
    for (sql, column) in [
        ("SELECT id, payload FROM events WHERE audit_seq IS NULL ORDER BY id LIMIT 10", "audit_seq=?"),
        (
            "SELECT audit_seq, payload FROM events WHERE audit_seq > 3 ORDER BY audit_seq LIMIT 10",
            "audit_seq>?",
        ),
        ("SELECT seq, hash FROM audit_checkpoints WHERE seq > 3 ORDER BY seq", "rowid>?"),
    ] {
        let p = store.query_plan(sql);
        assert!(p.starts_with("SEARCH "), "{sql}: {p}");
        // The pending scan may use either index: both hold the pending rows in
        // id order (NULLs of the UNIQUE index are ordered by rowid).
        assert!(p.contains(column) || p.contains("events_unsealed"), "{sql}: {p}");
        assert!(!p.contains("TEMP B-TREE"), "{sql}: no sort: {p}");
    }
}

/// Appenders and sealers on several threads, through two stores over one
/// file (two processes would be no different).
#[test]
fn sealers_racing_appenders_seal_every_event_once() {
    let fresh = fresh_store();
    let file = fresh.file();
    testsuite::sealers_racing_appenders_seal_every_event_once(&|| {
        Box::new(SqliteStore::open(&file).expect("open another store on the file"))
    });
}
