//! `GET /v1/alerts` and `GET /v1/alerts/stream` (scope
//! `deconflict.tracks.read`): tactical alerts the caller needs to know about.
//!
//! Need-to-know: a caller sees an alert only when it is a recipient — it
//! owns one of the tracks, or (non-conformance) it manages an operational
//! intent that intersects the intent the track should follow. Another
//! party's track thus appears only where it conflicts with the caller's own.
//! Conflicts between two tracks of the caller itself are shown to the caller
//! (and never to anyone else) unless its setting turns them off
//! (`--hide-own-conflicts PARTY`); `?own=true` or `?own=false` overrides the
//! setting for one request. The rule itself is `live::Alert::visible_to`.
//!
//! `GET /v1/alerts` answers `{"alerts": [Alert, ...]}` with the active alerts.
//! `GET /v1/alerts/stream` is a Server-Sent Events stream: one event per
//! alert change the caller may see, the event name being its `state`
//! (`new`, `ongoing`, `ended`) and the data the same JSON `Alert`; a comment
//! keeps the connection alive every 15 s. A client that falls behind gets a
//! `lagged` event (`{"missed": n}`) and should re-read `GET /v1/alerts`.
//!
//! An `Alert`:
//!
//! | field | meaning |
//! |---|---|
//! | `id` | `los-N` (loss of separation) or `nc-N` (non-conformance); stable while the alert lives |
//! | `kind` | `loss_of_separation` or `nonconformance` |
//! | `state` | `new` (raised by the latest scan), `ongoing`, or `ended` (stream only) |
//! | `tracks` | `[{"party", "id"}]`: the pair, or the one non-conforming track |
//! | `t_in_s` | seconds from `updated` until both minima are infringed (≤ 0: already); `null` for ever / non-conformance |
//! | `t_out_s` | seconds from `updated` until separation is regained; `null` when never / non-conformance |
//! | `t_cpa_s` | seconds from `updated` to the horizontal closest point of approach |
//! | `d_cpa_m` | horizontal distance at the closest point of approach, metres |
//! | `time_to_los_s` | loss of separation: seconds from `updated` until it is lost (0: already) |
//! | `severity` | loss of separation: `predicted`, `imminent` (within 120 s en route, 30 s for drones) or `lost` |
//! | `cpa` | loss of separation: `[{"lat", "lon", "alt_ft"}, …]`, both aircraft at the closest point of approach, in the order of `tracks` |
//! | `intent_id` | non-conformance: the intent the track claims to follow |
//! | `reason` | non-conformance: `outside_volumes` or `unknown_intent` (also for another party's intent) |
//! | `end_reason` | ended: `cleared`, `track_expired` or `conforming` |
//! | `since` | when the alert was raised (RFC 3339) |
//! | `updated` | scan time of the latest prediction (RFC 3339) |

use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;

use super::ApiQuery;
use super::responses::Denied;
use crate::auth::scope::TracksRead;
use crate::dto::live::{AlertView, AlertsView};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Call, Reply};

/// Query parameters of both endpoints.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AlertsQuery {
    /// Conflicts between two of the caller's own tracks: shown unless the
    /// caller's setting turns them off; `true`/`false` overrides it.
    #[serde(default)]
    pub own: Option<bool>,
}

/// `GET /v1/alerts`: the active alerts the caller may see.
#[utoipa::path(get, path = "/v1/alerts", tag = "alerts", operation_id = "list_alerts", params(AlertsQuery),
    responses(Denied, (status = 200, description = "The active alerts the caller may see.", body = AlertsView),
        (status = 400, description = "Bad query string.", body = ErrorBody)),
    security(("bearer" = ["deconflict.tracks.read"])))]
pub async fn list(call: Call<TracksRead>, ApiQuery(q): ApiQuery<AlertsQuery>) -> Reply<AlertsView> {
    let live = &call.state.live;
    let alerts: Vec<AlertView> =
        live.alerts_for(live.party(call.party()), q.own).iter().map(AlertView::from).collect();
    Ok(Json(AlertsView { alerts }))
}

/// `GET /v1/alerts/stream`: Server-Sent Events of alert changes the caller may see.
#[utoipa::path(get, path = "/v1/alerts/stream", tag = "alerts", operation_id = "stream_alerts",
    params(AlertsQuery),
    responses(Denied, (status = 200, description = "Server-Sent Events: event name `new`, `ongoing` or `ended` with an `AlertView` as data, or `lagged` with `{\"missed\": n}`; a comment every 15 s.", content_type = "text/event-stream", body = String),
        (status = 400, description = "Bad query string.", body = ErrorBody)),
    security(("bearer" = ["deconflict.tracks.read"])))]
pub async fn stream(
    Call { state, authed, .. }: Call<TracksRead>,
    ApiQuery(q): ApiQuery<AlertsQuery>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let own = q.own;
    let slot = state.streams.acquire(authed.party.as_str())?;
    let party = state.live.party(&authed.party);
    let rx = state.live.subscribe();
    let live = state.live.clone();
    let closed = state.live.closed();
    let events = futures_util::stream::unfold(
        (rx, closed, slot, live),
        move |(mut rx, mut closed, slot, live)| async move {
            loop {
                if *closed.borrow_and_update() {
                    return None;
                }
                tokio::select! {
                    got = rx.recv() => match got {
                        Ok(event) => {
                            if !live.may_see(&event, party, own) {
                                continue;
                            }
                            let view = AlertView::from(&event);
                            match Event::default().event(view.state).json_data(&view) {
                                Ok(ev) => return Some((Ok(ev), (rx, closed, slot, live))),
                                Err(e) => tracing::error!(error = %e, "cannot encode an alert event"),
                            }
                        }
                        Err(RecvError::Lagged(n)) => {
                            let ev = Event::default().event("lagged").data(format!("{{\"missed\":{n}}}"));
                            return Some((Ok(ev), (rx, closed, slot, live)));
                        }
                        Err(RecvError::Closed) => return None,
                    },
                    changed = closed.changed() => {
                        if changed.is_err() {
                            return None;
                        }
                    }
                }
            }
        },
    );
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}
