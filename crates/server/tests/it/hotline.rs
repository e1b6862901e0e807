//! Lines between command posts over HTTP: the acknowledged hotline, escalation,
//! communication checks, advance notice, webhooks. Background passes are
//! driven by calling them directly with a manual clock.

use std::sync::{Arc, Mutex};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use server::Clock;

use crate::common::*;

const HOTLINE: &str = "deconflict.hotline";
const AUDIT: &str = "deconflict.audit.read";
const ADMIN: &str = "deconflict.admin";
const S: i64 = 1_000_000;

struct Ctx {
    s: TestServer,
    t0: i64,
    admin: String,
    alpha: String,
    bravo: String,
    charlie: String,
}

impl Ctx {
    fn at(&self, seconds: i64) {
        self.s.clock.set(self.t0 + seconds * S);
    }

    async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.s.call(Method::POST, path, Some(token), Some(&body)).await
    }

    async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.s.call(Method::GET, path, Some(token), None).await
    }

    /// Seals pending events and pushes them to this replica's streams.
    async fn seal(&self) {
        self.s.state.feed.seal(&self.s.state.app, &self.s.clock).await.unwrap();
        self.s.state.feed.follow(&self.s.state.app).await.unwrap();
    }

    /// Kinds of the events in `token`'s verified audit slice.
    async fn audit_kinds(&self, token: &str) -> Vec<(String, String)> {
        self.seal().await;
        let resp =
            self.s.http.get(format!("{}/v1/audit", self.s.base)).bearer_auth(token).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let export = audit::export::parse_export(&resp.text().await.unwrap()).unwrap();
        export.slice.entries.iter().map(|e| (e.kind.clone(), e.payload.clone())).collect()
    }
}

/// A server on a manual clock with parties alpha, bravo (webhook optional),
/// charlie, and line `ab` between alpha and bravo.
async fn setup(webhook: Option<&str>, policy: Value) -> Ctx {
    let t0 = chrono::Utc::now().timestamp_micros();
    let opts = Options { clock: Clock::manual(t0), ..Options::default() };
    let s = TestServer::start_with(opts, tempfile::tempdir().unwrap()).await;
    let admin = s.token("admin", &[ADMIN]);
    let user = |n: &str| s.token(n, &[HOTLINE, AUDIT, SC]);
    let c = Ctx { t0, admin, alpha: user("alpha"), bravo: user("bravo"), charlie: user("charlie"), s };
    for name in ["alpha", "bravo", "charlie"] {
        let mut body = json!({ "display_name": format!("{name} command post") });
        if name == "bravo"
            && let Some(url) = webhook
        {
            body["webhook_url"] = json!(url);
        }
        let (st, v) =
            c.s.call(Method::PUT, &format!("/v1/parties/{name}"), Some(&c.admin), Some(&body)).await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
    }
    let body = json!({ "name": "Alpha-Bravo", "parties": ["alpha", "bravo"], "policy": policy });
    let (st, v) = c.s.call(Method::PUT, "/v1/lines/ab", Some(&c.admin), Some(&body)).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    assert_eq!(v["state"]["kind"], "active");
    c
}

async fn send_urgent(c: &Ctx, key: &str) -> (StatusCode, Value) {
    let body = json!({ "priority": "urgent", "text": "Request you hold east of grid 12 until 1400Z",
        "refs": { "operation_id": "op-1" }, "idempotency_key": key });
    c.post("/v1/lines/ab/messages", &c.alpha, body).await
}

#[tokio::test]
async fn setup_is_admin_only_and_parties_hide_webhooks() {
    let c = setup(Some("http://127.0.0.1:9/hook"), json!({})).await;
    let (st, _) =
        c.s.call(
            Method::PUT,
            "/v1/lines/x",
            Some(&c.alpha),
            Some(&json!({"name": "x", "parties": ["alpha", "bravo"]})),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, v) = c.get("/v1/parties", &c.charlie).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["parties"].as_array().unwrap().len(), 3);
    assert!(!v.to_string().contains("127.0.0.1:9"), "webhook URLs are secrets: {v}");
    let (_, v) = c.get("/v1/lines", &c.alpha).await;
    let line = &v["lines"][0];
    assert_eq!(line["policy"]["min_notice_s"], 3600);
    assert_eq!(line["policy"]["ack_deadline_s"], json!({ "routine": null, "urgent": 300, "flash": 60 }));
    assert_eq!(line["policy"]["liveness_interval_s"], 3600);
    assert_eq!(line["policy"]["liveness_deadline_s"], 300);
    assert!(line["next_check"].is_string(), "times are RFC 3339 on the wire: {line}");
    let (_, v) = c.get("/v1/lines", &c.charlie).await;
    assert_eq!(v["lines"], json!([]));
    let (_, v) = c.get("/v1/lines", &c.admin).await;
    assert_eq!(v["lines"].as_array().unwrap().len(), 1);
    // Lines need registered parties and a sane policy.
    let body = json!({ "name": "x", "parties": ["alpha", "zulu"] });
    let (st, v) = c.s.call(Method::PUT, "/v1/lines/x", Some(&c.admin), Some(&body)).await;
    assert_refused(st, &v, StatusCode::BAD_REQUEST, "zulu");
    let body = json!({ "name": "x", "parties": ["alpha", "bravo"], "policy": { "min_notice": 5 } });
    let (st, v) = c.s.call(Method::PUT, "/v1/lines/x", Some(&c.admin), Some(&body)).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
}

#[tokio::test]
async fn an_urgent_message_reaches_inbox_and_stream_and_only_the_recipient_acknowledges() {
    let c = setup(None, json!({})).await;
    let resp = c.s.event_stream(&c.bravo, None).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let mut stream = resp.bytes_stream();
    let mut buf = String::new();

    let (st, sent) = send_urgent(&c, "k-1").await;
    assert_eq!(st, StatusCode::CREATED, "{sent}");
    let id = sent["id"].as_str().unwrap().to_owned();
    assert_eq!(sent["recipients"], json!(["bravo"]));
    assert!(sent["sent_at"].is_string());
    // The retry returns the original, and stores nothing new.
    let (st, again) = send_urgent(&c, "k-1").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(again["id"], id.as_str());

    // On bravo's live stream (line.created first, then the message).
    loop {
        let (_, ev) = next_event(&mut stream, &mut buf).await;
        if ev["kind"] == "message.sent" {
            assert_eq!(ev["payload"]["message"]["id"], id.as_str());
            assert_eq!(ev["payload"]["message"]["text"], "Request you hold east of grid 12 until 1400Z");
            break;
        }
    }
    // Receiving it on the live stream counts as delivery (recorded just after
    // the send): the sender sees it without bravo fetching anything.
    let mut via = serde_json::Value::Null;
    for _ in 0..100 {
        let (_, m) = c.get(&format!("/v1/messages/{id}"), &c.alpha).await;
        via = m["deliveries"][0]["delivered_via"].clone();
        if !via.is_null() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(via, "stream");
    // In bravo's inbox, once.
    c.at(5);
    let (st, inbox) = c.get("/v1/inbox?unacked=true", &c.bravo).await;
    assert_eq!(st, StatusCode::OK);
    let msgs = inbox["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 1, "{inbox}");
    assert_eq!(msgs[0]["id"], id.as_str());
    assert_eq!(msgs[0]["deliveries"][0]["delivered_via"], "stream");
    assert!(msgs[0]["deliveries"][0]["delivered_at"].is_string());

    // The sender may not acknowledge; a stranger neither.
    let (st, v) = c.post(&format!("/v1/messages/{id}/ack"), &c.alpha, json!({ "operator": "Maj. A" })).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{v}");
    let (st, _) =
        c.post(&format!("/v1/messages/{id}/ack"), &c.charlie, json!({ "operator": "Maj. C" })).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = c.get(&format!("/v1/messages/{id}"), &c.charlie).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    c.at(10);
    let (st, v) = c.post(&format!("/v1/messages/{id}/ack"), &c.bravo, json!({ "operator": "Maj. X" })).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    // The sender sees the receipt.
    let (_, v) = c.get(&format!("/v1/messages/{id}"), &c.alpha).await;
    let d = &v["deliveries"][0];
    assert_eq!(d["recipient"], "bravo");
    assert_eq!(d["acked_by_operator"], "Maj. X");
    assert_eq!(
        d["acked_at"],
        server::dto::geometry::format_time(geom::Time::from_micros(c.t0 + 10 * S)).as_str()
    );
    let (_, inbox) = c.get("/v1/inbox?unacked=true", &c.bravo).await;
    assert_eq!(inbox["messages"], json!([]));
    let kinds: Vec<String> = c.audit_kinds(&c.alpha).await.into_iter().map(|k| k.0).collect();
    assert_eq!(kinds.iter().filter(|k| *k == "message.sent").count(), 1, "{kinds:?}");
    assert!(kinds.contains(&"message.acked".to_owned()));
}

#[tokio::test]
async fn an_unacknowledged_urgent_message_escalates_to_both_sides() {
    let c = setup(None, json!({})).await;
    let (_, sent) = send_urgent(&c, "k-esc").await;
    let id = sent["id"].as_str().unwrap().to_owned();
    c.at(299);
    server::coord_tasks::escalate_due(&c.s.state).await.unwrap();
    let (_, v) = c.get(&format!("/v1/messages/{id}"), &c.alpha).await;
    assert_eq!(v["deliveries"][0]["overdue"], false);
    c.at(300);
    server::coord_tasks::escalate_due(&c.s.state).await.unwrap();
    let (_, v) = c.get(&format!("/v1/messages/{id}"), &c.alpha).await;
    assert_eq!(v["deliveries"][0]["overdue"], true, "{v}");
    assert_eq!(v["deliveries"][0]["escalations"], 1);
    // The sender sees the escalation in its own verified slice; so does the recipient.
    let alpha: Vec<_> =
        c.audit_kinds(&c.alpha).await.into_iter().filter(|k| k.0 == "message.escalated").collect();
    assert_eq!(alpha.len(), 1);
    assert!(alpha[0].1.contains(&id));
    let bravo = c.audit_kinds(&c.bravo).await;
    assert!(bravo.iter().any(|k| k.0 == "message.escalated"));
}

#[tokio::test]
async fn webhooks_deliver_at_least_once_with_backoff_and_set_delivered_at() {
    use axum::http::HeaderMap;
    type Seen = Arc<Mutex<Vec<(u16, String, Value)>>>;
    let seen: Seen = Arc::default();
    let recorder = seen.clone();
    let receiver = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let seen = recorder.clone();
            async move {
                let mut seen = seen.lock().unwrap();
                let status = if seen.is_empty() { 500 } else { 200 };
                let key = headers
                    .get("idempotency-key")
                    .map(|v| v.to_str().unwrap().to_owned())
                    .unwrap_or_default();
                seen.push((status, key, serde_json::from_str(&body).unwrap()));
                axum::http::StatusCode::from_u16(status).unwrap()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, receiver).await.unwrap() });

    let c = setup(Some(&url), json!({})).await;
    let (_, sent) = send_urgent(&c, "k-hook").await;
    let id = sent["id"].as_str().unwrap().to_owned();
    c.seal().await;
    server::coord_tasks::deliver_webhooks_once(&c.s.state).await.unwrap();
    assert_eq!(seen.lock().unwrap().len(), 1, "the first attempt failed with 500");
    // No retry before the backoff (1 s of the manual clock), however often we try.
    server::coord_tasks::deliver_webhooks_once(&c.s.state).await.unwrap();
    let cursor =
        c.s.state.app.coord().webhook_cursor(&deconflict_core::PartyName::new("bravo").unwrap()).unwrap();
    assert_eq!(cursor.attempts, 1);
    assert_eq!(cursor.next_attempt, geom::Time::from_micros(c.t0 + S));
    assert_eq!(seen.lock().unwrap().len(), 1);
    c.at(1);
    server::coord_tasks::deliver_webhooks_once(&c.s.state).await.unwrap();
    let seen_now = seen.lock().unwrap().clone();
    let (first_status, first_key, first_body) = &seen_now[0];
    assert_eq!(*first_status, 500);
    // The failed event was delivered again with the same key, then each other once.
    assert_eq!(&seen_now[1].1, first_key);
    assert_eq!(&seen_now[1].2, first_body);
    let ok_keys: Vec<&str> = seen_now.iter().filter(|s| s.0 == 200).map(|s| s.1.as_str()).collect();
    let mut unique = ok_keys.clone();
    unique.dedup();
    assert_eq!(ok_keys, unique, "each event once per success");
    for (_, key, body) in &seen_now {
        assert_eq!(key, &body["seq"].to_string(), "Idempotency-Key is the audit sequence number");
        assert!(body["parties"].as_array().unwrap().contains(&json!("bravo")));
    }
    let msg = seen_now.iter().find(|s| s.2["kind"] == "message.sent").expect("the message went out");
    assert_eq!(msg.2["payload"]["message"]["id"], id.as_str());
    // A 2xx for the message set bravo's delivered_at.
    let (_, v) = c.get(&format!("/v1/messages/{id}"), &c.alpha).await;
    assert_eq!(v["deliveries"][0]["delivered_via"], "webhook", "{v}");
    assert_eq!(
        v["deliveries"][0]["delivered_at"],
        server::dto::geometry::format_time(geom::Time::from_micros(c.t0 + S)).as_str()
    );
    // Nothing new: no POST.
    let before = seen.lock().unwrap().len();
    c.seal().await;
    server::coord_tasks::deliver_webhooks_once(&c.s.state).await.unwrap();
    let after = seen.lock().unwrap().clone();
    // Only the new message.delivered event (which concerns bravo) may be sent, once.
    assert!(
        after[before..].iter().all(|s| s.2["kind"] == "message.delivered" && s.0 == 200),
        "{:?}",
        &after[before..]
    );
}

async fn ack_comm_check(c: &Ctx, token: &str) {
    let (_, inbox) = c.get("/v1/inbox?unacked=true", token).await;
    let check = inbox["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["kind"] == "comm_check")
        .expect("a comm_check");
    let (st, v) = c
        .post(
            &format!("/v1/messages/{}/ack", check["id"].as_str().unwrap()),
            token,
            json!({ "operator": "duty officer" }),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
}

#[tokio::test]
async fn communication_checks_pass_fail_kill_the_line_and_exercises_are_flagged() {
    let c = setup(None, json!({ "liveness_interval_s": 600, "liveness_deadline_s": 60 })).await;
    // An exercise nobody answers fully: recorded as failed, flagged, the line stays active.
    let (st, ex) = c.post("/v1/lines/ab/exercise", &c.alpha, json!({})).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{ex}");
    assert_eq!(ex["exercise"], true);
    ack_comm_check(&c, &c.alpha).await;
    c.at(60);
    server::coord_tasks::liveness_due(&c.s.state).await.unwrap();
    let (_, line) = c.get("/v1/lines/ab", &c.alpha).await;
    assert_eq!(line["state"]["kind"], "active");
    let (_, checks) = c.get("/v1/lines/ab/checks", &c.bravo).await;
    assert_eq!(checks["checks"][0]["result"], "failed");
    assert_eq!(checks["checks"][0]["exercise"], true);
    assert_eq!(checks["checks"][0]["failed"], json!(["bravo"]));

    // The scheduled check: both acknowledge, it passes.
    c.at(600);
    server::coord_tasks::liveness_due(&c.s.state).await.unwrap();
    ack_comm_check(&c, &c.alpha).await;
    ack_comm_check(&c, &c.bravo).await;
    let (_, checks) = c.get("/v1/lines/ab/checks", &c.bravo).await;
    assert_eq!(checks["checks"][0]["result"], "passed", "{checks}");
    assert_eq!(checks["checks"][0]["exercise"], false);

    // The next one: bravo is silent; the line is dead and both are told.
    c.at(1200);
    server::coord_tasks::liveness_due(&c.s.state).await.unwrap();
    ack_comm_check(&c, &c.alpha).await;
    c.at(1260);
    server::coord_tasks::liveness_due(&c.s.state).await.unwrap();
    let (_, line) = c.get("/v1/lines/ab", &c.alpha).await;
    assert_eq!(line["state"]["kind"], "dead", "{line}");
    for token in [&c.alpha, &c.bravo] {
        let kinds = c.audit_kinds(token).await;
        let failed = kinds
            .iter()
            .find(|k| k.0 == "check.failed" && k.1.contains("\"exercise\":false"))
            .expect("check.failed");
        assert!(failed.1.contains("\"failed\":[\"bravo\"]"), "{}", failed.1);
        assert!(kinds.iter().any(|k| k.0 == "line.dead"));
        assert!(kinds.iter().any(|k| k.0 == "check.failed" && k.1.contains("\"exercise\":true")));
    }
    // The heartbeat and the acknowledgements are tracked.
    let (st, _) = c.post("/v1/lines/ab/heartbeat", &c.bravo, json!({})).await;
    assert_eq!(st, StatusCode::OK);
    let (_, line) = c.get("/v1/lines/ab", &c.alpha).await;
    let hb: Vec<&str> =
        line["heartbeats"].as_array().unwrap().iter().map(|h| h["party"].as_str().unwrap()).collect();
    assert_eq!(hb, ["alpha", "bravo"]);
}

#[tokio::test]
async fn short_notice_is_flagged_late_to_both_sides_and_refusals_open_a_thread() {
    let c = setup(None, json!({})).await;
    let alpha_uss = c.s.token("alpha", &[SC]);
    let id = new_id();
    let body = intent("alpha", volume(46.0, 7.0, 0.01, (0.0, 120.0), (10, 70)), &[]);
    let (st, v) = c.s.call(Method::PUT, &format!("{OIR}/{id}"), Some(&alpha_uss), Some(&body)).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let (_, n) = c.get("/v1/notices", &c.bravo).await;
    let received = n["received"].as_array().unwrap();
    assert_eq!(received.len(), 1, "{n}");
    assert_eq!(received[0]["intent_id"], id.as_str());
    assert_eq!(received[0]["late"], true);
    assert_eq!(received[0]["notified_at"], received[0]["filed_at"]);
    let (_, n) = c.get("/v1/notices", &c.alpha).await;
    assert_eq!(n["given"][0]["late"], true);
    for token in [&c.alpha, &c.bravo] {
        assert!(c.audit_kinds(token).await.iter().any(|k| k.0 == "notice.late"));
    }
    server::coord_tasks::refresh_metrics(&c.s.state).await;
    let metrics = c.s.metrics().await;
    assert!(metrics.contains("deconflict_late_notices_total "), "{metrics}");
    assert!(!metrics.contains("party=\""), "no party names by default: {metrics}");
    let (st, n) = c.post(&format!("/v1/notices/{id}/ack"), &c.bravo, json!({ "operator": "Lt. B" })).await;
    assert_eq!(st, StatusCode::OK, "{n}");
    assert!(n["acked_at"].is_string());
    let (st, _) = c.post(&format!("/v1/notices/{id}/ack"), &c.charlie, json!({})).await;
    assert_eq!(st, StatusCode::NOT_FOUND);

    // Bravo files an intersecting intent without alpha's key: 409, and a thread opens.
    let bravo_uss = c.s.token("bravo", &[SC]);
    let b_id = new_id();
    let body = intent("bravo", volume(46.0, 7.0, 0.01, (0.0, 120.0), (10, 70)), &[]);
    let (st, _) = c.s.call(Method::PUT, &format!("{OIR}/{b_id}"), Some(&bravo_uss), Some(&body)).await;
    assert_eq!(st, StatusCode::CONFLICT);
    let (_, msgs) = c.get("/v1/lines/ab/messages", &c.alpha).await;
    let m = &msgs["messages"][0];
    assert_eq!(m["sender"], "deconflict", "{msgs}");
    assert_eq!(m["priority"], "urgent");
    assert!(m["text"].as_str().unwrap().contains(&id));
    let (_, thread) =
        c.get(&format!("/v1/lines/ab/messages?thread={}", m["thread_id"].as_str().unwrap()), &c.bravo).await;
    assert_eq!(thread["messages"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn suspension_and_resumption_record_who_and_why() {
    let c = setup(None, json!({})).await;
    let (st, _) = c.post("/v1/lines/ab/suspend", &c.charlie, json!({ "why": "no" })).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, v) = c.post("/v1/lines/ab/suspend", &c.bravo, json!({})).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
    c.at(30);
    let (st, v) =
        c.post("/v1/lines/ab/suspend", &c.bravo, json!({ "why": "relocating the command post" })).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["state"]["kind"], "suspended");
    assert_eq!(v["state"]["by"], "bravo");
    assert_eq!(v["state"]["why"], "relocating the command post");
    assert!(v["state"]["at"].is_string());
    let (st, v) = send_urgent(&c, "k-s").await;
    assert_eq!(st, StatusCode::CONFLICT, "{v}");
    let (st, v) = c.post("/v1/lines/ab/resume", &c.alpha, json!({ "why": "bravo is back" })).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["state"]["kind"], "active");
    let (st, _) = c.post("/v1/lines/ab/resume", &c.alpha, json!({})).await;
    assert_eq!(st, StatusCode::CONFLICT);
    let kinds = c.audit_kinds(&c.alpha).await;
    let s = kinds.iter().find(|k| k.0 == "line.suspended").unwrap();
    assert!(s.1.contains("\"by\":\"bravo\"") && s.1.contains("relocating"), "{}", s.1);
    let r = kinds.iter().find(|k| k.0 == "line.resumed").unwrap();
    assert!(r.1.contains("\"by\":\"alpha\"") && r.1.contains("bravo is back"), "{}", r.1);
}

#[tokio::test]
async fn bad_inputs_are_named_and_store_nothing() {
    let c = setup(None, json!({})).await;
    // Where and who: a line that does not exist, a sender not on the line.
    let hi = json!({ "priority": "urgent", "text": "hi" });
    for (line, token, status, needle) in [
        ("nope", &c.alpha, StatusCode::NOT_FOUND, "not found"),
        ("ab", &c.charlie, StatusCode::FORBIDDEN, "not a party"),
    ] {
        let (st, v) = c.post(&format!("/v1/lines/{line}/messages"), token, hi.clone()).await;
        assert_eq!(st, status, "line {line}: {v}");
        assert!(v["message"].as_str().unwrap().contains(needle), "line {line}: {v}");
    }
    // What: each bad message of Alpha's on its line is a 400 naming the problem.
    for (body, needle) in [
        (json!({ "priority": "urgent", "text": "   " }), "empty"),
        (json!({ "priority": "asap", "text": "hi" }), "priority"),
        (json!({ "priority": "urgent", "text": "x".repeat(4097) }), "4096"),
        (json!({ "priority": "urgent", "text": "hi", "to": ["charlie"] }), "charlie"),
        (json!({ "priority": "urgent", "template": "request_to_vacate" }), "fields.where"),
        (json!({ "priority": "urgent", "text": "hi", "colour": 1 }), "colour"),
    ] {
        let (st, v) = c.post("/v1/lines/ab/messages", &c.alpha, body.clone()).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{body}: {v}");
        assert!(v["message"].as_str().unwrap().contains(needle), "{body}: {v}");
    }
    let (st, _) = c.post("/v1/lines/ab/messages", &c.s.token("alpha", &[SC]), hi).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "the hotline scope is required");
    let (_, msgs) = c.get("/v1/lines/ab/messages", &c.alpha).await;
    assert_eq!(msgs["messages"], json!([]), "nothing stored");
    let (_, inbox) = c.get("/v1/inbox", &c.bravo).await;
    assert_eq!(inbox["messages"], json!([]));
    // A template fills the standard text.
    let body = json!({ "priority": "flash", "template": "request_to_vacate",
        "fields": { "where": "grid 12", "until": "1400Z", "reason": "live firing" } });
    let (st, v) = c.post("/v1/lines/ab/messages", &c.alpha, body).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    assert_eq!(
        v["text"],
        "REQUEST TO VACATE. alpha requests that grid 12 be vacated until 1400Z. Reason: live firing."
    );
}

#[tokio::test]
async fn the_parties_file_is_loaded_idempotently_and_bad_files_are_named() {
    let s = TestServer::start().await;
    let path = s.dir.path().join("parties.json");
    let file = json!([
        { "name": "alpha", "display_name": "Alpha CP" },
        { "name": "bravo", "display_name": "Bravo CP", "webhook_url": "http://127.0.0.1:9/hook" },
    ]);
    std::fs::write(&path, file.to_string()).unwrap();
    assert_eq!(server::coord_tasks::load_parties_file(&s.state, &path).await.unwrap(), 2);
    assert_eq!(server::coord_tasks::load_parties_file(&s.state, &path).await.unwrap(), 0, "unchanged");
    let (_, v) = s.call(Method::GET, "/v1/parties", Some(&s.token("zulu", &[])), None).await;
    assert_eq!(v["parties"][1]["display_name"], "Bravo CP");
    assert_eq!(v["parties"][1]["webhook"], true);
    std::fs::write(&path, r#"[{"name": "x", "display_name": ""}]"#).unwrap();
    let err = server::coord_tasks::load_parties_file(&s.state, &path).await.unwrap_err();
    assert!(err.contains("parties[0]") && err.contains("display_name"), "{err}");
}

#[tokio::test]
async fn inbox_line_messages_and_checks_page_newest_first_with_a_cursor() {
    let c = setup(None, json!({})).await;
    let mut sent = Vec::new();
    for text in ["one", "two", "three"] {
        let (st, v) =
            c.post("/v1/lines/ab/messages", &c.alpha, json!({ "priority": "routine", "text": text })).await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        sent.push(v["id"].as_str().unwrap().to_owned());
    }
    let ids = |v: &Value| -> Vec<String> {
        v["messages"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap().to_owned()).collect()
    };
    for (path, token) in [("/v1/inbox", &c.bravo), ("/v1/lines/ab/messages", &c.alpha)] {
        let (st, first) = c.get(&format!("{path}?limit=2"), token).await;
        assert_eq!(st, StatusCode::OK, "{first}");
        assert_eq!(ids(&first), [sent[2].clone(), sent[1].clone()], "{path}: newest first");
        let cursor = first["next_cursor"].as_str().expect("more exist, and the page says so");
        let (_, rest) = c.get(&format!("{path}?limit=2&cursor={cursor}"), token).await;
        assert_eq!(ids(&rest), [sent[0].clone()], "{path}: the rest, none repeated");
        assert!(rest.get("next_cursor").is_none(), "{path}: the last page says so: {rest}");
        let (_, all) = c.get(path, token).await;
        assert_eq!(ids(&all).len(), 3, "{path}: the default limit holds them all");
        for bad in ["limit=0", "limit=1001", "cursor=nope"] {
            let (st, v) = c.get(&format!("{path}?{bad}"), token).await;
            assert_eq!(st, StatusCode::BAD_REQUEST, "{path}?{bad}: {v}");
            let field = bad.split('=').next().unwrap();
            assert!(v["message"].as_str().unwrap().contains(field), "{path}?{bad}: {v}");
        }
    }
    // Checks page the same way.
    for _ in 0..2 {
        let (st, v) = c.post("/v1/lines/ab/exercise", &c.alpha, json!({})).await;
        assert_eq!(st, StatusCode::ACCEPTED, "{v}");
    }
    let (_, first) = c.get("/v1/lines/ab/checks?limit=1", &c.alpha).await;
    assert_eq!(first["checks"].as_array().unwrap().len(), 1, "{first}");
    let cursor = first["next_cursor"].as_str().expect("another check exists");
    let (_, rest) = c.get(&format!("/v1/lines/ab/checks?limit=1&cursor={cursor}"), &c.alpha).await;
    assert_eq!(rest["checks"].as_array().unwrap().len(), 1, "{rest}");
    assert_ne!(rest["checks"][0]["id"], first["checks"][0]["id"]);
    assert!(rest.get("next_cursor").is_none(), "{rest}");
}
