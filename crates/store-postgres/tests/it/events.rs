//! The event log and the audit log built from it: exact round trips (TEXT
//! byte for byte, TEXT[] in order), the guards of `seal_event`, and the query
//! plans. Sealers racing appenders on two replicas are in `concurrency.rs`.

use deconflict_core::events::NewEvent;
use deconflict_core::testsuite::T0;
use deconflict_core::{Store, StoreError, TxMode};
use geom::Time;

use crate::fresh_pg_store;

pub fn event(n: i64, subject: Option<&str>, parties: &[&str], payload: &str) -> NewEvent {
    NewEvent {
        at: Time::from_micros(T0 + n),
        kind: "test.event".into(),
        actor: "alice".into(),
        subject: subject.map(str::to_owned),
        parties: parties.iter().map(|p| (*p).to_owned()).collect(),
        payload: payload.to_owned(),
    }
}

/// Seals every pending event in one transaction, as the sealer does, and
/// returns the entries exactly as they were handed to the store.
fn seal_all(store: &dyn Store) -> Vec<audit::Entry> {
    let mut tx = store.begin(TxMode::Write).expect("begin");
    let mut chain = match tx.last_sealed().expect("last") {
        Some(last) => audit::Chain::resume_after(&last),
        None => audit::Chain::genesis(),
    };
    let mut out = Vec::new();
    for p in tx.unsealed_events(usize::MAX).expect("pending") {
        let entry = chain
            .prepare(audit::NewEntry {
                timestamp: p.event.at.as_micros(),
                actor: p.event.actor.clone(),
                kind: p.event.kind.clone(),
                subject: p.event.subject.clone(),
                parties: p.event.parties.clone(),
                payload: p.event.payload.clone(),
            })
            .expect("prepare");
        tx.seal_event(p.id, &entry).expect("seal");
        chain.commit(&entry).expect("commit to chain");
        out.push(entry);
    }
    tx.commit().expect("commit");
    out
}

/// Payloads a JSON round trip (or jsonb) would change, and text a careless
/// encoding would: every byte must come back.
const PAYLOADS: &[&str] = &[
    r#"{"b":1, "a":2}"#,
    r#"{"a":1,"a":2}"#,
    r#"{ "n" : 1.000000000000000000001, "big": 123456789012345678901234567890, "e": 1E3 }"#,
    r#"{"s":"h\u00e9llo héllo 日本語 🛩️ \"quoted\" back\\slash \/ \t \u0000 end"}"#,
    "  [ ]\n",
    "not JSON at all: ' \" \\ \u{7f} \u{fffd}",
    "",
];

#[test]
fn entries_come_back_exactly_as_sealed() {
    let Some(store) = fresh_pg_store() else { return };
    let big = format!("{{\"pad\":\"{}\"}}", "x€".repeat(50_000));
    let mut appended = Vec::new();
    let mut tx = store.begin(TxMode::Write).expect("begin");
    for (i, payload) in PAYLOADS.iter().copied().chain([big.as_str()]).enumerate() {
        let i = i as i64;
        // (TOASTed when large.) Unsorted, duplicated and unicode parties; with and without subject.
        let e = match i % 3 {
            0 => event(i, Some("sübject \"1\""), &["zoë", "bob", "alice", "bob"], payload),
            1 => event(i, None, &[], payload),
            _ => event(i, Some(""), &["ß", "a b", "A"], payload),
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

    let sealed = seal_all(&*store);
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

#[test]
fn checkpoints_round_trip() {
    let Some(store) = fresh_pg_store() else { return };
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

#[test]
fn seal_event_guards() {
    let Some(store) = fresh_pg_store() else { return };
    let mut tx = store.begin(TxMode::Write).expect("begin");
    for n in 0..3 {
        tx.append_event(&event(n, Some("s"), &["alice"], &format!("{{\"n\":{n}}}"))).expect("append");
    }
    tx.commit().expect("commit");

    let mut tx = store.begin(TxMode::Write).expect("begin");
    let pending = tx.unsealed_events(10).expect("pending");
    let new_entry = |i: usize| audit::NewEntry {
        timestamp: pending[i].event.at.as_micros(),
        actor: pending[i].event.actor.clone(),
        kind: pending[i].event.kind.clone(),
        subject: pending[i].event.subject.clone(),
        parties: pending[i].event.parties.clone(),
        payload: pending[i].event.payload.clone(),
    };
    let mut chain = audit::Chain::genesis();
    let first = chain.prepare(new_entry(0)).expect("prepare");
    tx.seal_event(pending[0].id, &first).expect("seal");
    chain.commit(&first).expect("chain");

    // Sealing it again: not pending.
    match tx.seal_event(pending[0].id, &first) {
        Err(StoreError::Backend(m)) => {
            assert!(m.contains(&format!("event {} is not pending", pending[0].id)), "{m}");
        }
        other => panic!("expected Backend, got {other:?}"),
    }
    // An event that does not exist: not pending.
    assert!(
        matches!(tx.seal_event(123_456, &first), Err(StoreError::Backend(m)) if m.contains("is not pending"))
    );
    // The entry of another event: refused.
    let wrong = chain.prepare(new_entry(2)).expect("prepare");
    match tx.seal_event(pending[1].id, &wrong) {
        Err(StoreError::Backend(m)) => assert!(m.contains("other content"), "{m}"),
        other => panic!("expected Backend, got {other:?}"),
    }
    // Those refusals were not SQL errors: the transaction goes on.
    let second = chain.prepare(new_entry(1)).expect("prepare");
    tx.seal_event(pending[1].id, &second).expect("seal");
    tx.commit().expect("commit");

    // A stale head (seq 2 is taken): the unique index says no, which is Retry,
    // and the transaction is over (nothing of it is written).
    let mut tx = store.begin(TxMode::Write).expect("begin");
    let stale = audit::Chain::resume_after(&first)
        .prepare(audit::NewEntry { timestamp: T0 + 2, ..new_entry(2) })
        .expect("prepare");
    assert!(matches!(tx.seal_event(pending[2].id, &stale), Err(StoreError::Retry)));
    assert!(matches!(tx.commit(), Err(StoreError::Retry)));

    let mut tx = store.begin(TxMode::Read).expect("begin");
    assert_eq!(tx.sealed_after(0, 10).expect("sealed"), vec![first, second]);
    assert_eq!(tx.unsealed_events(10).expect("pending").len(), 1);
}

#[test]
fn event_queries_are_index_scans() {
    let Some(store) = fresh_pg_store() else { return };
    let mut tx = store.begin(TxMode::Write).expect("begin");
    for n in 0..200 {
        tx.append_event(&event(n, None, &["a"], "{}")).expect("append");
    }
    tx.commit().expect("commit");
    let entries = {
        let mut tx = store.begin(TxMode::Write).expect("begin");
        let mut chain = audit::Chain::genesis();
        for p in tx.unsealed_events(150).expect("pending") {
            let e = chain
                .append(audit::NewEntry {
                    timestamp: p.event.at.as_micros(),
                    actor: p.event.actor,
                    kind: p.event.kind,
                    subject: p.event.subject,
                    parties: p.event.parties,
                    payload: p.event.payload,
                })
                .expect("append");
            tx.seal_event(p.id, &e).expect("seal");
        }
        tx.commit().expect("commit");
        150
    };
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
