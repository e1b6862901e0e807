//! The InterUSS auxiliary endpoints that test tools use.

use axum::Json;
use axum::extract::State;
use serde::Serialize;

use crate::error::ApiError;
use crate::extract::Authed;
use crate::state::AppState;

#[derive(Debug, Serialize)]
pub struct VersionDto {
    version: VersionInner,
}

#[derive(Debug, Serialize)]
struct VersionInner {
    as_string: String,
}

/// `GET /aux/v1/version`: no authentication needed.
pub async fn version() -> Json<VersionDto> {
    Json(VersionDto {
        version: VersionInner { as_string: format!("deconflict-{}", env!("CARGO_PKG_VERSION")) },
    })
}

#[derive(Debug, Serialize)]
pub struct ValidateDto {
    /// The token's subject, so a tool can check who it is.
    owner: String,
}

/// `GET /aux/v1/validate_oauth`: 200 when the token is accepted.
pub async fn validate_oauth(
    State(_state): State<AppState>,
    authed: Authed,
) -> Result<Json<ValidateDto>, ApiError> {
    Ok(Json(ValidateDto { owner: authed.manager.to_string() }))
}
