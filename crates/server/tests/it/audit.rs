//! The event stream and the verifiable audit log, over HTTP.

use reqwest::{Method, StatusCode};

use crate::common::audit_log::*;
use crate::common::*;

#[tokio::test]
async fn each_party_gets_a_verifiable_slice_of_what_concerns_it() {
    let s = TestServer::start().await;
    let (a_id, b_id) = scenario(&s).await;
    seal(&s).await;
    let key = service_key(&s).await;

    let bob_export = audit::export::parse_export(&export(&s, &s.token("bob", &[AUDIT])).await).unwrap();
    let report = audit::verify_slice(&bob_export.slice, &[key]).unwrap();
    assert!(report.fully_signed(), "{report}");
    let kinds: Vec<&str> = bob_export.slice.entries.iter().map(|e| e.kind.as_str()).collect();
    // Bob sees his refusal (with Alice's intent disclosed to him), his creation, and
    // Alice's creation only through the refusal: not Carol's subscription.
    assert_eq!(kinds, ["intent.refused_missing_key", "intent.created"], "{kinds:?}");
    assert!(bob_export.slice.entries[0].payload.contains(&a_id));
    assert_eq!(bob_export.slice.entries[1].subject.as_deref(), Some(b_id.as_str()));
    assert_eq!(bob_export.slice.skeleton.len(), 4, "links of all four entries, contents of two");

    // Carol's subscription heard of both intents.
    let carol_export = audit::export::parse_export(&export(&s, &s.token("carol", &[AUDIT])).await).unwrap();
    let carol_kinds: Vec<&str> = carol_export.slice.entries.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(carol_kinds, ["subscription.created", "intent.created", "intent.created"]);
    audit::verify_slice(&carol_export.slice, &[key]).unwrap();

    // Without the audit scope: 403.
    let resp =
        s.http.get(format!("{}/v1/audit", s.base)).bearer_auth(s.token("bob", &[SC])).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_event_stream_pushes_changes_and_resumes_after_reconnect() {
    let s = TestServer::start().await;
    let carol = s.token("carol", &[SC]);
    let resp = s.event_stream(&carol, None).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let mut stream = resp.bytes_stream();
    let mut buf = String::new();
    s.call(Method::PUT, &format!("{SUB}/{}", new_id()), Some(&carol), Some(&watch("carol"))).await;
    let (first, ev) = next_event(&mut stream, &mut buf).await;
    assert_eq!(ev["kind"], "subscription.created");
    let a_id = new_id();
    s.put_intent(&format!("{OIR}/{a_id}"), "alice", here(), &[]).await;
    // A far-away intent Carol is not told of.
    s.put_intent(
        &format!("{OIR}/{}", new_id()),
        "alice",
        volume(10.0, 7.0, 0.01, (0.0, 120.0), (10, 70)),
        &[],
    )
    .await;
    let (second, ev) = next_event(&mut stream, &mut buf).await;
    assert_eq!(ev["kind"], "intent.created");
    assert_eq!(ev["subject"], a_id.as_str());
    assert!(second > first);
    drop(stream);

    // Reconnect after the first event: the second is replayed from the store.
    let resp = s.event_stream(&carol, Some(first)).await;
    let mut stream = resp.bytes_stream();
    let mut buf = String::new();
    let (again, ev) = next_event(&mut stream, &mut buf).await;
    assert_eq!(again, second);
    assert_eq!(ev["subject"], a_id.as_str());
}
