//! `/v1/lines`: lines between command posts. Administrators create and update
//! them; a party on a line lists it, suspends and resumes it (who, when and why
//! are recorded), sends heartbeats and runs exercise communication checks.

use axum::Json;
use axum::http::StatusCode;
use deconflict_core::coord::{CheckId, LineSpec, MessageId};
use serde::Deserialize;

use super::responses::{AdminOnly, Denied, OnLine};
use super::{ApiPath, ApiQuery, LinePath};
use crate::auth::scope::{Authenticated, Hotline, HotlineOrAdmin};
use crate::dto::coord::{
    CheckDto, ChecksDto, HeartbeatDto, LineDto, LinesDto, PutLineDto, WhyDto, party_name,
};
use crate::dto::hotline::MessagesDto;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Call, OptionalJson, Reply};

/// `PUT /v1/lines/{id}` (scope `deconflict.admin`): 201 created, 200 updated.
#[utoipa::path(put, path = "/v1/lines/{id}", tag = "lines", operation_id = "put_line",
    params(LinePath), request_body = PutLineDto,
    responses(AdminOnly, (status = 200, description = "Updated: the line.", body = LineDto),
        (status = 201, description = "Created: the line.", body = LineDto),
        (status = 400, description = "Bad id or body (e.g. fewer than two registered parties).", body = ErrorBody),
        (status = 409, description = "A concurrent change won; try again.", body = ErrorBody)),
    security(("bearer" = ["deconflict.admin"])))]
pub async fn put(
    call: Call<Authenticated>,
    ApiPath(LinePath { id }): ApiPath<LinePath>,
    ApiJson(body): ApiJson<PutLineDto>,
) -> Result<(StatusCode, Json<LineDto>), ApiError> {
    let parties = body
        .parties
        .iter()
        .enumerate()
        .map(|(i, p)| party_name(&format!("parties[{i}]"), p))
        .collect::<Result<_, _>>()?;
    let spec = LineSpec { name: body.name, parties, policy: body.policy.into() };
    let (line, created) = call.run(move |e, ctx| e.coord().put_line(ctx, &id, &spec)).await?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json((&line).into())))
}

/// `GET /v1/lines`: the caller's lines (an administrator's: all).
#[utoipa::path(get, path = "/v1/lines", tag = "lines", operation_id = "list_lines",
    responses(Denied, (status = 200, description = "The lines.", body = LinesDto)),
    security(("bearer" = ["deconflict.hotline"]), ("bearer" = ["deconflict.admin"])))]
pub async fn list(call: Call<HotlineOrAdmin>) -> Reply<LinesDto> {
    let lines = call.run(move |e, ctx| e.coord().lines(ctx)).await?;
    Ok(Json(LinesDto { lines: lines.iter().map(LineDto::from).collect() }))
}

/// `GET /v1/lines/{id}`.
#[utoipa::path(get, path = "/v1/lines/{id}", tag = "lines", operation_id = "get_line", params(LinePath),
    responses(OnLine, (status = 200, description = "The line.", body = LineDto)),
    security(("bearer" = ["deconflict.hotline"]), ("bearer" = ["deconflict.admin"])))]
pub async fn get(call: Call<HotlineOrAdmin>, ApiPath(LinePath { id }): ApiPath<LinePath>) -> Reply<LineDto> {
    let line = call.run(move |e, ctx| e.coord().line(ctx, &id)).await?;
    Ok(Json((&line).into()))
}

/// `POST /v1/lines/{id}/suspend {"why"}`: by a party on the line.
#[utoipa::path(post, path = "/v1/lines/{id}/suspend", tag = "lines", operation_id = "suspend_line",
    params(LinePath), request_body(content = WhyDto, description = "`why` is required."),
    responses(OnLine, (status = 200, description = "The suspended line.", body = LineDto),
        (status = 400, description = "Bad body, no `why`, or not a line id.", body = ErrorBody),
        (status = 409, description = "Already suspended.", body = ErrorBody)),
    security(("bearer" = ["deconflict.hotline"])))]
pub async fn suspend(
    call: Call<Hotline>,
    ApiPath(LinePath { id }): ApiPath<LinePath>,
    ApiJson(body): ApiJson<WhyDto>,
) -> Reply<LineDto> {
    let why = body.why.ok_or_else(|| ApiError::bad("why is required: say why the line is suspended"))?;
    let line = call.run(move |e, ctx| e.coord().suspend_line(ctx, &id, &why)).await?;
    Ok(Json((&line).into()))
}

/// `POST /v1/lines/{id}/resume` (optional `{"why"}`): by a party on the line.
#[utoipa::path(post, path = "/v1/lines/{id}/resume", tag = "lines", operation_id = "resume_line",
    params(LinePath), request_body(content = Option<WhyDto>, description = "Optional; an empty body is allowed."),
    responses(OnLine, (status = 200, description = "The resumed line.", body = LineDto),
        (status = 409, description = "Not suspended.", body = ErrorBody)),
    security(("bearer" = ["deconflict.hotline"])))]
pub async fn resume(
    call: Call<Hotline>,
    ApiPath(LinePath { id }): ApiPath<LinePath>,
    OptionalJson(body): OptionalJson<WhyDto>,
) -> Reply<LineDto> {
    let why = body.and_then(|b| b.why);
    let line = call.run(move |e, ctx| e.coord().resume_line(ctx, &id, why.as_deref())).await?;
    Ok(Json((&line).into()))
}

/// `POST /v1/lines/{id}/heartbeat`: the caller is alive on the line.
#[utoipa::path(post, path = "/v1/lines/{id}/heartbeat", tag = "lines", operation_id = "line_heartbeat",
    params(LinePath),
    responses(OnLine, (status = 200, description = "The heartbeat recorded.", body = HeartbeatDto)),
    security(("bearer" = ["deconflict.hotline"])))]
pub async fn heartbeat(
    call: Call<Hotline>,
    ApiPath(LinePath { id }): ApiPath<LinePath>,
) -> Reply<HeartbeatDto> {
    let hb = call.run(move |e, ctx| e.coord().heartbeat(ctx, &id)).await?;
    Ok(Json((&hb).into()))
}

/// `POST /v1/lines/{id}/exercise`: an exercise communication check now (202).
#[utoipa::path(post, path = "/v1/lines/{id}/exercise", tag = "lines", operation_id = "line_exercise",
    params(LinePath),
    responses(OnLine, (status = 202, description = "The check started.", body = CheckDto),
        (status = 409, description = "The line is suspended.", body = ErrorBody)),
    security(("bearer" = ["deconflict.hotline"])))]
pub async fn exercise(
    call: Call<Hotline>,
    ApiPath(LinePath { id }): ApiPath<LinePath>,
) -> Result<(StatusCode, Json<CheckDto>), ApiError> {
    let check = call.run(move |e, ctx| e.coord().start_exercise(ctx, &id)).await?;
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
    params(LinePath, ListQuery),
    responses(OnLine, (status = 200, description = "The checks, newest first.", body = ChecksDto)),
    security(("bearer" = ["deconflict.hotline"]), ("bearer" = ["deconflict.admin"])))]
pub async fn checks(
    call: Call<HotlineOrAdmin>,
    ApiPath(LinePath { id }): ApiPath<LinePath>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Reply<ChecksDto> {
    let limit = super::limit(q.limit, 20, 1000)?;
    let before = super::cursor(q.cursor.as_deref(), CheckId::parse)?;
    let page = call.run(move |e, ctx| e.coord().checks(ctx, &id, before, limit)).await?;
    let next_cursor = page.next.map(|c| c.to_string());
    Ok(Json(ChecksDto { checks: page.items.iter().map(CheckDto::from).collect(), next_cursor }))
}

/// `GET /v1/lines/{id}/messages?thread=ID`: the caller's messages on the
/// line, newest first in pages (`limit`, `cursor`, `next_cursor`).
#[utoipa::path(get, path = "/v1/lines/{id}/messages", tag = "lines", operation_id = "line_messages",
    params(LinePath, ListQuery),
    responses(OnLine, (status = 200, description = "The messages.", body = MessagesDto),
        (status = 400, description = "Unparsable query string, not a line id, a `limit` out of range, or a `thread` or `cursor` that is no message id.", body = ErrorBody)),
    security(("bearer" = ["deconflict.hotline"]), ("bearer" = ["deconflict.admin"])))]
pub async fn messages(
    call: Call<HotlineOrAdmin>,
    ApiPath(LinePath { id }): ApiPath<LinePath>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Reply<MessagesDto> {
    let thread = q
        .thread
        .map(|t| MessageId::parse(&t).map_err(|e| ApiError::bad(format!("thread: {e}"))))
        .transpose()?;
    let limit = super::limit(q.limit, 100, 1000)?;
    let before = super::cursor(q.cursor.as_deref(), MessageId::parse)?;
    let page = call.run(move |e, ctx| e.coord().line_messages(ctx, &id, thread, before, limit)).await?;
    Ok(Json(MessagesDto::page(&page)))
}
