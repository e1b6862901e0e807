//! Intents, constraints, subscriptions and availability in the memory store:
//! R-tree candidates by box, and the lookups of purge and quotas.

use geom::Time;

use super::*;
use crate::ids::{EntityId, PartyName, SubscriptionId};
use crate::model::{AvailabilityRecord, Constraint, EntityCounts, OperationalIntent, Subscription};
use crate::store::{AreaQuery, EntityKind, StoreError, Usage};

impl MemoryTx<'_> {
    pub(super) fn intent(&mut self, id: EntityId) -> Result<Option<OperationalIntent>, StoreError> {
        Ok(self.state.intents.rows.get(&id).cloned())
    }

    pub(super) fn intents_in(&mut self, area: &AreaQuery<'_>) -> Result<Vec<OperationalIntent>, StoreError> {
        Ok(self.state.intents.candidates(area.bbox()))
    }

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

    pub(super) fn put_intent(&mut self, intent: &OperationalIntent) -> Result<(), StoreError> {
        self.set_intent(intent.id, Some(intent.clone()));
        Ok(())
    }

    pub(super) fn delete_intent(&mut self, id: EntityId) -> Result<(), StoreError> {
        self.set_intent(id, None);
        Ok(())
    }

    pub(super) fn constraint(&mut self, id: EntityId) -> Result<Option<Constraint>, StoreError> {
        Ok(self.state.constraints.rows.get(&id).cloned())
    }

    pub(super) fn constraints_in(&mut self, area: &AreaQuery<'_>) -> Result<Vec<Constraint>, StoreError> {
        Ok(self.state.constraints.candidates(area.bbox()))
    }

    pub(super) fn put_constraint(&mut self, constraint: &Constraint) -> Result<(), StoreError> {
        self.set_constraint(constraint.id, Some(constraint.clone()));
        Ok(())
    }

    pub(super) fn delete_constraint(&mut self, id: EntityId) -> Result<(), StoreError> {
        self.set_constraint(id, None);
        Ok(())
    }

    pub(super) fn subscription(&mut self, id: SubscriptionId) -> Result<Option<Subscription>, StoreError> {
        Ok(self.state.subscriptions.rows.get(&id).cloned())
    }

    pub(super) fn subscriptions_in(&mut self, area: &AreaQuery<'_>) -> Result<Vec<Subscription>, StoreError> {
        Ok(self.state.subscriptions.candidates(area.bbox()))
    }

    pub(super) fn put_subscription(&mut self, subscription: &Subscription) -> Result<(), StoreError> {
        self.set_subscription(subscription.id, Some(subscription.clone()));
        Ok(())
    }

    pub(super) fn delete_subscription(&mut self, id: SubscriptionId) -> Result<(), StoreError> {
        self.set_subscription(id, None);
        Ok(())
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
