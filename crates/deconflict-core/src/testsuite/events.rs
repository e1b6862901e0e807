//! The event log and the audit chain: pending events, sealing and its
//! guards, byte-exact entries, checkpoints, forgetting bodies, and sealers
//! racing appenders across replicas.

use geom::Time;

use super::*;
use crate::events::NewEvent;
use crate::store::{Store, StoreError, TxMode};

fn event(n: u32, parties: &[&str]) -> NewEvent {
    let payload = format!("{{\"n\":{n},\"text\":\"héllo \\\"quoted\\\"\"}}");
    new_event(i64::from(n), Some(&format!("subject-{n}")), parties, &payload)
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

/// Payloads a JSON round trip (or jsonb) would change, and text a careless
/// encoding would: every byte must come back.
const TRICKY_PAYLOADS: &[&str] = &[
    r#"{"b":1, "a":2}"#,
    r#"{"a":1,"a":2}"#,
    r#"{ "n" : 1.000000000000000000001, "big": 123456789012345678901234567890, "e": 1E3 }"#,
    r#"{"s":"h\u00e9llo héllo 日本語 🛩️ \"quoted\" back\\slash \/ \t \u0000 end"}"#,
    "  [ ]\n",
    "not JSON at all: ' \" \\ \u{7f} \u{fffd}",
    "",
];

/// Events and the audit entries sealed from them come back byte for byte:
/// tricky and large payloads, unsorted, duplicated and unicode parties (in
/// their order while pending, canonical once sealed), with and without subject.
pub fn entries_come_back_exactly_as_sealed(store: &dyn Store) {
    let big = format!("{{\"pad\":\"{}\"}}", "x€".repeat(50_000));
    let mut appended = Vec::new();
    let mut tx = store.begin(TxMode::Write).expect("begin");
    for (i, payload) in TRICKY_PAYLOADS.iter().copied().chain([big.as_str()]).enumerate() {
        let i = i64::try_from(i).expect("few payloads");
        let e = match i % 3 {
            0 => new_event(i, Some("sübject \"1\""), &["zoë", "bob", "alice", "bob"], payload),
            1 => new_event(i, None, &[], payload),
            _ => new_event(i, Some(""), &["ß", "a b", "A"], payload),
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

    let sealed = seal_pending(store, usize::MAX);
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

/// Checkpoints come back as stored, in sequence order, each with its key id.
pub fn checkpoints_round_trip(store: &dyn Store) {
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

/// `forget_sealed` empties the bodies of exactly the entries of its range,
/// keeps their links (the chain and its checkpoints still verify as a
/// slice), leaves later entries whole, and is rolled back with its transaction.
pub fn forgotten_entries_keep_their_links(store: &dyn Store) {
    let mut tx = store.begin(TxMode::Write).expect("begin");
    for n in 0..5 {
        tx.append_event(&new_event(n, Some("s"), &["alice", "bob"], &format!("{{\"n\":{n}}}")))
            .expect("append");
    }
    tx.commit().expect("commit");
    let key = audit::ServiceKey::generate().expect("key");
    crate::ledger::seal_once(store, &key, "a", Time::from_micros(T0), 100).expect("seal");
    let mut tx = store.begin(TxMode::Read).expect("begin");
    let before = tx.sealed_after(0, 100).expect("sealed");
    drop(tx);

    let mut tx = store.begin(TxMode::Write).expect("begin");
    assert_eq!(tx.forget_sealed(0, 2).expect("forget"), 2);
    drop(tx);
    let mut tx = store.begin(TxMode::Read).expect("begin");
    assert_eq!(tx.sealed_after(0, 100).expect("sealed"), before, "rolled back");
    drop(tx);

    let mut tx = store.begin(TxMode::Write).expect("begin");
    assert_eq!(tx.forget_sealed(0, 2).expect("forget"), 2);
    assert_eq!(tx.forget_sealed(2, 3).expect("forget"), 1);
    tx.commit().expect("commit");
    let mut tx = store.begin(TxMode::Read).expect("begin");
    let after = tx.sealed_after(0, 100).expect("sealed");
    assert_eq!(after.len(), before.len());
    for (a, b) in after.iter().zip(&before) {
        assert_eq!(
            (a.seq, a.timestamp, a.salt, a.prev_hash, a.hash),
            (b.seq, b.timestamp, b.salt, b.prev_hash, b.hash)
        );
        if a.seq <= 3 {
            assert!(a.actor.is_empty() && a.kind.is_empty() && a.payload.is_empty(), "{a:?}");
            assert_eq!((a.subject.as_deref(), a.parties.len()), (None, 0));
        } else {
            assert_eq!(a, b, "entries after the range are whole");
        }
    }
    assert_eq!(tx.last_sealed().expect("last").as_ref(), before.last());
    let checkpoints = tx.checkpoints_after(0).expect("checkpoints");
    let slice = audit::Slice::filtered(&after, &checkpoints, |e| e.seq > 3);
    let report = audit::verify_slice(&slice, &[key.public_key()]).expect("the chain still verifies");
    assert!(report.fully_signed(), "{report}");
    assert_eq!((report.links_checked, report.entries_checked), (5, 2));
}

/// What a write transaction is good for once the store said [`StoreError::Retry`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterRetry {
    /// It goes on: the refused statement changed nothing (SQLite, memory).
    GoesOn,
    /// It is over: its commit says `Retry` too (PostgreSQL).
    IsOver,
}

/// The guards of `seal_event`, for the stores that check an entry against its
/// event: an event sealed twice, a missing event and the entry of another
/// event are refused without ending the transaction; a stale chain head (its
/// sequence number taken) is [`StoreError::Retry`], after which the
/// transaction does as `after_retry` says, and none of it is written.
pub fn seal_event_guards(store: &dyn Store, after_retry: AfterRetry) {
    let mut tx = store.begin(TxMode::Write).expect("begin");
    for n in 0..3 {
        tx.append_event(&new_event(n, Some("s"), &["alice"], &format!("{{\"n\":{n}}}"))).expect("append");
    }
    tx.commit().expect("commit");

    let mut tx = store.begin(TxMode::Write).expect("begin");
    let pending = tx.unsealed_events(10).expect("pending");
    let new_entry = |i: usize| entry_of(pending[i].event.clone());
    let mut chain = audit::Chain::genesis();
    let first = chain.prepare(new_entry(0)).expect("prepare");
    tx.seal_event(pending[0].id, &first).expect("seal");
    chain.commit(&first).expect("chain");

    // Sealing it again: not pending.
    match tx.seal_event(pending[0].id, &first) {
        Err(StoreError::EventNotPending { id }) => assert_eq!(id, pending[0].id),
        other => panic!("expected EventNotPending, got {other:?}"),
    }
    // An event that does not exist: not pending.
    assert!(matches!(tx.seal_event(123_456, &first), Err(StoreError::EventNotPending { id: 123_456 })));
    // The entry of another event: refused.
    let wrong = chain.prepare(new_entry(2)).expect("prepare");
    match tx.seal_event(pending[1].id, &wrong) {
        Err(StoreError::EventMismatch { id, .. }) => assert_eq!(id, pending[1].id),
        other => panic!("expected EventMismatch, got {other:?}"),
    }
    // The transaction is still usable after those refusals.
    let second = chain.prepare(new_entry(1)).expect("prepare");
    tx.seal_event(pending[1].id, &second).expect("seal");
    chain.commit(&second).expect("chain");
    tx.commit().expect("commit");

    // A stale head (seq 2 is taken): retry.
    let mut tx = store.begin(TxMode::Write).expect("begin");
    let stale = audit::Chain::resume_after(&first).prepare(new_entry(2)).expect("prepare");
    assert!(matches!(tx.seal_event(pending[2].id, &stale), Err(StoreError::Retry)));
    match after_retry {
        AfterRetry::IsOver => assert!(matches!(tx.commit(), Err(StoreError::Retry))),
        AfterRetry::GoesOn => {
            let third = chain.prepare(new_entry(2)).expect("prepare");
            tx.seal_event(pending[2].id, &third).expect("the transaction goes on after a Retry");
            drop(tx);
        }
    }

    let mut tx = store.begin(TxMode::Read).expect("begin");
    assert_eq!(tx.sealed_after(0, 10).expect("sealed"), vec![first, second]);
    assert_eq!(tx.unsealed_events(10).expect("pending").len(), 1);
}

/// `seal_events`: a batch seals every event in it (parties in the entry's
/// order, an empty list too); a batch with an event already sealed or with
/// another event's entry fails as `seal_event` would, naming that event.
pub fn seal_events_batches(store: &dyn Store) {
    let mut tx = store.begin(TxMode::Write).expect("begin");
    let parties: [&[&str]; 4] = [&["bob", "alice"], &[], &["carol"], &["dave", "erin", "alice"]];
    for (n, p) in parties.iter().enumerate() {
        tx.append_event(&new_event(n as i64, Some("s"), p, &format!("{{\"n\":{n}}}"))).expect("append");
    }
    tx.commit().expect("commit");

    let mut tx = store.begin(TxMode::Write).expect("begin");
    let pending = tx.unsealed_events(10).expect("pending");
    let mut chain = audit::Chain::genesis();
    let mut entries = Vec::new();
    for p in &pending[..3] {
        let e = chain.prepare(entry_of(p.event.clone())).expect("prepare");
        chain.commit(&e).expect("chain");
        entries.push(e);
    }
    let batch: Vec<_> = pending[..3].iter().map(|p| p.id).zip(entries.iter().cloned()).collect();
    tx.seal_events(&batch).expect("seal the batch");
    tx.seal_events(&[]).expect("an empty batch");
    match tx.seal_events(&batch[1..2]) {
        Err(StoreError::EventNotPending { id }) => assert_eq!(id, pending[1].id),
        other => panic!("expected EventNotPending, got {other:?}"),
    }
    let wrong = chain.prepare(entry_of(pending[2].event.clone())).expect("prepare");
    match tx.seal_events(&[(pending[3].id, wrong)]) {
        Err(StoreError::EventMismatch { id, .. }) => assert_eq!(id, pending[3].id),
        other => panic!("expected EventMismatch, got {other:?}"),
    }
    tx.commit().expect("commit");

    let mut tx = store.begin(TxMode::Read).expect("begin");
    let sealed = tx.sealed_after(0, 10).expect("sealed");
    assert_eq!(sealed, entries);
    assert_eq!(sealed[0].parties.len(), 2);
    assert!(sealed[1].parties.is_empty());
    assert_eq!(sealed[2].parties, vec!["carol".to_owned()]);
    assert_eq!(tx.unsealed_events(10).expect("pending").len(), 1);
}

/// Two replicas (stores over the same data, each made by `open_replica`),
/// each with two sealer threads running `seal_once` in a loop, while four
/// threads append events through both. The sealers' shared clock advances 6 s
/// per call against the 10 s lease, so the lease changes hands and sometimes
/// two sealers of one replica (same holder) seal at once: correctness must
/// come from the store, not from the lease. At the end every event is sealed
/// exactly once, the sequence is 1..N, each appender's events are in the
/// order it committed them, and the stored log verifies with its checkpoints.
pub fn sealers_racing_appenders_seal_every_event_once(open_replica: &dyn Fn() -> Box<dyn Store>) {
    use std::collections::BTreeSet;
    use std::io::Write as _;
    use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering};

    use crate::ledger::seal_once;

    const APPENDERS: usize = 4;
    const PER_APPENDER: usize = 60;
    let replicas = [open_replica(), open_replica()];
    let keys = [audit::ServiceKey::generate().expect("key"), audit::ServiceKey::generate().expect("key")];
    let clock = AtomicI64::new(T0);
    let done = AtomicBool::new(false);
    let sealed_by = [AtomicUsize::new(0), AtomicUsize::new(0)];
    let retries = AtomicUsize::new(0);
    let payload =
        |w: usize, i: usize| format!("{{\"w\":{w},\"i\":{i},\"text\":\"h\\u00e9llo \\\"é\\\" \\\\\"}}");
    std::thread::scope(|s| {
        let mut sealers = Vec::new();
        for r in 0..2 {
            for _ in 0..2 {
                let (store, key) = (&*replicas[r], &keys[r]);
                let (clock, done, sealed_by, retries) = (&clock, &done, &sealed_by, &retries);
                sealers.push(s.spawn(move || {
                    let holder = format!("replica-{r}");
                    while !done.load(Ordering::SeqCst) {
                        let now = Time::from_micros(clock.fetch_add(6_000_000, Ordering::SeqCst));
                        match seal_once(store, key, &holder, now, 5) {
                            Ok(rep) => {
                                sealed_by[r].fetch_add(rep.sealed, Ordering::SeqCst);
                            }
                            Err(StoreError::Retry) => {
                                retries.fetch_add(1, Ordering::SeqCst);
                            }
                            Err(e) => panic!("seal: {e}"),
                        }
                    }
                }));
            }
        }
        let appenders: Vec<_> = (0..APPENDERS)
            .map(|w| {
                let store = &*replicas[w % 2];
                s.spawn(move || {
                    let uss = format!("uss{w}");
                    for i in 0..PER_APPENDER {
                        let at = i64::try_from(i).expect("few events");
                        let e = NewEvent {
                            actor: uss.clone(),
                            ..new_event(at, Some(&format!("w{w}")), &[&uss, "alice"], &payload(w, i))
                        };
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
    // Drain what the sealers left, on replica 1, once every lease has expired.
    clock.fetch_add(10_000_000, Ordering::SeqCst);
    loop {
        let now = Time::from_micros(clock.fetch_add(11_000_000, Ordering::SeqCst));
        match seal_once(&*replicas[1], &keys[1], "replica-1", now, 100) {
            Ok(r) => {
                assert!(r.leader, "the drain holds the lease");
                if r.sealed == 0 {
                    break;
                }
                sealed_by[1].fetch_add(r.sealed, Ordering::SeqCst);
            }
            Err(StoreError::Retry) => {}
            Err(e) => panic!("drain: {e}"),
        }
    }

    let total = APPENDERS * PER_APPENDER;
    let mut tx = replicas[0].begin(TxMode::Read).expect("begin");
    assert!(tx.unsealed_events(10).expect("pending").is_empty(), "everything is sealed");
    let entries = tx.sealed_after(0, usize::MAX).expect("sealed");
    let seqs: Vec<u64> = entries.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=total as u64).collect::<Vec<_>>(), "contiguous sequence numbers");
    let got: BTreeSet<&str> = entries.iter().map(|e| e.payload.as_str()).collect();
    let want: BTreeSet<String> =
        (0..APPENDERS).flat_map(|w| (0..PER_APPENDER).map(move |i| payload(w, i))).collect();
    assert_eq!(got.len(), total, "no event sealed twice");
    assert_eq!(got, want.iter().map(String::as_str).collect(), "every event sealed");
    // Each appender's events are sealed in the order it committed them.
    for w in 0..APPENDERS {
        let subject = format!("w{w}");
        let mine: Vec<&str> = entries
            .iter()
            .filter(|e| e.subject.as_ref() == Some(&subject))
            .map(|e| e.payload.as_str())
            .collect();
        assert_eq!(mine, (0..PER_APPENDER).map(|i| payload(w, i)).collect::<Vec<_>>());
    }
    let checkpoints = tx.checkpoints_after(0).expect("checkpoints");
    let report = audit::verify(&entries, &checkpoints, &[keys[0].public_key(), keys[1].public_key()])
        .expect("the stored log verifies");
    assert!(report.fully_signed(), "{report:?}");
    assert_eq!(tx.last_sealed().expect("last").as_ref(), entries.last());
    let by: Vec<usize> = sealed_by.iter().map(|n| n.load(Ordering::SeqCst)).collect();
    assert_eq!(by.iter().sum::<usize>(), total, "sealed counts add up: {by:?}");
    let _ = writeln!(
        std::io::stderr(),
        "sealed by replica: {by:?}, sealer retries: {}, checkpoints: {}",
        retries.load(Ordering::SeqCst),
        checkpoints.len()
    );
}
