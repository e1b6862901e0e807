//! Two stores over one schema, like two server replicas: conflicting write
//! transactions must behave as if serial, and conflicts must surface as
//! `StoreError::Retry`.

use std::sync::Barrier;
use std::sync::atomic::{AtomicU32, Ordering};

use deconflict_core::store::AreaQuery;
use deconflict_core::testsuite::{self, HOUR, T0, intent, square, subscription, volume, with_retry};
use deconflict_core::{Store, StoreError, TxMode};
use store_postgres::{PgOptions, PgStore};

use crate::{TestSchema, pg_url};

const THREADS_PER_REPLICA: usize = 16;

/// Two stores over one new schema, like two server replicas, each with a pool
/// of `pool_size`; the stores are dropped (their connections closed) first.
#[derive(Debug)]
struct Replicas {
    a: PgStore,
    b: PgStore,
    _schema: TestSchema,
}

/// Two replicas on a fresh schema, or `None` (after a `SKIPPED:` line) when
/// no test server is configured.
fn replicas(pool_size: usize) -> Option<Replicas> {
    let schema = TestSchema::create(&pg_url()?);
    let opts = PgOptions { pool_size, ..schema.opts() };
    Some(Replicas { a: schema.store(opts.clone()), b: schema.store(opts), _schema: schema })
}

/// One hour over a small square: the area every transaction here reads.
fn area() -> Vec<geom::Volume4D> {
    vec![volume(square(46.0, 7.0, 0.01), (0.0, 120.0), T0, T0 + HOUR)]
}

/// Write skew: every transaction reads the intents of one area and inserts
/// its own only if it found none. Under SERIALIZABLE exactly one of the 32
/// concurrent attempts per round may insert.
#[test]
fn write_skew_across_two_replicas_admits_exactly_one() {
    let Some(pair) = replicas(THREADS_PER_REPLICA) else { return };
    let Replicas { a, b, .. } = &pair;
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
                let store: &dyn Store = if i % 2 == 0 { a } else { b };
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
    let Some(pair) = replicas(THREADS_PER_REPLICA) else { return };
    let Replicas { a, b, .. } = &pair;
    let counter = subscription("counter", area());
    with_retry(a, |tx| tx.put_subscription(&counter));
    const INCREMENTS: usize = 5;
    let start = Barrier::new(2 * THREADS_PER_REPLICA);
    std::thread::scope(|s| {
        for i in 0..2 * THREADS_PER_REPLICA {
            let store: &dyn Store = if i % 2 == 0 { a } else { b };
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
    let Some(pair) = replicas(4) else { return };
    let Replicas { a, b, .. } = &pair;
    let area = area();
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
    let Some(pair) = replicas(4) else { return };
    let Replicas { a, b, .. } = &pair;
    let area = area();
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

/// Sealers on two replicas racing appenders (the shared check): correctness
/// comes from SERIALIZABLE and the unique `audit_seq`, not from the lease.
#[test]
fn sealers_on_two_replicas_seal_every_event_exactly_once() {
    let Some(url) = pg_url() else { return };
    let schema = TestSchema::create(&url);
    let opts = PgOptions { pool_size: 6, ..schema.opts() };
    testsuite::sealers_racing_appenders_seal_every_event_once(&|| Box::new(schema.store(opts.clone())));
}
