//! Prometheus metrics: one process-wide recorder, a middleware that counts and
//! times every request by route, and gauges for stored entities and purges.
//!
//! [`CATALOG`] describes every metric the server publishes (type, unit, help
//! text): a metric recorded anywhere must be listed there, which a test of a
//! real scrape checks. Durations are histograms with the buckets of
//! [`SECONDS_BUCKETS`], so a dashboard can aggregate quantiles across
//! replicas (summaries cannot be aggregated).

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use deconflict_core::model::{EntityCounts, PurgeCounts};
use metrics::Unit;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// What kind of series a metric is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Only goes up (or is set to a running total).
    Counter,
    /// Goes up and down.
    Gauge,
    /// A distribution of observations.
    Histogram,
}

/// One published metric: name, kind, unit and help text.
#[derive(Debug, Clone, Copy)]
pub struct Described {
    /// The metric's name, `deconflict_...`.
    pub name: &'static str,
    /// Counter, gauge or histogram.
    pub kind: Kind,
    /// Its unit, when it has one.
    pub unit: Option<Unit>,
    /// The `# HELP` text.
    pub help: &'static str,
}

const fn m(name: &'static str, kind: Kind, unit: Option<Unit>, help: &'static str) -> Described {
    Described { name, kind, unit, help }
}

/// Every metric the server publishes.
#[rustfmt::skip]
pub const CATALOG: &[Described] = &[
    m("deconflict_build_info", Kind::Gauge, None, "Always 1; the labels name the version and the commit."),
    m("deconflict_http_requests_total", Kind::Counter, None, "HTTP requests answered, by method, route template and status."),
    m("deconflict_http_request_duration_seconds", Kind::Histogram, Some(Unit::Seconds), "Time to answer an HTTP request, by method and route template."),
    m("deconflict_http_connections", Kind::Gauge, None, "Client connections open now."),
    m("deconflict_http_refused_total", Kind::Counter, None, "Connections or requests refused before a handler ran, by reason."),
    m("deconflict_entities", Kind::Gauge, None, "Entities stored, by kind (operational intents, constraints, subscriptions)."),
    m("deconflict_purged_total", Kind::Counter, None, "Ended entities, expired reports and (with retention) old coordination records and audit bodies removed, by kind."),
    m("deconflict_audit_forgotten_through", Kind::Gauge, None, "Sequence number up to which retention has forgotten audit entry bodies (links and hashes stay)."),
    m("deconflict_audit_sealed_total", Kind::Counter, None, "Events chained and signed into the audit log by this replica."),
    m("deconflict_audit_unsealed", Kind::Gauge, None, "Events not yet sealed into the audit log (counted up to 1,000)."),
    m("deconflict_audit_unsealed_age_seconds", Kind::Gauge, Some(Unit::Seconds), "Age of the oldest event not yet sealed (0 when none): the audit log's seal lag."),
    m("deconflict_lines", Kind::Gauge, None, "Lines between command posts, by state (active, suspended, dead)."),
    m("deconflict_hotline_awaiting_ack", Kind::Gauge, None, "Deliveries awaiting an acknowledgement that has a deadline (urgent and flash messages)."),
    m("deconflict_hotline_overdue_acks", Kind::Gauge, None, "Deliveries whose acknowledgement deadline passed without an acknowledgement."),
    m("deconflict_background_failures_total", Kind::Counter, None, "Background passes that failed, by task."),
    m("deconflict_hotline_escalations_total", Kind::Counter, None, "Urgent or flash deliveries escalated for want of an acknowledgement."),
    m("deconflict_liveness_checks_started_total", Kind::Counter, None, "Communication checks started on lines."),
    m("deconflict_liveness_checks_failed_total", Kind::Counter, None, "Communication checks that failed at their deadline."),
    m("deconflict_webhook_deliveries_total", Kind::Counter, None, "Webhook delivery attempts, by result."),
    m("deconflict_notices_total", Kind::Counter, None, "Advance notices filed (per party when party labels are on)."),
    m("deconflict_late_notices_total", Kind::Counter, None, "Advance notices filed later than the line's notice period."),
    m("deconflict_sbs_lines_total", Kind::Counter, None, "SBS-1 lines read from receivers and feeders, by result."),
    m("deconflict_source_read_total", Kind::Counter, None, "Frames or lines read from a receiver source, by source."),
    m("deconflict_source_decoded_total", Kind::Counter, None, "Frames or lines a source's decoder accepted, by source."),
    m("deconflict_source_updates_total", Kind::Counter, None, "Track updates a source produced, by source."),
    m("deconflict_source_rejected_total", Kind::Counter, None, "Frames or lines a source's decoder refused, by source and reason."),
    m("deconflict_source_no_update_total", Kind::Counter, None, "Decoded frames or lines that produced no track update, by source and reason."),
    m("deconflict_source_connected", Kind::Gauge, None, "1 while a source's connection is up, by source."),
    m("deconflict_source_connects_total", Kind::Counter, None, "Connections a source made or accepted, by source."),
    m("deconflict_exchange_batches_total", Kind::Counter, None, "Batches of track reports exchanged with the other replicas, by direction."),
    m("deconflict_exchange_reports_total", Kind::Counter, None, "Track reports exchanged with the other replicas, by direction."),
    m("deconflict_exchange_errors_total", Kind::Counter, None, "Failed exchange operations with Redis, by operation."),
    m("deconflict_exchange_rejected_total", Kind::Counter, None, "Reports from other replicas that could not be decoded or applied."),
    m("deconflict_picture_partial", Kind::Gauge, None, "1 while the exchange with the other replicas is down (local tracks only)."),
    m("deconflict_alerts_total", Kind::Counter, None, "Tactical alerts, by kind and state change."),
    m("deconflict_alerts_active", Kind::Gauge, None, "Tactical alerts open now."),
    m("deconflict_tracks", Kind::Gauge, None, "Live tracks in this replica's picture."),
    m("deconflict_source_tracks", Kind::Gauge, None, "Live tracks in this replica's picture by where their latest report came from: a receiver source (its flag and value), api or exchange."),
    m("deconflict_tactical_scan_duration_seconds", Kind::Histogram, Some(Unit::Seconds), "Time of one conflict scan of the live picture."),
    m("deconflict_requests_abandoned_total", Kind::Counter, None, "Requests whose client went away before the answer (the write, if any, was not committed)."),
    m("deconflict_writes_abandoned_total", Kind::Counter, None, "Writes the engine rolled back because their request was abandoned or its deadline passed."),
    m("deconflict_tx_retries_total", Kind::Counter, None, "Store transactions the engine retried after a serialisation conflict or deadlock."),
];

/// Histogram buckets for durations in seconds: 0.5 ms to 10 s.
pub const SECONDS_BUCKETS: &[f64] =
    &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// Installs the process-wide recorder once and describes [`CATALOG`]; later
/// calls reuse it (tests start several servers in one process).
pub fn install() {
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new().set_buckets(SECONDS_BUCKETS);
        match builder.and_then(PrometheusBuilder::install_recorder) {
            Ok(h) => {
                describe_all();
                Some(h)
            }
            Err(e) => {
                tracing::warn!(error = %e, "metrics recorder not installed");
                None
            }
        }
    });
}

fn describe_all() {
    for d in CATALOG {
        match (d.kind, d.unit) {
            (Kind::Counter, Some(u)) => metrics::describe_counter!(d.name, u, d.help),
            (Kind::Counter, None) => metrics::describe_counter!(d.name, d.help),
            (Kind::Gauge, Some(u)) => metrics::describe_gauge!(d.name, u, d.help),
            (Kind::Gauge, None) => metrics::describe_gauge!(d.name, d.help),
            (Kind::Histogram, Some(u)) => metrics::describe_histogram!(d.name, u, d.help),
            (Kind::Histogram, None) => metrics::describe_histogram!(d.name, d.help),
        }
    }
}

/// Publishes `deconflict_build_info{version, commit} 1`.
pub fn set_build_info(version: &str, commit: &str) {
    metrics::gauge!("deconflict_build_info", "version" => version.to_owned(), "commit" => commit.to_owned())
        .set(1.0);
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

#[cfg(test)]
mod tests {
    #[test]
    fn build_info_is_rendered() {
        super::install();
        super::set_build_info("1.2.3", "abc");
        let text = super::render();
        assert!(text.contains("deconflict_build_info{"), "{text}");
    }
}
