//! Tactical deconfliction: live tracks over HTTP and SBS-1, scans driven by
//! a manual clock, alerts over HTTP and Server-Sent Events, need-to-know.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use server::Clock;
use server::live::{LiveConfig, SourceKind, SourceSpec};
use tokio::io::AsyncWriteExt;

use crate::common::*;

const TW: &str = "deconflict.tracks.write";
const TR: &str = "deconflict.tracks.read";

/// No periodic scan gets in the way: tests call `scan_once`.
fn quiet() -> LiveConfig {
    LiveConfig { scan_interval: Duration::from_secs(3600), max_batch: 5, ..LiveConfig::default() }
}

async fn start(live: LiveConfig) -> TestServer {
    let clock = Clock::manual(chrono::Utc::now().timestamp_micros());
    TestServer::start_with(Options { clock, live, ..Options::default() }, tempfile::tempdir().unwrap()).await
}

fn advance(s: &TestServer, secs: i64) {
    let t = s.clock.now().as_micros();
    s.clock.set(t + secs * 1_000_000);
}

async fn scan(s: &TestServer) {
    s.state.live.scan_once().await;
}

/// Advances one second, scans.
async fn tick(s: &TestServer) {
    advance(s, 1);
    scan(s).await;
}

/// Posts each party's batch, scans, then 5 s later posts the same batches
/// again and scans: the second report of each aircraft confirms a predicted
/// conflict (alerts are confirmed in track time, never by rescanning the
/// same reports).
async fn report_twice(s: &TestServer, batches: &[(&str, Vec<Value>)]) {
    for (token, batch) in batches {
        post_ok(s, token, batch.clone()).await;
    }
    scan(s).await;
    advance(s, 5);
    for (token, batch) in batches {
        post_ok(s, token, batch.clone()).await;
    }
    scan(s).await;
}

fn track(id: &str, lat: f64, lon: f64, trk: f64) -> Value {
    json!({ "id": id, "lat": lat, "lon": lon, "alt_ft": 30000, "gs_kt": 400, "trk_deg": trk, "vs_fpm": 0 })
}

fn with(mut t: Value, field: &str, v: Value) -> Value {
    t[field] = v;
    t
}

async fn post(s: &TestServer, token: &str, tracks: Vec<Value>) -> (StatusCode, Value) {
    s.call(Method::POST, "/v1/tracks", Some(token), Some(&json!({ "tracks": tracks }))).await
}

async fn post_ok(s: &TestServer, token: &str, tracks: Vec<Value>) {
    let n = tracks.len();
    let (st, v) = post(s, token, tracks).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["accepted"], n, "{v}");
}

async fn alerts(s: &TestServer, token: &str, query: &str) -> Vec<Value> {
    let (st, v) = s.call(Method::GET, &format!("/v1/alerts{query}"), Some(token), None).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    v["alerts"].as_array().unwrap().clone()
}

async fn tracks(s: &TestServer, token: &str) -> Vec<Value> {
    let (st, v) = s.call(Method::GET, "/v1/tracks", Some(token), None).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    v["tracks"].as_array().unwrap().clone()
}

/// The address a listener source is bound to, waited for (at most 10 s).
async fn bound(status: &server::live::SourceStatus) -> std::net::SocketAddr {
    let mut w = status.watch();
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Some(a) = status.local_addr() {
                return a;
            }
            w.changed().await.unwrap();
        }
    })
    .await
    .expect("the listener was not bound within 10 s")
}

/// Waits (at most 10 s) until `status` has read `n` lines or frames.
async fn wait_read(status: &server::live::SourceStatus, n: u64) {
    let mut w = status.watch();
    tokio::time::timeout(Duration::from_secs(10), async {
        while status.totals().read < n {
            w.changed().await.unwrap();
        }
    })
    .await
    .unwrap_or_else(|_| panic!("read {:?} of {n}", status.totals()));
}

fn party_ids(alert: &Value) -> Vec<(String, String)> {
    alert["tracks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["party"].as_str().unwrap().to_owned(), t["id"].as_str().unwrap().to_owned()))
        .collect()
}

/// An open SSE response and the text received but not yet consumed.
struct Sse {
    resp: reqwest::Response,
    buf: String,
}

impl Sse {
    async fn open(s: &TestServer, token: &str, query: &str) -> Self {
        Self::open_path(s, token, &format!("/v1/alerts/stream{query}")).await
    }

    async fn open_path(s: &TestServer, token: &str, path: &str) -> Self {
        let resp =
            reqwest::Client::new().get(format!("{}{path}", s.base)).bearer_auth(token).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let ct = resp.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(ct.starts_with("text/event-stream"), "{ct}");
        Self { resp, buf: String::new() }
    }

    /// The next event with data: (event name, JSON data), within 10 s.
    async fn next(&mut self) -> (String, Value) {
        tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                if let Some(pos) = self.buf.find("\n\n") {
                    let block: String = self.buf.drain(..pos + 2).collect();
                    let mut event = "message".to_owned();
                    let mut data = String::new();
                    for line in block.lines() {
                        if let Some(v) = line.strip_prefix("event:") {
                            event = v.trim().to_owned();
                        } else if let Some(v) = line.strip_prefix("data:") {
                            data.push_str(v.trim_start());
                        }
                    }
                    if data.is_empty() {
                        continue; // a keep-alive comment
                    }
                    return (event, serde_json::from_str(&data).unwrap());
                }
                let chunk = self.resp.chunk().await.unwrap().expect("the stream ended");
                self.buf.push_str(std::str::from_utf8(&chunk).unwrap());
            }
        })
        .await
        .expect("no SSE event within 10 s")
    }
}

#[tokio::test]
async fn converging_tracks_alert_both_parties_and_nobody_else() {
    let s = start(quiet()).await;
    let alice = s.token("alice", &[TW, TR]);
    let bob = s.token("bob", &[TW, TR]);
    let carol = s.token("carol", &[TW, TR]);

    // Head-on at FL300, 0.5° of longitude (≈ 21 NM) apart, closing at 800 kt.
    post_ok(&s, &alice, vec![track("A1", 46.0, 7.0, 90.0)]).await;
    post_ok(&s, &bob, vec![track("B1", 46.0, 7.5, 270.0)]).await;
    post_ok(&s, &carol, vec![track("A1", 40.0, 0.0, 90.0)]).await; // same name, other party
    let mut stream = Sse::open(&s, &alice, "").await;
    let mut carol_stream = Sse::open(&s, &carol, "").await;

    scan(&s).await;
    assert!(alerts(&s, &alice, "").await.is_empty(), "one report is no confirmation");
    tick(&s).await;
    assert!(alerts(&s, &alice, "").await.is_empty(), "rescanning the same reports confirms nothing");
    advance(&s, 4);
    post_ok(&s, &alice, vec![track("A1", 46.0, 7.0, 90.0)]).await;
    post_ok(&s, &bob, vec![track("B1", 46.0, 7.5, 270.0)]).await;
    scan(&s).await;

    let a = alerts(&s, &alice, "").await;
    assert_eq!(a.len(), 1, "{a:?}");
    let alert = &a[0];
    assert_eq!(alert["kind"], "loss_of_separation");
    assert_eq!(alert["state"], "new");
    let mut who = party_ids(alert);
    who.sort();
    assert_eq!(who, [("alice".into(), "A1".into()), ("bob".into(), "B1".into())]);
    let t_in = alert["t_in_s"].as_f64().unwrap();
    assert!(t_in > 30.0 && t_in < 120.0, "{alert}");
    assert!(alert["t_out_s"].as_f64().unwrap() > t_in);
    assert!(alert["d_cpa_m"].as_f64().unwrap() < 100.0, "{alert}");
    // Issue 12: time to loss of separation, severity, both aircraft at CPA.
    assert_eq!(alert["time_to_los_s"].as_f64(), Some(t_in), "{alert}");
    assert_eq!(alert["severity"], "imminent", "{alert}");
    let cpa = alert["cpa"].as_array().unwrap();
    assert_eq!(cpa.len(), 2, "{alert}");
    for p in cpa {
        assert!((p["lat"].as_f64().unwrap() - 46.0).abs() < 0.01, "{alert}");
        assert!((p["lon"].as_f64().unwrap() - 7.25).abs() < 0.02, "they meet half-way: {alert}");
        assert_eq!(p["alt_ft"], 30000.0);
    }
    assert_eq!(alerts(&s, &bob, "").await, a, "bob sees the same alert");
    assert!(alerts(&s, &carol, "").await.is_empty(), "carol is not concerned");

    let (event, data) = stream.next().await;
    assert_eq!(event, "new");
    assert_eq!(&data, alert);

    // They turn away: the alert is held until reports 20 s newer than the
    // last predicting ones still show no conflict.
    advance(&s, 1);
    post_ok(&s, &alice, vec![track("A1", 46.0, 7.0, 270.0)]).await;
    post_ok(&s, &bob, vec![track("B1", 46.0, 7.5, 90.0)]).await;
    tick(&s).await;
    tick(&s).await;
    assert_eq!(alerts(&s, &alice, "").await.len(), 1, "hysteresis");
    advance(&s, 20);
    post_ok(&s, &alice, vec![track("A1", 46.0, 6.9, 270.0)]).await;
    scan(&s).await;
    assert!(alerts(&s, &alice, "").await.is_empty());
    let (event, data) = stream.next().await;
    assert_eq!(event, "ended");
    assert_eq!(data["id"], alert["id"]);
    assert_eq!(data["end_reason"], "cleared");

    // Carol's stream never carried either event: the first thing it sees is
    // her own alert, raised now.
    tick(&s).await;
    report_twice(
        &s,
        &[(&carol, vec![track("C2", 40.0, 0.3, 270.0)]), (&bob, vec![track("B9", 40.0, -0.3, 90.0)])],
    )
    .await;
    let (event, data) = carol_stream.next().await;
    assert_eq!(event, "new");
    assert!(party_ids(&data).contains(&("carol".into(), "C2".into())), "{data}");
    assert!(alerts(&s, &alice, "").await.is_empty(), "alice is not concerned by carol and bob");

    // Shutdown completes with streams open.
    tokio::time::timeout(Duration::from_secs(10), s.stop()).await.expect("graceful shutdown hung");
    drop((stream, carol_stream));
}

#[tokio::test]
async fn expired_tracks_end_their_alerts() {
    let s = start(quiet()).await;
    let alice = s.token("alice", &[TW, TR]);
    let bob = s.token("bob", &[TW, TR]);
    let mut stream = Sse::open(&s, &bob, "").await;
    report_twice(
        &s,
        &[(&alice, vec![track("A1", 46.0, 7.0, 90.0)]), (&bob, vec![track("B1", 46.0, 7.5, 270.0)])],
    )
    .await;
    assert_eq!(stream.next().await.0, "new");
    assert_eq!(tracks(&s, &alice).await.len(), 1);

    advance(&s, 61);
    scan(&s).await;
    let (event, data) = stream.next().await;
    assert_eq!(event, "ended");
    assert_eq!(data["end_reason"], "track_expired");
    assert!(alerts(&s, &bob, "").await.is_empty());
    assert!(tracks(&s, &alice).await.is_empty(), "stale tracks are dropped");
}

#[tokio::test]
async fn own_conflicts_are_shown_to_their_owner_unless_turned_off() {
    let live = LiveConfig {
        hide_own_conflicts: [deconflict_core::PartyName::new("quiet").unwrap()].into(),
        ..quiet()
    };
    let s = start(live).await;
    let alice = s.token("alice", &[TW, TR]);
    let bob = s.token("bob", &[TW, TR]);
    let hushed = s.token("quiet", &[TW, TR]);
    let mut stream = Sse::open(&s, &alice, "").await;
    report_twice(
        &s,
        &[
            (&alice, vec![track("A1", 46.0, 7.0, 90.0), track("A2", 46.0, 7.5, 270.0)]),
            (&hushed, vec![track("Q1", 40.0, 0.0, 90.0), track("Q2", 40.0, 0.5, 270.0)]),
        ],
    )
    .await;
    // Issue 12: a single-receiver party sees its own conflicts by default.
    let own = alerts(&s, &alice, "").await;
    assert_eq!(own.len(), 1, "{own:?}");
    assert!(party_ids(&own[0]).iter().all(|(p, _)| p == "alice"));
    assert_eq!(stream.next().await.1["id"], own[0]["id"], "on the stream too");
    assert!(alerts(&s, &alice, "?own=false").await.is_empty(), "asked not to");
    assert!(alerts(&s, &bob, "?own=true").await.is_empty(), "never someone else's");
    assert!(alerts(&s, &hushed, "").await.is_empty(), "turned off for this party");
    assert_eq!(alerts(&s, &hushed, "?own=true").await.len(), 1, "unless it asks");
    let (st, v) = s.call(Method::GET, "/v1/alerts?own=maybe", Some(&alice), None).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
}

#[tokio::test]
async fn bad_batches_change_nothing() {
    let s = start(quiet()).await;
    let alice = s.token("alice", &[TW, TR]);
    let reader = s.token("alice", &[TR]);

    let cases: Vec<(Vec<Value>, &str)> = vec![
        (vec![track("A1", 46.0, 7.0, 90.0), track("A2", 91.0, 7.0, 90.0)], "tracks[1].lat"),
        (vec![json!({ "id": "A1", "lon": 7.0 })], "tracks[0].lat"),
        (vec![track("A1", 46.0, 7.0, 90.0), json!("nope")], "tracks[1]"),
        (vec![with(track("A1", 46.0, 7.0, 90.0), "gs_kt", json!(-1))], "tracks[0].gs_kt"),
        (vec![with(track("A1", 46.0, 7.0, 90.0), "trk_deg", json!(400))], "tracks[0].trk_deg"),
        (vec![with(track("A1", 46.0, 7.0, 90.0), "alt_ref", json!("qnh"))], "tracks[0].alt_ref"),
        (vec![with(track("A1", 46.0, 7.0, 90.0), "time", json!("yesterday"))], "tracks[0].time"),
        (vec![with(track("A1", 46.0, 7.0, 90.0), "time", json!(rfc3339(5)))], "tracks[0].time"),
        (vec![with(track("A1", 46.0, 7.0, 90.0), "intent_id", json!("x"))], "tracks[0].intent_id"),
        (vec![with(track("A1", 46.0, 7.0, 90.0), "altitude", json!(1))], "tracks[0].altitude"),
        (vec![with(track("", 46.0, 7.0, 90.0), "id", json!(""))], "tracks[0].id"),
    ];
    for (batch, field) in cases {
        let (st, v) = post(&s, &alice, batch).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{field}: {v}");
        assert!(v["message"].as_str().unwrap().contains(field), "{field}: {v}");
    }
    assert!(tracks(&s, &alice).await.is_empty(), "no bad batch stored anything");

    let six: Vec<Value> = (0..6).map(|i| track(&format!("T{i}"), 46.0, 7.0 + f64::from(i), 90.0)).collect();
    let (st, v) = post(&s, &alice, six).await;
    assert_eq!(st, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
    let (st, _) = s.call(Method::POST, "/v1/tracks", Some(&alice), Some(&json!({ "tracks": 1 }))).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    let (st, _) = post(&s, &reader, vec![track("A1", 46.0, 7.0, 90.0)]).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = s.call(Method::POST, "/v1/tracks", None, Some(&json!({ "tracks": [] }))).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let (st, _) = s.call(Method::GET, "/v1/alerts", Some(&s.token("alice", &[TW])), None).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    assert!(tracks(&s, &alice).await.is_empty());

    // A good batch with an older repeat of the same track: one stale.
    let mut old = track("A1", 46.0, 7.0, 90.0);
    old["time"] = json!(rfc3339(-1));
    let (st, v) = post(&s, &alice, vec![track("A1", 46.0, 7.0, 90.0), old]).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!((v["accepted"].as_u64(), v["stale"].as_u64()), (Some(1), Some(1)));
    let mine = tracks(&s, &alice).await;
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["id"], "A1");
    assert_eq!(mine[0]["alt_ref"], "pressure");
    assert!(tracks(&s, &s.token("bob", &[TR])).await.is_empty(), "tracks are private to their party");
}

#[tokio::test]
async fn tracks_outside_their_intent_alert_owner_and_intersecting_managers() {
    let s = start(quiet()).await;
    let (alice_sc, bob_sc) = (s.token("alice", &[SC]), s.token("bob", &[SC]));
    let alice = s.token("alice", &[TW, TR]);
    let bob = s.token("bob", &[TW, TR]);
    let carol = s.token("carol", &[TW, TR]);

    let a_id = new_id();
    let body = intent("alice", volume(46.0, 7.0, 0.01, (0.0, 120.0), (10, 70)), &[]);
    let (st, a) = s.call(Method::PUT, &format!("{OIR}/{a_id}"), Some(&alice_sc), Some(&body)).await;
    assert_eq!(st, StatusCode::CREATED, "{a}");
    let a_ovn = a["operational_intent_reference"]["ovn"].as_str().unwrap().to_owned();
    let b_id = new_id();
    let body = intent("bob", volume(46.005, 7.005, 0.01, (100.0, 200.0), (30, 90)), &[&a_ovn]);
    let (st, b) = s.call(Method::PUT, &format!("{OIR}/{b_id}"), Some(&bob_sc), Some(&body)).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");

    advance(&s, 40 * 60); // inside both intents' time windows
    let slow = |id: &str, lat: f64, lon: f64, alt_ft: f64, intent: &str| {
        json!({ "id": id, "lat": lat, "lon": lon, "alt_ft": alt_ft, "alt_ref": "geometric",
                "gs_kt": 0, "trk_deg": 0, "intent_id": intent })
    };
    post_ok(
        &s,
        &alice,
        vec![
            slow("inside", 46.0, 7.0, 200.0, &a_id),
            slow("outside", 46.2, 7.0, 200.0, &a_id),
            slow("lost", 45.5, 7.0, 200.0, &new_id()),
        ],
    )
    .await;
    // Bob links his track to Alice's intent: treated as unknown, told to Bob only.
    post_ok(&s, &bob, vec![slow("borrowed", 45.0, 7.0, 200.0, &a_id)]).await;

    scan(&s).await;
    assert!(alerts(&s, &alice, "").await.is_empty());
    tick(&s).await;

    let a = alerts(&s, &alice, "").await;
    let find = |v: &[Value], id: &str| v.iter().find(|x| x["tracks"][0]["id"] == id).cloned();
    assert_eq!(a.len(), 2, "{a:?}");
    let out = find(&a, "outside").unwrap();
    assert_eq!(out["kind"], "nonconformance");
    assert_eq!(out["reason"], "outside_volumes");
    assert_eq!(out["intent_id"], a_id.as_str());
    assert_eq!(out["state"], "new");
    assert_eq!(find(&a, "lost").unwrap()["reason"], "unknown_intent");
    assert!(find(&a, "inside").is_none());

    let b = alerts(&s, &bob, "").await;
    assert_eq!(b.len(), 2, "{b:?}");
    assert_eq!(find(&b, "outside").unwrap()["id"], out["id"], "bob's intent intersects alice's");
    assert_eq!(find(&b, "borrowed").unwrap()["reason"], "unknown_intent");
    assert!(find(&b, "lost").is_none(), "an unknown intent concerns its owner only");
    assert!(alerts(&s, &carol, "").await.is_empty());

    tick(&s).await;
    let a = alerts(&s, &alice, "").await;
    assert_eq!(find(&a, "outside").unwrap()["state"], "ongoing");

    // Back inside: the alert ends after three conforming scans. (30 s later:
    // a 22-km jump in less time is implausible and held back by the store.)
    advance(&s, 30);
    post_ok(&s, &alice, vec![slow("outside", 46.0, 7.001, 200.0, &a_id)]).await;
    for _ in 0..3 {
        tick(&s).await;
    }
    let a = alerts(&s, &alice, "").await;
    assert!(find(&a, "outside").is_none(), "{a:?}");
}

#[tokio::test]
async fn sbs_feed_tracks_belong_to_the_listener_party_and_garbage_is_counted() {
    let live = LiveConfig {
        sources: vec![SourceSpec::parse(SourceKind::SbsListen, "127.0.0.1:0=radar").unwrap()],
        ..quiet()
    };
    let s = start(live).await;
    let sources = s.state.live.sources();
    assert_eq!(sources.len(), 1);
    let status = sources[0].clone();
    let addrs = [bound(&status).await];
    let radar = s.token("radar", &[TR]);

    let mut conn = tokio::net::TcpStream::connect(addrs[0]).await.unwrap();
    let feed = concat!(
        "MSG,1,1,1,4CA2D6,1,2024/05/01,12:00:00.000,2024/05/01,12:00:00.000,RYR123  ,,,,,,,,0,0,0,0\r\n",
        "hello, this is not SBS\r\n",
        "\r\n",
        "MSG,3,1,1,ZZZZZZ,1,2024/05/01,12:00:00.000,2024/05/01,12:00:00.000,,37000,,,51.47,-0.45,,,0,0,0,0\r\n",
        "MSG,3,1,1\r\n",
        "MSG,3,1,1,4CA2D6,1,2024/05/01,12:00:00.000,2024/05/01,12:00:00.000,,37000,,,51.47000,-0.45000,,,0,0,0,0\r\n",
        "\u{0}\u{1}\u{ff}garbage\n",
        "MSG,4,1,1,4CA2D6,1,2024/05/01,12:00:00.500,2024/05/01,12:00:00.500,,,451,93.5,,,-640,,0,0,0,0\r\n",
    );
    conn.write_all(feed.as_bytes()).await.unwrap();
    conn.write_all(&[b'x'; 5000]).await.unwrap();
    conn.write_all(b"\n").await.unwrap();
    conn.flush().await.unwrap();

    // Nine lines in all (the long one once): wait until they are counted.
    wait_read(&status, 9).await;
    let seen = tracks(&s, &radar).await;
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0]["id"], "4CA2D6");
    assert_eq!(seen[0]["callsign"], "RYR123");
    assert_eq!(seen[0]["alt_ft"], 37000.0);
    assert_eq!(seen[0]["gs_kt"], 451.0);
    assert!(tracks(&s, &s.token("alice", &[TR])).await.is_empty());

    // A dropped connection ends only itself: a new one is served.
    drop(conn);
    let mut conn = tokio::net::TcpStream::connect(addrs[0]).await.unwrap();
    conn.write_all(concat!(
        "MSG,3,1,1,ABC123,1,2024/05/01,12:00:00.000,2024/05/01,12:00:00.000,,35000,,,51.6,-0.40,,,0,0,0,0\n",
        "MSG,4,1,1,ABC123,1,2024/05/01,12:00:00.000,2024/05/01,12:00:00.000,,,300,270,,,0,,0,0,0,0\n",
    ).as_bytes())
    .await
    .unwrap();
    wait_read(&status, 11).await;
    let seen = tracks(&s, &radar).await;
    assert_eq!(seen.len(), 2, "{seen:?}");

    let m = s.metrics().await;
    for result in ["ok", "not_msg", "empty", "bad_hex_ident", "field_count", "too_long"] {
        assert!(m.contains(&format!("deconflict_sbs_lines_total{{result=\"{result}\"}}")), "{result}: {m}");
    }
    scan(&s).await;
    let m = s.metrics().await;
    assert!(m.contains("deconflict_tracks"), "{m}");
    assert!(m.contains("deconflict_tactical_scan_duration_seconds"), "{m}");
}

#[tokio::test]
async fn sbs_bind_errors_fail_start_up() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut cfg = server::Config {
        dev: true,
        dev_key: std::env::temp_dir().join(format!("dk-{}.pem", new_id())),
        ..server::Config::default()
    };
    cfg.audit_key = std::env::temp_dir().join(format!("ak-{}.pem", new_id()));
    cfg.live.sources = vec![
        SourceSpec::parse(SourceKind::SbsListen, &format!("{}=radar", taken.local_addr().unwrap())).unwrap(),
    ];
    let state =
        server::build_state(&cfg, std::sync::Arc::new(deconflict_core::MemoryStore::new()), Clock::system())
            .await
            .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let err = tokio::time::timeout(
        Duration::from_secs(5),
        server::serve(state, &cfg, listener, std::future::pending()),
    )
    .await
    .expect("serve should fail at once")
    .unwrap_err();
    assert!(err.to_string().contains("SBS-1"), "{err}");
    let _ = std::fs::remove_file(&cfg.dev_key);
    let _ = std::fs::remove_file(&cfg.audit_key);
}

#[tokio::test]
async fn a_cross_party_alert_opens_a_thread_on_their_line() {
    let s = start(quiet()).await;
    s.register_line("ab", "Alice-Bob", &["alice", "bob"]).await;
    let alice = s.token("alice", &[TW, TR, "deconflict.hotline"]);
    let bob = s.token("bob", &[TW, TR, "deconflict.hotline"]);
    let mut bob_events = Sse::open_path(&s, &bob, "/v1/events/stream").await;
    report_twice(
        &s,
        &[(&alice, vec![track("A1", 46.0, 7.0, 90.0)]), (&bob, vec![track("B1", 46.0, 7.5, 270.0)])],
    )
    .await;
    tick(&s).await; // ongoing: no second message
    let a = alerts(&s, &alice, "").await;
    assert_eq!(a.len(), 1);
    let (st, msgs) = s.call(Method::GET, "/v1/lines/ab/messages", Some(&bob), None).await;
    assert_eq!(st, StatusCode::OK, "{msgs}");
    let msgs = msgs["messages"].as_array().unwrap();
    let threads: Vec<&Value> =
        msgs.iter().filter(|m| m["text"].as_str().unwrap().starts_with("LOSS OF SEPARATION")).collect();
    assert_eq!(threads.len(), 1, "{msgs:?}");
    let m = threads[0];
    assert_eq!(m["sender"], "deconflict");
    assert_eq!(m["priority"], "urgent");
    assert_eq!(m["refs"]["alert_id"], a[0]["id"]);
    let text = m["text"].as_str().unwrap();
    assert!(text.contains("alice's track A1") && text.contains("bob's track B1"), "{text}");

    // Issue 12: the new cross-party alert is an audit event both parties see.
    let raised = loop {
        let (_, e) = bob_events.next().await;
        if e["kind"] == "alert.raised" {
            break e;
        }
    };
    assert_eq!(raised["parties"], json!(["alice", "bob"]));
    assert_eq!(raised["payload"]["alert_id"], a[0]["id"]);
    assert_eq!(raised["payload"]["severity"], "imminent");
    assert_eq!(raised["payload"]["tracks"][0], json!({ "party": "alice", "id": "A1" }));
}
