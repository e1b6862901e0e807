//! The purge pass: removes ended entities and reports past their retention,
//! so storage does not grow forever, and refreshes the entity gauges.

use crate::state::AppState;
use crate::tasks::{TaskError, blocking};

/// Runs one purge now; counts and logs what it removed.
///
/// # Errors
/// When the store fails.
pub async fn purge_once(state: &AppState) -> Result<(), TaskError> {
    let now = state.clock.now();
    let (purged, reports, counts) = blocking(&state.app, move |app| {
        let engine = app.engine();
        Ok((engine.purge_expired(now)?, engine.purge_reports(now)?, engine.counts()?))
    })
    .await?;
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
    Ok(())
}
