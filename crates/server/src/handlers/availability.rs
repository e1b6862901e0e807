//! `/dss/v1/uss_availability/{uss_id}`.

use axum::Json;
use axum::extract::State;
use deconflict_core::PartyName;
use deconflict_core::model::Availability;

use super::ApiPath;
use crate::auth::scope;
use crate::dto::scd::{AvailabilityDto, SetAvailabilityDto};
use crate::error::ApiError;
use crate::extract::{ApiJson, Authed};
use crate::state::AppState;

fn uss(s: &str) -> Result<PartyName, ApiError> {
    PartyName::new(s).map_err(|e| ApiError::bad(format!("uss_id in path: {e}")))
}

/// `PUT /dss/v1/uss_availability/{uss_id}`.
pub async fn set(
    State(state): State<AppState>,
    authed: Authed,
    ApiPath(uss_id): ApiPath<String>,
    ApiJson(body): ApiJson<SetAvailabilityDto>,
) -> Result<Json<AvailabilityDto>, ApiError> {
    authed.require(scope::AVAILABILITY_WRITE)?;
    let uss = uss(&uss_id)?;
    let availability = Availability::parse_any_case(&body.availability).ok_or_else(|| {
        ApiError::bad(format!("availability {:?} is not one of Unknown, Normal, Down", body.availability))
    })?;
    let old = body.old_version;
    let r = state.run(&authed, move |e, ctx| e.set_availability(ctx, &uss, &old, availability)).await?;
    Ok(Json(AvailabilityDto::new(&r)))
}

/// `GET /dss/v1/uss_availability/{uss_id}`.
pub async fn get(
    State(state): State<AppState>,
    authed: Authed,
    ApiPath(uss_id): ApiPath<String>,
) -> Result<Json<AvailabilityDto>, ApiError> {
    authed.require(scope::AVAILABILITY_READ)?;
    let uss = uss(&uss_id)?;
    let r = state.run(&authed, move |e, _| e.availability(&uss)).await?;
    Ok(Json(AvailabilityDto::new(&r)))
}
