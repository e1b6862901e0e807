//! `/dss/v1/subscriptions`.

use axum::Json;
use deconflict_core::SubscriptionId;
use deconflict_core::engine::PutSubscription;

use super::ApiPath;
use super::intents::{LegacyDeleteBody, area, base_url};
use crate::auth::scope::Subscriptions;
use crate::dto::Bounds;
use crate::dto::scd::{
    GetSubscriptionDto, PutSubscriptionDto, PutSubscriptionResponseDto, QueryDto, QuerySubscriptionsDto,
    SubscriptionDto,
};
use crate::error::ApiError;
use crate::extract::{ApiJson, Call, Reply};
use crate::state::AppState;

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
    call: Call<Subscriptions>,
    id: SubscriptionId,
    version: Option<String>,
    body: PutSubscriptionDto,
) -> Reply<PutSubscriptionResponseDto> {
    let params = put_params(&call.state, &body)?;
    let r = call.run(move |e, ctx| e.engine().put_subscription(ctx, id, version.as_deref(), &params)).await?;
    Ok(Json(PutSubscriptionResponseDto::new(&r, call.party())))
}

/// `PUT /dss/v1/subscriptions/{subscriptionid}`: 200 on creation, as F3548 says.
pub async fn create(
    call: Call<Subscriptions>,
    ApiPath(id): ApiPath<SubscriptionId>,
    ApiJson(body): ApiJson<PutSubscriptionDto>,
) -> Reply<PutSubscriptionResponseDto> {
    put(call, id, None, body).await
}

/// `PUT /dss/v1/subscriptions/{subscriptionid}/{version}`.
pub async fn update(
    call: Call<Subscriptions>,
    ApiPath((id, version)): ApiPath<(SubscriptionId, String)>,
    ApiJson(body): ApiJson<PutSubscriptionDto>,
) -> Reply<PutSubscriptionResponseDto> {
    put(call, id, Some(version), body).await
}

/// `DELETE /dss/v1/subscriptions/{subscriptionid}/{version}`.
pub async fn delete(
    call: Call<Subscriptions>,
    ApiPath((id, version)): ApiPath<(SubscriptionId, String)>,
    _legacy: LegacyDeleteBody,
) -> Reply<GetSubscriptionDto> {
    let v = call.run(move |e, ctx| e.engine().delete_subscription(ctx, id, &version)).await?;
    Ok(Json(GetSubscriptionDto { subscription: SubscriptionDto::new(&v) }))
}

/// `GET /dss/v1/subscriptions/{subscriptionid}`.
pub async fn get(
    call: Call<Subscriptions>,
    ApiPath(id): ApiPath<SubscriptionId>,
) -> Reply<GetSubscriptionDto> {
    let v = call.run(move |e, ctx| e.engine().subscription(ctx, id)).await?;
    Ok(Json(GetSubscriptionDto { subscription: SubscriptionDto::new(&v) }))
}

/// `POST /dss/v1/subscriptions/query`: the caller's own subscriptions only.
pub async fn query(
    call: Call<Subscriptions>,
    ApiJson(body): ApiJson<QueryDto>,
) -> Reply<QuerySubscriptionsDto> {
    let area = area(&body)?;
    let found = call.run(move |e, ctx| e.engine().query_subscriptions(ctx, &area)).await?;
    Ok(Json(QuerySubscriptionsDto { subscriptions: found.iter().map(SubscriptionDto::new).collect() }))
}
