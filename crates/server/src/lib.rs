//! The deconflict HTTP server: the ASTM F3548-21 DSS API under `/dss/v1`, the
//! InterUSS auxiliary endpoints under `/aux/v1`, and operations endpoints.
//!
//! It is the only crate that knows HTTP and JSON. Handlers authenticate the
//! caller ([`auth`]), turn wire bodies ([`dto`]) into validated domain values,
//! call the [`deconflict_core::Engine`] on a blocking thread, and turn the
//! answer back into JSON. Every refusal is an [`error::ApiError`].

pub mod auth;
pub mod config;
pub mod dto;
pub mod error;
pub mod extract;
pub mod handlers;
pub mod metrics;
pub mod purge;
pub mod state;

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};
use deconflict_core::Engine;
use tokio::net::TcpListener;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

pub use config::{Config, ConfigError, PgSettings, StoreSpec};
pub use state::{AppState, Clock};

use crate::error::ApiError;
use crate::handlers::{aux, availability, constraints, intents, ops, reports, subscriptions};

/// Every route, in one place.
pub fn router(state: AppState, max_body_bytes: usize) -> Router {
    const OIR: &str = "/dss/v1/operational_intent_references";
    const CR: &str = "/dss/v1/constraint_references";
    const SUB: &str = "/dss/v1/subscriptions";
    Router::new()
        .route(&format!("{OIR}/query"), post(intents::query))
        .route(&format!("{OIR}/{{entityid}}"), get(intents::get).put(intents::create))
        .route(&format!("{OIR}/{{entityid}}/{{ovn}}"), put(intents::update).delete(intents::delete))
        .route(&format!("{CR}/query"), post(constraints::query))
        .route(&format!("{CR}/{{entityid}}"), get(constraints::get).put(constraints::create))
        .route(&format!("{CR}/{{entityid}}/{{ovn}}"), put(constraints::update).delete(constraints::delete))
        .route(&format!("{SUB}/query"), post(subscriptions::query))
        .route(&format!("{SUB}/{{subscriptionid}}"), get(subscriptions::get).put(subscriptions::create))
        .route(
            &format!("{SUB}/{{subscriptionid}}/{{version}}"),
            put(subscriptions::update).delete(subscriptions::delete),
        )
        .route("/dss/v1/reports", post(reports::make))
        .route("/dss/v1/uss_availability/{uss_id}", get(availability::get).put(availability::set))
        .route("/aux/v1/version", get(aux::version))
        .route("/aux/v1/validate_oauth", get(aux::validate_oauth))
        .route("/healthz", get(ops::healthz))
        .route("/metrics", get(ops::metrics))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn(metrics::track))
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .with_state(state)
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

/// Builds the shared state from a configuration and a clock. The store is
/// opened on a blocking thread (the PostgreSQL client must not block the
/// async runtime).
///
/// # Errors
/// [`ConfigError`] when keys or the store cannot be used.
pub async fn build_state(cfg: &Config, clock: Clock) -> Result<AppState, ConfigError> {
    let verifier = cfg.verifier()?;
    let (spec, pg) = (cfg.store.clone(), cfg.pg.clone());
    let store = tokio::task::spawn_blocking(move || spec.open(&pg))
        .await
        .map_err(|e| {
            ConfigError::Store(cfg.store.clone(), deconflict_core::StoreError::Backend(e.to_string()))
        })?
        .map_err(|e| ConfigError::Store(cfg.store.clone(), e))?;
    Ok(AppState {
        engine: Engine::new(store, cfg.limits.clone()),
        verifier: Arc::new(verifier),
        clock,
        request_timeout: cfg.request_timeout,
    })
}

/// Serves `state` on `listener` until `shutdown` completes, purging ended
/// entities in the background.
///
/// # Errors
/// When the listener fails.
pub async fn serve(
    state: AppState,
    cfg: &Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    metrics::install();
    let purge = tokio::spawn(purge::run(state.clone(), cfg.purge_interval));
    let app = router(state, cfg.max_body_bytes);
    let result = axum::serve(listener, app).with_graceful_shutdown(shutdown).await;
    purge.abort();
    result
}

/// Builds the state from `cfg` with the system clock and serves it.
///
/// # Errors
/// Configuration errors, or when the listener fails.
pub async fn run(
    cfg: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let state = build_state(&cfg, Clock::system()).await?;
    serve(state, &cfg, listener, shutdown).await?;
    Ok(())
}
