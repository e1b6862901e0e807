//! Advance notice of operations: `GET /v1/notices` (received and given) and
//! `POST /v1/notices/{intent_id}/ack` (by the recipient).

use axum::Json;
use deconflict_core::EntityId;

use super::ApiPath;
use super::responses::Denied;
use crate::auth::scope::Notices;
use crate::dto::coord::{NoticeAckDto, NoticeDto, NoticesDto};
use crate::error::ErrorBody;
use crate::extract::{Call, OptionalJson, Reply};

/// `GET /v1/notices`: `{"received": [...], "given": [...]}`, newest first.
#[utoipa::path(get, path = "/v1/notices", tag = "notices", operation_id = "list_notices",
    responses(Denied, (status = 200, description = "The notices the caller received and gave.", body = NoticesDto)),
    security(("bearer" = ["deconflict.hotline"]), ("bearer" = ["utm.strategic_coordination"])))]
pub async fn list(call: Call<Notices>) -> Reply<NoticesDto> {
    let n = call.run(|e, ctx| e.coord().notices(ctx)).await?;
    let (received, given) = (n.received.iter().map(NoticeDto::from), n.given.iter().map(NoticeDto::from));
    Ok(Json(NoticesDto { received: received.collect(), given: given.collect() }))
}

/// `POST /v1/notices/{intent_id}/ack` (optional `{"operator"}`).
#[utoipa::path(post, path = "/v1/notices/{intent_id}/ack", tag = "notices", operation_id = "ack_notice",
    params(("intent_id" = String, Path, description = "The operational intent the notice is about.")),
    request_body(content = Option<NoticeAckDto>, description = "Optional; an empty body is allowed."),
    responses(Denied, (status = 200, description = "The acknowledged notice.", body = NoticeDto),
        (status = 400, description = "Bad body, or not an operational intent id.", body = ErrorBody),
        (status = 404, description = "No notice of this intent to the caller.", body = ErrorBody)),
    security(("bearer" = ["deconflict.hotline"]), ("bearer" = ["utm.strategic_coordination"])))]
pub async fn ack(
    call: Call<Notices>,
    ApiPath(intent_id): ApiPath<EntityId>,
    OptionalJson(body): OptionalJson<NoticeAckDto>,
) -> Reply<NoticeDto> {
    let operator = body.and_then(|b| b.operator);
    let n = call.run(move |e, ctx| e.coord().ack_notice(ctx, intent_id, operator.as_deref())).await?;
    Ok(Json((&n).into()))
}
