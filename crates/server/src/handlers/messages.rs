//! The hotline: `POST /v1/lines/{id}/messages`, `GET /v1/inbox`,
//! `GET /v1/messages/{id}`, `POST /v1/messages/{id}/read`,
//! `POST /v1/messages/{id}/ack`; and the conflict threads opened when an
//! operational intent is refused for a missing key (409).

use axum::Json;
use axum::http::{HeaderMap, StatusCode};
use deconflict_core::coord::MessageId;
use serde::Deserialize;

use super::responses::{Denied, OnLine, OnMessage};
use super::{ApiPath, ApiQuery, LinePath};
use crate::auth::scope::Hotline;
use crate::dto::hotline::{AckDto, MessageDto, MessagesDto, SendDto};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Call, Reply};

/// `POST /v1/lines/{id}/messages`: 201 for a new message, 200 (the original)
/// for a retry with the same idempotency key.
#[utoipa::path(post, path = "/v1/lines/{id}/messages", tag = "messages", operation_id = "send_message",
    params(LinePath,
        ("Idempotency-Key" = Option<String>, Header, description = "Same as `idempotency_key` in the body (they must agree)."),
    ),
    request_body = SendDto,
    responses(OnLine, (status = 200, description = "A retry: the original message.", body = MessageDto),
        (status = 201, description = "The new message.", body = MessageDto),
        (status = 400, description = "Bad line id or body (priority, template, fields, refs, reply_to, recipients, text length).", body = ErrorBody),
        (status = 409, description = "The line is suspended.", body = ErrorBody),
        (status = 429, description = "The sender is over its messages-per-minute quota; `Retry-After` says when to try again.", body = ErrorBody)),
    security(("bearer" = ["deconflict.hotline"])))]
pub async fn send(
    call: Call<Hotline>,
    ApiPath(LinePath { id }): ApiPath<LinePath>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<SendDto>,
) -> Result<(StatusCode, Json<MessageDto>), ApiError> {
    let d = body.into_draft(&headers)?;
    let sent = call.run(move |e, ctx| e.coord().send_message(ctx, &id, &d)).await?;
    let status = if sent.created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json((&sent.view).into())))
}

/// The path of a call on one message.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct MessagePath {
    /// The message id.
    #[param(value_type = String)]
    pub id: MessageId,
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
#[utoipa::path(get, path = "/v1/inbox", tag = "messages", operation_id = "inbox", params(InboxQuery),
    responses(Denied, (status = 200, description = "The messages, newest first.", body = MessagesDto),
        (status = 400, description = "Unparsable query string, a `limit` out of range, or a `cursor` that is no message id.", body = ErrorBody)),
    security(("bearer" = ["deconflict.hotline"])))]
pub async fn inbox(call: Call<Hotline>, ApiQuery(q): ApiQuery<InboxQuery>) -> Reply<MessagesDto> {
    let limit = super::limit(q.limit, 100, 1000)?;
    let before = super::cursor(q.cursor.as_deref(), MessageId::parse)?;
    let page = call.run(move |e, ctx| e.coord().inbox(ctx, q.unacked, before, limit)).await?;
    Ok(Json(MessagesDto::page(&page)))
}

/// `GET /v1/messages/{id}`: sender and recipients only.
#[utoipa::path(get, path = "/v1/messages/{id}", tag = "messages", operation_id = "get_message",
    params(MessagePath),
    responses(OnMessage, (status = 200, description = "The message.", body = MessageDto)),
    security(("bearer" = ["deconflict.hotline"])))]
pub async fn get(
    call: Call<Hotline>,
    ApiPath(MessagePath { id }): ApiPath<MessagePath>,
) -> Reply<MessageDto> {
    let view = call.run(move |e, ctx| e.coord().message(ctx, id)).await?;
    Ok(Json((&view).into()))
}

/// `POST /v1/messages/{id}/read`: by a recipient.
#[utoipa::path(post, path = "/v1/messages/{id}/read", tag = "messages", operation_id = "read_message",
    params(MessagePath),
    responses(OnMessage, (status = 200, description = "The message.", body = MessageDto),
        (status = 403, description = "The token lacks the scope, or the caller is not a recipient.", body = ErrorBody)),
    security(("bearer" = ["deconflict.hotline"])))]
pub async fn read(
    call: Call<Hotline>,
    ApiPath(MessagePath { id }): ApiPath<MessagePath>,
) -> Reply<MessageDto> {
    let view = call.run(move |e, ctx| e.coord().read_message(ctx, id)).await?;
    Ok(Json((&view).into()))
}

/// `POST /v1/messages/{id}/ack {"operator"}`: by a recipient only (anyone else 403).
#[utoipa::path(post, path = "/v1/messages/{id}/ack", tag = "messages", operation_id = "ack_message",
    params(MessagePath), request_body = AckDto,
    responses(OnMessage, (status = 200, description = "The message.", body = MessageDto),
        (status = 403, description = "The token lacks the scope, or the caller is not a recipient.", body = ErrorBody)),
    security(("bearer" = ["deconflict.hotline"])))]
pub async fn ack(
    call: Call<Hotline>,
    ApiPath(MessagePath { id }): ApiPath<MessagePath>,
    ApiJson(body): ApiJson<AckDto>,
) -> Reply<MessageDto> {
    let view = call.run(move |e, ctx| e.coord().ack_message(ctx, id, &body.operator)).await?;
    Ok(Json((&view).into()))
}
