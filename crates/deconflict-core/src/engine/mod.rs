//! The strategic engine: every F3548 rule about who may write what, the
//! awareness ("key") rule, subscriptions and their notifications.
//!
//! Each public method runs in one store transaction of its [`Runner`], committed
//! only when the whole change is valid; a conflict between concurrent writers is
//! retried from the start, and a request whose deadline has passed is rolled back
//! instead of committed. Filing an intent, which also gives notice over the
//! hotline, is [`crate::app::App::put_intent`]: the engine knows nothing of
//! coordination. The engine is synchronous: the server calls it on a blocking
//! thread.

mod availability;
mod constraints;
pub(crate) mod entity;
mod error;
pub mod events;
pub(crate) mod intents;
mod notify;
mod ovn;
mod purge;
mod subscriptions;

use std::sync::Arc;
use std::time::Duration;

use geom::{Time, Volume4D};

pub use constraints::{ChangeConstraint, ConstraintView, PutConstraint};
pub use error::{AirspaceConflict, EngineError};
pub use intents::{ChangeIntent, IntentView, PutIntent, SubscriptionChoice};
pub use notify::SubscriberToNotify;
pub use subscriptions::{PutSubscription, PutSubscriptionResult, SubscriptionView};

use crate::ids::PartyName;
use crate::store::{Store, Tx};
use crate::txn::{Deadline, Runner};

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
        self.deadline = self.deadline.within(budget);
        self
    }
}

/// The strategic engine over one store: the F3548 rules. Its transactions
/// run through its [`Runner`].
#[derive(Debug, Clone)]
pub struct Engine {
    runner: Runner,
    limits: Limits,
    /// Per-party write rates of this process (see [`crate::quota`]).
    rates: Arc<crate::quota::Rates>,
}

impl Engine {
    /// An engine over `store` with `limits`.
    pub fn new(store: Arc<dyn Store>, limits: Limits) -> Self {
        Self { runner: Runner::new(store, limits.max_attempts), limits, rates: Arc::default() }
    }

    /// The transaction runner over the engine's store, shared with the
    /// other services of the application ([`crate::app::App`]).
    pub fn runner(&self) -> &Runner {
        &self.runner
    }

    /// Per-party write rates of this process.
    pub(crate) fn rates(&self) -> &crate::quota::Rates {
        &self.rates
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

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Entity counts, for metrics.
    ///
    /// # Errors
    /// [`EngineError::Store`] when the store fails.
    pub fn counts(&self) -> Result<crate::model::EntityCounts, EngineError> {
        self.runner.read(|tx| Ok(tx.counts()?))
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

/// `entity`, or `NotFound` naming `what` ("constraint {id}").
fn found<T>(entity: Option<T>, what: impl std::fmt::Display) -> Result<T, EngineError> {
    entity.ok_or_else(|| EngineError::NotFound(format!("{what} not found")))
}

/// The existence rule of a put, from the entity found (`old`) and the token
/// the path gives (`given`, named `token` in messages: "OVN", "version"): a
/// create (no token) of an entity that exists is `AlreadyExists`, an update
/// of one that does not is `BadRequest`; `what` names the entity
/// ("constraint {id}"). For an update, the old entity and the token, for the
/// caller's ownership and staleness checks.
fn create_or_update<'a, E, T: ?Sized>(
    what: impl std::fmt::Display,
    token: &str,
    old: Option<&'a E>,
    given: Option<&'a T>,
) -> Result<Option<(&'a E, &'a T)>, EngineError> {
    match (old, given) {
        (Some(_), None) => Err(EngineError::AlreadyExists(format!(
            "{what} already exists; update it with its {token} in the path"
        ))),
        (None, Some(_)) => {
            Err(EngineError::BadRequest(format!("{what} does not exist, so it cannot be updated")))
        }
        (Some(old), Some(given)) => Ok(Some((old, given))),
        (None, None) => Ok(None),
    }
}

/// The staleness rule of an update or delete: the `token` ("OVN", "version")
/// the path gives must be the `current` one of the entity `what`, else `Stale`.
fn is_current<T: PartialEq + std::fmt::Display + ?Sized>(
    what: impl std::fmt::Display,
    token: &str,
    current: &T,
    given: &T,
) -> Result<(), EngineError> {
    if current == given {
        Ok(())
    } else {
        Err(EngineError::Stale(format!("{token} {given} is not the current {token} of {what}")))
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

#[cfg(test)]
mod tests;
