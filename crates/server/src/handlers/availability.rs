//! `/dss/v1/uss_availability/{uss_id}`.

use axum::Json;
use deconflict_core::PartyName;
use deconflict_core::model::Availability;

use super::ApiPath;
use crate::auth::scope::{AvailabilityRead, AvailabilityWrite};
use crate::dto::scd::{AvailabilityDto, SetAvailabilityDto};
use crate::error::ApiError;
use crate::extract::{ApiJson, Call, Reply};

/// `PUT /dss/v1/uss_availability/{uss_id}`.
pub async fn set(
    call: Call<AvailabilityWrite>,
    ApiPath(uss): ApiPath<PartyName>,
    ApiJson(body): ApiJson<SetAvailabilityDto>,
) -> Reply<AvailabilityDto> {
    let availability = Availability::parse_any_case(&body.availability).ok_or_else(|| {
        ApiError::bad(format!("availability {:?} is not one of Unknown, Normal, Down", body.availability))
    })?;
    let old = body.old_version;
    let r = call.run(move |e, ctx| e.engine().set_availability(ctx, &uss, &old, availability)).await?;
    Ok(Json(AvailabilityDto::new(&r)))
}

/// `GET /dss/v1/uss_availability/{uss_id}`.
pub async fn get(call: Call<AvailabilityRead>, ApiPath(uss): ApiPath<PartyName>) -> Reply<AvailabilityDto> {
    let r = call.run(move |e, _| e.engine().availability(&uss)).await?;
    Ok(Json(AvailabilityDto::new(&r)))
}
