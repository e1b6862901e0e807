//! The retention pass: deletes old coordination records and forgets the
//! bodies of old audit entries (the rule is `deconflict_core::retention`), and
//! counts what it removed. Runs only as a background task when `--retention-days`
//! is set; no endpoint reaches it.

use std::time::Duration;

use deconflict_core::retention::HistoryPurge;

use crate::state::AppState;
use crate::tasks::{TaskError, blocking};

/// Runs retention once now, keeping `keep` of history.
///
/// # Errors
/// When the store fails.
pub async fn retention_once(state: &AppState, keep: Duration) -> Result<HistoryPurge, TaskError> {
    let now = state.clock.now();
    let keep_us = i64::try_from(keep.as_micros()).unwrap_or(i64::MAX);
    let r = blocking(&state.engine, move |engine| engine.purge_history(now, keep_us)).await?;
    for (kind, n) in [
        ("message", r.messages),
        ("delivery", r.deliveries),
        ("check", r.checks),
        ("notice", r.notices),
        ("conflict_thread", r.threads),
        ("audit_body", r.entries),
    ] {
        metrics::counter!("deconflict_purged_total", "kind" => kind).increment(n);
    }
    metrics::gauge!("deconflict_audit_forgotten_through").set(r.forgotten_through as f64);
    if r.messages + r.checks + r.notices + r.threads + r.entries > 0 {
        tracing::info!(
            messages = r.messages,
            kept_awaiting_ack = r.messages_kept,
            checks = r.checks,
            notices = r.notices,
            threads = r.threads,
            audit_bodies = r.entries,
            forgotten_through = r.forgotten_through,
            "applied retention"
        );
    }
    Ok(r)
}
