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
use crate::error::ApiError;
use crate::extract::{ApiJson, Authed};
use crate::state::AppState;

/// Reading: an F3548 scope that reads intents, or the native read scope.
const READ: &[&[&str]] = &[&[STRATEGIC_COORDINATION], &[CONFORMANCE_MONITORING_SA], &[OPERATIONS_READ]];
/// Setting details: an F3548 scope that files intents.
const WRITE: &[&[&str]] = &[&[STRATEGIC_COORDINATION], &[CONFORMANCE_MONITORING_SA]];

/// `POST /v1/operations/query` `{"area": Volume4D}`: every live operation in
/// the area that the caller may see, as much of it as it may see.
pub async fn query(
    State(state): State<AppState>,
    authed: Authed,
    ApiJson(body): ApiJson<QueryOperationsDto>,
) -> Result<Json<OperationsDto>, ApiError> {
    authed.require(READ)?;
    let area = body.area()?;
    let found = state
        .run(&authed, move |e, ctx| visibility::query_operations(e, ctx, std::slice::from_ref(&area)))
        .await?;
    Ok(Json(OperationsDto { operations: found.iter().map(OperationDto::new).collect() }))
}

/// `GET /v1/operations/{id}`: one operation, or 404 when it does not exist
/// or the caller may not see it (the two are indistinguishable).
pub async fn get(
    State(state): State<AppState>,
    authed: Authed,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<OperationDto>, ApiError> {
    authed.require(READ)?;
    let id = entity_id(&id)?;
    let op = state.run(&authed, move |e, ctx| visibility::operation(e, ctx, id)).await?;
    Ok(Json(OperationDto::new(&op)))
}

/// `PUT /v1/operations/{id}/details` `{"purpose", "contact"}`: the owner sets
/// (replaces) them; 403 for another party's operation, 400 when too long.
/// Answers with the operation as its owner sees it.
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
            visibility::set_details(e, ctx, id, &details)?;
            visibility::operation(e, ctx, id)
        })
        .await?;
    Ok(Json(OperationDto::new(&op)))
}
