//! The one error type of the HTTP layer. Every refusal is a JSON body
//! `{"message": ...}` with a status chosen in one place ([`ApiError::status`]);
//! 5xx bodies are generic and the details go to the log.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use deconflict_core::{EngineError, PartyName, StoreError};
use serde::Serialize;

use crate::auth::AuthError;
use crate::dto::scd::{AirspaceConflictDto, ConstraintRefDto, IntentRefDto};

/// Why a request failed.
#[derive(Debug)]
pub enum ApiError {
    /// 400: the request is malformed or breaks a rule.
    BadRequest(String),
    /// 401: no valid credentials.
    Unauthorized(String),
    /// 403: valid credentials, not allowed.
    Forbidden(String),
    /// 404: no such entity or route.
    NotFound(String),
    /// 409: version conflict or duplicate.
    Conflict(String),
    /// 409 with the F3548 `AirspaceConflictResponse` body.
    AirspaceConflict(Box<AirspaceConflictDto>),
    /// 408: the client did not send its request in time.
    RequestTimeout(String),
    /// 413: area or body or result set too large.
    TooLarge(String),
    /// 415: a body that is not JSON where JSON is required.
    UnsupportedMediaType(String),
    /// 429: a per-party quota is exhausted; `Retry-After` says when to try again.
    TooManyRequests {
        /// Names the quota and the limit.
        message: String,
        /// Seconds until trying again may succeed.
        retry_after_s: u64,
    },
    /// 503: storage unavailable or request deadline passed (nothing committed).
    Unavailable(String),
    /// 500: a bug or an unexpected backend failure; the text is only logged.
    Internal(String),
}

/// Every refusal's body (the OpenAPI `ErrorBody` schema).
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ErrorBody<'a> {
    /// What is wrong, naming the field or rule.
    message: &'a str,
}

impl ApiError {
    /// A 400 with this message.
    pub fn bad(message: impl Into<String>) -> Self {
        ApiError::BadRequest(message.into())
    }

    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) | ApiError::AirspaceConflict(_) => StatusCode::CONFLICT,
            ApiError::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Maps an engine refusal, showing `viewer` only what it may see.
    pub fn from_engine(err: EngineError, viewer: &PartyName) -> Self {
        match err {
            EngineError::BadRequest(m) => ApiError::BadRequest(m),
            EngineError::NotFound(m) => ApiError::NotFound(m),
            EngineError::Forbidden(m) => ApiError::Forbidden(m),
            EngineError::Stale(m) | EngineError::AlreadyExists(m) => ApiError::Conflict(m),
            e @ EngineError::Contention { .. } => ApiError::Conflict(e.to_string()),
            EngineError::MissingKeys(ref c) => ApiError::AirspaceConflict(Box::new(AirspaceConflictDto {
                message: err.to_string(),
                missing_operational_intents: c
                    .missing_intents
                    .iter()
                    .map(|oi| IntentRefDto::new(oi, viewer))
                    .collect(),
                missing_constraints: c
                    .missing_constraints
                    .iter()
                    .map(|k| ConstraintRefDto::new(k, viewer))
                    .collect(),
            })),
            e @ (EngineError::AreaTooLarge { .. }
            | EngineError::TooManyResults { .. }
            | EngineError::DurationTooLong { .. }
            | EngineError::ReportTooLarge { .. }) => ApiError::TooLarge(e.to_string()),
            e @ EngineError::QuotaExceeded { retry_after_s, .. } => {
                ApiError::TooManyRequests { message: e.to_string(), retry_after_s }
            }
            e @ (EngineError::Timeout | EngineError::Abandoned) => ApiError::Unavailable(e.to_string()),
            EngineError::Store(StoreError::OutcomeUnknown(m)) => {
                tracing::warn!(error = %m, "connection to storage lost during a commit");
                ApiError::Unavailable(
                    "the connection to storage was lost during the commit: the outcome is unknown (the \
                     write may or may not have been made); read the entity back before trying again"
                        .into(),
                )
            }
            EngineError::Store(StoreError::Unavailable(m)) => {
                tracing::warn!(error = %m, "store unavailable");
                ApiError::Unavailable("storage is unavailable; nothing was written, try again".into())
            }
            EngineError::Store(e) => ApiError::Internal(e.to_string()),
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        if e.is_forbidden() {
            ApiError::Forbidden(e.to_string())
        } else {
            ApiError::Unauthorized(e.to_string())
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let (mut response, reason) = match self {
            ApiError::AirspaceConflict(body) => {
                let reason = "missing keys of conflicting entities (AirspaceConflictResponse)".to_owned();
                ((status, Json(body)).into_response(), reason)
            }
            ApiError::TooManyRequests { message, retry_after_s } => (
                (
                    status,
                    [(axum::http::header::RETRY_AFTER, retry_after_s.to_string())],
                    Json(ErrorBody { message: &message }),
                )
                    .into_response(),
                message,
            ),
            ApiError::Internal(detail) => {
                let id = uuid::Uuid::new_v4();
                tracing::error!(error_id = %id, error = %detail, "internal error");
                let message = format!("internal error {id}; see the server log");
                ((status, Json(ErrorBody { message: &message })).into_response(), message)
            }
            ApiError::BadRequest(m)
            | ApiError::Unauthorized(m)
            | ApiError::Forbidden(m)
            | ApiError::NotFound(m)
            | ApiError::Conflict(m)
            | ApiError::RequestTimeout(m)
            | ApiError::TooLarge(m)
            | ApiError::UnsupportedMediaType(m)
            | ApiError::Unavailable(m) => ((status, Json(ErrorBody { message: &m })).into_response(), m),
        };
        response.extensions_mut().insert(Refusal(reason));
        response
    }
}

/// Why a request was refused, carried on the response for the access log
/// (the client reads the same text in the body).
#[derive(Debug, Clone)]
pub struct Refusal(pub String);
