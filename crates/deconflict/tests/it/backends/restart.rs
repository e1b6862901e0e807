//! An acknowledged write survives a restart of the server on the same file.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::common::*;

#[tokio::test]
async fn restart_keeps_every_acknowledged_entity() {
    let s = TestServer::start_with(super::on_sqlite(), tempfile::tempdir().unwrap()).await;
    let alice = s.token("alice", &[SC, CM]);
    let mut ids = Vec::new();
    for i in 0..5 {
        let id = new_id();
        let lat = 40.0 + f64::from(i);
        let (st, _) = s
            .call(
                Method::PUT,
                &format!("{OIR}/{id}"),
                Some(&alice),
                Some(&intent("alice", volume(lat, 7.0, 0.01, (0.0, 120.0), (10, 70)), &[])),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED);
        ids.push(id);
    }
    let c_id = new_id();
    let (st, _) = s.call(Method::PUT, &format!("{CR}/{c_id}"), Some(&alice), Some(&json!({
        "extents": [volume(30.0, 7.0, 0.02, (0.0, 500.0), (0, 60))], "uss_base_url": "http://alice.example" }))).await;
    assert_eq!(st, StatusCode::CREATED);
    let before = s.counts().await;
    assert_eq!(before, (5, 1, 5));

    let dir = s.stop().await;
    let s = TestServer::start_with(super::on_sqlite(), dir).await;
    assert_eq!(s.counts().await, before);
    let alice = s.token("alice", &[SC, CM]);
    for id in &ids {
        let (st, v) = s.call(Method::GET, &format!("{OIR}/{id}"), Some(&alice), None).await;
        assert_eq!(st, StatusCode::OK, "{v}");
        assert_eq!(v["operational_intent_reference"]["manager"], "alice");
    }
    let (st, _) = s.call(Method::GET, &format!("{CR}/{c_id}"), Some(&alice), None).await;
    assert_eq!(st, StatusCode::OK);
}
