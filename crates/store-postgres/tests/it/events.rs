//! The event log and the audit log built from it, beyond the shared
//! conformance checks: the guards of `seal_event` (a refusal by a unique index
//! ends the transaction) and the query plans. Sealers racing appenders on two
//! replicas are in `concurrency.rs`.

use deconflict_core::testsuite::{self, AfterRetry, new_event};
use deconflict_core::{Store, TxMode};

use crate::fresh_pg_store;

/// The refusals `seal_event` checks itself leave the transaction usable; a
/// stale head is refused by the unique index, which is Retry, and the
/// transaction is over (nothing of it is written).
#[test]
fn seal_event_guards() {
    let Some(store) = fresh_pg_store() else { return };
    testsuite::seal_event_guards(&*store, AfterRetry::IsOver);
}

/// A batch of seals is one statement: every event sealed with its own
/// parties, and the refusals of `seal_event` named per event.
#[test]
fn seal_events_batches() {
    let Some(store) = fresh_pg_store() else { return };
    testsuite::seal_events_batches(&*store);
}

#[test]
fn event_queries_are_index_scans() {
    let Some(store) = fresh_pg_store() else { return };
    let mut tx = store.begin(TxMode::Write).expect("begin");
    for n in 0..200 {
        tx.append_event(&new_event(n, None, &["a"], "{}")).expect("append");
    }
    tx.commit().expect("commit");
    let entries = testsuite::seal_pending(&*store, 150).len();
    let mut admin = store.schema.admin();
    admin.batch_execute("ANALYZE events; SET enable_seqscan = off").expect("analyze");
    let plan = |admin: &mut postgres::Client, sql: &str| -> String {
        let rows = admin.query(&format!("EXPLAIN {sql}"), &[]).expect("explain");
        rows.iter().map(|r| r.get::<_, String>(0)).collect::<Vec<_>>().join("\n")
    };
    let p = plan(&mut admin, "SELECT id, payload FROM events WHERE audit_seq IS NULL ORDER BY id LIMIT 10");
    assert!(p.contains("Index Scan using events_unsealed"), "{p}");
    assert!(!p.contains("Sort"), "{p}");
    let p = plan(
        &mut admin,
        "SELECT audit_seq, payload FROM events WHERE audit_seq > 100 ORDER BY audit_seq LIMIT 10",
    );
    assert!(p.contains("Index Scan using events_audit_seq_key"), "{p}");
    assert!(!p.contains("Sort"), "{p}");
    let mut tx = store.begin(TxMode::Read).expect("begin");
    assert_eq!(tx.sealed_after(100, 1000).expect("sealed").len(), entries - 100);
    assert_eq!(tx.unsealed_events(1000).expect("pending").len(), 50);
}
