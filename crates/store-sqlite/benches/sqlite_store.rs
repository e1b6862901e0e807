//! SQLite store costs on a realistic population: 100,000 small intents spread
//! over a ~1000 km × 1000 km region and one day.
//!
//! `cargo bench -p store-sqlite --bench sqlite_store`

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use deconflict_core::model::OperationalIntent;
use deconflict_core::store::AreaQuery;
use deconflict_core::testsuite::{HOUR, T0, intent, manager, square, volume};
use deconflict_core::{Store, TxMode};
use geom::Volume4D;
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};
use store_sqlite::SqliteStore;

const PRELOAD: usize = 100_000;
/// 9° of latitude ≈ 1000 km; 13° of longitude ≈ 1000 km at 46.5° N.
const LAT: (f64, f64) = (42.0, 51.0);
const LNG: (f64, f64) = (2.0, 15.0);

/// A small intent: 100 m to 1 km square, 30–120 m thick, 10–60 min long.
fn small_intent(rng: &mut StdRng) -> OperationalIntent {
    let lat = rng.random_range(LAT.0..LAT.1);
    let lng = rng.random_range(LNG.0..LNG.1);
    let alt = rng.random_range(0.0..300.0);
    let t0 = T0 + rng.random_range(0.0..24.0 * HOUR as f64) as i64;
    let len = rng.random_range(10.0 * 60e6..60.0 * 60e6) as i64;
    intent(
        "bench",
        vec![volume(
            square(lat, lng, rng.random_range(0.0005..0.005)),
            (alt, alt + rng.random_range(30.0..120.0)),
            t0,
            t0 + len,
        )],
    )
}

/// A query area: a square of `half` degrees, 0–120 m, one hour.
fn area(rng: &mut StdRng, half: f64) -> Vec<Volume4D> {
    let lat = rng.random_range(LAT.0..LAT.1);
    let lng = rng.random_range(LNG.0..LNG.1);
    let t0 = T0 + rng.random_range(0.0..23.0 * HOUR as f64) as i64;
    vec![volume(square(lat, lng, half), (0.0, 120.0), t0, t0 + HOUR)]
}

fn preload(store: &SqliteStore, rng: &mut StdRng) {
    let started = Instant::now();
    for _ in 0..PRELOAD / 10_000 {
        let mut tx = store.begin(TxMode::Write).expect("begin");
        for _ in 0..10_000 {
            tx.put_intent(&small_intent(rng)).expect("put");
        }
        tx.commit().expect("commit");
    }
    eprintln!("preloaded {PRELOAD} intents in {:.2?}", started.elapsed());
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(&dir.path().join("bench.db")).expect("open");
    let mut rng = StdRng::seed_from_u64(42);
    preload(&store, &mut rng);

    let mut g = c.benchmark_group("sqlite_store_100k");
    g.sample_size(50).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(8));

    g.bench_function("put_intent+commit", |b| {
        b.iter_batched(
            || small_intent(&mut rng),
            |oi| {
                let mut tx = store.begin(TxMode::Write).expect("begin");
                tx.put_intent(&oi).expect("put");
                tx.commit().expect("commit");
            },
            BatchSize::SmallInput,
        );
    });

    // Baselines: the cost of a read transaction alone, and of a lookup by id.
    g.bench_function("begin_read+end", |b| {
        b.iter(|| {
            let mut tx = store.begin(TxMode::Read).expect("begin");
            black_box(tx.availability(&manager("bench")).expect("get"));
        });
    });
    let ids: Vec<_> = {
        let mut tx = store.begin(TxMode::Read).expect("begin");
        let everything = vec![volume(square(46.5, 8.5, 0.5), (0.0, 1000.0), T0, T0 + 24 * HOUR)];
        tx.intents_in(&AreaQuery::new(&everything))
            .expect("query")
            .into_iter()
            .map(|o| o.id)
            .take(1000)
            .collect()
    };
    assert!(!ids.is_empty());
    let mut i = 0;
    g.bench_function("intent_by_id", |b| {
        b.iter(|| {
            i = (i + 1) % ids.len();
            let mut tx = store.begin(TxMode::Read).expect("begin");
            black_box(tx.intent(ids[i]).expect("get"));
        });
    });

    for (name, half) in
        [("intents_in/2km_1h", 0.009), ("intents_in/20km_1h", 0.09), ("intents_in/100km_1h", 0.45)]
    {
        // How selective the search is, for the report.
        let mut probe = StdRng::seed_from_u64(7);
        let mut tx = store.begin(TxMode::Read).expect("begin");
        let n: usize = (0..200)
            .map(|_| tx.intents_in(&AreaQuery::new(&area(&mut probe, half))).expect("query").len())
            .sum();
        drop(tx);
        eprintln!("{name}: {:.1} candidates per query on average", n as f64 / 200.0);

        g.bench_function(name, |b| {
            b.iter_batched(
                || area(&mut rng, half),
                |a| {
                    let mut tx = store.begin(TxMode::Read).expect("begin");
                    black_box(tx.intents_in(&AreaQuery::new(&a)).expect("query"));
                },
                BatchSize::SmallInput,
            );
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
