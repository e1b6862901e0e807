//! Request extractors whose rejections are [`ApiError`]s, so malformed input
//! always gets a JSON 4xx naming the problem: the JSON body, path segments
//! and the authenticated caller.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::request::Parts;
use deconflict_core::{App, Ctx, EngineError, PartyName, Roles};
use serde::de::DeserializeOwned;

use crate::auth::Caller;
use crate::auth::scope::Need;
use crate::error::ApiError;
use crate::net::ClientIdentity;
use crate::state::AppState;

/// A JSON body, parsed with a 400 (or 413, or 415) naming what is wrong.
///
/// Parsing is strict: a field the type does not declare is refused with its
/// JSON path (`extents[0].volume.altitude_lowr`), as is any other error; the
/// known legacy fields some clients still send are declared on the DTOs and
/// ignored there. A body sent with a `Content-Type` that is not JSON gets
/// 415; a body without one is read as JSON.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = json_bytes(req, state).await?;
        if bytes.is_empty() {
            return Err(ApiError::bad("request body is empty; a JSON object is required"));
        }
        parse_json(&bytes).map(ApiJson)
    }
}

/// A JSON body that may be absent: an empty body is `None`, anything else is
/// parsed as strictly as [`ApiJson`] (used where F3548 clients send a body
/// with a `DELETE`).
#[derive(Debug)]
pub struct OptionalJson<T>(pub Option<T>);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = json_bytes(req, state).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalJson(None));
        }
        parse_json(&bytes).map(|v| OptionalJson(Some(v)))
    }
}

/// Parses JSON strictly, naming the JSON path of the first problem.
///
/// # Errors
/// 400 naming the path and the problem.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." || path.is_empty() {
            ApiError::bad(format!("invalid JSON body: {inner}"))
        } else {
            ApiError::bad(format!("invalid JSON body at {path}: {inner}"))
        }
    })?;
    de.end().map_err(|e| ApiError::bad(format!("invalid JSON body: {e}")))?;
    Ok(value)
}

/// The body's bytes, after checking that any `Content-Type` is JSON.
async fn json_bytes<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    if let Some(ct) = req.headers().get(CONTENT_TYPE) {
        let text = ct.to_str().unwrap_or("");
        let essence = text.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        if essence != "application/json"
            && !(essence.starts_with("application/") && essence.ends_with("+json"))
        {
            return Err(ApiError::UnsupportedMediaType(format!(
                "Content-Type {text:?} is not JSON; send the body as application/json"
            )));
        }
    }
    Bytes::from_request(req, state).await.map_err(|e| {
        if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge("request body is larger than the configured limit".into())
        } else {
            ApiError::bad(format!("could not read the request body: {e}"))
        }
    })
}

/// The authenticated caller: a verified bearer token.
#[derive(Debug, Clone)]
pub struct Authed {
    /// The token's claims.
    pub caller: Caller,
    /// The party (`sub`).
    pub party: PartyName,
}

impl Authed {
    /// 403 unless the token's scopes satisfy one of `alternatives` (an OR of ANDs).
    ///
    /// # Errors
    /// [`ApiError::Forbidden`] naming the scopes that would do.
    pub fn require(&self, alternatives: &[&[&str]]) -> Result<(), ApiError> {
        if self.caller.scopes.satisfies(alternatives) {
            return Ok(());
        }
        let wanted: Vec<String> = alternatives.iter().map(|all| all.join(" + ")).collect();
        Err(ApiError::Forbidden(format!(
            "token lacks the scope this endpoint needs: one of [{}]",
            wanted.join(", ")
        )))
    }

    /// The caller's roles, from its token's scopes ([`Scopes::roles`](crate::auth::Scopes::roles)).
    pub fn roles(&self) -> Roles {
        self.caller.scopes.roles()
    }
}

impl FromRequestParts<AppState> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let header = match parts.headers.get(AUTHORIZATION) {
            None => None,
            Some(v) => Some(
                v.to_str().map_err(|_| ApiError::Unauthorized("Authorization header is not ASCII".into()))?,
            ),
        };
        let caller = state.verifier.verify_header(header, state.clock.now_unix())?;
        // With client certificates, the certificate is a second factor: it
        // must name the party the token speaks for.
        if let Some(id) = parts.extensions.get::<ClientIdentity>()
            && !id.names(&caller.sub)
        {
            return Err(ApiError::Forbidden(format!(
                "the client certificate names {:?}, not {:?}, the party of the token",
                id.names, caller.sub
            )));
        }
        let party = PartyName::new(&caller.sub)
            .map_err(|e| ApiError::Forbidden(format!("token sub cannot name a party: {e}")))?;
        Ok(Authed { caller, party })
    }
}

/// What most handlers answer: a JSON body, or the refusal.
pub type Reply<T> = Result<axum::Json<T>, ApiError>;

/// A handler's call: the authenticated caller, already checked to hold the
/// scopes `N` requires (403 otherwise, before the path or body is read), and
/// the service to run it against.
#[derive(Debug)]
pub struct Call<N> {
    /// The service.
    pub state: AppState,
    /// The caller.
    pub authed: Authed,
    need: std::marker::PhantomData<N>,
}

impl<N: Need> FromRequestParts<AppState> for Call<N> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let authed = Authed::from_request_parts(parts, state).await?;
        authed.require(N::ALTERNATIVES)?;
        Ok(Call { state: state.clone(), authed, need: std::marker::PhantomData })
    }
}

impl<N> Call<N> {
    /// The caller's party.
    pub fn party(&self) -> &PartyName {
        &self.authed.party
    }

    /// Runs `f` as the caller ([`AppState::run`]).
    ///
    /// # Errors
    /// What `f` returns, mapped to its HTTP answer.
    pub async fn run<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&App, &Ctx) -> Result<T, EngineError> + Send + 'static,
    {
        self.state.run(&self.authed, f).await
    }
}
