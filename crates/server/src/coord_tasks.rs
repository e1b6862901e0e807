//! Background work of the lines between command posts, each pass a plain
//! async function that tests call directly with a manual clock (the periodic
//! tasks call the same functions):
//!
//! - [`escalate_due`] — urgent and flash messages past their acknowledgement
//!   deadline are marked overdue and re-sent to recipient and sender.
//! - [`liveness_due`] — communication checks start and fail on schedule.
//! - [`deliver_webhooks_once`] — each party's events are POSTed to its webhook
//!   at least once, in audit order, with `Idempotency-Key: <seq>`, retried
//!   with exponential backoff (1 s … 60 s), from a persisted cursor, one
//!   dispatcher per party across replicas (a store lease).
//! - [`refresh_metrics`] — `deconflict_late_notices_total` (per party only
//!   with `--metrics-party-labels`).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use deconflict_core::PartyName;
use deconflict_core::coord::{
    DeliveryChannel, EscalationReport, LivenessReport, MessageId, Party, WebhookBatch,
};
use deconflict_core::events::EventKind;
use deconflict_core::{Engine, EngineError};

use crate::state::AppState;
use crate::tasks::TaskError;

/// How long a webhook dispatcher lease lasts without renewal, in µs.
const LEASE_TTL_US: i64 = 30_000_000;
/// Most sealed entries read per webhook batch.
const WEBHOOK_SCAN: usize = 500;

/// Per-replica state of the coordination tasks.
#[derive(Debug, Clone)]
pub struct CoordRuntime {
    replica: Arc<str>,
    http: reqwest::Client,
    webhooks: Arc<tokio::sync::Mutex<()>>,
    /// Whether metrics name parties (off by default: who files late is
    /// nobody else's business, and `/metrics` may be scraped widely).
    party_labels: bool,
}

impl CoordRuntime {
    /// A runtime whose webhook client verifies servers against the system's
    /// roots plus the CAs in `ca_file`.
    ///
    /// # Errors
    /// When the CA file is unusable.
    pub fn new(ca_file: Option<&Path>, party_labels: bool) -> Result<Self, crate::net::TlsError> {
        Ok(Self {
            replica: uuid::Uuid::new_v4().to_string().into(),
            http: crate::net::tls::http_client(ca_file, Duration::from_secs(10))?,
            webhooks: Arc::new(tokio::sync::Mutex::new(())),
            party_labels,
        })
    }
}

/// Runs an engine call without a request on a blocking thread.
async fn blocking<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&Engine) -> Result<T, EngineError> + Send + 'static,
) -> Result<T, TaskError> {
    crate::tasks::blocking(&state.engine, f).await
}

/// Escalates every overdue urgent or flash delivery (see the module docs).
///
/// # Errors
/// When the store fails.
pub async fn escalate_due(state: &AppState) -> Result<EscalationReport, TaskError> {
    let now = state.clock.now();
    let r = blocking(state, move |e| e.coord().escalate_due(now)).await?;
    metrics::counter!("deconflict_hotline_escalations_total").increment(r.escalated as u64);
    Ok(r)
}

/// Fails overdue communication checks and starts due ones.
///
/// # Errors
/// When the store fails.
pub async fn liveness_due(state: &AppState) -> Result<LivenessReport, TaskError> {
    let now = state.clock.now();
    let r = blocking(state, move |e| e.coord().liveness_due(now)).await?;
    metrics::counter!("deconflict_liveness_checks_started_total").increment(r.started as u64);
    metrics::counter!("deconflict_liveness_checks_failed_total").increment(r.failed as u64);
    Ok(r)
}

/// What one webhook pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WebhookReport {
    /// Events acknowledged with 2xx.
    pub delivered: usize,
    /// Failed attempts (each stops that party's pass until its backoff ends).
    pub failed: usize,
}

/// POSTs a batch in order until the first failure; how many succeeded and why the next failed.
async fn post_batch(http: &reqwest::Client, batch: &WebhookBatch) -> (usize, Option<String>) {
    let mut delivered = 0;
    for entry in &batch.entries {
        let sent = http
            .post(&batch.url)
            .header("content-type", "application/json")
            .header("idempotency-key", entry.seq.to_string())
            .header("x-deconflict-event", entry.kind.as_str())
            .body(crate::dto::events::event_json(entry))
            .send()
            .await;
        match sent {
            Ok(resp) if resp.status().is_success() => delivered += 1,
            Ok(resp) => return (delivered, Some(format!("HTTP {}", resp.status().as_u16()))),
            Err(e) => return (delivered, Some(format!("{e}"))),
        }
    }
    (delivered, None)
}

/// One pass of every party's webhook dispatcher on this replica.
///
/// # Errors
/// When the store fails (HTTP failures are retried later, not errors).
pub async fn deliver_webhooks_once(state: &AppState) -> Result<WebhookReport, TaskError> {
    let _one_pass_at_a_time = state.coord.webhooks.lock().await;
    let mut report = WebhookReport::default();
    let parties = blocking(state, |e| e.coord().webhook_parties()).await?;
    let holder = state.coord.replica.clone();
    for party in parties {
        loop {
            let (name, who, now) = (party.name.clone(), holder.clone(), state.clock.now());
            let batch = blocking(state, move |e| {
                e.coord().webhook_batch(&name, &who, now, LEASE_TTL_US, WEBHOOK_SCAN)
            })
            .await?;
            let Some(batch) = batch else { break };
            if batch.scanned_to == batch.cursor.seq {
                break; // nothing new
            }
            let (delivered, error) = post_batch(&state.coord.http, &batch).await;
            report.delivered += delivered;
            metrics::counter!("deconflict_webhook_deliveries_total", "result" => "ok")
                .increment(delivered as u64);
            if let Some(err) = &error {
                report.failed += 1;
                metrics::counter!("deconflict_webhook_deliveries_total", "result" => "failed").increment(1);
                tracing::warn!(party = %party.name, error = %err, "webhook delivery failed; will retry with backoff");
            }
            let (who, now) = (holder.clone(), state.clock.now());
            let failed = error.is_some();
            let done = batch.clone();
            blocking(state, move |e| {
                e.coord().webhook_done(&done, &who, now, LEASE_TTL_US, delivered, error.as_deref())
            })
            .await?;
            if failed || batch.scanned_to < batch.cursor.seq + WEBHOOK_SCAN as u64 {
                break;
            }
        }
    }
    Ok(report)
}

/// Publishes `deconflict_late_notices_total` and `deconflict_notices_total`
/// from the stored counts (shared by all replicas, kept across restarts):
/// one series per party with party labels on, else their sums.
pub async fn refresh_metrics(state: &AppState) {
    match blocking(state, |e| e.coord().notice_stats()).await {
        Ok(stats) if state.coord.party_labels => {
            for s in stats {
                metrics::counter!("deconflict_late_notices_total", "party" => s.party.to_string())
                    .absolute(s.late);
                metrics::counter!("deconflict_notices_total", "party" => s.party.to_string())
                    .absolute(s.total);
            }
        }
        Ok(stats) => {
            metrics::counter!("deconflict_late_notices_total").absolute(stats.iter().map(|s| s.late).sum());
            metrics::counter!("deconflict_notices_total").absolute(stats.iter().map(|s| s.total).sum());
        }
        Err(e) => tracing::warn!(error = ?e, "reading notice statistics failed"),
    }
}

/// Most pending events the seal-lag gauge counts (it reads them).
const BACKLOG_CAP: usize = 1000;

/// Publishes the operations gauges: lines by state, acknowledgements owed
/// and overdue (`deconflict_lines`, `deconflict_hotline_awaiting_ack`,
/// `deconflict_hotline_overdue_acks`), and the audit log's seal lag
/// (`deconflict_audit_unsealed`, `deconflict_audit_unsealed_age_seconds`).
pub async fn refresh_gauges(state: &AppState) {
    let now = state.clock.now();
    let read = blocking(state, move |e| {
        Ok((e.coord().gauges(now)?, deconflict_core::ledger::backlog(&**e.store(), BACKLOG_CAP)?))
    })
    .await;
    let (g, backlog) = match read {
        Ok(v) => v,
        Err(e) => return tracing::warn!(error = ?e, "reading the operations gauges failed"),
    };
    for (line_state, n) in
        [("active", g.lines_active), ("suspended", g.lines_suspended), ("dead", g.lines_dead)]
    {
        metrics::gauge!("deconflict_lines", "state" => line_state).set(n as f64);
    }
    metrics::gauge!("deconflict_hotline_awaiting_ack").set(g.awaiting_ack as f64);
    metrics::gauge!("deconflict_hotline_overdue_acks").set(g.overdue_ack as f64);
    metrics::gauge!("deconflict_audit_unsealed").set(backlog.pending as f64);
    let age_us = backlog.oldest.map_or(0, |t| now.as_micros().saturating_sub(t.as_micros()).max(0));
    metrics::gauge!("deconflict_audit_unsealed_age_seconds").set(age_us as f64 / 1e6);
}

/// Marks a message delivered when its `message.sent` entry went out on
/// `party`'s live stream (call after the stream wrote `entry`).
pub async fn stream_delivered(state: &AppState, party: &str, entry: &audit::Entry) {
    if EventKind::parse(&entry.kind) != Some(EventKind::MessageSent) {
        return;
    }
    let Some(message_id) = entry.subject.as_deref().and_then(|s| MessageId::parse(s).ok()) else { return };
    let Ok(party) = PartyName::new(party) else { return };
    let now = state.clock.now();
    let via = DeliveryChannel::Stream;
    if let Err(e) = blocking(state, move |e| e.coord().mark_delivered(now, &party, message_id, via)).await {
        tracing::warn!(error = ?e, "recording stream delivery failed");
    }
}

/// Loads the party registry file (a JSON array of `{name, display_name,
/// webhook_url?}`) into the store; returns how many parties were new or changed.
///
/// # Errors
/// A message naming the file and the problem.
pub async fn load_parties_file(state: &AppState, path: &Path) -> Result<usize, String> {
    let entries = crate::config::read_parties(path).map_err(|e| e.to_string())?;
    let parties = entries
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            Ok(Party {
                name: PartyName::new(&p.name)
                    .map_err(|e| format!("{}: parties[{i}]: {e}", path.display()))?,
                display_name: p.display_name,
                webhook_url: p.webhook_url,
                updated_at: geom::Time::from_micros(0),
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    let now = state.clock.now();
    let engine = state.engine.clone();
    tokio::task::spawn_blocking(move || engine.coord().load_parties(now, &parties))
        .await
        .map_err(|e| format!("{}: {e}", path.display()))?
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// One hotline pass: escalation, liveness, then the notice metrics and the operations gauges.
///
/// # Errors
/// When the store fails (the pass after it runs on time).
pub async fn coord_pass(state: &AppState) -> Result<(), TaskError> {
    escalate_due(state).await?;
    liveness_due(state).await?;
    refresh_metrics(state).await;
    refresh_gauges(state).await;
    Ok(())
}
