//! Ended entities are purged on schedule, counted in /metrics, and gone from
//! the store; live ones stay.

use reqwest::{Method, StatusCode};

use crate::common::*;

#[tokio::test]
async fn purge_removes_ended_entities_and_counts_them() {
    let now = chrono::Utc::now().timestamp_micros();
    let clock = server::Clock::manual(now);
    let s = TestServer::start_with(
        Options { clock: clock.clone(), ..Options::default() },
        tempfile::tempdir().unwrap(),
    )
    .await;
    let alice = s.token("alice", &[SC]);
    let short = new_id();
    let (st, _) = s
        .put_intent(&format!("{OIR}/{short}"), "alice", volume(46.0, 7.0, 0.01, (0.0, 120.0), (1, 30)), &[])
        .await;
    assert_eq!(st, StatusCode::CREATED);
    let long = new_id();
    let (st, _) = s
        .put_intent(&format!("{OIR}/{long}"), "alice", volume(47.0, 7.0, 0.01, (0.0, 120.0), (1, 300)), &[])
        .await;
    assert_eq!(st, StatusCode::CREATED);
    assert_eq!(s.counts().await, (2, 0, 2));

    // Nothing has ended yet.
    server::purge::purge_once(&s.state).await.unwrap();
    assert_eq!(s.counts().await, (2, 0, 2));

    // An hour later the short one and its implicit subscription are gone.
    clock.set(now + 3_600_000_000);
    server::purge::purge_once(&s.state).await.unwrap();
    assert_eq!(s.counts().await, (1, 0, 1));
    let (st, _) = s.call(Method::GET, &format!("{OIR}/{short}"), Some(&alice), None).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _) = s.call(Method::GET, &format!("{OIR}/{long}"), Some(&alice), None).await;
    assert_eq!(st, StatusCode::OK);
    let metrics = s.metrics().await;
    assert!(
        metrics.lines().any(|l| l.starts_with("deconflict_purged_total")
            && l.contains("operational_intent")
            && !l.ends_with(" 0")),
        "{metrics}"
    );
}
