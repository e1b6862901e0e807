//! What operational intents and constraints share: owned, OVN-versioned 4D
//! references with the same delete, read and query rules. Each rule is
//! written once here, generic over [`Entity`]; the kinds differ only in what
//! their impls say (their store calls, their event, what a delete also does).

use geom::{Time, Volume4D};
use serde::Serialize;

use super::availability::availability_of;
use super::constraints::ConstraintView;
use super::intents::{IntentView, drop_implicit_if_unused, owned_by};
use super::notify::{SubscriberToNotify, Topic, notify};
use super::{Ctx, Engine, EngineError, events};
use crate::events::EventKind;
use crate::ids::{EntityId, Ovn, PartyName};
use crate::model::{Availability, Constraint, OperationalIntent, extents_intersect};
use crate::store::{AreaQuery, StoreError, Tx};

/// An operational intent or a constraint, as the shared rules see it.
pub(crate) trait Entity: Sized {
    /// How messages name the kind ("operational intent", "constraint").
    const NOUN: &'static str;
    /// The subscriptions told of its changes.
    const TOPIC: Topic;
    /// The event of its deletion.
    const DELETED: EventKind;
    /// The entity with its owner's availability.
    type View;

    /// The stored entity `id`, if any.
    fn load(tx: &mut dyn Tx, id: EntityId) -> Result<Option<Self>, StoreError>;
    /// Removes entity `id`.
    fn remove(tx: &mut dyn Tx, id: EntityId) -> Result<(), StoreError>;
    /// Candidates whose coarse extent meets `area`.
    fn near(tx: &mut dyn Tx, area: &AreaQuery<'_>) -> Result<Vec<Self>, StoreError>;
    /// Its id.
    fn id(&self) -> EntityId;
    /// Its owner.
    fn party(&self) -> &PartyName;
    /// Its current OVN.
    fn ovn(&self) -> &Ovn;
    /// Its volumes.
    fn extents(&self) -> &[Volume4D];
    /// When its last volume ends.
    fn end(&self) -> Time;
    /// The summary its events carry.
    fn summary(&self) -> impl Serialize + '_;
    /// With its owner's availability.
    fn view(self, uss_availability: Availability) -> Self::View;
    /// What a delete does besides removing it, in the same transaction.
    fn after_delete(&self, _tx: &mut dyn Tx) -> Result<(), EngineError> {
        Ok(())
    }
}

/// The impl of [`Entity`] for a model type: the two kinds have the same
/// fields and differ only in these names (and in what a delete also does).
macro_rules! entity {
    ($ty:ty: $noun:literal, $topic:ident, $deleted:ident, tx.{$get:ident, $delete:ident, $near:ident},
     $view:ident { $field:ident }, $summary:ident $(, after_delete: $after:path)?) => {
        impl Entity for $ty {
            const NOUN: &'static str = $noun;
            const TOPIC: Topic = Topic::$topic;
            const DELETED: EventKind = EventKind::$deleted;
            type View = $view;

            fn load(tx: &mut dyn Tx, id: EntityId) -> Result<Option<Self>, StoreError> {
                tx.$get(id)
            }
            fn remove(tx: &mut dyn Tx, id: EntityId) -> Result<(), StoreError> {
                tx.$delete(id)
            }
            fn near(tx: &mut dyn Tx, area: &AreaQuery<'_>) -> Result<Vec<Self>, StoreError> {
                tx.$near(area)
            }
            fn id(&self) -> EntityId {
                self.id
            }
            fn party(&self) -> &PartyName {
                &self.party
            }
            fn ovn(&self) -> &Ovn {
                &self.ovn
            }
            fn extents(&self) -> &[Volume4D] {
                &self.extents
            }
            fn end(&self) -> Time {
                self.time().end()
            }
            fn summary(&self) -> impl Serialize + '_ {
                events::$summary::new(self)
            }
            fn view(self, uss_availability: Availability) -> $view {
                $view { $field: self, uss_availability }
            }
            $(fn after_delete(&self, tx: &mut dyn Tx) -> Result<(), EngineError> {
                $after(self, tx)
            })?
        }
    };
}

entity!(OperationalIntent: "operational intent", Intents, IntentDeleted,
    tx.{intent, delete_intent, intents_in}, IntentView { intent }, IntentSummary,
    after_delete: drop_its_implicit_subscription);
entity!(Constraint: "constraint", Constraints, ConstraintDeleted,
    tx.{constraint, delete_constraint, constraints_in}, ConstraintView { constraint }, ConstraintSummary);

/// An implicit subscription goes with its last dependent intent.
fn drop_its_implicit_subscription(intent: &OperationalIntent, tx: &mut dyn Tx) -> Result<(), EngineError> {
    if let Some(sid) = intent.subscription_id {
        drop_implicit_if_unused(tx, sid)?;
    }
    Ok(())
}

/// Live entities whose volumes intersect `area` exactly, by id.
pub(crate) fn intersecting<E: Entity>(
    tx: &mut dyn Tx,
    area: &[Volume4D],
    now: Time,
) -> Result<Vec<E>, EngineError> {
    if area.is_empty() {
        return Ok(Vec::new());
    }
    let mut found: Vec<E> = E::near(tx, &AreaQuery::new(area))?
        .into_iter()
        .filter(|e| e.end() > now && extents_intersect(e.extents(), area))
        .collect();
    found.sort_by_key(E::id);
    Ok(found)
}

/// Each entity with its owner's availability, looking each party up once (a
/// query may return many entities of a few parties).
pub(super) fn views<E: Entity>(tx: &mut dyn Tx, entities: Vec<E>) -> Result<Vec<E::View>, EngineError> {
    let mut known: std::collections::HashMap<PartyName, Availability> = std::collections::HashMap::new();
    let mut out = Vec::with_capacity(entities.len());
    for entity in entities {
        let uss_availability = match known.get(entity.party()) {
            Some(a) => *a,
            None => {
                let a = availability_of(tx, entity.party())?;
                known.insert(entity.party().clone(), a);
                a
            }
        };
        out.push(entity.view(uss_availability));
    }
    Ok(out)
}

impl Engine {
    /// Deletes entity `id` given its current OVN: its owner only; the
    /// subscriptions of its kind over its area are told. The entity as it was,
    /// and whom to notify.
    pub(super) fn delete_entity<E: Entity>(
        &self,
        ctx: &Ctx,
        id: EntityId,
        ovn: &Ovn,
    ) -> Result<(E::View, Vec<SubscriberToNotify>), EngineError> {
        let what = format!("{} {id}", E::NOUN);
        self.runner.write_area(&ctx.deadline, |tx| {
            let old: E = super::found(E::load(tx, id)?, &what)?;
            tx.lock_area(&AreaQuery::new(old.extents()))?;
            owned_by(ctx, old.party(), id)?;
            super::is_current(&what, "OVN", old.ovn(), ovn)?;
            E::remove(tx, id)?;
            old.after_delete(tx)?;
            let notified = notify(tx, E::TOPIC, old.extents(), &[], ctx.now)?;
            tx.append_event(&events::change(ctx, E::DELETED, id.to_string(), old.summary(), &notified)?)?;
            let uss_availability = availability_of(tx, old.party())?;
            Ok((old.view(uss_availability), notified.subscribers))
        })
    }

    /// Reads entity `id` with its owner's availability.
    pub(super) fn read_entity<E: Entity>(&self, id: EntityId) -> Result<E::View, EngineError> {
        self.runner.read(|tx| {
            let entity: E = super::found(E::load(tx, id)?, format_args!("{} {id}", E::NOUN))?;
            let uss_availability = availability_of(tx, entity.party())?;
            Ok(entity.view(uss_availability))
        })
    }

    /// Every live entity that intersects `area` exactly; never a silent cut.
    pub(super) fn query_entities<E: Entity>(
        &self,
        ctx: &Ctx,
        area: &Volume4D,
    ) -> Result<Vec<E::View>, EngineError> {
        let area = std::slice::from_ref(area);
        self.check_area(area)?;
        self.runner.read(|tx| {
            let found = intersecting::<E>(tx, area, ctx.now)?;
            self.check_count(found.len())?;
            views(tx, found)
        })
    }
}
