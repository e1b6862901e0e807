//! `/v1/parties`: the party registry (written by the operator, read by any
//! authenticated caller; webhook URLs are never shown). A party sets its own
//! webhook (`PUT /v1/parties/{name}/webhook`); the core refuses anyone else
//! but the operator.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use deconflict_core::coord::Party;
use serde::Deserialize;
use serde_json::{Value, json};

use super::ApiPath;
use super::lines::wire;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Authed};
use crate::state::AppState;

/// Body of `PUT /v1/parties/{name}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutPartyDto {
    /// Must equal the path if given.
    #[serde(default)]
    pub name: Option<String>,
    /// How people call it.
    pub display_name: String,
    /// Where its events are POSTed.
    #[serde(default)]
    pub webhook_url: Option<String>,
}

/// The public view of a party.
fn public(p: &Party) -> Value {
    wire(&json!({
        "name": p.name, "display_name": p.display_name,
        "webhook": p.webhook_url.is_some(), "updated_at_us": p.updated_at_us,
    }))
}

/// `PUT /v1/parties/{name}` (scope `deconflict.admin`): 201 created, 200 updated.
#[utoipa::path(put, path = "/v1/parties/{name}", tag = "parties", operation_id = "put_party",
    params(("name" = String, Path, description = "The party's name (a token `sub`).")),
    request_body = PutPartyDto,
    responses(
        (status = 200, description = "Updated: `{name, display_name, webhook, updated}` (never the webhook URL).", body = serde_json::Value),
        (status = 201, description = "Created: the party as for 200.", body = serde_json::Value),
        (status = 400, description = "Bad body, or a name differing from the path.", body = ErrorBody),
        (status = 401, description = "Missing or invalid bearer token.", body = ErrorBody),
        (status = 403, description = "The token lacks `deconflict.admin`.", body = ErrorBody),
    ),
    security(("bearer" = ["deconflict.admin"])))]
pub async fn put(
    State(state): State<AppState>,
    authed: Authed,
    ApiPath(name): ApiPath<String>,
    ApiJson(body): ApiJson<PutPartyDto>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    if let Some(n) = &body.name
        && n != &name
    {
        return Err(ApiError::bad(format!("name {n:?} in the body differs from {name:?} in the path")));
    }
    let party =
        Party { name, display_name: body.display_name, webhook_url: body.webhook_url, updated_at_us: 0 };
    let (party, created) = state.run(&authed, move |e, ctx| e.coord().put_party(ctx, party)).await?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(public(&party))))
}

/// Body of `PUT /v1/parties/{name}/webhook`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookDto {
    /// Where the party's events are POSTed; `null` removes the webhook.
    pub webhook_url: Option<String>,
}

/// `PUT /v1/parties/{name}/webhook`: the party itself (scope
/// `deconflict.hotline`) or the operator sets or removes its webhook.
#[utoipa::path(put, path = "/v1/parties/{name}/webhook", tag = "parties", operation_id = "set_party_webhook",
    params(("name" = String, Path, description = "The party's name (a token `sub`).")),
    request_body = WebhookDto,
    responses(
        (status = 200, description = "The party (`{name, display_name, webhook, updated}`; never the URL).", body = serde_json::Value),
        (status = 400, description = "Bad body or URL.", body = ErrorBody),
        (status = 401, description = "Missing or invalid bearer token.", body = ErrorBody),
        (status = 403, description = "Neither the party itself nor the operator.", body = ErrorBody),
        (status = 404, description = "The party is not registered.", body = ErrorBody),
    ),
    security(("bearer" = ["deconflict.hotline"]), ("bearer" = ["deconflict.admin"])))]
pub async fn set_webhook(
    State(state): State<AppState>,
    authed: Authed,
    ApiPath(name): ApiPath<String>,
    ApiJson(body): ApiJson<WebhookDto>,
) -> Result<Json<Value>, ApiError> {
    authed.require(super::lines::HOTLINE_OR_ADMIN)?;
    let url = body.webhook_url;
    let party = state.run(&authed, move |e, ctx| e.coord().set_webhook(ctx, &name, url)).await?;
    Ok(Json(public(&party)))
}

/// `GET /v1/parties`: any authenticated caller.
#[utoipa::path(get, path = "/v1/parties", tag = "parties", operation_id = "list_parties",
    responses(
        (status = 200, description = "`{\"parties\": [{name, display_name, webhook, updated}]}`.", body = serde_json::Value),
        (status = 401, description = "Missing or invalid bearer token.", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn list(State(state): State<AppState>, authed: Authed) -> Result<Json<Value>, ApiError> {
    let parties = state.run(&authed, |e, _| e.coord().parties()).await?;
    Ok(Json(json!({ "parties": parties.iter().map(public).collect::<Vec<_>>() })))
}
