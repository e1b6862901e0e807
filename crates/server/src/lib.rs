//! The deconflict HTTP server: the ASTM F3548-21 DSS API under `/dss/v1`, the
//! InterUSS auxiliary endpoints under `/aux/v1`, and operations endpoints.
//!
//! It is the only crate that knows HTTP and JSON. Handlers authenticate the
//! caller ([`auth`]), turn wire bodies ([`dto`]) into validated domain values,
//! call the [`deconflict_core::Engine`] on a blocking thread, and turn the
//! answer back into JSON. Every refusal is an [`error::ApiError`].

mod access_log;
pub mod auth;
pub mod config;
pub mod coord_tasks;
pub mod dto;
pub mod error;
pub mod extract;
pub mod feed;
pub mod handlers;
pub mod metrics;
pub mod net;
pub mod openapi;
pub mod purge;
pub mod retention;
pub mod state;
pub mod tasks;
pub mod web;

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};
use deconflict_core::Engine;
use tokio::net::TcpListener;
use tower_http::trace::{DefaultMakeSpan, TraceLayer};
use tracing::Level;

pub use config::{Config, ConfigError, TlsSettings};
/// The live tactical service the handlers call (re-exported for callers of the server).
pub use live;
pub use state::{AppState, Clock};

use crate::error::ApiError;
use crate::handlers::operations;
use crate::handlers::{availability, constraints, events, intents, interuss, ops, reports, subscriptions};

/// Every route, in one place, with the layers `cfg` asks for.
pub fn router(state: AppState, cfg: &Config) -> Router {
    let (max_body_bytes, body_timeout) = (cfg.max_body_bytes, cfg.conn.body_timeout);
    const OIR: &str = "/dss/v1/operational_intent_references";
    const CR: &str = "/dss/v1/constraint_references";
    const SUB: &str = "/dss/v1/subscriptions";
    Router::new()
        .route(&format!("{OIR}/query"), post(intents::query))
        .route(&format!("{OIR}/{{entityid}}"), get(intents::get).put(intents::create))
        .route(&format!("{OIR}/{{entityid}}/{{ovn}}"), put(intents::update).delete(intents::delete))
        .route(&format!("{OIR}/{{entityid}}/"), put(empty_ovn).delete(empty_ovn))
        .route(&format!("{CR}/query"), post(constraints::query))
        .route(&format!("{CR}/{{entityid}}"), get(constraints::get).put(constraints::create))
        .route(&format!("{CR}/{{entityid}}/{{ovn}}"), put(constraints::update).delete(constraints::delete))
        .route(&format!("{CR}/{{entityid}}/"), put(empty_ovn).delete(empty_ovn))
        .route(&format!("{SUB}/query"), post(subscriptions::query))
        .route(&format!("{SUB}/{{subscriptionid}}"), get(subscriptions::get).put(subscriptions::create))
        .route(
            &format!("{SUB}/{{subscriptionid}}/{{version}}"),
            put(subscriptions::update).delete(subscriptions::delete),
        )
        .route(&format!("{SUB}/{{subscriptionid}}/"), put(empty_version).delete(empty_version))
        .route("/dss/v1/reports", post(reports::make))
        .route("/dss/v1/uss_availability/{uss_id}", get(availability::get).put(availability::set))
        .route("/aux/v1/version", get(interuss::version))
        .route("/aux/v1/validate_oauth", get(interuss::validate_oauth))
        .route("/aux/v1/pool", get(interuss::pool))
        .route("/aux/v1/pool/dss_instances", get(interuss::dss_instances))
        .route("/aux/v1/pool/dss_instances/heartbeat", put(interuss::heartbeat))
        .route("/v1/openapi.json", get(openapi::openapi_json))
        .route("/v1/events/stream", get(events::stream))
        .route("/v1/audit", get(events::export))
        .route("/v1/audit/key", get(events::key))
        .route("/v1/parties", get(handlers::parties::list))
        .route("/v1/parties/{name}", put(handlers::parties::put))
        .route("/v1/parties/{name}/webhook", put(handlers::parties::set_webhook))
        .route("/v1/lines", get(handlers::lines::list))
        .route("/v1/lines/{id}", get(handlers::lines::get).put(handlers::lines::put))
        .route("/v1/lines/{id}/suspend", post(handlers::lines::suspend))
        .route("/v1/lines/{id}/resume", post(handlers::lines::resume))
        .route("/v1/lines/{id}/heartbeat", post(handlers::lines::heartbeat))
        .route("/v1/lines/{id}/exercise", post(handlers::lines::exercise))
        .route("/v1/lines/{id}/checks", get(handlers::lines::checks))
        .route("/v1/lines/{id}/messages", get(handlers::lines::messages).post(handlers::messages::send))
        .route("/v1/inbox", get(handlers::messages::inbox))
        .route("/v1/messages/{id}", get(handlers::messages::get))
        .route("/v1/messages/{id}/read", post(handlers::messages::read))
        .route("/v1/messages/{id}/ack", post(handlers::messages::ack))
        .route("/v1/notices", get(handlers::notices::list))
        .route("/v1/notices/{intent_id}/ack", post(handlers::notices::ack))
        .route("/v1/operations/query", post(operations::query))
        .route("/v1/operations/{id}", get(operations::get))
        .route("/v1/operations/{id}/details", put(operations::set_details))
        .route("/v1/tracks", post(handlers::tracks::post).get(handlers::tracks::list))
        .route("/v1/alerts", get(handlers::alerts::list))
        .route("/v1/alerts/stream", get(handlers::alerts::stream))
        .route("/", get(web::index))
        .route("/docs", get(web::docs))
        .route("/web/dev-token", get(web::dev_token))
        .route("/web/{*path}", get(web::file))
        .route("/healthz", get(ops::healthz))
        .route("/metrics", get(ops::metrics))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn(move |req, next| net::body::guard(body_timeout, req, next)))
        .layer(axum::middleware::from_fn(metrics::track))
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_response(access_log::LogResponse),
        )
        .layer(cors(&cfg.cors_origins))
        .with_state(state)
}

/// Cross-origin access for the listed browser origins only (none by
/// default): bearer tokens in the `Authorization` header, no cookies.
fn cors(origins: &[axum::http::HeaderValue]) -> tower_http::cors::CorsLayer {
    use axum::http::{Method, header};
    tower_http::cors::CorsLayer::new()
        .allow_origin(tower_http::cors::AllowOrigin::list(origins.iter().cloned()))
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::HeaderName::from_static("last-event-id"),
        ])
        .max_age(std::time::Duration::from_secs(600))
}

/// The admin listener's routes (`--admin-listen`): `/metrics` and the
/// detailed `/healthz`, without a token, for a network only the operator reaches.
pub fn admin_router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(ops::healthz_admin))
        .route("/metrics", get(ops::metrics_admin))
        .fallback(not_found)
        .with_state(state)
}

/// An update or delete whose OVN segment is empty (`.../{id}/`): a 400, as
/// the InterUSS DSS answers, rather than the 404 of an unknown route.
async fn empty_ovn() -> ApiError {
    ApiError::bad("the OVN in the path is empty")
}

/// [`empty_ovn`] for a subscription's version.
async fn empty_version() -> ApiError {
    ApiError::bad("the subscription version in the path is empty")
}

async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::NotFound(format!("no route for {}", uri.path()))
}

async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> axum::response::Response {
    use axum::response::IntoResponse;
    let body = axum::Json(serde_json::json!({
        "message": format!("method {method} is not allowed on {}", uri.path())
    }));
    (axum::http::StatusCode::METHOD_NOT_ALLOWED, body).into_response()
}

/// Builds the shared state from a configuration, the store it serves (opened
/// by the caller: the server knows no backend) and a clock.
///
/// # Errors
/// [`ConfigError`] when keys are unusable or the store cannot be read.
pub async fn build_state(
    cfg: &Config,
    store: Arc<dyn deconflict_core::Store>,
    clock: Clock,
) -> Result<AppState, ConfigError> {
    metrics::install();
    let verifier = cfg.verifier()?;
    let feed = feed::Feed::new(feed::load_or_create_key(&cfg.audit_key)?);
    feed.start_at_head(store.clone()).await.map_err(ConfigError::Store)?;
    let engine = Engine::new(store, cfg.limits.clone());
    let state = AppState {
        feed,
        live: live::LiveService::new(cfg.live.clone(), engine.clone(), clock.clone()),
        engine,
        verifier: Arc::new(verifier),
        clock,
        request_timeout: cfg.request_timeout,
        coord: coord_tasks::CoordRuntime::new(cfg.ca_file.as_deref(), cfg.metrics_party_labels)?,
        streams: state::StreamSlots::new(cfg.max_streams_per_party),
        dss_instance_id: cfg.dss_instance_id.as_str().into(),
        dev_tokens: cfg.dev_signer()?.map(|key| web::DevTokens {
            key: Arc::new(key),
            audience: cfg.accepted_audiences().into_iter().next().unwrap_or_else(|| "localhost".to_owned()),
        }),
    };
    // This replica is a DSS instance of the pool; the first one to start
    // makes the pool's DAR id.
    let (engine, id) = (state.engine.clone(), cfg.dss_instance_id.clone());
    let dar = uuid::Uuid::new_v4().to_string();
    let joined = tokio::task::spawn_blocking(move || engine.join_pool(&id, &dar)).await;
    let failed = |e: String| {
        ConfigError::Store(deconflict_core::StoreError::backend(format!("joining the pool: {e}")))
    };
    match joined.map_err(|e| failed(e.to_string()))? {
        Ok(_) => {}
        Err(deconflict_core::EngineError::Store(e)) => return Err(ConfigError::Store(e)),
        Err(e) => return Err(failed(e.to_string())),
    }
    if let Some(path) = &cfg.parties_file {
        let n = coord_tasks::load_parties_file(&state, path).await.map_err(ConfigError::Parties)?;
        tracing::info!(path = %path.display(), written = n, "loaded the party registry");
    }
    Ok(state)
}

/// Serves `state` on `listener` (HTTPS when `cfg.tls` is set) until
/// `shutdown` completes, purging ended entities in the background; then
/// drains connections for at most `cfg.conn.shutdown_grace`.
///
/// # Errors
/// When the TLS files are unusable or the listener fails.
pub async fn serve(
    state: AppState,
    cfg: &Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let tls = cfg.server_tls().map_err(std::io::Error::other)?;
    // Tactical: bind the feed listeners and sockets before anything starts, so a bad address fails start-up.
    let live_runtime = live::LiveRuntime::bind(state.live.clone()).await?;
    let background = start_background(&state, cfg, live_runtime);
    let live_state = state.live.clone();
    let shutdown = async move {
        shutdown.await;
        live_state.close(); // ends the alert streams so graceful shutdown completes
    };
    let admin = match cfg.admin_listen {
        Some(addr) => {
            let l = TcpListener::bind(addr).await?;
            tracing::info!(listen = %addr, "admin listener (metrics, health) serving");
            Some((l, admin_router(state.clone())))
        }
        None => None,
    };
    let app = router(state, cfg);
    let (stop_admin, admin_stopped) = tokio::sync::oneshot::channel::<()>();
    let admin_task = admin.map(|(l, r)| {
        let conn = cfg.conn.clone();
        tokio::spawn(net::serve(l, r, None, conn, async move {
            let _ = admin_stopped.await;
        }))
    });
    let result = net::serve(listener, app, tls, cfg.conn.clone(), shutdown).await;
    let _ = stop_admin.send(());
    if let Some(t) = admin_task {
        let _ = t.await;
    }
    background.stop(cfg.conn.shutdown_grace).await;
    result
}

/// Starts every background task of this replica (see [`tasks`]).
fn start_background(state: &AppState, cfg: &Config, live_runtime: live::LiveRuntime) -> tasks::Background {
    let mut bg = tasks::Background::new();
    let s = state.clone();
    bg.every("audit", cfg.seal_interval, move || {
        let s = s.clone();
        async move { s.feed.pass(s.engine.store().clone(), &s.clock).await }
    });
    let s = state.clone();
    bg.every("purge", cfg.purge_interval, move || {
        let s = s.clone();
        async move { purge::purge_once(&s).await }
    });
    if let Some(keep) = cfg.retention {
        let s = state.clone();
        bg.every("retention", cfg.retention_interval, move || {
            let s = s.clone();
            async move { retention::retention_once(&s, keep).await.map(|_| ()) }
        });
    }
    let s = state.clone();
    bg.every("hotline", cfg.coord_interval, move || {
        let s = s.clone();
        async move { coord_tasks::coord_pass(&s).await }
    });
    let s = state.clone();
    bg.every("webhooks", cfg.coord_interval, move || {
        let s = s.clone();
        async move { coord_tasks::deliver_webhooks_once(&s).await.map(|_| ()) }
    });
    bg.watching(|stop| live_runtime.run(stop));
    bg
}

/// Builds the state from `cfg` over `store` with the system clock and serves it.
///
/// # Errors
/// Configuration errors, or when the listener fails.
pub async fn run(
    cfg: Config,
    store: Arc<dyn deconflict_core::Store>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    cfg.server_tls()?;
    let state = build_state(&cfg, store, Clock::system()).await?;
    serve(state, &cfg, listener, shutdown).await?;
    Ok(())
}
