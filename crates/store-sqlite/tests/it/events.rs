//! The event log and the audit log built from it: exact round trips, the
//! guards of `seal_event`, the query plans, and sealers racing appenders.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering};

use deconflict_core::events::NewEvent;
use deconflict_core::ledger::seal_once;
use deconflict_core::testsuite::T0;
use deconflict_core::{Store, StoreError, TxMode};
use geom::Time;

use crate::{fresh_store, with_retry};

fn event(n: i64, subject: Option<&str>, parties: &[&str], payload: &str) -> NewEvent {
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
    let store = fresh_store();
    let big = format!("{{\"pad\":\"{}\"}}", "x€".repeat(50_000));
    let mut appended = Vec::new();
    let mut tx = store.begin(TxMode::Write).expect("begin");
    for (i, payload) in PAYLOADS.iter().copied().chain([big.as_str()]).enumerate() {
        let i = i as i64;
        // Unsorted, duplicated and unicode parties; with and without subject.
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
    let store = fresh_store();
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
    let store = fresh_store();
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
            assert!(m.contains(&format!("event {} is not pending", pending[0].id)), "{m}")
        }
        other => panic!("expected Backend, got {other:?}"),
    }
    // An event that does not exist: not pending.
    assert!(
        matches!(tx.seal_event(123_456, &first), Err(StoreError::Backend(m)) if m.contains("is not pending"))
    );
    // A stale head (seq 1 is taken): retry, as in the memory store.
    let stale = audit::Chain::genesis().prepare(new_entry(1)).expect("prepare");
    assert!(matches!(tx.seal_event(pending[1].id, &stale), Err(StoreError::Retry)));
    // The entry of another event: refused.
    let wrong = chain.prepare(new_entry(2)).expect("prepare");
    match tx.seal_event(pending[1].id, &wrong) {
        Err(StoreError::Backend(m)) => assert!(m.contains("other content"), "{m}"),
        other => panic!("expected Backend, got {other:?}"),
    }
    // The transaction is still usable after those refusals.
    let second = chain.prepare(new_entry(1)).expect("prepare");
    tx.seal_event(pending[1].id, &second).expect("seal");
    tx.commit().expect("commit");

    let mut tx = store.begin(TxMode::Read).expect("begin");
    assert_eq!(tx.sealed_after(0, 10).expect("sealed"), vec![first, second]);
    assert_eq!(tx.unsealed_events(10).expect("pending").len(), 1);
    // Writes in a read transaction are refused.
    assert!(tx.append_event(&event(9, None, &[], "{}")).is_err());
    assert!(tx.acquire_lease("x", "a", Time::from_micros(T0), 1).is_err());
}

#[test]
fn event_queries_are_index_scans() {
    let store = fresh_store();
    let conn = rusqlite::Connection::open(store.file()).expect("open");
    let plan = |sql: &str| -> String {
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).expect("explain");
        let rows = stmt.query_map([], |r| r.get::<_, String>(3)).expect("query");
        rows.collect::<Result<Vec<_>, _>>().expect("rows").join("; ")
    };
    for (sql, column) in [
        ("SELECT id, payload FROM events WHERE audit_seq IS NULL ORDER BY id LIMIT 10", "audit_seq=?"),
        (
            "SELECT audit_seq, payload FROM events WHERE audit_seq > 3 ORDER BY audit_seq LIMIT 10",
            "audit_seq>?",
        ),
        ("SELECT seq, hash FROM audit_checkpoints WHERE seq > 3 ORDER BY seq", "rowid>?"),
    ] {
        let p = plan(sql);
        assert!(p.starts_with("SEARCH "), "{sql}: {p}");
        // The pending scan may use either index: both hold the pending rows in
        // id order (NULLs of the UNIQUE index are ordered by rowid).
        assert!(p.contains(column) || p.contains("events_unsealed"), "{sql}: {p}");
        assert!(!p.contains("TEMP B-TREE"), "{sql}: no sort: {p}");
    }
}

/// Appenders and two sealers (distinct holders) on several threads of one
/// process. The sealers' clock jumps past the lease TTL on every call, so the
/// lease changes hands all the time: correctness must not depend on it.
#[test]
fn sealers_racing_appenders_seal_every_event_once() {
    const APPENDERS: usize = 4;
    const PER_APPENDER: usize = 40;
    let store = fresh_store();
    let store: &dyn Store = &*store;
    let keys = [audit::ServiceKey::generate().expect("key"), audit::ServiceKey::generate().expect("key")];
    let clock = AtomicI64::new(T0);
    let done = AtomicBool::new(false);
    let sealed_by = [AtomicUsize::new(0), AtomicUsize::new(0)];
    std::thread::scope(|s| {
        let sealers: Vec<_> = (0..2)
            .map(|r| {
                let (key, clock, done, sealed_by) = (&keys[r], &clock, &done, &sealed_by);
                s.spawn(move || {
                    let holder = format!("replica-{r}");
                    while !done.load(Ordering::SeqCst) {
                        let now = Time::from_micros(clock.fetch_add(11_000_000, Ordering::SeqCst));
                        match seal_once(store, key, &holder, now, 7) {
                            Ok(rep) => {
                                sealed_by[r].fetch_add(rep.sealed, Ordering::SeqCst);
                            }
                            Err(StoreError::Retry) => {}
                            Err(e) => panic!("seal: {e}"),
                        }
                    }
                })
            })
            .collect();
        let appenders: Vec<_> = (0..APPENDERS)
            .map(|w| {
                s.spawn(move || {
                    for i in 0..PER_APPENDER {
                        let e = event(
                            i as i64,
                            Some(&format!("w{w}")),
                            &["alice"],
                            &format!("{{\"w\":{w},\"i\":{i}}}"),
                        );
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
    // Drain what the sealers left.
    loop {
        let now = Time::from_micros(clock.fetch_add(11_000_000, Ordering::SeqCst));
        let r = seal_once(store, &keys[0], "replica-0", now, 50).expect("drain");
        assert!(r.leader);
        if r.sealed == 0 {
            break;
        }
    }

    let total = APPENDERS * PER_APPENDER;
    let mut tx = store.begin(TxMode::Read).expect("begin");
    assert!(tx.unsealed_events(10).expect("pending").is_empty());
    let entries = tx.sealed_after(0, usize::MAX).expect("sealed");
    let seqs: Vec<u64> = entries.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=total as u64).collect::<Vec<_>>(), "contiguous sequence numbers");
    let payloads: BTreeSet<&str> = entries.iter().map(|e| e.payload.as_str()).collect();
    let want: BTreeSet<String> = (0..APPENDERS)
        .flat_map(|w| (0..PER_APPENDER).map(move |i| format!("{{\"w\":{w},\"i\":{i}}}")))
        .collect();
    assert_eq!(payloads, want.iter().map(String::as_str).collect(), "every event sealed exactly once");
    // Each appender's events are sealed in the order it appended them.
    for w in 0..APPENDERS {
        let mine: Vec<&str> = entries
            .iter()
            .filter(|e| e.subject.as_deref() == Some(&format!("w{w}")))
            .map(|e| e.payload.as_str())
            .collect();
        let expect: Vec<String> = (0..PER_APPENDER).map(|i| format!("{{\"w\":{w},\"i\":{i}}}")).collect();
        assert_eq!(mine, expect);
    }
    let checkpoints = tx.checkpoints_after(0).expect("checkpoints");
    let report = audit::verify(&entries, &checkpoints, &[keys[0].public_key(), keys[1].public_key()])
        .expect("the stored log verifies");
    assert!(report.fully_signed(), "{report:?}");
    assert_eq!(tx.last_sealed().expect("last").as_ref(), entries.last());
    let by: Vec<usize> = sealed_by.iter().map(|n| n.load(Ordering::SeqCst)).collect();
    assert!(by.iter().sum::<usize>() <= total, "{by:?}");
}
