//! The InterUSS auxiliary endpoints that test tools use: version, token
//! validation, and the pool of DSS instances (replicas over one database).

use axum::Json;
use axum::http::StatusCode;
use deconflict_core::pool::{DssInstance, NewHeartbeat};
use serde::{Deserialize, Serialize};

use super::ApiQuery;
use super::responses::Denied;
use crate::auth::scope::{Authenticated, PoolHeartbeat, PoolRead};
use crate::dto::geometry::{format_time, parse_time};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Call, Reply};

/// InterUSS `VersionResponse`: the version as one string.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VersionDto {
    /// `deconflict-X.Y.Z`.
    version: String,
}

/// `GET /aux/v1/version`: no authentication needed.
#[utoipa::path(get, path = "/aux/v1/version", tag = "aux", operation_id = "aux_version",
    responses((status = 200, description = "`{\"version\": \"deconflict-X.Y.Z\"}`.", body = VersionDto)))]
pub async fn version() -> Json<VersionDto> {
    Json(VersionDto { version: format!("deconflict-{}", env!("CARGO_PKG_VERSION")) })
}

/// The query of `validate_oauth`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ValidateQuery {
    /// When given, the token's `sub` must be this (403 otherwise).
    pub owner: Option<String>,
}

/// InterUSS `ValidateOauthResponse`: who the token speaks for.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ValidateDto {
    /// The token's subject, so a tool can check who it is.
    owner: String,
}

/// `GET /aux/v1/validate_oauth`: 200 when the token is accepted.
#[utoipa::path(get, path = "/aux/v1/validate_oauth", tag = "aux", operation_id = "aux_validate_oauth",
    params(ValidateQuery),
    responses((status = 200, description = "The token is accepted.", body = ValidateDto),
        (status = 401, description = "Missing or invalid bearer token.", body = ErrorBody),
        (status = 403, description = "The token's subject is not `owner`.", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn validate_oauth(
    call: Call<Authenticated>,
    ApiQuery(q): ApiQuery<ValidateQuery>,
) -> Reply<ValidateDto> {
    let party = call.party();
    if let Some(owner) = q.owner
        && owner != party.as_str()
    {
        return Err(ApiError::Forbidden(format!(
            "the token's subject is {party}, not the owner {owner} asked for"
        )));
    }
    Ok(Json(ValidateDto { owner: party.to_string() }))
}

/// InterUSS `PoolResponse`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PoolDto {
    /// The DSS Airspace Representation every replica of this pool shares.
    dar_id: String,
}

/// `GET /aux/v1/pool`: the pool's DAR id.
#[utoipa::path(get, path = "/aux/v1/pool", tag = "aux", operation_id = "aux_pool",
    responses(Denied, (status = 200, description = "The pool's DAR id.", body = PoolDto)),
    security(("bearer" = ["interuss.pool_status.read"])))]
pub async fn pool(call: Call<PoolRead>) -> Reply<PoolDto> {
    let dar_id = call.run(|e, _| e.engine().dar_id()).await?;
    Ok(Json(PoolDto { dar_id }))
}

/// InterUSS `Heartbeat`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HeartbeatDto {
    timestamp: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    reporter: Option<String>,
    source: String,
    index: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_heartbeat_expected_before: Option<String>,
}

/// InterUSS `DSSInstance`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DssInstanceDto {
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    most_recent_heartbeat: Option<HeartbeatDto>,
}

/// InterUSS `DSSInstancesResponse`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DssInstancesDto {
    dss_instances: Vec<DssInstanceDto>,
}

impl DssInstancesDto {
    fn new(list: &[DssInstance]) -> Self {
        let time = |us: i64| format_time(geom::Time::from_micros(us));
        Self {
            dss_instances: list
                .iter()
                .map(|i| DssInstanceDto {
                    id: i.id.clone(),
                    most_recent_heartbeat: i.most_recent_heartbeat.as_ref().map(|h| HeartbeatDto {
                        timestamp: time(h.timestamp_us),
                        reporter: h.reporter.clone(),
                        source: h.source.clone(),
                        index: h.index,
                        next_heartbeat_expected_before: h.next_expected_before_us.map(time),
                    }),
                })
                .collect(),
        }
    }
}

/// `GET /aux/v1/pool/dss_instances`: every replica of the pool.
#[utoipa::path(get, path = "/aux/v1/pool/dss_instances", tag = "aux", operation_id = "aux_dss_instances",
    responses(Denied, (status = 200, description = "The DSS instances of the pool.", body = DssInstancesDto)),
    security(("bearer" = ["interuss.pool_status.read"])))]
pub async fn dss_instances(call: Call<PoolRead>) -> Reply<DssInstancesDto> {
    let list = call.run(|e, _| e.engine().dss_instances()).await?;
    Ok(Json(DssInstancesDto::new(&list)))
}

/// The query of a heartbeat.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct HeartbeatQuery {
    /// What triggered the heartbeat.
    pub source: Option<String>,
    /// When it happened (RFC 3339); now when absent.
    pub timestamp: Option<String>,
    /// When the next one is due (RFC 3339).
    pub next_heartbeat_expected_before: Option<String>,
}

/// `PUT /aux/v1/pool/dss_instances/heartbeat`: records a heartbeat of this
/// replica; 201 with every instance.
#[utoipa::path(put, path = "/aux/v1/pool/dss_instances/heartbeat", tag = "aux", operation_id = "aux_heartbeat",
    params(HeartbeatQuery),
    responses(Denied, (status = 201, description = "Recorded; the DSS instances of the pool.", body = DssInstancesDto),
        (status = 400, description = "No source, or a time that is not RFC 3339.", body = ErrorBody)),
    security(("bearer" = ["interuss.pool_status.heartbeat.write"])))]
pub async fn heartbeat(
    call: Call<PoolHeartbeat>,
    ApiQuery(q): ApiQuery<HeartbeatQuery>,
) -> Result<(StatusCode, Json<DssInstancesDto>), ApiError> {
    let time = |field: &str, v: Option<String>| {
        v.map(|s| {
            parse_time(&s).ok_or_else(|| ApiError::bad(format!("{field} {s:?} is not an RFC 3339 date-time")))
        })
        .transpose()
    };
    let beat = NewHeartbeat {
        source: q.source.ok_or_else(|| ApiError::bad("the source query parameter is required"))?,
        timestamp: time("timestamp", q.timestamp)?,
        next_expected_before: time("next_heartbeat_expected_before", q.next_heartbeat_expected_before)?,
    };
    let id = call.state.dss_instance_id.clone();
    let list = call.run(move |e, ctx| e.engine().heartbeat(ctx, &id, &beat)).await?;
    Ok((StatusCode::CREATED, Json(DssInstancesDto::new(&list))))
}
