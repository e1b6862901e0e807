//! The InterUSS auxiliary endpoints that test tools use.

use axum::Json;
use axum::extract::State;
use serde::Serialize;

use crate::error::{ApiError, ErrorBody};
use crate::extract::Authed;
use crate::state::AppState;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VersionDto {
    version: VersionInner,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct VersionInner {
    as_string: String,
}

/// `GET /aux/v1/version`: no authentication needed.
#[utoipa::path(get, path = "/aux/v1/version", tag = "aux", operation_id = "aux_version",
    responses((status = 200, description = "`{\"version\": {\"as_string\": \"deconflict-X.Y.Z\"}}`.", body = VersionDto)))]
pub async fn version() -> Json<VersionDto> {
    Json(VersionDto {
        version: VersionInner { as_string: format!("deconflict-{}", env!("CARGO_PKG_VERSION")) },
    })
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ValidateDto {
    /// The token's subject, so a tool can check who it is.
    owner: String,
}

/// `GET /aux/v1/validate_oauth`: 200 when the token is accepted.
#[utoipa::path(get, path = "/aux/v1/validate_oauth", tag = "aux", operation_id = "aux_validate_oauth",
    responses(
        (status = 200, description = "The token is accepted.", body = ValidateDto),
        (status = 401, description = "Missing or invalid bearer token.", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn validate_oauth(
    State(_state): State<AppState>,
    authed: Authed,
) -> Result<Json<ValidateDto>, ApiError> {
    Ok(Json(ValidateDto { owner: authed.manager.to_string() }))
}
