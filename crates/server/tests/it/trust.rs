//! The trust boundary, attacked as a hostile party would: each test here is
//! an attack that worked before the boundary was closed.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::signers::*;
use crate::common::*;

/// A server whose parties file binds one key to each of alpha, bravo and
/// charlie (ordinary scopes) and one to the operator `ops` (privileged).
pub struct Federation {
    pub s: TestServer,
    pub alpha: Signer,
    pub bravo: Signer,
    pub charlie: Signer,
    pub ops: Signer,
}

impl Federation {
    pub async fn start() -> Self {
        let (alpha, bravo, charlie, ops) = (ec_signer(), ec_signer(), ec_signer(), ec_signer());
        let dir = tempfile::tempdir().unwrap();
        for (name, k) in [("alpha", &alpha), ("bravo", &bravo), ("charlie", &charlie), ("ops", &ops)] {
            std::fs::write(dir.path().join(format!("{name}.pem")), &k.public_pem).unwrap();
        }
        let parties = dir.path().join("parties.json");
        let entry =
            |n: &str| json!({ "name": n, "display_name": format!("{n} CP"), "keys": [format!("{n}.pem")] });
        let mut ops_entry = entry("ops");
        ops_entry["scopes"] = json!([
            "deconflict.admin",
            "deconflict.audit.all",
            "utm.availability_arbitration",
            "deconflict.hotline"
        ]);
        let list = json!([entry("alpha"), entry("bravo"), entry("charlie"), ops_entry]);
        std::fs::write(&parties, list.to_string()).unwrap();
        let opts = Options { dev: false, parties_file: Some(parties), ..Options::default() };
        let s = TestServer::start_with(opts, dir).await;
        Self { s, alpha, bravo, charlie, ops }
    }

    /// A token of `sub` signed with `key`, asking for `scope`.
    pub fn token(key: &Signer, sub: &str, scope: &str) -> String {
        key.sign(&interuss_claims(sub, scope))
    }
}

#[tokio::test]
async fn a_party_key_cannot_mint_privileged_scopes() {
    let f = Federation::start().await;
    let s = &f.s;
    // Bravo signs itself an administrator token with its own key.
    let admin = Federation::token(&f.bravo, "bravo", "deconflict.admin deconflict.hotline");
    for (method, path) in
        [(Method::GET, "/v1/audit"), (Method::GET, "/v1/lines"), (Method::GET, "/v1/parties")]
    {
        let (st, v) = s.call(method, path, Some(&admin), None).await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{path}: {v}");
        let m = v["message"].as_str().unwrap();
        assert!(
            m.contains("deconflict.admin") && m.contains("bravo.pem"),
            "names the scope and the key: {m}"
        );
    }
    // ...or the whole audit log, or the arbitration scope to mark Alpha down.
    let all = Federation::token(&f.bravo, "bravo", "deconflict.audit.all");
    let (st, v) = s.call(Method::GET, "/v1/audit", Some(&all), None).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{v}");
    let arb = Federation::token(&f.bravo, "bravo", "utm.availability_arbitration");
    let down = json!({ "old_version": "", "availability": "Down" });
    let (st, v) = s.put_availability("alpha", &arb, &down).await;
    assert_refused(st, &v, StatusCode::FORBIDDEN, "utm.availability_arbitration");
    // The operator's key, marked as such in the parties file, may.
    let ops = Federation::token(&f.ops, "ops", "utm.availability_arbitration");
    let (st, v) = s.put_availability("alpha", &ops, &down).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["status"]["availability"], "Down");
    // Ordinary scopes are still granted to a party's own key.
    let hotline = Federation::token(&f.bravo, "bravo", "deconflict.hotline deconflict.audit.read");
    let (st, v) = s.call(Method::GET, "/v1/lines", Some(&hotline), None).await;
    assert_eq!(st, StatusCode::OK, "{v}");
}

#[tokio::test]
async fn a_party_can_neither_administer_nor_read_lines_it_is_not_on() {
    let f = Federation::start().await;
    let s = &f.s;
    let ops = Federation::token(&f.ops, "ops", "deconflict.admin deconflict.audit.all");
    let line = json!({ "name": "Alpha-Charlie", "parties": ["alpha", "charlie"] });
    let (st, v) = s.call(Method::PUT, "/v1/lines/ac", Some(&ops), Some(&line)).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let alpha = Federation::token(&f.alpha, "alpha", "deconflict.hotline");
    let private = json!({"priority": "routine", "text": "private"});
    let (st, v) = s.call(Method::POST, "/v1/lines/ac/messages", Some(&alpha), Some(&private)).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let bravo = Federation::token(&f.bravo, "bravo", "deconflict.hotline deconflict.audit.read");
    // Bravo may not read the messages of a line it is not on...
    let (st, v) = s.call(Method::GET, "/v1/lines/ac/messages", Some(&bravo), None).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{v}");
    // ...nor change the line's parties, nor register itself a party.
    let takeover = json!({ "name": "mine", "parties": ["bravo", "charlie"] });
    let (st, v) = s.call(Method::PUT, "/v1/lines/ac", Some(&bravo), Some(&takeover)).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{v}");
    let (st, v) =
        s.call(Method::PUT, "/v1/parties/mallory", Some(&bravo), Some(&json!({"display_name": "M"}))).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{v}");
    // Charlie, on the line, reads it.
    let charlie = Federation::token(&f.charlie, "charlie", "deconflict.hotline");
    let (st, v) = s.call(Method::GET, "/v1/lines/ac/messages", Some(&charlie), None).await;
    assert_eq!((st, v["messages"][0]["text"].as_str()), (StatusCode::OK, Some("private")), "{v}");
    // Its audit slice carries no full entry of Alpha and Charlie's message
    // (sealed first: the export reads only the sealed log).
    s.state.feed.seal(&s.state.app, &s.clock).await.unwrap();
    let (st, text) = s.call(Method::GET, "/v1/audit", Some(&bravo), None).await;
    assert_eq!(st, StatusCode::OK);
    assert!(!text.to_string().contains("private"), "{text}");
    // The operator's auditor scope reads the whole log.
    let resp = s.http.get(format!("{}/v1/audit", s.base)).bearer_auth(&ops).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.text().await.unwrap().contains("private"));
}

#[tokio::test]
async fn a_party_cannot_hijack_another_partys_webhook() {
    let f = Federation::start().await;
    let s = &f.s;
    let bravo = Federation::token(&f.bravo, "bravo", "deconflict.hotline");
    let sink = json!({ "webhook_url": "http://bravo.example/sink" });
    let (st, v) = s.call(Method::PUT, "/v1/parties/alpha/webhook", Some(&bravo), Some(&sink)).await;
    assert_refused(st, &v, StatusCode::FORBIDDEN, "only alpha itself or the operator");
    let redirected = json!({"display_name": "A", "webhook_url": "http://bravo.example/sink"});
    let (st, v) = s.call(Method::PUT, "/v1/parties/alpha", Some(&bravo), Some(&redirected)).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{v}");
    // Alpha sets its own webhook; the change is on Alpha's stream of events.
    let alpha = Federation::token(&f.alpha, "alpha", "deconflict.hotline deconflict.audit.read");
    let own = json!({ "webhook_url": "http://alpha.example/hook" });
    let (st, v) = s.call(Method::PUT, "/v1/parties/alpha/webhook", Some(&alpha), Some(&own)).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["webhook"], true);
    assert!(v.get("webhook_url").is_none(), "never shown in the registry: {v}");
    let resp =
        s.http.get(format!("{}/v1/events/stream?after=0", s.base)).bearer_auth(&alpha).send().await.unwrap();
    let mut stream = resp.bytes_stream();
    let mut buf = String::new();
    let found: Value = loop {
        let (_, e) = next_event(&mut stream, &mut buf).await;
        if e["kind"] == "party.updated" && e["payload"]["webhook_url"] == "http://alpha.example/hook" {
            break e;
        }
    };
    assert_eq!(found["actor"], "alpha");
}

#[tokio::test]
async fn a_subscription_does_not_widen_the_view() {
    let s = TestServer::start().await;
    let alice = s.token("alice", &[SC]);
    let id = new_id();
    let (st, r) = s.put_intent(&format!("{OIR}/{id}"), "alice", here(), &[]).await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    let details = json!({ "purpose": "alice's secret purpose", "contact": "tel:alice" });
    let (st, _) =
        s.call(Method::PUT, &format!("/v1/operations/{id}/details"), Some(&alice), Some(&details)).await;
    assert_eq!(st, StatusCode::OK);
    // Mallory, with no operation near Alice's, cannot see it...
    let mallory = s.token("mallory", &[SC, "deconflict.audit.read"]);
    let (st, before) = s.call(Method::GET, &format!("/v1/operations/{id}"), Some(&mallory), None).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{before}");
    // ...subscribes over Alice's area, and still sees nothing of it.
    let (st, r) =
        s.call(Method::PUT, &format!("{SUB}/{}", new_id()), Some(&mallory), Some(&watch("mallory"))).await;
    assert_eq!(st, StatusCode::OK, "{r}");
    let (st, after) = s.call(Method::GET, &format!("/v1/operations/{id}"), Some(&mallory), None).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{after}");
    assert_eq!(after["message"], before["message"], "indistinguishable from a missing id");
    let body = json!({ "area": volume(46.0, 7.0, 0.2, (0.0, 3000.0), (0, 240)) });
    let (st, r) = s.call(Method::POST, "/v1/operations/query", Some(&mallory), Some(&body)).await;
    assert_eq!((st, r["operations"].as_array().map(Vec::len)), (StatusCode::OK, Some(0)), "{r}");
    // The F3548 subscription tells her that something is there (a reference,
    // as the standard says), and so do her events: never the geometry.
    let (st, r) = s
        .call(
            Method::PUT,
            &format!(
                "{OIR}/{id}/{}",
                intent_ovn(&s.call(Method::GET, &format!("{OIR}/{id}"), Some(&alice), None).await.1)
            ),
            Some(&alice),
            Some(&intent("alice", here(), &[])),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    s.state.feed.seal(&s.state.app, &s.clock).await.unwrap();
    let resp = s.http.get(format!("{}/v1/audit", s.base)).bearer_auth(&mallory).send().await.unwrap();
    let slice = resp.text().await.unwrap();
    assert!(slice.contains("intent.updated"), "Mallory is told of the change: {slice}");
    for secret in ["vertices", "outline_polygon", "altitude", "secret purpose", "tel:alice"] {
        assert!(!slice.contains(secret), "{secret} leaked to a subscriber: {slice}");
    }
}

#[tokio::test]
async fn a_subscription_flood_is_refused_with_429_naming_the_quota() {
    let quotas = deconflict_core::quota::Quotas {
        subscriptions: 5,
        messages_per_minute: 3,
        reports_per_minute: 2,
        ..Default::default()
    };
    let s =
        TestServer::start_with(Options { quotas, ..Options::default() }, tempfile::tempdir().unwrap()).await;
    let mallory = s.token("mallory", &[SC]);
    for i in 0..5 {
        let (st, r) = s
            .call(Method::PUT, &format!("{SUB}/{}", new_id()), Some(&mallory), Some(&watch("mallory")))
            .await;
        assert_eq!(st, StatusCode::OK, "subscription {i}: {r}");
    }
    let resp = s
        .http
        .put(format!("{}{SUB}/{}", s.base, new_id()))
        .bearer_auth(&mallory)
        .json(&watch("mallory"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = resp.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry > 0);
    let v: Value = resp.json().await.unwrap();
    let m = v["message"].as_str().unwrap();
    assert!(m.contains("quota subscriptions") && m.contains("limit is 5"), "{m}");
    assert_eq!(s.counts().await.2, 5, "the refused subscription was not stored");
    // Other parties are not affected by Mallory's flood.
    let alice = s.token("alice", &[SC]);
    let (st, r) =
        s.call(Method::PUT, &format!("{SUB}/{}", new_id()), Some(&alice), Some(&watch("alice"))).await;
    assert_eq!(st, StatusCode::OK, "{r}");
    // Reports: bounded per minute too, and stored without being logged in full.
    let report = json!({ "exchange": { "url": "https://x.example", "method": "GET" } });
    for _ in 0..2 {
        let (st, r) = s.call(Method::POST, "/dss/v1/reports", Some(&mallory), Some(&report)).await;
        assert_eq!(st, StatusCode::CREATED, "{r}");
        assert!(r["report_id"].as_str().is_some());
    }
    let (st, r) = s.call(Method::POST, "/dss/v1/reports", Some(&mallory), Some(&report)).await;
    assert_refused(st, &r, StatusCode::TOO_MANY_REQUESTS, "reports_per_minute");
}

#[tokio::test]
async fn hotline_messages_are_rate_limited_per_party() {
    let quotas = deconflict_core::quota::Quotas { messages_per_minute: 3, ..Default::default() };
    let s =
        TestServer::start_with(Options { quotas, ..Options::default() }, tempfile::tempdir().unwrap()).await;
    s.register_line("ab", "A-B", &["alpha", "bravo"]).await;
    let alpha = s.token("alpha", &["deconflict.hotline"]);
    let msg = json!({ "priority": "routine", "text": "spam" });
    for _ in 0..3 {
        let (st, r) = s.call(Method::POST, "/v1/lines/ab/messages", Some(&alpha), Some(&msg)).await;
        assert_eq!(st, StatusCode::CREATED, "{r}");
    }
    let (st, r) = s.call(Method::POST, "/v1/lines/ab/messages", Some(&alpha), Some(&msg)).await;
    assert_refused(st, &r, StatusCode::TOO_MANY_REQUESTS, "messages_per_minute");
    // Bravo still gets through.
    let bravo = s.token("bravo", &["deconflict.hotline"]);
    let (st, r) = s.call(Method::POST, "/v1/lines/ab/messages", Some(&bravo), Some(&msg)).await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
}

#[tokio::test]
async fn metrics_and_health_details_are_the_operators_only() {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let admin_addr = probe.local_addr().unwrap();
    drop(probe);
    let s = TestServer::start_with(
        Options { admin_listen: Some(admin_addr), ..Options::default() },
        tempfile::tempdir().unwrap(),
    )
    .await;
    let (st, v) = s.call(Method::GET, "/metrics", None, None).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "{v}");
    let party = s.token("alice", &[SC]);
    let (st, v) = s.call(Method::GET, "/metrics", Some(&party), None).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{v}");
    // Anyone may ask whether the service is up, and learns nothing more.
    let (st, v) = s.call(Method::GET, "/healthz", None, None).await;
    assert_eq!((st, v.clone()), (StatusCode::OK, json!({ "status": "ok" })), "{v}");
    let (st, v) = s.call(Method::GET, "/healthz", Some(&party), None).await;
    assert_eq!((st, v), (StatusCode::OK, json!({ "status": "ok" })));
    let (st, _) = s.call(Method::GET, "/healthz", Some("not-a-token"), None).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    // The operator sees the details; metrics name no party by default.
    let (_, r) = s.put_intent(&format!("{OIR}/{}", new_id()), "alice", here(), &[]).await;
    assert!(r["operational_intent_reference"].is_object());
    assert_eq!(s.counts().await.0, 1);
    let m = s.metrics().await;
    assert!(m.contains("deconflict_http_requests_total"));
    assert!(!m.contains("party=\"") && !m.contains("alice"), "{m}");
    // The admin listener serves both without a token (for a private network).
    let admin = format!("http://{admin_addr}");
    let resp = s.http.get(format!("{admin}/metrics")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.text().await.unwrap().contains("deconflict_http_requests_total"));
    let resp = s.http.get(format!("{admin}/healthz")).send().await.unwrap();
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["operational_intents"], 1, "{v}");
    // And nothing else.
    let resp = s.http.get(format!("{admin}/v1/audit")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

/// CORS is off unless origins are listed; a listed origin gets the
/// preflight it needs and no other origin does.
#[tokio::test]
async fn cross_origin_calls_only_from_listed_origins() {
    let preflight = |s: &TestServer, origin: &'static str| {
        s.http
            .request(Method::OPTIONS, format!("{}/v1/operations/query", s.base))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization, content-type")
            .send()
    };
    let closed = TestServer::start().await;
    let resp = preflight(&closed, "https://ops.example").await.unwrap();
    assert!(resp.headers().get("access-control-allow-origin").is_none(), "off by default");

    let allowed = reqwest::header::HeaderValue::from_static("https://ops.example");
    let open = TestServer::start_with(
        Options { cors_origins: vec![allowed], ..Options::default() },
        tempfile::tempdir().unwrap(),
    )
    .await;
    let resp = preflight(&open, "https://ops.example").await.unwrap();
    assert_eq!(
        resp.headers().get("access-control-allow-origin").map(|v| v.to_str().unwrap_or("")),
        Some("https://ops.example")
    );
    let allowed_headers = resp
        .headers()
        .get("access-control-allow-headers")
        .map(|v| v.to_str().unwrap_or("").to_ascii_lowercase());
    assert!(allowed_headers.is_some_and(|h| h.contains("authorization")));
    let resp = preflight(&open, "https://evil.example").await.unwrap();
    assert!(resp.headers().get("access-control-allow-origin").is_none(), "another origin is not allowed");
}
