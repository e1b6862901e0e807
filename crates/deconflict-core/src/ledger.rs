//! The sealer: chains pending events into the hash-chained audit log and signs
//! the new head. One replica at a time holds the sealer lease; sealing order is
//! the order in which events became visible, so a slow transaction that commits
//! late simply gets a later sequence number.

use geom::Time;

use crate::store::{Store, StoreError, TxMode};

/// Name of the lease that makes one replica the sealer.
pub const SEALER_LEASE: &str = "audit-sealer";

/// What one sealing pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SealReport {
    /// Whether this replica holds the sealer lease.
    pub leader: bool,
    /// How many events became audit entries.
    pub sealed: usize,
    /// Sequence number of the head after the pass (0 when the log is empty).
    pub head: u64,
}

/// Seals up to `batch` pending events in one transaction and, if any were
/// sealed, stores a checkpoint of the new head signed with `key`.
///
/// # Errors
/// [`StoreError`] from the store (a `Retry` means another sealer won; try later);
/// `Backend` if randomness for the entry salt is unavailable.
pub fn seal_once(
    store: &dyn Store,
    key: &audit::ServiceKey,
    holder: &str,
    now: Time,
    batch: usize,
) -> Result<SealReport, StoreError> {
    let mut tx = store.begin(TxMode::Write)?;
    if !tx.acquire_lease(SEALER_LEASE, holder, now, 10_000_000)? {
        return Ok(SealReport::default());
    }
    let mut chain = match tx.last_sealed()? {
        Some(last) => audit::Chain::resume_after(&last),
        None => audit::Chain::genesis(),
    };
    let pending = tx.unsealed_events(batch)?;
    let mut last = None;
    for p in &pending {
        let entry = chain
            .prepare(audit::NewEntry {
                timestamp: p.event.at.as_micros(),
                actor: p.event.actor.clone(),
                kind: p.event.kind.clone(),
                subject: p.event.subject.clone(),
                parties: p.event.parties.clone(),
                payload: p.event.payload.clone(),
            })
            .map_err(|e| StoreError::backend(format!("audit chain: {e}")))?;
        tx.seal_event(p.id, &entry)?;
        chain.commit(&entry).map_err(|e| StoreError::backend(format!("audit chain: {e}")))?;
        last = Some(entry);
    }
    if let Some(entry) = &last {
        tx.put_checkpoint(&key.checkpoint(entry, now.as_micros()))?;
    }
    tx.commit()?;
    Ok(SealReport { leader: true, sealed: pending.len(), head: chain.head().seq })
}

/// What waits to be sealed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Backlog {
    /// Pending events (counted up to the cap given to [`backlog`]).
    pub pending: usize,
    /// When the oldest of them was appended.
    pub oldest: Option<Time>,
}

/// The events not yet sealed, counted up to `cap`, and the oldest one's time:
/// the audit log's seal lag.
///
/// # Errors
/// The store's error.
pub fn backlog(store: &dyn Store, cap: usize) -> Result<Backlog, StoreError> {
    let mut tx = store.begin(TxMode::Read)?;
    let pending = tx.unsealed_events(cap)?;
    Ok(Backlog { pending: pending.len(), oldest: pending.iter().map(|p| p.event.at).min() })
}
