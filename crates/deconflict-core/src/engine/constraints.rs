//! Constraint references: create, update, delete, read, query. Constraints need
//! no key; their changes notify subscriptions that asked for constraints.

use geom::Volume4D;

use super::availability::availability_of;
use super::intents::owned_by;
use super::notify::{SubscriberToNotify, Topic, notify};
use super::ovn::new_ovn;
use super::{Ctx, Engine, EngineError, events};
use crate::events::EventKind;
use crate::ids::{EntityId, Ovn, UssBaseUrl};
use crate::model::{Availability, Constraint};
use crate::store::AreaQuery;

/// The body of a create or update (F3548 `PutConstraintReferenceParameters`).
#[derive(Debug, Clone, PartialEq)]
pub struct PutConstraint {
    /// The 4D volumes; at least one, none ended.
    pub extents: Vec<Volume4D>,
    /// Where others fetch the details.
    pub uss_base_url: UssBaseUrl,
}

/// A constraint with its owner's availability (F3548 `uss_availability`).
#[derive(Debug, Clone, PartialEq)]
pub struct ConstraintView {
    /// The constraint.
    pub constraint: Constraint,
    /// Its owner's availability.
    pub uss_availability: Availability,
}

/// The result of a write: the constraint and whom to notify.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeConstraint {
    /// The constraint as stored (or as it was, for a delete).
    pub constraint: ConstraintView,
    /// Whom to notify.
    pub subscribers: Vec<SubscriberToNotify>,
}

impl Engine {
    /// Creates (`ovn` = `None`) or updates a constraint.
    ///
    /// # Errors
    /// `BadRequest`, `Forbidden`, `Stale`, `AlreadyExists`, `AreaTooLarge`, `Timeout`, `Store`.
    pub fn put_constraint(
        &self,
        ctx: &Ctx,
        id: EntityId,
        ovn: Option<&Ovn>,
        p: &PutConstraint,
    ) -> Result<ChangeConstraint, EngineError> {
        if p.extents.is_empty() {
            return Err(EngineError::BadRequest("extents must contain at least one volume".into()));
        }
        // As for intents: past when every volume has ended.
        if crate::model::extents_time(&p.extents).end() <= ctx.now {
            return Err(EngineError::BadRequest(
                "the constraint ends in the past (every volume has ended)".into(),
            ));
        }
        self.check_area(&p.extents)?;
        self.runner.write_area(&ctx.deadline, |tx| {
            let old = tx.constraint(id)?;
            let mut area = p.extents.clone();
            area.extend(old.iter().flat_map(|o| o.extents.iter().cloned()));
            tx.lock_area(&AreaQuery::new(&area))?;
            if ovn.is_none() {
                self.check_count_quota(tx, ctx, crate::quota::Quota::Constraints)?;
            }
            let what = format_args!("constraint {id}");
            if let Some((o, given)) = super::create_or_update(what, "OVN", old.as_ref(), ovn)? {
                owned_by(ctx, &o.party, id)?;
                super::is_current(what, "OVN", &o.ovn, given)?;
            }
            let constraint = Constraint {
                id,
                party: ctx.caller.clone(),
                version: old.as_ref().map_or(1, |o| o.version.saturating_add(1)),
                ovn: new_ovn(id, ctx.now, None, self.limits.clock_skew_us)?,
                extents: p.extents.clone(),
                uss_base_url: p.uss_base_url.clone(),
                created_at: old.as_ref().map_or(ctx.now, |o| o.created_at),
                updated_at: ctx.now,
            };
            tx.put_constraint(&constraint)?;
            let kind =
                if old.is_some() { EventKind::ConstraintUpdated } else { EventKind::ConstraintCreated };
            let old_extents = old.map(|o| o.extents).unwrap_or_default();
            let notified = notify(tx, Topic::Constraints, &old_extents, &constraint.extents, ctx.now)?;
            let entity = events::ConstraintSummary::new(&constraint);
            tx.append_event(&events::change(ctx, kind, id.to_string(), entity, &notified)?)?;
            let uss_availability = availability_of(tx, &constraint.party)?;
            Ok(ChangeConstraint {
                constraint: ConstraintView { constraint, uss_availability },
                subscribers: notified.subscribers,
            })
        })
    }

    /// Deletes a constraint given its current OVN.
    ///
    /// # Errors
    /// `NotFound`, `Forbidden`, `Stale`, `Timeout`, `Store`.
    pub fn delete_constraint(
        &self,
        ctx: &Ctx,
        id: EntityId,
        ovn: &Ovn,
    ) -> Result<ChangeConstraint, EngineError> {
        let (constraint, subscribers) = self.delete_entity::<Constraint>(ctx, id, ovn)?;
        Ok(ChangeConstraint { constraint, subscribers })
    }

    /// Reads one constraint.
    ///
    /// # Errors
    /// `NotFound`, `Store`.
    pub fn constraint(&self, id: EntityId) -> Result<ConstraintView, EngineError> {
        self.read_entity::<Constraint>(id)
    }

    /// Every live constraint that intersects `area` exactly.
    ///
    /// # Errors
    /// `AreaTooLarge`, `TooManyResults`, `Store`.
    pub fn query_constraints(&self, ctx: &Ctx, area: &Volume4D) -> Result<Vec<ConstraintView>, EngineError> {
        self.query_entities::<Constraint>(ctx, area)
    }
}
