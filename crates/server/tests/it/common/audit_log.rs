//! Helpers of the audit-log tests: sealing, exporting, the service key and a
//! small scenario to seal.

use reqwest::{Method, StatusCode};

use super::*;

pub const AUDIT: &str = "deconflict.audit.read";
pub const AUDIT_ALL: &str = "deconflict.audit.all";

pub async fn seal(s: &TestServer) {
    s.state.feed.seal(&s.state.app, &s.clock).await.unwrap();
    s.state.feed.follow(&s.state.app).await.unwrap();
}

pub async fn export(s: &TestServer, token: &str) -> String {
    let resp = s.http.get(format!("{}/v1/audit", s.base)).bearer_auth(token).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    resp.text().await.unwrap()
}

pub async fn service_key(s: &TestServer) -> audit::PublicKey {
    let (st, k) = s.call(Method::GET, "/v1/audit/key", None, None).await;
    assert_eq!(st, StatusCode::OK);
    k["public_key_hex"].as_str().unwrap().parse().unwrap()
}

/// Files Alice's intent, Bob's refused then accepted one, under Carol's watch.
pub async fn scenario(s: &TestServer) -> (String, String) {
    let carol = s.token("carol", &[SC]);
    let (st, _) =
        s.call(Method::PUT, &format!("{SUB}/{}", new_id()), Some(&carol), Some(&watch("carol"))).await;
    assert_eq!(st, StatusCode::OK);
    let a_id = new_id();
    let (st, a) = s.put_intent(&format!("{OIR}/{a_id}"), "alice", here(), &[]).await;
    assert_eq!(st, StatusCode::CREATED);
    let ovn = intent_ovn(&a);
    let b_id = new_id();
    let (st, _) = s.put_intent(&format!("{OIR}/{b_id}"), "bob", here(), &[]).await;
    assert_eq!(st, StatusCode::CONFLICT);
    let (st, _) = s.put_intent(&format!("{OIR}/{b_id}"), "bob", here(), &[&ovn]).await;
    assert_eq!(st, StatusCode::CREATED);
    (a_id, b_id)
}
