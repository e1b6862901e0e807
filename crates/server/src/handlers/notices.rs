//! Advance notice of operations: `GET /v1/notices` (received and given) and
//! `POST /v1/notices/{intent_id}/ack` (by the recipient).

use axum::Json;
use axum::extract::State;
use deconflict_core::EntityId;

use super::ApiPath;
use crate::auth::scope;
use crate::dto::coord::{NoticeAckDto, NoticeDto, NoticesDto};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Authed, OptionalJson};
use crate::state::AppState;

const NOTICES: &[&[&str]] = &[&[scope::HOTLINE], &[scope::STRATEGIC_COORDINATION]];

/// `GET /v1/notices`: `{"received": [...], "given": [...]}`, newest first.
#[utoipa::path(get, path = "/v1/notices", tag = "notices", operation_id = "list_notices",
    responses(
        (status = 200, description = "The notices the caller received and gave.", body = NoticesDto),
        (status = 401, description = "Missing or invalid bearer token.", body = ErrorBody),
        (status = 403, description = "The token lacks the scope.", body = ErrorBody),
    ),
    security(("bearer" = ["deconflict.hotline"]), ("bearer" = ["utm.strategic_coordination"])))]
pub async fn list(State(state): State<AppState>, authed: Authed) -> Result<Json<NoticesDto>, ApiError> {
    authed.require(NOTICES)?;
    let n = state.run(&authed, |e, ctx| e.coord().notices(ctx)).await?;
    Ok(Json(NoticesDto {
        received: n.received.iter().map(NoticeDto::from).collect(),
        given: n.given.iter().map(NoticeDto::from).collect(),
    }))
}

/// `POST /v1/notices/{intent_id}/ack` (optional `{"operator"}`).
#[utoipa::path(post, path = "/v1/notices/{intent_id}/ack", tag = "notices", operation_id = "ack_notice",
    params(("intent_id" = String, Path, description = "The operational intent the notice is about.")),
    request_body(content = Option<NoticeAckDto>, description = "Optional; an empty body is allowed."),
    responses(
        (status = 200, description = "The acknowledged notice.", body = NoticeDto),
        (status = 400, description = "Bad body, or not an operational intent id.", body = ErrorBody),
        (status = 401, description = "Missing or invalid bearer token.", body = ErrorBody),
        (status = 403, description = "The token lacks the scope.", body = ErrorBody),
        (status = 404, description = "No notice of this intent to the caller.", body = ErrorBody),
    ),
    security(("bearer" = ["deconflict.hotline"]), ("bearer" = ["utm.strategic_coordination"])))]
pub async fn ack(
    State(state): State<AppState>,
    authed: Authed,
    ApiPath(intent_id): ApiPath<String>,
    OptionalJson(body): OptionalJson<NoticeAckDto>,
) -> Result<Json<NoticeDto>, ApiError> {
    authed.require(NOTICES)?;
    let intent_id = EntityId::parse(&intent_id).map_err(|e| ApiError::bad(format!("intent_id: {e}")))?;
    let operator = body.and_then(|b| b.operator);
    let n =
        state.run(&authed, move |e, ctx| e.coord().ack_notice(ctx, intent_id, operator.as_deref())).await?;
    Ok(Json((&n).into()))
}
