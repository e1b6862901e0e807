//! The background task that removes ended entities on a schedule, so storage
//! does not grow forever, and refreshes the entity gauges.

use std::time::Duration;

use crate::state::AppState;

/// Runs one purge now; logs and counts what it removed.
pub async fn purge_once(state: &AppState) {
    let engine = state.engine.clone();
    let now = state.clock.now();
    let result = tokio::task::spawn_blocking(move || {
        let purged = engine.purge_expired(now)?;
        let reports = engine.purge_reports(now)?;
        let counts = engine.counts()?;
        Ok::<_, deconflict_core::EngineError>((purged, reports, counts))
    })
    .await;
    match result {
        Ok(Ok((purged, reports, counts))) => {
            crate::metrics::count_purged(&purged);
            metrics::counter!("deconflict_purged_total", "kind" => "report").increment(reports);
            crate::metrics::set_entity_counts(&counts);
            if purged.intents + purged.constraints + purged.subscriptions + reports > 0 {
                tracing::info!(
                    intents = purged.intents,
                    constraints = purged.constraints,
                    subscriptions = purged.subscriptions,
                    reports,
                    "purged ended entities"
                );
            }
        }
        Ok(Err(e)) => tracing::warn!(error = %e, "purge failed"),
        Err(e) => tracing::error!(error = %e, "purge task failed"),
    }
}

/// Purges every `interval` until the runtime stops.
pub async fn run(state: AppState, interval: Duration) {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        purge_once(&state).await;
    }
}
