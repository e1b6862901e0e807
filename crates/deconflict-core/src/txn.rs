//! The one way to run a transaction: [`Runner`] over a store handle.
//!
//! Every service in core (strategic engine, hotline and notices, visibility,
//! audit reads, background passes) reads through [`Runner::read`] (a read
//! transaction, never committed) and writes through [`Runner::write`] or
//! [`Runner::write_area`]: the closure runs in one transaction that commits
//! only when it returns `Ok`; a conflict with a concurrent writer
//! ([`StoreError::Retry`]) runs it again from the start after a short backoff,
//! and nothing is committed once the request's [`Deadline`] has passed.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::engine::EngineError;
use crate::store::{Store, StoreError, Tx, TxMode};

/// When a write may no longer be committed: after an instant, or once the
/// request was abandoned (its client went away, so nobody would learn the
/// outcome). DSS0215: a write is answered only after its commit, and never
/// committed after its answer was given up.
#[derive(Debug, Clone, Default)]
pub struct Deadline {
    at: Option<Instant>,
    abandoned: Option<Arc<AtomicBool>>,
}

impl Deadline {
    /// No deadline (background work).
    pub const NONE: Deadline = Deadline { at: None, abandoned: None };

    /// This deadline, also passed `budget` from now.
    #[must_use]
    pub fn within(mut self, budget: Duration) -> Self {
        self.at = Some(Instant::now() + budget);
        self
    }

    /// This deadline, also passed once `abandoned` is set.
    #[must_use]
    pub fn or_abandoned(mut self, abandoned: Arc<AtomicBool>) -> Self {
        self.abandoned = Some(abandoned);
        self
    }

    /// Why nothing may be committed now, if so.
    fn passed(&self) -> Option<EngineError> {
        if self.abandoned.as_ref().is_some_and(|a| a.load(Ordering::Acquire)) {
            Some(EngineError::Abandoned)
        } else if self.at.is_some_and(|d| Instant::now() >= d) {
            Some(EngineError::Timeout)
        } else {
            None
        }
    }
}

/// Runs transactions on one store: reads, and writes retried on conflicts
/// and never committed after their deadline. Cheap to clone; clones share
/// the store handle and the counters.
#[derive(Debug, Clone)]
pub struct Runner {
    store: Arc<dyn Store>,
    max_attempts: u32,
    /// Write transactions run again because a concurrent writer won.
    retries: Arc<AtomicU64>,
    /// Writes not committed because their request was abandoned.
    abandoned: Arc<AtomicU64>,
}

impl Runner {
    /// A runner over `store` that runs a write at most `max_attempts` times
    /// (at least once).
    pub fn new(store: Arc<dyn Store>, max_attempts: u32) -> Self {
        Self { store, max_attempts: max_attempts.max(1), retries: Arc::default(), abandoned: Arc::default() }
    }

    /// The store behind the runner.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// How many write transactions of this runner (and its clones) were run
    /// again since it was made, because a concurrent writer won the race.
    pub fn retries(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }

    /// Writes this runner did not commit because their request was abandoned.
    pub fn abandoned_writes(&self) -> u64 {
        self.abandoned.load(Ordering::Relaxed)
    }

    /// Runs `f` in a read transaction.
    ///
    /// # Errors
    /// What `f` returns, or `Store` when the transaction cannot begin.
    pub fn read<T>(&self, f: impl FnOnce(&mut dyn Tx) -> Result<T, EngineError>) -> Result<T, EngineError> {
        let mut tx = self.store.begin(TxMode::Read)?;
        f(&mut *tx)
    }

    /// Runs `f` in a write transaction and commits it, retrying from the start
    /// when the store reports a conflict with a concurrent writer. Nothing is
    /// committed once `deadline` has passed.
    ///
    /// # Errors
    /// What `f` returns, `Contention` when every attempt lost, `Timeout` or
    /// `Abandoned` after the deadline, `Store`.
    pub fn write<T>(
        &self,
        deadline: &Deadline,
        f: impl FnMut(&mut dyn Tx) -> Result<T, EngineError>,
    ) -> Result<T, EngineError> {
        self.write_in(TxMode::Write, deadline, f)
    }

    /// [`Runner::write`] for a change of strategic entities, whose
    /// transaction ([`TxMode::AreaWrite`]) conflicts with another only when
    /// their areas share a cell: `f` locks each area ([`Tx::lock_area`])
    /// before it reads or writes there.
    ///
    /// # Errors
    /// As [`Runner::write`].
    pub fn write_area<T>(
        &self,
        deadline: &Deadline,
        f: impl FnMut(&mut dyn Tx) -> Result<T, EngineError>,
    ) -> Result<T, EngineError> {
        self.write_in(TxMode::AreaWrite, deadline, f)
    }

    /// Why nothing may be committed under `deadline` now, if so (counted
    /// when the request was abandoned).
    fn stop(&self, deadline: &Deadline) -> Option<EngineError> {
        let passed = deadline.passed();
        if matches!(passed, Some(EngineError::Abandoned)) {
            self.abandoned.fetch_add(1, Ordering::Relaxed);
        }
        passed
    }

    fn write_in<T>(
        &self,
        mode: TxMode,
        deadline: &Deadline,
        mut f: impl FnMut(&mut dyn Tx) -> Result<T, EngineError>,
    ) -> Result<T, EngineError> {
        for attempt in 0..self.max_attempts {
            if attempt > 0 {
                self.retries.fetch_add(1, Ordering::Relaxed);
                std::thread::sleep(backoff(attempt));
            }
            if let Some(passed) = self.stop(deadline) {
                return Err(passed);
            }
            let mut tx = match self.store.begin(mode) {
                Err(StoreError::Retry) => continue,
                other => other?,
            };
            let value = match f(&mut *tx) {
                Err(EngineError::Store(StoreError::Retry)) => continue,
                other => other?,
            };
            if let Some(passed) = self.stop(deadline) {
                return Err(passed);
            }
            match tx.commit() {
                Ok(()) => return Ok(value),
                Err(StoreError::Retry) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(EngineError::Contention { area: mode == TxMode::AreaWrite })
    }
}

fn backoff(attempt: u32) -> Duration {
    let base = 2u64.saturating_pow(attempt.min(6));
    let jitter = u64::from(rand::random::<u8>() % 4);
    Duration::from_millis(base + jitter)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::atomic::AtomicU32;

    use super::*;
    use crate::memory::MemoryStore;
    use crate::records::Record;

    /// The memory store, whose first `lost` transactions lose a race.
    #[derive(Debug, Default)]
    struct Racy {
        inner: MemoryStore,
        lost: AtomicU32,
    }

    impl Store for Racy {
        fn begin(&self, mode: TxMode) -> Result<Box<dyn Tx + '_>, StoreError> {
            if self.lost.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok() {
                return Err(StoreError::Retry);
            }
            self.inner.begin(mode)
        }

        fn kind(&self) -> &'static str {
            "memory (racy)"
        }
    }

    fn runner(lost: u32, max_attempts: u32) -> Runner {
        let store = Racy { inner: MemoryStore::new(), lost: AtomicU32::new(lost) };
        Runner::new(Arc::new(store), max_attempts)
    }

    fn note(tx: &mut dyn Tx) -> Result<(), EngineError> {
        let record =
            Record { kind: "note".into(), id: "n".into(), body: "{}".into(), k1: None, k2: None, due: None };
        Ok(tx.put_record(&record)?)
    }

    fn noted(r: &Runner) -> bool {
        r.read(|tx| Ok(tx.record("note", "n")?.is_some())).unwrap()
    }

    #[test]
    fn a_lost_race_is_run_again_and_counted() {
        let r = runner(2, 8);
        r.write(&Deadline::NONE, note).unwrap();
        assert!(noted(&r));
        assert_eq!(r.retries(), 2);
    }

    #[test]
    fn losing_every_attempt_is_contention() {
        let r = runner(6, 3); // both writes lose all three attempts
        assert!(matches!(r.write(&Deadline::NONE, note), Err(EngineError::Contention { area: false })));
        assert!(matches!(r.write_area(&Deadline::NONE, note), Err(EngineError::Contention { area: true })));
        assert_eq!(r.retries(), 4, "two runs again per write");
        assert!(!noted(&r));
    }

    #[test]
    fn nothing_commits_once_the_request_is_abandoned() {
        let r = runner(0, 8);
        let gone = Arc::new(AtomicBool::new(false));
        let deadline = Deadline::NONE.or_abandoned(gone.clone());
        let result = r.write(&deadline, |tx| {
            note(tx)?;
            gone.store(true, Ordering::Release); // the client leaves while the write runs
            Ok(())
        });
        assert!(matches!(result, Err(EngineError::Abandoned)), "{result:?}");
        assert_eq!(r.abandoned_writes(), 1);
        assert!(!noted(&r), "rolled back");
    }
}
