//! The authentication and authorisation matrix over HTTP, and compatibility
//! with tokens shaped like the InterUSS development tools'.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::signers::*;
use crate::common::*;

async fn server_trusting(signer: &Signer) -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    let pem = dir.path().join("trusted.pem");
    std::fs::write(&pem, &signer.public_pem).unwrap();
    let opts = Options {
        key_files: vec![pem],
        audiences: vec!["localhost".into()],
        dev: false,
        ..Options::default()
    };
    TestServer::start_with(opts, dir).await
}

#[tokio::test]
async fn interuss_style_rs256_tokens_are_accepted() {
    let signer = rsa_signer();
    let s = server_trusting(&signer).await;
    let token = signer.sign(&interuss_claims("uss1", "utm.strategic_coordination utm.constraint_processing"));
    let (st, v) = s.call(Method::GET, "/aux/v1/validate_oauth", Some(&token), None).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["owner"], "uss1");
    let body = intent("uss1", here(), &[]);
    let (st, r) = s.call(Method::PUT, &format!("{OIR}/{}", new_id()), Some(&token), Some(&body)).await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    assert_eq!(r["operational_intent_reference"]["manager"], "uss1");
}

#[tokio::test]
async fn auth_matrix() {
    let good = ec_signer();
    let other = ec_signer();
    let s = server_trusting(&good).await;
    let now = chrono::Utc::now().timestamp();
    let path = format!("{OIR}/{}", new_id());
    let body = intent("uss1", volume(46.0, 7.0, 0.01, (0.0, 120.0), (10, 70)), &[]);
    let base = interuss_claims("uss1", "utm.strategic_coordination");
    let with = |k: &str, v: Value| {
        let mut c = base.clone();
        c[k] = v;
        c
    };
    let mut no_exp = base.clone();
    no_exp.as_object_mut().unwrap().remove("exp");
    let cases: Vec<(&str, Option<String>, StatusCode)> = vec![
        ("no token", None, StatusCode::UNAUTHORIZED),
        ("bad signature", Some(other.sign(&base)), StatusCode::UNAUTHORIZED),
        (
            "wrong audience",
            Some(good.sign(&with("aud", json!("elsewhere.example")))),
            StatusCode::UNAUTHORIZED,
        ),
        ("exp two hours ahead", Some(good.sign(&with("exp", json!(now + 7200)))), StatusCode::UNAUTHORIZED),
        ("expired", Some(good.sign(&with("exp", json!(now - 600)))), StatusCode::UNAUTHORIZED),
        ("no exp", Some(good.sign(&no_exp)), StatusCode::UNAUTHORIZED),
        ("garbage", Some("not.a.jwt".into()), StatusCode::UNAUTHORIZED),
        (
            "wrong scope",
            Some(good.sign(&with("scope", json!("utm.constraint_management")))),
            StatusCode::FORBIDDEN,
        ),
        ("right", Some(good.sign(&base)), StatusCode::CREATED),
    ];
    for (name, token, want) in cases {
        let (st, v) = s.call(Method::PUT, &path, token.as_deref(), Some(&body)).await;
        assert_eq!(st, want, "{name}: {v}");
        if !st.is_success() {
            assert!(
                v["message"].as_str().is_some_and(|m| !m.is_empty()),
                "{name}: JSON message expected, got {v}"
            );
        }
    }
    // Another manager touching uss1's intent: 403.
    let (_, g) = s.call(Method::GET, &path, Some(&good.sign(&base)), None).await;
    let ovn = g["operational_intent_reference"]["ovn"].as_str().unwrap().to_owned();
    let mallory = good.sign(&interuss_claims("mallory", "utm.strategic_coordination"));
    let (st, v) = s.call(Method::DELETE, &format!("{path}/{ovn}"), Some(&mallory), None).await;
    assert_refused(st, &v, StatusCode::FORBIDDEN, "owned by uss1");
}

#[tokio::test]
async fn unknown_issuer_key_and_dev_key_without_dev_mode() {
    let good = ec_signer();
    let s = server_trusting(&good).await;
    // The development key is not trusted unless the server runs with --dev.
    let dev_token = s.token("uss1", &[SC]);
    let (st, _) = s.call(Method::GET, "/aux/v1/validate_oauth", Some(&dev_token), None).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    // A token from an issuer whose key we never configured.
    let stranger = ec_signer();
    let mut claims = interuss_claims("uss1", SC);
    claims["iss"] = json!("https://stranger.example");
    let (st, _) = s.call(Method::GET, "/aux/v1/validate_oauth", Some(&stranger.sign(&claims)), None).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn keys_in_the_parties_file_speak_only_for_their_party() {
    let (alpha_key, bravo_key) = (ec_signer(), ec_signer());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("alpha.pem"), &alpha_key.public_pem).unwrap();
    std::fs::write(dir.path().join("bravo.pem"), &bravo_key.public_pem).unwrap();
    let parties = dir.path().join("parties.json");
    std::fs::write(
        &parties,
        serde_json::to_string(&json!([
            { "name": "alpha", "display_name": "Alpha CP", "keys": ["alpha.pem"], "issuer": "https://idp.alpha" },
            { "name": "bravo", "display_name": "Bravo CP", "keys": ["bravo.pem"] },
        ]))
        .unwrap(),
    )
    .unwrap();
    let opts = Options { dev: false, parties_file: Some(parties), ..Options::default() };
    let s = TestServer::start_with(opts, dir).await;
    let claims = |sub: &str, iss: &str| {
        let mut c = interuss_claims(sub, SC);
        c["iss"] = json!(iss);
        c
    };
    let ok = alpha_key.sign(&claims("alpha", "https://idp.alpha"));
    let (st, v) = s.call(Method::GET, "/aux/v1/validate_oauth", Some(&ok), None).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["owner"], "alpha");
    // Bravo's identity provider signing a token for alpha: refused.
    let forged = bravo_key.sign(&claims("alpha", "anything"));
    let (st, v) = s.call(Method::GET, "/aux/v1/validate_oauth", Some(&forged), None).await;
    assert_refused(st, &v, StatusCode::UNAUTHORIZED, "may only speak for party \"bravo\"");
    // Alpha's key with the wrong issuer: refused.
    let wrong_iss = alpha_key.sign(&claims("alpha", "https://idp.other"));
    let (st, _) = s.call(Method::GET, "/aux/v1/validate_oauth", Some(&wrong_iss), None).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    // The registry itself was loaded too.
    let (st, v) = s.call(Method::GET, "/v1/parties", Some(&ok), None).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["parties"].as_array().unwrap().len(), 2, "{v}");
}

/// An endpoint's scopes are checked before its path or body is read: a
/// caller without them gets 403 whatever it sent, and with them the same
/// request gets the 400 naming the bad segment or field.
#[tokio::test]
async fn the_scope_is_checked_before_the_path_or_body() {
    let s = TestServer::start().await;
    let cases: [(Method, &str, Option<Value>, &str); 3] = [
        (
            Method::PUT,
            "/dss/v1/operational_intent_references/not-a-uuid",
            Some(json!({"bad": 1})),
            "utm.strategic_coordination",
        ),
        (Method::GET, "/v1/lines/not%20a%20line/blind", None, "deconflict.hotline"),
        (
            Method::PUT,
            "/dss/v1/subscriptions/not-a-uuid",
            Some(json!({"bad": 1})),
            "utm.strategic_coordination",
        ),
    ];
    for (method, path, body, scope) in cases {
        let without = s.token("uss1", &["deconflict.tracks.read"]);
        let (st, v) = s.call(method.clone(), path, Some(&without), body.as_ref()).await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{method} {path} without {scope}: {v}");
        assert!(v["message"].as_str().unwrap_or("").contains(scope), "{method} {path}: names the scope: {v}");
        let with = s.token("uss1", &[scope]);
        let (st, v) = s.call(method.clone(), path, Some(&with), body.as_ref()).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{method} {path} with {scope}: {v}");
        assert!(v["message"].as_str().unwrap_or("").starts_with("invalid path ("), "{method} {path}: {v}");
    }
    s.stop().await;
}
