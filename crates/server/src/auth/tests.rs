//! Tests of the auth module. Keys are generated here; tokens are signed the
//! way the InterUSS dev tools sign them (RS256; `sub`, `client_id`, `scope`,
//! `aud` = "localhost", `iss`, `nbf`, `exp` = now + 1 h, `jti`).

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use p256::elliptic_curve::Generate as _;
use p256::pkcs8::{EncodePrivateKey as _, EncodePublicKey as _, LineEnding};
use serde_json::{Value, json};

use super::*;

const NOW: i64 = 1_750_000_000;
const ISS: &str = "https://auth.example.net/";
const AUD: &str = "localhost";

// ---------------------------------------------------------------- helpers

/// A key pair: the signing half for jsonwebtoken, the public half as PEM.
struct Pair {
    private_pem: String,
    public_pem: String,
    alg: Algorithm,
}

impl Pair {
    fn encoding_key(&self) -> EncodingKey {
        match self.alg {
            Algorithm::RS256 => EncodingKey::from_rsa_pem(self.private_pem.as_bytes()).unwrap(),
            _ => EncodingKey::from_ec_pem(self.private_pem.as_bytes()).unwrap(),
        }
    }

    fn trusted(&self, label: &str) -> TrustedKey {
        TrustedKey::from_pem(self.public_pem.as_bytes(), label).unwrap()
    }

    fn sign(&self, claims: &Value) -> String {
        self.sign_with_kid(claims, None)
    }

    fn sign_with_kid(&self, claims: &Value, kid: Option<&str>) -> String {
        let mut header = Header::new(self.alg);
        header.kid = kid.map(str::to_owned);
        jsonwebtoken::encode(&header, claims, &self.encoding_key()).unwrap()
    }

    fn jwk(&self, kid: &str) -> Jwk {
        let mut jwk = Jwk::from_encoding_key(&self.encoding_key(), self.alg).unwrap();
        jwk.common.key_id = Some(kid.to_owned());
        jwk
    }
}

fn rsa_pair(bits: usize) -> Pair {
    use rsa::pkcs8::{EncodePrivateKey as _, EncodePublicKey as _};
    let mut rng = p256::elliptic_curve::common::getrandom::SysRng;
    let private = rsa::PrivateKey::new(&mut rng, bits).unwrap();
    Pair {
        private_pem: private.to_pkcs8_pem(rsa::pkcs8::LineEnding::LF).unwrap().to_string(),
        public_pem: private.to_public_key().to_public_key_pem(rsa::pkcs8::LineEnding::LF).unwrap(),
        alg: Algorithm::RS256,
    }
}

/// RSA key generation is slow in debug builds: two keys for the whole run.
fn rsa_a() -> &'static Pair {
    static KEY: OnceLock<Pair> = OnceLock::new();
    KEY.get_or_init(|| rsa_pair(2048))
}

fn rsa_b() -> &'static Pair {
    static KEY: OnceLock<Pair> = OnceLock::new();
    KEY.get_or_init(|| rsa_pair(2048))
}

fn ec_pair() -> Pair {
    let secret = p256::SecretKey::try_generate().unwrap();
    Pair {
        private_pem: secret.to_pkcs8_pem(LineEnding::LF).unwrap().to_string(),
        public_pem: secret.public_key().to_public_key_pem(LineEnding::LF).unwrap(),
        alg: Algorithm::ES256,
    }
}

/// The claims of an InterUSS dummy-oauth token, issued at `now`.
fn interuss_claims(now: i64) -> Value {
    json!({
        "sub": "uss1",
        "client_id": "uss1",
        "scope": "utm.strategic_coordination utm.constraint_processing",
        "aud": AUD,
        "iss": ISS,
        "nbf": now - 1,
        "exp": now + 3600,
        "jti": uuid::Uuid::new_v4().to_string(),
    })
}

fn with(mut claims: Value, key: &str, value: Value) -> Value {
    claims[key] = value;
    claims
}

fn without(mut claims: Value, key: &str) -> Value {
    claims.as_object_mut().unwrap().remove(key);
    claims
}

fn verifier(keys: Vec<TrustedKey>) -> Verifier {
    Verifier::new(keys, vec![AUD.to_owned()], DEFAULT_MAX_EXP_AHEAD).unwrap()
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn write(dir: &Path, name: &str, contents: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

// ---------------------------------------------------------------- setup

#[test]
fn crypto_provider_is_available_at_run_time() {
    assert!(jsonwebtoken::crypto::CryptoProvider::try_get_default().is_some());
}

#[test]
fn types_can_be_shared_across_threads() {
    fn shareable<T: Send + Sync + 'static>() {}
    shareable::<Verifier>();
    shareable::<TrustedKey>();
    shareable::<Caller>();
    shareable::<DevKey>();
    shareable::<AuthError>();
}

#[test]
fn rsa_keygen_is_fast_enough() {
    let started = std::time::Instant::now();
    let _ = rsa_a();
    let took = started.elapsed();
    // A guard against regressions in debug builds (see the profile overrides).
    assert!(took < Duration::from_secs(60), "RSA 2048 keygen took {took:?}");
}

#[test]
fn verifier_needs_keys_and_audiences() {
    let key = ec_pair().trusted("ec");
    let err = Verifier::new(vec![], vec![AUD.into()], DEFAULT_MAX_EXP_AHEAD).unwrap_err();
    assert!(matches!(err, AuthError::Config(_)), "{err}");
    let err = Verifier::new(vec![key.clone()], vec![], DEFAULT_MAX_EXP_AHEAD).unwrap_err();
    assert!(matches!(err, AuthError::Config(_)), "{err}");
    let err = Verifier::new(vec![key.clone()], vec![" ".into()], DEFAULT_MAX_EXP_AHEAD).unwrap_err();
    assert!(matches!(err, AuthError::Config(_)), "{err}");
    let err = Verifier::new(vec![key], vec![AUD.into()], Duration::ZERO).unwrap_err();
    assert!(matches!(err, AuthError::Config(_)), "{err}");
    assert!(!err.is_credential_error());
}

// ---------------------------------------------------------------- valid tokens

#[test]
fn valid_rs256_token_gives_caller() {
    let key = rsa_a();
    let v = verifier(vec![key.trusted("rsa")]);
    let caller = v.verify_header(Some(&bearer(&key.sign(&interuss_claims(NOW)))), NOW).unwrap();
    assert_eq!(caller.sub, "uss1");
    assert_eq!(caller.iss, ISS);
    assert_eq!(caller.client_id.as_deref(), Some("uss1"));
    assert!(caller.scopes.has(scope::STRATEGIC_COORDINATION));
    assert!(caller.scopes.has(scope::CONSTRAINT_PROCESSING));
    assert!(!caller.scopes.has(scope::CONSTRAINT_MANAGEMENT));
    assert_eq!(caller.scopes.len(), 2);
}

#[test]
fn valid_es256_token_gives_caller() {
    let key = ec_pair();
    let v = verifier(vec![key.trusted("ec")]);
    let claims = with(interuss_claims(NOW), "scope", json!(scope::CONFORMANCE_MONITORING_SA));
    let token = key.sign_with_kid(&claims, Some("some-kid"));
    let caller = v.verify_token(&token, NOW).unwrap();
    assert_eq!(caller.sub, "uss1");
    assert_eq!(caller.scopes.iter().collect::<Vec<_>>(), [scope::CONFORMANCE_MONITORING_SA]);
}

#[test]
fn rsa_pkcs1_public_key_pem_is_accepted() {
    use rsa::pkcs1::EncodeRsaPublicKey as _;
    use rsa::pkcs8::DecodePublicKey as _;
    let key = rsa_a();
    let public = rsa::PublicKey::from_public_key_pem(&key.public_pem).unwrap();
    let pkcs1 = public.to_pkcs1_pem(rsa::pkcs8::LineEnding::LF).unwrap();
    assert!(pkcs1.starts_with("-----BEGIN RSA PUBLIC KEY-----"));
    let trusted = TrustedKey::from_pem(pkcs1.as_bytes(), "pkcs1").unwrap();
    assert_eq!(trusted.algorithm(), Algorithm::RS256);
    verifier(vec![trusted]).verify_token(&key.sign(&interuss_claims(NOW)), NOW).unwrap();
}

#[test]
fn second_trusted_key_verifies_when_first_does_not() {
    let (a, b) = (rsa_a(), ec_pair());
    let v = verifier(vec![a.trusted("a"), b.trusted("b")]);
    v.verify_token(&a.sign(&interuss_claims(NOW)), NOW).unwrap();
    v.verify_token(&b.sign(&interuss_claims(NOW)), NOW).unwrap();
}

// ---------------------------------------------------------------- the header

#[test]
fn missing_header_is_refused() {
    let v = verifier(vec![ec_pair().trusted("ec")]);
    assert!(matches!(v.verify_header(None, NOW), Err(AuthError::MissingHeader)));
    assert!(AuthError::MissingHeader.is_credential_error());
}

#[test]
fn bearer_scheme_is_case_insensitive() {
    let key = ec_pair();
    let v = verifier(vec![key.trusted("ec")]);
    let token = key.sign(&interuss_claims(NOW));
    for scheme in ["bearer", "BEARER", "Bearer", "bEaReR"] {
        v.verify_header(Some(&format!("{scheme} {token}")), NOW).unwrap();
    }
    v.verify_header(Some(&format!("  bearer   {token}  ")), NOW).unwrap();
}

#[test]
fn malformed_headers_are_refused() {
    let key = ec_pair();
    let v = verifier(vec![key.trusted("ec")]);
    let token = key.sign(&interuss_claims(NOW));
    for value in [
        String::new(),
        "Bearer".to_owned(),
        "Bearer ".to_owned(),
        token.clone(),
        format!("Basic {token}"),
        format!("Bearer {token} extra"),
    ] {
        let err = v.verify_header(Some(&value), NOW).unwrap_err();
        assert!(matches!(err, AuthError::MalformedHeader(_)), "{value:?}: {err}");
    }
}

#[test]
fn malformed_tokens_are_refused() {
    let v = verifier(vec![ec_pair().trusted("ec")]);
    for token in ["abc", "a.b", "a.b.c", "!!!.???.###"] {
        let err = v.verify_token(token, NOW).unwrap_err();
        assert!(matches!(err, AuthError::MalformedToken(_)), "{token:?}: {err}");
    }
    let huge = "a".repeat(MAX_TOKEN_LEN + 1);
    assert!(matches!(v.verify_token(&huge, NOW), Err(AuthError::MalformedToken(_))));
}

// ---------------------------------------------------------------- signatures

#[test]
fn token_signed_by_another_key_is_refused() {
    let v = verifier(vec![rsa_a().trusted("a")]);
    let err = v.verify_token(&rsa_b().sign(&interuss_claims(NOW)), NOW).unwrap_err();
    assert!(matches!(err, AuthError::BadSignature), "{err}");

    let (trusted, other) = (ec_pair(), ec_pair());
    let v = verifier(vec![trusted.trusted("ec")]);
    let err = v.verify_token(&other.sign(&interuss_claims(NOW)), NOW).unwrap_err();
    assert!(matches!(err, AuthError::BadSignature), "{err}");
}

#[test]
fn tampered_payload_is_refused() {
    let key = ec_pair();
    let v = verifier(vec![key.trusted("ec")]);
    let token = key.sign(&interuss_claims(NOW));
    let forged = key.sign(&with(interuss_claims(NOW), "sub", json!("someone-else")));
    let parts: Vec<&str> = token.split('.').collect();
    let forged_parts: Vec<&str> = forged.split('.').collect();
    let spliced = format!("{}.{}.{}", parts[0], forged_parts[1], parts[2]);
    assert!(matches!(v.verify_token(&spliced, NOW), Err(AuthError::BadSignature)));
}

#[test]
fn algorithm_without_a_trusted_key_of_its_kind_is_refused() {
    // RS256 token, only an EC key trusted.
    let v = verifier(vec![ec_pair().trusted("ec")]);
    let err = v.verify_token(&rsa_a().sign(&interuss_claims(NOW)), NOW).unwrap_err();
    assert!(matches!(err, AuthError::BadSignature), "{err}");
}

#[test]
fn other_algorithms_are_refused() {
    let key = rsa_a();
    let v = verifier(vec![key.trusted("rsa")]);
    // The classic confusion attack: HS256 keyed with the public key's PEM.
    let hmac = EncodingKey::from_secret(key.public_pem.as_bytes()).unwrap();
    let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &interuss_claims(NOW), &hmac).unwrap();
    let err = v.verify_token(&token, NOW).unwrap_err();
    assert!(matches!(err, AuthError::UnsupportedAlgorithm(ref alg) if alg == "HS256"), "{err}");
    // RS512 with the trusted key itself.
    let token =
        jsonwebtoken::encode(&Header::new(Algorithm::RS512), &interuss_claims(NOW), &key.encoding_key())
            .unwrap();
    let err = v.verify_token(&token, NOW).unwrap_err();
    assert!(matches!(err, AuthError::UnsupportedAlgorithm(_)), "{err}");
}

// ---------------------------------------------------------------- claims

#[test]
fn wrong_audience_is_refused() {
    let key = ec_pair();
    let v = verifier(vec![key.trusted("ec")]);
    let err =
        v.verify_token(&key.sign(&with(interuss_claims(NOW), "aud", json!("elsewhere"))), NOW).unwrap_err();
    assert!(matches!(err, AuthError::WrongAudience { ref got } if got == &["elsewhere"]), "{err}");
    let err =
        v.verify_token(&key.sign(&with(interuss_claims(NOW), "aud", json!(["a", "b"]))), NOW).unwrap_err();
    assert!(matches!(err, AuthError::WrongAudience { .. }), "{err}");
    let err = v.verify_token(&key.sign(&without(interuss_claims(NOW), "aud")), NOW).unwrap_err();
    assert!(matches!(err, AuthError::MissingAudience), "{err}");
    let err = v.verify_token(&key.sign(&with(interuss_claims(NOW), "aud", json!(7))), NOW).unwrap_err();
    assert!(matches!(err, AuthError::InvalidClaim { claim: "aud", .. }), "{err}");
}

#[test]
fn audience_array_and_several_accepted_audiences() {
    let key = ec_pair();
    let v = verifier(vec![key.trusted("ec")]);
    let token = key.sign(&with(interuss_claims(NOW), "aud", json!(["other", AUD])));
    v.verify_token(&token, NOW).unwrap();

    let v = Verifier::new(
        vec![key.trusted("ec")],
        vec!["dss.example.net".into(), AUD.into()],
        DEFAULT_MAX_EXP_AHEAD,
    )
    .unwrap();
    let token = key.sign(&with(interuss_claims(NOW), "aud", json!("dss.example.net")));
    v.verify_token(&token, NOW).unwrap();
}

#[test]
fn missing_exp_is_refused() {
    let key = rsa_a();
    let v = verifier(vec![key.trusted("rsa")]);
    let err = v.verify_token(&key.sign(&without(interuss_claims(NOW), "exp")), NOW).unwrap_err();
    assert!(matches!(err, AuthError::MissingExp), "{err}");
    let err = v.verify_token(&key.sign(&with(interuss_claims(NOW), "exp", json!("soon"))), NOW).unwrap_err();
    assert!(matches!(err, AuthError::InvalidClaim { claim: "exp", .. }), "{err}");
}

#[test]
fn exp_too_far_ahead_is_refused() {
    let key = rsa_a();
    let v = verifier(vec![key.trusted("rsa")]);
    let err =
        v.verify_token(&key.sign(&with(interuss_claims(NOW), "exp", json!(NOW + 7200))), NOW).unwrap_err();
    assert!(matches!(err, AuthError::ExpTooFarAhead { exp, .. } if exp == NOW + 7200), "{err}");
    // Within the leeway: a token minted by a clock 30 s ahead.
    v.verify_token(&key.sign(&with(interuss_claims(NOW), "exp", json!(NOW + 3630))), NOW).unwrap();
    // The maximum is configurable.
    let short = Verifier::new(vec![key.trusted("rsa")], vec![AUD.into()], Duration::from_secs(600)).unwrap();
    let err = short.verify_token(&key.sign(&interuss_claims(NOW)), NOW).unwrap_err();
    assert!(matches!(err, AuthError::ExpTooFarAhead { max_secs: 600, .. }), "{err}");
}

#[test]
fn expired_token_is_refused() {
    let key = rsa_a();
    let v = verifier(vec![key.trusted("rsa")]);
    let token = key.sign(&interuss_claims(NOW - 3700));
    let err = v.verify_token(&token, NOW).unwrap_err();
    assert!(matches!(err, AuthError::Expired { exp, now } if exp == NOW - 100 && now == NOW), "{err}");
    // Expired 30 s ago: still inside the default 60 s leeway; not with no leeway.
    let token = key.sign(&with(interuss_claims(NOW), "exp", json!(NOW - 30)));
    v.verify_token(&token, NOW).unwrap();
    let strict = verifier(vec![key.trusted("rsa")]).with_leeway(Duration::ZERO);
    assert!(matches!(strict.verify_token(&token, NOW), Err(AuthError::Expired { .. })));
}

/// A token verified once is accepted again without its signature being
/// checked, but its claims are: it still expires, and a token differing in
/// one byte is checked (and refused) in full.
#[test]
fn a_remembered_token_still_expires_and_a_changed_one_is_checked() {
    let key = ec_pair();
    let v = verifier(vec![key.trusted("ec")]);
    let token = key.sign(&interuss_claims(NOW));
    assert_eq!(v.verify_token(&token, NOW).unwrap().sub, "uss1");
    assert_eq!(
        v.clone().verify_token(&token, NOW + 60).unwrap().sub,
        "uss1",
        "clones share what they verified"
    );
    let later = NOW + 3600 + 61;
    assert!(matches!(v.verify_token(&token, later), Err(AuthError::Expired { .. })));
    let (head, sig) = token.rsplit_once('.').unwrap();
    let mut bytes = sig.as_bytes().to_vec();
    bytes[3] = if bytes[3] == b'A' { b'B' } else { b'A' };
    let forged = format!("{head}.{}", String::from_utf8(bytes).unwrap());
    assert!(matches!(
        v.verify_token(&forged, NOW),
        Err(AuthError::BadSignature | AuthError::MalformedToken(_))
    ));
}

#[test]
fn nbf_in_the_future_is_refused() {
    let key = ec_pair();
    let v = verifier(vec![key.trusted("ec")]);
    let token = key.sign(&with(interuss_claims(NOW), "nbf", json!(NOW + 300)));
    let err = v.verify_token(&token, NOW).unwrap_err();
    assert!(matches!(err, AuthError::NotYetValid { nbf, .. } if nbf == NOW + 300), "{err}");
    // Absent nbf is fine; fractional dates are accepted.
    v.verify_token(&key.sign(&without(interuss_claims(NOW), "nbf")), NOW).unwrap();
    v.verify_token(&key.sign(&with(interuss_claims(NOW), "nbf", json!(NOW as f64 - 0.5))), NOW).unwrap();
}

#[test]
fn empty_or_missing_sub_or_iss_is_refused() {
    let key = ec_pair();
    let v = verifier(vec![key.trusted("ec")]);
    for (claim, blanks, missing) in
        [("sub", &["", "  "][..], AuthError::MissingSub), ("iss", &[""], AuthError::MissingIss)]
    {
        let blank = blanks.iter().map(|b| with(interuss_claims(NOW), claim, json!(b)));
        for claims in blank.chain([without(interuss_claims(NOW), claim)]) {
            let err = v.verify_token(&key.sign(&claims), NOW).unwrap_err();
            assert_eq!(std::mem::discriminant(&err), std::mem::discriminant(&missing), "{claim}: {err}");
        }
    }
}

#[test]
fn scope_claim_forms() {
    let key = ec_pair();
    let v = verifier(vec![key.trusted("ec")]);
    let caller = v.verify_token(&key.sign(&without(interuss_claims(NOW), "scope")), NOW).unwrap();
    assert!(caller.scopes.is_empty());
    let err =
        v.verify_token(&key.sign(&with(interuss_claims(NOW), "scope", json!(["a", "b"]))), NOW).unwrap_err();
    assert!(matches!(err, AuthError::InvalidClaim { claim: "scope", .. }), "{err}");
    let caller = v.verify_token(&key.sign(&without(interuss_claims(NOW), "client_id")), NOW).unwrap();
    assert_eq!(caller.client_id, None);
}

// ---------------------------------------------------------------- issuers

#[test]
fn key_bound_to_another_issuer_is_refused() {
    let key = rsa_a();
    let v = verifier(vec![key.trusted("rsa").with_issuer("issuer-a")]);
    let token = key.sign(&with(interuss_claims(NOW), "iss", json!("issuer-b")));
    let err = v.verify_token(&token, NOW).unwrap_err();
    assert!(
        matches!(err, AuthError::IssuerMismatch { ref expected, ref got, .. }
            if expected == "issuer-a" && got == "issuer-b"),
        "{err}"
    );
    let token = key.sign(&with(interuss_claims(NOW), "iss", json!("issuer-a")));
    assert_eq!(v.verify_token(&token, NOW).unwrap().iss, "issuer-a");
}

#[test]
fn several_issuers_each_with_its_key() {
    let (a, b) = (rsa_a(), ec_pair());
    let v = verifier(vec![a.trusted("a").with_issuer("issuer-a"), b.trusted("b").with_issuer("issuer-b")]);
    let ok_a = a.sign(&with(interuss_claims(NOW), "iss", json!("issuer-a")));
    let ok_b = b.sign(&with(interuss_claims(NOW), "iss", json!("issuer-b")));
    v.verify_token(&ok_a, NOW).unwrap();
    v.verify_token(&ok_b, NOW).unwrap();
    // Key b claiming to be issuer a.
    let bad = b.sign(&with(interuss_claims(NOW), "iss", json!("issuer-a")));
    assert!(matches!(v.verify_token(&bad, NOW), Err(AuthError::IssuerMismatch { .. })));
}

#[test]
fn a_party_key_speaks_only_for_its_party() {
    let (a, b) = (ec_pair(), ec_pair());
    let v = verifier(vec![a.trusted("a").with_party("uss1"), b.trusted("b").with_party("uss2")]);
    // interuss_claims are for sub "uss1".
    assert_eq!(v.verify_token(&a.sign(&interuss_claims(NOW)), NOW).unwrap().sub, "uss1");
    let forged = b.sign(&interuss_claims(NOW));
    let err = v.verify_token(&forged, NOW).unwrap_err();
    assert!(
        matches!(err, AuthError::PartyMismatch { ref party, ref sub, .. } if party == "uss2" && sub == "uss1"),
        "{err}"
    );
    assert!(err.is_credential_error());
}

#[test]
fn a_key_grants_only_its_allow_list_jwks_and_issuer_bound_keys_alike() {
    let (party, operator) = (ec_pair(), ec_pair());
    // A party key from a JWKS, bound to an issuer and a party, with the default allow-list.
    let jwks_key =
        TrustedKey::from_jwk(&party.jwk("p1"), "jwks#p1").unwrap().with_issuer(ISS).with_party("uss1");
    let v = verifier(vec![jwks_key, operator.trusted("ops").with_grants(Grants::Any)]);
    let mut claims = interuss_claims(NOW);
    assert!(v.verify_token(&party.sign_with_kid(&claims, Some("p1")), NOW).is_ok(), "ordinary scopes");
    for privileged in scope::PRIVILEGED {
        claims["scope"] = json!(format!("utm.strategic_coordination {privileged}"));
        let err = v.verify_token(&party.sign_with_kid(&claims, Some("p1")), NOW).unwrap_err();
        assert!(
            matches!(err, AuthError::ScopeNotGranted { ref scope, ref key } if scope == privileged && key == "jwks#p1"),
            "{err}"
        );
        assert!(err.is_forbidden() && !err.is_credential_error());
        // The operator's key grants it.
        assert!(v.verify_token(&operator.sign(&claims), NOW).is_ok(), "{privileged}");
    }
    // Unknown scopes are not in any allow-list either.
    claims["scope"] = json!("utm.strategic_coordination made.up");
    assert!(matches!(
        v.verify_token(&party.sign_with_kid(&claims, Some("p1")), NOW),
        Err(AuthError::ScopeNotGranted { .. })
    ));
}

// ---------------------------------------------------------------- key files

#[test]
fn jwks_file_with_two_keys_selects_by_kid() {
    let (k1, k2) = (ec_pair(), ec_pair());
    let set = JwkSet { keys: vec![k1.jwk("k1"), k2.jwk("k2")] };
    let dir = tempdir();
    let path = write(dir.path(), "jwks.json", &serde_json::to_string(&set).unwrap());
    let keys = load_key_file(&path).unwrap();
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0].kid(), Some("k1"));
    assert_eq!(keys[1].kid(), Some("k2"));
    assert_eq!(keys[1].algorithm(), Algorithm::ES256);
    let v = verifier(keys);

    v.verify_token(&k1.sign_with_kid(&interuss_claims(NOW), Some("k1")), NOW).unwrap();
    v.verify_token(&k2.sign_with_kid(&interuss_claims(NOW), Some("k2")), NOW).unwrap();
    // No kid in the token: every key is tried.
    v.verify_token(&k2.sign(&interuss_claims(NOW)), NOW).unwrap();
    // The kid selects the key: signed by k2 but naming k1 (or an unknown kid).
    for kid in ["k1", "k3"] {
        let err = v.verify_token(&k2.sign_with_kid(&interuss_claims(NOW), Some(kid)), NOW).unwrap_err();
        assert!(matches!(err, AuthError::BadSignature), "{kid}: {err}");
    }
}

#[test]
fn jwks_with_rsa_key_and_unusable_keys() {
    let rsa = rsa_a();
    let ec = ec_pair();
    let mut jwks: Value = serde_json::to_value(JwkSet { keys: vec![rsa.jwk("r1"), ec.jwk("e1")] }).unwrap();
    let keys = jwks["keys"].as_array_mut().unwrap();
    keys.push(json!({"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"}));
    keys.push(json!({"kty": "RSA", "use": "enc", "kid": "enc", "n": "AQAB", "e": "AQAB"}));
    keys.push(json!({"kty": "weird"}));
    let dir = tempdir();
    let path = write(dir.path(), "jwks.json", &jwks.to_string());
    let keys = load_key_file(&path).unwrap();
    let kids: Vec<_> = keys.iter().map(|k| k.kid().unwrap()).collect();
    assert_eq!(kids, ["r1", "e1"]);
    assert_eq!(keys[0].algorithm(), Algorithm::RS256);
    assert!(keys[0].label().ends_with("#r1"));
    let v = verifier(keys);
    v.verify_token(&rsa.sign_with_kid(&interuss_claims(NOW), Some("r1")), NOW).unwrap();

    let path = write(dir.path(), "useless.json", r#"{"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}"#);
    assert!(matches!(load_key_file(&path), Err(AuthError::InvalidKey { .. })));
}

#[test]
fn pem_key_files() {
    let (rsa, ec) = (rsa_a(), ec_pair());
    let dir = tempdir();
    let one = write(dir.path(), "one.pem", &rsa.public_pem);
    let keys = load_key_file(&one).unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].algorithm(), Algorithm::RS256);
    assert_eq!(keys[0].kid(), None);

    let two = write(dir.path(), "two.pem", &format!("{}\n{}", rsa.public_pem, ec.public_pem));
    let keys = load_key_file(&two).unwrap();
    assert_eq!(
        keys.iter().map(TrustedKey::algorithm).collect::<Vec<_>>(),
        [Algorithm::RS256, Algorithm::ES256]
    );
    verifier(keys).verify_token(&ec.sign(&interuss_claims(NOW)), NOW).unwrap();

    let missing = dir.path().join("missing.pem");
    assert!(matches!(load_key_file(&missing), Err(AuthError::KeyFile { .. })));
    let junk = write(dir.path(), "junk.txt", "hello");
    assert!(matches!(load_key_file(&junk), Err(AuthError::InvalidKey { .. })));
}

#[test]
fn unusable_pem_keys_are_refused() {
    let ec = ec_pair();
    // A private key where a public key belongs.
    let err = TrustedKey::from_pem(ec.private_pem.as_bytes(), "private").unwrap_err();
    assert!(
        matches!(err, AuthError::InvalidKey { ref reason, .. } if reason.contains("private key")),
        "{err}"
    );
    // Garbage inside the markers.
    let junk = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
    assert!(matches!(TrustedKey::from_pem(junk.as_bytes(), "junk"), Err(AuthError::InvalidKey { .. })));
    // Nothing at all, or two keys.
    assert!(matches!(TrustedKey::from_pem(b"", "empty"), Err(AuthError::InvalidKey { .. })));
    let two = format!("{}{}", ec.public_pem, ec.public_pem);
    assert!(matches!(TrustedKey::from_pem(two.as_bytes(), "two"), Err(AuthError::InvalidKey { .. })));
    // An RSA key below 2048 bits.
    let small = rsa_pair(1024);
    let err = TrustedKey::from_pem(small.public_pem.as_bytes(), "small").unwrap_err();
    assert!(matches!(err, AuthError::InvalidKey { ref reason, .. } if reason.contains("1024 bits")), "{err}");
}

// ---------------------------------------------------------------- scopes

#[test]
fn scope_alternatives() {
    use scope::*;
    let required: &[&[&str]] = &[
        &[STRATEGIC_COORDINATION],
        &[STRATEGIC_COORDINATION, CONSTRAINT_PROCESSING],
        &[CONFORMANCE_MONITORING_SA],
    ];
    assert!(Scopes::parse("utm.strategic_coordination").satisfies(required));
    assert!(Scopes::parse("x  utm.conformance_monitoring_sa\ty").satisfies(required));
    assert!(!Scopes::parse("utm.constraint_processing utm.constraint_management").satisfies(required));
    assert!(!Scopes::parse("").satisfies(required));
    // AND inside an alternative.
    let both: &[&[&str]] = &[&[STRATEGIC_COORDINATION, CONSTRAINT_PROCESSING]];
    assert!(!Scopes::parse(STRATEGIC_COORDINATION).satisfies(both));
    assert!(Scopes::parse("utm.constraint_processing utm.strategic_coordination").satisfies(both));
    // Full names only; no alternatives is never satisfied.
    assert!(!Scopes::parse("utm.strategic").satisfies(&[&[STRATEGIC_COORDINATION]]));
    assert!(!Scopes::parse(ADMIN).satisfies(&[]));
}

#[test]
fn scopes_parse_and_display() {
    let scopes = Scopes::parse(" b a  b\n");
    assert_eq!(scopes.iter().collect::<Vec<_>>(), ["a", "b"]);
    assert_eq!(scopes.to_string(), "a b");
    assert!(scopes.has("a") && !scopes.has("c"));
    assert_eq!(Scopes::from_iter(["a b", "b"]), scopes);
    assert_eq!(scope::ALL_UTM.len(), 5);
    assert!(scope::ALL_UTM.iter().all(|s| s.starts_with("utm.")));
    assert_eq!(scope::TRACKS_WRITE, "deconflict.tracks.write");
}

// ---------------------------------------------------------------- dev key

fn dev_request(ttl_secs: u64) -> TokenRequest {
    TokenRequest {
        sub: "operator-1".into(),
        scopes: vec![scope::STRATEGIC_COORDINATION.into(), scope::TRACKS_WRITE.into()],
        audience: AUD.into(),
        ttl: Duration::from_secs(ttl_secs),
    }
}

#[test]
fn dev_key_created_then_reloaded() {
    let dir = tempdir();
    let path = dir.path().join("nested/dir/dev-key.pem");
    let first = DevKey::load_or_create(&path).unwrap();
    let pem = std::fs::read_to_string(&path).unwrap();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    // No temporary file left behind.
    assert_eq!(std::fs::read_dir(path.parent().unwrap()).unwrap().count(), 1);

    let second = DevKey::load_or_create(&path).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), pem, "the key file was rewritten");
    assert_eq!(first.kid(), second.kid());
    assert_eq!(first.public_key_pem(), second.public_key_pem());

    let v = verifier(vec![first.trusted_key().unwrap()]);
    let token = second.sign(&dev_request(600), NOW).unwrap();
    let caller = v.verify_header(Some(&bearer(&token)), NOW).unwrap();
    assert_eq!(caller.sub, "operator-1");
    assert_eq!(caller.iss, DevKey::ISSUER);
    assert_eq!(caller.client_id.as_deref(), Some("operator-1"));
    assert!(caller.scopes.satisfies(&[&[scope::TRACKS_WRITE, scope::STRATEGIC_COORDINATION]]));

    // The claims and header written.
    let header = jsonwebtoken::decode_header(&token).unwrap();
    assert_eq!(header.alg, Algorithm::ES256);
    assert_eq!(header.kid.as_deref(), Some(first.kid()));
    let claims: Value = jsonwebtoken::dangerous::insecure_decode_claims(&token).unwrap();
    assert_eq!(claims["nbf"], json!(NOW));
    assert_eq!(claims["iat"], json!(NOW));
    assert_eq!(claims["exp"], json!(NOW + 600));
    assert_eq!(claims["aud"], json!(AUD));
    assert_eq!(claims["scope"], json!("utm.strategic_coordination deconflict.tracks.write"));
    assert!(uuid::Uuid::parse_str(claims["jti"].as_str().unwrap()).is_ok());

    // Another dev key's tokens are not trusted.
    let other = DevKey::load_or_create(&dir.path().join("other.pem")).unwrap();
    let err = v.verify_token(&other.sign(&dev_request(600), NOW).unwrap(), NOW).unwrap_err();
    assert!(matches!(err, AuthError::BadSignature), "{err}");
}

#[test]
fn dev_token_longer_than_the_maximum_is_refused() {
    let dir = tempdir();
    let key = DevKey::load_or_create(&dir.path().join("k.pem")).unwrap();
    let v = verifier(vec![key.trusted_key().unwrap()]);
    let token = key.sign(&dev_request(2 * 3600), NOW).unwrap();
    assert!(matches!(v.verify_token(&token, NOW), Err(AuthError::ExpTooFarAhead { .. })));
}

#[test]
fn dev_key_refuses_bad_requests_and_bad_files() {
    let dir = tempdir();
    let key = DevKey::load_or_create(&dir.path().join("k.pem")).unwrap();
    for request in [
        TokenRequest { sub: String::new(), ..dev_request(60) },
        TokenRequest { audience: " ".into(), ..dev_request(60) },
        TokenRequest { scopes: vec!["a b".into()], ..dev_request(60) },
        dev_request(0),
    ] {
        assert!(matches!(key.sign(&request, NOW), Err(AuthError::Signing(_))), "{request:?}");
    }

    let garbage = write(dir.path(), "garbage.pem", "not a key");
    let err = DevKey::load_or_create(&garbage).unwrap_err();
    assert!(matches!(err, AuthError::DevKey { .. }), "{err}");
    assert_eq!(std::fs::read_to_string(&garbage).unwrap(), "not a key", "a bad file was overwritten");
}
