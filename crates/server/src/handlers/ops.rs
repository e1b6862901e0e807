//! Operations endpoints: `/healthz` (the store answers) and `/metrics`
//! (Prometheus text). On the public listener `/healthz` says only whether
//! the service is up unless the caller is the operator, and `/metrics` needs
//! the operator's token; the admin listener (`--admin-listen`, for a private
//! network) serves both in full without a token.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use serde::Serialize;

use super::responses::AdminOnly;
use crate::auth::scope::Admin;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Call;
use crate::state::AppState;

/// Health: `status` for everyone, the rest for the operator only.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok`.
    status: &'static str,
    /// The store kind (operator only).
    #[serde(skip_serializing_if = "Option::is_none")]
    store: Option<&'static str>,
    /// Stored operational intents (operator only).
    #[serde(skip_serializing_if = "Option::is_none")]
    operational_intents: Option<u64>,
    /// Stored constraints (operator only).
    #[serde(skip_serializing_if = "Option::is_none")]
    constraints: Option<u64>,
    /// Stored subscriptions (operator only).
    #[serde(skip_serializing_if = "Option::is_none")]
    subscriptions: Option<u64>,
    /// The live picture (operator only): `complete`, or `partial` while the
    /// exchange with the other replicas is down (local tracks are still
    /// scanned and alerted).
    #[serde(skip_serializing_if = "Option::is_none")]
    picture: Option<&'static str>,
}

/// Whether the request carries a valid operator token (a bad token is a 401).
fn operator(state: &AppState, headers: &HeaderMap) -> Result<bool, ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else { return Ok(false) };
    let value =
        value.to_str().map_err(|_| ApiError::Unauthorized("Authorization header is not ASCII".into()))?;
    let caller = state.verifier.verify_header(Some(value), state.clock.now_unix())?;
    Ok(caller.scopes.has(crate::auth::scope::ADMIN))
}

/// `GET /healthz`: 200 when the store answers a read, 503 otherwise; the
/// counts only for the operator.
#[utoipa::path(get, path = "/healthz", tag = "ops", operation_id = "healthz",
    responses(
        (status = 200, description = "The store answers: `{\"status\": \"ok\"}`, and for the operator the store kind, entity counts and whether the live picture is partial.", body = Health),
        (status = 401, description = "A token was given and is invalid.", body = ErrorBody),
        (status = 503, description = "The store does not answer.", body = ErrorBody),
    ),
    security((), ("bearer" = ["deconflict.admin"])))]
pub async fn healthz(State(state): State<AppState>, headers: HeaderMap) -> Result<Json<Health>, ApiError> {
    let detailed = operator(&state, &headers)?;
    health(&state, detailed).await
}

/// `GET /healthz` of the admin listener: always detailed.
pub async fn healthz_admin(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    health(&state, true).await
}

async fn health(state: &AppState, detailed: bool) -> Result<Json<Health>, ApiError> {
    let counts = crate::tasks::blocking(&state.app, |app| app.engine().counts())
        .await
        .map_err(|e| ApiError::Unavailable(format!("store does not answer: {e}")))?;
    crate::metrics::set_entity_counts(&counts);
    let only = |v: u64| detailed.then_some(v);
    Ok(Json(Health {
        status: "ok",
        store: detailed.then(|| state.app.runner().store().kind()),
        operational_intents: only(counts.intents),
        constraints: only(counts.constraints),
        subscriptions: only(counts.subscriptions),
        picture: detailed.then(|| if state.live.picture_partial() { "partial" } else { "complete" }),
    }))
}

/// `GET /metrics`: Prometheus text exposition, for the operator.
#[utoipa::path(get, path = "/metrics", tag = "ops", operation_id = "metrics",
    responses(AdminOnly, (status = 200, description = "Prometheus text exposition format 0.0.4.", content_type = "text/plain; version=0.0.4", body = String)),
    security(("bearer" = ["deconflict.admin"])))]
pub async fn metrics(call: Call<Admin>) -> impl IntoResponse {
    metrics_admin(State(call.state)).await
}

/// `GET /metrics` of the admin listener: no token.
pub async fn metrics_admin(State(state): State<AppState>) -> impl IntoResponse {
    // Write transactions run again because a concurrent writer won (the
    // runner counts them; with several servers in one process, the last asks).
    let runner = state.app.runner();
    ::metrics::counter!("deconflict_tx_retries_total").absolute(runner.retries());
    ::metrics::counter!("deconflict_writes_abandoned_total").absolute(runner.abandoned_writes());
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain; version=0.0.4")], crate::metrics::render())
}
