//! Intents, constraints, subscriptions and availability in the memory store:
//! R-tree candidates by box, and the lookups of purge and quotas.

use geom::Time;

use super::*;
use crate::ids::{EntityId, PartyName, SubscriptionId};
use crate::model::{AvailabilityRecord, Constraint, EntityCounts, OperationalIntent, Subscription};
use crate::store::{AreaQuery, EntityKind, StoreError, Usage};

/// For one kind of strategic entity, the four methods [`crate::impl_tx!`]
/// calls: read by id, candidates by box, put, delete; over that kind's
/// [`Table`], each change recorded in the undo log under its [`Undo`] variant.
/// (`impl_tx!` calls them by name, so a macro writes them per kind.)
macro_rules! entity_rows {
    ($($ty:ty, $id:ty, $table:ident, $undo:ident: $get:ident, $in_area:ident, $put:ident, $delete:ident;)*) => {$(
        impl MemoryTx<'_> {
            pub(super) fn $get(&mut self, id: $id) -> Result<Option<$ty>, StoreError> {
                Ok(self.state.$table.rows.get(&id).cloned())
            }

            pub(super) fn $in_area(&mut self, area: &AreaQuery<'_>) -> Result<Vec<$ty>, StoreError> {
                Ok(self.state.$table.candidates(area.bbox()))
            }

            pub(super) fn $put(&mut self, row: &$ty) -> Result<(), StoreError> {
                let old = self.state.$table.set(row.id, Some(row.clone()));
                self.undo.push(Undo::$undo(row.id, old));
                Ok(())
            }

            pub(super) fn $delete(&mut self, id: $id) -> Result<(), StoreError> {
                let old = self.state.$table.set(id, None);
                self.undo.push(Undo::$undo(id, old));
                Ok(())
            }
        }
    )*};
}

entity_rows! {
    OperationalIntent, EntityId, intents, Intent: intent, intents_in, put_intent, delete_intent;
    Constraint, EntityId, constraints, Constraint: constraint, constraints_in, put_constraint, delete_constraint;
    Subscription, SubscriptionId, subscriptions, Subscription:
        subscription, subscriptions_in, put_subscription, delete_subscription;
}

impl MemoryTx<'_> {
    pub(super) fn intents_of_subscription(
        &mut self,
        id: SubscriptionId,
    ) -> Result<Vec<EntityId>, StoreError> {
        Ok(self
            .state
            .intents
            .rows
            .values()
            .filter(|oi| oi.subscription_id == Some(id))
            .map(|oi| oi.id)
            .collect())
    }

    pub(super) fn availability(&mut self, uss: &PartyName) -> Result<Option<AvailabilityRecord>, StoreError> {
        Ok(self.state.availability.get(uss).cloned())
    }

    pub(super) fn put_availability(&mut self, record: &AvailabilityRecord) -> Result<(), StoreError> {
        let old = self.state.availability.insert(record.uss.clone(), record.clone());
        self.undo.push(Undo::Availability(record.uss.clone(), old));
        Ok(())
    }

    pub(super) fn ended_by(
        &mut self,
        kind: EntityKind,
        now: Time,
        limit: usize,
    ) -> Result<Vec<uuid::Uuid>, StoreError> {
        let st = &self.state;
        let mut ended: Vec<(Time, uuid::Uuid)> = match kind {
            EntityKind::Intent => {
                st.intents.rows.values().map(|v| (v.time().end(), v.id.as_uuid())).collect()
            }
            EntityKind::Constraint => {
                st.constraints.rows.values().map(|v| (v.time().end(), v.id.as_uuid())).collect()
            }
            EntityKind::Subscription => {
                st.subscriptions.rows.values().map(|v| (v.time().end(), v.id.as_uuid())).collect()
            }
        };
        ended.retain(|(end, _)| *end <= now);
        ended.sort_unstable();
        Ok(ended.into_iter().take(limit).map(|(_, id)| id).collect())
    }

    pub(super) fn counts(&mut self) -> Result<EntityCounts, StoreError> {
        Ok(EntityCounts {
            intents: self.state.intents.rows.len() as u64,
            constraints: self.state.constraints.rows.len() as u64,
            subscriptions: self.state.subscriptions.rows.len() as u64,
        })
    }

    pub(super) fn usage(&mut self, party: &PartyName, now: Time) -> Result<Usage, StoreError> {
        let live = |end: Time| end > now;
        let st = &self.state;
        Ok(Usage {
            intents: st.intents.rows.values().filter(|o| &o.party == party && live(o.time().end())).count()
                as u64,
            constraints: st
                .constraints
                .rows
                .values()
                .filter(|c| &c.party == party && live(c.time().end()))
                .count() as u64,
            subscriptions: st
                .subscriptions
                .rows
                .values()
                .filter(|s| &s.party == party && !s.implicit && live(s.time().end()))
                .cloned()
                .collect(),
        })
    }
}
