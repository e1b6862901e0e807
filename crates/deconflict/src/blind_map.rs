//! `deconflict blind map`: the party's own map of its blind operations.
//!
//! Decoding a match into a place needs the party's local records, so the
//! page that shows decoded places must come from the party's own binary, not
//! from the service (whose operator could change its page to upload what it
//! decodes). This is a loopback-only server that
//!
//! * serves the web map the server embeds (`server::web`: the same files,
//!   handlers and Content-Security-Policy),
//! * answers `GET /local/blind`: the caller's blind operations with the
//!   volumes recorded here at filing time, and each match with its matched
//!   cells as polygons, their time slots and altitude bands (decoded from
//!   `blind-ops/`, see [`crate::blind_record`]),
//! * and passes every other request (the API, the DSS paths, the event and
//!   alert streams, streamed through) to the service as it came, bearer
//!   token included, so the page makes the same calls as on the service.
//!
//! `/local/blind` asks the service for the caller's operations and matches
//! with the caller's own token, and decodes only for the party whose token
//! started the map: another token (or none) gets the service's refusal or a
//! 403, and nothing decoded.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use blind::Place;
use serde::Serialize;
use server::dto::blind::{BlindMatchDto, BlindMatchesDto, BlindOperationDto, BlindOperationsDto};
use server::dto::geometry::LatLngDto;
use server::dto::{Volume4dDto, format_time};
use server::web;

use crate::blind_cmd::token_sub;
use crate::blind_record::Record;
use crate::client::{Conn, block_on};
use crate::paths::DataDirArg;

/// Longest a request to the service may take: long, because the event and
/// alert streams are requests too (the page reconnects when one ends).
const UPSTREAM_SPAN: Duration = Duration::from_secs(6 * 3600);

/// Largest request body passed on (the service's own limit is lower).
const MAX_REQUEST_BYTES: usize = 16 << 20;

/// Headers of one connection only, never passed on (RFC 9110 §7.6.1), and
/// `host`, which names this server.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
];

/// What every request of the local map shares.
struct Local {
    /// The service's base URL, without a trailing `/`.
    upstream: String,
    /// The client for the service.
    http: reqwest::Client,
    /// The party's data directory (its `blind-ops/` records).
    data: DataDirArg,
    /// The party whose records these are (the `sub` of the map's token).
    party: String,
    /// The `Host` values that name this server (`127.0.0.1:8700`,
    /// `localhost:8700`); others are refused.
    hosts: Vec<String>,
}

/// Runs the local map on `listen` until the process is stopped.
///
/// # Errors
/// When `listen` is not a loopback address, there is no usable token, the
/// service refuses the token or the address cannot be bound.
pub fn run(conn: &Conn, data: &DataDirArg, listen: SocketAddr) -> anyhow::Result<()> {
    if !listen.ip().is_loopback() {
        bail!(
            "--listen {listen}: the local blind map serves your decoded places, so it listens on a loopback \
             address only (127.0.0.1 or ::1)"
        );
    }
    let party = token_sub(conn)?;
    let client = conn.client()?;
    let http = server::net::tls::http_client(conn.ca_file.as_deref(), UPSTREAM_SPAN)
        .context("building the HTTP client")?;
    block_on(async move {
        let ops: BlindOperationsDto = serde_json::from_value(
            client.get("/v1/blind/operations").await?.ok("the blind operations of the map's token")?,
        )
        .context("the service's list of blind operations is not readable")?;
        let listener =
            tokio::net::TcpListener::bind(listen).await.with_context(|| format!("listening on {listen}"))?;
        let addr = listener.local_addr()?;
        let local = Arc::new(Local {
            upstream: conn.server.trim_end_matches('/').to_owned(),
            http,
            data: DataDirArg { data_dir: data.data_dir.clone() },
            party,
            hosts: vec![addr.to_string(), format!("localhost:{}", addr.port())],
        });
        let recorded = ops.operations.iter().filter(|o| Record::load(&local.data, &o.id).is_some()).count();
        println!(
            "local blind map of {} on http://{addr}/ ({} blind operation(s), {recorded} recorded in {}); \
             other requests go to {}; sign in with your token",
            local.party,
            ops.operations.len(),
            local.data.resolve().file(crate::blind_cmd::OPS_DIR).display(),
            local.upstream
        );
        axum::serve(listener, router(local)).await.context("serving the local blind map")
    })
}

/// The local map's routes: the embedded page, `/local/blind`, and the service for the rest.
fn router(local: Arc<Local>) -> Router {
    Router::new()
        .route("/", get(web::index))
        .route("/docs", get(web::docs))
        // Development tokens are the service's to hand out.
        .route("/web/dev-token", get(proxy))
        .route("/web/{*path}", get(web::file))
        .route("/local/blind", get(local_blind))
        .route("/local/{*path}", get(no_local))
        .fallback(proxy)
        .layer(axum::middleware::from_fn_with_state(local.clone(), own_host))
        .with_state(local)
}

/// Refuses a request whose `Host` does not name this server: a page of
/// another site whose name was pointed at 127.0.0.1 (DNS rebinding) cannot
/// use the map, nor reach the service through it.
async fn own_host(State(local): State<Arc<Local>>, req: Request, next: axum::middleware::Next) -> Response {
    let host = req.headers().get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default();
    if local.hosts.iter().any(|h| h.eq_ignore_ascii_case(host)) {
        return next.run(req).await;
    }
    error(
        StatusCode::MISDIRECTED_REQUEST,
        format!("the local blind map answers only as http://{}/, not as {host:?}", local.hosts[0]),
    )
}

/// A JSON error answer with the page's security headers.
fn error(status: StatusCode, message: impl Into<String>) -> Response {
    let body = axum::Json(serde_json::json!({ "message": message.into() }));
    web::with_security_headers((status, body).into_response())
}

async fn no_local(uri: axum::http::Uri) -> Response {
    error(StatusCode::NOT_FOUND, format!("the local map has nothing at {}", uri.path()))
}

/// One decoded place of a match: the cell's outline, its slot and its band.
#[derive(Debug, Serialize)]
struct PlaceView {
    /// The H3 cell, hex.
    cell: String,
    /// Its corners.
    outline: Vec<LatLngDto>,
    /// Start of the time slot, RFC 3339.
    time_start: String,
    /// End of the time slot, RFC 3339.
    time_end: String,
    /// Bottom of the altitude band, m above the WGS84 ellipsoid.
    altitude_lower_m: f64,
    /// Top of the altitude band, m.
    altitude_upper_m: f64,
}

/// An operation as the service lists it, with the volumes recorded here.
#[derive(Debug, Serialize)]
struct OperationView {
    #[serde(flatten)]
    operation: BlindOperationDto,
    /// Whether this data directory has its record (else nothing is decoded).
    recorded: bool,
    /// Its volumes as filed from here.
    volumes: Vec<Volume4dDto>,
}

/// A match as the service reports it, with the own matched tokens decoded.
#[derive(Debug, Serialize)]
struct MatchView {
    #[serde(flatten)]
    matched: BlindMatchDto,
    /// The places of the matched tokens.
    places: Vec<PlaceView>,
    /// Matched tokens this data directory cannot decode.
    undecoded: usize,
}

/// `GET /local/blind`.
#[derive(Debug, Serialize)]
struct LocalView {
    /// The party decoded for.
    party: String,
    /// Its blind operations.
    operations: Vec<OperationView>,
    /// Their matches.
    matches: Vec<MatchView>,
}

fn place_view(place: &Place, record: &Record) -> Option<PlaceView> {
    let policy = record.policy();
    let (start, end) = place.slot_bounds(&policy);
    let (lower, upper) = place.band_bounds(&policy);
    let outline = place.cell_outline()?.iter().map(|p| LatLngDto { lat: p.lat(), lng: p.lng() }).collect();
    Some(PlaceView {
        cell: format!("{:x}", place.cell),
        outline,
        time_start: format_time(start),
        time_end: format_time(end),
        altitude_lower_m: lower,
        altitude_upper_m: upper,
    })
}

fn decode(m: BlindMatchDto, data: &DataDirArg) -> MatchView {
    let record = Record::load(data, &m.operation);
    let places: Vec<PlaceView> = m
        .my_tokens
        .iter()
        .filter_map(|t| record.as_ref().and_then(|r| place_view(&r.place(t)?, r)))
        .collect();
    let undecoded = m.my_tokens.len() - places.len();
    MatchView { matched: m, places, undecoded }
}

/// `GET path` on the service with the caller's `Authorization`; the JSON
/// answer, or the response to give the caller.
async fn upstream_json<T: serde::de::DeserializeOwned>(
    local: &Local,
    auth: &HeaderValue,
    path: &str,
) -> Result<T, Response> {
    let url = format!("{}{path}", local.upstream);
    let resp =
        local.http.get(&url).header(header::AUTHORIZATION, auth.clone()).send().await.map_err(|e| {
            error(StatusCode::BAD_GATEWAY, format!("the service at {} did not answer: {e}", local.upstream))
        })?;
    let status = resp.status();
    let bytes = resp.bytes().await.map_err(|e| {
        error(StatusCode::BAD_GATEWAY, format!("reading the service's answer to GET {path}: {e}"))
    })?;
    if !status.is_success() {
        let message = serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|v| v["message"].as_str().map(str::to_owned))
            .unwrap_or_else(|| String::from_utf8_lossy(&bytes).into_owned());
        return Err(error(status, format!("the service refused GET {path}: {message}")));
    }
    serde_json::from_slice(&bytes).map_err(|e| {
        error(StatusCode::BAD_GATEWAY, format!("the service's answer to GET {path} is not readable: {e}"))
    })
}

async fn local_blind(State(local): State<Arc<Local>>, headers: HeaderMap) -> Response {
    let Some(auth) = headers.get(header::AUTHORIZATION) else {
        return error(StatusCode::UNAUTHORIZED, "a bearer token is needed (sign in on the page)");
    };
    let token = auth.to_str().ok().and_then(|a| a.strip_prefix("Bearer ")).map(str::trim);
    let conn = Conn { server: String::new(), token: token.map(str::to_owned), ca_file: None };
    match token_sub(&conn) {
        Ok(sub) if sub == local.party => {}
        Ok(sub) => {
            return error(
                StatusCode::FORBIDDEN,
                format!("this local map decodes for {} only, not for {sub}", local.party),
            );
        }
        Err(e) => return error(StatusCode::UNAUTHORIZED, format!("the bearer token is unusable: {e:#}")),
    }
    let ops: BlindOperationsDto = match upstream_json(&local, auth, "/v1/blind/operations").await {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let matches: BlindMatchesDto = match upstream_json(&local, auth, "/v1/blind/matches").await {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let operations = ops
        .operations
        .into_iter()
        .map(|operation| {
            let record = Record::load(&local.data, &operation.id);
            OperationView {
                recorded: record.is_some(),
                volumes: record.map(|r| r.volumes().to_vec()).unwrap_or_default(),
                operation,
            }
        })
        .collect();
    let matches = matches.matches.into_iter().map(|m| decode(m, &local.data)).collect();
    let view = LocalView { party: local.party.clone(), operations, matches };
    let mut resp = axum::Json(view).into_response();
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    web::with_security_headers(resp)
}

fn pass_on(from: &HeaderMap) -> HeaderMap {
    let mut out = from.clone();
    for h in HOP_BY_HOP {
        out.remove(*h);
    }
    out
}

/// Every other request: to the service as it came, the answer streamed back.
async fn proxy(State(local): State<Arc<Local>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let body = match axum::body::to_bytes(body, MAX_REQUEST_BYTES).await {
        Ok(b) => b,
        Err(e) => {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the request body could not be read whole (at most {MAX_REQUEST_BYTES} bytes): {e}"),
            );
        }
    };
    let sent = local
        .http
        .request(parts.method.clone(), format!("{}{path}", local.upstream))
        .headers(pass_on(&parts.headers))
        .body(body)
        .send()
        .await;
    let resp = match sent {
        Ok(r) => r,
        Err(e) => {
            return error(
                StatusCode::BAD_GATEWAY,
                format!("{} {path}: the service at {} did not answer: {e}", parts.method, local.upstream),
            );
        }
    };
    let (status, headers) = (resp.status(), pass_on(resp.headers()));
    let mut out = Response::new(Body::from_stream(resp.bytes_stream()));
    *out.status_mut() = status;
    *out.headers_mut() = headers;
    out
}
