//! `/dss/v1/constraint_references`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use deconflict_core::engine::PutConstraint;

use super::ApiPath;
use super::intents::{area, base_url, entity_id, ovn};
use crate::auth::scope;
use crate::dto::Volume4dDto;
use crate::dto::scd::{
    ChangeConstraintDto, ConstraintRefDto, DeleteBodyDto, GetConstraintDto, PutConstraintDto,
    QueryConstraintsDto, QueryDto,
};
use crate::error::ApiError;
use crate::extract::{ApiJson, Authed, OptionalJson};
use crate::state::AppState;

fn put_params(state: &AppState, b: &PutConstraintDto) -> Result<PutConstraint, ApiError> {
    Ok(PutConstraint {
        extents: Volume4dDto::to_extents(&b.extents)?,
        uss_base_url: base_url(state, &b.uss_base_url, "uss_base_url")?,
    })
}

/// `PUT /dss/v1/constraint_references/{entityid}`: 201 on creation.
pub async fn create(
    State(state): State<AppState>,
    authed: Authed,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<PutConstraintDto>,
) -> Result<(StatusCode, Json<ChangeConstraintDto>), ApiError> {
    authed.require(scope::CONSTRAINTS_WRITE)?;
    let id = entity_id(&id)?;
    let params = put_params(&state, &body)?;
    let viewer = authed.party.clone();
    let change = state.run(&authed, move |e, ctx| e.put_constraint(ctx, id, None, &params)).await?;
    Ok((StatusCode::CREATED, Json(ChangeConstraintDto::new(&change, &viewer))))
}

/// `PUT /dss/v1/constraint_references/{entityid}/{ovn}`.
pub async fn update(
    State(state): State<AppState>,
    authed: Authed,
    ApiPath((id, ovn_text)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<PutConstraintDto>,
) -> Result<Json<ChangeConstraintDto>, ApiError> {
    authed.require(scope::CONSTRAINTS_WRITE)?;
    let id = entity_id(&id)?;
    let current = ovn(&ovn_text)?;
    let params = put_params(&state, &body)?;
    let viewer = authed.party.clone();
    let change = state.run(&authed, move |e, ctx| e.put_constraint(ctx, id, Some(&current), &params)).await?;
    Ok(Json(ChangeConstraintDto::new(&change, &viewer)))
}

/// `DELETE /dss/v1/constraint_references/{entityid}/{ovn}`.
pub async fn delete(
    State(state): State<AppState>,
    authed: Authed,
    ApiPath((id, ovn_text)): ApiPath<(String, String)>,
    // F3548 clients may send legacy fields with a DELETE: known ones are ignored.
    OptionalJson(_legacy): OptionalJson<DeleteBodyDto>,
) -> Result<Json<ChangeConstraintDto>, ApiError> {
    authed.require(scope::CONSTRAINTS_WRITE)?;
    let id = entity_id(&id)?;
    let current = ovn(&ovn_text)?;
    let viewer = authed.party.clone();
    let change = state.run(&authed, move |e, ctx| e.delete_constraint(ctx, id, &current)).await?;
    Ok(Json(ChangeConstraintDto::new(&change, &viewer)))
}

/// `GET /dss/v1/constraint_references/{entityid}`.
pub async fn get(
    State(state): State<AppState>,
    authed: Authed,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<GetConstraintDto>, ApiError> {
    authed.require(scope::CONSTRAINTS_READ)?;
    let id = entity_id(&id)?;
    let viewer = authed.party.clone();
    let c = state.run(&authed, move |e, _| e.constraint(id)).await?;
    Ok(Json(GetConstraintDto { constraint_reference: ConstraintRefDto::new(&c, &viewer) }))
}

/// `POST /dss/v1/constraint_references/query`.
pub async fn query(
    State(state): State<AppState>,
    authed: Authed,
    ApiJson(body): ApiJson<QueryDto>,
) -> Result<Json<QueryConstraintsDto>, ApiError> {
    authed.require(scope::CONSTRAINTS_READ)?;
    let area = area(&body)?;
    let viewer = authed.party.clone();
    let found = state.run(&authed, move |e, ctx| e.query_constraints(ctx, &area)).await?;
    Ok(Json(QueryConstraintsDto {
        constraint_references: found.iter().map(|c| ConstraintRefDto::new(c, &viewer)).collect(),
    }))
}
