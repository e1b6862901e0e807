//! The one error type of the auth module.

use std::path::PathBuf;

/// Everything that can go wrong in authentication.
///
/// The variants up to and including [`AuthError::InvalidClaim`] describe a bad
/// credential on a request: the server answers them with HTTP 401
/// ([`AuthError::is_credential_error`] is true for exactly those).
/// [`AuthError::ScopeNotGranted`] is a good credential asking for more than
/// its key may grant: 403 ([`AuthError::is_forbidden`]). The others are
/// configuration or internal failures (loading keys, the development key,
/// signing) that belong at startup or in the CLI.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    // ---- request credentials (401) ----
    /// No `Authorization` header on the request.
    #[error("missing Authorization header")]
    MissingHeader,
    /// The `Authorization` header is not `Bearer <token>`.
    #[error("malformed Authorization header: {0}")]
    MalformedHeader(&'static str),
    /// The bearer token is not a well-formed JWT.
    #[error("malformed bearer token: {0}")]
    MalformedToken(String),
    /// The token's `alg` is not one we accept.
    #[error("token algorithm {0} is not accepted (RS256 or ES256 only)")]
    UnsupportedAlgorithm(String),
    /// No trusted key verified the token signature.
    #[error("bad token signature: no trusted key verified it")]
    BadSignature,
    /// A trusted key bound to an issuer verified the token, but the token names
    /// another issuer.
    #[error("token issuer {got:?} does not match the issuer {expected:?} bound to key {key}")]
    IssuerMismatch {
        /// The issuer bound to the key.
        expected: String,
        /// The token's `iss` (empty when absent).
        got: String,
        /// The label of the key that verified the signature.
        key: String,
    },
    /// A key bound to one party verified a token whose `sub` names another.
    #[error("token for {sub:?} is signed by key {key}, which may only speak for party {party:?}")]
    PartyMismatch {
        /// The party bound to the key.
        party: String,
        /// The token's `sub` (empty when absent).
        sub: String,
        /// The label of the key that verified the signature.
        key: String,
    },
    /// The token has no `exp` claim.
    #[error("token has no exp claim")]
    MissingExp,
    /// The token expired.
    #[error("token expired at {exp} (now {now})")]
    Expired {
        /// The token's `exp`.
        exp: i64,
        /// The time of the check.
        now: i64,
    },
    /// The token's `exp` is further ahead than the verifier allows.
    #[error("token exp {exp} is too far ahead (now {now}, at most {max_secs} s ahead allowed)")]
    ExpTooFarAhead {
        /// The token's `exp`.
        exp: i64,
        /// The time of the check.
        now: i64,
        /// The configured maximum lifetime left, in seconds.
        max_secs: i64,
    },
    /// The token's `nbf` lies in the future.
    #[error("token not valid before {nbf} (now {now})")]
    NotYetValid {
        /// The token's `nbf`.
        nbf: i64,
        /// The time of the check.
        now: i64,
    },
    /// The token has no `aud` claim.
    #[error("token has no aud claim")]
    MissingAudience,
    /// None of the token's audiences is accepted here.
    #[error("token audience {got:?} is not accepted")]
    WrongAudience {
        /// The token's audiences.
        got: Vec<String>,
    },
    /// The token has no `sub` claim, or an empty one.
    #[error("token has no sub claim (or an empty one)")]
    MissingSub,
    /// The token has no `iss` claim, or an empty one.
    #[error("token has no iss claim (or an empty one)")]
    MissingIss,
    /// A claim is present but of the wrong type.
    #[error("token claim {claim} is invalid: {reason}")]
    InvalidClaim {
        /// The claim's name.
        claim: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },

    // ---- authorisation (403) ----
    /// A valid token asks for a scope its signing key may not grant.
    #[error("token scope {scope} is not granted by key {key}: that key may not grant it")]
    ScopeNotGranted {
        /// The first scope over the key's allow-list.
        scope: String,
        /// The label of the key that verified the token.
        key: String,
    },

    // ---- configuration and internal errors ----
    /// The verifier was configured without keys or audiences, or with bad values.
    #[error("auth configuration: {0}")]
    Config(String),
    /// A key file could not be read or written.
    #[error("key file {path}: {source}")]
    KeyFile {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A trusted key could not be parsed or is not usable.
    #[error("trusted key {label}: {reason}")]
    InvalidKey {
        /// Where the key came from.
        label: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The development key file exists but holds no usable key.
    #[error("development key {path}: {reason}")]
    DevKey {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A token could not be signed.
    #[error("cannot sign token: {0}")]
    Signing(String),
    /// jsonwebtoken has no crypto provider (a build configuration error).
    #[error(
        "jsonwebtoken has no crypto provider (enable exactly one of its rust_crypto and aws_lc_rs features)"
    )]
    NoCryptoProvider,
}

impl AuthError {
    /// True for errors that describe a bad or missing credential on a request
    /// (the server answers 401); false for configuration and internal errors.
    pub fn is_credential_error(&self) -> bool {
        matches!(
            self,
            Self::MissingHeader
                | Self::MalformedHeader(_)
                | Self::MalformedToken(_)
                | Self::UnsupportedAlgorithm(_)
                | Self::BadSignature
                | Self::IssuerMismatch { .. }
                | Self::PartyMismatch { .. }
                | Self::MissingExp
                | Self::Expired { .. }
                | Self::ExpTooFarAhead { .. }
                | Self::NotYetValid { .. }
                | Self::MissingAudience
                | Self::WrongAudience { .. }
                | Self::MissingSub
                | Self::MissingIss
                | Self::InvalidClaim { .. }
        )
    }

    /// True for a valid token that asks for more than its key may grant (403).
    pub fn is_forbidden(&self) -> bool {
        matches!(self, Self::ScopeNotGranted { .. })
    }

    pub(crate) fn invalid_key(label: &str, reason: impl Into<String>) -> Self {
        Self::InvalidKey { label: label.to_owned(), reason: reason.into() }
    }
}
