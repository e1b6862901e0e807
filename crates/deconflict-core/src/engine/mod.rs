//! The strategic engine: every F3548 rule about who may write what, the
//! awareness ("key") rule, subscriptions and their notifications.
//!
//! Each public method runs in one store transaction that it commits only when
//! the whole change is valid; a conflict between concurrent writers is retried
//! from the start, and a request whose deadline has passed is rolled back
//! instead of committed. The engine is synchronous: the server calls it on a
//! blocking thread.

mod availability;
mod constraints;
mod error;
pub mod events;
pub(crate) mod intents;
mod notify;
mod ovn;
mod purge;
mod subscriptions;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use geom::{Time, Volume4D};

pub use constraints::{ChangeConstraint, ConstraintView, PutConstraint};
pub use error::{AirspaceConflict, EngineError};
pub use intents::{ChangeIntent, IntentView, PutIntent, SubscriptionChoice};
pub use notify::SubscriberToNotify;
pub use subscriptions::{PutSubscription, PutSubscriptionResult, SubscriptionView};

use crate::ids::PartyName;
use crate::store::{Store, StoreError, Tx, TxMode};

const MINUTE_US: i64 = 60_000_000;
const HOUR_US: i64 = 60 * MINUTE_US;

/// Limits the engine enforces; the defaults are those of F3548 and the InterUSS DSS.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest footprint area of one write's volumes together, in m² (2,500
    /// km²); larger gives 413. Summed over the volumes, so splitting an area
    /// into many volumes does not get around it.
    pub max_area_m2: f64,
    /// Longest operational intent, from its first start to its last end, in
    /// µs (30 days); longer gives 413.
    pub max_intent_duration_us: i64,
    /// Longest subscription, in µs (24 h).
    pub max_subscription_us: i64,
    /// How far in the past a subscription may start, and how far a requested OVN
    /// suffix's timestamp may be from the server clock, in µs (5 min).
    pub clock_skew_us: i64,
    /// Most entities one query returns; more is an error, never a silent cut.
    pub max_results: usize,
    /// Whether `http://` base URLs are accepted (tests and local set-ups).
    pub allow_http_base_urls: bool,
    /// How many times a transaction that lost a race is run again.
    pub max_attempts: u32,
    /// What one party may hold and how fast it may write.
    pub quotas: crate::quota::Quotas,
    /// How long F3548 reports are kept, in µs (30 days).
    pub report_retention_us: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_area_m2: 2.5e9,
            max_intent_duration_us: 30 * 24 * HOUR_US,
            max_subscription_us: 24 * HOUR_US,
            clock_skew_us: 5 * MINUTE_US,
            max_results: 10_000,
            allow_http_base_urls: false,
            max_attempts: 8,
            quotas: crate::quota::Quotas::default(),
            report_retention_us: 30 * 24 * HOUR_US,
        }
    }
}

/// Who is asking, and when: the authenticated party, its roles (decided
/// from its credentials at the edge), the server time and the request deadline.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The caller (token `sub`).
    pub caller: PartyName,
    /// What the caller may do beyond acting on its own data.
    pub roles: crate::Roles,
    /// The server clock at the start of the request.
    pub now: Time,
    /// When nothing may be committed any more.
    pub deadline: Deadline,
}

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

impl Ctx {
    /// A context for `caller` at `now` with no role and no deadline.
    pub fn new(caller: PartyName, now: Time) -> Self {
        Self { caller, roles: crate::Roles::NONE, now, deadline: Deadline::NONE }
    }

    /// The same context with `roles`.
    #[must_use]
    pub fn with_roles(mut self, roles: crate::Roles) -> Self {
        self.roles = roles;
        self
    }

    /// The same context with a deadline `budget` from now.
    pub fn with_budget(mut self, budget: Duration) -> Self {
        self.deadline.at = Some(Instant::now() + budget);
        self
    }
}

/// The strategic engine over one store.
#[derive(Debug, Clone)]
pub struct Engine {
    store: Arc<dyn Store>,
    limits: Limits,
    /// Per-party write rates of this process (see [`crate::quota`]).
    rates: Arc<crate::quota::Rates>,
    /// Write transactions run again because a concurrent writer won.
    retries: Arc<std::sync::atomic::AtomicU64>,
    /// Writes not committed because their request was abandoned.
    abandoned: Arc<std::sync::atomic::AtomicU64>,
}

impl Engine {
    /// An engine over `store` with `limits`.
    pub fn new(store: Arc<dyn Store>, limits: Limits) -> Self {
        Self { store, limits, rates: Arc::default(), retries: Arc::default(), abandoned: Arc::default() }
    }

    /// How many write transactions of this engine (and its clones) were run
    /// again since it was made, because a concurrent writer won the race.
    pub fn retries(&self) -> u64 {
        self.retries.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Writes this engine did not commit because their request was abandoned.
    pub fn abandoned_writes(&self) -> u64 {
        self.abandoned.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Why nothing may be committed under `deadline` now, if so (counted
    /// when the request was abandoned).
    fn stop(&self, deadline: &Deadline) -> Option<EngineError> {
        let passed = deadline.passed();
        if matches!(passed, Some(EngineError::Abandoned)) {
            self.abandoned.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        passed
    }

    /// 429 unless the caller may create one more entity counted by `quota`,
    /// counted in the area write `tx` (see [`crate::quota`]).
    pub(crate) fn check_count_quota(
        &self,
        tx: &mut dyn Tx,
        ctx: &Ctx,
        quota: crate::quota::Quota,
    ) -> Result<(), EngineError> {
        self.limits.quotas.check_count(quota, &ctx.caller, &tx.usage(&ctx.caller, ctx.now)?)
    }

    /// Counts one write of the caller under a per-minute `quota`, or 429.
    ///
    /// # Errors
    /// [`EngineError::QuotaExceeded`].
    pub fn take_rate(&self, ctx: &Ctx, quota: crate::quota::Quota) -> Result<(), EngineError> {
        let q = &self.limits.quotas;
        let limit = match quota {
            crate::quota::Quota::MessagesPerMinute => q.messages_per_minute,
            crate::quota::Quota::ReportsPerMinute => q.reports_per_minute,
            _ => return Ok(()),
        };
        self.rates.take(&ctx.caller, quota, limit, ctx.now)
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The store behind the engine.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Runs `f` in a read transaction.
    pub(crate) fn read<T>(
        &self,
        f: impl FnOnce(&mut dyn Tx) -> Result<T, EngineError>,
    ) -> Result<T, EngineError> {
        let mut tx = self.store.begin(TxMode::Read)?;
        f(&mut *tx)
    }

    /// Runs `f` in a write transaction and commits it, retrying from the start
    /// when the store reports a conflict with a concurrent writer. Nothing is
    /// committed once `deadline` has passed.
    pub(crate) fn write<T>(
        &self,
        deadline: &Deadline,
        f: impl FnMut(&mut dyn Tx) -> Result<T, EngineError>,
    ) -> Result<T, EngineError> {
        self.write_in(TxMode::Write, deadline, f)
    }

    /// [`Engine::write`] for a change of strategic entities, whose
    /// transaction ([`TxMode::AreaWrite`]) conflicts with another only when
    /// their areas share a cell: `f` locks each area ([`Tx::lock_area`])
    /// before it reads or writes there.
    pub(crate) fn write_area<T>(
        &self,
        deadline: &Deadline,
        f: impl FnMut(&mut dyn Tx) -> Result<T, EngineError>,
    ) -> Result<T, EngineError> {
        self.write_in(TxMode::AreaWrite, deadline, f)
    }

    fn write_in<T>(
        &self,
        mode: TxMode,
        deadline: &Deadline,
        mut f: impl FnMut(&mut dyn Tx) -> Result<T, EngineError>,
    ) -> Result<T, EngineError> {
        for attempt in 0..self.limits.max_attempts.max(1) {
            if attempt > 0 {
                self.retries.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
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

    /// The engine's write transaction for modules outside it (e.g. [`crate::coord`]):
    /// one write transaction, retried on conflicts, never committed after `deadline`.
    ///
    /// # Errors
    /// What `f` returns, `Contention`, `Timeout` or `Store`.
    pub fn write_tx<T>(
        &self,
        deadline: &Deadline,
        f: impl FnMut(&mut dyn Tx) -> Result<T, EngineError>,
    ) -> Result<T, EngineError> {
        self.write(deadline, f)
    }

    /// The engine's read transaction for modules outside it.
    ///
    /// # Errors
    /// What `f` returns, or `Store`.
    pub fn read_tx<T>(
        &self,
        f: impl FnOnce(&mut dyn Tx) -> Result<T, EngineError>,
    ) -> Result<T, EngineError> {
        self.read(f)
    }

    /// Entity counts, for metrics.
    ///
    /// # Errors
    /// [`EngineError::Store`] when the store fails.
    pub fn counts(&self) -> Result<crate::model::EntityCounts, EngineError> {
        self.read(|tx| Ok(tx.counts()?))
    }

    /// Rejects volumes whose footprints together are larger than the limit (413).
    pub(crate) fn check_area(&self, volumes: &[Volume4D]) -> Result<(), EngineError> {
        // The exact geodesic area is costly; most footprints are far below
        // the limit, which their (larger) bounding boxes already prove.
        let bound: f64 = volumes.iter().map(|v| bounds_area_m2(&v.footprint().bounds())).sum();
        if bound <= self.limits.max_area_m2 {
            return Ok(());
        }
        let area: f64 = volumes.iter().map(|v| v.footprint().area_m2()).sum();
        if area > self.limits.max_area_m2 {
            return Err(EngineError::AreaTooLarge {
                area_km2: area / 1e6,
                limit_km2: self.limits.max_area_m2 / 1e6,
            });
        }
        Ok(())
    }

    /// Rejects a result set over the limit rather than cutting it silently.
    pub(crate) fn check_count(&self, n: usize) -> Result<(), EngineError> {
        if n > self.limits.max_results {
            return Err(EngineError::TooManyResults { limit: self.limits.max_results });
        }
        Ok(())
    }
}

/// An upper bound of the area of a latitude/longitude box: the area of that
/// box on a sphere of radius `a / sqrt(1 - e²)`, the WGS84 polar radius of
/// curvature.
///
/// The ellipsoid's area element is `M·N·cos φ dφ dλ` (meridional and
/// prime-vertical radii of curvature); `M·N` grows from `a²(1 - e²)` at the
/// equator to `a² / (1 - e²)` at the poles, so it exceeds the equatorial
/// radius squared poleward of about 45° and only the polar value bounds it
/// everywhere (at most 1.35 % over at the equator, exact at the poles). A box
/// spanning every longitude (a footprint across ±180° or around a pole) counts
/// the whole band of latitudes.
fn bounds_area_m2(b: &geom::LatLngBounds) -> f64 {
    const A: f64 = 6_378_137.0;
    const E2: f64 = 0.006_694_379_990_141_317;
    let dlng = (b.max_lng - b.min_lng).to_radians().abs();
    let band = (b.max_lat.to_radians().sin() - b.min_lat.to_radians().sin()).abs();
    A * A / (1.0 - E2) * dlng * band
}

fn backoff(attempt: u32) -> Duration {
    let base = 2u64.saturating_pow(attempt.min(6));
    let jitter = u64::from(rand::random::<u8>() % 4);
    Duration::from_millis(base + jitter)
}

#[cfg(test)]
mod tests;
