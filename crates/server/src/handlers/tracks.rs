//! `POST /v1/tracks` (scope `deconflict.tracks.write`): a party reports the
//! positions of its own aircraft. `GET /v1/tracks` (scope
//! `deconflict.tracks.read`): the caller's own live tracks.
//!
//! Request body of `POST`:
//!
//! ```json
//! {"tracks": [{"id": "N123AB", "time": "2025-05-01T12:00:00Z",
//!              "lat": 46.0, "lon": 7.0, "alt_ft": 30000, "alt_ref": "pressure",
//!              "gs_kt": 420, "trk_deg": 90, "vs_fpm": 0,
//!              "intent_id": "9d6c…", "callsign": "SWR12"}]}
//! ```
//!
//! - `id` (required): the caller's name for the track, 1–64 printable
//!   characters; tracks are scoped by party (the token's `sub`), so two
//!   parties' `"T1"` are different tracks and a party can only write its own.
//! - `time` (RFC 3339, optional): when the position was measured; default
//!   the server's now; at most `max_future` (10 s) ahead of the server clock.
//! - `lat`, `lon` (degrees), `alt_ft`, `gs_kt`, `trk_deg` (required, `[0, 360]`),
//!   `vs_fpm` (optional, default 0).
//! - `alt_ref`: `pressure` (default) or `geometric` (above the WGS84 ellipsoid).
//! - `intent_id` (optional): the caller's operational intent the flight
//!   follows; enables conformance monitoring.
//! - `callsign` (optional): up to 8 printable ASCII characters.
//!
//! The whole batch is validated first; any bad element is a 400 naming
//! `tracks[i].field` and nothing is stored. More than `max_batch` (10,000)
//! elements is a 413. Answer: `200 {"accepted": n, "stale": m}` where `stale`
//! counts reports not newer than their track's latest one (ignored).

use axum::Json;
use serde_json::{Map, Value};
use tactical::{
    Altitude, AltitudeRef, Callsign, DegreesTrue, FeetPerMinute, Knots, OperationKey, PartyId, Position,
    Timestamp, TrackError, TrackId, TrackState,
};

use super::responses::Denied;
use crate::auth::scope::{TracksReadOrWrite, TracksWrite};
use crate::dto::live::{IngestedView, TrackView, TracksView};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Call, Reply};

/// Longest track id, characters.
pub const MAX_ID_CHARS: usize = 64;

pub(crate) const FIELDS: [&str; 11] =
    ["id", "time", "lat", "lon", "alt_ft", "alt_ref", "gs_kt", "trk_deg", "vs_fpm", "intent_id", "callsign"];

/// The body of `POST /v1/tracks`, for the OpenAPI document only: the
/// handler parses the JSON itself, so each bad field is named.
#[derive(Debug, utoipa::ToSchema)]
#[allow(dead_code)] // documentation only
pub struct TrackBatchDto {
    /// The reports (at most `max_batch`).
    tracks: Vec<TrackReportDto>,
}

/// One track report (see the module documentation).
#[derive(Debug, utoipa::ToSchema)]
#[allow(dead_code)] // documentation only
pub struct TrackReportDto {
    /// The caller's name for the track, 1-64 characters.
    id: String,
    /// RFC 3339; default the server's now.
    time: Option<String>,
    /// Degrees.
    lat: f64,
    /// Degrees.
    lon: f64,
    /// Feet.
    alt_ft: f64,
    /// `pressure` (default) or `geometric`.
    alt_ref: Option<String>,
    /// Ground speed, knots.
    gs_kt: f64,
    /// Track angle, degrees true, `[0, 360]`.
    trk_deg: f64,
    /// Vertical rate, feet per minute (default 0).
    vs_fpm: Option<f64>,
    /// The caller's operational intent (UUID) the flight follows.
    intent_id: Option<String>,
    /// Up to 8 printable ASCII characters.
    callsign: Option<String>,
}

/// `POST /v1/tracks`: report the positions of the caller's own aircraft.
#[utoipa::path(post, path = "/v1/tracks", tag = "tracks", operation_id = "post_tracks",
    request_body = TrackBatchDto,
    responses(Denied, (status = 200, description = "How many reports were stored and how many were stale.", body = IngestedView),
        (status = 400, description = "A bad report, naming `tracks[i].field`; nothing is stored.", body = ErrorBody),
        (status = 413, description = "More reports than `max_batch`, or a body over the limit.", body = ErrorBody)),
    security(("bearer" = ["deconflict.tracks.write"])))]
pub async fn post(
    Call { state, authed, .. }: Call<TracksWrite>,
    ApiJson(body): ApiJson<Value>,
) -> Reply<IngestedView> {
    let Value::Object(mut body) = body else { return Err(ApiError::bad("body must be a JSON object")) };
    let Some(tracks) = body.remove("tracks") else {
        return Err(ApiError::bad("tracks: required (an array of track reports)"));
    };
    let Value::Array(tracks) = tracks else { return Err(ApiError::bad("tracks: must be an array")) };
    let max = state.live.config().max_batch;
    if tracks.len() > max {
        return Err(ApiError::TooLarge(format!(
            "tracks: {} reports in one batch; at most {max} are accepted",
            tracks.len()
        )));
    }
    let now = state.clock.now().as_micros();
    let latest =
        now.saturating_add(i64::try_from(state.live.config().max_future.as_micros()).unwrap_or(i64::MAX));
    let mut reports = Vec::with_capacity(tracks.len());
    for (i, t) in tracks.iter().enumerate() {
        reports.push(parse(t, now, latest).map_err(|m| ApiError::bad(format!("tracks[{i}]{m}")))?);
    }
    let party = state.live.party(&authed.party);
    let done = state.live.ingest(party, reports);
    Ok(Json(IngestedView { accepted: done.accepted, stale: done.stale }))
}

/// `GET /v1/tracks`: `{"tracks": [...]}`, the caller's own live tracks with
/// the fields of `POST` (`time` always present, `callsign` when known).
#[utoipa::path(get, path = "/v1/tracks", tag = "tracks", operation_id = "list_tracks",
    responses(Denied, (status = 200, description = "The caller's own live tracks.", body = TracksView)),
    security(("bearer" = ["deconflict.tracks.read"]), ("bearer" = ["deconflict.tracks.write"])))]
pub async fn list(call: Call<TracksReadOrWrite>) -> Reply<TracksView> {
    let live = &call.state.live;
    let tracks: Vec<TrackView> =
        live.tracks_of(live.party(call.party())).into_iter().map(|(id, s)| TrackView::new(id, &s)).collect();
    Ok(Json(TracksView { tracks }))
}

/// One report; the error is `.field: message` (the caller prefixes `tracks[i]`).
fn parse(v: &Value, now: i64, latest: i64) -> Result<(String, TrackState), String> {
    let Value::Object(o) = v else { return Err(": must be an object".into()) };
    if let Some(k) = o.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(format!(".{k}: unknown field; known: {}", FIELDS.join(", ")));
    }
    let id = match o.get("id") {
        Some(Value::String(s)) => s,
        Some(_) => return Err(".id: must be a string".into()),
        None => return Err(".id: required".into()),
    };
    if id.is_empty() || id.chars().count() > MAX_ID_CHARS || id.chars().any(char::is_control) {
        return Err(format!(".id: must be 1-{MAX_ID_CHARS} characters without control characters"));
    }
    let time = match o.get("time") {
        None | Some(Value::Null) => now,
        Some(Value::String(s)) => {
            let t = chrono::DateTime::parse_from_rfc3339(s)
                .map_err(|e| format!(".time: not an RFC 3339 time: {e}"))?
                .timestamp_micros();
            if t > latest {
                return Err(".time: ahead of the server clock by more than the allowed skew".into());
            }
            t
        }
        Some(_) => return Err(".time: must be an RFC 3339 string".into()),
    };
    let lat = number(o, "lat")?.ok_or(".lat: required")?;
    let lon = number(o, "lon")?.ok_or(".lon: required")?;
    let alt_ft = number(o, "alt_ft")?.ok_or(".alt_ft: required")?;
    let gs_kt = number(o, "gs_kt")?.ok_or(".gs_kt: required")?;
    let trk_deg = number(o, "trk_deg")?.ok_or(".trk_deg: required")?;
    let vs_fpm = number(o, "vs_fpm")?.unwrap_or(0.0);
    if !(0.0..=360.0).contains(&trk_deg) {
        return Err(".trk_deg: must be in [0, 360] degrees".into());
    }
    let reference = match o.get("alt_ref") {
        None | Some(Value::Null) => AltitudeRef::Pressure,
        Some(Value::String(s)) if s == "pressure" => AltitudeRef::Pressure,
        Some(Value::String(s)) if s == "geometric" => AltitudeRef::Geometric,
        Some(_) => return Err(".alt_ref: must be \"pressure\" or \"geometric\"".into()),
    };
    let intent = match o.get("intent_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(OperationKey(
            *uuid::Uuid::parse_str(s).map_err(|e| format!(".intent_id: not a UUID: {e}"))?.as_bytes(),
        )),
        Some(_) => return Err(".intent_id: must be a UUID string".into()),
    };
    let callsign = match o.get("callsign") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => {
            Some(Callsign::new(s).ok_or(".callsign: must be 1-8 printable ASCII characters")?)
        }
        Some(_) => return Err(".callsign: must be a string".into()),
    };
    let position = Position::new(lat, lon).map_err(field_error)?;
    let state = TrackState {
        id: TrackId(0),
        party: PartyId(0),
        time: Timestamp::from_micros(time),
        position,
        altitude: Altitude { feet: alt_ft, reference },
        ground_speed: Knots(gs_kt),
        track_angle: DegreesTrue(trk_deg.rem_euclid(360.0)),
        vertical_rate: FeetPerMinute(vs_fpm),
        intent,
        callsign,
        on_ground: false,
    };
    state.validate().map_err(field_error)?;
    Ok((id.clone(), state))
}

fn number(o: &Map<String, Value>, field: &str) -> Result<Option<f64>, String> {
    match o.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n.as_f64().map(Some).ok_or_else(|| format!(".{field}: not a number")),
        Some(_) => Err(format!(".{field}: must be a number")),
    }
}

fn field_error(e: TrackError) -> String {
    format!(".{}: {e}", e.field())
}
