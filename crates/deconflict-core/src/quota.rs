//! Per-party quotas: how much one party may hold and how fast it may write,
//! so that no party can exhaust the shared service for the others (4,000
//! subscriptions in 9 s, say). The rule lives here, in one place; the engine
//! asks it before every create.
//!
//! Holding quotas (live operations, constraints, explicit subscriptions and
//! their total area) are counted inside the area write itself
//! ([`crate::store::TxMode::AreaWrite`]), which on PostgreSQL runs READ
//! COMMITTED and takes no predicate locks, so counting a party's rows makes
//! no two writes of one party conflict. The price is that concurrent creates
//! of one party in areas far apart (which do not wait for each other) can
//! overshoot a holding quota by at most the number of requests in flight —
//! a quota bounds resources, it is not a safety rule. Rates (messages and reports per minute) are counted
//! per replica in fixed one-minute windows ([`Rates`]). The blind filing
//! rate, which bounds probing, is counted in the store over a sliding
//! minute ([`RecentWrites`]), so every replica counts the same filings.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, PoisonError};

use geom::Time;
use serde::{Deserialize, Serialize};

use crate::engine::EngineError;
use crate::ids::PartyName;
use crate::store::Usage;

/// One quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Quota {
    /// Live operational intents.
    Operations,
    /// Live constraints.
    Constraints,
    /// Live explicit subscriptions.
    Subscriptions,
    /// Total footprint area of live explicit subscriptions, km².
    SubscriptionArea,
    /// Hotline messages sent per minute.
    MessagesPerMinute,
    /// F3548 reports filed per minute.
    ReportsPerMinute,
    /// Blind operations filed or updated per minute.
    BlindFilingsPerMinute,
}

impl Quota {
    /// The setting's name, as in errors and configuration.
    pub fn name(self) -> &'static str {
        match self {
            Quota::Operations => "operations",
            Quota::Constraints => "constraints",
            Quota::Subscriptions => "subscriptions",
            Quota::SubscriptionArea => "subscription_area_km2",
            Quota::MessagesPerMinute => "messages_per_minute",
            Quota::ReportsPerMinute => "reports_per_minute",
            Quota::BlindFilingsPerMinute => "blind_filings_per_minute",
        }
    }
}

impl fmt::Display for Quota {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The limits per party. The defaults are far above what a conformance suite
/// or a busy USS holds (a few hundred entities) and far below what would hurt
/// the service.
#[derive(Debug, Clone, PartialEq)]
pub struct Quotas {
    /// Most live operational intents per party (1,000).
    pub operations: u64,
    /// Most live constraints per party (1,000).
    pub constraints: u64,
    /// Most live explicit subscriptions per party (1,000).
    pub subscriptions: u64,
    /// Most total area of a party's live explicit subscriptions, km² (500,000).
    pub subscription_area_km2: f64,
    /// Most hotline messages a party sends per minute (120).
    pub messages_per_minute: u32,
    /// Most F3548 reports a party files per minute (60).
    pub reports_per_minute: u32,
}

impl Default for Quotas {
    fn default() -> Self {
        Self {
            operations: 1000,
            constraints: 1000,
            subscriptions: 1000,
            subscription_area_km2: 500_000.0,
            messages_per_minute: 120,
            reports_per_minute: 60,
        }
    }
}

/// How long a party over a holding quota is told to wait: its entities end
/// or it deletes some, neither of which a server can predict.
const HOLDING_RETRY_AFTER_S: u64 = 60;
const MINUTE_US: i64 = 60_000_000;

fn exceeded(quota: Quota, party: &PartyName, detail: String, retry_after_s: u64) -> EngineError {
    EngineError::QuotaExceeded { quota, party: party.to_string(), detail, retry_after_s }
}

impl Quotas {
    /// 429 unless `party`, holding `usage`, may create one more `quota`
    /// entity (operations, constraints or subscriptions).
    ///
    /// # Errors
    /// [`EngineError::QuotaExceeded`].
    pub fn check_count(&self, quota: Quota, party: &PartyName, usage: &Usage) -> Result<(), EngineError> {
        let (held, limit) = match quota {
            Quota::Operations => (usage.intents, self.operations),
            Quota::Constraints => (usage.constraints, self.constraints),
            Quota::Subscriptions => (usage.subscriptions.len() as u64, self.subscriptions),
            _ => return Ok(()),
        };
        if held < limit {
            return Ok(());
        }
        let detail = format!("{party} already holds {held} live {quota} (the limit is {limit})");
        Err(exceeded(quota, party, detail, HOLDING_RETRY_AFTER_S))
    }

    /// 429 unless `party`'s explicit subscriptions, with `replacing` (an
    /// existing one being updated, if any) swapped for one of `new_km2`, stay
    /// within the total area.
    ///
    /// # Errors
    /// [`EngineError::QuotaExceeded`].
    pub fn check_subscription_area(
        &self,
        party: &PartyName,
        usage: &Usage,
        replacing: Option<crate::ids::SubscriptionId>,
        new_km2: f64,
    ) -> Result<(), EngineError> {
        let held: f64 = usage
            .subscriptions
            .iter()
            .filter(|s| Some(s.id) != replacing)
            .flat_map(|s| &s.extents)
            .map(|v| v.footprint().area_m2() / 1e6)
            .sum();
        if held + new_km2 <= self.subscription_area_km2 {
            return Ok(());
        }
        let detail = format!(
            "{party}'s live subscriptions would cover {:.0} km² (the limit is {:.0} km²)",
            held + new_km2,
            self.subscription_area_km2
        );
        Err(exceeded(Quota::SubscriptionArea, party, detail, HOLDING_RETRY_AFTER_S))
    }

    /// Counts one write of `party` under the per-minute `quota` in `rates`,
    /// or 429; a holding quota is not counted here.
    ///
    /// # Errors
    /// [`EngineError::QuotaExceeded`].
    pub fn take_rate(
        &self,
        rates: &Rates,
        party: &PartyName,
        quota: Quota,
        now: Time,
    ) -> Result<(), EngineError> {
        let limit = match quota {
            Quota::MessagesPerMinute => self.messages_per_minute,
            Quota::ReportsPerMinute => self.reports_per_minute,
            _ => return Ok(()),
        };
        rates.take(party, quota, limit, now)
    }
}

/// Fixed one-minute windows of writes per (party, quota), in this process.
#[derive(Debug, Default)]
pub struct Rates {
    windows: Mutex<HashMap<(PartyName, Quota), (i64, u32)>>,
}

impl Rates {
    /// Counts one write of `party` under `quota` at `now`, or refuses it
    /// with 429 when `limit` writes already fell in the current minute.
    ///
    /// # Errors
    /// [`EngineError::QuotaExceeded`] with the seconds until the window ends.
    pub fn take(&self, party: &PartyName, quota: Quota, limit: u32, now: Time) -> Result<(), EngineError> {
        let now = now.as_micros();
        let window = now.div_euclid(MINUTE_US) * MINUTE_US;
        let mut windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        if windows.len() > 100_000 {
            windows.retain(|_, (start, _)| *start == window); // forget old windows
        }
        let entry = windows.entry((party.clone(), quota)).or_insert((window, 0));
        if entry.0 != window {
            *entry = (window, 0);
        }
        if entry.1 >= limit {
            let retry_after_s = u64::try_from((window + MINUTE_US - now + 999_999) / 1_000_000).unwrap_or(60);
            let detail = format!("{party} sent {limit} this minute (the limit is {limit} per minute)");
            return Err(exceeded(quota, party, detail, retry_after_s.max(1)));
        }
        entry.1 += 1;
        Ok(())
    }
}

/// A party's writes under one quota in the last minute, kept as a record
/// in the store and changed in the write's own transaction: whichever
/// replica takes the write, it counts against the same window, and a
/// refused write adds nothing (its transaction rolls back).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecentWrites {
    /// Instants of the writes of the last minute (µs since the epoch), oldest first.
    at_us: Vec<i64>,
}

impl RecentWrites {
    /// Counts one write of `party` at `now`, or refuses it with 429 when
    /// `limit` writes fell in the minute before `now`.
    ///
    /// # Errors
    /// [`EngineError::QuotaExceeded`] with the seconds until the oldest of
    /// them leaves the window.
    pub fn take(
        &mut self,
        party: &PartyName,
        quota: Quota,
        limit: u32,
        now: Time,
    ) -> Result<(), EngineError> {
        let now = now.as_micros();
        self.at_us.retain(|&t| t > now - MINUTE_US);
        let limit_len = usize::try_from(limit).unwrap_or(usize::MAX);
        if self.at_us.len() >= limit_len {
            let oldest = self.at_us.iter().copied().min().unwrap_or(now);
            let retry_after_s = u64::try_from((oldest + MINUTE_US - now + 999_999) / 1_000_000).unwrap_or(60);
            let detail = format!(
                "{party} made {} in the last minute (the limit is {limit} per minute)",
                self.at_us.len()
            );
            return Err(exceeded(quota, party, detail, retry_after_s.max(1)));
        }
        self.at_us.push(now);
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn recent_writes_slide_over_the_last_minute() {
        let p = PartyName::new("alpha").unwrap();
        let q = Quota::BlindFilingsPerMinute;
        let at = |s: i64| Time::from_micros(s * 1_000_000);
        let mut w = RecentWrites::default();
        for s in [0, 10, 20] {
            w.take(&p, q, 3, at(s)).unwrap();
        }
        // A fixed window would reset at 60 s; the sliding one waits for the
        // first write to be a minute old.
        match w.take(&p, q, 3, at(59)).unwrap_err() {
            EngineError::QuotaExceeded { retry_after_s, detail, .. } => {
                assert_eq!(retry_after_s, 1);
                assert!(detail.contains("alpha made 3 in the last minute"), "{detail}");
            }
            other => panic!("{other:?}"),
        }
        w.take(&p, q, 3, at(60)).unwrap();
        assert!(w.take(&p, q, 3, at(65)).is_err(), "10 s, 20 s and 60 s are still in the minute");
        w.take(&p, q, 3, at(71)).unwrap();
        assert_eq!(w.at_us.len(), 3, "old instants are dropped, never more than the limit kept");
    }
    use crate::testsuite::{HOUR, T0, manager, square, subscription, volume};

    #[test]
    fn counts_refuse_at_the_limit() {
        let q = Quotas { operations: 2, ..Quotas::default() };
        let a = manager("a");
        let mut u = Usage { intents: 1, ..Usage::default() };
        assert!(q.check_count(Quota::Operations, &a, &u).is_ok());
        u.intents = 2;
        let err = q.check_count(Quota::Operations, &a, &u).unwrap_err();
        assert!(matches!(
            err,
            EngineError::QuotaExceeded { quota: Quota::Operations, retry_after_s: 60, .. }
        ));
        assert!(err.to_string().contains("operations"), "{err}");
        assert!(q.check_count(Quota::Constraints, &a, &u).is_ok());
    }

    #[test]
    fn subscription_area_counts_every_other_subscription() {
        let a = manager("a");
        // Two squares of about 1.1 km × 0.8 km (0.01° at 46°N, half 0.005°).
        let sub = |lat| subscription("a", vec![volume(square(lat, 7.0, 0.005), (0.0, 100.0), T0, T0 + HOUR)]);
        let (s1, s2) = (sub(46.0), sub(46.1));
        let each = s1.extents[0].footprint().area_m2() / 1e6;
        let u = Usage { subscriptions: vec![s1.clone(), s2], ..Usage::default() };
        let q = Quotas { subscription_area_km2: 2.5 * each, ..Quotas::default() };
        assert!(q.check_subscription_area(&a, &u, None, 0.4 * each).is_ok());
        assert!(q.check_subscription_area(&a, &u, None, 0.6 * each).is_err());
        // Updating s1 replaces its area rather than adding to it.
        assert!(q.check_subscription_area(&a, &u, Some(s1.id), 1.4 * each).is_ok());
    }

    #[test]
    fn rates_reset_each_minute_and_say_when() {
        let r = Rates::default();
        let (a, b) = (manager("a"), manager("b"));
        let t = |s: i64| Time::from_micros(T0 - T0.rem_euclid(MINUTE_US) + s * 1_000_000);
        for _ in 0..3 {
            r.take(&a, Quota::MessagesPerMinute, 3, t(10)).unwrap();
        }
        let err = r.take(&a, Quota::MessagesPerMinute, 3, t(15)).unwrap_err();
        assert!(matches!(err, EngineError::QuotaExceeded { retry_after_s: 45, .. }), "{err:?}");
        // Another party, another quota: their own windows.
        r.take(&b, Quota::MessagesPerMinute, 3, t(15)).unwrap();
        r.take(&a, Quota::ReportsPerMinute, 3, t(15)).unwrap();
        // The next minute starts afresh.
        r.take(&a, Quota::MessagesPerMinute, 3, t(60)).unwrap();
    }
}
