//! One live picture across replicas through Redis Streams: two replicas
//! over one PostgreSQL database see the cross-party alert between a track
//! reported to one and a track reported to the other, and record it once;
//! Redis going down (local alerts go on, `/healthz` says the picture is
//! partial) and coming back. Needs `DECONF_TEST_REDIS_URL`
//! (`.ci/redis.sh`) and, for the first test, `DECONF_TEST_PG_URL`; without
//! them the tests print SKIPPED and pass, except that under `CI=true` a
//! missing variable is a failure (`common::service_url`).

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use server::Clock;
use server::live::{ExchangeConfig, LiveConfig};

use super::common::*;
use super::replicas::{Relay, Schema, pg_url};

const TW: &str = "deconflict.tracks.write";
const TR: &str = "deconflict.tracks.read";

fn redis_url() -> Option<String> {
    service_url("DECONF_TEST_REDIS_URL")
}

/// Tactical settings of a replica on Redis `url`'s stream `stream`,
/// scanning only when the test says.
fn exchanged(url: &str, stream: &str, name: &str) -> LiveConfig {
    LiveConfig {
        scan_interval: Duration::from_secs(3600),
        exchange: Some(ExchangeConfig {
            stream: stream.to_owned(),
            flush_interval: Duration::from_millis(50),
            replica: name.to_owned(),
            ..ExchangeConfig::new(url)
        }),
        ..LiveConfig::default()
    }
}

/// A replica with its own SQLite store, on a clock starting at `t`.
async fn replica(url: &str, stream: &str, name: &str, t: i64) -> TestServer {
    let opts = Options { clock: Clock::manual(t), live: exchanged(url, stream, name), ..Options::default() };
    TestServer::start_with(opts, tempfile::tempdir().unwrap()).await
}

/// A replica of one service over PostgreSQL `pg`'s `schema` (sharing the
/// keys of `first`, if given), on a clock starting at `t`.
async fn pg_replica(
    pg: &str,
    schema: &Schema,
    first: Option<&TestServer>,
    (url, stream, name): (&str, &str, &str),
    t: i64,
) -> TestServer {
    let base = Options {
        dss_instance_id: Some(name.to_owned()),
        clock: Clock::manual(t),
        live: exchanged(url, stream, name),
        ..Options::default()
    };
    super::replicas::replica_with(pg, schema, first, base).await
}

fn track(id: &str, lat: f64, lon: f64, trk: f64, t: i64) -> Value {
    json!({ "id": id, "time": rfc3339_at(t), "lat": lat, "lon": lon, "alt_ft": 30000, "gs_kt": 400,
            "trk_deg": trk, "vs_fpm": 0 })
}

fn rfc3339_at(micros: i64) -> String {
    chrono::DateTime::from_timestamp_micros(micros).unwrap().to_rfc3339()
}

async fn post(s: &TestServer, token: &str, tracks: Vec<Value>) {
    let (st, v) = s.call(Method::POST, "/v1/tracks", Some(token), Some(&json!({ "tracks": tracks }))).await;
    assert_eq!(st, StatusCode::OK, "{v}");
}

async fn alerts(s: &TestServer, token: &str) -> Vec<Value> {
    let (st, v) = s.call(Method::GET, "/v1/alerts", Some(token), None).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    v["alerts"].as_array().unwrap().clone()
}

/// Waits (at most 20 s, on the exchange's counter) until `s` holds `party`'s
/// track `id` reported at `t`.
async fn wait_track(s: &TestServer, party: &str, id: &str, t: i64) {
    let live = &s.state.live;
    let p = live.party(&deconflict_core::PartyName::new(party).unwrap());
    let mut applied = live.exchange_applied();
    let has = || live.tracks_of(p).iter().any(|(n, st)| n == id && st.time.as_micros() >= t);
    tokio::time::timeout(Duration::from_secs(20), async {
        while !has() {
            applied.changed().await.unwrap();
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{party}'s {id} at {t} did not arrive within 20 s"));
}

/// Waits (at most 20 s) until the picture's partial flag is `want`.
async fn wait_partial(s: &TestServer, want: bool) {
    let mut w = s.state.live.watch_partial();
    tokio::time::timeout(Duration::from_secs(20), w.wait_for(|p| *p == want))
        .await
        .unwrap_or_else(|_| panic!("picture partial did not become {want} within 20 s"))
        .unwrap();
}

/// `/healthz`'s `picture`, as the operator reads it.
async fn health_picture(s: &TestServer) -> String {
    let admin = s.token("ops", &["deconflict.admin"]);
    let (st, v) = s.call(Method::GET, "/healthz", Some(&admin), None).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    v["picture"].as_str().unwrap().to_owned()
}

fn stream_name() -> String {
    format!("deconflict-test:{}", new_id())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cross_party_alert_between_tracks_reported_to_two_replicas() {
    let Some(url) = redis_url() else { return };
    let Some(pg) = pg_url() else { return };
    let schema = Schema::create(&pg);
    let stream = stream_name();
    let t0 = chrono::Utc::now().timestamp_micros();
    let a = pg_replica(&pg, &schema, None, (&url, &stream, "replica-a"), t0).await;
    let b = pg_replica(&pg, &schema, Some(&a), (&url, &stream, "replica-b"), t0).await;
    wait_partial(&a, false).await;
    wait_partial(&b, false).await;
    assert_eq!(health_picture(&a).await, "complete");

    // The line between alice and bob, registered through A, is the one both replicas serve.
    a.register_line("ab", "Alice-Bob", &["alice", "bob"]).await;
    let alice = a.token("alice", &[TW, TR, "deconflict.hotline"]);
    let bob = b.token("bob", &[TW, TR, "deconflict.hotline"]);

    // Head-on, alice reporting to A and bob to B, twice (a conflict is
    // confirmed over two distinct reports); each replica scans once the
    // other's reports have arrived.
    for step in 0..2 {
        let t = t0 + step * 5_000_000;
        for s in [&a, &b] {
            s.clock.set(t);
        }
        post(&a, &alice, vec![track("A1", 46.0, 7.0, 90.0, t)]).await;
        post(&b, &bob, vec![track("B1", 46.0, 7.5, 270.0, t)]).await;
        wait_track(&a, "bob", "B1", t).await;
        wait_track(&b, "alice", "A1", t).await;
        for s in [&a, &b] {
            s.state.live.scan_once().await;
        }
    }
    let on_a = alerts(&a, &alice).await;
    let on_b = alerts(&b, &bob).await;
    assert_eq!(on_a.len(), 1, "{on_a:?}");
    assert_eq!(on_b.len(), 1, "{on_b:?}");
    for alert in [&on_a[0], &on_b[0]] {
        let mut who: Vec<String> = alert["tracks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| format!("{}/{}", t["party"].as_str().unwrap(), t["id"].as_str().unwrap()))
            .collect();
        who.sort();
        assert_eq!(who, ["alice/A1", "bob/B1"]);
    }

    // Recorded once in the shared database (by the replica that received
    // alice's track): one thread on the line, read through either replica.
    for (s, token) in [(&a, &alice), (&b, &bob)] {
        let (st, msgs) = s.call(Method::GET, "/v1/lines/ab/messages", Some(token), None).await;
        assert_eq!(st, StatusCode::OK, "{msgs}");
        let threads = msgs["messages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["text"].as_str().unwrap().starts_with("LOSS OF SEPARATION"))
            .count();
        assert_eq!(threads, 1, "{msgs}");
    }

    // Remote tracks stay their owners' own: bob's is not alice's to list.
    let (_, mine) = a.call(Method::GET, "/v1/tracks", Some(&alice), None).await;
    assert_eq!(mine["tracks"].as_array().unwrap().len(), 1, "{mine}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_down_local_alerts_go_on_and_the_picture_is_partial_until_it_returns() {
    let Some(url) = redis_url() else { return };
    let hostport = url.trim_start_matches("redis://").trim_end_matches('/').to_owned();
    let relay = Relay::start(hostport).await;
    let stream = stream_name();
    let t0 = chrono::Utc::now().timestamp_micros();
    let a = replica(&format!("redis://127.0.0.1:{}", relay.port), &stream, "replica-a", t0).await;
    let b = replica(&url, &stream, "replica-b", t0).await;
    wait_partial(&a, false).await;
    let alice = a.token("alice", &[TW, TR]);
    let carol = a.token("carol", &[TW, TR]);
    let bob = b.token("bob", &[TW, TR]);

    relay.cut();
    wait_partial(&a, true).await;
    assert_eq!(health_picture(&a).await, "partial");
    // (`deconflict_picture_partial` says the same, but the metrics recorder is
    // one per process, and this test's two replicas share one.)

    // Alice and carol both report to A: their conflict is alerted all the same.
    for step in 0..2 {
        let t = t0 + step * 5_000_000;
        a.clock.set(t);
        post(&a, &alice, vec![track("A1", 46.0, 7.0, 90.0, t)]).await;
        post(&a, &carol, vec![track("C1", 46.0, 7.5, 270.0, t)]).await;
        a.state.live.scan_once().await;
    }
    assert_eq!(alerts(&a, &alice).await.len(), 1, "local alerts go on while Redis is away");

    // Back: A catches up with what B's parties report, and says the picture is whole.
    relay.restore();
    wait_partial(&a, false).await;
    assert_eq!(health_picture(&a).await, "complete");
    let t = t0 + 10_000_000;
    b.clock.set(t);
    post(&b, &bob, vec![track("B7", 40.0, 0.0, 90.0, t)]).await;
    wait_track(&a, "bob", "B7", t).await;
    // And what A's parties reported while it was away reached B.
    wait_track(&b, "carol", "C1", t0 + 5_000_000).await;
}
