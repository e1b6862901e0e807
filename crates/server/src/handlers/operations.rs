//! `/v1/operations`: the native, need-to-know view of operations. What a
//! caller sees is decided in `deconflict_core::visibility` alone; this module
//! only authenticates, parses and serialises.

use axum::Json;
use deconflict_core::{EntityId, visibility};

use super::ApiPath;
use super::responses::{Denied, OnOperation};
use crate::auth::scope::{OperationsRead, OperationsWrite};
use crate::dto::native::{DetailsDto, OperationDto, OperationsDto, QueryOperationsDto};
use crate::error::ErrorBody;
use crate::extract::{ApiJson, Call, Reply};

/// `POST /v1/operations/query` `{"area": Volume4D}`: every live operation in
/// the area that the caller may see, as much of it as it may see.
#[utoipa::path(post, path = "/v1/operations/query", tag = "operations", operation_id = "query_operations",
    request_body = QueryOperationsDto,
    responses(Denied, (status = 200, description = "The visible operations.", body = OperationsDto),
        (status = 400, description = "Bad body or area, naming the field.", body = ErrorBody),
        (status = 413, description = "Area or result set over the limit.", body = ErrorBody),
        (status = 503, description = "Storage unavailable or deadline passed.", body = ErrorBody)),
    security(("bearer" = ["utm.strategic_coordination"]), ("bearer" = ["utm.conformance_monitoring_sa"]), ("bearer" = ["deconflict.operations.read"])))]
pub async fn query(
    call: Call<OperationsRead>,
    ApiJson(body): ApiJson<QueryOperationsDto>,
) -> Reply<OperationsDto> {
    let area = body.area()?;
    let found = call
        .run(move |e, ctx| visibility::query_operations(e.engine(), ctx, std::slice::from_ref(&area)))
        .await?;
    Ok(Json(OperationsDto { operations: found.iter().map(OperationDto::new).collect() }))
}

/// `GET /v1/operations/{id}`: one operation, or 404 when it does not exist
/// or the caller may not see it (the two are indistinguishable).
#[utoipa::path(get, path = "/v1/operations/{id}", tag = "operations", operation_id = "get_operation",
    params(("id" = String, Path, description = "The operational intent id (UUID).")),
    responses(OnOperation, (status = 200, description = "The operation as the caller may see it.", body = OperationDto)),
    security(("bearer" = ["utm.strategic_coordination"]), ("bearer" = ["utm.conformance_monitoring_sa"]), ("bearer" = ["deconflict.operations.read"])))]
pub async fn get(call: Call<OperationsRead>, ApiPath(id): ApiPath<EntityId>) -> Reply<OperationDto> {
    let op = call.run(move |e, ctx| visibility::operation(e.engine(), ctx, id)).await?;
    Ok(Json(OperationDto::new(&op)))
}

/// `PUT /v1/operations/{id}/details` `{"purpose", "contact"}`: the owner sets
/// (replaces) them; 403 for another party's operation, 400 when too long.
/// Answers with the operation as its owner sees it.
#[utoipa::path(put, path = "/v1/operations/{id}/details", tag = "operations", operation_id = "set_operation_details",
    params(("id" = String, Path, description = "The operational intent id (UUID).")), request_body = DetailsDto,
    responses(OnOperation, (status = 200, description = "The operation as its owner sees it.", body = OperationDto),
        (status = 400, description = "Bad id or body, or a field too long.", body = ErrorBody),
        (status = 403, description = "The token lacks the scope, or the operation is another party's.", body = ErrorBody)),
    security(("bearer" = ["utm.strategic_coordination"]), ("bearer" = ["utm.conformance_monitoring_sa"])))]
pub async fn set_details(
    call: Call<OperationsWrite>,
    ApiPath(id): ApiPath<EntityId>,
    ApiJson(body): ApiJson<DetailsDto>,
) -> Reply<OperationDto> {
    let details = body.into();
    let op = call
        .run(move |e, ctx| {
            visibility::set_details(e.engine(), ctx, id, &details)?;
            visibility::operation(e.engine(), ctx, id)
        })
        .await?;
    Ok(Json(OperationDto::new(&op)))
}
