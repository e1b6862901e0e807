//! `GET /v1/openapi.json` and that every documented operation is routed: each
//! is called without a token and must answer 401 when the document says it
//! needs one, 200 when it says it does not (never 404 or 405); and the
//! documented scopes are the ones the handler checks.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::TestServer;

#[tokio::test]
async fn openapi_document_is_served_and_every_operation_is_routed() {
    let s = TestServer::start().await;
    let (status, served) = s.call(Method::GET, "/v1/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK, "{served}");
    let generated: Value = serde_json::from_str(&server::openapi::document()).unwrap();
    assert_eq!(served, generated);

    let mut checked = 0;
    for (path, item) in served["paths"].as_object().unwrap() {
        // Path parameters get a placeholder; no handler reaches them without a
        // token. A party name is the caller's own (a party may act on itself).
        let concrete: String = path
            .split('/')
            .map(|seg| match seg {
                "{name}" => "openapi-check",
                s if s.starts_with('{') => "x",
                s => s,
            })
            .collect::<Vec<_>>()
            .join("/");
        for (method, op) in item.as_object().unwrap() {
            // Secured: some security requirement, none of them the empty one
            // (`{}`: a token is optional).
            let secured = op.get("security").is_some_and(|v| {
                let reqs = v.as_array().unwrap();
                !reqs.is_empty() && reqs.iter().all(|r| r.as_object().is_some_and(|o| !o.is_empty()))
            });
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let (status, body) = s.call(m, &concrete, None, None).await;
            let want = if secured { StatusCode::UNAUTHORIZED } else { StatusCode::OK };
            assert_eq!(status, want, "{method} {path}: {body}");
            if secured {
                check_scopes(&s, method, path, &concrete, op).await;
            }
            checked += 1;
        }
    }
    assert!(checked > 30, "only {checked} operations checked");
    s.stop().await;
}

/// A body that parses for each operation that takes one, so the request
/// reaches the handler's scope check.
fn body_for(path: &str) -> Value {
    match path {
        "/v1/lines/{id}" => json!({"name": "n", "parties": ["a", "b"]}),
        "/v1/parties/{name}" => json!({"display_name": "d"}),
        "/v1/parties/{name}/webhook" => json!({"webhook_url": null}),
        "/v1/lines/{id}/suspend" => json!({"why": "w"}),
        "/v1/lines/{id}/messages" => json!({"priority": "routine", "text": "t"}),
        "/v1/messages/{id}/ack" => json!({"operator": "o"}),
        "/v1/lines/{id}/blind/key" => json!({"public_key": "AA=="}),
        "/v1/lines/{id}/blind/epochs" => {
            json!({"epoch": 1, "envelopes": {}, "policy": blind::LinePolicy::default().params()})
        }
        "/v1/blind/operations" | "/v1/blind/operations/{id}/{ovn}" => json!({
            "line": "l", "epoch": 1, "time_start": "t", "time_end": "t", "tokens": []
        }),
        "/v1/blind/sealed" => json!({"line": "l", "to": "p", "sealed": ""}),
        _ => json!({}),
    }
}

/// The status only: streams answer with headers at once and are then dropped.
async fn status_of(
    s: &TestServer,
    method: &str,
    path: &str,
    concrete: &str,
    op: &Value,
    token: &str,
) -> StatusCode {
    let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
    let mut req = s.http.request(m, format!("{}{concrete}", s.base)).bearer_auth(token);
    if op.get("requestBody").is_some() {
        req = req.json(&body_for(path));
    }
    req.send().await.unwrap().status()
}

/// A token without scopes is refused (403) unless the operation asks for none;
/// a token with exactly one documented alternative's scopes passes the scope check.
async fn check_scopes(s: &TestServer, method: &str, path: &str, concrete: &str, op: &Value) {
    let alternatives: Vec<Vec<&str>> = op["security"]
        .as_array()
        .unwrap()
        .iter()
        .map(|req| req["bearer"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect())
        .collect();
    let needs_scope = alternatives.iter().all(|alt| !alt.is_empty());
    let status = status_of(s, method, path, concrete, op, &s.token("openapi-check", &[])).await;
    if needs_scope {
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path} without scopes");
    } else {
        assert!(
            status != StatusCode::FORBIDDEN && status != StatusCode::UNAUTHORIZED,
            "{method} {path}: {status}"
        );
    }
    for alt in alternatives {
        let status = status_of(s, method, path, concrete, op, &s.token("openapi-check", &alt)).await;
        assert!(
            status != StatusCode::FORBIDDEN && status != StatusCode::UNAUTHORIZED,
            "{method} {path} with {alt:?}: {status}"
        );
    }
}
