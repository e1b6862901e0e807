//! Writes that share no area must never refuse each other: creates 55 km
//! apart, each with its own implicit subscription, from 8 threads at once,
//! through the engine (the full create with its key check and
//! notifications), on one replica and on two. Every refusal ("too much
//! concurrent writing") is counted; none is allowed. The retries the
//! engine needed are printed: they are what the predicate locks cost.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Barrier};

use deconflict_core::testsuite::{HOUR, T0, put_params, square, volume};
use deconflict_core::{App, Ctx, EngineError, EntityId, Limits, Store};
use geom::Time;
use store_postgres::PgOptions;

use crate::{TestSchema, pg_url};

const THREADS: usize = 8;
const CREATES_PER_THREAD: usize = 40;

/// The `n`-th point of a grid 0.5° of latitude (55 km) by 0.7° of longitude
/// (49–55 km at these latitudes) apart: no two footprints share a cell.
fn spot(n: usize) -> (f64, f64) {
    (40.0 + 0.5 * (n % 16) as f64, 0.7 * (n / 16) as f64)
}

/// Runs `THREADS × CREATES_PER_THREAD` creates spread over `engines` and
/// returns (refusals, retries).
fn race(engines: &[App]) -> (u32, u64) {
    let start = Barrier::new(THREADS);
    let refused = AtomicU32::new(0);
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let engine = &engines[t % engines.len()];
            let (start, refused) = (&start, &refused);
            s.spawn(move || {
                let who = format!("uss{t}");
                let ctx = Ctx::new(deconflict_core::testsuite::manager(&who), Time::from_micros(T0 - HOUR));
                start.wait();
                for k in 0..CREATES_PER_THREAD {
                    let (lat, lng) = spot(t * CREATES_PER_THREAD + k);
                    let extents = vec![volume(square(lat, lng, 0.005), (0.0, 120.0), T0, T0 + HOUR)];
                    match engine.put_intent(&ctx, EntityId::random(), None, &put_params(&who, extents)) {
                        Ok(_) => {}
                        Err(EngineError::Contention { .. }) => {
                            refused.fetch_add(1, Ordering::SeqCst);
                        }
                        Err(e) => panic!("create at ({lat}, {lng}) failed: {e}"),
                    }
                }
            });
        }
    });
    (refused.load(Ordering::SeqCst), engines.iter().map(|a| a.runner().retries()).sum())
}

fn engine(schema: &TestSchema) -> App {
    let opts = PgOptions { pool_size: THREADS, ..schema.opts() };
    let store: Arc<dyn Store> = Arc::new(schema.store(opts));
    App::new(store, Limits::default())
}

#[test]
fn creates_far_apart_on_one_replica_are_never_refused() {
    let Some(url) = pg_url() else { return };
    let schema = TestSchema::create(&url);
    let (refused, retries) = race(&[engine(&schema)]);
    eprintln!(
        "one replica: {refused} refused, {retries} retries for {} creates",
        THREADS * CREATES_PER_THREAD
    );
    assert_eq!(refused, 0, "creates that share no area were refused");
}

#[test]
fn creates_far_apart_on_two_replicas_are_never_refused() {
    let Some(url) = pg_url() else { return };
    let schema = TestSchema::create(&url);
    let (a, b) = (engine(&schema), engine(&schema));
    let (refused, retries) = race(&[a, b]);
    eprintln!(
        "two replicas: {refused} refused, {retries} retries for {} creates",
        THREADS * CREATES_PER_THREAD
    );
    assert_eq!(refused, 0, "creates that share no area were refused");
}
