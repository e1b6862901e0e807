//! Request handlers, one module per resource. Each handler authenticates,
//! checks scopes, converts the wire body to domain types, calls the engine on a
//! blocking thread and converts the answer back.

pub mod alerts;
pub mod availability;
pub mod blind;
pub mod constraints;
pub mod events;
pub mod intents;
pub mod interuss;
pub mod lines;
pub mod messages;
pub mod notices;
pub mod operations;
pub mod ops;
pub mod parties;
pub mod reports;
pub mod responses;
pub mod subscriptions;
pub mod tracks;

use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequestParts, Path, RawPathParams};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// Path parameters with a JSON 400 when they do not parse.
#[derive(Debug)]
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(t)) => Ok(ApiPath(t)),
            Err(e) => {
                // Name the route's segments: the type's own error says what is wrong.
                let names = match RawPathParams::from_request_parts(parts, state).await {
                    Ok(raw) => raw.iter().map(|(name, _)| name.to_owned()).collect::<Vec<_>>().join(", "),
                    Err(_) => String::new(),
                };
                let why = match e {
                    PathRejection::FailedToDeserializePathParams(e) => e.kind().to_string(),
                    other => other.body_text(),
                };
                Err(ApiError::bad(format!("invalid path ({names}): {why}")))
            }
        }
    }
}

/// The path of a call on one line (`/v1/lines/{id}/...`).
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct LinePath {
    /// The line id.
    #[param(value_type = String)]
    pub id: deconflict_core::coord::LineId,
}

/// A query string with a JSON 400 naming the problem when it does not parse.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(t)| ApiQuery(t))
            .map_err(|e| ApiError::bad(format!("invalid query string: {}", e.body_text())))
    }
}

/// A `limit` query parameter: `default` when absent, 400 naming the bounds
/// outside `1..=max` (never silently clamped).
///
/// # Errors
/// [`ApiError::BadRequest`].
pub(crate) fn limit(value: Option<usize>, default: usize, max: usize) -> Result<usize, ApiError> {
    match value {
        None => Ok(default),
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(n) => Err(ApiError::bad(format!("limit must be 1 to {max}, not {n}"))),
    }
}

/// The `cursor` of a listing (the `next_cursor` of the page before), parsed
/// with `parse`.
///
/// # Errors
/// 400 naming `cursor` and what it must be.
pub(crate) fn cursor<C, E: std::fmt::Display>(
    value: Option<&str>,
    parse: impl Fn(&str) -> Result<C, E>,
) -> Result<Option<C>, ApiError> {
    value.map(|v| parse(v).map_err(|e| ApiError::bad(format!("cursor: {e}")))).transpose()
}
