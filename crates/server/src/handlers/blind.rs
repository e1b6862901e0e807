//! `/v1/lines/{id}/blind/...` and `/v1/blind/...`: blind operations (issue
//! 14). Keys and envelopes are relayed, tokens matched by equality; the
//! rules are `deconflict_core::coord::blind`'s, these handlers only convert.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use deconflict_core::coord::blind::BlindFiled;
use serde::Deserialize;

use super::responses::{Denied, OnBlindOperation, OnLine};
use super::{ApiPath, ApiQuery, LinePath};
use crate::auth::scope::Hotline;
use crate::dto::blind::{
    BlindConflictDto, BlindFileDto, BlindLineDto, BlindMatchesDto, BlindOperationDto, BlindOperationsDto,
    EnvelopeDto, PublishKeyDto, RotateDto, SealedDto, SealedInboxDto, SendSealedDto, base64_field,
};
use crate::dto::coord::{line_id, party_name};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Call, Reply};

/// `GET /v1/lines/{id}/blind`: the members' keys, the epoch and the token parameters.
#[utoipa::path(get, path = "/v1/lines/{id}/blind", tag = "blind", operation_id = "blind_line", params(LinePath),
    responses(OnLine, (status = 200, description = "The line's blind state.", body = BlindLineDto)),
    security(("bearer" = ["deconflict.hotline"])))]
pub async fn line(call: Call<Hotline>, ApiPath(LinePath { id }): ApiPath<LinePath>) -> Reply<BlindLineDto> {
    let b = call.run(move |e, ctx| e.coord().blind_line(ctx, &id)).await?;
    Ok(Json((&b).into()))
}

/// `PUT /v1/lines/{id}/blind/key`: publishes the caller's public key.
#[utoipa::path(put, path = "/v1/lines/{id}/blind/key", tag = "blind", operation_id = "blind_publish_key",
    params(LinePath), request_body = PublishKeyDto,
    responses(OnLine, (status = 200, description = "The line's blind state with the key.", body = BlindLineDto),
        (status = 400, description = "Not a line id, or the key is not base64 of 32 bytes.", body = ErrorBody)),
    security(("bearer" = ["deconflict.hotline"])))]
pub async fn publish_key(
    call: Call<Hotline>,
    ApiPath(LinePath { id }): ApiPath<LinePath>,
    ApiJson(body): ApiJson<PublishKeyDto>,
) -> Reply<BlindLineDto> {
    let key = base64_field("public_key", &body.public_key)?;
    let b = call.run(move |e, ctx| e.coord().blind_publish_key(ctx, &id, &key)).await?;
    Ok(Json((&b).into()))
}

/// `POST /v1/lines/{id}/blind/epochs`: a new epoch's key sealed to every keyed member.
#[utoipa::path(post, path = "/v1/lines/{id}/blind/epochs", tag = "blind", operation_id = "blind_rotate",
    params(LinePath), request_body = RotateDto,
    responses(OnLine, (status = 200, description = "The line at its new epoch.", body = BlindLineDto),
        (status = 400, description = "Missing, extra or malformed envelopes, a policy out of range or over the service's limits, or the caller has no key.", body = ErrorBody),
        (status = 409, description = "Not the next epoch (another party rotated first).", body = ErrorBody)),
    security(("bearer" = ["deconflict.hotline"])))]
pub async fn rotate(
    call: Call<Hotline>,
    ApiPath(LinePath { id }): ApiPath<LinePath>,
    ApiJson(body): ApiJson<RotateDto>,
) -> Reply<BlindLineDto> {
    let envelopes = body.envelopes()?;
    let policy = body.policy.to_policy()?;
    let (epoch, limits) = (body.epoch, *call.state.blind);
    let b =
        call.run(move |e, ctx| e.coord().blind_rotate(ctx, &limits, &id, epoch, &policy, &envelopes)).await?;
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
    params(LinePath, EnvelopeQuery),
    responses(OnLine, (status = 200, description = "The caller's envelope.", body = EnvelopeDto),
        (status = 404, description = "No such line, or no envelope of that epoch for the caller.", body = ErrorBody)),
    security(("bearer" = ["deconflict.hotline"])))]
pub async fn envelope(
    call: Call<Hotline>,
    ApiPath(LinePath { id }): ApiPath<LinePath>,
    ApiQuery(q): ApiQuery<EnvelopeQuery>,
) -> Reply<EnvelopeDto> {
    use base64::Engine as _;
    let (epoch, sender, bytes) = call.run(move |e, ctx| e.coord().blind_envelope(ctx, &id, q.epoch)).await?;
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
    responses(OnLine, (status = 201, description = "Filed, with the matches found.", body = BlindOperationDto),
        (status = 400, description = "Bad line, epoch, times or tokens (naming the field), or more tokens than the line allows.", body = ErrorBody),
        (status = 409, description = "It matches other parties' blind operations whose OVN it did not show.", body = BlindConflictDto),
        (status = 429, description = "Over the blind filings per minute; `Retry-After` says when to try again.", body = ErrorBody)),
    security(("bearer" = ["deconflict.hotline"])))]
pub async fn file(call: Call<Hotline>, ApiJson(body): ApiJson<BlindFileDto>) -> Result<Response, ApiError> {
    let line = line_id(&body.line)?;
    let draft = body.draft()?;
    let limits = *call.state.blind;
    let r = call.run(move |e, ctx| e.coord().blind_file(ctx, &limits, &line, None, &draft)).await?;
    Ok(filed(r, StatusCode::CREATED))
}

/// `PUT /v1/blind/operations/{id}/{ovn}`: new tokens or validity.
#[utoipa::path(put, path = "/v1/blind/operations/{id}/{ovn}", tag = "blind", operation_id = "blind_update",
    params(BlindOperationPath), request_body = BlindFileDto,
    responses(OnBlindOperation, (status = 200, description = "Updated, with the matches found.", body = BlindOperationDto),
        (status = 400, description = "Bad line, epoch, times or tokens (naming the field).", body = ErrorBody),
        (status = 404, description = "No such operation or line.", body = ErrorBody),
        (status = 409, description = "A stale OVN (ErrorBody), or matches whose OVN it did not show (BlindConflictDto).", body = BlindConflictDto),
        (status = 429, description = "Over the blind filings per minute.", body = ErrorBody)),
    security(("bearer" = ["deconflict.hotline"])))]
pub async fn update(
    call: Call<Hotline>,
    ApiPath(BlindOperationPath { id, ovn }): ApiPath<BlindOperationPath>,
    ApiJson(body): ApiJson<BlindFileDto>,
) -> Result<Response, ApiError> {
    let line = line_id(&body.line)?;
    let draft = body.draft()?;
    let limits = *call.state.blind;
    let r =
        call.run(move |e, ctx| e.coord().blind_file(ctx, &limits, &line, Some((&id, &ovn)), &draft)).await?;
    Ok(filed(r, StatusCode::OK))
}

/// `DELETE /v1/blind/operations/{id}/{ovn}`: ends the operation (it matches nothing more).
#[utoipa::path(delete, path = "/v1/blind/operations/{id}/{ovn}", tag = "blind", operation_id = "blind_end",
    params(BlindOperationPath),
    responses(OnBlindOperation, (status = 200, description = "Ended.", body = BlindOperationDto),
        (status = 409, description = "A stale OVN.", body = ErrorBody)),
    security(("bearer" = ["deconflict.hotline"])))]
pub async fn end(
    call: Call<Hotline>,
    ApiPath(BlindOperationPath { id, ovn }): ApiPath<BlindOperationPath>,
) -> Reply<BlindOperationDto> {
    let op = call.run(move |e, ctx| e.coord().blind_end(ctx, &id, &ovn)).await?;
    Ok(Json(BlindOperationDto::new(&op, &[])))
}

/// `GET /v1/blind/operations`: the caller's own blind operations.
#[utoipa::path(get, path = "/v1/blind/operations", tag = "blind", operation_id = "blind_list",
    responses(Denied, (status = 200, description = "The caller's operations.", body = BlindOperationsDto)),
    security(("bearer" = ["deconflict.hotline"])))]
pub async fn list(call: Call<Hotline>) -> Reply<BlindOperationsDto> {
    let ops = call.run(move |e, ctx| e.coord().blind_ops(ctx)).await?;
    Ok(Json(BlindOperationsDto { operations: ops.iter().map(|o| BlindOperationDto::new(o, &[])).collect() }))
}

/// The path of a call on one blind operation (its OVN where it changes it).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct BlindOperationPath {
    /// The operation.
    pub id: String,
    /// Its current OVN.
    pub ovn: String,
}

/// `GET /v1/blind/operations/{id}`: one of the caller's operations.
#[utoipa::path(get, path = "/v1/blind/operations/{id}", tag = "blind", operation_id = "blind_get",
    params(("id" = String, Path, description = "The operation.")),
    responses(OnBlindOperation, (status = 200, description = "The operation.", body = BlindOperationDto)),
    security(("bearer" = ["deconflict.hotline"])))]
pub async fn get(call: Call<Hotline>, ApiPath(id): ApiPath<String>) -> Reply<BlindOperationDto> {
    let op = call.run(move |e, ctx| e.coord().blind_op(ctx, &id)).await?;
    Ok(Json(BlindOperationDto::new(&op, &[])))
}

/// `GET /v1/blind/matches`: matches of the caller's operations, with only its own tokens.
#[utoipa::path(get, path = "/v1/blind/matches", tag = "blind", operation_id = "blind_matches",
    responses(Denied, (status = 200, description = "The matches.", body = BlindMatchesDto)),
    security(("bearer" = ["deconflict.hotline"])))]
pub async fn matches(call: Call<Hotline>) -> Reply<BlindMatchesDto> {
    let m = call.run(move |e, ctx| e.coord().blind_matches(ctx)).await?;
    Ok(Json(BlindMatchesDto { matches: m.iter().map(Into::into).collect() }))
}

/// `POST /v1/blind/sealed`: relays geometry sealed to another party on a shared line.
#[utoipa::path(post, path = "/v1/blind/sealed", tag = "blind", operation_id = "blind_send_sealed",
    request_body = SendSealedDto,
    responses(OnLine, (status = 201, description = "Relayed.", body = SealedDto),
        (status = 400, description = "Bad line, recipient or payload (naming the field).", body = ErrorBody)),
    security(("bearer" = ["deconflict.hotline"])))]
pub async fn send_sealed(
    call: Call<Hotline>,
    ApiJson(body): ApiJson<SendSealedDto>,
) -> Result<(StatusCode, Json<SealedDto>), ApiError> {
    let line = line_id(&body.line)?;
    let to = party_name("to", &body.to)?;
    let sealed = base64_field("sealed", &body.sealed)?;
    let g = call.run(move |e, ctx| e.coord().blind_send_sealed(ctx, &line, &to, &sealed)).await?;
    Ok((StatusCode::CREATED, Json((&g).into())))
}

/// `GET /v1/blind/sealed`: geometry sealed to the caller.
#[utoipa::path(get, path = "/v1/blind/sealed", tag = "blind", operation_id = "blind_sealed_inbox",
    responses(Denied, (status = 200, description = "What was sealed to the caller.", body = SealedInboxDto)),
    security(("bearer" = ["deconflict.hotline"])))]
pub async fn sealed_inbox(call: Call<Hotline>) -> Reply<SealedInboxDto> {
    let g = call.run(move |e, ctx| e.coord().blind_sealed_inbox(ctx)).await?;
    Ok(Json(SealedInboxDto { sealed: g.iter().map(Into::into).collect() }))
}
