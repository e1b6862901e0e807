//! Operations endpoints: `/healthz` (the store answers) and `/metrics`
//! (Prometheus text).

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::Serialize;

use crate::error::ApiError;
use crate::state::AppState;

#[derive(Debug, Serialize)]
pub struct Health {
    status: &'static str,
    store: &'static str,
    operational_intents: u64,
    constraints: u64,
    subscriptions: u64,
}

/// `GET /healthz`: 200 when the store answers a read, 503 otherwise.
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
    }))
}

/// `GET /metrics`: Prometheus text exposition.
pub async fn metrics() -> impl IntoResponse {
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain; version=0.0.4")], crate::metrics::render())
}
