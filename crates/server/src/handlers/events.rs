//! The native event stream and the audit log.
//!
//! - `GET /v1/events/stream`: Server-Sent Events of every sealed audit entry the
//!   caller is a party to (its own changes, changes its subscriptions were told
//!   of, disclosures to it). Each event's `id` is the audit sequence number;
//!   reconnect with `Last-Event-ID` (or `?after=SEQ`) to resume without loss,
//!   through any replica.
//! - `GET /v1/audit?after=SEQ&limit=N`: the caller's verifiable slice of the
//!   audit log as JSON lines (`deconflict audit verify` checks it offline).
//! - `GET /v1/audit/key`: the service's public signing key.

use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use deconflict_core::retention;
use futures_util::Stream;
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc};

use super::ApiQuery;
use super::responses::Denied;
use crate::auth::scope::{AuditRead, Authenticated};
use crate::error::{ApiError, ErrorBody};
use crate::extract::Call;
use crate::state::AppState;

/// Query of the stream and the export.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct After {
    /// Only entries with a higher sequence number.
    pub after: Option<u64>,
    /// At most this many entries (export only; default and maximum 10,000).
    #[param(minimum = 1, maximum = 10000)]
    pub limit: Option<usize>,
}

fn sse_event(e: &audit::Entry) -> Event {
    Event::default().id(e.seq.to_string()).event(e.kind.clone()).data(crate::dto::events::event_json(e))
}

fn resume_point(headers: &HeaderMap, q: &After) -> Result<u64, ApiError> {
    if let Some(after) = q.after {
        return Ok(after);
    }
    match headers.get("last-event-id") {
        None => Ok(0),
        Some(v) => v
            .to_str()
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .ok_or_else(|| ApiError::bad("Last-Event-ID must be an audit sequence number")),
    }
}

/// Sends `e` to the stream if it concerns `party`, recording hotline
/// deliveries; false when the client has gone.
async fn deliver(state: &AppState, out: &mpsc::Sender<Event>, party: &str, e: &audit::Entry) -> bool {
    if !e.concerns(party) {
        return true;
    }
    if out.send(sse_event(e)).await.is_err() {
        return false;
    }
    crate::coord_tasks::stream_delivered(state, party, e).await;
    true
}

/// `GET /v1/events/stream`: any authenticated party; only its own events.
#[utoipa::path(get, path = "/v1/events/stream", tag = "events", operation_id = "stream_events",
    params(After, ("Last-Event-ID" = Option<String>, Header, description = "Resume after this audit sequence number (`after` wins).")),
    responses(
        (status = 200, description = "Server-Sent Events: `id` the audit sequence number, event name the kind, data the event JSON; a comment every 15 s.", content_type = "text/event-stream", body = String),
        (status = 400, description = "Bad `Last-Event-ID` (JSON), or an unparsable query string (plain text).", body = ErrorBody),
        (status = 401, description = "Missing or invalid bearer token.", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn stream(
    Call { state, authed, .. }: Call<Authenticated>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<After>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let mut after = resume_point(&headers, &q)?;
    let party = authed.party.to_string();
    let slot = state.streams.acquire(&party)?;
    // Subscribe before replaying, so nothing sealed meanwhile is missed.
    let mut live = state.feed.subscribe();
    let (out, rx) = mpsc::channel::<Event>(256);
    tokio::spawn(async move {
        let _slot = slot; // held while the stream is open
        // Replay what the store has after the resume point.
        loop {
            let page = crate::tasks::blocking(&state.app, move |app| {
                app.runner().read(|tx| Ok(tx.sealed_after(after, 500)?))
            })
            .await;
            let Ok(page) = page else { return };
            let done = page.len() < 500;
            for e in page {
                after = e.seq;
                if !deliver(&state, &out, &party, &e).await {
                    return;
                }
            }
            if done {
                break;
            }
        }
        // Then follow the live broadcast, until the client goes away.
        loop {
            let got = tokio::select! {
                got = live.recv() => got,
                () = out.closed() => return,
            };
            match got {
                Ok(e) => {
                    if e.seq <= after {
                        continue;
                    }
                    after = e.seq;
                    if !deliver(&state, &out, &party, &e).await {
                        return;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    // Too slow a reader: end the stream; the client resumes with Last-Event-ID.
                    return;
                }
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|e| (Ok::<_, Infallible>(e), rx))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// `GET /v1/audit`: the caller's slice (scope `deconflict.audit.read`; with
/// the privileged `deconflict.audit.all`, the whole log) as JSON lines.
#[utoipa::path(get, path = "/v1/audit", tag = "audit", operation_id = "export_audit",
    params(After),
    responses(Denied, (status = 200, description = "The verifiable slice as JSON lines (`deconflict audit verify`).", content_type = "application/x-ndjson", body = String),
        (status = 400, description = "Unparsable query string.", body = ErrorBody),
        (status = 503, description = "Storage unavailable.", body = ErrorBody)),
    security(("bearer" = ["deconflict.audit.read"]), ("bearer" = ["deconflict.audit.all"])))]
pub async fn export(call: Call<AuditRead>, ApiQuery(q): ApiQuery<After>) -> Result<Response, ApiError> {
    let Call { state, authed, .. } = call;
    let after = q.after.unwrap_or(0);
    let limit = super::limit(q.limit, 10_000, 10_000)?;
    let (entries, checkpoints, forgotten) = state
        .run(&authed, move |app, _| {
            app.runner().read(|tx| {
                let entries = tx.sealed_after(after, limit)?;
                let last = entries.last().map_or(after, |e| e.seq);
                let checkpoints: Vec<_> =
                    tx.checkpoints_after(after)?.into_iter().filter(|c| c.seq <= last).collect();
                let forgotten = retention::forgotten_through(tx)?;
                Ok((entries, checkpoints, forgotten))
            })
        })
        .await?;
    // Entries whose bodies retention forgot are links only, for everyone.
    let slice = if authed.roles().has(deconflict_core::Role::Auditor) {
        retention::audit_slice(&entries, &checkpoints, forgotten, |_| true)
    } else {
        let party = authed.party.as_str();
        retention::audit_slice(&entries, &checkpoints, forgotten, |e| e.concerns(party))
    };
    let body = audit::export::write_export(&slice, &[state.feed.public_key()]);
    Ok(([(header::CONTENT_TYPE, "application/x-ndjson")], body).into_response())
}

/// The audit signing key.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct KeyDto {
    key_id: String,
    public_key_hex: String,
    public_key_pem: String,
}

/// `GET /v1/audit/key`: the public key that signs checkpoints (no token needed).
#[utoipa::path(get, path = "/v1/audit/key", tag = "audit", operation_id = "audit_key",
    responses((status = 200, description = "The Ed25519 public key.", body = KeyDto)))]
pub async fn key(State(state): State<AppState>) -> Result<Json<KeyDto>, ApiError> {
    let k: audit::PublicKey = state.feed.public_key();
    let pem = k.to_pem().map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Json(KeyDto { key_id: k.key_id().to_string(), public_key_hex: k.to_hex(), public_key_pem: pem }))
}
