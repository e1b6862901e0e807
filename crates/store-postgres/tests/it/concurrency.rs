//! Two stores over one schema, like two server replicas: conflicting write
//! transactions must behave as if serial, and conflicts must surface as
//! `StoreError::Retry`.

use std::io::Write as _;
use std::sync::Barrier;
use std::sync::atomic::{AtomicU32, Ordering};

use deconflict_core::store::AreaQuery;
use deconflict_core::testsuite::{HOUR, T0, intent, square, subscription, volume};
use deconflict_core::{Store, StoreError, TxMode};
use store_postgres::PgOptions;

use crate::{TestSchema, pg_url, with_retry};

const THREADS_PER_REPLICA: usize = 16;

fn replica_opts(schema: &TestSchema) -> PgOptions {
    PgOptions { pool_size: THREADS_PER_REPLICA, ..schema.opts() }
}

/// Write skew: every transaction reads the intents of one area and inserts
/// its own only if it found none. Under SERIALIZABLE exactly one of the 32
/// concurrent attempts per round may insert.
#[test]
fn write_skew_across_two_replicas_admits_exactly_one() {
    let Some(url) = pg_url() else { return };
    let schema = TestSchema::create(&url);
    let a = schema.store(replica_opts(&schema));
    let b = schema.store(replica_opts(&schema));
    let retries = AtomicU32::new(0);
    const ROUNDS: usize = 5;
    for round in 0..ROUNDS {
        // A different area each round, 1 degree of latitude apart.
        let lat = 40.0 + round as f64;
        let area = vec![volume(square(lat, 7.0, 0.01), (0.0, 120.0), T0, T0 + HOUR)];
        let start = Barrier::new(2 * THREADS_PER_REPLICA);
        let inserted = AtomicU32::new(0);
        std::thread::scope(|s| {
            for i in 0..2 * THREADS_PER_REPLICA {
                let store: &dyn Store = if i % 2 == 0 { &a } else { &b };
                let (area, start, inserted, retries) = (&area, &start, &inserted, &retries);
                s.spawn(move || {
                    let mine = intent(&format!("uss{i}"), area.clone());
                    start.wait();
                    let (did, attempts) = with_retry(store, |tx| {
                        let q = AreaQuery::new(area);
                        if tx.intents_in(&q)?.is_empty() {
                            tx.put_intent(&mine)?;
                            Ok(true)
                        } else {
                            Ok(false)
                        }
                    });
                    if did {
                        inserted.fetch_add(1, Ordering::SeqCst);
                    }
                    retries.fetch_add(attempts - 1, Ordering::SeqCst);
                });
            }
        });
        assert_eq!(inserted.load(Ordering::SeqCst), 1, "round {round}: exactly one transaction may insert");
        let mut tx = a.begin(TxMode::Read).expect("begin");
        let q = AreaQuery::new(&area);
        assert_eq!(
            tx.intents_in(&q).expect("query").len(),
            1,
            "round {round}: exactly one intent in the area"
        );
    }
    let mut tx = b.begin(TxMode::Read).expect("begin");
    assert_eq!(tx.counts().expect("counts").intents, ROUNDS as u64);
    // With 32 racing transactions per round, SSI must have refused some.
    assert!(retries.load(Ordering::SeqCst) > 0, "expected some StoreError::Retry under contention");
}

/// Lost update: read a counter (a subscription's notification index), add
/// one, write it back, from 2 × 16 threads; no increment may be lost.
#[test]
fn read_modify_write_counter_loses_no_update() {
    let Some(url) = pg_url() else { return };
    let schema = TestSchema::create(&url);
    let a = schema.store(replica_opts(&schema));
    let b = schema.store(replica_opts(&schema));
    let counter = subscription("counter", vec![volume(square(46.0, 7.0, 0.01), (0.0, 120.0), T0, T0 + HOUR)]);
    with_retry(&a, |tx| tx.put_subscription(&counter));
    const INCREMENTS: usize = 5;
    let start = Barrier::new(2 * THREADS_PER_REPLICA);
    std::thread::scope(|s| {
        for i in 0..2 * THREADS_PER_REPLICA {
            let store: &dyn Store = if i % 2 == 0 { &a } else { &b };
            let (start, id) = (&start, counter.id);
            s.spawn(move || {
                start.wait();
                for _ in 0..INCREMENTS {
                    with_retry(store, |tx| {
                        let mut sub = tx.subscription(id)?.expect("the counter exists");
                        sub.notification_index += 1;
                        tx.put_subscription(&sub)
                    });
                }
            });
        }
    });
    let mut tx = a.begin(TxMode::Read).expect("begin");
    let got = tx.subscription(counter.id).expect("get").expect("exists").notification_index;
    assert_eq!(got, (2 * THREADS_PER_REPLICA * INCREMENTS) as i32);
}

/// The classic write skew, step by step on two connections: the second to
/// commit is told to retry, and nothing of it is written.
#[test]
fn serialization_failure_on_commit_is_retry() {
    let Some(url) = pg_url() else { return };
    let schema = TestSchema::create(&url);
    let a = schema.store(schema.opts());
    let b = schema.store(schema.opts());
    let area = vec![volume(square(46.0, 7.0, 0.01), (0.0, 120.0), T0, T0 + HOUR)];
    let q = AreaQuery::new(&area);
    let first = intent("first", area.clone());
    let second = intent("second", area.clone());

    let mut t1 = a.begin(TxMode::Write).expect("begin 1");
    let mut t2 = b.begin(TxMode::Write).expect("begin 2");
    assert!(t1.intents_in(&q).expect("read 1").is_empty());
    assert!(t2.intents_in(&q).expect("read 2").is_empty());
    t1.put_intent(&first).expect("write 1");
    let second_outcome = t2.put_intent(&second);
    t1.commit().expect("the first committer wins");
    let second_outcome = second_outcome.and_then(|()| t2.commit());
    assert!(matches!(second_outcome, Err(StoreError::Retry)), "got {second_outcome:?}");

    let mut tx = a.begin(TxMode::Read).expect("begin");
    let ids: Vec<_> = tx.intents_in(&q).expect("query").into_iter().map(|o| o.id).collect();
    assert_eq!(ids, vec![first.id]);
    drop(tx);
    // Both connections went back to their pools in a usable state.
    let mut again = b.begin(TxMode::Write).expect("begin after retry");
    assert_eq!(again.counts().expect("counts").intents, 1);
}

/// A doomed transaction (its rival committed first) is told to retry on its
/// next statement or, at the latest, on commit.
#[test]
fn doomed_transaction_says_retry_until_the_end() {
    let Some(url) = pg_url() else { return };
    let schema = TestSchema::create(&url);
    let a = schema.store(schema.opts());
    let b = schema.store(schema.opts());
    let area = vec![volume(square(46.0, 7.0, 0.01), (0.0, 120.0), T0, T0 + HOUR)];
    let q = AreaQuery::new(&area);
    let mut t1 = a.begin(TxMode::Write).expect("begin 1");
    let mut t2 = b.begin(TxMode::Write).expect("begin 2");
    t1.intents_in(&q).expect("read 1");
    t2.intents_in(&q).expect("read 2");
    t1.put_intent(&intent("x", area.clone())).expect("write 1");
    t2.put_intent(&intent("y", area.clone())).expect("write 2");
    t1.commit().expect("commit 1");
    let later = t2.put_intent(&intent("z", area.clone()));
    assert!(matches!(later, Ok(()) | Err(StoreError::Retry)), "got {later:?}");
    let commit = t2.commit();
    assert!(matches!(commit, Err(StoreError::Retry)), "got {commit:?}");
    let mut tx = a.begin(TxMode::Read).expect("begin");
    assert_eq!(tx.counts().expect("counts").intents, 1);
}

/// Two replicas, each with two sealer threads running `seal_once` in a loop,
/// while four threads append events through both. The sealers' shared clock
/// advances 6 s per call against the 10 s lease, so the lease sometimes
/// changes hands and sometimes two sealers (same replica, same holder) seal at
/// once: correctness must come from SERIALIZABLE and the unique audit_seq, not
/// from the lease. At the end every event is sealed exactly once, the
/// sequence is 1..N, and the stored log verifies with its checkpoints.
#[test]
fn sealers_on_two_replicas_seal_every_event_exactly_once() {
    use std::collections::BTreeSet;
    use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize};

    use deconflict_core::ledger::seal_once;
    use geom::Time;

    const APPENDERS: usize = 4;
    const PER_APPENDER: usize = 60;
    let Some(url) = pg_url() else { return };
    let schema = TestSchema::create(&url);
    let opts = PgOptions { pool_size: 6, ..schema.opts() };
    let replicas = [schema.store(opts.clone()), schema.store(opts)];
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
                let (store, key) = (&replicas[r], &keys[r]);
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
                let store: &dyn Store = &replicas[w % 2];
                s.spawn(move || {
                    for i in 0..PER_APPENDER {
                        let e = deconflict_core::events::NewEvent {
                            at: Time::from_micros(T0 + i as i64),
                            kind: "test.event".into(),
                            actor: format!("uss{w}"),
                            subject: Some(format!("w{w}")),
                            parties: vec![format!("uss{w}"), "alice".into()],
                            payload: payload(w, i),
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
    // Drain what the sealers left, on replica 1.
    loop {
        let now = Time::from_micros(clock.fetch_add(11_000_000, Ordering::SeqCst));
        match seal_once(&replicas[1], &keys[1], "replica-1", now, 100) {
            Ok(r) if r.sealed == 0 => break,
            Ok(r) => sealed_by[1].fetch_add(r.sealed, Ordering::SeqCst),
            Err(StoreError::Retry) => continue,
            Err(e) => panic!("drain: {e}"),
        };
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
