//! Bearer-token verification.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use jsonwebtoken::crypto::CryptoProvider;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation};
use serde_json::{Map, Value};

use super::{AuthError, Scopes, TrustedKey};

/// The default of the verifier's maximum `exp` lead over now: one hour.
pub const DEFAULT_MAX_EXP_AHEAD: Duration = Duration::from_secs(3600);
/// The default clock-skew leeway applied to `exp`, `nbf` and the `exp` lead.
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(60);
/// Tokens longer than this are refused without parsing.
pub const MAX_TOKEN_LEN: usize = 16 * 1024;
/// Most tokens whose signature is remembered (see [`Verifier::verify_token`]).
pub const SIGNATURE_CACHE_SIZE: usize = 10_000;

/// Tokens whose signature a trusted key verified: the exact token text, its
/// claims and the index of the key. A USS sends the same token for up to an
/// hour; checking an ES256 signature cost about a third of the server's CPU
/// per request, checking the claims again costs next to nothing.
type SignatureCache = Mutex<HashMap<String, Arc<(Map<String, Value>, usize)>>>;

/// The authenticated caller of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The token's `sub`: the party of what the caller creates.
    pub sub: String,
    /// The token's `iss`.
    pub iss: String,
    /// The token's `scope`, parsed.
    pub scopes: Scopes,
    /// The token's `client_id`, when it is a string.
    pub client_id: Option<String>,
}

/// Verifies bearer tokens against a fixed set of trusted keys and accepted
/// audiences. Immutable once built; share it in an `Arc`.
#[derive(Debug, Clone)]
pub struct Verifier {
    keys: Vec<TrustedKey>,
    audiences: Vec<String>,
    max_exp_ahead: i64,
    leeway: i64,
    verified: Arc<SignatureCache>,
}

impl Verifier {
    /// Builds a verifier. `max_exp_ahead` bounds how far in the future a
    /// token's `exp` may lie (see [`DEFAULT_MAX_EXP_AHEAD`]); the leeway is
    /// [`DEFAULT_LEEWAY`] (change it with [`Verifier::with_leeway`]).
    ///
    /// Fails when `keys` or `audiences` is empty, an audience is blank,
    /// `max_exp_ahead` is zero, or jsonwebtoken has no crypto provider.
    pub fn new(
        keys: Vec<TrustedKey>,
        audiences: Vec<String>,
        max_exp_ahead: Duration,
    ) -> Result<Self, AuthError> {
        if keys.is_empty() {
            return Err(AuthError::Config("no trusted token-signing keys configured".into()));
        }
        if audiences.is_empty() {
            return Err(AuthError::Config("no accepted token audiences configured".into()));
        }
        if audiences.iter().any(|a| a.trim().is_empty()) {
            return Err(AuthError::Config("an accepted token audience is blank".into()));
        }
        if max_exp_ahead.is_zero() {
            return Err(AuthError::Config("the maximum token lifetime must be positive".into()));
        }
        CryptoProvider::try_get_default().ok_or(AuthError::NoCryptoProvider)?;
        Ok(Self {
            keys,
            audiences,
            max_exp_ahead: secs_i64(max_exp_ahead),
            leeway: secs_i64(DEFAULT_LEEWAY),
            verified: Arc::default(),
        })
    }

    /// Replaces the clock-skew leeway (whole seconds).
    pub fn with_leeway(mut self, leeway: Duration) -> Self {
        self.leeway = secs_i64(leeway);
        self
    }

    /// The trusted keys.
    pub fn keys(&self) -> &[TrustedKey] {
        &self.keys
    }

    /// The accepted audiences.
    pub fn audiences(&self) -> &[String] {
        &self.audiences
    }

    /// Verifies the value of an `Authorization` header (`None` when the
    /// request has none): `Bearer <JWT>`, the scheme case-insensitive.
    pub fn verify_header(&self, header_value: Option<&str>, now_unix: i64) -> Result<Caller, AuthError> {
        let value = header_value.ok_or(AuthError::MissingHeader)?.trim();
        if value.is_empty() {
            return Err(AuthError::MalformedHeader("empty value; expected `Bearer <token>`"));
        }
        let (scheme, token) =
            value.split_once([' ', '\t']).ok_or(AuthError::MalformedHeader("expected `Bearer <token>`"))?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(AuthError::MalformedHeader("the scheme is not Bearer"));
        }
        let token = token.trim();
        if token.is_empty() {
            return Err(AuthError::MalformedHeader("no token after Bearer"));
        }
        if token.contains(|c: char| c.is_ascii_whitespace()) {
            return Err(AuthError::MalformedHeader("the token contains whitespace"));
        }
        self.verify_token(token, now_unix)
    }

    /// Verifies a bare JWT at time `now_unix` (seconds since the epoch).
    ///
    /// The signature of a token seen before (the same text, byte for byte)
    /// is not checked again: its claims, issuer and key are remembered (at
    /// most `SIGNATURE_CACHE_SIZE` (10,000) tokens, then forgotten at once). Every
    /// claim is still checked against `now_unix` on each use, so a remembered
    /// token expires as any other.
    pub fn verify_token(&self, token: &str, now_unix: i64) -> Result<Caller, AuthError> {
        let known = self.verified.lock().unwrap_or_else(PoisonError::into_inner).get(token).cloned();
        if let Some(entry) = known
            && let Some(key) = self.keys.get(entry.1)
        {
            return self.accept(&entry.0, key, now_unix);
        }
        let (claims, index) = self.verify_signature(token)?;
        let Some(key) = self.keys.get(index) else { return Err(AuthError::BadSignature) };
        let caller = self.accept(&claims, key, now_unix)?;
        let mut cache = self.verified.lock().unwrap_or_else(PoisonError::into_inner);
        if cache.len() >= SIGNATURE_CACHE_SIZE {
            cache.clear();
        }
        cache.insert(token.to_owned(), Arc::new((claims, index)));
        Ok(caller)
    }

    /// The claims' check against `now` and the key's grants.
    fn accept(&self, claims: &Map<String, Value>, key: &TrustedKey, now: i64) -> Result<Caller, AuthError> {
        let caller = self.check_claims(claims, now)?;
        if let Some(scope) = caller.scopes.iter().find(|s| !key.grants().allows(s)) {
            return Err(AuthError::ScopeNotGranted { scope: scope.to_owned(), key: key.label().to_owned() });
        }
        Ok(caller)
    }

    /// The claims of `token` and the index of the trusted key whose signature
    /// (and issuer and party, when the key names them) it carries.
    fn verify_signature(&self, token: &str) -> Result<(Map<String, Value>, usize), AuthError> {
        if token.is_empty() {
            return Err(AuthError::MalformedToken("empty token".into()));
        }
        if token.len() > MAX_TOKEN_LEN {
            return Err(AuthError::MalformedToken(format!("token is longer than {MAX_TOKEN_LEN} bytes")));
        }
        let header = jsonwebtoken::decode_header(token)
            .map_err(|e| AuthError::MalformedToken(format!("bad JOSE header: {e}")))?;
        if !matches!(header.alg, Algorithm::RS256 | Algorithm::ES256) {
            return Err(AuthError::UnsupportedAlgorithm(format!("{:?}", header.alg)));
        }
        let validation = signature_only_validation(header.alg);

        let mut issuer_mismatch = None;
        let mut verified = None;
        let candidates = self.keys.iter().enumerate().filter(|(_, key)| {
            key.algorithm() == header.alg
                && match (header.kid.as_deref(), key.kid()) {
                    (Some(token_kid), Some(key_kid)) => token_kid == key_kid,
                    _ => true,
                }
        });
        for (index, key) in candidates {
            match jsonwebtoken::decode::<Value>(token, key.decoding_key(), &validation) {
                Ok(data) => {
                    if let Some(expected) = key.issuer() {
                        let got = data.claims.get("iss").and_then(Value::as_str).unwrap_or("");
                        if got != expected {
                            issuer_mismatch = Some(AuthError::IssuerMismatch {
                                expected: expected.to_owned(),
                                got: got.to_owned(),
                                key: key.label().to_owned(),
                            });
                            continue;
                        }
                    }
                    if let Some(party) = key.party() {
                        let sub = data.claims.get("sub").and_then(Value::as_str).unwrap_or("");
                        if sub != party {
                            issuer_mismatch = Some(AuthError::PartyMismatch {
                                party: party.to_owned(),
                                sub: sub.to_owned(),
                                key: key.label().to_owned(),
                            });
                            continue;
                        }
                    }
                    verified = Some((data.claims, index));
                    break;
                }
                Err(e) => match e.kind() {
                    ErrorKind::InvalidToken
                    | ErrorKind::Base64(_)
                    | ErrorKind::Json(_)
                    | ErrorKind::Utf8(_) => {
                        return Err(AuthError::MalformedToken(e.to_string()));
                    }
                    ErrorKind::InvalidSignature => {}
                    _ => tracing::debug!(key = key.label(), error = %e, "token not verified"),
                },
            }
        }
        let (claims, index) = match verified {
            Some(found) => found,
            None => return Err(issuer_mismatch.unwrap_or(AuthError::BadSignature)),
        };
        let Value::Object(claims) = claims else {
            return Err(AuthError::MalformedToken("the claims are not a JSON object".into()));
        };
        Ok((claims, index))
    }

    fn check_claims(&self, claims: &Map<String, Value>, now: i64) -> Result<Caller, AuthError> {
        let exp = numeric_date(claims, "exp")?.ok_or(AuthError::MissingExp)?;
        if now >= exp.saturating_add(self.leeway) {
            return Err(AuthError::Expired { exp, now });
        }
        if exp > now.saturating_add(self.max_exp_ahead).saturating_add(self.leeway) {
            return Err(AuthError::ExpTooFarAhead { exp, now, max_secs: self.max_exp_ahead });
        }
        if let Some(nbf) = numeric_date(claims, "nbf")?
            && nbf > now.saturating_add(self.leeway)
        {
            return Err(AuthError::NotYetValid { nbf, now });
        }

        let iss = non_empty_string(claims, "iss")?.ok_or(AuthError::MissingIss)?;
        let sub = non_empty_string(claims, "sub")?.ok_or(AuthError::MissingSub)?;

        let audiences: Vec<&str> = match claims.get("aud") {
            None | Some(Value::Null) => return Err(AuthError::MissingAudience),
            Some(Value::String(aud)) => vec![aud.as_str()],
            Some(Value::Array(items)) => items.iter().map(Value::as_str).collect::<Option<Vec<_>>>().ok_or(
                AuthError::InvalidClaim { claim: "aud", reason: "not a string or an array of strings" },
            )?,
            Some(_) => {
                return Err(AuthError::InvalidClaim {
                    claim: "aud",
                    reason: "not a string or an array of strings",
                });
            }
        };
        if audiences.is_empty() {
            return Err(AuthError::MissingAudience);
        }
        if !audiences.iter().any(|aud| self.audiences.iter().any(|ok| ok == aud)) {
            return Err(AuthError::WrongAudience { got: audiences.into_iter().map(str::to_owned).collect() });
        }

        let scopes = match claims.get("scope") {
            None | Some(Value::Null) => Scopes::default(),
            Some(Value::String(scope)) => Scopes::parse(scope),
            Some(_) => {
                return Err(AuthError::InvalidClaim {
                    claim: "scope",
                    reason: "not a space-separated string",
                });
            }
        };
        let client_id = claims.get("client_id").and_then(Value::as_str).map(str::to_owned);

        Ok(Caller { sub: sub.to_owned(), iss: iss.to_owned(), scopes, client_id })
    }
}

/// A validation that checks the algorithm and the signature only: the claims
/// are checked by [`Verifier::check_claims`] against the caller's clock.
fn signature_only_validation(alg: Algorithm) -> Validation {
    let mut validation = Validation::new(alg);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation
}

/// A NumericDate claim: `None` when absent; fractional seconds are truncated
/// toward negative infinity.
fn numeric_date(claims: &Map<String, Value>, claim: &'static str) -> Result<Option<i64>, AuthError> {
    const INVALID: &str = "not a NumericDate (a number of seconds)";
    match claims.get(claim) {
        None => Ok(None),
        Some(Value::Number(n)) => {
            if let Some(secs) = n.as_i64() {
                Ok(Some(secs))
            } else if let Some(secs) = n.as_f64().filter(|f| f.is_finite()) {
                // `as` saturates at the i64 bounds, which is what we want here.
                #[allow(clippy::cast_possible_truncation)]
                Ok(Some(secs.floor() as i64))
            } else {
                Err(AuthError::InvalidClaim { claim, reason: INVALID })
            }
        }
        Some(_) => Err(AuthError::InvalidClaim { claim, reason: INVALID }),
    }
}

/// A string claim that must not be blank: `None` when absent, null or blank.
fn non_empty_string<'a>(
    claims: &'a Map<String, Value>,
    claim: &'static str,
) -> Result<Option<&'a str>, AuthError> {
    match claims.get(claim) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(AuthError::InvalidClaim { claim, reason: "not a string" }),
    }
}

fn secs_i64(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}
