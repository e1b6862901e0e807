//! `/v1/lines/{id}/blind/...` and `/v1/blind/...`: blind operations (issue
//! 14). Keys and envelopes are relayed, tokens matched by equality; the
//! rules are `deconflict_core::coord::blind`'s, these handlers only convert.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use deconflict_core::coord::blind::BlindFiled;
use serde::Deserialize;

use super::lines::HOTLINE;
use super::{ApiPath, ApiQuery};
use crate::dto::blind::{
    BlindConflictDto, BlindFileDto, BlindLineDto, BlindMatchesDto, BlindOperationDto, BlindOperationsDto,
    EnvelopeDto, PublishKeyDto, RotateDto, SealedDto, SealedInboxDto, SendSealedDto, base64_field,
};
use crate::dto::coord::{line_id, party_name};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Authed};
use crate::state::AppState;

/// `GET /v1/lines/{id}/blind`: the members' keys, the epoch and the token parameters.
#[utoipa::path(get, path = "/v1/lines/{id}/blind", tag = "blind", operation_id = "blind_line",
    params(("id" = String, Path, description = "The line id.")),
    responses(
        (status = 200, description = "The line's blind state.", body = BlindLineDto),
        (status = 400, description = "Not a line id.", body = ErrorBody),
        (status = 401, description = "Missing or invalid bearer token.", body = ErrorBody),
        (status = 403, description = "The token lacks the scope, or the caller is not a party on the line.", body = ErrorBody),
        (status = 404, description = "No such line.", body = ErrorBody),
    ),
    security(("bearer" = ["deconflict.hotline"])))]
pub async fn line(
    State(state): State<AppState>,
    authed: Authed,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<BlindLineDto>, ApiError> {
    authed.require(HOTLINE)?;
    let id = line_id(&id)?;
    let b = state.run(&authed, move |e, ctx| e.coord().blind_line(ctx, &id)).await?;
    Ok(Json((&b).into()))
}

/// `PUT /v1/lines/{id}/blind/key`: publishes the caller's public key.
#[utoipa::path(put, path = "/v1/lines/{id}/blind/key", tag = "blind", operation_id = "blind_publish_key",
    params(("id" = String, Path, description = "The line id.")),
    request_body = PublishKeyDto,
    responses(
        (status = 200, description = "The line's blind state with the key.", body = BlindLineDto),
        (status = 400, description = "Not a line id, or the key is not base64 of 32 bytes.", body = ErrorBody),
        (status = 401, description = "Missing or invalid bearer token.", body = ErrorBody),
        (status = 403, description = "The token lacks the scope, or the caller is not a party on the line.", body = ErrorBody),
        (status = 404, description = "No such line.", body = ErrorBody),
    ),
    security(("bearer" = ["deconflict.hotline"])))]
pub async fn publish_key(
    State(state): State<AppState>,
    authed: Authed,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<PublishKeyDto>,
) -> Result<Json<BlindLineDto>, ApiError> {
    authed.require(HOTLINE)?;
    let id = line_id(&id)?;
    let key = base64_field("public_key", &body.public_key)?;
    let b = state.run(&authed, move |e, ctx| e.coord().blind_publish_key(ctx, &id, &key)).await?;
    Ok(Json((&b).into()))
}

/// `POST /v1/lines/{id}/blind/epochs`: a new epoch's key sealed to every keyed member.
#[utoipa::path(post, path = "/v1/lines/{id}/blind/epochs", tag = "blind", operation_id = "blind_rotate",
    params(("id" = String, Path, description = "The line id.")),
    request_body = RotateDto,
    responses(
        (status = 200, description = "The line at its new epoch.", body = BlindLineDto),
        (status = 400, description = "Missing, extra or malformed envelopes, a policy out of range or over the service's limits, or the caller has no key.", body = ErrorBody),
        (status = 401, description = "Missing or invalid bearer token.", body = ErrorBody),
        (status = 403, description = "The token lacks the scope, or the caller is not a party on the line.", body = ErrorBody),
        (status = 404, description = "No such line.", body = ErrorBody),
        (status = 409, description = "Not the next epoch (another party rotated first).", body = ErrorBody),
    ),
    security(("bearer" = ["deconflict.hotline"])))]
pub async fn rotate(
    State(state): State<AppState>,
    authed: Authed,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<RotateDto>,
) -> Result<Json<BlindLineDto>, ApiError> {
    authed.require(HOTLINE)?;
    let id = line_id(&id)?;
    let envelopes = body.envelopes()?;
    let policy = body.policy.to_policy()?;
    let epoch = body.epoch;
    let limits = *state.blind;
    let b = state
        .run(&authed, move |e, ctx| e.coord().blind_rotate(ctx, &limits, &id, epoch, &policy, &envelopes))
        .await?;
    Ok(Json((&b).into()))
}

/// Query of `GET /v1/lines/{id}/blind/envelope`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EnvelopeQuery {
    /// The epoch (default: the current one).
    pub epoch: Option<u64>,
}

/// `GET /v1/lines/{id}/blind/envelope`: the caller's sealed line key.
#[utoipa::path(get, path = "/v1/lines/{id}/blind/envelope", tag = "blind", operation_id = "blind_envelope",
    params(("id" = String, Path, description = "The line id."), EnvelopeQuery),
    responses(
        (status = 200, description = "The caller's envelope.", body = EnvelopeDto),
        (status = 400, description = "Not a line id or epoch.", body = ErrorBody),
        (status = 401, description = "Missing or invalid bearer token.", body = ErrorBody),
        (status = 403, description = "The token lacks the scope, or the caller is not a party on the line.", body = ErrorBody),
        (status = 404, description = "No such line, or no envelope of that epoch for the caller.", body = ErrorBody),
    ),
    security(("bearer" = ["deconflict.hotline"])))]
pub async fn envelope(
    State(state): State<AppState>,
    authed: Authed,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<EnvelopeQuery>,
) -> Result<Json<EnvelopeDto>, ApiError> {
    use base64::Engine as _;
    authed.require(HOTLINE)?;
    let id = line_id(&id)?;
    let (epoch, sender, bytes) =
        state.run(&authed, move |e, ctx| e.coord().blind_envelope(ctx, &id, q.epoch)).await?;
    let envelope = base64::engine::general_purpose::STANDARD.encode(bytes);
    Ok(Json(EnvelopeDto { epoch, sender: sender.to_string(), envelope }))
}

fn filed(result: BlindFiled, created: StatusCode) -> Response {
    match result {
        BlindFiled::Filed { op, matches } => {
            (created, Json(BlindOperationDto::new(&op, &matches))).into_response()
        }
        BlindFiled::Refused(c) => {
            let n = c.missing.len();
            let body = BlindConflictDto {
                message: format!(
                    "the blind operation matches {n} blind operation(s) of other parties whose OVN it did not show; \
                     a thread was opened on the line: coordinate there"
                ),
                missing: c.missing.iter().map(Into::into).collect(),
            };
            let mut response = (StatusCode::CONFLICT, Json(body)).into_response();
            response
                .extensions_mut()
                .insert(crate::error::Refusal("blind conflict: missing OVNs".to_owned()));
            response
        }
    }
}

/// `POST /v1/blind/operations`: files a blind operation (tokens computed by the client).
#[utoipa::path(post, path = "/v1/blind/operations", tag = "blind", operation_id = "blind_file",
    request_body = BlindFileDto,
    responses(
        (status = 201, description = "Filed, with the matches found.", body = BlindOperationDto),
        (status = 400, description = "Bad line, epoch, times or tokens (naming the field), or more tokens than the line allows.", body = ErrorBody),
        (status = 401, description = "Missing or invalid bearer token.", body = ErrorBody),
        (status = 403, description = "The token lacks the scope, or the caller is not a party on the line.", body = ErrorBody),
        (status = 404, description = "No such line.", body = ErrorBody),
        (status = 409, description = "It matches other parties' blind operations whose OVN it did not show.", body = BlindConflictDto),
        (status = 429, description = "Over the blind filings per minute; `Retry-After` says when to try again.", body = ErrorBody),
    ),
    security(("bearer" = ["deconflict.hotline"])))]
pub async fn file(
    State(state): State<AppState>,
    authed: Authed,
    ApiJson(body): ApiJson<BlindFileDto>,
) -> Result<Response, ApiError> {
    authed.require(HOTLINE)?;
    let line = line_id(&body.line)?;
    let draft = body.draft()?;
    let limits = *state.blind;
    let r = state.run(&authed, move |e, ctx| e.coord().blind_file(ctx, &limits, &line, None, &draft)).await?;
    Ok(filed(r, StatusCode::CREATED))
}

/// `PUT /v1/blind/operations/{id}/{ovn}`: new tokens or validity.
#[utoipa::path(put, path = "/v1/blind/operations/{id}/{ovn}", tag = "blind", operation_id = "blind_update",
    params(("id" = String, Path, description = "The operation."), ("ovn" = String, Path, description = "Its current OVN.")),
    request_body = BlindFileDto,
    responses(
        (status = 200, description = "Updated, with the matches found.", body = BlindOperationDto),
        (status = 400, description = "Bad line, epoch, times or tokens (naming the field).", body = ErrorBody),
        (status = 401, description = "Missing or invalid bearer token.", body = ErrorBody),
        (status = 403, description = "Not the caller's operation.", body = ErrorBody),
        (status = 404, description = "No such operation or line.", body = ErrorBody),
        (status = 409, description = "A stale OVN (ErrorBody), or matches whose OVN it did not show (BlindConflictDto).", body = BlindConflictDto),
        (status = 429, description = "Over the blind filings per minute.", body = ErrorBody),
    ),
    security(("bearer" = ["deconflict.hotline"])))]
pub async fn update(
    State(state): State<AppState>,
    authed: Authed,
    ApiPath((id, ovn)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<BlindFileDto>,
) -> Result<Response, ApiError> {
    authed.require(HOTLINE)?;
    let line = line_id(&body.line)?;
    let draft = body.draft()?;
    let limits = *state.blind;
    let r = state
        .run(&authed, move |e, ctx| e.coord().blind_file(ctx, &limits, &line, Some((&id, &ovn)), &draft))
        .await?;
    Ok(filed(r, StatusCode::OK))
}

/// `DELETE /v1/blind/operations/{id}/{ovn}`: ends the operation (it matches nothing more).
#[utoipa::path(delete, path = "/v1/blind/operations/{id}/{ovn}", tag = "blind", operation_id = "blind_end",
    params(("id" = String, Path, description = "The operation."), ("ovn" = String, Path, description = "Its current OVN.")),
    responses(
        (status = 200, description = "Ended.", body = BlindOperationDto),
        (status = 401, description = "Missing or invalid bearer token.", body = ErrorBody),
        (status = 403, description = "Not the caller's operation.", body = ErrorBody),
        (status = 404, description = "No such operation.", body = ErrorBody),
        (status = 409, description = "A stale OVN.", body = ErrorBody),
    ),
    security(("bearer" = ["deconflict.hotline"])))]
pub async fn end(
    State(state): State<AppState>,
    authed: Authed,
    ApiPath((id, ovn)): ApiPath<(String, String)>,
) -> Result<Json<BlindOperationDto>, ApiError> {
    authed.require(HOTLINE)?;
    let op = state.run(&authed, move |e, ctx| e.coord().blind_end(ctx, &id, &ovn)).await?;
    Ok(Json(BlindOperationDto::new(&op, &[])))
}

/// `GET /v1/blind/operations`: the caller's own blind operations.
#[utoipa::path(get, path = "/v1/blind/operations", tag = "blind", operation_id = "blind_list",
    responses(
        (status = 200, description = "The caller's operations.", body = BlindOperationsDto),
        (status = 401, description = "Missing or invalid bearer token.", body = ErrorBody),
        (status = 403, description = "The token lacks the scope.", body = ErrorBody),
    ),
    security(("bearer" = ["deconflict.hotline"])))]
pub async fn list(
    State(state): State<AppState>,
    authed: Authed,
) -> Result<Json<BlindOperationsDto>, ApiError> {
    authed.require(HOTLINE)?;
    let ops = state.run(&authed, move |e, ctx| e.coord().blind_ops(ctx)).await?;
    Ok(Json(BlindOperationsDto { operations: ops.iter().map(|o| BlindOperationDto::new(o, &[])).collect() }))
}

/// `GET /v1/blind/operations/{id}`: one of the caller's operations.
#[utoipa::path(get, path = "/v1/blind/operations/{id}", tag = "blind", operation_id = "blind_get",
    params(("id" = String, Path, description = "The operation.")),
    responses(
        (status = 200, description = "The operation.", body = BlindOperationDto),
        (status = 401, description = "Missing or invalid bearer token.", body = ErrorBody),
        (status = 403, description = "Not the caller's operation.", body = ErrorBody),
        (status = 404, description = "No such operation.", body = ErrorBody),
    ),
    security(("bearer" = ["deconflict.hotline"])))]
pub async fn get(
    State(state): State<AppState>,
    authed: Authed,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<BlindOperationDto>, ApiError> {
    authed.require(HOTLINE)?;
    let op = state.run(&authed, move |e, ctx| e.coord().blind_op(ctx, &id)).await?;
    Ok(Json(BlindOperationDto::new(&op, &[])))
}

/// `GET /v1/blind/matches`: matches of the caller's operations, with only its own tokens.
#[utoipa::path(get, path = "/v1/blind/matches", tag = "blind", operation_id = "blind_matches",
    responses(
        (status = 200, description = "The matches.", body = BlindMatchesDto),
        (status = 401, description = "Missing or invalid bearer token.", body = ErrorBody),
        (status = 403, description = "The token lacks the scope.", body = ErrorBody),
    ),
    security(("bearer" = ["deconflict.hotline"])))]
pub async fn matches(
    State(state): State<AppState>,
    authed: Authed,
) -> Result<Json<BlindMatchesDto>, ApiError> {
    authed.require(HOTLINE)?;
    let m = state.run(&authed, move |e, ctx| e.coord().blind_matches(ctx)).await?;
    Ok(Json(BlindMatchesDto { matches: m.iter().map(Into::into).collect() }))
}

/// `POST /v1/blind/sealed`: relays geometry sealed to another party on a shared line.
#[utoipa::path(post, path = "/v1/blind/sealed", tag = "blind", operation_id = "blind_send_sealed",
    request_body = SendSealedDto,
    responses(
        (status = 201, description = "Relayed.", body = SealedDto),
        (status = 400, description = "Bad line, recipient or payload (naming the field).", body = ErrorBody),
        (status = 401, description = "Missing or invalid bearer token.", body = ErrorBody),
        (status = 403, description = "The caller is not a party on the line.", body = ErrorBody),
        (status = 404, description = "No such line.", body = ErrorBody),
    ),
    security(("bearer" = ["deconflict.hotline"])))]
pub async fn send_sealed(
    State(state): State<AppState>,
    authed: Authed,
    ApiJson(body): ApiJson<SendSealedDto>,
) -> Result<(StatusCode, Json<SealedDto>), ApiError> {
    authed.require(HOTLINE)?;
    let line = line_id(&body.line)?;
    let to = party_name("to", &body.to)?;
    let sealed = base64_field("sealed", &body.sealed)?;
    let g = state.run(&authed, move |e, ctx| e.coord().blind_send_sealed(ctx, &line, &to, &sealed)).await?;
    Ok((StatusCode::CREATED, Json((&g).into())))
}

/// `GET /v1/blind/sealed`: geometry sealed to the caller.
#[utoipa::path(get, path = "/v1/blind/sealed", tag = "blind", operation_id = "blind_sealed_inbox",
    responses(
        (status = 200, description = "What was sealed to the caller.", body = SealedInboxDto),
        (status = 401, description = "Missing or invalid bearer token.", body = ErrorBody),
        (status = 403, description = "The token lacks the scope.", body = ErrorBody),
    ),
    security(("bearer" = ["deconflict.hotline"])))]
pub async fn sealed_inbox(
    State(state): State<AppState>,
    authed: Authed,
) -> Result<Json<SealedInboxDto>, ApiError> {
    authed.require(HOTLINE)?;
    let g = state.run(&authed, move |e, ctx| e.coord().blind_sealed_inbox(ctx)).await?;
    Ok(Json(SealedInboxDto { sealed: g.iter().map(Into::into).collect() }))
}
