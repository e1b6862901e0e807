//! Operations endpoints: `/healthz` (the store answers) and `/metrics`
//! (Prometheus text).

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::Serialize;

use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    status: &'static str,
    store: &'static str,
    operational_intents: u64,
    constraints: u64,
    subscriptions: u64,
    /// `complete`, or `partial` while the exchange with the other replicas
    /// is down (local tracks are still scanned and alerted).
    picture: &'static str,
}

/// `GET /healthz`: 200 when the store answers a read, 503 otherwise.
#[utoipa::path(get, path = "/healthz", tag = "ops", operation_id = "healthz",
    responses(
        (status = 200, description = "The store answers; entity counts.", body = Health),
        (status = 503, description = "The store does not answer.", body = ErrorBody),
    ))]
pub async fn healthz(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    let engine = state.engine.clone();
    let counts = tokio::task::spawn_blocking(move || engine.counts())
        .await
        .map_err(|e| ApiError::Internal(format!("health task failed: {e}")))?
        .map_err(|e| ApiError::Unavailable(format!("store does not answer: {e}")))?;
    crate::metrics::set_entity_counts(&counts);
    Ok(Json(Health {
        status: "ok",
        store: state.engine.store().kind(),
        operational_intents: counts.intents,
        constraints: counts.constraints,
        subscriptions: counts.subscriptions,
        picture: if state.live.picture_partial() { "partial" } else { "complete" },
    }))
}

/// `GET /metrics`: Prometheus text exposition.
#[utoipa::path(get, path = "/metrics", tag = "ops", operation_id = "metrics",
    responses((status = 200, description = "Prometheus text exposition format 0.0.4.", content_type = "text/plain; version=0.0.4", body = String)))]
pub async fn metrics() -> impl IntoResponse {
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain; version=0.0.4")], crate::metrics::render())
}
