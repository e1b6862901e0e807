//! A real server on a loopback port, with its own keys and store, and helpers
//! to talk HTTP to it.
#![allow(clippy::unwrap_used, dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use deconflict_core::Store;

use futures_util::StreamExt as _;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use server::auth::{DevKey, TokenRequest};
use server::{Clock, Config};
use tokio::sync::oneshot;

pub mod audit_log;
pub mod certs;
pub mod signers;

pub const SC: &str = "utm.strategic_coordination";
pub const CP: &str = "utm.constraint_processing";
pub const CM: &str = "utm.constraint_management";
pub const CMSA: &str = "utm.conformance_monitoring_sa";
pub const AA: &str = "utm.availability_arbitration";

/// Opens a store for a test server: given the server's directory and the
/// PostgreSQL schema of [`Options::pg_schema`]; blocking.
pub type Opener = std::sync::Arc<dyn Fn(&Path, Option<&str>) -> Arc<dyn Store> + Send + Sync>;

/// The store a test server runs on. The server crate knows no backend (and
/// depends on no store crate, dev-dependencies included): its own tests run
/// on memory; the tests that need SQLite or PostgreSQL live in the
/// `deconflict` crate's tests, which include this harness and pass an
/// [`StoreSpec::Open`] of a real backend.
#[derive(Clone)]
pub enum StoreSpec {
    /// A new in-memory store.
    Memory,
    /// This store (a test reads it after the server stopped).
    Shared(Arc<dyn Store>),
    /// What this opener opens.
    Open(Opener),
}

impl StoreSpec {
    /// Opens it on a blocking thread, in `dir`.
    pub async fn open_async(&self, dir: &Path, schema: Option<String>) -> Arc<dyn Store> {
        match self {
            StoreSpec::Memory => Arc::new(deconflict_core::MemoryStore::new()),
            StoreSpec::Shared(store) => store.clone(),
            StoreSpec::Open(open) => {
                let (open, dir) = (open.clone(), dir.to_owned());
                tokio::task::spawn_blocking(move || open(&dir, schema.as_deref())).await.unwrap()
            }
        }
    }
}

/// A running server and what is needed to call it.
pub struct TestServer {
    pub base: String,
    pub dir: tempfile::TempDir,
    pub dev_key: PathBuf,
    pub http: reqwest::Client,
    pub clock: Clock,
    pub state: server::AppState,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

/// How to start a server.
pub struct Options {
    /// The store; `None` is a new in-memory store.
    pub store: Option<StoreSpec>,
    /// PostgreSQL schema for a `postgres://` store.
    pub pg_schema: Option<String>,
    /// Share a development key with another server.
    pub dev_key: Option<PathBuf>,
    /// Share the audit signing key with another server (replicas of one service).
    pub audit_key: Option<PathBuf>,
    pub key_files: Vec<PathBuf>,
    pub audiences: Vec<String>,
    pub dev: bool,
    pub max_body_bytes: usize,
    pub clock: Clock,
    /// Tactical settings (scan interval, SBS-1 listeners, ...).
    pub live: server::live::LiveConfig,
    /// The `--parties` registry file.
    pub parties_file: Option<PathBuf>,
    /// Per-party quotas.
    pub quotas: deconflict_core::quota::Quotas,
    /// Connection bounds.
    pub conn: server::net::ConnLimits,
    /// Open streams per party.
    pub max_streams_per_party: usize,
    /// HTTPS.
    pub tls: Option<server::TlsSettings>,
    /// Extra CAs for webhooks.
    pub ca_file: Option<PathBuf>,
    /// The admin listener (metrics, detailed health).
    pub admin_listen: Option<std::net::SocketAddr>,
    /// Each request's deadline (the server's default when `None`).
    pub request_timeout: Option<Duration>,
    /// The replica's id among the pool's DSS instances.
    pub dss_instance_id: Option<String>,
    /// Browser origins allowed by CORS.
    pub cors_origins: Vec<reqwest::header::HeaderValue>,
    /// How often the hotline passes run (the server's default when `None`).
    pub coord_interval: Option<Duration>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            store: None,
            pg_schema: None,
            dev_key: None,
            audit_key: None,
            key_files: Vec::new(),
            audiences: vec!["localhost".into()],
            dev: true,
            max_body_bytes: 1 << 20,
            clock: Clock::system(),
            live: server::live::LiveConfig::default(),
            parties_file: None,
            quotas: deconflict_core::quota::Quotas::default(),
            conn: server::net::ConnLimits::default(),
            max_streams_per_party: 8,
            tls: None,
            ca_file: None,
            admin_listen: None,
            request_timeout: None,
            dss_instance_id: None,
            cors_origins: Vec::new(),
            coord_interval: None,
        }
    }
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with(Options::default(), tempfile::tempdir().unwrap()).await
    }

    /// Starts on `dir` (reused across restarts to test durability).
    pub async fn start_with(opts: Options, dir: tempfile::TempDir) -> Self {
        server::net::tls::install_crypto_provider();
        let dev_key = opts.dev_key.clone().unwrap_or_else(|| dir.path().join("dev-key.pem"));
        let mut cfg = Config {
            key_files: opts.key_files,
            audiences: opts.audiences,
            dev: opts.dev,
            dev_key: dev_key.clone(),
            max_body_bytes: opts.max_body_bytes,
            live: opts.live,
            parties_file: opts.parties_file.clone(),
            audit_key: opts.audit_key.clone().unwrap_or_else(|| dir.path().join("audit-key.pem")),
            seal_interval: Duration::from_millis(50),
            conn: opts.conn.clone(),
            max_streams_per_party: opts.max_streams_per_party,
            tls: opts.tls.clone(),
            ca_file: opts.ca_file.clone(),
            admin_listen: opts.admin_listen,
            cors_origins: opts.cors_origins.clone(),
            ..Config::default()
        };
        cfg.limits.allow_http_base_urls = true;
        if let Some(id) = opts.dss_instance_id.clone() {
            cfg.dss_instance_id = id;
        }
        if let Some(t) = opts.request_timeout {
            cfg.request_timeout = t;
        }
        if let Some(t) = opts.coord_interval {
            cfg.coord_interval = t;
        }
        cfg.limits.quotas = opts.quotas.clone();
        let clock = opts.clock;
        let spec = opts.store.clone().unwrap_or(StoreSpec::Memory);
        let store = spec.open_async(dir.path(), opts.pg_schema.clone()).await;
        let state = server::build_state(&cfg, store, clock.clone()).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let scheme = if cfg.tls.is_some() { "https" } else { "http" };
        let base = format!("{scheme}://{}", listener.local_addr().unwrap());
        let (tx, rx) = oneshot::channel::<()>();
        let served = state.clone();
        let task = tokio::spawn(async move {
            server::serve(served, &cfg, listener, async move {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
        Self { base, dir, dev_key, http, clock, state, stop: Some(tx), task: Some(task) }
    }

    /// Stops the server and gives back its directory.
    pub async fn stop(mut self) -> tempfile::TempDir {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.unwrap();
        }
        let dir = tempfile::tempdir().unwrap();
        std::mem::replace(&mut self.dir, dir)
    }

    /// A development token for `sub` with `scopes`.
    pub fn token(&self, sub: &str, scopes: &[&str]) -> String {
        self.token_issued_at(sub, scopes, chrono::Utc::now().timestamp())
    }

    /// A development token issued at the server clock's time (for a manual
    /// clock moved days ahead).
    pub fn token_on_clock(&self, sub: &str, scopes: &[&str]) -> String {
        self.token_issued_at(sub, scopes, self.clock.now().as_micros() / 1_000_000)
    }

    fn token_issued_at(&self, sub: &str, scopes: &[&str], unix_s: i64) -> String {
        let key = DevKey::load_or_create(&self.dev_key).unwrap();
        let req = TokenRequest {
            sub: sub.into(),
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            audience: "localhost".into(),
            ttl: Duration::from_secs(3600),
        };
        key.sign(&req, unix_s).unwrap()
    }

    /// Sends a request with an optional token and JSON body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, value)
    }

    /// PUTs `who`'s Accepted intent over `extents`, knowing the OVNs in `key`,
    /// at `path` (`{OIR}/{id}`, or `{OIR}/{id}/{ovn}` to update), with a
    /// strategic coordination token of `who`.
    pub async fn put_intent(
        &self,
        path: &str,
        who: &str,
        extents: Value,
        key: &[&str],
    ) -> (StatusCode, Value) {
        let token = self.token(who, &[SC]);
        self.call(Method::PUT, path, Some(&token), Some(&intent(who, extents, key))).await
    }

    /// PUTs `body` as USS `uss`'s availability with `token`.
    pub async fn put_availability(&self, uss: &str, token: &str, body: &Value) -> (StatusCode, Value) {
        self.call(Method::PUT, &format!("/dss/v1/uss_availability/{uss}"), Some(token), Some(body)).await
    }

    /// Opens the event stream of `token`'s party, resuming after
    /// `last_event_id` when given (the `Last-Event-ID` of a reconnect).
    pub async fn event_stream(&self, token: &str, last_event_id: Option<u64>) -> reqwest::Response {
        let mut req = self.http.get(format!("{}/v1/events/stream", self.base)).bearer_auth(token);
        if let Some(id) = last_event_id {
            req = req.header("Last-Event-ID", id.to_string());
        }
        req.send().await.unwrap()
    }

    /// As the operator, registers each of `parties` (its name for display
    /// name) and then the line `id` called `name` between them; each is new.
    pub async fn register_line(&self, id: &str, name: &str, parties: &[&str]) {
        let admin = self.token("ops", &["deconflict.admin"]);
        for party in parties {
            let body = json!({ "display_name": party });
            let (st, v) =
                self.call(Method::PUT, &format!("/v1/parties/{party}"), Some(&admin), Some(&body)).await;
            assert_eq!(st, StatusCode::CREATED, "party {party}: {v}");
        }
        let line = json!({ "name": name, "parties": parties });
        let (st, v) = self.call(Method::PUT, &format!("/v1/lines/{id}"), Some(&admin), Some(&line)).await;
        assert_eq!(st, StatusCode::CREATED, "line {id}: {v}");
    }

    /// Sends raw bytes as the body.
    pub async fn raw(&self, method: Method, path: &str, token: &str, body: Vec<u8>) -> (StatusCode, Value) {
        let resp = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    /// `/metrics` as the operator reads it.
    pub async fn metrics(&self) -> String {
        let admin = self.token_on_clock("ops", &["deconflict.admin"]);
        let resp = self.http.get(format!("{}/metrics", self.base)).bearer_auth(admin).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        resp.text().await.unwrap()
    }

    /// Entity counts from /healthz (detailed for the operator).
    pub async fn counts(&self) -> (u64, u64, u64) {
        let admin = self.token("ops", &["deconflict.admin"]);
        let (s, v) = self.call(Method::GET, "/healthz", Some(&admin), None).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        (
            v["operational_intents"].as_u64().unwrap(),
            v["constraints"].as_u64().unwrap(),
            v["subscriptions"].as_u64().unwrap(),
        )
    }
}

/// Asserts that an answer (`st`, `v`) is a refusal with `status` whose JSON
/// `message` names `what`: bad input gets a clear error naming the problem.
#[track_caller]
pub fn assert_refused(st: StatusCode, v: &Value, status: StatusCode, what: &str) {
    assert_eq!(st, status, "{v}");
    let message = v["message"].as_str().unwrap_or_default();
    assert!(message.contains(what), "the message should name {what:?}: {v}");
}

pub fn rfc3339(minutes_from_now: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::minutes(minutes_from_now))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub fn square(lat: f64, lng: f64, half: f64) -> Value {
    json!({ "vertices": [
        { "lat": lat - half, "lng": lng - half }, { "lat": lat - half, "lng": lng + half },
        { "lat": lat + half, "lng": lng + half }, { "lat": lat + half, "lng": lng - half } ] })
}

pub fn volume(lat: f64, lng: f64, half: f64, alt: (f64, f64), minutes: (i64, i64)) -> Value {
    json!({
        "volume": {
            "outline_polygon": square(lat, lng, half),
            "altitude_lower": { "value": alt.0, "reference": "W84", "units": "M" },
            "altitude_upper": { "value": alt.1, "reference": "W84", "units": "M" },
        },
        "time_start": { "value": rfc3339(minutes.0), "format": "RFC3339" },
        "time_end": { "value": rfc3339(minutes.1), "format": "RFC3339" },
    })
}

pub fn area(lat: f64, lng: f64, half: f64) -> Value {
    json!({ "area_of_interest": volume(lat, lng, half, (0.0, 3000.0), (0, 240)) })
}

pub fn intent(who: &str, extents: Value, key: &[&str]) -> Value {
    let url = format!("http://{who}.example");
    json!({ "extents": [extents], "key": key, "state": "Accepted", "uss_base_url": url,
            "new_subscription": { "uss_base_url": url, "notify_for_constraints": false } })
}

/// The extents most intents here are filed over: 46°N 7°E ± 0.01°, 0–120 m,
/// from 10 to 70 minutes from now.
pub fn here() -> Value {
    volume(46.0, 7.0, 0.01, (0.0, 120.0), (10, 70))
}

/// A subscription body of `who` to the intents of a wide area around
/// [`here`] for the next two hours.
pub fn watch(who: &str) -> Value {
    json!({ "extents": volume(46.0, 7.0, 0.1, (0.0, 1000.0), (0, 120)),
        "uss_base_url": format!("http://{who}.example"), "notify_for_operational_intents": true })
}

/// The OVN in an answer about one intent.
pub fn intent_ovn(answer: &Value) -> String {
    answer["operational_intent_reference"]["ovn"].as_str().unwrap().to_owned()
}

pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub const OIR: &str = "/dss/v1/operational_intent_references";
pub const CR: &str = "/dss/v1/constraint_references";
pub const SUB: &str = "/dss/v1/subscriptions";

/// The next Server-Sent Event of an event stream that has an `id` and JSON
/// `data`: (id, data). Fails the test after 10 s without one.
pub async fn next_event(
    stream: &mut (impl futures_util::Stream<Item = reqwest::Result<axum::body::Bytes>> + Unpin),
    buf: &mut String,
) -> (u64, Value) {
    loop {
        if let Some(end) = buf.find("\n\n") {
            let block: String = buf.drain(..end + 2).collect();
            let mut id = None;
            let mut data = None;
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("id:") {
                    id = v.trim().parse().ok();
                }
                if let Some(v) = line.strip_prefix("data:") {
                    data = serde_json::from_str(v.trim()).ok();
                }
            }
            if let (Some(id), Some(data)) = (id, data) {
                return (id, data);
            }
            continue;
        }
        let chunk = tokio::time::timeout(Duration::from_secs(10), stream.next())
            .await
            .expect("no event within 10 s")
            .unwrap()
            .unwrap();
        buf.push_str(&String::from_utf8_lossy(&chunk));
    }
}

/// The value of the test service variable `var` (`DECONF_TEST_PG_URL`,
/// `DECONF_TEST_REDIS_URL`), or `None` after a visible `SKIPPED:` line naming
/// the test: a test that cannot run is reported as skipped, not passed.
/// Under `CI=true` a missing variable fails the test instead (`.ci/run`
/// starts both services).
pub fn service_url(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(u) if !u.trim().is_empty() => Some(u),
        _ => {
            let test = std::thread::current().name().unwrap_or("?").to_owned();
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "{var} must be set under CI=true ({test}); .ci/run starts PostgreSQL and Redis"
            );
            eprintln!("SKIPPED: {var} not set ({test})");
            None
        }
    }
}
