//! The web map's files and development tokens over HTTP.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::signers::*;
use crate::common::*;

async fn get(s: &TestServer, path: &str) -> reqwest::Response {
    s.http.get(format!("{}{path}", s.base)).send().await.unwrap()
}

fn header<'a>(r: &'a reqwest::Response, name: &str) -> &'a str {
    r.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

#[tokio::test]
async fn the_page_and_its_files_come_with_a_strict_policy() {
    let s = TestServer::start().await;
    for (path, ty) in [
        ("/", "text/html"),
        ("/web/app/main.js", "text/javascript"),
        ("/web/vendor/maplibre-gl-csp-worker.js", "text/javascript"),
        ("/web/basemap/land.geojson", "application/geo+json"),
        ("/docs", "text/html"),
        ("/web/docs/swagger-ui-bundle.js", "text/javascript"),
    ] {
        let r = get(&s, path).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert!(header(&r, "content-type").starts_with(ty), "{path}: {}", header(&r, "content-type"));
        let csp = header(&r, "content-security-policy");
        assert!(
            csp.starts_with("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{path}: {csp}"
        );
        assert!(!csp.contains("unsafe-"), "{path}: {csp}");
        assert_eq!(header(&r, "x-content-type-options"), "nosniff", "{path}");
    }
    let page = get(&s, "/").await.text().await.unwrap();
    assert!(page.contains("/web/app/main.js"), "{page}");
    let docs = get(&s, "/docs").await.text().await.unwrap();
    assert!(docs.contains("/web/app/docs.js") && docs.contains("/v1/openapi.json"), "{docs}");
    let r = get(&s, "/web/app/nothing.js").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["message"], "no file /web/app/nothing.js");
}

#[tokio::test]
async fn a_development_server_hands_the_page_a_party_token() {
    let s = TestServer::start().await;
    let r = get(&s, "/web/dev-token?party=alpha").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(header(&r, "cache-control"), "no-store");
    let token = r.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned();
    // The token works for the party's own reads and writes, and for nothing privileged.
    let area = json!({ "area": { "volume": { "outline_circle": {
        "center": { "lat": 46.9, "lng": 7.4 }, "radius": { "value": 1000, "units": "M" } } } } });
    let r = s
        .http
        .post(format!("{}/v1/operations/query", s.base))
        .bearer_auth(&token)
        .json(&area)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = s.http.get(format!("{}/v1/audit?limit=1", s.base)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "a party reads its own slice of the audit log");
    let r = s
        .http
        .put(format!("{}/v1/parties/bravo", s.base))
        .bearer_auth(&token)
        .json(&json!({ "display_name": "B" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "no administration");
    for bad in ["/web/dev-token", "/web/dev-token?party=", "/web/dev-token?party=a&scope=deconflict.admin"] {
        let r = get(&s, bad).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{bad}");
        assert!(r.json::<Value>().await.unwrap()["message"].as_str().unwrap().len() > 5, "{bad}");
    }
}

#[tokio::test]
async fn outside_development_no_token_is_handed_out() {
    let signer = ec_signer();
    let dir = tempfile::tempdir().unwrap();
    let pem = dir.path().join("trusted.pem");
    std::fs::write(&pem, &signer.public_pem).unwrap();
    let opts = Options { key_files: vec![pem], dev: false, ..Options::default() };
    let s = TestServer::start_with(opts, dir).await;
    let r = get(&s, "/web/dev-token?party=alpha").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(r.json::<Value>().await.unwrap()["message"].as_str().unwrap().contains("--dev"));
    assert_eq!(get(&s, "/").await.status(), StatusCode::OK, "the page itself is served");
}
