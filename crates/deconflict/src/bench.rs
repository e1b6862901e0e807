//! `deconflict bench strategic`: loads N random operational intents over a
//! realistic region into a store, then times creates with the awareness check
//! and area queries through the engine, and writes in one busy cell. Prints
//! p50/p99 latencies and throughput.

use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Args, Subcommand};
use deconflict_core::engine::{PutIntent, SubscriptionChoice};
use deconflict_core::model::{IntentState, OperationalIntent};
use deconflict_core::{Ctx, Engine, EntityId, Limits, Manager, Ovn, Store, TxMode, UssBaseUrl};
use geom::{AltitudeRange, Circle, Footprint, LatLng, Polygon, Time, TimeWindow, Volume4D};
use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use server::{PgSettings, StoreSpec};

/// The `bench` subcommands.
#[derive(Debug, Subcommand)]
pub enum BenchCmd {
    /// Strategic engine: creates with the key check, area queries, a busy cell.
    Strategic(StrategicArgs),
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
}

/// Runs a bench subcommand.
pub fn run(cmd: BenchCmd) -> anyhow::Result<()> {
    match cmd {
        BenchCmd::Strategic(a) => strategic(&a),
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

/// Opens the store named on the command line: `sqlite` alone is a fresh file in
/// a temporary directory, anything else is parsed as `serve --store` parses it.
fn open_store(spec: &str) -> anyhow::Result<(Arc<dyn Store>, Option<tempfile::TempDir>)> {
    if spec == "sqlite" {
        let dir = tempfile::tempdir()?;
        let store = store_sqlite::SqliteStore::open(&dir.path().join("bench.sqlite"))?;
        return Ok((Arc::new(store), Some(dir)));
    }
    let parsed: StoreSpec = spec.parse().map_err(|e: String| anyhow::anyhow!(e))?;
    Ok((parsed.open(&PgSettings::default())?, None))
}

fn progress(n: usize, what: &str) -> ProgressBar {
    let pb = ProgressBar::new(n as u64);
    if let Ok(style) = ProgressStyle::with_template("{msg:>10} [{bar:40}] {pos}/{len} {per_sec} eta {eta}") {
        pb.set_style(style);
    }
    pb.set_message(what.to_owned());
    pb
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
                manager: Manager::new(&format!("party-{}", (done + i) % 50))?,
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

/// Files `p` with a complete key (found by a query first, not timed); returns
/// the time of the create alone.
fn timed_create(engine: &Engine, ctx: &Ctx, p: &mut PutIntent) -> anyhow::Result<Duration> {
    let keys = engine.query_intents(ctx, &p.extents[0]).map_err(|e| anyhow::anyhow!("{e}"))?;
    p.key = keys.into_iter().map(|v| v.intent.ovn).collect();
    let start = Instant::now();
    engine.put_intent(ctx, EntityId::random(), None, p).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(start.elapsed())
}

fn strategic(a: &StrategicArgs) -> anyhow::Result<()> {
    let (store, _dir) = open_store(&a.store)?;
    let now = chrono::Utc::now().timestamp_micros();
    let mut g = Gen { rng: StdRng::seed_from_u64(a.seed), t0: now };
    println!(
        "deconflict bench strategic: {} intents, store {}, {} timed ops",
        a.intents,
        store.kind(),
        a.ops
    );
    let t = Instant::now();
    preload(&*store, &mut g, a.intents)?;
    println!("preload: {:.1} s", t.elapsed().as_secs_f64());
    let limits = Limits { max_results: usize::MAX, ..Limits::default() };
    let engine = Engine::new(store, limits);
    let ctx = Ctx::new(Manager::new("bench")?, Time::from_micros(now));
    let url = UssBaseUrl::parse("https://bench.example", false)?;
    let put = |extents| PutIntent {
        extents,
        key: Vec::new(),
        state: IntentState::Accepted,
        uss_base_url: url.clone(),
        subscription: SubscriptionChoice::None,
        requested_ovn_suffix: None,
    };

    let mut samples = Vec::with_capacity(a.ops);
    let wall = Instant::now();
    for _ in 0..a.ops {
        let mut p = put(vec![g.volume()?]);
        samples.push(timed_create(&engine, &ctx, &mut p)?);
    }
    stats("create (with key check)", samples, wall.elapsed());

    let mut samples = Vec::with_capacity(a.ops);
    let mut found = 0usize;
    let wall = Instant::now();
    for _ in 0..a.ops {
        let (lat, lng) = g.point();
        let area = Volume4D::new(
            Footprint::Circle(Circle::new(LatLng::new(lat, lng)?, 5_000.0)?),
            AltitudeRange::unbounded(),
            TimeWindow::unbounded(),
        );
        let start = Instant::now();
        found += engine.query_intents(&ctx, &area).map_err(|e| anyhow::anyhow!("{e}"))?.len();
        samples.push(start.elapsed());
    }
    stats("query (5 km radius, all time)", samples, wall.elapsed());
    println!("  mean results per query: {:.1}", found as f64 / a.ops.max(1) as f64);

    // One busy cell: every operation in the same 1 km square, spread over the
    // day in 10-minute slots, so each create must show awareness of the few
    // it overlaps in time.
    let (lat, lng) = g.point();
    let busy = a.ops.min(1_000);
    let mut samples = Vec::with_capacity(busy);
    let wall = Instant::now();
    for i in 0..busy {
        let slot = (i as i64 * 10) % (23 * 60) + 5;
        let mut p = put(vec![g.volume_at(lat, lng, slot)?]);
        samples.push(timed_create(&engine, &ctx, &mut p)?);
    }
    stats("busy cell create", samples, wall.elapsed());
    Ok(())
}
