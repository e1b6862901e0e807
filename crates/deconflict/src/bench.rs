//! `deconflict bench strategic`: loads N random operational intents over a
//! realistic region into a store, then times creates with the awareness check
//! and area queries through the engine, and writes in one busy cell. Prints
//! p50/p99 latencies and throughput.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::output::progress;
use crate::store::{PgSettings, StoreSpec};
use clap::{Args, Subcommand};
use deconflict_core::engine::{PutIntent, SubscriptionChoice};
use deconflict_core::model::{IntentState, OperationalIntent};
use deconflict_core::{
    Ctx, Engine, EngineError, EntityId, Limits, Ovn, PartyName, Store, TxMode, UssBaseUrl,
};
use geom::{AltitudeRange, Circle, Footprint, LatLng, Polygon, Time, TimeWindow, Volume4D};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The `bench` subcommands.
#[derive(Debug, Subcommand)]
pub enum BenchCmd {
    /// Strategic engine: creates with the key check, area queries, a busy cell.
    Strategic(StrategicArgs),
    /// HTTP load on running servers: the F3548 request mix, a concurrency sweep.
    Load(crate::bench_load::LoadArgs),
}

/// Flags of `bench strategic`.
#[derive(Debug, Args)]
pub struct StrategicArgs {
    /// How many intents to preload.
    #[arg(long, default_value_t = 100_000)]
    pub intents: usize,
    /// `memory`, `sqlite` (a temporary file), `sqlite:PATH` or `postgres://...`.
    #[arg(long, default_value = "memory")]
    pub store: String,
    /// How many timed creates and queries.
    #[arg(long, default_value_t = 2_000)]
    pub ops: usize,
    /// Random seed.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Concurrent writer/reader threads.
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Server replicas: engines with their own connection pools to the same
    /// database (PostgreSQL), or sharing the store (memory, SQLite).
    #[arg(long, default_value_t = 1)]
    pub replicas: usize,
}

/// Runs a bench subcommand.
pub fn run(cmd: BenchCmd) -> anyhow::Result<()> {
    match cmd {
        BenchCmd::Strategic(a) => strategic(&a),
        BenchCmd::Load(a) => crate::bench_load::run(&a),
    }
}

/// The region: about 1,000 km × 1,000 km of central Europe.
const LAT: (f64, f64) = (44.0, 53.0);
const LNG: (f64, f64) = (0.0, 13.0);
const MIN_US: i64 = 60_000_000;

struct Gen {
    rng: StdRng,
    t0: i64,
}

impl Gen {
    fn point(&mut self) -> (f64, f64) {
        (self.rng.random_range(LAT.0..LAT.1), self.rng.random_range(LNG.0..LNG.1))
    }

    /// A drone-sized volume: a 200 m–2 km polygon or circle, a band under
    /// 600 m, 20 min–2 h within the next 24 h.
    fn volume_at(&mut self, lat: f64, lng: f64, start_min: i64) -> anyhow::Result<Volume4D> {
        let size_m: f64 = self.rng.random_range(200.0..2000.0);
        let footprint = if self.rng.random_bool(0.5) {
            Footprint::Circle(Circle::new(LatLng::new(lat, lng)?, size_m / 2.0)?)
        } else {
            let dlat = size_m / 2.0 / 111_000.0;
            let dlng = dlat / lat.to_radians().cos();
            let n = self.rng.random_range(4..9);
            let vertices = (0..n)
                .map(|i| {
                    let a = std::f64::consts::TAU * f64::from(i) / f64::from(n);
                    LatLng::new(lat + dlat * a.sin(), lng + dlng * a.cos())
                })
                .collect::<Result<Vec<_>, _>>()?;
            Footprint::Polygon(Polygon::new(vertices)?)
        };
        let lo: f64 = self.rng.random_range(0.0..400.0);
        let hi = lo + self.rng.random_range(30.0..200.0);
        let dur = self.rng.random_range(20..120);
        let start = self.t0 + start_min * MIN_US;
        let time = TimeWindow::new(Time::from_micros(start), Time::from_micros(start + dur * MIN_US))?;
        Ok(Volume4D::new(footprint, AltitudeRange::new(lo, hi)?, time))
    }

    fn volume(&mut self) -> anyhow::Result<Volume4D> {
        let (lat, lng) = self.point();
        let start = self.rng.random_range(5..24 * 60);
        self.volume_at(lat, lng, start)
    }
}

/// The store a bench runs on and what it made for the run: `sqlite` alone is
/// a fresh file in a temporary directory; a PostgreSQL URL gets a scratch
/// schema of its own, removed when the bench ends, so its synthetic rows never
/// stay in the database; anything else is parsed as `serve --store` parses it.
struct BenchStore {
    spec: StoreSpec,
    _dir: Option<tempfile::TempDir>,
    schema: Option<store_postgres::ScratchSchema>,
}

impl BenchStore {
    fn new(spec: &str) -> anyhow::Result<Self> {
        if spec == "sqlite" {
            let dir = tempfile::tempdir()?;
            let spec = StoreSpec::Sqlite(dir.path().join("bench.sqlite"));
            return Ok(Self { spec, _dir: Some(dir), schema: None });
        }
        let spec: StoreSpec = spec.parse().map_err(|e: String| anyhow::anyhow!(e))?;
        let schema = match &spec {
            StoreSpec::Postgres(url) => Some(store_postgres::ScratchSchema::create(url, "deconflict_bench")?),
            _ => None,
        };
        if let Some(s) = &schema {
            println!("working in the scratch schema {} (removed at the end)", s.name());
        }
        Ok(Self { spec, _dir: None, schema })
    }

    /// A store (for PostgreSQL, a pool of its own: one more replica).
    fn open(&self) -> anyhow::Result<Arc<dyn Store>> {
        let pg =
            PgSettings { schema: self.schema.as_ref().map(|s| s.name().to_owned()), ..PgSettings::default() };
        Ok(self.spec.open(&pg)?)
    }

    fn is_shared_database(&self) -> bool {
        self.schema.is_some()
    }

    /// Removes what the bench made, saying so.
    fn finish(self) -> anyhow::Result<()> {
        if let Some(schema) = self.schema {
            let name = schema.name().to_owned();
            schema.remove().map_err(|e| anyhow::anyhow!("removing the scratch schema {name}: {e}"))?;
            println!("removed the scratch schema {name}");
        }
        Ok(())
    }
}

fn preload(store: &dyn Store, g: &mut Gen, n: usize) -> anyhow::Result<()> {
    let url = UssBaseUrl::parse("https://preload.example", false)?;
    let pb = progress(n, "preload");
    let mut done = 0;
    while done < n {
        let batch = (n - done).min(10_000);
        let mut tx = store.begin(TxMode::Write)?;
        for i in 0..batch {
            let id = EntityId::random();
            let oi = OperationalIntent {
                id,
                party: PartyName::new(&format!("party-{}", (done + i) % 50))?,
                version: 1,
                state: IntentState::Accepted,
                ovn: Ovn::parse(&format!("preload-ovn-{id}"))?,
                extents: vec![g.volume()?],
                uss_base_url: url.clone(),
                subscription_id: None,
                created_at: Time::from_micros(g.t0),
                updated_at: Time::from_micros(g.t0),
            };
            tx.put_intent(&oi)?;
        }
        tx.commit()?;
        done += batch;
        pb.set_position(done as u64);
    }
    pb.finish();
    Ok(())
}

fn stats(name: &str, mut samples: Vec<Duration>, wall: Duration) {
    samples.sort_unstable();
    let pct = |p: f64| samples.get(((samples.len() as f64 - 1.0) * p) as usize).copied().unwrap_or_default();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "{name:<28} n={:<6} p50={:>8.3} ms  p99={:>8.3} ms  max={:>8.3} ms  throughput={:>9.0}/s",
        samples.len(),
        ms(pct(0.5)),
        ms(pct(0.99)),
        ms(samples.last().copied().unwrap_or_default()),
        samples.len() as f64 / wall.as_secs_f64().max(1e-9),
    );
}

/// Files `p` with a complete key (found by a query first, not timed), again
/// if a concurrent writer got in between (409); returns the time of the
/// successful create alone and how many attempts were refused.
fn timed_create(engine: &Engine, ctx: &Ctx, p: &mut PutIntent) -> anyhow::Result<(Duration, u32)> {
    let mut refused = 0;
    loop {
        let keys = engine.query_intents(ctx, &p.extents[0]).map_err(|e| anyhow::anyhow!("{e}"))?;
        p.key = keys.into_iter().map(|v| v.intent.ovn).collect();
        let start = Instant::now();
        match engine.put_intent(ctx, EntityId::random(), None, p) {
            Ok(_) => return Ok((start.elapsed(), refused)),
            Err(EngineError::MissingKeys(_) | EngineError::Contention { .. }) if refused < 20 => refused += 1,
            Err(e) => anyhow::bail!("{e}"),
        }
    }
}

/// What every bench thread needs.
struct Setup {
    engines: Vec<Engine>,
    now: i64,
    seed: u64,
    url: UssBaseUrl,
}

impl Setup {
    fn put(&self, extents: Vec<Volume4D>) -> PutIntent {
        PutIntent {
            extents,
            key: Vec::new(),
            state: IntentState::Accepted,
            uss_base_url: self.url.clone(),
            subscription: SubscriptionChoice::None,
            requested_ovn_suffix: None,
        }
    }

    fn ctx(&self, thread: usize) -> anyhow::Result<Ctx> {
        Ok(Ctx::new(PartyName::new(&format!("bench-{thread}"))?, Time::from_micros(self.now)))
    }

    /// Runs `per_thread` operations on each of `threads` threads (thread `i`
    /// on replica `i % replicas`), returning every sample and the wall time.
    fn run<F>(
        &self,
        threads: usize,
        per_thread: usize,
        op: F,
    ) -> anyhow::Result<(Vec<Duration>, u32, Duration)>
    where
        F: Fn(&Engine, &Ctx, &mut Gen, usize) -> anyhow::Result<(Duration, u32)> + Sync,
    {
        let wall = Instant::now();
        let results: Vec<anyhow::Result<(Vec<Duration>, u32)>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let op = &op;
                    scope.spawn(move || {
                        let engine = &self.engines[t % self.engines.len()];
                        let ctx = self.ctx(t)?;
                        let mut g = Gen {
                            rng: StdRng::seed_from_u64(self.seed ^ ((t as u64 + 1) * 7919)),
                            t0: self.now,
                        };
                        let mut samples = Vec::with_capacity(per_thread);
                        let mut refused = 0;
                        for i in 0..per_thread {
                            let (d, r) = op(engine, &ctx, &mut g, i * threads + t)?;
                            samples.push(d);
                            refused += r;
                        }
                        Ok((samples, refused))
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|_| Err(anyhow::anyhow!("bench thread panicked"))))
                .collect()
        });
        let mut all = Vec::new();
        let mut refused = 0;
        for r in results {
            let (s, n) = r?;
            all.extend(s);
            refused += n;
        }
        Ok((all, refused, wall.elapsed()))
    }
}

fn strategic(a: &StrategicArgs) -> anyhow::Result<()> {
    let bench = BenchStore::new(&a.store)?;
    let outcome = strategic_on(a, &bench);
    // Dropping the engines closes their pools before the schema is removed.
    bench.finish()?;
    outcome
}

fn strategic_on(a: &StrategicArgs, bench: &BenchStore) -> anyhow::Result<()> {
    let store = bench.open()?;
    let now = chrono::Utc::now().timestamp_micros();
    let mut g = Gen { rng: StdRng::seed_from_u64(a.seed), t0: now };
    println!(
        "deconflict bench strategic: {} intents, store {}, {} timed ops, {} thread(s), {} replica(s)",
        a.intents,
        store.kind(),
        a.ops,
        a.threads,
        a.replicas
    );
    let t = Instant::now();
    preload(&*store, &mut g, a.intents)?;
    println!("preload: {:.1} s", t.elapsed().as_secs_f64());
    let limits = Limits { max_results: usize::MAX, ..Limits::default() };
    let mut engines = vec![Engine::new(store, limits.clone())];
    for _ in 1..a.replicas.max(1) {
        // Another replica: its own connection pool to the same database (a
        // PostgreSQL URL), or the same store in this process otherwise.
        let replica = if bench.is_shared_database() { bench.open()? } else { engines[0].store().clone() };
        engines.push(Engine::new(replica, limits.clone()));
    }
    let setup = Setup { engines, now, seed: a.seed, url: UssBaseUrl::parse("https://bench.example", false)? };
    let threads = a.threads.max(1);
    let per_thread = (a.ops / threads).max(1);

    let (samples, refused, wall) = setup.run(threads, per_thread, |engine, ctx, g, _| {
        let mut p = setup.put(vec![g.volume()?]);
        timed_create(engine, ctx, &mut p)
    })?;
    stats("create (with key check)", samples, wall);
    report_refused(refused);

    let found = std::sync::atomic::AtomicUsize::new(0);
    let (samples, _, wall) = setup.run(threads, per_thread, |engine, ctx, g, _| {
        let (lat, lng) = g.point();
        let area = Volume4D::new(
            Footprint::Circle(Circle::new(LatLng::new(lat, lng)?, 5_000.0)?),
            AltitudeRange::unbounded(),
            TimeWindow::unbounded(),
        );
        let start = Instant::now();
        let n = engine.query_intents(ctx, &area).map_err(|e| anyhow::anyhow!("{e}"))?.len();
        found.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
        Ok((start.elapsed(), 0))
    })?;
    let n = samples.len().max(1);
    stats("query (5 km radius, all time)", samples, wall);
    println!("  mean results per query: {:.1}", found.into_inner() as f64 / n as f64);

    // One busy cell: every operation in the same 1 km square, spread over the
    // day in 10-minute slots, so each create must show awareness of the few it
    // overlaps in time; concurrent writers race and retry with the new keys.
    let (lat, lng) = g.point();
    let busy_per_thread = (a.ops.min(1_000) / threads).max(1);
    let (samples, refused, wall) = setup.run(threads, busy_per_thread, |engine, ctx, g, i| {
        let slot = (i as i64 * 10) % (23 * 60) + 5;
        let mut p = setup.put(vec![g.volume_at(lat, lng, slot)?]);
        timed_create(engine, ctx, &mut p)
    })?;
    stats("busy cell create", samples, wall);
    report_refused(refused);
    Ok(())
}

fn report_refused(refused: u32) {
    if refused > 0 {
        println!("  refused and retried after a concurrent writer won: {refused}");
    }
}
