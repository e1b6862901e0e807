//! Operational intent references: create, update, delete, read, query, with the
//! F3548 awareness rule.

use std::collections::HashSet;

use geom::Volume4D;

use super::notify::{SubscriberToNotify, Topic, notify};
use super::ovn::{new_ovn, new_version};
use super::subscriptions::covers;
use super::{
    Ctx, Engine, EngineError,
    availability::availability_of,
    entity::{intersecting, views},
    error::AirspaceConflict,
    events,
};
use crate::events::{EventKind, NewEvent};
use crate::ids::{EntityId, Ovn, PartyName, SubscriptionId, UssBaseUrl};
use crate::model::{Availability, Constraint, IntentState, OperationalIntent, Subscription};
use crate::store::{AreaQuery, Tx};

/// Which subscription keeps the intent's owner informed.
#[derive(Debug, Clone, PartialEq)]
pub enum SubscriptionChoice {
    /// None (allowed only in the Accepted state).
    None,
    /// An existing subscription of the same party that covers the intent.
    Existing(SubscriptionId),
    /// A new implicit subscription covering the intent, removed with its last
    /// dependent intent.
    New {
        /// Where its notifications go.
        uss_base_url: UssBaseUrl,
        /// Whether it also wants constraint changes (and so the key must list
        /// intersecting constraints).
        notify_for_constraints: bool,
    },
}

/// The body of a create or update (F3548 `PutOperationalIntentReferenceParameters`).
#[derive(Debug, Clone, PartialEq)]
pub struct PutIntent {
    /// The 4D volumes; at least one, none ended.
    pub extents: Vec<Volume4D>,
    /// OVNs of every entity the caller has seen.
    pub key: Vec<Ovn>,
    /// Requested state.
    pub state: IntentState,
    /// Where others fetch the details.
    pub uss_base_url: UssBaseUrl,
    /// The subscription to use or create.
    pub subscription: SubscriptionChoice,
    /// InterUSS extension: a UUIDv7 that makes the new OVN `{id}_{suffix}`.
    pub requested_ovn_suffix: Option<String>,
}

/// An intent together with its owner's declared availability.
#[derive(Debug, Clone, PartialEq)]
pub struct IntentView {
    /// The intent.
    pub intent: OperationalIntent,
    /// Its owner's availability.
    pub uss_availability: Availability,
}

/// The result of a write: the intent as stored (or as it was, for a delete) and
/// the subscribers the caller must notify.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeIntent {
    /// The intent.
    pub intent: IntentView,
    /// Whom to notify.
    pub subscribers: Vec<SubscriberToNotify>,
}

impl Engine {
    /// The checks of a create or update that need no store: extents, times,
    /// OVN suffix, area, duration, state and scope.
    ///
    /// # Errors
    /// `BadRequest`, `Forbidden`, `AreaTooLarge`, `DurationTooLong`.
    pub(crate) fn validate_intent(
        &self,
        ctx: &Ctx,
        creating: bool,
        p: &PutIntent,
    ) -> Result<(), EngineError> {
        let bad = |m: String| Err(EngineError::BadRequest(m));
        if p.extents.is_empty() {
            return bad("extents must contain at least one volume".into());
        }
        // The InterUSS rule: past when the whole intent is, not when one volume is.
        let span = crate::model::extents_time(&p.extents);
        if span.end() <= ctx.now {
            return bad("the operational intent ends in the past (every volume has ended)".into());
        }
        if let Some(suffix) = &p.requested_ovn_suffix {
            super::ovn::check_suffix(suffix, ctx.now, self.limits.clock_skew_us)?;
        }
        self.check_area(&p.extents)?;
        let duration_us = span.end().as_micros().saturating_sub(span.start().as_micros());
        if duration_us > self.limits.max_intent_duration_us {
            const HOUR: f64 = 3_600_000_000.0;
            return Err(EngineError::DurationTooLong {
                hours: duration_us as f64 / HOUR,
                limit_hours: self.limits.max_intent_duration_us as f64 / HOUR,
            });
        }
        if creating && p.state != IntentState::Accepted {
            return bad(format!(
                "an operational intent must be created in state Accepted, not {}",
                p.state.as_str()
            ));
        }
        if p.state.is_off_nominal() && !ctx.roles.has(crate::Role::ConformanceMonitor) {
            return Err(EngineError::Forbidden(format!(
                "state {} requires the utm.conformance_monitoring_sa scope",
                p.state.as_str()
            )));
        }
        if p.state != IntentState::Accepted && p.subscription == SubscriptionChoice::None {
            return bad(format!("state {} requires subscription_id or new_subscription", p.state.as_str()));
        }
        Ok(())
    }

    /// Creates (`ovn` = `None`) or updates (`ovn` = the current OVN) an
    /// intent in the area write `tx`, after [`Engine::validate_intent`]; with
    /// whether it was created. The application files intents through
    /// [`crate::app::App::put_intent`], which adds the coordination side.
    ///
    /// # Errors
    /// `Forbidden` for another owner's intent, `Stale` for an old OVN,
    /// `AlreadyExists`, `BadRequest`, `MissingKeys` when the key lacks an
    /// intersecting entity's OVN, `QuotaExceeded`, `Store`.
    pub(crate) fn put_intent_tx(
        &self,
        tx: &mut dyn Tx,
        ctx: &Ctx,
        id: EntityId,
        ovn: Option<&Ovn>,
        p: &PutIntent,
    ) -> Result<(ChangeIntent, bool), EngineError> {
        let old = tx.intent(id)?;
        // Everything this write reads or changes lies in the new and old extents.
        let mut area = p.extents.clone();
        area.extend(old.iter().flat_map(|o| o.extents.iter().cloned()));
        tx.lock_area(&AreaQuery::new(&area))?;
        if ovn.is_none() {
            self.check_count_quota(tx, ctx, crate::quota::Quota::Operations)?;
        }
        let what = format_args!("operational intent {id}");
        if let Some((o, given)) = super::create_or_update(what, "OVN", old.as_ref(), ovn)? {
            owned_by(ctx, &o.party, id)?;
            super::is_current(what, "OVN", &o.ovn, given)?;
        }

        let subscription = self.resolve_subscription(tx, ctx, id, p)?;
        if p.state.requires_key() {
            let constraints_too = subscription.as_ref().is_some_and(|s| s.notify_for_constraints);
            check_key(tx, ctx, id, &p.extents, &p.key, constraints_too)?;
        }

        let intent = OperationalIntent {
            id,
            party: ctx.caller.clone(),
            version: old.as_ref().map_or(1, |o| o.version.saturating_add(1)),
            state: p.state,
            ovn: new_ovn(id, ctx.now, p.requested_ovn_suffix.as_deref(), self.limits.clock_skew_us)?,
            extents: p.extents.clone(),
            uss_base_url: p.uss_base_url.clone(),
            subscription_id: subscription.as_ref().map(|s| s.id),
            created_at: old.as_ref().map_or(ctx.now, |o| o.created_at),
            updated_at: ctx.now,
        };
        tx.put_intent(&intent)?;
        if let Some(old_sub) = old.as_ref().and_then(|o| o.subscription_id)
            && Some(old_sub) != intent.subscription_id
        {
            drop_implicit_if_unused(tx, old_sub)?;
        }
        let kind = if old.is_some() { EventKind::IntentUpdated } else { EventKind::IntentCreated };
        let old_extents = old.map(|o| o.extents).unwrap_or_default();
        let notified = notify(tx, Topic::Intents, &old_extents, &intent.extents, ctx.now)?;
        let entity = events::IntentSummary::new(&intent);
        tx.append_event(&events::change(ctx, kind, id.to_string(), entity, &notified)?)?;
        let uss_availability = availability_of(tx, &intent.party)?;
        let change = ChangeIntent {
            intent: IntentView { intent, uss_availability },
            subscribers: notified.subscribers,
        };
        Ok((change, kind == EventKind::IntentCreated))
    }

    /// Finds, checks or creates the subscription the intent will use, and writes
    /// it when it changes (implicit subscriptions follow their intents' extents).
    fn resolve_subscription(
        &self,
        tx: &mut dyn Tx,
        ctx: &Ctx,
        id: EntityId,
        p: &PutIntent,
    ) -> Result<Option<Subscription>, EngineError> {
        match &p.subscription {
            SubscriptionChoice::None => Ok(None),
            SubscriptionChoice::New { uss_base_url, notify_for_constraints } => {
                let sub = Subscription {
                    id: SubscriptionId::random(),
                    party: ctx.caller.clone(),
                    version: new_version(ctx.now, None),
                    notification_index: 0,
                    extents: p.extents.clone(),
                    uss_base_url: uss_base_url.clone(),
                    notify_for_intents: true,
                    notify_for_constraints: *notify_for_constraints,
                    implicit: true,
                    updated_at: ctx.now,
                };
                tx.put_subscription(&sub)?;
                Ok(Some(sub))
            }
            SubscriptionChoice::Existing(sid) => {
                let mut sub = tx
                    .subscription(*sid)?
                    .ok_or_else(|| EngineError::BadRequest(format!("subscription {sid} does not exist")))?;
                if sub.party != ctx.caller {
                    return Err(EngineError::Forbidden(format!(
                        "subscription {sid} is owned by {}, not {}",
                        sub.party, ctx.caller
                    )));
                }
                if sub.implicit {
                    let mut extents = p.extents.clone();
                    for other in tx.intents_of_subscription(*sid)? {
                        if other != id
                            && let Some(oi) = tx.intent(other)?
                        {
                            extents.extend(oi.extents);
                        }
                    }
                    sub.extents = extents;
                    sub.version = new_version(ctx.now, Some(&sub.version));
                    sub.updated_at = ctx.now;
                    tx.put_subscription(&sub)?;
                } else if !covers(&sub.extents, &p.extents) {
                    return Err(EngineError::BadRequest(format!(
                        "subscription {sid} does not cover the operational intent in space and time"
                    )));
                }
                Ok(Some(sub))
            }
        }
    }

    /// Deletes an intent given its current OVN (and its implicit subscription
    /// when no other intent depends on it).
    ///
    /// # Errors
    /// `NotFound`, `Forbidden` (another owner's), `Stale` (old OVN), `Timeout`, `Store`.
    pub fn delete_intent(&self, ctx: &Ctx, id: EntityId, ovn: &Ovn) -> Result<ChangeIntent, EngineError> {
        let (intent, subscribers) = self.delete_entity::<OperationalIntent>(ctx, id, ovn)?;
        Ok(ChangeIntent { intent, subscribers })
    }

    /// Reads one intent.
    ///
    /// # Errors
    /// `NotFound`, `Store`.
    pub fn intent(&self, id: EntityId) -> Result<IntentView, EngineError> {
        self.read_entity::<OperationalIntent>(id)
    }

    /// Every live intent that intersects `area` exactly.
    ///
    /// # Errors
    /// `AreaTooLarge`, `TooManyResults` (never a silent cut), `Store`.
    pub fn query_intents(&self, ctx: &Ctx, area: &Volume4D) -> Result<Vec<IntentView>, EngineError> {
        self.query_entities::<OperationalIntent>(ctx, area)
    }
}

/// The `intent.refused_missing_key` event of a 409: `ctx.caller` was refused
/// intent `id` and shown the references in `conflict`, a disclosure the
/// caller and the owner of each shown entity may see in the audit log.
///
/// # Errors
/// `Store` when the payload cannot be encoded.
pub(crate) fn refusal_event(
    ctx: &Ctx,
    id: EntityId,
    conflict: &AirspaceConflict,
) -> Result<NewEvent, EngineError> {
    let intents: Vec<_> = conflict.missing_intents.iter().map(|v| (v.intent.id, &v.intent.party)).collect();
    let constraints: Vec<_> =
        conflict.missing_constraints.iter().map(|v| (v.constraint.id, &v.constraint.party)).collect();
    let payload = events::Refusal {
        requested: id.to_string(),
        missing_operational_intents: disclosed(&intents),
        missing_constraints: disclosed(&constraints),
    };
    let others: Vec<String> =
        intents.iter().chain(&constraints).map(|(_, party)| party.to_string()).collect();
    Ok(events::private(ctx, EventKind::IntentRefusedMissingKey, id.to_string(), &others, &payload)?)
}

fn disclosed<'a>(entities: &[(EntityId, &'a PartyName)]) -> Vec<events::Disclosed<'a>> {
    entities
        .iter()
        .map(|(id, party)| events::Disclosed { id: id.to_string(), party: party.as_str() })
        .collect()
}

/// 403 unless the caller manages the entity.
pub(super) fn owned_by(ctx: &Ctx, owner: &crate::ids::PartyName, id: EntityId) -> Result<(), EngineError> {
    if owner == &ctx.caller {
        Ok(())
    } else {
        Err(EngineError::Forbidden(format!(
            "entity {id} is owned by {owner}, but {} attempted to modify it",
            ctx.caller
        )))
    }
}

/// The F3548 awareness rule: every live intent in Accepted or Activated that
/// intersects the new extents (other than this one), and every intersecting
/// constraint when the intent's subscription wants constraints, must have its
/// current OVN in the key. Other owners' OVNs are hidden in the answer.
fn check_key(
    tx: &mut dyn Tx,
    ctx: &Ctx,
    id: EntityId,
    extents: &[Volume4D],
    key: &[Ovn],
    constraints_too: bool,
) -> Result<(), EngineError> {
    let key: HashSet<&Ovn> = key.iter().collect();
    let missing_intents: Vec<_> = intersecting::<OperationalIntent>(tx, extents, ctx.now)?
        .into_iter()
        .filter(|oi| oi.id != id && oi.state.requires_key() && !key.contains(&oi.ovn))
        .collect();
    let missing_constraints: Vec<_> = if constraints_too {
        intersecting::<Constraint>(tx, extents, ctx.now)?
            .into_iter()
            .filter(|c| !key.contains(&c.ovn))
            .collect()
    } else {
        Vec::new()
    };
    if missing_intents.is_empty() && missing_constraints.is_empty() {
        return Ok(());
    }
    let missing_intents = views(tx, missing_intents)?;
    let missing_constraints = views(tx, missing_constraints)?;
    Err(EngineError::MissingKeys(Box::new(AirspaceConflict { missing_intents, missing_constraints })))
}

/// Deletes an implicit subscription once no intent depends on it; whether it did.
pub(super) fn drop_implicit_if_unused(tx: &mut dyn Tx, sid: SubscriptionId) -> Result<bool, EngineError> {
    if let Some(sub) = tx.subscription(sid)?
        && sub.implicit
        && tx.intents_of_subscription(sid)?.is_empty()
    {
        tx.delete_subscription(sid)?;
        return Ok(true);
    }
    Ok(false)
}
