//! Every DSS endpoint's happy path, the awareness rule and notifications.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn intents_awareness_rule_end_to_end() {
    let s = TestServer::start().await;
    let alice = s.token("alice", &[SC]);
    let bob = s.token("bob", &[SC]);

    let a_id = new_id();
    let (st, a) = s.put_intent(&format!("{OIR}/{a_id}"), "alice", here(), &[]).await;
    assert_eq!(st, StatusCode::CREATED, "{a}");
    let a_ovn = intent_ovn(&a);
    assert_eq!(a["operational_intent_reference"]["version"], 1);
    assert_eq!(a["operational_intent_reference"]["manager"], "alice");

    // Bob overlaps without the key: 409 listing Alice's intent, OVN hidden.
    let b_id = new_id();
    let b_body = intent("bob", volume(46.005, 7.005, 0.01, (100.0, 200.0), (30, 90)), &[]);
    let (st, conflict) = s.call(Method::PUT, &format!("{OIR}/{b_id}"), Some(&bob), Some(&b_body)).await;
    assert_eq!(st, StatusCode::CONFLICT, "{conflict}");
    let missing = conflict["missing_operational_intents"].as_array().unwrap();
    assert_eq!(missing.len(), 1);
    assert_eq!(missing[0]["id"], a_id.as_str());
    assert_eq!(missing[0]["ovn"], "Available from USS");
    assert!(conflict["message"].as_str().unwrap().contains("key"));

    // A stale or made-up key is still missing Alice's OVN.
    let wrong =
        intent("bob", volume(46.005, 7.005, 0.01, (100.0, 200.0), (30, 90)), &["not-the-right-ovn-at-all"]);
    let (st, _) = s.call(Method::PUT, &format!("{OIR}/{b_id}"), Some(&bob), Some(&wrong)).await;
    assert_eq!(st, StatusCode::CONFLICT);

    // With the key: 201, and Alice's implicit subscription is among those to notify.
    let b_ok = intent("bob", volume(46.005, 7.005, 0.01, (100.0, 200.0), (30, 90)), &[&a_ovn]);
    let (st, b) = s.call(Method::PUT, &format!("{OIR}/{b_id}"), Some(&bob), Some(&b_ok)).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let urls: Vec<&str> =
        b["subscribers"].as_array().unwrap().iter().map(|x| x["uss_base_url"].as_str().unwrap()).collect();
    assert!(urls.contains(&"http://alice.example"), "{urls:?}");
    let b_ovn = intent_ovn(&b);

    // GET: the owner sees its OVN, others do not.
    let (st, got) = s.call(Method::GET, &format!("{OIR}/{b_id}"), Some(&bob), None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(got["operational_intent_reference"]["ovn"], b_ovn.as_str());
    let (_, got) = s.call(Method::GET, &format!("{OIR}/{b_id}"), Some(&alice), None).await;
    assert_eq!(got["operational_intent_reference"]["ovn"], "Available from USS");

    // Query finds both.
    let (st, q) =
        s.call(Method::POST, &format!("{OIR}/query"), Some(&alice), Some(&area(46.0, 7.0, 0.05))).await;
    assert_eq!(st, StatusCode::OK, "{q}");
    assert_eq!(q["operational_intent_references"].as_array().unwrap().len(), 2);

    // Update with the current OVN: 200, version 2. Stale OVN: 409. Other manager: 403.
    let upd = intent("alice", volume(46.0, 7.0, 0.01, (0.0, 150.0), (10, 70)), &[&b_ovn]);
    let (st, u) = s.call(Method::PUT, &format!("{OIR}/{a_id}/{a_ovn}"), Some(&alice), Some(&upd)).await;
    assert_eq!(st, StatusCode::OK, "{u}");
    assert_eq!(u["operational_intent_reference"]["version"], 2);
    let (st, _) = s.call(Method::PUT, &format!("{OIR}/{a_id}/{a_ovn}"), Some(&alice), Some(&upd)).await;
    assert_eq!(st, StatusCode::CONFLICT);
    let new_a_ovn = intent_ovn(&u);
    let (st, e) = s.call(Method::DELETE, &format!("{OIR}/{a_id}/{new_a_ovn}"), Some(&bob), None).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{e}");

    // Delete: 200; then 404.
    let (st, _) = s.call(Method::DELETE, &format!("{OIR}/{a_id}/{new_a_ovn}"), Some(&alice), None).await;
    assert_eq!(st, StatusCode::OK);
    let (st, e) = s.call(Method::GET, &format!("{OIR}/{a_id}"), Some(&alice), None).await;
    assert_refused(st, &e, StatusCode::NOT_FOUND, "not found");
}

#[tokio::test]
async fn subscriptions_are_notified_with_increasing_indexes() {
    let s = TestServer::start().await;
    let carol = s.token("carol", &[SC]);
    let alice = s.token("alice", &[SC]);
    let sub_id = new_id();
    let body = watch("carol");
    let (st, sub) = s.call(Method::PUT, &format!("{SUB}/{sub_id}"), Some(&carol), Some(&body)).await;
    assert_eq!(st, StatusCode::OK, "{sub}");
    assert_eq!(sub["subscription"]["notification_index"], 0);
    let version = sub["subscription"]["version"].as_str().unwrap().to_owned();

    let mut ovn: Option<String> = None;
    let id = new_id();
    for expected in 1..=3 {
        let path = match &ovn {
            None => format!("{OIR}/{id}"),
            Some(o) => format!("{OIR}/{id}/{o}"),
        };
        let (st, r) = s.put_intent(&path, "alice", here(), &[]).await;
        assert!(st.is_success(), "{r}");
        let carol_entry = r["subscribers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["uss_base_url"] == "http://carol.example")
            .unwrap()
            .clone();
        assert_eq!(carol_entry["subscriptions"][0]["subscription_id"], sub_id.as_str());
        assert_eq!(carol_entry["subscriptions"][0]["notification_index"], expected);
        ovn = Some(intent_ovn(&r));
    }

    // GET, query (own only), update, delete.
    let (st, g) = s.call(Method::GET, &format!("{SUB}/{sub_id}"), Some(&carol), None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(g["subscription"]["notification_index"], 3);
    let (st, _) = s.call(Method::GET, &format!("{SUB}/{sub_id}"), Some(&alice), None).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, q) =
        s.call(Method::POST, &format!("{SUB}/query"), Some(&carol), Some(&area(46.0, 7.0, 0.05))).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(q["subscriptions"].as_array().unwrap().len(), 1);
    let (_, q) =
        s.call(Method::POST, &format!("{SUB}/query"), Some(&alice), Some(&area(46.0, 7.0, 0.05))).await;
    assert!(q["subscriptions"].as_array().unwrap().iter().all(|x| x["id"] != sub_id.as_str()));
    let (st, u) = s.call(Method::PUT, &format!("{SUB}/{sub_id}/{version}"), Some(&carol), Some(&body)).await;
    assert_eq!(st, StatusCode::OK, "{u}");
    let v2 = u["subscription"]["version"].as_str().unwrap().to_owned();
    assert_ne!(v2, version);
    assert_eq!(
        u["operational_intent_references"].as_array().unwrap().len(),
        1,
        "existing intents returned for sync"
    );
    let (st, _) = s.call(Method::DELETE, &format!("{SUB}/{sub_id}/{version}"), Some(&carol), None).await;
    assert_eq!(st, StatusCode::CONFLICT, "stale version");
    let (st, _) = s.call(Method::DELETE, &format!("{SUB}/{sub_id}/{v2}"), Some(&carol), None).await;
    assert_eq!(st, StatusCode::OK);
}

#[tokio::test]
async fn constraints_availability_reports_aux_ops() {
    let s = TestServer::start().await;
    let auth = s.token("authority", &[CM]);
    let reader = s.token("reader", &[CP]);
    let c_id = new_id();
    let body = json!({ "extents": [volume(46.0, 7.0, 0.02, (0.0, 500.0), (0, 60))], "uss_base_url": "http://authority.example" });
    let (st, c) = s.call(Method::PUT, &format!("{CR}/{c_id}"), Some(&auth), Some(&body)).await;
    assert_eq!(st, StatusCode::CREATED, "{c}");
    let ovn = c["constraint_reference"]["ovn"].as_str().unwrap().to_owned();
    let (st, _) = s.call(Method::PUT, &format!("{CR}/{c_id}"), Some(&reader), Some(&body)).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "processing scope cannot write constraints");
    let (st, g) = s.call(Method::GET, &format!("{CR}/{c_id}"), Some(&reader), None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(g["constraint_reference"]["ovn"], "Available from USS");
    let (st, q) =
        s.call(Method::POST, &format!("{CR}/query"), Some(&reader), Some(&area(46.0, 7.0, 0.05))).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(q["constraint_references"].as_array().unwrap().len(), 1);
    let (st, u) = s.call(Method::PUT, &format!("{CR}/{c_id}/{ovn}"), Some(&auth), Some(&body)).await;
    assert_eq!(st, StatusCode::OK, "{u}");
    let ovn2 = u["constraint_reference"]["ovn"].as_str().unwrap().to_owned();
    let (st, _) = s.call(Method::DELETE, &format!("{CR}/{c_id}/{ovn2}"), Some(&auth), None).await;
    assert_eq!(st, StatusCode::OK);

    let arb = s.token("arbiter", &[AA]);
    let (st, a) = s.call(Method::GET, "/dss/v1/uss_availability/alice", Some(&arb), None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(a["status"]["availability"], "Unknown");
    let (st, a) =
        s.put_availability("alice", &arb, &json!({"old_version": "", "availability": "Down"})).await;
    assert_eq!(st, StatusCode::OK, "{a}");
    assert_eq!(a["status"]["availability"], "Down");
    let (st, _) =
        s.put_availability("alice", &arb, &json!({"old_version": "", "availability": "Normal"})).await;
    assert_eq!(st, StatusCode::CONFLICT);
    let sc = s.token("bob", &[SC]);
    let (st, _) =
        s.put_availability("alice", &sc, &json!({"old_version": "", "availability": "Normal"})).await;
    assert_eq!(st, StatusCode::FORBIDDEN);

    let report = json!({"exchange": {"url": "http://x", "method": "GET"}});
    let (st, r) = s.call(Method::POST, "/dss/v1/reports", Some(&sc), Some(&report)).await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    assert!(r["report_id"].as_str().is_some());

    let (st, v) = s.call(Method::GET, "/aux/v1/version", None, None).await;
    assert_eq!(st, StatusCode::OK);
    assert!(v["version"].as_str().unwrap().starts_with("deconflict"));
    let (st, v) = s.call(Method::GET, "/aux/v1/validate_oauth", Some(&sc), None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["owner"], "bob");

    let admin = s.token("ops", &["deconflict.admin"]);
    let (st, h) = s.call(Method::GET, "/healthz", Some(&admin), None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(h["store"], "memory", "the store the test server runs on");
    let text = s.metrics().await;
    assert!(text.contains("deconflict_http_requests_total"), "{text}");
    assert!(text.contains("deconflict_entities"), "{text}");
}
