//! `POST /dss/v1/reports`: a USS reports a problem with another. The core
//! stores it (bounded, rate-limited, kept for a retention period) and gives it
//! an id; the log gets a one-line summary, never the report itself.

use axum::Json;
use axum::http::StatusCode;
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::auth::scope::AnyUtm;
use crate::error::ApiError;
use crate::extract::{ApiJson, Call};

/// F3548 `ErrorReport` as received.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportIn {
    /// Assigned by the DSS; a client may send it (empty): ignored.
    #[serde(default)]
    pub report_id: Option<IgnoredAny>,
    /// The exchange that went wrong (required).
    pub exchange: Option<ExchangeRecordDto>,
}

/// F3548 `ExchangeRecord`: every field as the reporter gave it, unknown
/// fields refused.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExchangeRecordDto {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    url: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    method: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    headers: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    recorder_role: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    request_time: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    request_body: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    response_time: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    response_body: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    response_code: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    problem: Option<Value>,
}

/// F3548 `ErrorReport` as returned, with the id the DSS gave it.
#[derive(Debug, Serialize)]
pub struct ReportOut {
    report_id: String,
    exchange: Value,
}

/// `POST /dss/v1/reports`: 201 with a report id.
pub async fn make(
    call: Call<AnyUtm>,
    ApiJson(body): ApiJson<ReportIn>,
) -> Result<(StatusCode, Json<ReportOut>), ApiError> {
    let exchange = body.exchange.ok_or_else(|| ApiError::bad("exchange is required"))?;
    let exchange = serde_json::to_value(&exchange).map_err(|e| ApiError::Internal(e.to_string()))?;
    let text = exchange.to_string();
    let filed = call.run(move |e, ctx| e.engine().file_report(ctx, &text)).await?;
    tracing::info!(report_id = %filed.id, reporter = %call.party(), bytes = filed.bytes, "DSS report stored");
    Ok((StatusCode::CREATED, Json(ReportOut { report_id: filed.id, exchange })))
}
