//! `/dss/v1/subscriptions`.

use axum::Json;
use axum::extract::State;
use deconflict_core::SubscriptionId;
use deconflict_core::engine::PutSubscription;

use super::ApiPath;
use super::intents::{area, base_url};
use crate::auth::scope;
use crate::dto::Bounds;
use crate::dto::scd::{
    DeleteBodyDto, GetSubscriptionDto, PutSubscriptionDto, PutSubscriptionResponseDto, QueryDto,
    QuerySubscriptionsDto, SubscriptionDto,
};
use crate::error::ApiError;
use crate::extract::{ApiJson, Authed, OptionalJson};
use crate::state::AppState;

fn subscription_id(s: &str) -> Result<SubscriptionId, ApiError> {
    SubscriptionId::parse(s).map_err(|e| ApiError::bad(format!("subscription id in path: {e}")))
}

fn put_params(state: &AppState, b: &PutSubscriptionDto) -> Result<PutSubscription, ApiError> {
    let v = &b.extents;
    let footprint = v.volume.footprint("extents.volume")?;
    let altitude = v.volume.altitude("extents.volume", Bounds::Open)?;
    let (start, end) = v.times("extents")?;
    Ok(PutSubscription {
        footprint,
        altitude,
        start,
        end,
        uss_base_url: base_url(state, &b.uss_base_url, "uss_base_url")?,
        notify_for_intents: b.notify_for_operational_intents,
        notify_for_constraints: b.notify_for_constraints,
    })
}

async fn put(
    state: AppState,
    authed: Authed,
    id: String,
    version: Option<String>,
    body: PutSubscriptionDto,
) -> Result<Json<PutSubscriptionResponseDto>, ApiError> {
    authed.require(scope::SUBSCRIPTIONS)?;
    let id = subscription_id(&id)?;
    let params = put_params(&state, &body)?;
    let viewer = authed.party.clone();
    let r =
        state.run(&authed, move |e, ctx| e.put_subscription(ctx, id, version.as_deref(), &params)).await?;
    Ok(Json(PutSubscriptionResponseDto::new(&r, &viewer)))
}

/// `PUT /dss/v1/subscriptions/{subscriptionid}`: 200 on creation, as F3548 says.
pub async fn create(
    State(state): State<AppState>,
    authed: Authed,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<PutSubscriptionDto>,
) -> Result<Json<PutSubscriptionResponseDto>, ApiError> {
    put(state, authed, id, None, body).await
}

/// `PUT /dss/v1/subscriptions/{subscriptionid}/{version}`.
pub async fn update(
    State(state): State<AppState>,
    authed: Authed,
    ApiPath((id, version)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<PutSubscriptionDto>,
) -> Result<Json<PutSubscriptionResponseDto>, ApiError> {
    put(state, authed, id, Some(version), body).await
}

/// `DELETE /dss/v1/subscriptions/{subscriptionid}/{version}`.
pub async fn delete(
    State(state): State<AppState>,
    authed: Authed,
    ApiPath((id, version)): ApiPath<(String, String)>,
    // F3548 clients may send legacy fields with a DELETE: known ones are ignored.
    OptionalJson(_legacy): OptionalJson<DeleteBodyDto>,
) -> Result<Json<GetSubscriptionDto>, ApiError> {
    authed.require(scope::SUBSCRIPTIONS)?;
    let id = subscription_id(&id)?;
    let v = state.run(&authed, move |e, ctx| e.delete_subscription(ctx, id, &version)).await?;
    Ok(Json(GetSubscriptionDto { subscription: SubscriptionDto::new(&v) }))
}

/// `GET /dss/v1/subscriptions/{subscriptionid}`.
pub async fn get(
    State(state): State<AppState>,
    authed: Authed,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<GetSubscriptionDto>, ApiError> {
    authed.require(scope::SUBSCRIPTIONS)?;
    let id = subscription_id(&id)?;
    let v = state.run(&authed, move |e, ctx| e.subscription(ctx, id)).await?;
    Ok(Json(GetSubscriptionDto { subscription: SubscriptionDto::new(&v) }))
}

/// `POST /dss/v1/subscriptions/query`: the caller's own subscriptions only.
pub async fn query(
    State(state): State<AppState>,
    authed: Authed,
    ApiJson(body): ApiJson<QueryDto>,
) -> Result<Json<QuerySubscriptionsDto>, ApiError> {
    authed.require(scope::SUBSCRIPTIONS)?;
    let area = area(&body)?;
    let found = state.run(&authed, move |e, ctx| e.query_subscriptions(ctx, &area)).await?;
    Ok(Json(QuerySubscriptionsDto { subscriptions: found.iter().map(SubscriptionDto::new).collect() }))
}
