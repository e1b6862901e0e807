//! A write whose client went away is never committed afterwards, on
//! PostgreSQL (where a test can hold the cell locks).

use reqwest::{Method, StatusCode};

use super::common::*;

/// Item 7: a write whose client went away while it waited is never committed
/// afterwards. The test holds every area write at the cell lock, sends a
/// create with a client that gives up, waits until the server saw the
/// request abandoned, lets the write go on, and waits until the engine
/// refused to commit it.
#[tokio::test]
async fn a_write_whose_client_disconnected_is_not_committed() {
    let Some(url) = super::replicas::pg_url() else { return };
    let schema = super::replicas::Schema::create(&url);
    let s = super::replicas::replica(&url, &schema, None).await;
    let lock_url = url.clone();
    let name = schema.name().to_owned();
    let (locked_tx, locked_rx) = std::sync::mpsc::channel::<()>();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let locker = std::thread::spawn(move || {
        let mut c = postgres::Client::connect(&lock_url, postgres::NoTls).unwrap();
        let mut tx = c.transaction().unwrap();
        tx.batch_execute(&format!("LOCK TABLE {name}.area_locks IN ACCESS EXCLUSIVE MODE")).unwrap();
        locked_tx.send(()).unwrap();
        release_rx.recv().unwrap();
        tx.commit().unwrap();
    });
    locked_rx.recv().unwrap();

    let id = new_id();
    let impatient =
        reqwest::Client::builder().timeout(std::time::Duration::from_millis(300)).build().unwrap();
    let token = s.token("alice", &[SC]);
    let sent = impatient
        .put(format!("{}{OIR}/{id}", s.base))
        .bearer_auth(&token)
        .json(&intent("alice", here(), &[]))
        .send()
        .await;
    assert!(sent.is_err(), "the write waits for the lock, so the client gives up: {sent:?}");
    wait_for_metric(&s, "deconflict_requests_abandoned_total").await;
    release_tx.send(()).unwrap();
    locker.join().unwrap();
    wait_for_metric(&s, "deconflict_writes_abandoned_total").await;

    let (st, v) = s.call(Method::GET, &format!("{OIR}/{id}"), Some(&token), None).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{v}");
    assert_eq!(s.counts().await, (0, 0, 0));
}

/// Polls `/metrics` until the counter `name` is at least 1 (at most 20 s).
async fn wait_for_metric(s: &TestServer, name: &str) {
    for _ in 0..400 {
        let text = s.metrics().await;
        if text.lines().any(|l| l.starts_with(name) && l.split_whitespace().last().is_some_and(|v| v != "0"))
        {
            return;
        }
        tokio::task::yield_now().await;
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{name} never counted");
}
