//! F3548 behaviours that USS clients and the InterUSS test suites rely on
//! (issue 11): each numbered item as it is seen over HTTP.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::*;

/// An explicit subscription of `who` over [`here`]'s area, 0–`alt_upper` m,
/// from `minutes.0` to `minutes.1` from now.
fn subscription(who: &str, alt: (f64, f64), minutes: (i64, i64)) -> Value {
    json!({ "extents": volume(46.0, 7.0, 0.02, alt, minutes),
        "uss_base_url": format!("http://{who}.example"), "notify_for_operational_intents": true })
}

/// PUTs a new intent of Alice's over [`here`] that uses her subscription
/// `sub` (`alice` is her token).
async fn put_intent_on(s: &TestServer, alice: &str, sub: &str) -> (StatusCode, Value) {
    let body = json!({ "extents": [here()], "key": [], "state": "Accepted",
        "uss_base_url": "http://alice.example", "subscription_id": sub });
    s.call(Method::PUT, &format!("{OIR}/{}", new_id()), Some(alice), Some(&body)).await
}

async fn create_subscription(s: &TestServer, token: &str, body: &Value) -> (String, String) {
    let id = new_id();
    let (st, v) = s.call(Method::PUT, &format!("{SUB}/{id}"), Some(token), Some(body)).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    (id, v["subscription"]["version"].as_str().unwrap().to_owned())
}

/// Bug 2: coverage is 4D. An update of a subscription that would leave its
/// dependent intent's altitudes uncovered is refused, and the intent's
/// manager stays among those another USS must notify.
#[tokio::test]
async fn a_subscription_update_must_keep_covering_its_intents_in_altitude() {
    let s = TestServer::start().await;
    let alice = s.token("alice", &[SC]);
    let bob = s.token("bob", &[SC]);
    let (sub, version) =
        create_subscription(&s, &alice, &subscription("alice", (0.0, 1000.0), (0, 120))).await;
    let (st, oi) = put_intent_on(&s, &alice, &sub).await;
    assert_eq!(st, StatusCode::CREATED, "{oi}");
    let ovn = intent_ovn(&oi);

    let higher = subscription("alice", (500.0, 1000.0), (0, 120));
    let (st, e) = s.call(Method::PUT, &format!("{SUB}/{sub}/{version}"), Some(&alice), Some(&higher)).await;
    assert_refused(st, &e, StatusCode::BAD_REQUEST, "no longer cover");

    let (st, b) = s.put_intent(&format!("{OIR}/{}", new_id()), "bob", here(), &[&ovn]).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let urls: Vec<&str> =
        b["subscribers"].as_array().unwrap().iter().map(|x| x["uss_base_url"].as_str().unwrap()).collect();
    assert!(urls.contains(&"http://alice.example"), "{urls:?}");
    let _ = bob;
}

/// Bug 3: `validate_oauth?owner=` checks the token's subject; the version is a string.
#[tokio::test]
async fn validate_oauth_checks_the_owner_and_the_version_is_a_string() {
    let s = TestServer::start().await;
    let alice = s.token("alice", &[SC]);
    let (st, v) = s.call(Method::GET, "/aux/v1/validate_oauth?owner=alice", Some(&alice), None).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (st, v) = s.call(Method::GET, "/aux/v1/validate_oauth?owner=bob", Some(&alice), None).await;
    assert_refused(st, &v, StatusCode::FORBIDDEN, "bob");
    let (st, v) = s.call(Method::GET, "/aux/v1/validate_oauth", Some(&alice), None).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (st, v) = s.call(Method::GET, "/aux/v1/version", None, None).await;
    assert_eq!(st, StatusCode::OK);
    assert!(v["version"].as_str().unwrap().starts_with("deconflict-"), "{v}");
}

/// Bug 4: an empty version or OVN segment is a 400 naming it, not a 404.
#[tokio::test]
async fn an_empty_version_segment_is_a_bad_request() {
    let s = TestServer::start().await;
    let alice = s.token("alice", &[SC, CM]);
    let id = new_id();
    for (method, base) in [
        (Method::PUT, SUB),
        (Method::DELETE, SUB),
        (Method::PUT, OIR),
        (Method::DELETE, OIR),
        (Method::PUT, CR),
        (Method::DELETE, CR),
    ] {
        let (st, v) = s.call(method.clone(), &format!("{base}/{id}/"), Some(&alice), Some(&json!({}))).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{method} {base}: {v}");
        assert!(v["message"].as_str().unwrap().contains("empty"), "{v}");
    }
}

/// Bug 5: an invalid `requested_ovn_suffix` is a 400, also for an id that exists.
#[tokio::test]
async fn an_invalid_ovn_suffix_is_a_bad_request() {
    let s = TestServer::start().await;
    let alice = s.token("alice", &[SC]);
    let id = new_id();
    let mut body = intent("alice", here(), &[]);
    body["requested_ovn_suffix"] = json!("not-a-uuid");
    let (st, v) = s.call(Method::PUT, &format!("{OIR}/{id}"), Some(&alice), Some(&body)).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
    let (st, v) = s.put_intent(&format!("{OIR}/{id}"), "alice", here(), &[]).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let (st, v) = s.call(Method::PUT, &format!("{OIR}/{id}"), Some(&alice), Some(&body)).await;
    assert_refused(st, &v, StatusCode::BAD_REQUEST, "requested_ovn_suffix");
}

/// Bug 6: an update without time bounds keeps the stored ones.
#[tokio::test]
async fn a_subscription_update_without_times_keeps_them() {
    let s = TestServer::start().await;
    let alice = s.token("alice", &[SC]);
    let (sub, version) =
        create_subscription(&s, &alice, &subscription("alice", (0.0, 1000.0), (10, 100))).await;
    let (_, before) = s.call(Method::GET, &format!("{SUB}/{sub}"), Some(&alice), None).await;
    let mut body = subscription("alice", (0.0, 1000.0), (10, 100));
    body["extents"].as_object_mut().unwrap().remove("time_start");
    body["extents"].as_object_mut().unwrap().remove("time_end");
    let (st, after) = s.call(Method::PUT, &format!("{SUB}/{sub}/{version}"), Some(&alice), Some(&body)).await;
    assert_eq!(st, StatusCode::OK, "{after}");
    assert_eq!(after["subscription"]["time_start"], before["subscription"]["time_start"]);
    assert_eq!(after["subscription"]["time_end"], before["subscription"]["time_end"]);
}

/// Bug 6: constraint references and 409 bodies carry the USS's real availability.
#[tokio::test]
async fn references_report_the_real_availability() {
    let s = TestServer::start().await;
    let alice = s.token("alice", &[SC, CM]);
    let arb = s.token("arbiter", &[AA]);
    let (st, a) =
        s.put_availability("alice", &arb, &json!({"old_version": "", "availability": "Normal"})).await;
    assert_eq!(st, StatusCode::OK, "{a}");
    let c_id = new_id();
    let body = json!({ "extents": [here()], "uss_base_url": "http://alice.example" });
    let (st, c) = s.call(Method::PUT, &format!("{CR}/{c_id}"), Some(&alice), Some(&body)).await;
    assert_eq!(st, StatusCode::CREATED, "{c}");
    assert_eq!(c["constraint_reference"]["uss_availability"], "Normal", "{c}");
    let (_, g) = s.call(Method::GET, &format!("{CR}/{c_id}"), Some(&alice), None).await;
    assert_eq!(g["constraint_reference"]["uss_availability"], "Normal", "{g}");

    let (st, oi) = s.put_intent(&format!("{OIR}/{}", new_id()), "alice", here(), &[]).await;
    assert_eq!(st, StatusCode::CREATED, "{oi}");
    let (st, conflict) = s.put_intent(&format!("{OIR}/{}", new_id()), "bob", here(), &[]).await;
    assert_eq!(st, StatusCode::CONFLICT, "{conflict}");
    assert_eq!(conflict["missing_operational_intents"][0]["uss_availability"], "Normal", "{conflict}");
}

/// Item 7: a write whose deadline passed is refused with 503 and never committed.
#[tokio::test]
async fn a_write_past_its_deadline_is_not_committed() {
    let opts = Options { request_timeout: Some(std::time::Duration::ZERO), ..Options::default() };
    let s = TestServer::start_with(opts, tempfile::tempdir().unwrap()).await;
    let id = new_id();
    let (st, v) = s.put_intent(&format!("{OIR}/{id}"), "alice", here(), &[]).await;
    assert_refused(st, &v, StatusCode::SERVICE_UNAVAILABLE, "nothing was written");
    assert_eq!(s.counts().await, (0, 0, 0));
}

/// Item 9: "in the past" is decided by the intent's overall end, not by one volume.
#[tokio::test]
async fn an_intent_with_one_past_volume_is_accepted() {
    let s = TestServer::start().await;
    let alice = s.token("alice", &[SC]);
    let mut body = intent("alice", volume(46.0, 7.0, 0.01, (0.0, 120.0), (-30, -10)), &[]);
    body["extents"].as_array_mut().unwrap().push(here());
    let (st, v) = s.call(Method::PUT, &format!("{OIR}/{}", new_id()), Some(&alice), Some(&body)).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let past = intent("alice", volume(46.0, 7.0, 0.01, (0.0, 120.0), (-30, -10)), &[]);
    let (st, v) = s.call(Method::PUT, &format!("{OIR}/{}", new_id()), Some(&alice), Some(&past)).await;
    assert_refused(st, &v, StatusCode::BAD_REQUEST, "past");
}

/// Item 10: a subscription starting up to 5 minutes after an intent still covers it.
#[tokio::test]
async fn a_subscription_may_start_five_minutes_after_its_intent() {
    let s = TestServer::start().await;
    let alice = s.token("alice", &[SC]);
    for (starts, status) in [(13, StatusCode::CREATED), (20, StatusCode::BAD_REQUEST)] {
        let sub = subscription("alice", (0.0, 1000.0), (starts, 120));
        let (sub, _) = create_subscription(&s, &alice, &sub).await;
        let (st, v) = put_intent_on(&s, &alice, &sub).await;
        assert_eq!(st, status, "starts {} minutes after the intent: {v}", starts - 10);
    }
}

/// Item 11: without `old_version` a first availability is written;
/// availability values are matched without regard to case.
#[tokio::test]
async fn availability_without_old_version_and_in_any_case() {
    let s = TestServer::start().await;
    let arb = s.token("arbiter", &[AA]);
    let (st, a) = s.put_availability("alice", &arb, &json!({"availability": "down"})).await;
    assert_eq!(st, StatusCode::OK, "{a}");
    assert_eq!(a["status"]["availability"], "Down");
    let (st, a) = s.put_availability("alice", &arb, &json!({"availability": "NORMAL"})).await;
    assert_eq!(st, StatusCode::CONFLICT, "a second write without the version is stale: {a}");
}

/// Item 12: a trailing `/` of a base URL is accepted and not stored.
#[tokio::test]
async fn a_base_url_with_a_trailing_slash_is_stored_without_it() {
    let s = TestServer::start().await;
    let alice = s.token("alice", &[SC]);
    let mut body = intent("alice", here(), &[]);
    body["uss_base_url"] = json!("http://alice.example/");
    let (st, v) = s.call(Method::PUT, &format!("{OIR}/{}", new_id()), Some(&alice), Some(&body)).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    assert_eq!(v["operational_intent_reference"]["uss_base_url"], "http://alice.example");
}

/// Item 13: empty lists the InterUSS DSS omits are omitted.
#[tokio::test]
async fn empty_lists_are_omitted_as_interuss_does() {
    let s = TestServer::start().await;
    let alice = s.token("alice", &[SC]);
    let id = new_id();
    let (st, v) = s.call(Method::PUT, &format!("{SUB}/{id}"), Some(&alice), Some(&watch("alice"))).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert!(v.get("operational_intent_references").is_none(), "{v}");
    assert!(v.get("constraint_references").is_none(), "{v}");
    assert!(v["subscription"].get("dependent_operational_intents").is_none(), "{v}");
    let (st, oi) = s.put_intent(&format!("{OIR}/{}", new_id()), "alice", here(), &[]).await;
    assert_eq!(st, StatusCode::CREATED, "{oi}");
    let (st, conflict) = s.put_intent(&format!("{OIR}/{}", new_id()), "bob", here(), &[]).await;
    assert_eq!(st, StatusCode::CONFLICT);
    assert!(conflict.get("missing_constraints").is_none(), "{conflict}");
    assert_eq!(conflict["missing_operational_intents"].as_array().unwrap().len(), 1);
}

/// Item 14: a malformed key entry is ignored: the request gets the 409 it
/// would get without it.
#[tokio::test]
async fn a_malformed_key_entry_is_ignored() {
    let s = TestServer::start().await;
    let (st, oi) = s.put_intent(&format!("{OIR}/{}", new_id()), "alice", here(), &[]).await;
    assert_eq!(st, StatusCode::CREATED, "{oi}");
    let (st, conflict) = s.put_intent(&format!("{OIR}/{}", new_id()), "bob", here(), &["not an ovn!"]).await;
    assert_eq!(st, StatusCode::CONFLICT, "{conflict}");
    assert_eq!(conflict["missing_operational_intents"].as_array().unwrap().len(), 1);
    let ovn = intent_ovn(&oi);
    let (st, ok) = s.put_intent(&format!("{OIR}/{}", new_id()), "bob", here(), &["not an ovn!", &ovn]).await;
    assert_eq!(st, StatusCode::CREATED, "{ok}");
}
