//! `/dss/v1/constraint_references`.

use axum::Json;
use axum::http::StatusCode;
use deconflict_core::engine::PutConstraint;
use deconflict_core::{EntityId, Ovn};

use super::ApiPath;
use super::intents::{LegacyDeleteBody, area, base_url};
use crate::auth::scope::{ConstraintsRead, ConstraintsWrite};
use crate::dto::Volume4dDto;
use crate::dto::scd::{
    ChangeConstraintDto, ConstraintRefDto, GetConstraintDto, PutConstraintDto, QueryConstraintsDto, QueryDto,
};
use crate::error::ApiError;
use crate::extract::{ApiJson, Call, Reply};
use crate::state::AppState;

fn put_params(state: &AppState, b: &PutConstraintDto) -> Result<PutConstraint, ApiError> {
    Ok(PutConstraint {
        extents: Volume4dDto::to_extents(&b.extents)?,
        uss_base_url: base_url(state, &b.uss_base_url, "uss_base_url")?,
    })
}

/// `PUT /dss/v1/constraint_references/{entityid}`: 201 on creation.
pub async fn create(
    call: Call<ConstraintsWrite>,
    ApiPath(id): ApiPath<EntityId>,
    ApiJson(body): ApiJson<PutConstraintDto>,
) -> Result<(StatusCode, Json<ChangeConstraintDto>), ApiError> {
    let params = put_params(&call.state, &body)?;
    let change = call.run(move |e, ctx| e.engine().put_constraint(ctx, id, None, &params)).await?;
    Ok((StatusCode::CREATED, Json(ChangeConstraintDto::new(&change, call.party()))))
}

/// `PUT /dss/v1/constraint_references/{entityid}/{ovn}`.
pub async fn update(
    call: Call<ConstraintsWrite>,
    ApiPath((id, current)): ApiPath<(EntityId, Ovn)>,
    ApiJson(body): ApiJson<PutConstraintDto>,
) -> Reply<ChangeConstraintDto> {
    let params = put_params(&call.state, &body)?;
    let change = call.run(move |e, ctx| e.engine().put_constraint(ctx, id, Some(&current), &params)).await?;
    Ok(Json(ChangeConstraintDto::new(&change, call.party())))
}

/// `DELETE /dss/v1/constraint_references/{entityid}/{ovn}`.
pub async fn delete(
    call: Call<ConstraintsWrite>,
    ApiPath((id, current)): ApiPath<(EntityId, Ovn)>,
    _legacy: LegacyDeleteBody,
) -> Reply<ChangeConstraintDto> {
    let change = call.run(move |e, ctx| e.engine().delete_constraint(ctx, id, &current)).await?;
    Ok(Json(ChangeConstraintDto::new(&change, call.party())))
}

/// `GET /dss/v1/constraint_references/{entityid}`.
pub async fn get(call: Call<ConstraintsRead>, ApiPath(id): ApiPath<EntityId>) -> Reply<GetConstraintDto> {
    let c = call.run(move |e, _| e.engine().constraint(id)).await?;
    Ok(Json(GetConstraintDto { constraint_reference: ConstraintRefDto::new(&c, call.party()) }))
}

/// `POST /dss/v1/constraint_references/query`.
pub async fn query(
    call: Call<ConstraintsRead>,
    ApiJson(body): ApiJson<QueryDto>,
) -> Reply<QueryConstraintsDto> {
    let area = area(&body)?;
    let found = call.run(move |e, ctx| e.engine().query_constraints(ctx, &area)).await?;
    let references = found.iter().map(|c| ConstraintRefDto::new(c, call.party())).collect();
    Ok(Json(QueryConstraintsDto { constraint_references: references }))
}
