//! The hotline: `POST /v1/lines/{id}/messages`, `GET /v1/inbox`,
//! `GET /v1/messages/{id}`, `POST /v1/messages/{id}/read`,
//! `POST /v1/messages/{id}/ack`; and the conflict threads opened when an
//! operational intent is refused for a missing key (409).

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use deconflict_core::coord::{MessageDraft, Priority, Refs};
use serde::Deserialize;
use serde_json::{Value, json};

use super::lines::{HOTLINE, wire};
use super::{ApiPath, ApiQuery};
use crate::dto::{Bounds, Volume4dDto};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Authed};
use crate::state::AppState;

/// What a message refers to.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefsDto {
    /// An operational intent.
    #[serde(default)]
    pub operation_id: Option<String>,
    /// A tactical alert.
    #[serde(default)]
    pub alert_id: Option<String>,
    /// An F3548 `Volume4D`.
    #[serde(default)]
    pub area: Option<Volume4dDto>,
}

/// Body of `POST /v1/lines/{id}/messages`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendDto {
    /// `routine`, `urgent` or `flash`.
    pub priority: String,
    /// The text (at most 4 KiB; with a template, the remarks).
    #[serde(default)]
    pub text: String,
    /// What it is about.
    #[serde(default)]
    pub refs: RefsDto,
    /// `intent_to_operate`, `request_to_vacate` or `emergency_assistance`.
    #[serde(default)]
    pub template: Option<String>,
    /// The template's fields.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    /// The message this answers (same thread).
    #[serde(default)]
    pub reply_to: Option<String>,
    /// A subset of the other parties on the line.
    #[serde(default)]
    pub to: Option<Vec<String>>,
    /// Retries with the same key return the first message (or use the `Idempotency-Key` header).
    #[serde(default)]
    pub idempotency_key: Option<String>,
}

fn draft(body: SendDto, headers: &HeaderMap) -> Result<MessageDraft, ApiError> {
    let priority = Priority::parse(&body.priority).ok_or_else(|| {
        ApiError::bad(format!("priority {:?} is not one of routine, urgent, flash", body.priority))
    })?;
    let area = match &body.refs.area {
        Some(a) => {
            a.to_volume("refs.area", Bounds::Required)?;
            Some(serde_json::to_value(a).map_err(|e| ApiError::bad(format!("refs.area: {e}")))?)
        }
        None => None,
    };
    let header_key = match headers.get("idempotency-key") {
        None => None,
        Some(v) => {
            Some(v.to_str().map_err(|_| ApiError::bad("Idempotency-Key header is not ASCII"))?.to_owned())
        }
    };
    let idempotency_key = match (body.idempotency_key, header_key) {
        (Some(b), Some(h)) if b != h => {
            return Err(ApiError::bad("idempotency_key and the Idempotency-Key header differ"));
        }
        (b, h) => b.or(h),
    };
    Ok(MessageDraft {
        priority,
        text: body.text,
        refs: Refs { operation_id: body.refs.operation_id, alert_id: body.refs.alert_id, area },
        template: body.template,
        fields: body.fields,
        reply_to: body.reply_to,
        to: body.to,
        idempotency_key,
    })
}

/// `POST /v1/lines/{id}/messages`: 201 for a new message, 200 (the original)
/// for a retry with the same idempotency key.
#[utoipa::path(post, path = "/v1/lines/{id}/messages", tag = "messages", operation_id = "send_message",
    params(
        ("id" = String, Path, description = "The line id."),
        ("Idempotency-Key" = Option<String>, Header, description = "Same as `idempotency_key` in the body (they must agree)."),
    ),
    request_body = SendDto,
    responses(
        (status = 200, description = "A retry: the original message.", body = serde_json::Value),
        (status = 201, description = "The new message.", body = serde_json::Value),
        (status = 400, description = "Bad body (priority, template, fields, refs, reply_to, recipients, text length).", body = ErrorBody),
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
    ApiPath(line_id): ApiPath<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<SendDto>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    authed.require(HOTLINE)?;
    let d = draft(body, &headers)?;
    let sent = state.run(&authed, move |e, ctx| e.coord().send_message(ctx, &line_id, &d)).await?;
    let status = if sent.created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(wire(&sent.view))))
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
}

/// `GET /v1/inbox?unacked=true`: the caller's messages, newest first (fetching delivers them).
#[utoipa::path(get, path = "/v1/inbox", tag = "messages", operation_id = "inbox",
    params(InboxQuery),
    responses(
        (status = 200, description = "`{\"messages\": [Message]}`.", body = serde_json::Value),
        (status = 400, description = "Unparsable query string.", body = ErrorBody),
        (status = 401, description = "Missing or invalid bearer token.", body = ErrorBody),
        (status = 403, description = "The token lacks the scope.", body = ErrorBody),
    ),
    security(("bearer" = ["deconflict.hotline"])))]
pub async fn inbox(
    State(state): State<AppState>,
    authed: Authed,
    ApiQuery(q): ApiQuery<InboxQuery>,
) -> Result<Json<Value>, ApiError> {
    authed.require(HOTLINE)?;
    let limit = super::limit(q.limit, 100, 1000)?;
    let list = state.run(&authed, move |e, ctx| e.coord().inbox(ctx, q.unacked, limit)).await?;
    Ok(Json(json!({ "messages": wire(&list) })))
}

/// `GET /v1/messages/{id}`: sender and recipients only.
#[utoipa::path(get, path = "/v1/messages/{id}", tag = "messages", operation_id = "get_message",
    params(("id" = String, Path, description = "The message id.")),
    responses(
        (status = 200, description = "The message.", body = serde_json::Value),
        (status = 401, description = "Missing or invalid bearer token.", body = ErrorBody),
        (status = 403, description = "The token lacks the scope, or the caller is neither sender nor recipient.", body = ErrorBody),
        (status = 404, description = "No such message.", body = ErrorBody),
    ),
    security(("bearer" = ["deconflict.hotline"])))]
pub async fn get(
    State(state): State<AppState>,
    authed: Authed,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    authed.require(HOTLINE)?;
    let view = state.run(&authed, move |e, ctx| e.coord().message(ctx, &id)).await?;
    Ok(Json(wire(&view)))
}

/// `POST /v1/messages/{id}/read`: by a recipient.
#[utoipa::path(post, path = "/v1/messages/{id}/read", tag = "messages", operation_id = "read_message",
    params(("id" = String, Path, description = "The message id.")),
    responses(
        (status = 200, description = "The message.", body = serde_json::Value),
        (status = 401, description = "Missing or invalid bearer token.", body = ErrorBody),
        (status = 403, description = "The token lacks the scope, or the caller is not a recipient.", body = ErrorBody),
        (status = 404, description = "No such message.", body = ErrorBody),
    ),
    security(("bearer" = ["deconflict.hotline"])))]
pub async fn read(
    State(state): State<AppState>,
    authed: Authed,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    authed.require(HOTLINE)?;
    let view = state.run(&authed, move |e, ctx| e.coord().read_message(ctx, &id)).await?;
    Ok(Json(wire(&view)))
}

/// Body of an acknowledgement.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AckDto {
    /// The person who acknowledges.
    pub operator: String,
}

/// `POST /v1/messages/{id}/ack {"operator"}`: by a recipient only (anyone else 403).
#[utoipa::path(post, path = "/v1/messages/{id}/ack", tag = "messages", operation_id = "ack_message",
    params(("id" = String, Path, description = "The message id.")),
    request_body = AckDto,
    responses(
        (status = 200, description = "The message.", body = serde_json::Value),
        (status = 400, description = "Bad body.", body = ErrorBody),
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
) -> Result<Json<Value>, ApiError> {
    authed.require(HOTLINE)?;
    let view = state.run(&authed, move |e, ctx| e.coord().ack_message(ctx, &id, &body.operator)).await?;
    Ok(Json(wire(&view)))
}
