//! `/v1/operations`: the native, need-to-know view of operations. What a
//! caller sees is decided in `deconflict_core::visibility` alone; this module
//! only authenticates, parses and serialises.

use axum::Json;
use axum::extract::State;
use deconflict_core::visibility;

use super::ApiPath;
use super::intents::entity_id;
use crate::auth::scope::{CONFORMANCE_MONITORING_SA, OPERATIONS_READ, STRATEGIC_COORDINATION};
use crate::dto::native::{DetailsDto, OperationDto, OperationsDto, QueryOperationsDto};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Authed};
use crate::state::AppState;

/// Reading: an F3548 scope that reads intents, or the native read scope.
const READ: &[&[&str]] = &[&[STRATEGIC_COORDINATION], &[CONFORMANCE_MONITORING_SA], &[OPERATIONS_READ]];
/// Setting details: an F3548 scope that files intents.
const WRITE: &[&[&str]] = &[&[STRATEGIC_COORDINATION], &[CONFORMANCE_MONITORING_SA]];

/// `POST /v1/operations/query` `{"area": Volume4D}`: every live operation in
/// the area that the caller may see, as much of it as it may see.
#[utoipa::path(post, path = "/v1/operations/query", tag = "operations", operation_id = "query_operations",
    request_body = QueryOperationsDto,
    responses(
        (status = 200, description = "The visible operations.", body = OperationsDto),
        (status = 400, description = "Bad body or area, naming the field.", body = ErrorBody),
        (status = 401, description = "Missing or invalid bearer token.", body = ErrorBody),
        (status = 403, description = "The token lacks the scope.", body = ErrorBody),
        (status = 413, description = "Area or result set over the limit.", body = ErrorBody),
        (status = 503, description = "Storage unavailable or deadline passed.", body = ErrorBody),
    ),
    security(("bearer" = ["utm.strategic_coordination"]), ("bearer" = ["utm.conformance_monitoring_sa"]), ("bearer" = ["deconflict.operations.read"])))]
pub async fn query(
    State(state): State<AppState>,
    authed: Authed,
    ApiJson(body): ApiJson<QueryOperationsDto>,
) -> Result<Json<OperationsDto>, ApiError> {
    authed.require(READ)?;
    let area = body.area()?;
    let found = state
        .run(&authed, move |e, ctx| {
            visibility::query_operations(e.engine(), ctx, std::slice::from_ref(&area))
        })
        .await?;
    Ok(Json(OperationsDto { operations: found.iter().map(OperationDto::new).collect() }))
}

/// `GET /v1/operations/{id}`: one operation, or 404 when it does not exist
/// or the caller may not see it (the two are indistinguishable).
#[utoipa::path(get, path = "/v1/operations/{id}", tag = "operations", operation_id = "get_operation",
    params(("id" = String, Path, description = "The operational intent id (UUID).")),
    responses(
        (status = 200, description = "The operation as the caller may see it.", body = OperationDto),
        (status = 400, description = "The id is not a UUID.", body = ErrorBody),
        (status = 401, description = "Missing or invalid bearer token.", body = ErrorBody),
        (status = 403, description = "The token lacks the scope.", body = ErrorBody),
        (status = 404, description = "No such operation, or not visible to the caller.", body = ErrorBody),
    ),
    security(("bearer" = ["utm.strategic_coordination"]), ("bearer" = ["utm.conformance_monitoring_sa"]), ("bearer" = ["deconflict.operations.read"])))]
pub async fn get(
    State(state): State<AppState>,
    authed: Authed,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<OperationDto>, ApiError> {
    authed.require(READ)?;
    let id = entity_id(&id)?;
    let op = state.run(&authed, move |e, ctx| visibility::operation(e.engine(), ctx, id)).await?;
    Ok(Json(OperationDto::new(&op)))
}

/// `PUT /v1/operations/{id}/details` `{"purpose", "contact"}`: the owner sets
/// (replaces) them; 403 for another party's operation, 400 when too long.
/// Answers with the operation as its owner sees it.
#[utoipa::path(put, path = "/v1/operations/{id}/details", tag = "operations", operation_id = "set_operation_details",
    params(("id" = String, Path, description = "The operational intent id (UUID).")),
    request_body = DetailsDto,
    responses(
        (status = 200, description = "The operation as its owner sees it.", body = OperationDto),
        (status = 400, description = "Bad id or body, or a field too long.", body = ErrorBody),
        (status = 401, description = "Missing or invalid bearer token.", body = ErrorBody),
        (status = 403, description = "The token lacks the scope, or the operation is another party's.", body = ErrorBody),
        (status = 404, description = "No such operation, or not visible to the caller.", body = ErrorBody),
    ),
    security(("bearer" = ["utm.strategic_coordination"]), ("bearer" = ["utm.conformance_monitoring_sa"])))]
pub async fn set_details(
    State(state): State<AppState>,
    authed: Authed,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<DetailsDto>,
) -> Result<Json<OperationDto>, ApiError> {
    authed.require(WRITE)?;
    let id = entity_id(&id)?;
    let details = body.into();
    let op = state
        .run(&authed, move |e, ctx| {
            visibility::set_details(e.engine(), ctx, id, &details)?;
            visibility::operation(e.engine(), ctx, id)
        })
        .await?;
    Ok(Json(OperationDto::new(&op)))
}
