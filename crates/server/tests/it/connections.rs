//! Hostile clients are bounded: slow heads and bodies, idle keep-alive
//! connections, connection floods and stream hoarding are cut off, a
//! response sent before the body was read does not break the next request,
//! and shutdown drains within its grace even with streams open.
//!
//! The slow clients here dribble bytes on purpose (that is the behaviour
//! under test); nothing waits for the server to be "ready": each test reads
//! until the server answers or closes, with a generous bound that only
//! fails a hung test.

use std::time::Duration;

use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::*;

/// Fails the test after this long without the expected outcome.
const HUNG: Duration = Duration::from_secs(20);

fn tight() -> server::net::ConnLimits {
    server::net::ConnLimits {
        header_timeout: Duration::from_millis(400),
        idle_timeout: Duration::from_millis(600),
        body_timeout: Duration::from_millis(400),
        ..server::net::ConnLimits::default()
    }
}

async fn start(conn: server::net::ConnLimits) -> TestServer {
    TestServer::start_with(Options { conn, ..Options::default() }, tempfile::tempdir().unwrap()).await
}

async fn connect(s: &TestServer) -> TcpStream {
    TcpStream::connect(s.base.trim_start_matches("http://")).await.unwrap()
}

/// Reads until the server closes the connection; what it sent.
async fn until_closed(stream: &mut TcpStream) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return String::from_utf8_lossy(&got).into_owned(),
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
}

#[tokio::test]
async fn a_slow_header_client_is_cut_off() {
    let s = start(tight()).await;
    let mut c = connect(&s).await;
    let dribble = async {
        // One byte every 100 ms: forever slower than the 400 ms header timeout.
        for b in b"GET /aux/v1/version HTTP/1.1\r\nHost: x\r\nX-Slow: ".iter().chain(std::iter::repeat(&b'a'))
        {
            if c.write_all(&[*b]).await.is_err() {
                return; // the server closed the connection
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    tokio::time::timeout(HUNG, dribble).await.expect("the server never cut the slow head off");
}

#[tokio::test]
async fn a_slow_body_client_gets_408_and_the_connection_closes() {
    let s = start(tight()).await;
    let token = s.token("alice", &[SC]);
    let mut c = connect(&s).await;
    let head = format!(
        "PUT {OIR}/{} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: 4000\r\n\r\n{{",
        new_id()
    );
    c.write_all(head.as_bytes()).await.unwrap();
    let (mut rd, mut wr) = c.into_split();
    let dribble = tokio::spawn(async move {
        while wr.write_all(b" ").await.is_ok() {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    let mut got = Vec::new();
    let read = async {
        let mut buf = [0u8; 4096];
        loop {
            match rd.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(HUNG, read).await.expect("the server never answered the slow body");
    dribble.abort();
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.to_ascii_lowercase().contains("connection: close"), "{text}");
    assert!(text.contains("not received within"), "a JSON message says why: {text}");
    assert_eq!(s.counts().await, (0, 0, 0), "nothing was written");
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed() {
    let s = start(tight()).await;
    let mut c = connect(&s).await;
    c.write_all(b"GET /aux/v1/version HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let got = tokio::time::timeout(HUNG, until_closed(&mut c)).await.expect("idle connection never closed");
    assert!(got.starts_with("HTTP/1.1 200"), "the request itself was served: {got}");
}

#[tokio::test]
async fn connections_over_the_cap_are_closed_at_once() {
    let conn = server::net::ConnLimits { max_connections: 4, ..server::net::ConnLimits::default() };
    let s = start(conn).await;
    // Four connections, each proven accepted by a served request.
    let mut held = Vec::new();
    for _ in 0..4 {
        let mut c = connect(&s).await;
        c.write_all(b"GET /aux/v1/version HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
        let mut buf = [0u8; 512];
        let n = c.read(&mut buf).await.unwrap();
        assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
        held.push(c);
    }
    let mut fifth = connect(&s).await;
    let _ = fifth.write_all(b"GET /aux/v1/version HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let got = tokio::time::timeout(HUNG, until_closed(&mut fifth)).await.expect("fifth connection kept open");
    assert_eq!(got, "", "refused without an answer");
    // Closing one frees its place (once the server has seen it go).
    drop(held.pop());
    let served = async {
        loop {
            let mut c = connect(&s).await;
            let _ =
                c.write_all(b"GET /aux/v1/version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
            if until_closed(&mut c).await.starts_with("HTTP/1.1 200") {
                return;
            }
        }
    };
    tokio::time::timeout(HUNG, served).await.expect("a freed place was never reused");
}

#[tokio::test]
async fn an_early_refusal_does_not_break_the_next_request_on_the_connection() {
    let s = start(server::net::ConnLimits::default()).await;
    let token = s.token("alice", &[SC]);
    // One connection at a time, reused whenever the server allows it.
    let http = reqwest::Client::builder().pool_max_idle_per_host(1).build().unwrap();
    let body = vec![b' '; 64 * 1024];
    for i in 0..200 {
        // No token: refused before the 64 KiB body is read.
        let resp = http
            .put(format!("{}{OIR}/{}", s.base, new_id()))
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .unwrap_or_else(|e| panic!("request {i}: {e}"));
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(resp.headers()["connection"], "close", "the unread body closes the connection");
        let _ = resp.bytes().await;
        let resp = http
            .get(format!("{}/aux/v1/validate_oauth", s.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap_or_else(|e| panic!("request after refusal {i}: {e}"));
        assert_eq!(resp.status(), StatusCode::OK);
    }
    // A refusal after the body was read keeps the connection open.
    let resp = http
        .put(format!("{}{OIR}/{}", s.base, new_id()))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(resp.headers().get("connection").is_none());
}

#[tokio::test]
async fn a_party_cannot_hoard_streams() {
    let s = TestServer::start_with(
        Options { max_streams_per_party: 2, ..Options::default() },
        tempfile::tempdir().unwrap(),
    )
    .await;
    let token = s.token("mallory", &["deconflict.tracks.read"]);
    let open = |path: &'static str| {
        let (http, url, token) = (s.http.clone(), format!("{}{path}", s.base), token.clone());
        async move { http.get(url).bearer_auth(token).send().await.unwrap() }
    };
    let a = open("/v1/events/stream").await;
    let b = open("/v1/alerts/stream").await;
    assert_eq!((a.status(), b.status()), (StatusCode::OK, StatusCode::OK));
    let c = open("/v1/events/stream").await;
    assert_eq!(c.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(c.headers().contains_key("retry-after"));
    assert!(c.text().await.unwrap().contains("the limit is 2"));
    // Another party is not affected.
    let other = s.token("alice", &["deconflict.tracks.read"]);
    let resp = s.event_stream(&other, None).await;
    assert_eq!(resp.status(), StatusCode::OK);
    // Closing one frees a slot once the server notices.
    drop(a);
    let reopened = async {
        loop {
            if open("/v1/events/stream").await.status() == StatusCode::OK {
                return;
            }
            tokio::task::yield_now().await;
        }
    };
    tokio::time::timeout(HUNG, reopened).await.expect("the closed stream's slot was never freed");
}

#[tokio::test]
async fn shutdown_drains_within_its_grace_even_with_streams_open() {
    let conn = server::net::ConnLimits {
        shutdown_grace: Duration::from_millis(300),
        ..server::net::ConnLimits::default()
    };
    let store: std::sync::Arc<dyn deconflict_core::Store> =
        std::sync::Arc::new(deconflict_core::MemoryStore::new());
    let opts = Options { conn, store: Some(StoreSpec::Shared(store.clone())), ..Options::default() };
    let s = TestServer::start_with(opts, tempfile::tempdir().unwrap()).await;
    let token = s.token("alice", &[SC]);
    let events = s.event_stream(&token, None).await;
    let alerts = s
        .http
        .get(format!("{}/v1/alerts/stream", s.base))
        .bearer_auth(s.token("alice", &["deconflict.tracks.read"]))
        .send()
        .await
        .unwrap();
    assert_eq!((events.status(), alerts.status()), (StatusCode::OK, StatusCode::OK));
    // A write acknowledged before shutdown is committed.
    let (st, _) = s.put_intent(&format!("{OIR}/{}", new_id()), "alice", here(), &[]).await;
    assert_eq!(st, StatusCode::CREATED);
    tokio::time::timeout(HUNG, s.stop()).await.expect("the server did not stop with streams open");
    let mut tx = store.begin(deconflict_core::TxMode::Read).unwrap();
    assert_eq!(tx.counts().unwrap().intents, 1);
}
