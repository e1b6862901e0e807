//! Subscriptions: create, update, delete, read, query (own only), and the
//! coverage rule between a subscription and the intents that depend on it.

use std::collections::HashSet;

use geom::{AltitudeRange, Footprint, Time, TimeWindow, Volume4D};

use super::constraints::ConstraintView;
use super::intents::IntentView;
use super::ovn::new_version;
use super::{
    Ctx, Engine, EngineError,
    entity::{intersecting, views},
    events,
};
use crate::events::EventKind;
use crate::ids::{EntityId, SubscriptionId, UssBaseUrl};
use crate::model::{Subscription, extents_intersect, extents_time};
use crate::store::{AreaQuery, cover_cells};

/// The body of a create or update (F3548 `PutSubscriptionParameters`).
#[derive(Debug, Clone, PartialEq)]
pub struct PutSubscription {
    /// The watched footprint.
    pub footprint: Footprint,
    /// The watched altitudes.
    pub altitude: AltitudeRange,
    /// Start; now when omitted; at most 5 minutes in the past.
    pub start: Option<Time>,
    /// End; start + 24 h when omitted; at most 24 h after start.
    pub end: Option<Time>,
    /// Where notifications go.
    pub uss_base_url: UssBaseUrl,
    /// Notify on intent changes.
    pub notify_for_intents: bool,
    /// Notify on constraint changes.
    pub notify_for_constraints: bool,
}

/// A subscription with the intents that depend on it.
#[derive(Debug, Clone, PartialEq)]
pub struct SubscriptionView {
    /// The subscription.
    pub subscription: Subscription,
    /// Intents using it.
    pub dependent_intents: Vec<EntityId>,
}

/// The result of a create or update: the subscription and what already exists
/// in its area, so the subscriber can synchronise.
#[derive(Debug, Clone, PartialEq)]
pub struct PutSubscriptionResult {
    /// The subscription as stored.
    pub subscription: SubscriptionView,
    /// Live intents in its area (when it wants intents).
    pub intents: Vec<IntentView>,
    /// Live constraints in its area (when it wants constraints).
    pub constraints: Vec<ConstraintView>,
}

impl Engine {
    /// Creates (`version` = `None`) or updates a subscription.
    ///
    /// # Errors
    /// `BadRequest` (times, flags, shrinking below dependents), `Forbidden`,
    /// `Stale`, `AlreadyExists`, `AreaTooLarge`, `Timeout`, `Store`.
    pub fn put_subscription(
        &self,
        ctx: &Ctx,
        id: SubscriptionId,
        version: Option<&str>,
        p: &PutSubscription,
    ) -> Result<PutSubscriptionResult, EngineError> {
        self.check_flags(p)?;
        self.check_area(&[Volume4D::new(p.footprint.clone(), p.altitude, TimeWindow::unbounded())])?;
        let quotas = &self.limits.quotas;
        let new_km2 = p.footprint.area_m2() / 1e6;
        self.runner.write_area(&ctx.deadline, |tx| {
            let old = tx.subscription(id)?;
            let volume = self.subscription_volume(ctx, p, old.as_ref())?;
            let mut area = vec![volume.clone()];
            area.extend(old.iter().flat_map(|o| o.extents.iter().cloned()));
            tx.lock_area(&AreaQuery::new(&area))?;
            let usage = tx.usage(&ctx.caller, ctx.now)?;
            if version.is_none() {
                quotas.check_count(crate::quota::Quota::Subscriptions, &ctx.caller, &usage)?;
            }
            quotas.check_subscription_area(&ctx.caller, &usage, version.map(|_| id), new_km2)?;
            let what = format_args!("subscription {id}");
            if let Some((o, v)) = super::create_or_update(what, "version", old.as_ref(), version)? {
                owned(ctx, o)?;
                super::is_current(what, "version", o.version.as_str(), v)?;
            }
            let extents = vec![volume.clone()];
            let dependents = tx.intents_of_subscription(id)?;
            for dep in &dependents {
                if let Some(oi) = tx.intent(*dep)?
                    && !covers(&extents, &oi.extents)
                {
                    return Err(EngineError::BadRequest(format!(
                        "subscription {id} would no longer cover its dependent operational intent {dep}"
                    )));
                }
            }
            let subscription = Subscription {
                id,
                party: ctx.caller.clone(),
                version: new_version(ctx.now, old.as_ref().map(|o| o.version.as_str())),
                notification_index: old.as_ref().map_or(0, |o| o.notification_index),
                extents,
                uss_base_url: p.uss_base_url.clone(),
                notify_for_intents: p.notify_for_intents,
                notify_for_constraints: p.notify_for_constraints,
                implicit: old.as_ref().is_some_and(|o| o.implicit),
                updated_at: ctx.now,
            };
            tx.put_subscription(&subscription)?;
            let kind =
                if old.is_some() { EventKind::SubscriptionUpdated } else { EventKind::SubscriptionCreated };
            let payload = events::SubscriptionSummary::new(&subscription);
            tx.append_event(&events::private(ctx, kind, id.to_string(), &[], &payload)?)?;
            let area = std::slice::from_ref(&volume);
            let intents = if p.notify_for_intents {
                let found = intersecting::<crate::model::OperationalIntent>(tx, area, ctx.now)?;
                views(tx, found)?
            } else {
                Vec::new()
            };
            let constraints = if p.notify_for_constraints {
                let found = intersecting::<crate::model::Constraint>(tx, area, ctx.now)?;
                views(tx, found)?
            } else {
                Vec::new()
            };
            Ok(PutSubscriptionResult {
                subscription: SubscriptionView { subscription, dependent_intents: dependents },
                intents,
                constraints,
            })
        })
    }

    /// 400 unless the subscription asks for some notification.
    fn check_flags(&self, p: &PutSubscription) -> Result<(), EngineError> {
        if !p.notify_for_intents && !p.notify_for_constraints {
            return Err(EngineError::BadRequest(
                "at least one of notify_for_operational_intents and notify_for_constraints must be true"
                    .to_owned(),
            ));
        }
        Ok(())
    }

    /// Applies the F3548 time rules and builds the subscription's volume. A
    /// bound the request omits is the stored one of `old` (an update keeps
    /// its times, as the InterUSS DSS does), else now and start + 24 h.
    fn subscription_volume(
        &self,
        ctx: &Ctx,
        p: &PutSubscription,
        old: Option<&Subscription>,
    ) -> Result<Volume4D, EngineError> {
        let bad = |m: &str| Err(EngineError::BadRequest(m.to_owned()));
        let stored = old.map(Subscription::time);
        let start = match (p.start, stored) {
            (Some(start), _) => {
                if start.as_micros() < ctx.now.as_micros() - self.limits.clock_skew_us {
                    return bad("time_start is more than 5 minutes in the past");
                }
                start
            }
            (None, Some(t)) => t.start(),
            (None, None) => ctx.now,
        };
        let end = match (p.end, stored) {
            (Some(end), _) => end,
            (None, Some(t)) => t.end(),
            (None, None) => start.saturating_add_micros(self.limits.max_subscription_us),
        };
        if end <= start {
            return bad("time_end must be after time_start");
        }
        if end.as_micros() - start.as_micros() > self.limits.max_subscription_us {
            return bad("a subscription may last at most 24 hours");
        }
        let time = TimeWindow::new(start, end).map_err(|e| EngineError::BadRequest(e.to_string()))?;
        Ok(Volume4D::new(p.footprint.clone(), p.altitude, time))
    }

    /// Deletes a subscription given its current version.
    ///
    /// # Errors
    /// `NotFound`, `Forbidden`, `Stale`, `BadRequest` (intents still depend on
    /// it), `Timeout`, `Store`.
    pub fn delete_subscription(
        &self,
        ctx: &Ctx,
        id: SubscriptionId,
        version: &str,
    ) -> Result<SubscriptionView, EngineError> {
        self.runner.write_area(&ctx.deadline, |tx| {
            let old = super::found(tx.subscription(id)?, format_args!("subscription {id}"))?;
            tx.lock_area(&AreaQuery::new(&old.extents))?;
            owned(ctx, &old)?;
            super::is_current(format_args!("subscription {id}"), "version", old.version.as_str(), version)?;
            let dependents = tx.intents_of_subscription(id)?;
            if !dependents.is_empty() {
                return Err(EngineError::BadRequest(format!(
                    "subscription {id} still has {} dependent operational intent(s)",
                    dependents.len()
                )));
            }
            tx.delete_subscription(id)?;
            let payload = events::SubscriptionSummary::new(&old);
            tx.append_event(&events::private(
                ctx,
                EventKind::SubscriptionDeleted,
                id.to_string(),
                &[],
                &payload,
            )?)?;
            Ok(SubscriptionView { subscription: old, dependent_intents: Vec::new() })
        })
    }

    /// Reads one of the caller's subscriptions.
    ///
    /// # Errors
    /// `NotFound`, `Forbidden` (another owner's), `Store`.
    pub fn subscription(&self, ctx: &Ctx, id: SubscriptionId) -> Result<SubscriptionView, EngineError> {
        self.runner.read(|tx| {
            let subscription = super::found(tx.subscription(id)?, format_args!("subscription {id}"))?;
            owned(ctx, &subscription)?;
            let dependent_intents = tx.intents_of_subscription(id)?;
            Ok(SubscriptionView { subscription, dependent_intents })
        })
    }

    /// The caller's own live subscriptions that intersect `area`.
    ///
    /// # Errors
    /// `AreaTooLarge`, `TooManyResults`, `Store`.
    pub fn query_subscriptions(
        &self,
        ctx: &Ctx,
        area: &Volume4D,
    ) -> Result<Vec<SubscriptionView>, EngineError> {
        let area = std::slice::from_ref(area);
        self.check_area(area)?;
        self.runner.read(|tx| {
            let mut found: Vec<_> = tx
                .subscriptions_in(&AreaQuery::new(area))?
                .into_iter()
                .filter(|s| {
                    s.party == ctx.caller && s.time().end() > ctx.now && extents_intersect(&s.extents, area)
                })
                .collect();
            self.check_count(found.len())?;
            found.sort_by_key(|s| s.id);
            found
                .into_iter()
                .map(|subscription| {
                    let dependent_intents = tx.intents_of_subscription(subscription.id)?;
                    Ok(SubscriptionView { subscription, dependent_intents })
                })
                .collect()
        })
    }
}

fn owned(ctx: &Ctx, s: &Subscription) -> Result<(), EngineError> {
    if s.party == ctx.caller {
        Ok(())
    } else {
        Err(EngineError::Forbidden(format!(
            "subscription {} is owned by {}, not {}",
            s.id, s.party, ctx.caller
        )))
    }
}

/// How much later than a dependent intent a subscription may start and
/// still cover it (the InterUSS DSS's tolerance, 5 minutes).
const COVER_START_TOLERANCE_US: i64 = 5 * 60 * 1_000_000;

/// Whether a subscription's volumes cover an intent's, in four dimensions: in
/// time, the union of the intent's windows lies within the subscription's
/// (which may start up to [`COVER_START_TOLERANCE_US`] late); in altitude,
/// every volume's band lies within the band the subscription's volumes span;
/// in space, every H3 cell covering the intent's footprints is among the
/// subscription's cells (the InterUSS rule, at our cell resolution).
pub(super) fn covers(sub: &[Volume4D], intent: &[Volume4D]) -> bool {
    let (st, it) = (extents_time(sub), extents_time(intent));
    if it.start().as_micros().saturating_add(COVER_START_TOLERANCE_US) < st.start().as_micros()
        || it.end() > st.end()
    {
        return false;
    }
    let Some(band) = sub.iter().map(|v| *v.altitude()).reduce(|a, b| a.union(&b)) else {
        return false;
    };
    if intent.iter().any(|v| v.altitude().lower() < band.lower() || v.altitude().upper() > band.upper()) {
        return false;
    }
    let sub_cells: HashSet<u64> = cover_cells(sub).into_iter().collect();
    cover_cells(intent).iter().all(|c| sub_cells.contains(c))
}
