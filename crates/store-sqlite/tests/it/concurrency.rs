//! Many threads at once: writers serialise, readers see stable snapshots.

use std::sync::atomic::{AtomicBool, Ordering};

use deconflict_core::model::OperationalIntent;
use deconflict_core::testsuite::{HOUR, T0, intent, square, volume, with_retry};
use deconflict_core::{Store, TxMode};
use geom::Volume4D;

use crate::fresh_store;

const THREADS: usize = 8;
const TX_PER_THREAD: usize = 25;

/// The extents of the intents below: 46°N 7°E ± 0.01°, 0–120 m, one hour.
fn here() -> Vec<Volume4D> {
    vec![volume(square(46.0, 7.0, 0.01), (0.0, 120.0), T0, T0 + HOUR)]
}

/// Writes `oi` in a transaction of its own, committed.
fn commit_intent(store: &dyn Store, oi: &OperationalIntent) {
    let mut w = store.begin(TxMode::Write).expect("begin write");
    w.put_intent(oi).expect("put");
    w.commit().expect("commit");
}

#[test]
fn eight_concurrent_writers_all_succeed() {
    let store = fresh_store();
    let store: &dyn Store = &*store;
    let done = AtomicBool::new(false);
    std::thread::scope(|s| {
        // A reader that keeps counting while the writers write: counts only grow.
        let reader = s.spawn(|| {
            let mut last = 0;
            let mut reads = 0u32;
            while !done.load(Ordering::Relaxed) {
                let mut tx = store.begin(TxMode::Read).expect("begin read");
                let n = tx.counts().expect("counts").intents;
                assert!(n >= last, "count went back from {last} to {n}");
                last = n;
                reads += 1;
            }
            reads
        });
        let writers: Vec<_> = (0..THREADS)
            .map(|t| {
                s.spawn(move || {
                    for i in 0..TX_PER_THREAD {
                        let lat = 45.0 + t as f64 * 0.1;
                        let lng = 7.0 + i as f64 * 0.01;
                        let oi = intent(
                            &format!("uss{t}"),
                            vec![volume(square(lat, lng, 0.001), (0.0, 120.0), T0, T0 + HOUR)],
                        );
                        with_retry(store, |tx| {
                            // Read-modify-write inside the transaction.
                            let before = tx.counts()?.intents;
                            tx.put_intent(&oi)?;
                            assert_eq!(tx.counts()?.intents, before + 1);
                            Ok(())
                        });
                    }
                })
            })
            .collect();
        for w in writers {
            w.join().expect("writer thread");
        }
        done.store(true, Ordering::Relaxed);
        assert!(reader.join().expect("reader thread") > 0);
    });
    let mut tx = store.begin(TxMode::Read).expect("begin");
    assert_eq!(tx.counts().expect("counts").intents, (THREADS * TX_PER_THREAD) as u64);
}

#[test]
fn a_read_transaction_keeps_its_snapshot() {
    let store = fresh_store();
    commit_intent(&*store, &intent("a", here()));

    let mut r = store.begin(TxMode::Read).expect("begin read");
    assert_eq!(r.counts().expect("counts").intents, 1);
    // A writer is not blocked by the open reader...
    commit_intent(&*store, &intent("b", here()));
    // ...and the reader does not see what was committed after its snapshot.
    assert_eq!(r.counts().expect("counts").intents, 1);
    r.commit().expect("end read");
    let mut r = store.begin(TxMode::Read).expect("begin read");
    assert_eq!(r.counts().expect("counts").intents, 2);
}

#[test]
fn an_uncommitted_write_is_invisible_to_readers() {
    let store = fresh_store();
    let oi = intent("a", here());
    let mut w = store.begin(TxMode::Write).expect("begin");
    w.put_intent(&oi).expect("put");
    let mut r = store.begin(TxMode::Read).expect("begin read");
    assert_eq!(r.intent(oi.id).expect("get"), None);
    drop(r);
    drop(w);
    let mut r = store.begin(TxMode::Read).expect("begin read");
    assert_eq!(r.intent(oi.id).expect("get"), None);
}

#[test]
fn more_readers_than_the_pool_holds() {
    let store = fresh_store();
    let oi = intent("a", here());
    commit_intent(&*store, &oi);
    let mut readers: Vec<_> = (0..store_sqlite::POOLED_READERS * 2)
        .map(|_| store.begin(TxMode::Read).expect("begin read"))
        .collect();
    for r in &mut readers {
        assert!(r.intent(oi.id).expect("get").is_some());
    }
    drop(readers);
    let mut r = store.begin(TxMode::Read).expect("begin read");
    assert!(r.intent(oi.id).expect("get").is_some());
}
