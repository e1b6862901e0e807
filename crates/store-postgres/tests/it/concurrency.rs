//! Two stores over one schema, like two server replicas: conflicting write
//! transactions must behave as if serial, and conflicts must surface as
//! `StoreError::Retry`.

use std::sync::Barrier;
use std::sync::atomic::{AtomicU32, Ordering};

use deconflict_core::model::OperationalIntent;
use deconflict_core::store::AreaQuery;
use deconflict_core::testsuite::{
    self, HOUR, T0, intent, square, subscription, volume, with_retry, with_retry_in,
};
use deconflict_core::{Store, StoreError, Tx, TxMode};
use geom::Volume4D;
use store_postgres::{PgOptions, PgStore};

use crate::{TestSchema, intents_held, pg_url};

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
fn area() -> Vec<Volume4D> {
    vec![volume(square(46.0, 7.0, 0.01), (0.0, 120.0), T0, T0 + HOUR)]
}

/// Write skew: every transaction reads the intents of one area and inserts
/// its own only if it found none. Under SERIALIZABLE exactly one of the 32
/// concurrent attempts per round may insert.
#[test]
fn write_skew_across_two_replicas_admits_exactly_one() {
    let Some(pair) = replicas(THREADS_PER_REPLICA) else { return };
    let Replicas { a, b, .. } = &pair;
    let mut retries = 0;
    const ROUNDS: usize = 5;
    for round in 0..ROUNDS {
        // A different area each round, 1 degree of latitude apart.
        let lat = 40.0 + round as f64;
        let area = vec![volume(square(lat, 7.0, 0.01), (0.0, 120.0), T0, T0 + HOUR)];
        let (inserted, retried) = race_insert_if_empty(&pair, &area, |store, _, f| with_retry(store, f));
        retries += retried;
        assert_eq!(inserted, 1, "round {round}: exactly one transaction may insert");
        let mut tx = a.begin(TxMode::Read).expect("begin");
        let q = AreaQuery::new(&area);
        assert_eq!(
            tx.intents_in(&q).expect("query").len(),
            1,
            "round {round}: exactly one intent in the area"
        );
    }
    assert_eq!(intents_held(b), ROUNDS as u64);
    // With 32 racing transactions per round, SSI must have refused some.
    assert!(retries > 0, "expected some StoreError::Retry under contention");
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

/// The classic write skew, step by step on two connections: `a` and `b`
/// each begin a write transaction and read the empty area, then write
/// `first` and `second` there, and `a` commits. `b`'s transaction, with what
/// its write returned.
fn skew<'s>(
    pair: &'s Replicas,
    first: &OperationalIntent,
    second: &OperationalIntent,
) -> (Box<dyn Tx + 's>, Result<(), StoreError>) {
    let area = area();
    let q = AreaQuery::new(&area);
    let mut t1 = pair.a.begin(TxMode::Write).expect("begin 1");
    let mut t2 = pair.b.begin(TxMode::Write).expect("begin 2");
    assert!(t1.intents_in(&q).expect("read 1").is_empty());
    assert!(t2.intents_in(&q).expect("read 2").is_empty());
    t1.put_intent(first).expect("write 1");
    let second_outcome = t2.put_intent(second);
    t1.commit().expect("the first committer wins");
    (t2, second_outcome)
}

/// The second to commit is told to retry, and nothing of it is written.
#[test]
fn serialization_failure_on_commit_is_retry() {
    let Some(pair) = replicas(4) else { return };
    let first = intent("first", area());
    let (t2, second_outcome) = skew(&pair, &first, &intent("second", area()));
    let second_outcome = second_outcome.and_then(|()| t2.commit());
    assert!(matches!(second_outcome, Err(StoreError::Retry)), "got {second_outcome:?}");

    let mut tx = pair.a.begin(TxMode::Read).expect("begin");
    let ids: Vec<_> =
        tx.intents_in(&AreaQuery::new(&area())).expect("query").into_iter().map(|o| o.id).collect();
    assert_eq!(ids, vec![first.id]);
    drop(tx);
    // Both connections went back to their pools in a usable state.
    let mut again = pair.b.begin(TxMode::Write).expect("begin after retry");
    assert_eq!(again.counts().expect("counts").intents, 1);
}

/// A doomed transaction (its rival committed first) is told to retry on its
/// next statement or, at the latest, on commit.
#[test]
fn doomed_transaction_says_retry_until_the_end() {
    let Some(pair) = replicas(4) else { return };
    let (mut t2, written) = skew(&pair, &intent("x", area()), &intent("y", area()));
    written.expect("write 2");
    let later = t2.put_intent(&intent("z", area()));
    assert!(matches!(later, Ok(()) | Err(StoreError::Retry)), "got {later:?}");
    let commit = t2.commit();
    assert!(matches!(commit, Err(StoreError::Retry)), "got {commit:?}");
    assert_eq!(intents_held(&pair.a), 1);
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

/// [`with_retry`] for an area write: locks `area` first, then runs `f`;
/// what `f` gave and after how many attempts.
fn with_area_retry<T>(
    store: &dyn Store,
    area: &[Volume4D],
    mut f: impl FnMut(&mut dyn Tx) -> Result<T, StoreError>,
) -> (T, u32) {
    with_retry_in(store, TxMode::AreaWrite, |tx| {
        tx.lock_area(&AreaQuery::new(area))?;
        f(tx)
    })
}

/// How a racer runs its transaction over an area ([`with_retry`] or
/// [`with_area_retry`]): what it gave and after how many attempts.
type Retrying =
    fn(&dyn Store, &[Volume4D], &mut dyn FnMut(&mut dyn Tx) -> Result<bool, StoreError>) -> (bool, u32);

/// Write skew: 2 × [`THREADS_PER_REPLICA`] transactions started together,
/// alternately on each replica and each run by `run`, read the intents over
/// `area` and insert one of their own only if they find none. How many
/// inserted, and how many attempts were retried.
fn race_insert_if_empty(pair: &Replicas, area: &[Volume4D], run: Retrying) -> (u32, u32) {
    let start = Barrier::new(2 * THREADS_PER_REPLICA);
    let (inserted, retries) = (AtomicU32::new(0), AtomicU32::new(0));
    std::thread::scope(|s| {
        for i in 0..2 * THREADS_PER_REPLICA {
            let store: &dyn Store = if i % 2 == 0 { &pair.a } else { &pair.b };
            let (start, inserted, retries) = (&start, &inserted, &retries);
            s.spawn(move || {
                let mine = intent(&format!("uss{i}"), area.to_vec());
                start.wait();
                let (did, attempts) = run(store, area, &mut |tx| {
                    if tx.intents_in(&AreaQuery::new(area))?.is_empty() {
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
    (inserted.into_inner(), retries.into_inner())
}

/// The write skew of [`write_skew_across_two_replicas_admits_exactly_one`]
/// with area writes (READ COMMITTED and cell locks instead of SSI): still
/// exactly one of 32 racing "insert if the area is empty" may insert.
#[test]
fn area_writes_across_two_replicas_admit_exactly_one() {
    let Some(pair) = replicas(THREADS_PER_REPLICA) else { return };
    for round in 0..3 {
        let lat = 30.0 + round as f64;
        let area = vec![volume(square(lat, 7.0, 0.01), (0.0, 120.0), T0, T0 + HOUR)];
        let (inserted, _) =
            race_insert_if_empty(&pair, &area, |store, area, f| with_area_retry(store, area, f));
        assert_eq!(inserted, 1, "round {round}: exactly one may insert");
    }
}

/// Waits (polling the catalog, up to 30 s) until some session of
/// `application_name` waits for a lock.
fn until_a_session_waits(schema: &TestSchema) {
    let mut admin = crate::admin(&schema.url);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let waiting: i64 = admin
            .query_one(
                "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity s ON s.pid = l.pid \
                 WHERE NOT l.granted AND s.application_name = $1",
                &[&schema.name],
            )
            .expect("pg_locks")
            .get(0);
        if waiting > 0 {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "no session waited for the area lock");
        std::thread::yield_now();
    }
}

/// A second area write into an area sharing a cell waits for the first and
/// then reads what it committed; one in an area sharing none goes ahead.
#[test]
fn area_writes_wait_only_for_a_shared_cell() {
    let Some(url) = pg_url() else { return };
    let schema = TestSchema::create(&url);
    let opts = PgOptions {
        pool_size: 4,
        statement_timeout: Some(std::time::Duration::from_secs(5)),
        ..schema.opts()
    };
    let (a, b) = (schema.store(opts.clone()), schema.store(opts));
    let here = vec![volume(square(46.0, 7.0, 0.01), (0.0, 120.0), T0, T0 + HOUR)];
    // Overlaps `here` in space only at its corner, at another time and height.
    let corner = vec![volume(square(46.015, 7.015, 0.01), (500.0, 600.0), T0 + 2 * HOUR, T0 + 3 * HOUR)];
    let far = vec![volume(square(47.0, 7.0, 0.01), (0.0, 120.0), T0, T0 + HOUR)];
    let first = intent("first", here.clone());
    let mut t1 = a.begin(TxMode::AreaWrite).expect("begin 1");
    t1.lock_area(&AreaQuery::new(&here)).expect("lock 1");
    // The lock is queued and sent with the search (as the engine searches
    // after locking); the write goes with the commit.
    assert!(t1.intents_in(&AreaQuery::new(&here)).expect("search 1").is_empty());
    t1.put_intent(&first).expect("write 1");
    // Far away: neither waits nor is refused while the first is open.
    with_area_retry(&b, &far, |tx| tx.put_intent(&intent("far", far.clone())));
    std::thread::scope(|s| {
        let second = s.spawn(|| {
            with_area_retry(&b, &corner, |tx| {
                // Locked `corner` (waiting), now reads `here`.
                Ok(tx.intents_in(&AreaQuery::new(&here))?.into_iter().map(|o| o.id).collect::<Vec<_>>())
            })
        });
        until_a_session_waits(&schema);
        t1.commit().expect("commit 1");
        let (seen, _) = second.join().expect("second writer");
        assert_eq!(seen, vec![first.id], "the writer that waited reads what the first committed");
    });
}
