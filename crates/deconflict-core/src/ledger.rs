//! The sealer: chains pending events into the hash-chained audit log and signs
//! the new head. One replica at a time holds the sealer lease; sealing order is
//! the order in which events became visible, so a slow transaction that commits
//! late simply gets a later sequence number.
//!
//! A sealing pass is one write transaction tried once, not through
//! [`crate::txn::Runner`]: a conflict means another replica is sealing, so
//! there is nothing to retry.

use geom::Time;

use crate::store::{Store, StoreError, Tx, TxMode};

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
    let mut sealed = Vec::with_capacity(pending.len());
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
            .map_err(StoreError::Chain)?;
        chain.commit(&entry).map_err(StoreError::Chain)?;
        sealed.push((p.id, entry));
    }
    tx.seal_events(&sealed)?;
    if let Some((_, entry)) = sealed.last() {
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
/// the audit log's seal lag (read in `tx`, e.g. [`crate::txn::Runner::read`]).
///
/// # Errors
/// The store's error.
pub fn backlog(tx: &mut dyn Tx, cap: usize) -> Result<Backlog, StoreError> {
    let pending = tx.unsealed_events(cap)?;
    Ok(Backlog { pending: pending.len(), oldest: pending.iter().map(|p| p.event.at).min() })
}
