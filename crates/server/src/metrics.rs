//! Prometheus metrics: one process-wide recorder, a middleware that counts and
//! times every request by route, and gauges for stored entities and purges.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use deconflict_core::model::{EntityCounts, PurgeCounts};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process-wide recorder once; later calls reuse it (tests start
/// several servers in one process).
pub fn install() {
    HANDLE.get_or_init(|| match PrometheusBuilder::new().install_recorder() {
        Ok(h) => Some(h),
        Err(e) => {
            tracing::warn!(error = %e, "metrics recorder not installed");
            None
        }
    });
}

/// The current metrics as Prometheus text.
pub fn render() -> String {
    HANDLE.get().and_then(Option::as_ref).map(PrometheusHandle::render).unwrap_or_default()
}

/// Counts and times each request, labelled by method, route template and status.
pub async fn track(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("deconflict_http_requests_total", &labels).increment(1);
    metrics::histogram!("deconflict_http_request_duration_seconds", &labels[..2])
        .record(start.elapsed().as_secs_f64());
    response
}

/// Publishes how many entities the store holds.
pub fn set_entity_counts(c: &EntityCounts) {
    metrics::gauge!("deconflict_entities", "kind" => "operational_intent").set(c.intents as f64);
    metrics::gauge!("deconflict_entities", "kind" => "constraint").set(c.constraints as f64);
    metrics::gauge!("deconflict_entities", "kind" => "subscription").set(c.subscriptions as f64);
}

/// Counts what a purge removed.
pub fn count_purged(p: &PurgeCounts) {
    metrics::counter!("deconflict_purged_total", "kind" => "operational_intent").increment(p.intents);
    metrics::counter!("deconflict_purged_total", "kind" => "constraint").increment(p.constraints);
    metrics::counter!("deconflict_purged_total", "kind" => "subscription").increment(p.subscriptions);
}
