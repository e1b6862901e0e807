//! `deconflict bench load`: an HTTP load generator for the F3548 API of one
//! or several running servers (replicas). Each client plays a USS: it
//! creates operational intents (on a 409 it learns the missing OVNs, as a
//! USS would from their parties, here from what the other clients filed,
//! and tries again once), updates and deletes its own, queries areas, and
//! creates and deletes subscriptions, over a region, with tokens signed by
//! the development key the servers trust (`serve --dev`). Each concurrency
//! level runs for a fixed time and prints throughput, latency percentiles
//! and status counts per operation; a sweep of levels shows where
//! throughput stops growing (the knee).

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Args;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

/// Flags of `bench load`.
#[derive(Debug, Args)]
pub struct LoadArgs {
    /// Base URL of a server (repeatable, or comma-separated: replicas get the
    /// clients in turn).
    #[arg(long = "target", required = true, value_delimiter = ',')]
    pub targets: Vec<String>,
    /// Concurrent clients; a comma-separated list runs each level in turn
    /// (a sweep, e.g. 1,2,4,8,16,32).
    #[arg(long, value_delimiter = ',', default_value = "8")]
    pub concurrency: Vec<usize>,
    /// Seconds each level is measured.
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// Seconds each level runs before it is measured.
    #[arg(long, default_value_t = 1.0)]
    pub warmup: f64,
    /// Weights of the operations: `create`, `update`, `query`, `delete`,
    /// `subscribe` (a subscription created, or one deleted when the client
    /// holds four).
    #[arg(long, default_value = "create=40,update=15,query=25,delete=15,subscribe=5")]
    pub mix: Mix,
    /// The development key the servers trust (`serve --dev --dev-key`).
    #[arg(long, env = "DECONF_DEV_KEY", default_value = "deconflict-dev-key.pem")]
    pub dev_key: PathBuf,
    /// How many parties (token subjects) the clients act for, in turn.
    #[arg(long, default_value_t = 32)]
    pub parties: usize,
    /// The region `lat_min,lat_max,lng_min,lng_max` (degrees); default about
    /// 1,000 km × 1,000 km of central Europe.
    #[arg(long, default_value = "44,53,0,13")]
    pub region: Region,
    /// Most live intents one client keeps; beyond, it deletes instead of creating.
    #[arg(long, default_value_t = 20)]
    pub max_live: usize,
    /// Random seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Threads of the generator's own runtime.
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
}

/// One operation of the mix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Op {
    /// Create an intent (with one key retry after a 409).
    Create,
    /// Update one of the client's intents (same key retry).
    Update,
    /// Query the intents of a 5 km square over the next hours.
    Query,
    /// Delete one of the client's intents.
    Delete,
    /// Create a subscription, or delete one when the client holds four.
    Subscribe,
}

impl Op {
    const ALL: [Op; 5] = [Op::Create, Op::Update, Op::Query, Op::Delete, Op::Subscribe];

    fn name(self) -> &'static str {
        match self {
            Op::Create => "create",
            Op::Update => "update",
            Op::Query => "query",
            Op::Delete => "delete",
            Op::Subscribe => "subscribe",
        }
    }
}

/// Operation weights, parsed from `create=40,update=15,...`.
#[derive(Debug, Clone, PartialEq)]
pub struct Mix(Vec<(Op, u32)>);

impl FromStr for Mix {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut out = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, w) = part.split_once('=').ok_or_else(|| format!("`{part}` is not name=weight"))?;
            let op = Op::ALL.into_iter().find(|o| o.name() == name.trim()).ok_or_else(|| {
                format!("unknown operation `{name}`: use create, update, query, delete, subscribe")
            })?;
            let w: u32 = w.trim().parse().map_err(|_| format!("weight of `{name}` is not a whole number"))?;
            out.push((op, w));
        }
        if out.iter().map(|(_, w)| w).sum::<u32>() == 0 {
            return Err("the mix needs at least one operation with a weight above 0".into());
        }
        Ok(Mix(out))
    }
}

impl Mix {
    fn pick(&self, rng: &mut StdRng) -> Op {
        let total: u32 = self.0.iter().map(|(_, w)| w).sum();
        let mut x = rng.random_range(0..total);
        for &(op, w) in &self.0 {
            if x < w {
                return op;
            }
            x -= w;
        }
        Op::Query
    }
}

/// A lat/lng box in degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Region {
    lat: (f64, f64),
    lng: (f64, f64),
}

impl FromStr for Region {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let v: Vec<f64> = s
            .split(',')
            .map(|x| x.trim().parse::<f64>().map_err(|_| format!("`{x}` is not a number")))
            .collect::<Result<_, _>>()?;
        let [a, b, c, d] = v[..] else { return Err("give lat_min,lat_max,lng_min,lng_max".into()) };
        if !(-89.0..=89.0).contains(&a) || !(-89.0..=89.0).contains(&b) || a >= b {
            return Err("latitudes must be increasing, within ±89°".into());
        }
        if !(-180.0..=180.0).contains(&c) || !(-180.0..=180.0).contains(&d) || c >= d {
            return Err("longitudes must be increasing, within ±180°".into());
        }
        Ok(Region { lat: (a, b), lng: (c, d) })
    }
}

/// OVNs of every intent the clients hold, by id: what a USS would learn
/// from the managing USSs when the DSS lists an intent missing from its key.
type Registry = Arc<Mutex<HashMap<String, String>>>;

/// What one level measured.
#[derive(Debug, Default)]
struct Tally {
    /// Latency in µs per operation.
    latency: BTreeMap<Op, Vec<u32>>,
    /// Final statuses per operation.
    statuses: BTreeMap<(Op, u16), u64>,
    /// Creates and updates that were refused for a missing key and tried again.
    key_retries: u64,
    /// Requests that got no HTTP answer.
    transport_errors: u64,
}

impl Tally {
    fn merge(&mut self, other: Tally) {
        for (op, mut v) in other.latency {
            self.latency.entry(op).or_default().append(&mut v);
        }
        for (k, n) in other.statuses {
            *self.statuses.entry(k).or_default() += n;
        }
        self.key_retries += other.key_retries;
        self.transport_errors += other.transport_errors;
    }

    fn record(&mut self, op: Op, status: u16, started: Instant, measuring: bool) {
        if !measuring {
            return;
        }
        let us = u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX);
        self.latency.entry(op).or_default().push(us);
        *self.statuses.entry((op, status)).or_default() += 1;
    }
}

/// One client: a party's token, a target, its own intents and subscriptions.
struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
    who: String,
    rng: StdRng,
    region: Region,
    registry: Registry,
    /// (id, ovn) of the live intents it filed.
    mine: Vec<(String, String)>,
    /// (id, version) of its subscriptions.
    subs: Vec<(String, String)>,
    max_live: usize,
}

fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> Value {
    json!({ "value": t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true), "format": "RFC3339" })
}

impl Client {
    /// A volume of about 1 km² somewhere in the region, within the next
    /// hours, in a random altitude band.
    fn volume(&mut self, half_deg: f64, minutes: (i64, i64)) -> Value {
        let lat = self.rng.random_range(self.region.lat.0..self.region.lat.1);
        let lng = self.rng.random_range(self.region.lng.0..self.region.lng.1);
        let dlng = half_deg / lat.to_radians().cos();
        let lo: f64 = self.rng.random_range(0.0..300.0);
        let hi = lo + self.rng.random_range(30.0..150.0);
        let now = chrono::Utc::now();
        let start = now + chrono::Duration::minutes(minutes.0);
        let end = start + chrono::Duration::minutes(minutes.1);
        json!({
            "volume": {
                "outline_polygon": { "vertices": [
                    { "lat": lat - half_deg, "lng": lng - dlng }, { "lat": lat - half_deg, "lng": lng + dlng },
                    { "lat": lat + half_deg, "lng": lng + dlng }, { "lat": lat + half_deg, "lng": lng - dlng } ] },
                "altitude_lower": { "value": lo, "reference": "W84", "units": "M" },
                "altitude_upper": { "value": hi, "reference": "W84", "units": "M" },
            },
            "time_start": rfc3339(start),
            "time_end": rfc3339(end),
        })
    }

    fn intent_body(&mut self, key: &[String]) -> Value {
        let start = self.rng.random_range(5..240);
        let duration = self.rng.random_range(20..90);
        // 0.0045° of latitude: a square of about 1 km on a side.
        let extents = self.volume(0.0045, (start, duration));
        let url = format!("https://{}.load.example", self.who);
        json!({ "extents": [extents], "key": key, "state": "Accepted", "uss_base_url": url,
                "new_subscription": { "uss_base_url": url, "notify_for_constraints": false } })
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: Option<&Value>) -> Option<(u16, Value)> {
        let mut req = self.http.request(method, format!("{}{path}", self.base)).bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req.send().await.ok()?;
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.ok()?;
        Some((status, serde_json::from_slice(&bytes).unwrap_or(Value::Null)))
    }

    /// The OVNs (known to the clients) of the intents a 409 lists as missing.
    fn learn_missing(&self, answer: &Value) -> Vec<String> {
        let registry = self.registry.lock().unwrap_or_else(PoisonError::into_inner);
        answer["missing_operational_intents"]
            .as_array()
            .map(|a| {
                a.iter().filter_map(|oi| oi["id"].as_str().and_then(|id| registry.get(id)).cloned()).collect()
            })
            .unwrap_or_default()
    }

    /// PUT an intent (create or update), once more with the learnt OVNs
    /// after a 409 for a missing key. Returns the final answer.
    async fn put_intent(&mut self, path: &str, tally: &mut Tally, measuring: bool) -> Option<(u16, Value)> {
        let body = self.intent_body(&[]);
        let (status, answer) = self.send(reqwest::Method::PUT, path, Some(&body)).await?;
        if status != 409 || answer.get("missing_operational_intents").is_none() {
            return Some((status, answer));
        }
        if measuring {
            tally.key_retries += 1;
        }
        let mut body = body;
        body["key"] = json!(self.learn_missing(&answer));
        self.send(reqwest::Method::PUT, path, Some(&body)).await
    }

    fn remember(&mut self, id: String, answer: &Value) {
        if let Some(ovn) = answer["operational_intent_reference"]["ovn"].as_str() {
            self.registry.lock().unwrap_or_else(PoisonError::into_inner).insert(id.clone(), ovn.to_owned());
            self.mine.push((id, ovn.to_owned()));
        }
    }

    fn forget(&self, id: &str) {
        self.registry.lock().unwrap_or_else(PoisonError::into_inner).remove(id);
    }

    async fn step(&mut self, op: Op, tally: &mut Tally, measuring: bool) {
        const OIR: &str = "/dss/v1/operational_intent_references";
        const SUB: &str = "/dss/v1/subscriptions";
        let op = match op {
            Op::Create if self.mine.len() >= self.max_live => Op::Delete,
            Op::Update | Op::Delete if self.mine.is_empty() => Op::Create,
            other => other,
        };
        let started = Instant::now();
        let answer = match op {
            Op::Create => {
                let id = uuid::Uuid::new_v4().to_string();
                let answer = self.put_intent(&format!("{OIR}/{id}"), tally, measuring).await;
                if let Some((201, body)) = &answer {
                    self.remember(id, body);
                }
                answer
            }
            Op::Update => {
                let i = self.rng.random_range(0..self.mine.len());
                let (id, ovn) = self.mine.swap_remove(i);
                let answer = self.put_intent(&format!("{OIR}/{id}/{ovn}"), tally, measuring).await;
                match &answer {
                    Some((200, body)) => self.remember(id, body),
                    _ => self.mine.push((id, ovn)),
                }
                answer
            }
            Op::Delete => {
                let i = self.rng.random_range(0..self.mine.len());
                let (id, ovn) = self.mine.swap_remove(i);
                let answer = self.send(reqwest::Method::DELETE, &format!("{OIR}/{id}/{ovn}"), None).await;
                match &answer {
                    Some((200 | 404, _)) => self.forget(&id),
                    _ => self.mine.push((id, ovn)),
                }
                answer
            }
            Op::Query => {
                // 0.0225°: a square of about 5 km on a side, over the next 5 hours.
                let area = json!({ "area_of_interest": self.volume(0.0225, (0, 300)) });
                self.send(reqwest::Method::POST, &format!("{OIR}/query"), Some(&area)).await
            }
            Op::Subscribe if self.subs.len() >= 4 => {
                let (id, version) = self.subs.remove(0);
                self.send(reqwest::Method::DELETE, &format!("{SUB}/{id}/{version}"), None).await
            }
            Op::Subscribe => {
                let id = uuid::Uuid::new_v4().to_string();
                let body = json!({ "extents": self.volume(0.02, (0, 120)),
                    "uss_base_url": format!("https://{}.load.example", self.who),
                    "notify_for_operational_intents": true });
                let answer = self.send(reqwest::Method::PUT, &format!("{SUB}/{id}"), Some(&body)).await;
                if let Some((200, body)) = &answer
                    && let Some(v) = body["subscription"]["version"].as_str()
                {
                    self.subs.push((id, v.to_owned()));
                }
                answer
            }
        };
        match answer {
            Some((status, _)) => tally.record(op, status, started, measuring),
            None if measuring => tally.transport_errors += 1,
            None => {}
        }
    }
}

/// Runs `bench load`.
///
/// # Errors
/// Bad flags, an unusable key, or a runtime that does not start.
pub fn run(a: &LoadArgs) -> anyhow::Result<()> {
    if a.concurrency.contains(&0) {
        anyhow::bail!("--concurrency must be at least 1");
    }
    if a.duration.is_nan() || a.duration <= 0.0 || a.warmup.is_nan() || a.warmup < 0.0 {
        anyhow::bail!("--duration must be above 0 and --warmup at least 0");
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(a.threads.max(1))
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(sweep(a))
}

async fn sweep(a: &LoadArgs) -> anyhow::Result<()> {
    let targets: Vec<String> = a.targets.iter().map(|t| t.trim_end_matches('/').to_owned()).collect();
    let max_clients = a.concurrency.iter().copied().max().unwrap_or(1);
    server::net::tls::install_crypto_provider();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(max_clients)
        .timeout(Duration::from_secs(30))
        .build()
        .context("building the HTTP client")?;
    // One token per (party, target host): the audience is the host called.
    let mut tokens = HashMap::new();
    // And the operator's, to read each target's /metrics.
    let mut operator = HashMap::new();
    for t in &targets {
        let host = reqwest::Url::parse(t)
            .with_context(|| format!("target {t}"))?
            .host_str()
            .unwrap_or("localhost")
            .to_owned();
        for p in 0..a.parties.max(1) {
            let who = format!("load-{p}");
            let token = crate::token::sign(&a.dev_key, &who, "utm.strategic_coordination", &host, 3600)
                .with_context(|| format!("signing a token with {}", a.dev_key.display()))?;
            tokens.insert((p, t.clone()), token);
        }
        let token = crate::token::sign(&a.dev_key, "bench-load-operator", "deconflict.admin", &host, 3600)
            .with_context(|| format!("signing a token with {}", a.dev_key.display()))?;
        operator.insert(t.clone(), token);
    }
    println!(
        "deconflict bench load: {} target(s) {}, mix {}, {} s per level after {} s warm-up, {} parties",
        targets.len(),
        targets.join(" "),
        a.mix.0.iter().map(|(o, w)| format!("{}={w}", o.name())).collect::<Vec<_>>().join(","),
        a.duration,
        a.warmup,
        a.parties.max(1)
    );
    let registry: Registry = Arc::default();
    let mut levels = Vec::new();
    for (level, &n) in a.concurrency.iter().enumerate() {
        let retries_before = retries(&http, &operator).await;
        let (tally, wall) = level_run(a, &targets, &tokens, &http, &registry, n, level).await;
        let retries_after = retries(&http, &operator).await;
        let retried = match (retries_before, retries_after) {
            (Some(b), Some(e)) => Some(e.saturating_sub(b)),
            _ => None,
        };
        let total = print_level(n, &tally, wall, retried);
        levels.push((n, total.0, total.1));
    }
    if levels.len() > 1 {
        print_knee(&levels);
    }
    Ok(())
}

/// Runs `n` clients for the warm-up and the measured duration.
async fn level_run(
    a: &LoadArgs,
    targets: &[String],
    tokens: &HashMap<(usize, String), String>,
    http: &reqwest::Client,
    registry: &Registry,
    n: usize,
    level: usize,
) -> (Tally, Duration) {
    let start = Instant::now();
    let measure_from = start + Duration::from_secs_f64(a.warmup);
    let end = measure_from + Duration::from_secs_f64(a.duration);
    let mut tasks = Vec::with_capacity(n);
    for i in 0..n {
        let base = targets[i % targets.len()].clone();
        let party = i % a.parties.max(1);
        let token = tokens.get(&(party, base.clone())).cloned().unwrap_or_default();
        let mut client = Client {
            http: http.clone(),
            base,
            token,
            who: format!("load-{party}"),
            rng: StdRng::seed_from_u64(
                a.seed ^ ((level as u64) << 32) ^ (i as u64 + 1).wrapping_mul(0x9e37_79b9),
            ),
            region: a.region,
            registry: registry.clone(),
            mine: Vec::new(),
            subs: Vec::new(),
            max_live: a.max_live.max(1),
        };
        let mix = a.mix.clone();
        tasks.push(tokio::spawn(async move {
            let mut tally = Tally::default();
            loop {
                let now = Instant::now();
                if now >= end {
                    break;
                }
                let op = mix.pick(&mut client.rng);
                client.step(op, &mut tally, now >= measure_from).await;
            }
            // Leave nothing behind for the next level: delete what is left.
            while let Some((id, ovn)) = client.mine.pop() {
                let path = format!("/dss/v1/operational_intent_references/{id}/{ovn}");
                let _ = client.send(reqwest::Method::DELETE, &path, None).await;
                client.forget(&id);
            }
            for (id, version) in std::mem::take(&mut client.subs) {
                let _ = client
                    .send(reqwest::Method::DELETE, &format!("/dss/v1/subscriptions/{id}/{version}"), None)
                    .await;
            }
            tally
        }));
    }
    // Seconds of the level on stderr (hidden when it is not a terminal).
    let pb = crate::output::progress((a.warmup + a.duration).ceil() as usize, &format!("{n} clients"));
    let ticker = tokio::spawn({
        let pb = pb.clone();
        async move {
            let mut every = tokio::time::interval(Duration::from_millis(250));
            loop {
                every.tick().await;
                pb.set_position(start.elapsed().as_secs());
            }
        }
    });
    let mut tally = Tally::default();
    for t in tasks {
        if let Ok(one) = t.await {
            tally.merge(one);
        }
    }
    ticker.abort();
    pb.finish_and_clear();
    (tally, Duration::from_secs_f64(a.duration))
}

/// The sum of `deconflict_tx_retries_total` over the targets (each with the
/// operator's token), when all expose it.
async fn retries(http: &reqwest::Client, targets: &HashMap<String, String>) -> Option<u64> {
    let mut sum = 0;
    for (t, token) in targets {
        let text =
            http.get(format!("{t}/metrics")).bearer_auth(token).send().await.ok()?.text().await.ok()?;
        let line = text.lines().find(|l| l.starts_with("deconflict_tx_retries_total"))?;
        sum += line.split_whitespace().last()?.parse::<f64>().ok()? as u64;
    }
    Some(sum)
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[i.min(sorted.len() - 1)]) / 1000.0
}

/// Prints one level; returns (requests/s, p99 ms) over all operations.
fn print_level(n: usize, tally: &Tally, wall: Duration, retried: Option<u64>) -> (f64, f64) {
    let secs = wall.as_secs_f64();
    let mut all: Vec<u32> = tally.latency.values().flatten().copied().collect();
    all.sort_unstable();
    let rate = all.len() as f64 / secs;
    let created = tally.statuses.get(&(Op::Create, 201)).copied().unwrap_or(0);
    println!(
        "\nconcurrency {n}: {rate:.0} requests/s, {:.0} durable creates/s; latency p50 {:.1} ms, p99 {:.1} ms, p99.9 {:.1} ms",
        created as f64 / secs,
        percentile(&all, 0.5),
        percentile(&all, 0.99),
        percentile(&all, 0.999),
    );
    for (op, samples) in &tally.latency {
        let mut s = samples.clone();
        s.sort_unstable();
        let statuses: Vec<String> = tally
            .statuses
            .iter()
            .filter(|((o, _), _)| o == op)
            .map(|((_, status), count)| format!("{status}: {count}"))
            .collect();
        println!(
            "  {:<10} {:>7.0}/s  p50 {:>7.1} ms  p99 {:>7.1} ms  p99.9 {:>7.1} ms  statuses {{{}}}",
            op.name(),
            s.len() as f64 / secs,
            percentile(&s, 0.5),
            percentile(&s, 0.99),
            percentile(&s, 0.999),
            statuses.join(", ")
        );
    }
    println!(
        "  key retries (409 then the missing OVNs) {}, transport errors {}, store transaction retries {}",
        tally.key_retries,
        tally.transport_errors,
        retried.map_or_else(|| "not exposed".to_owned(), |r| r.to_string())
    );
    (rate, percentile(&all, 0.99))
}

/// The knee: the lowest concurrency that reaches 90 % of the best throughput;
/// beyond it, more clients mostly add latency.
fn print_knee(levels: &[(usize, f64, f64)]) {
    let best = levels.iter().map(|l| l.1).fold(0.0, f64::max);
    println!(
        "\nsweep (concurrency: requests/s, p99 ms): {}",
        levels.iter().map(|(n, r, p)| format!("{n}: {r:.0}, {p:.1}")).collect::<Vec<_>>().join("; ")
    );
    if let Some((n, r, p)) = levels.iter().find(|l| l.1 >= 0.9 * best) {
        println!(
            "knee: concurrency {n} ({r:.0} requests/s, p99 {p:.1} ms) reaches 90 % of the best {best:.0} requests/s"
        );
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn mix_and_region_parse_or_name_the_problem() {
        let m: Mix = "create=3, query=1".parse().unwrap();
        assert_eq!(m.0, vec![(Op::Create, 3), (Op::Query, 1)]);
        assert!("create=x".parse::<Mix>().unwrap_err().contains("whole number"));
        assert!("fly=1".parse::<Mix>().unwrap_err().contains("unknown operation"));
        assert!("create=0".parse::<Mix>().is_err());
        let r: Region = "44,53,0,13".parse().unwrap();
        assert_eq!(r.lat, (44.0, 53.0));
        assert!("53,44,0,13".parse::<Region>().is_err());
        assert!("1,2,3".parse::<Region>().is_err());
    }

    #[test]
    fn picks_follow_the_weights() {
        let m: Mix = "create=1,query=0,delete=3".parse().unwrap();
        let mut rng = StdRng::seed_from_u64(3);
        let picks: Vec<Op> = (0..400).map(|_| m.pick(&mut rng)).collect();
        assert!(!picks.contains(&Op::Query));
        let creates = picks.iter().filter(|&&o| o == Op::Create).count();
        assert!((60..140).contains(&creates), "{creates} creates of 400");
    }
}
