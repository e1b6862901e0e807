//! `/dss/v1/operational_intent_references`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use deconflict_core::engine::{PutIntent, SubscriptionChoice};
use deconflict_core::model::IntentState;
use deconflict_core::{EntityId, Ovn, UssBaseUrl};

use super::ApiPath;
use crate::auth::scope;
use crate::dto::scd::{
    ChangeIntentDto, DeleteBodyDto, GetIntentDto, IntentRefDto, PutIntentDto, QueryDto, QueryIntentsDto,
    parse_subscription_id,
};
use crate::dto::{Bounds, Volume4dDto};
use crate::error::ApiError;
use crate::extract::{ApiJson, Authed, OptionalJson};
use crate::state::AppState;

/// Parses an entity id from the path.
pub(crate) fn entity_id(s: &str) -> Result<EntityId, ApiError> {
    EntityId::parse(s).map_err(|e| ApiError::bad(format!("entity id in path: {e}")))
}

/// Parses an OVN from the path.
pub(crate) fn ovn(s: &str) -> Result<Ovn, ApiError> {
    Ovn::parse(s).map_err(|e| ApiError::bad(format!("OVN in path: {e}")))
}

/// Parses a base URL field.
pub(crate) fn base_url(state: &AppState, s: &str, field: &str) -> Result<UssBaseUrl, ApiError> {
    UssBaseUrl::parse(s, state.engine.limits().allow_http_base_urls)
        .map_err(|e| ApiError::bad(format!("{field}: {e}")))
}

/// Parses the required `area_of_interest` of a query body.
pub(crate) fn area(q: &QueryDto) -> Result<geom::Volume4D, ApiError> {
    q.area_of_interest
        .as_ref()
        .ok_or_else(|| ApiError::bad("area_of_interest is required"))?
        .to_volume("area_of_interest", Bounds::Open)
}

fn put_params(state: &AppState, b: &PutIntentDto) -> Result<PutIntent, ApiError> {
    let extents = Volume4dDto::to_extents(&b.extents)?;
    // A malformed entry cannot be any entity's OVN: it is ignored, as the
    // InterUSS DSS does, so the request gets the 409 it would get without it.
    let key = b.key.iter().filter_map(|k| Ovn::parse(k).ok()).collect();
    let st = IntentState::parse(&b.state).ok_or_else(|| {
        ApiError::bad(format!(
            "state {:?} is not one of Accepted, Activated, Nonconforming, Contingent",
            b.state
        ))
    })?;
    let subscription = match (&b.subscription_id, &b.new_subscription) {
        (Some(_), Some(_)) => {
            return Err(ApiError::bad("give subscription_id or new_subscription, not both"));
        }
        (Some(id), None) => SubscriptionChoice::Existing(parse_subscription_id(id, "subscription_id")?),
        (None, Some(n)) => SubscriptionChoice::New {
            uss_base_url: base_url(state, &n.uss_base_url, "new_subscription.uss_base_url")?,
            notify_for_constraints: n.notify_for_constraints,
        },
        (None, None) => SubscriptionChoice::None,
    };
    Ok(PutIntent {
        extents,
        key,
        state: st,
        uss_base_url: base_url(state, &b.uss_base_url, "uss_base_url")?,
        subscription,
        requested_ovn_suffix: b.requested_ovn_suffix.clone(),
    })
}

/// `PUT /dss/v1/operational_intent_references/{entityid}`: 201 on creation.
pub async fn create(
    State(state): State<AppState>,
    authed: Authed,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<PutIntentDto>,
) -> Result<(StatusCode, Json<ChangeIntentDto>), ApiError> {
    authed.require(scope::INTENTS_WRITE)?;
    let id = entity_id(&id)?;
    let params = put_params(&state, &body)?;
    let viewer = authed.party.clone();
    let change = state.run(&authed, move |e, ctx| e.put_intent(ctx, id, None, &params)).await?;
    Ok((StatusCode::CREATED, Json(ChangeIntentDto::new(&change, &viewer))))
}

/// `PUT /dss/v1/operational_intent_references/{entityid}/{ovn}`.
pub async fn update(
    State(state): State<AppState>,
    authed: Authed,
    ApiPath((id, ovn_text)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<PutIntentDto>,
) -> Result<Json<ChangeIntentDto>, ApiError> {
    authed.require(scope::INTENTS_WRITE)?;
    let id = entity_id(&id)?;
    let current = ovn(&ovn_text)?;
    let params = put_params(&state, &body)?;
    let viewer = authed.party.clone();
    let change = state.run(&authed, move |e, ctx| e.put_intent(ctx, id, Some(&current), &params)).await?;
    Ok(Json(ChangeIntentDto::new(&change, &viewer)))
}

/// `DELETE /dss/v1/operational_intent_references/{entityid}/{ovn}`.
pub async fn delete(
    State(state): State<AppState>,
    authed: Authed,
    ApiPath((id, ovn_text)): ApiPath<(String, String)>,
    // F3548 clients may send legacy fields with a DELETE: known ones are ignored.
    OptionalJson(_legacy): OptionalJson<DeleteBodyDto>,
) -> Result<Json<ChangeIntentDto>, ApiError> {
    authed.require(scope::INTENTS_WRITE)?;
    let id = entity_id(&id)?;
    let current = ovn(&ovn_text)?;
    let viewer = authed.party.clone();
    let change = state.run(&authed, move |e, ctx| e.delete_intent(ctx, id, &current)).await?;
    Ok(Json(ChangeIntentDto::new(&change, &viewer)))
}

/// `GET /dss/v1/operational_intent_references/{entityid}`.
pub async fn get(
    State(state): State<AppState>,
    authed: Authed,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<GetIntentDto>, ApiError> {
    authed.require(scope::INTENTS_READ)?;
    let id = entity_id(&id)?;
    let viewer = authed.party.clone();
    let view = state.run(&authed, move |e, _| e.intent(id)).await?;
    Ok(Json(GetIntentDto { operational_intent_reference: IntentRefDto::new(&view, &viewer) }))
}

/// `POST /dss/v1/operational_intent_references/query`.
pub async fn query(
    State(state): State<AppState>,
    authed: Authed,
    ApiJson(body): ApiJson<QueryDto>,
) -> Result<Json<QueryIntentsDto>, ApiError> {
    authed.require(scope::INTENTS_READ)?;
    let area = area(&body)?;
    let viewer = authed.party.clone();
    let found = state.run(&authed, move |e, ctx| e.query_intents(ctx, &area)).await?;
    Ok(Json(QueryIntentsDto {
        operational_intent_references: found.iter().map(|v| IntentRefDto::new(v, &viewer)).collect(),
    }))
}
