//! The hotline: `POST /v1/lines/{id}/messages`, `GET /v1/inbox`,
//! `GET /v1/messages/{id}`, `POST /v1/messages/{id}/read`,
//! `POST /v1/messages/{id}/ack`; and the conflict threads opened when an
//! operational intent is refused for a missing key (409).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use deconflict_core::coord::MessageId;
use serde::Deserialize;

use super::lines::HOTLINE;
use super::{ApiPath, ApiQuery};
use crate::dto::coord::line_id;
use crate::dto::hotline::{AckDto, MessageDto, MessagesDto, SendDto};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Authed};
use crate::state::AppState;

/// `POST /v1/lines/{id}/messages`: 201 for a new message, 200 (the original)
/// for a retry with the same idempotency key.
#[utoipa::path(post, path = "/v1/lines/{id}/messages", tag = "messages", operation_id = "send_message",
    params(
        ("id" = String, Path, description = "The line id."),
        ("Idempotency-Key" = Option<String>, Header, description = "Same as `idempotency_key` in the body (they must agree)."),
    ),
    request_body = SendDto,
    responses(
        (status = 200, description = "A retry: the original message.", body = MessageDto),
        (status = 201, description = "The new message.", body = MessageDto),
        (status = 400, description = "Bad line id or body (priority, template, fields, refs, reply_to, recipients, text length).", body = ErrorBody),
        (status = 401, description = "Missing or invalid bearer token.", body = ErrorBody),
        (status = 403, description = "The token lacks the scope, or the caller is not a party on the line.", body = ErrorBody),
        (status = 404, description = "No such line.", body = ErrorBody),
        (status = 409, description = "The line is suspended.", body = ErrorBody),
        (status = 429, description = "The sender is over its messages-per-minute quota; `Retry-After` says when to try again.", body = ErrorBody),
    ),
    security(("bearer" = ["deconflict.hotline"])))]
pub async fn send(
    State(state): State<AppState>,
    authed: Authed,
    ApiPath(line): ApiPath<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<SendDto>,
) -> Result<(StatusCode, Json<MessageDto>), ApiError> {
    authed.require(HOTLINE)?;
    let line = line_id(&line)?;
    let d = body.into_draft(&headers)?;
    let sent = state.run(&authed, move |e, ctx| e.coord().send_message(ctx, &line, &d)).await?;
    let status = if sent.created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json((&sent.view).into())))
}

fn message_id(s: &str) -> Result<MessageId, ApiError> {
    MessageId::parse(s).map_err(|e| ApiError::bad(e.to_string()))
}

/// Query of the inbox.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InboxQuery {
    /// Only messages not yet acknowledged.
    #[serde(default)]
    pub unacked: bool,
    /// At most this many (default 100, at most 1000).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
    /// The `next_cursor` of the page before: the messages older than it.
    pub cursor: Option<String>,
}

/// `GET /v1/inbox?unacked=true`: the caller's messages, newest first in
/// pages (`limit`, `cursor`, `next_cursor`); fetching delivers them.
#[utoipa::path(get, path = "/v1/inbox", tag = "messages", operation_id = "inbox",
    params(InboxQuery),
    responses(
        (status = 200, description = "The messages, newest first.", body = MessagesDto),
        (status = 400, description = "Unparsable query string, a `limit` out of range, or a `cursor` that is no message id.", body = ErrorBody),
        (status = 401, description = "Missing or invalid bearer token.", body = ErrorBody),
        (status = 403, description = "The token lacks the scope.", body = ErrorBody),
    ),
    security(("bearer" = ["deconflict.hotline"])))]
pub async fn inbox(
    State(state): State<AppState>,
    authed: Authed,
    ApiQuery(q): ApiQuery<InboxQuery>,
) -> Result<Json<MessagesDto>, ApiError> {
    authed.require(HOTLINE)?;
    let limit = super::limit(q.limit, 100, 1000)?;
    let before = super::cursor(q.cursor.as_deref(), MessageId::parse)?;
    let page = state.run(&authed, move |e, ctx| e.coord().inbox(ctx, q.unacked, before, limit)).await?;
    Ok(Json(MessagesDto::page(&page)))
}

/// `GET /v1/messages/{id}`: sender and recipients only.
#[utoipa::path(get, path = "/v1/messages/{id}", tag = "messages", operation_id = "get_message",
    params(("id" = String, Path, description = "The message id.")),
    responses(
        (status = 200, description = "The message.", body = MessageDto),
        (status = 400, description = "Not a message id.", body = ErrorBody),
        (status = 401, description = "Missing or invalid bearer token.", body = ErrorBody),
        (status = 403, description = "The token lacks the scope, or the caller is neither sender nor recipient.", body = ErrorBody),
        (status = 404, description = "No such message.", body = ErrorBody),
    ),
    security(("bearer" = ["deconflict.hotline"])))]
pub async fn get(
    State(state): State<AppState>,
    authed: Authed,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<MessageDto>, ApiError> {
    authed.require(HOTLINE)?;
    let id = message_id(&id)?;
    let view = state.run(&authed, move |e, ctx| e.coord().message(ctx, id)).await?;
    Ok(Json((&view).into()))
}

/// `POST /v1/messages/{id}/read`: by a recipient.
#[utoipa::path(post, path = "/v1/messages/{id}/read", tag = "messages", operation_id = "read_message",
    params(("id" = String, Path, description = "The message id.")),
    responses(
        (status = 200, description = "The message.", body = MessageDto),
        (status = 400, description = "Not a message id.", body = ErrorBody),
        (status = 401, description = "Missing or invalid bearer token.", body = ErrorBody),
        (status = 403, description = "The token lacks the scope, or the caller is not a recipient.", body = ErrorBody),
        (status = 404, description = "No such message.", body = ErrorBody),
    ),
    security(("bearer" = ["deconflict.hotline"])))]
pub async fn read(
    State(state): State<AppState>,
    authed: Authed,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<MessageDto>, ApiError> {
    authed.require(HOTLINE)?;
    let id = message_id(&id)?;
    let view = state.run(&authed, move |e, ctx| e.coord().read_message(ctx, id)).await?;
    Ok(Json((&view).into()))
}

/// `POST /v1/messages/{id}/ack {"operator"}`: by a recipient only (anyone else 403).
#[utoipa::path(post, path = "/v1/messages/{id}/ack", tag = "messages", operation_id = "ack_message",
    params(("id" = String, Path, description = "The message id.")),
    request_body = AckDto,
    responses(
        (status = 200, description = "The message.", body = MessageDto),
        (status = 400, description = "Bad body, or not a message id.", body = ErrorBody),
        (status = 401, description = "Missing or invalid bearer token.", body = ErrorBody),
        (status = 403, description = "The token lacks the scope, or the caller is not a recipient.", body = ErrorBody),
        (status = 404, description = "No such message.", body = ErrorBody),
    ),
    security(("bearer" = ["deconflict.hotline"])))]
pub async fn ack(
    State(state): State<AppState>,
    authed: Authed,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<AckDto>,
) -> Result<Json<MessageDto>, ApiError> {
    authed.require(HOTLINE)?;
    let id = message_id(&id)?;
    let view = state.run(&authed, move |e, ctx| e.coord().ack_message(ctx, id, &body.operator)).await?;
    Ok(Json((&view).into()))
}
