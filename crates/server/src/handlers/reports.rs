//! `POST /dss/v1/reports`: a USS reports a problem with another. The core
//! stores it (bounded, rate-limited, kept for a retention period) and gives it
//! an id; the log gets a one-line summary, never the report itself.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::scopes;
use crate::error::ApiError;
use crate::extract::{ApiJson, Authed};
use crate::state::AppState;

/// F3548 `ErrorReport` as received: the exchange is kept as given.
#[derive(Debug, Deserialize)]
pub struct ReportIn {
    /// The exchange that went wrong (required).
    pub exchange: Option<serde_json::Value>,
}

/// F3548 `ErrorReport` as returned, with the id the DSS gave it.
#[derive(Debug, Serialize)]
pub struct ReportOut {
    report_id: String,
    exchange: serde_json::Value,
}

/// `POST /dss/v1/reports`: 201 with a report id.
pub async fn make(
    State(state): State<AppState>,
    authed: Authed,
    ApiJson(body): ApiJson<ReportIn>,
) -> Result<(StatusCode, Json<ReportOut>), ApiError> {
    authed.require(scopes::ANY_UTM)?;
    let exchange = body.exchange.ok_or_else(|| ApiError::bad("exchange is required"))?;
    if !exchange.is_object() {
        return Err(ApiError::bad("exchange must be an object (F3548 ExchangeRecord)"));
    }
    let text = exchange.to_string();
    let filed = state.run(&authed, move |e, ctx| e.file_report(ctx, &text)).await?;
    tracing::info!(report_id = %filed.id, reporter = %authed.manager, bytes = filed.bytes, "DSS report stored");
    Ok((StatusCode::CREATED, Json(ReportOut { report_id: filed.id, exchange })))
}
