//! `/dss/v1/operational_intent_references`.

use axum::Json;
use axum::http::StatusCode;
use deconflict_core::engine::{PutIntent, SubscriptionChoice};
use deconflict_core::model::IntentState;
use deconflict_core::{EntityId, Ovn, UssBaseUrl};

use super::ApiPath;
use crate::auth::scope::{IntentsRead, IntentsWrite};
use crate::dto::scd::DeleteBodyDto;
use crate::dto::scd::{
    ChangeIntentDto, GetIntentDto, IntentRefDto, PutIntentDto, QueryDto, QueryIntentsDto,
    parse_subscription_id,
};
use crate::dto::{Bounds, Volume4dDto};
use crate::error::ApiError;
use crate::extract::{ApiJson, Call, OptionalJson, Reply};
use crate::state::AppState;

/// The body F3548 clients may send with a `DELETE`: its known legacy fields
/// are accepted and ignored, anything else refused as in any body.
pub(crate) type LegacyDeleteBody = OptionalJson<DeleteBodyDto>;

/// Parses a base URL field.
pub(crate) fn base_url(state: &AppState, s: &str, field: &str) -> Result<UssBaseUrl, ApiError> {
    UssBaseUrl::parse(s, state.app.limits().allow_http_base_urls)
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
    call: Call<IntentsWrite>,
    ApiPath(id): ApiPath<EntityId>,
    ApiJson(body): ApiJson<PutIntentDto>,
) -> Result<(StatusCode, Json<ChangeIntentDto>), ApiError> {
    let params = put_params(&call.state, &body)?;
    let change = call.run(move |e, ctx| e.put_intent(ctx, id, None, &params)).await?;
    Ok((StatusCode::CREATED, Json(ChangeIntentDto::new(&change, call.party()))))
}

/// `PUT /dss/v1/operational_intent_references/{entityid}/{ovn}`.
pub async fn update(
    call: Call<IntentsWrite>,
    ApiPath((id, current)): ApiPath<(EntityId, Ovn)>,
    ApiJson(body): ApiJson<PutIntentDto>,
) -> Reply<ChangeIntentDto> {
    let params = put_params(&call.state, &body)?;
    let change = call.run(move |e, ctx| e.put_intent(ctx, id, Some(&current), &params)).await?;
    Ok(Json(ChangeIntentDto::new(&change, call.party())))
}

/// `DELETE /dss/v1/operational_intent_references/{entityid}/{ovn}`.
pub async fn delete(
    call: Call<IntentsWrite>,
    ApiPath((id, current)): ApiPath<(EntityId, Ovn)>,
    _legacy: LegacyDeleteBody,
) -> Reply<ChangeIntentDto> {
    let change = call.run(move |e, ctx| e.engine().delete_intent(ctx, id, &current)).await?;
    Ok(Json(ChangeIntentDto::new(&change, call.party())))
}

/// `GET /dss/v1/operational_intent_references/{entityid}`.
pub async fn get(call: Call<IntentsRead>, ApiPath(id): ApiPath<EntityId>) -> Reply<GetIntentDto> {
    let view = call.run(move |e, _| e.engine().intent(id)).await?;
    Ok(Json(GetIntentDto { operational_intent_reference: IntentRefDto::new(&view, call.party()) }))
}

/// `POST /dss/v1/operational_intent_references/query`.
pub async fn query(call: Call<IntentsRead>, ApiJson(body): ApiJson<QueryDto>) -> Reply<QueryIntentsDto> {
    let area = area(&body)?;
    let found = call.run(move |e, ctx| e.engine().query_intents(ctx, &area)).await?;
    let references = found.iter().map(|v| IntentRefDto::new(v, call.party())).collect();
    Ok(Json(QueryIntentsDto { operational_intent_references: references }))
}
