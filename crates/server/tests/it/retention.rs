//! Retention over HTTP: old hotline traffic goes, what still awaits an
//! acknowledgement stays, and every party's and the auditor's audit export
//! still verifies once old bodies are forgotten.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use server::Clock;

use crate::common::*;

const HOTLINE: &str = "deconflict.hotline";
const AUDIT: &str = "deconflict.audit.read";
const AUDIT_ALL: &str = "deconflict.audit.all";
const DAY_US: i64 = 86_400_000_000;

async fn seal(s: &TestServer) {
    s.state.feed.seal(&s.state.app, &s.clock).await.unwrap();
    s.state.feed.follow(&s.state.app).await.unwrap();
}

/// `token`'s audit export, verified against the published key.
async fn verified_export(s: &TestServer, token: &str) -> (audit::Slice, audit::VerifyReport) {
    let resp = s.http.get(format!("{}/v1/audit", s.base)).bearer_auth(token).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let export = audit::export::parse_export(&resp.text().await.unwrap()).unwrap();
    let (_, k) = s.call(Method::GET, "/v1/audit/key", None, None).await;
    let key: audit::PublicKey = k["public_key_hex"].as_str().unwrap().parse().unwrap();
    let report = audit::verify_slice(&export.slice, &[key]).unwrap();
    (export.slice, report)
}

async fn send(s: &TestServer, token: &str, priority: &str, text: &str) -> String {
    let body = json!({ "priority": priority, "text": text });
    let (st, v) = s.call(Method::POST, "/v1/lines/ab/messages", Some(token), Some(&body)).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    v["id"].as_str().unwrap().to_owned()
}

fn texts(slice: &audit::Slice) -> String {
    slice.entries.iter().map(|e| e.payload.as_str()).collect::<Vec<_>>().join("\n")
}

#[tokio::test]
async fn retention_purges_old_traffic_keeps_what_is_owed_and_the_log_verifies() {
    let t0 = chrono::Utc::now().timestamp_micros();
    let clock = Clock::manual(t0);
    // No background hotline pass during the test: one would escalate the
    // owed message once the clock jumps, a new event that quotes its text.
    let s = TestServer::start_with(
        Options {
            clock: clock.clone(),
            coord_interval: Some(Duration::from_secs(3600)),
            ..Options::default()
        },
        tempfile::tempdir().unwrap(),
    )
    .await;
    let alpha = s.token("alpha", &[HOTLINE, AUDIT]);
    let bravo = s.token("bravo", &[HOTLINE, AUDIT]);
    s.register_line("ab", "A-B", &["alpha", "bravo"]).await;
    let routine = send(&s, &alpha, "routine", "old routine traffic").await;
    clock.set(t0 + 1_000_000);
    let owed = send(&s, &alpha, "urgent", "old urgent, never acknowledged").await;
    seal(&s).await;
    let (before, _) = verified_export(&s, &bravo).await;
    assert!(texts(&before).contains("old routine traffic"));

    // Three days later, with a day of retention.
    clock.set(t0 + 3 * DAY_US);
    // Tokens live an hour on the server's clock: new ones for the new day.
    let auditor = s.token_on_clock("auditor", &[AUDIT_ALL]);
    let alpha = s.token_on_clock("alpha", &[HOTLINE, AUDIT]);
    let bravo = s.token_on_clock("bravo", &[HOTLINE, AUDIT]);
    let fresh = send(&s, &bravo, "routine", "new traffic").await;
    seal(&s).await;
    let r = server::retention::retention_once(&s.state, Duration::from_secs(86_400)).await.unwrap();
    assert_eq!((r.messages, r.messages_kept), (1, 1), "{r:?}");
    seal(&s).await;

    let (st, _) = s.call(Method::GET, &format!("/v1/messages/{routine}"), Some(&bravo), None).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "old routine traffic is gone");
    let (st, v) = s.call(Method::GET, &format!("/v1/messages/{owed}"), Some(&bravo), None).await;
    assert_eq!(st, StatusCode::OK, "an urgent message nobody acknowledged stays: {v}");
    let (st, _) = s.call(Method::GET, &format!("/v1/messages/{fresh}"), Some(&alpha), None).await;
    assert_eq!(st, StatusCode::OK);

    // The log was forgotten up to the oldest message still owed an answer
    // (the set-up before it), and verifies for each reader.
    assert!(r.forgotten_through >= 3, "{r:?}");
    for token in [&auditor, &alpha, &bravo] {
        let (slice, report) = verified_export(&s, token).await;
        assert!(report.fully_signed(), "{report}");
        assert_eq!(report.first_seq, Some(1));
        assert!(
            slice.entries.iter().all(|e| e.seq > r.forgotten_through),
            "forgotten bodies are shown to nobody"
        );
        assert!(texts(&slice).contains("old urgent, never acknowledged"));
    }

    // Acknowledged, it goes too; then everything older than a day is links only.
    let (st, _) = s
        .call(
            Method::POST,
            &format!("/v1/messages/{owed}/ack"),
            Some(&bravo),
            Some(&json!({ "operator": "Lt B" })),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let r = server::retention::retention_once(&s.state, Duration::from_secs(86_400)).await.unwrap();
    assert_eq!((r.messages, r.messages_kept), (1, 0), "{r:?}");
    seal(&s).await;
    let (slice, report) = verified_export(&s, &auditor).await;
    assert!(report.fully_signed(), "{report}");
    let all = texts(&slice);
    assert!(!all.contains("old routine traffic") && !all.contains("old urgent"), "{all}");
    assert!(all.contains("new traffic"));
    let kinds: Vec<&str> = slice.entries.iter().map(|e| e.kind.as_str()).collect();
    assert!(kinds.contains(&"retention.applied"), "the log records its own retention: {kinds:?}");
    let (bravo_slice, report) = verified_export(&s, &bravo).await;
    assert!(report.fully_signed());
    assert!(bravo_slice.entries.iter().all(|e| e.kind != "retention.applied"), "retention is the auditor's");

    // A party replaying its stream from the start gets only what was kept.
    let resp =
        s.http.get(format!("{}/v1/events/stream?after=0", s.base)).bearer_auth(&bravo).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let mut resp = resp;
    let mut seen = String::new();
    while !seen.contains("new traffic") {
        let chunk =
            tokio::time::timeout(Duration::from_secs(10), resp.chunk()).await.unwrap().unwrap().unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(!seen.contains("old routine traffic"), "{seen}");

    let metrics = s.metrics().await;
    let line = |name: &str| metrics.lines().find(|l| l.starts_with(name)).map(str::to_owned);
    let purged = metrics
        .lines()
        .find(|l| l.starts_with("deconflict_purged_total") && l.contains("kind=\"message\""))
        .unwrap_or_default();
    assert!(purged.ends_with(" 2"), "{metrics}");
    let forgotten: Value =
        line("deconflict_audit_forgotten_through ").unwrap().rsplit(' ').next().unwrap().parse().unwrap();
    assert!(forgotten.as_u64().is_some_and(|n| n > 3), "{forgotten}");
}
