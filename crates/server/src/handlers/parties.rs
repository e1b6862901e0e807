//! `/v1/parties`: the party registry (written by the operator, read by any
//! authenticated caller; webhook URLs are never shown). A party sets its own
//! webhook (`PUT /v1/parties/{name}/webhook`); the core refuses anyone else
//! but the operator.

use axum::Json;
use axum::http::StatusCode;
use deconflict_core::PartyName;
use deconflict_core::coord::Party;
use serde::Deserialize;

use super::ApiPath;
use super::responses::AdminOnly;
use crate::auth::scope::{Authenticated, HotlineOrAdmin};
use crate::dto::coord::{PartiesDto, PartyDto, PutPartyDto, WebhookDto};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Call, Reply};

/// The path of a call on one party.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct PartyPath {
    /// The party's name (a token `sub`).
    #[param(value_type = String)]
    pub name: PartyName,
}

/// `PUT /v1/parties/{name}` (scope `deconflict.admin`): 201 created, 200 updated.
#[utoipa::path(put, path = "/v1/parties/{name}", tag = "parties", operation_id = "put_party",
    params(PartyPath), request_body = PutPartyDto,
    responses(AdminOnly, (status = 200, description = "Updated: the party (never its webhook URL).", body = PartyDto),
        (status = 201, description = "Created: the party as for 200.", body = PartyDto),
        (status = 400, description = "Bad name or body, or a name differing from the path.", body = ErrorBody)),
    security(("bearer" = ["deconflict.admin"])))]
pub async fn put(
    call: Call<Authenticated>,
    ApiPath(PartyPath { name }): ApiPath<PartyPath>,
    ApiJson(body): ApiJson<PutPartyDto>,
) -> Result<(StatusCode, Json<PartyDto>), ApiError> {
    if let Some(n) = &body.name
        && n != name.as_str()
    {
        return Err(ApiError::bad(format!(
            "name {n:?} in the body differs from {:?} in the path",
            name.as_str()
        )));
    }
    let party = Party {
        name,
        display_name: body.display_name,
        webhook_url: body.webhook_url,
        updated_at: geom::Time::from_micros(0),
    };
    let (party, created) = call.run(move |e, ctx| e.coord().put_party(ctx, party)).await?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json((&party).into())))
}

/// `PUT /v1/parties/{name}/webhook`: the party itself (scope
/// `deconflict.hotline`) or the operator sets or removes its webhook.
#[utoipa::path(put, path = "/v1/parties/{name}/webhook", tag = "parties", operation_id = "set_party_webhook",
    params(PartyPath), request_body = WebhookDto,
    responses((status = 200, description = "The party (never its webhook URL).", body = PartyDto),
        (status = 400, description = "Bad name, body or URL.", body = ErrorBody),
        (status = 401, description = "Missing or invalid bearer token.", body = ErrorBody),
        (status = 403, description = "Neither the party itself nor the operator.", body = ErrorBody),
        (status = 404, description = "The party is not registered.", body = ErrorBody)),
    security(("bearer" = ["deconflict.hotline"]), ("bearer" = ["deconflict.admin"])))]
pub async fn set_webhook(
    call: Call<HotlineOrAdmin>,
    ApiPath(PartyPath { name }): ApiPath<PartyPath>,
    ApiJson(body): ApiJson<WebhookDto>,
) -> Reply<PartyDto> {
    let url = body.webhook_url;
    let party = call.run(move |e, ctx| e.coord().set_webhook(ctx, &name, url)).await?;
    Ok(Json((&party).into()))
}

/// `GET /v1/parties`: any authenticated caller.
#[utoipa::path(get, path = "/v1/parties", tag = "parties", operation_id = "list_parties",
    responses((status = 200, description = "The registry, never a webhook URL.", body = PartiesDto),
        (status = 401, description = "Missing or invalid bearer token.", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(call: Call<Authenticated>) -> Reply<PartiesDto> {
    let parties = call.run(|e, _| e.coord().parties()).await?;
    Ok(Json(PartiesDto { parties: parties.iter().map(PartyDto::from).collect() }))
}
