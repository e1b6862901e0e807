//! Strict input: a misspelt field, an invisible character, an endless or
//! enormous intent, a body that is not JSON, an out-of-range number — each
//! is refused with a 4xx naming the problem, and nothing changes. Known
//! legacy fields that F3548 clients still send are accepted and ignored.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::*;

fn body() -> Value {
    intent("alice", here(), &[])
}

#[tokio::test]
async fn misspelt_fields_are_refused_naming_their_json_path() {
    let s = TestServer::start().await;
    let alice = s.token("alice", &[SC]);
    // A typo of subscription_id would have filed an intent without a subscription.
    let mut typo = body();
    typo.as_object_mut().unwrap().remove("new_subscription");
    typo["subscripton_id"] = json!(new_id());
    let (st, r) = s.call(Method::PUT, &format!("{OIR}/{}", new_id()), Some(&alice), Some(&typo)).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{r}");
    let m = r["message"].as_str().unwrap();
    assert!(m.contains("unknown field `subscripton_id`"), "{m}");
    // A typo deep inside a query would have widened it to an open lower bound.
    let mut q = area(46.0, 7.0, 0.01);
    let v = &mut q["area_of_interest"]["volume"];
    v["altitude_lowr"] = v["altitude_lower"].take();
    v.as_object_mut().unwrap().remove("altitude_lower");
    let (st, r) = s.call(Method::POST, &format!("{OIR}/query"), Some(&alice), Some(&q)).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{r}");
    let m = r["message"].as_str().unwrap();
    assert!(m.contains("area_of_interest.volume") && m.contains("altitude_lowr"), "names the path: {m}");
    // Native bodies too.
    let (st, r) = s
        .call(
            Method::POST,
            "/v1/operations/query",
            Some(&alice),
            Some(&json!({"area": q["area_of_interest"]})),
        )
        .await;
    assert_refused(st, &r, StatusCode::BAD_REQUEST, "area.volume");
    assert_eq!(s.counts().await, (0, 0, 0));
}

#[tokio::test]
async fn known_legacy_fields_are_accepted_and_ignored() {
    let s = TestServer::start().await;
    let token = s.token("uss1", &[SC, CM]);
    // old_version in intent, constraint and subscription bodies, and in a DELETE body.
    let id = new_id();
    let mut b = intent("uss1", here(), &[]);
    b["old_version"] = json!(0);
    let (st, r) = s.call(Method::PUT, &format!("{OIR}/{id}"), Some(&token), Some(&b)).await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    let ovn = intent_ovn(&r);
    let (st, r) = s
        .call(Method::DELETE, &format!("{OIR}/{id}/{ovn}"), Some(&token), Some(&json!({"old_version": 1})))
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    let cid = new_id();
    let c = json!({ "extents": [here()], "uss_base_url": "http://uss1.example", "old_version": 0 });
    let (st, r) = s.call(Method::PUT, &format!("{CR}/{cid}"), Some(&token), Some(&c)).await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    let mut sub = watch("uss1");
    sub["old_version"] = json!(0);
    sub["notify_for_operations"] = json!(true);
    let sid = new_id();
    let (st, r) = s.call(Method::PUT, &format!("{SUB}/{sid}"), Some(&token), Some(&sub)).await;
    assert_eq!(st, StatusCode::OK, "{r}");
    let version = r["subscription"]["version"].as_str().unwrap().to_owned();
    // A DELETE body with anything else is refused like any unknown field.
    let (st, r) = s
        .call(Method::DELETE, &format!("{SUB}/{sid}/{version}"), Some(&token), Some(&json!({"force": true})))
        .await;
    assert_refused(st, &r, StatusCode::BAD_REQUEST, "force");
}

#[tokio::test]
async fn urls_with_invisible_or_non_ascii_characters_are_refused() {
    let s = TestServer::start().await;
    let alice = s.token("alice", &[SC]);
    for url in [
        "http://\u{fc}\u{f1}\u{ee}\u{200b}.example",
        "http://uss\u{200b}.example",
        "http://b\u{fc}cher.example",
    ] {
        let mut b = body();
        b["uss_base_url"] = json!(url);
        let (st, r) = s.call(Method::PUT, &format!("{OIR}/{}", new_id()), Some(&alice), Some(&b)).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{url}: {r}");
        assert!(r["message"].as_str().unwrap().contains("uss_base_url"), "{r}");
    }
    let mut b = body();
    b["uss_base_url"] = json!("http://xn--bcher-kva.example");
    let (st, r) = s.call(Method::PUT, &format!("{OIR}/{}", new_id()), Some(&alice), Some(&b)).await;
    assert_eq!(st, StatusCode::CREATED, "punycode is fine: {r}");
}

#[tokio::test]
async fn endless_or_enormous_intents_are_refused_naming_the_limit() {
    let s = TestServer::start().await;
    let alice = s.token("alice", &[SC]);
    let mut endless = here();
    endless["time_start"]["value"] = json!(rfc3339(-1));
    endless["time_end"]["value"] = json!("9999-12-31T23:59:59Z");
    let (st, r) = s
        .call(Method::PUT, &format!("{OIR}/{}", new_id()), Some(&alice), Some(&intent("alice", endless, &[])))
        .await;
    assert_refused(st, &r, StatusCode::PAYLOAD_TOO_LARGE, "the limit is 720 h");
    // 100 volumes of about 1,200 km² each: each is under the 2,500 km² limit,
    // together they are far over it.
    let big = volume(46.0, 7.0, 0.19, (0.0, 120.0), (10, 70));
    let mut b = body();
    b["extents"] = Value::Array(vec![big; 100]);
    let (st, r) = s.call(Method::PUT, &format!("{OIR}/{}", new_id()), Some(&alice), Some(&b)).await;
    assert_eq!(st, StatusCode::PAYLOAD_TOO_LARGE, "{r}");
    let m = r["message"].as_str().unwrap();
    assert!(m.contains("all volumes together") && m.contains("2500 km²"), "{m}");
    assert_eq!(s.counts().await, (0, 0, 0));
}

#[tokio::test]
async fn bodies_that_are_not_json_get_415_and_bad_numbers_400() {
    let s = TestServer::start().await;
    let alice = s.token("alice", &[SC, "deconflict.hotline", "deconflict.audit.read"]);
    let path = format!("{OIR}/{}", new_id());
    let text = body().to_string();
    let send = |ct: Option<&'static str>| {
        let mut req = s.http.put(format!("{}{path}", s.base)).bearer_auth(&alice).body(text.clone());
        if let Some(ct) = ct {
            req = req.header("content-type", ct);
        }
        req.send()
    };
    let resp = send(Some("text/plain")).await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let v: Value = resp.json().await.unwrap();
    assert!(v["message"].as_str().unwrap().contains("text/plain"), "{v}");
    let resp = send(Some("application/x-www-form-urlencoded")).await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(s.counts().await, (0, 0, 0));
    // No Content-Type at all is still read as JSON.
    let resp = send(None).await.unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    // Numbers in query strings are bounded as the OpenAPI document says.
    for q in ["limit=0", "limit=1001", "limit=-1", "limit=ten", "unacked=maybe", "unaked=true"] {
        let (st, r) = s.call(Method::GET, &format!("/v1/inbox?{q}"), Some(&alice), None).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{q}: {r}");
        assert!(r["message"].as_str().is_some(), "{q}: {r}");
    }
    let (st, r) = s.call(Method::GET, "/v1/audit?limit=10001", Some(&alice), None).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{r}");
    let (st, _) = s.call(Method::GET, "/v1/inbox?limit=1000", Some(&alice), None).await;
    assert_eq!(st, StatusCode::OK);
}
