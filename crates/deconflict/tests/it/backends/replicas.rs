//! Several server replicas over one PostgreSQL database (`DECONF_TEST_PG_URL`):
//! concurrent conflicting writes through two replicas, and a database outage
//! that gives 503 and heals by itself. Without the URL each test prints a
//! visible SKIPPED line, and fails under `CI=true` (`common::service_url`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use reqwest::{Method, StatusCode};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use super::common::*;

/// `DECONF_TEST_PG_URL`, or `None` after a `SKIPPED:` line (a failure under `CI=true`).
pub(crate) fn pg_url() -> Option<String> {
    service_url("DECONF_TEST_PG_URL")
}

/// A schema of its own, dropped at the end.
pub(crate) struct Schema {
    url: String,
    name: String,
}

impl Schema {
    /// The schema's name.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn create(url: &str) -> Self {
        let name = format!("srv_{}", uuid::Uuid::new_v4().simple());
        let (u, n) = (url.to_owned(), name.clone());
        std::thread::spawn(move || {
            let mut c = postgres::Client::connect(&u, postgres::NoTls).unwrap();
            c.batch_execute(&format!("CREATE SCHEMA {n}")).unwrap();
        })
        .join()
        .unwrap();
        Self { url: url.to_owned(), name }
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        let (u, n) = (self.url.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            if let Ok(mut c) = postgres::Client::connect(&u, postgres::NoTls) {
                let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {n} CASCADE"));
            }
        })
        .join();
    }
}

pub(crate) async fn replica(url: &str, schema: &Schema, first: Option<&TestServer>) -> TestServer {
    replica_named(url, schema, first, if first.is_some() { "dss-b" } else { "dss-a" }).await
}

/// [`replica`] with its DSS instance id.
/// Two replicas on a new schema of the test server (the second sharing the
/// first's keys), with the server's URL, or `None` after a `SKIPPED:` line.
async fn two_replicas() -> Option<(String, Schema, TestServer, TestServer)> {
    let url = pg_url()?;
    let schema = Schema::create(&url);
    let a = replica(&url, &schema, None).await;
    let b = replica(&url, &schema, Some(&a)).await;
    Some((url, schema, a, b))
}

pub(crate) async fn replica_named(
    url: &str,
    schema: &Schema,
    first: Option<&TestServer>,
    id: &str,
) -> TestServer {
    let base = Options { dss_instance_id: Some(id.to_owned()), ..Options::default() };
    replica_with(url, schema, first, base).await
}

/// A replica over `schema` with `base`'s other settings, sharing the keys of
/// `first` (another replica of the same service), if given.
pub(crate) async fn replica_with(
    url: &str,
    schema: &Schema,
    first: Option<&TestServer>,
    base: Options,
) -> TestServer {
    let opts = Options {
        store: Some(super::postgres(url)),
        pg_schema: Some(schema.name.clone()),
        dev_key: first.map(|s| s.dev_key.clone()),
        audit_key: first.map(|s| s.dir.path().join("audit-key.pem")),
        ..base
    };
    TestServer::start_with(opts, tempfile::tempdir().unwrap()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_let_exactly_the_allowed_creates_win() {
    let Some((_url, _schema, a, b)) = two_replicas().await else { return };
    let a = Arc::new(a);
    let b = Arc::new(b);
    for round in 0..3 {
        // Twelve parties race to file in the same place at the same time, half
        // through each replica, none knowing of the others: exactly one may win.
        let lat = 40.0 + f64::from(round);
        let mut tasks = Vec::new();
        for p in 0..12 {
            let server = if p % 2 == 0 { a.clone() } else { b.clone() };
            tasks.push(tokio::spawn(async move {
                let who = format!("party{p}");
                let token = server.token(&who, &[SC]);
                let body = intent(&who, volume(lat, 7.0, 0.01, (0.0, 120.0), (10, 70)), &[]);
                server.call(Method::PUT, &format!("{OIR}/{}", new_id()), Some(&token), Some(&body)).await
            }));
        }
        let mut created = 0;
        for t in tasks {
            let (st, v) = t.await.unwrap();
            match st {
                StatusCode::CREATED => created += 1,
                StatusCode::CONFLICT => assert!(
                    v["missing_operational_intents"].as_array().is_some_and(|m| !m.is_empty())
                        || v["message"].as_str().is_some_and(|m| m.contains("concurrent")),
                    "{v}"
                ),
                other => panic!("unexpected {other}: {v}"),
            }
        }
        assert_eq!(created, 1, "round {round}: exactly one uncoordinated create may succeed");
        // Both replicas see the same single intent.
        for s in [&a, &b] {
            let token = s.token("observer", &[SC]);
            let (st, q) = s
                .call(Method::POST, &format!("{OIR}/query"), Some(&token), Some(&area(lat, 7.0, 0.05)))
                .await;
            assert_eq!(st, StatusCode::OK);
            assert_eq!(q["operational_intent_references"].as_array().unwrap().len(), 1);
        }
    }
}

/// The blind filing rate bounds probing per party, not per replica: a party
/// that spreads its filings over two replicas still gets the one limit (30
/// a minute), then 429s from both.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_blind_filing_rate_holds_across_replicas() {
    use base64::Engine as _;
    let Some((_url, _schema, a, b)) = two_replicas().await else { return };
    a.register_line("ab", "AB", &["alpha", "bravo"]).await;
    // The service checks only shapes: any 32-byte keys and 80-byte envelopes will do here.
    let b64 = |n: usize, fill: u8| base64::engine::general_purpose::STANDARD.encode(vec![fill; n]);
    let alpha = a.token("alpha", &["deconflict.hotline"]);
    let bravo = b.token("bravo", &["deconflict.hotline"]);
    for (s, t, fill) in [(&a, &alpha, 9), (&b, &bravo, 10)] {
        let body = serde_json::json!({ "public_key": b64(32, fill) });
        let (st, v) = s.call(Method::PUT, "/v1/lines/ab/blind/key", Some(t), Some(&body)).await;
        assert_eq!(st, StatusCode::OK, "{v}");
    }
    let policy = blind::LinePolicy::default().params();
    let body = serde_json::json!({ "epoch": 1, "policy": policy, "envelopes": { "alpha": b64(80, 1), "bravo": b64(80, 2) } });
    let (st, v) = a.call(Method::POST, "/v1/lines/ab/blind/epochs", Some(&alpha), Some(&body)).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let mut accepted = 0;
    let mut refused = [0, 0];
    for i in 0..40_u32 {
        let (server, which) = if i % 2 == 0 { (&a, 0) } else { (&b, 1) };
        let tokens: Vec<String> = (0..64_u32).map(|t| format!("{:056x}{i:04x}{t:04x}", 7)).collect();
        let body = serde_json::json!({
            "line": "ab", "epoch": 1, "time_start": rfc3339(-1), "time_end": rfc3339(40), "tokens": tokens, "keys": [],
        });
        let (st, v) = server.call(Method::POST, "/v1/blind/operations", Some(&alpha), Some(&body)).await;
        match st {
            StatusCode::CREATED => accepted += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                assert!(
                    v["message"].as_str().unwrap_or_default().contains("blind_filings_per_minute"),
                    "{v}"
                );
                refused[which] += 1;
            }
            other => panic!("filing {i}: {other} {v}"),
        }
    }
    assert_eq!(accepted, 30, "one limit over both replicas");
    assert_eq!(refused, [5, 5], "both replicas refuse once the party's minute is full");
}

/// A TCP relay (to the database, to Redis) that a test can cut and restore.
pub(crate) struct Relay {
    pub(crate) port: u16,
    up: Arc<AtomicBool>,
    cut: watch::Sender<u64>,
}

impl Relay {
    pub(crate) async fn start(target: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let (cut, _) = watch::channel(0u64);
        let (up2, cut2) = (up.clone(), cut.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else { return };
                if !up2.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let target = target.clone();
                let mut cut_rx = cut2.subscribe();
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(&target).await else { return };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = cut_rx.changed() => {}
                    }
                });
            }
        });
        Self { port, up, cut }
    }

    pub(crate) fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.cut.send_modify(|n| *n += 1);
    }

    pub(crate) fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn database_outage_gives_503_and_heals() {
    let Some(url) = pg_url() else { return };
    let schema = Schema::create(&url);
    // postgres://user:pw@HOST:PORT/db -> route through the relay.
    let (head, tail) = url.split_once('@').unwrap();
    let (hostport, db) = tail.split_once('/').unwrap();
    let relay = Relay::start(hostport.to_owned()).await;
    let relayed = format!("{head}@127.0.0.1:{}/{db}", relay.port);
    let s = replica(&relayed, &schema, None).await;
    let alice = s.token("alice", &[SC]);
    let put = |lat: f64| intent("alice", volume(lat, 7.0, 0.01, (0.0, 120.0), (10, 70)), &[]);
    let (st, v) = s.call(Method::PUT, &format!("{OIR}/{}", new_id()), Some(&alice), Some(&put(30.0))).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");

    relay.cut();
    let id = new_id();
    let (st, v) = s.call(Method::PUT, &format!("{OIR}/{id}"), Some(&alice), Some(&put(31.0))).await;
    assert_refused(st, &v, StatusCode::SERVICE_UNAVAILABLE, "unavailable");
    let (st, _) = s.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(st, StatusCode::SERVICE_UNAVAILABLE);

    relay.restore();
    let (st, v) = s.call(Method::PUT, &format!("{OIR}/{id}"), Some(&alice), Some(&put(31.0))).await;
    assert_eq!(st, StatusCode::CREATED, "after the outage: {v}");
    let (st, _) = s.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(st, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_change_through_one_replica_reaches_streams_on_another_and_survives_its_restart() {
    let Some((url, schema, a, b)) = two_replicas().await else { return };
    let carol = b.token("carol", &[SC]);
    let alice = a.token("alice", &[SC]);

    // Carol watches the area through replica B.
    let watch = serde_json::json!({ "extents": volume(46.0, 7.0, 0.1, (0.0, 1000.0), (0, 120)),
        "uss_base_url": "http://carol.example", "notify_for_operational_intents": true });
    let (st, v) = b.call(Method::PUT, &format!("{SUB}/{}", new_id()), Some(&carol), Some(&watch)).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let resp = b.event_stream(&carol, None).await;
    let mut stream = resp.bytes_stream();
    let mut buf = String::new();
    let (first, ev) = next_event(&mut stream, &mut buf).await;
    assert_eq!(ev["kind"], "subscription.created");

    // Alice files through replica A: Carol's stream on B hears of it.
    let id = new_id();
    let body = intent("alice", volume(46.0, 7.0, 0.01, (0.0, 120.0), (10, 70)), &[]);
    let (st, v) = a.call(Method::PUT, &format!("{OIR}/{id}"), Some(&alice), Some(&body)).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let (seq, ev) = next_event(&mut stream, &mut buf).await;
    assert_eq!((ev["kind"].as_str(), ev["subject"].as_str()), (Some("intent.created"), Some(id.as_str())));
    assert!(seq > first);
    drop(stream);

    // Replica B goes away; meanwhile Alice changes her intent through A.
    let b_dir = b.stop().await;
    let ovn = v["operational_intent_reference"]["ovn"].as_str().unwrap().to_owned();
    let (st, v) = a.call(Method::PUT, &format!("{OIR}/{id}/{ovn}"), Some(&alice), Some(&body)).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    // A new replica B resumes Carol's stream where it stopped: nothing is lost.
    let opts = Options {
        store: Some(super::postgres(&url)),
        pg_schema: Some(schema.name.clone()),
        dev_key: Some(a.dev_key.clone()),
        audit_key: Some(a.dir.path().join("audit-key.pem")),
        ..Options::default()
    };
    let b2 = TestServer::start_with(opts, b_dir).await;
    let resp = b2.event_stream(&carol, Some(seq)).await;
    let mut stream = resp.bytes_stream();
    let mut buf = String::new();
    let (next, ev) = next_event(&mut stream, &mut buf).await;
    assert!(next > seq);
    assert_eq!((ev["kind"].as_str(), ev["subject"].as_str()), (Some("intent.updated"), Some(id.as_str())));
}

/// The InterUSS pool interface over two replicas: one DAR, two DSS
/// instances, and a heartbeat recorded through one seen through the other.
#[tokio::test]
async fn two_replicas_are_two_dss_instances_of_one_pool() {
    let Some((_url, _schema, a, b)) = two_replicas().await else { return };
    let reader = a.token("uss1", &["interuss.pool_status.read"]);
    let (st, pa) = a.call(Method::GET, "/aux/v1/pool", Some(&reader), None).await;
    assert_eq!(st, StatusCode::OK, "{pa}");
    let (_, pb) = b.call(Method::GET, "/aux/v1/pool", Some(&reader), None).await;
    assert!(pa["dar_id"].as_str().is_some_and(|d| !d.is_empty()), "{pa}");
    assert_eq!(pa["dar_id"], pb["dar_id"], "both replicas serve one DAR");

    let (st, list) = b.call(Method::GET, "/aux/v1/pool/dss_instances", Some(&reader), None).await;
    assert_eq!(st, StatusCode::OK, "{list}");
    let ids: Vec<&str> =
        list["dss_instances"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["dss-a", "dss-b"]);
    assert!(list["dss_instances"][0].get("most_recent_heartbeat").is_none(), "{list}");

    let path = "/aux/v1/pool/dss_instances/heartbeat?source=test&next_heartbeat_expected_before=2030-01-01T00:00:00Z";
    let (st, e) = a.call(Method::PUT, path, Some(&reader), None).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "reading the pool is not reporting its health: {e}");
    let ops = a.token("ops", &["interuss.pool_status.heartbeat.write"]);
    for index in 1..=2 {
        let (st, beat) = a.call(Method::PUT, path, Some(&ops), None).await;
        assert_eq!(st, StatusCode::CREATED, "{beat}");
        assert_eq!(beat["dss_instances"][0]["most_recent_heartbeat"]["index"], index, "{beat}");
    }
    let (_, list) = b.call(Method::GET, "/aux/v1/pool/dss_instances", Some(&reader), None).await;
    let hb = &list["dss_instances"][0]["most_recent_heartbeat"];
    assert_eq!(hb["reporter"], "ops", "{list}");
    assert_eq!(hb["source"], "test");
    assert_eq!(hb["index"], 2);
    assert!(
        hb["next_heartbeat_expected_before"].as_str().unwrap().starts_with("2030-01-01T00:00:00"),
        "{hb}"
    );
    assert!(list["dss_instances"][1].get("most_recent_heartbeat").is_none(), "only dss-a reported: {list}");
    let (st, e) = a.call(Method::PUT, "/aux/v1/pool/dss_instances/heartbeat", Some(&ops), None).await;
    assert_refused(st, &e, StatusCode::BAD_REQUEST, "source");
}
