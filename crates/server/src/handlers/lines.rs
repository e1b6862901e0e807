//! `/v1/lines`: lines between command posts. Administrators create and update
//! them; a party on a line lists it, suspends and resumes it (who, when and why
//! are recorded), sends heartbeats and runs exercise communication checks.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use deconflict_core::coord::{CheckId, LineSpec, MessageId};
use serde::Deserialize;

use super::{ApiPath, ApiQuery};
use crate::auth::scope;
use crate::dto::coord::{
    CheckDto, ChecksDto, HeartbeatDto, LineDto, LinesDto, PutLineDto, WhyDto, line_id, party_name,
};
use crate::dto::hotline::MessagesDto;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Authed, OptionalJson};
use crate::state::AppState;

/// Hotline endpoints.
pub(crate) const HOTLINE: &[&[&str]] = &[&[scope::HOTLINE]];
/// Hotline reads, also for administrators.
pub(crate) const HOTLINE_OR_ADMIN: &[&[&str]] = &[&[scope::HOTLINE], &[scope::ADMIN]];

/// `PUT /v1/lines/{id}` (scope `deconflict.admin`): 201 created, 200 updated.
#[utoipa::path(put, path = "/v1/lines/{id}", tag = "lines", operation_id = "put_line",
    params(("id" = String, Path, description = "The line id.")),
    request_body = PutLineDto,
    responses(
        (status = 200, description = "Updated: the line.", body = LineDto),
        (status = 201, description = "Created: the line.", body = LineDto),
        (status = 400, description = "Bad id or body (e.g. fewer than two registered parties).", body = ErrorBody),
        (status = 401, description = "Missing or invalid bearer token.", body = ErrorBody),
        (status = 403, description = "The token lacks `deconflict.admin`.", body = ErrorBody),
        (status = 409, description = "A concurrent change won; try again.", body = ErrorBody),
    ),
    security(("bearer" = ["deconflict.admin"])))]
pub async fn put(
    State(state): State<AppState>,
    authed: Authed,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<PutLineDto>,
) -> Result<(StatusCode, Json<LineDto>), ApiError> {
    let id = line_id(&id)?;
    let parties = body
        .parties
        .iter()
        .enumerate()
        .map(|(i, p)| party_name(&format!("parties[{i}]"), p))
        .collect::<Result<_, _>>()?;
    let spec = LineSpec { name: body.name, parties, policy: body.policy.into() };
    let (line, created) = state.run(&authed, move |e, ctx| e.coord().put_line(ctx, &id, &spec)).await?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json((&line).into())))
}

/// `GET /v1/lines`: the caller's lines (an administrator's: all).
#[utoipa::path(get, path = "/v1/lines", tag = "lines", operation_id = "list_lines",
    responses(
        (status = 200, description = "The lines.", body = LinesDto),
        (status = 401, description = "Missing or invalid bearer token.", body = ErrorBody),
        (status = 403, description = "The token lacks the scope.", body = ErrorBody),
    ),
    security(("bearer" = ["deconflict.hotline"]), ("bearer" = ["deconflict.admin"])))]
pub async fn list(State(state): State<AppState>, authed: Authed) -> Result<Json<LinesDto>, ApiError> {
    authed.require(HOTLINE_OR_ADMIN)?;
    let lines = state.run(&authed, move |e, ctx| e.coord().lines(ctx)).await?;
    Ok(Json(LinesDto { lines: lines.iter().map(LineDto::from).collect() }))
}

/// `GET /v1/lines/{id}`.
#[utoipa::path(get, path = "/v1/lines/{id}", tag = "lines", operation_id = "get_line",
    params(("id" = String, Path, description = "The line id.")),
    responses(
        (status = 200, description = "The line.", body = LineDto),
        (status = 400, description = "Not a line id.", body = ErrorBody),
        (status = 401, description = "Missing or invalid bearer token.", body = ErrorBody),
        (status = 403, description = "The token lacks the scope, or the caller is not a party on the line.", body = ErrorBody),
        (status = 404, description = "No such line.", body = ErrorBody),
    ),
    security(("bearer" = ["deconflict.hotline"]), ("bearer" = ["deconflict.admin"])))]
pub async fn get(
    State(state): State<AppState>,
    authed: Authed,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<LineDto>, ApiError> {
    authed.require(HOTLINE_OR_ADMIN)?;
    let id = line_id(&id)?;
    let line = state.run(&authed, move |e, ctx| e.coord().line(ctx, &id)).await?;
    Ok(Json((&line).into()))
}

/// `POST /v1/lines/{id}/suspend {"why"}`: by a party on the line.
#[utoipa::path(post, path = "/v1/lines/{id}/suspend", tag = "lines", operation_id = "suspend_line",
    params(("id" = String, Path, description = "The line id.")),
    request_body(content = WhyDto, description = "`why` is required."),
    responses(
        (status = 200, description = "The suspended line.", body = LineDto),
        (status = 400, description = "Bad body, no `why`, or not a line id.", body = ErrorBody),
        (status = 401, description = "Missing or invalid bearer token.", body = ErrorBody),
        (status = 403, description = "The token lacks the scope, or the caller is not a party on the line.", body = ErrorBody),
        (status = 404, description = "No such line.", body = ErrorBody),
        (status = 409, description = "Already suspended.", body = ErrorBody),
    ),
    security(("bearer" = ["deconflict.hotline"])))]
pub async fn suspend(
    State(state): State<AppState>,
    authed: Authed,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<WhyDto>,
) -> Result<Json<LineDto>, ApiError> {
    authed.require(HOTLINE)?;
    let id = line_id(&id)?;
    let why = body.why.ok_or_else(|| ApiError::bad("why is required: say why the line is suspended"))?;
    let line = state.run(&authed, move |e, ctx| e.coord().suspend_line(ctx, &id, &why)).await?;
    Ok(Json((&line).into()))
}

/// `POST /v1/lines/{id}/resume` (optional `{"why"}`): by a party on the line.
#[utoipa::path(post, path = "/v1/lines/{id}/resume", tag = "lines", operation_id = "resume_line",
    params(("id" = String, Path, description = "The line id.")),
    request_body(content = Option<WhyDto>, description = "Optional; an empty body is allowed."),
    responses(
        (status = 200, description = "The resumed line.", body = LineDto),
        (status = 400, description = "Bad body, or not a line id.", body = ErrorBody),
        (status = 401, description = "Missing or invalid bearer token.", body = ErrorBody),
        (status = 403, description = "The token lacks the scope, or the caller is not a party on the line.", body = ErrorBody),
        (status = 404, description = "No such line.", body = ErrorBody),
        (status = 409, description = "Not suspended.", body = ErrorBody),
    ),
    security(("bearer" = ["deconflict.hotline"])))]
pub async fn resume(
    State(state): State<AppState>,
    authed: Authed,
    ApiPath(id): ApiPath<String>,
    OptionalJson(body): OptionalJson<WhyDto>,
) -> Result<Json<LineDto>, ApiError> {
    authed.require(HOTLINE)?;
    let id = line_id(&id)?;
    let why = body.and_then(|b| b.why);
    let line = state.run(&authed, move |e, ctx| e.coord().resume_line(ctx, &id, why.as_deref())).await?;
    Ok(Json((&line).into()))
}

/// `POST /v1/lines/{id}/heartbeat`: the caller is alive on the line.
#[utoipa::path(post, path = "/v1/lines/{id}/heartbeat", tag = "lines", operation_id = "line_heartbeat",
    params(("id" = String, Path, description = "The line id.")),
    responses(
        (status = 200, description = "The heartbeat recorded.", body = HeartbeatDto),
        (status = 400, description = "Not a line id.", body = ErrorBody),
        (status = 401, description = "Missing or invalid bearer token.", body = ErrorBody),
        (status = 403, description = "The token lacks the scope, or the caller is not a party on the line.", body = ErrorBody),
        (status = 404, description = "No such line.", body = ErrorBody),
    ),
    security(("bearer" = ["deconflict.hotline"])))]
pub async fn heartbeat(
    State(state): State<AppState>,
    authed: Authed,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<HeartbeatDto>, ApiError> {
    authed.require(HOTLINE)?;
    let id = line_id(&id)?;
    let hb = state.run(&authed, move |e, ctx| e.coord().heartbeat(ctx, &id)).await?;
    Ok(Json((&hb).into()))
}

/// `POST /v1/lines/{id}/exercise`: an exercise communication check now (202).
#[utoipa::path(post, path = "/v1/lines/{id}/exercise", tag = "lines", operation_id = "line_exercise",
    params(("id" = String, Path, description = "The line id.")),
    responses(
        (status = 202, description = "The check started.", body = CheckDto),
        (status = 400, description = "Not a line id.", body = ErrorBody),
        (status = 401, description = "Missing or invalid bearer token.", body = ErrorBody),
        (status = 403, description = "The token lacks the scope, or the caller is not a party on the line.", body = ErrorBody),
        (status = 404, description = "No such line.", body = ErrorBody),
        (status = 409, description = "The line is suspended.", body = ErrorBody),
    ),
    security(("bearer" = ["deconflict.hotline"])))]
pub async fn exercise(
    State(state): State<AppState>,
    authed: Authed,
    ApiPath(id): ApiPath<String>,
) -> Result<(StatusCode, Json<CheckDto>), ApiError> {
    authed.require(HOTLINE)?;
    let id = line_id(&id)?;
    let check = state.run(&authed, move |e, ctx| e.coord().start_exercise(ctx, &id)).await?;
    Ok((StatusCode::ACCEPTED, Json((&check).into())))
}

/// Query of listings.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only this thread (messages).
    pub thread: Option<String>,
    /// At most this many (checks: default 20, messages: default 100; at most 1000).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
    /// The `next_cursor` of the page before: the items older than it.
    pub cursor: Option<String>,
}

/// `GET /v1/lines/{id}/checks`: communication checks, newest first.
#[utoipa::path(get, path = "/v1/lines/{id}/checks", tag = "lines", operation_id = "line_checks",
    params(("id" = String, Path, description = "The line id."), ListQuery),
    responses(
        (status = 200, description = "The checks, newest first.", body = ChecksDto),
        (status = 400, description = "Unparsable query string, or not a line id.", body = ErrorBody),
        (status = 401, description = "Missing or invalid bearer token.", body = ErrorBody),
        (status = 403, description = "The token lacks the scope, or the caller is not a party on the line.", body = ErrorBody),
        (status = 404, description = "No such line.", body = ErrorBody),
    ),
    security(("bearer" = ["deconflict.hotline"]), ("bearer" = ["deconflict.admin"])))]
pub async fn checks(
    State(state): State<AppState>,
    authed: Authed,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<ChecksDto>, ApiError> {
    authed.require(HOTLINE_OR_ADMIN)?;
    let id = line_id(&id)?;
    let limit = super::limit(q.limit, 20, 1000)?;
    let before = super::cursor(q.cursor.as_deref(), CheckId::parse)?;
    let page = state.run(&authed, move |e, ctx| e.coord().checks(ctx, &id, before, limit)).await?;
    let next_cursor = page.next.map(|c| c.to_string());
    Ok(Json(ChecksDto { checks: page.items.iter().map(CheckDto::from).collect(), next_cursor }))
}

/// `GET /v1/lines/{id}/messages?thread=ID`: the caller's messages on the
/// line, newest first in pages (`limit`, `cursor`, `next_cursor`).
#[utoipa::path(get, path = "/v1/lines/{id}/messages", tag = "lines", operation_id = "line_messages",
    params(("id" = String, Path, description = "The line id."), ListQuery),
    responses(
        (status = 200, description = "The messages.", body = MessagesDto),
        (status = 400, description = "Unparsable query string, not a line id, a `limit` out of range, or a `thread` or `cursor` that is no message id.", body = ErrorBody),
        (status = 401, description = "Missing or invalid bearer token.", body = ErrorBody),
        (status = 403, description = "The token lacks the scope, or the caller is not a party on the line.", body = ErrorBody),
        (status = 404, description = "No such line.", body = ErrorBody),
    ),
    security(("bearer" = ["deconflict.hotline"]), ("bearer" = ["deconflict.admin"])))]
pub async fn messages(
    State(state): State<AppState>,
    authed: Authed,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<MessagesDto>, ApiError> {
    authed.require(HOTLINE_OR_ADMIN)?;
    let id = line_id(&id)?;
    let thread = q
        .thread
        .map(|t| MessageId::parse(&t).map_err(|e| ApiError::bad(format!("thread: {e}"))))
        .transpose()?;
    let limit = super::limit(q.limit, 100, 1000)?;
    let before = super::cursor(q.cursor.as_deref(), MessageId::parse)?;
    let page =
        state.run(&authed, move |e, ctx| e.coord().line_messages(ctx, &id, thread, before, limit)).await?;
    Ok(Json(MessagesDto::page(&page)))
}
