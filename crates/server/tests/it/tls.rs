//! TLS on every link the server owns: HTTPS with certificates the tests make,
//! client certificates as a second factor naming the party, and webhooks
//! delivered over HTTPS to a receiver the server verifies.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::certs::{Ca, Leaf};
use crate::common::*;

struct Tls {
    s: TestServer,
    ca: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

/// A server on HTTPS for 127.0.0.1, signed by a fresh CA; with `client_ca`,
/// client certificates from that CA are required.
async fn https(client_ca: Option<&Ca>) -> Tls {
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::new("server");
    let leaf = ca.leaf(dir.path(), "server", "deconflict test", &["127.0.0.1", "localhost"]);
    let tls = server::TlsSettings {
        cert: leaf.cert,
        key: leaf.key,
        client_ca: client_ca.map(|c| c.write(dir.path(), "clients.pem")),
    };
    let ca_path = ca.write(dir.path(), "ca.pem");
    let s = TestServer::start_with(
        Options { tls: Some(tls), ..Options::default() },
        tempfile::tempdir().unwrap(),
    )
    .await;
    Tls { s, ca: ca_path, _dir: dir }
}

fn client(ca: &std::path::Path, identity: Option<&Leaf>) -> reqwest::Client {
    let mut b = reqwest::Client::builder().timeout(Duration::from_secs(20));
    let roots = server::net::tls::load_certs(ca).unwrap();
    b = b.tls_certs_only(roots.iter().map(|c| reqwest::Certificate::from_der(c.as_ref()).unwrap()));
    if let Some(id) = identity {
        let pem = format!("{}{}", id.cert_pem, id.key_pem);
        b = b.identity(reqwest::Identity::from_pem(pem.as_bytes()).unwrap());
    }
    b.build().unwrap()
}

#[tokio::test]
async fn the_server_speaks_https_with_its_certificate() {
    let t = https(None).await;
    assert!(t.s.base.starts_with("https://127.0.0.1:"), "{}", t.s.base);
    let token = t.s.token("alice", &[SC]);
    let c = client(&t.ca, None);
    let resp = c.get(format!("{}/aux/v1/validate_oauth", t.s.base)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    // A client that does not trust the CA refuses the server...
    let other = tempfile::tempdir().unwrap();
    let elsewhere = Ca::new("elsewhere").write(other.path(), "ca.pem");
    let err = client(&elsewhere, None).get(format!("{}/aux/v1/version", t.s.base)).send().await.unwrap_err();
    assert!(err.is_connect() || err.to_string().contains("certificate"), "{err:?}");
    // ...and plain HTTP to the TLS port gets no HTTP answer.
    let plain = t.s.base.replace("https://", "http://");
    let resp = reqwest::Client::new().get(format!("{plain}/aux/v1/version")).send().await;
    assert!(resp.map(|r| r.status() != StatusCode::OK).unwrap_or(true));
}

#[tokio::test]
async fn a_client_certificate_must_name_the_party_of_the_token() {
    let parties = Ca::new("parties");
    let t = https(Some(&parties)).await;
    let dir = tempfile::tempdir().unwrap();
    let alpha = parties.leaf(dir.path(), "alpha", "alpha", &["alpha"]);
    let url = format!("{}/aux/v1/validate_oauth", t.s.base);
    // Alpha's certificate with Alpha's token: accepted.
    let c = client(&t.ca, Some(&alpha));
    let resp = c.get(&url).bearer_auth(t.s.token("alpha", &[SC])).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    // Alpha's certificate with Bravo's token: refused, naming both.
    let resp = c.get(&url).bearer_auth(t.s.token("bravo", &[SC])).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let v: Value = resp.json().await.unwrap();
    let m = v["message"].as_str().unwrap();
    assert!(m.contains("alpha") && m.contains("bravo"), "{m}");
    // No certificate, or one from another CA: no connection at all.
    let err = client(&t.ca, None).get(&url).send().await.unwrap_err();
    assert!(err.is_connect() || err.is_request(), "{err:?}");
    let rogue = Ca::new("rogue").leaf(dir.path(), "rogue", "alpha", &["alpha"]);
    let err = client(&t.ca, Some(&rogue)).get(&url).send().await.unwrap_err();
    assert!(err.is_connect() || err.is_request(), "{err:?}");
}

/// Serves `receiver` over HTTPS with `leaf`'s certificate on a new loopback
/// port, through the server's own connection layer, until the test ends;
/// the URL of its `/hook`.
async fn serve_receiver(leaf: &Leaf, receiver: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("https://{}/hook", listener.local_addr().unwrap());
    let tls = server::net::ServerTls::from_files(&leaf.cert, &leaf.key, None).unwrap();
    tokio::spawn(server::net::serve(
        listener,
        receiver,
        Some(tls),
        server::net::ConnLimits::default(),
        std::future::pending(),
    ));
    hook
}

#[tokio::test]
async fn webhooks_are_delivered_over_https_to_a_verified_receiver() {
    server::net::tls::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::new("receivers");
    let leaf = ca.leaf(dir.path(), "receiver", "receiver", &["127.0.0.1"]);
    let ca_file = ca.write(dir.path(), "ca.pem");
    // A real TLS receiver: the server's own connection layer with a tiny router.
    let seen: Arc<Mutex<Vec<Value>>> = Arc::default();
    let recorder = seen.clone();
    let receiver = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: String| {
            let seen = recorder.clone();
            async move {
                seen.lock().unwrap().push(serde_json::from_str(&body).unwrap());
                StatusCode::OK
            }
        }),
    );
    let hook = serve_receiver(&leaf, receiver).await;
    let t0 = chrono::Utc::now().timestamp_micros();
    let opts = Options { clock: server::Clock::manual(t0), ca_file: Some(ca_file), ..Options::default() };
    let s = TestServer::start_with(opts, tempfile::tempdir().unwrap()).await;
    let admin = s.token("ops", &["deconflict.admin"]);
    for (p, url) in [("alpha", None), ("bravo", Some(hook.as_str()))] {
        let body = json!({ "display_name": p, "webhook_url": url });
        let (st, r) = s.call(Method::PUT, &format!("/v1/parties/{p}"), Some(&admin), Some(&body)).await;
        assert_eq!(st, StatusCode::CREATED, "{r}");
    }
    let line = json!({"name": "A-B", "parties": ["alpha", "bravo"]});
    let (st, r) = s.call(Method::PUT, "/v1/lines/ab", Some(&admin), Some(&line)).await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    let alpha = s.token("alpha", &["deconflict.hotline"]);
    let hold = json!({"priority": "urgent", "text": "hold"});
    let (st, sent) = s.call(Method::POST, "/v1/lines/ab/messages", Some(&alpha), Some(&hold)).await;
    assert_eq!(st, StatusCode::CREATED, "{sent}");
    s.state.feed.seal(&s.state.app, &s.clock).await.unwrap();
    let report = server::coord_tasks::deliver_webhooks_once(&s.state).await.unwrap();
    assert_eq!(report.failed, 0);
    assert!(seen.lock().unwrap().iter().any(|e| e["kind"] == "message.sent"));
    let (_, v) = s
        .call(Method::GET, &format!("/v1/messages/{}", sent["id"].as_str().unwrap()), Some(&alpha), None)
        .await;
    assert_eq!(v["deliveries"][0]["delivered_via"], "webhook", "{v}");
}

#[tokio::test]
async fn a_webhook_receiver_the_server_cannot_verify_gets_nothing() {
    server::net::tls::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let leaf = Ca::new("unknown").leaf(dir.path(), "receiver", "receiver", &["127.0.0.1"]);
    let hits = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = hits.clone();
    let receiver = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            async { StatusCode::OK }
        }),
    );
    let hook = serve_receiver(&leaf, receiver).await;
    let s = TestServer::start().await;
    let admin = s.token("ops", &["deconflict.admin"]);
    let body = json!({ "display_name": "bravo", "webhook_url": hook });
    let (st, r) = s.call(Method::PUT, "/v1/parties/bravo", Some(&admin), Some(&body)).await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    s.state.feed.seal(&s.state.app, &s.clock).await.unwrap();
    // (The periodic pass may have made the attempt first: either way it failed.)
    let report = server::coord_tasks::deliver_webhooks_once(&s.state).await.unwrap();
    assert_eq!(report.delivered, 0);
    assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 0);
    let cursor =
        s.state.app.coord().webhook_cursor(&deconflict_core::PartyName::new("bravo").unwrap()).unwrap();
    assert!(
        cursor.attempts >= 1 && cursor.last_error.as_deref().is_some_and(|e| !e.is_empty()),
        "{cursor:?}"
    );
}
