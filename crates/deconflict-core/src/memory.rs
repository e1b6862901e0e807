//! The in-memory store: for benchmarks, tests and `--store memory`. Nothing
//! survives a restart. Each kind of entity lives in a hash map plus an R-tree of
//! boxes; a transaction holds the one lock and keeps an undo log, so dropping it
//! uncommitted restores what it changed.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, MutexGuard};

use geom::{Box4, Index, Time};

use crate::ids::{EntityId, Manager, SubscriptionId};
use crate::model::{
    AvailabilityRecord, Constraint, EntityCounts, OperationalIntent, PurgeCounts, Subscription,
};
use crate::store::{AreaQuery, Store, StoreError, Tx, TxMode};

/// An entity kept in a [`Table`].
trait Boxed: Clone {
    fn bbox(&self) -> Box4;
}

impl Boxed for OperationalIntent {
    fn bbox(&self) -> Box4 {
        OperationalIntent::bbox(self)
    }
}

impl Boxed for Constraint {
    fn bbox(&self) -> Box4 {
        Constraint::bbox(self)
    }
}

impl Boxed for Subscription {
    fn bbox(&self) -> Box4 {
        Subscription::bbox(self)
    }
}

/// Rows by id plus an R-tree of their boxes.
#[derive(Debug)]
struct Table<K, V> {
    rows: HashMap<K, V>,
    index: Index<K>,
}

impl<K: Copy + Eq + Hash, V: Boxed> Table<K, V> {
    fn new() -> Self {
        Self { rows: HashMap::new(), index: Index::new() }
    }

    /// Sets or clears the row for `key`, keeping the index in step; returns the old row.
    fn set(&mut self, key: K, value: Option<V>) -> Option<V> {
        let old = match value {
            Some(v) => {
                self.index.insert(key, v.bbox());
                self.rows.insert(key, v)
            }
            None => self.rows.remove(&key),
        };
        if let Some(o) = &old {
            self.index.remove(&key, &o.bbox());
        }
        old
    }

    fn candidates(&self, area: &Box4) -> Vec<V> {
        self.index.query(area).filter_map(|k| self.rows.get(k)).cloned().collect()
    }

    fn expired(&self, ended: impl Fn(&V) -> bool) -> Vec<K> {
        self.rows.iter().filter(|(_, v)| ended(v)).map(|(k, _)| *k).collect()
    }
}

#[derive(Debug)]
struct State {
    intents: Table<EntityId, OperationalIntent>,
    constraints: Table<EntityId, Constraint>,
    subscriptions: Table<SubscriptionId, Subscription>,
    availability: HashMap<Manager, AvailabilityRecord>,
}

/// One change, recorded so that an uncommitted transaction can be undone.
enum Undo {
    Intent(EntityId, Option<OperationalIntent>),
    Constraint(EntityId, Option<Constraint>),
    Subscription(SubscriptionId, Option<Subscription>),
    Availability(Manager, Option<AvailabilityRecord>),
}

/// A store that lives in this process's memory.
#[derive(Debug)]
pub struct MemoryStore {
    state: Mutex<State>,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self {
            state: Mutex::new(State {
                intents: Table::new(),
                constraints: Table::new(),
                subscriptions: Table::new(),
                availability: HashMap::new(),
            }),
        }
    }
}

impl Store for MemoryStore {
    fn begin(&self, _mode: TxMode) -> Result<Box<dyn Tx + '_>, StoreError> {
        let guard =
            self.state.lock().map_err(|_| StoreError::Backend("memory store lock poisoned".into()))?;
        Ok(Box::new(MemoryTx { state: guard, undo: Vec::new(), committed: false }))
    }

    fn kind(&self) -> &'static str {
        "memory"
    }
}

struct MemoryTx<'a> {
    state: MutexGuard<'a, State>,
    undo: Vec<Undo>,
    committed: bool,
}

impl MemoryTx<'_> {
    fn set_intent(&mut self, id: EntityId, v: Option<OperationalIntent>) {
        let old = self.state.intents.set(id, v);
        self.undo.push(Undo::Intent(id, old));
    }

    fn set_constraint(&mut self, id: EntityId, v: Option<Constraint>) {
        let old = self.state.constraints.set(id, v);
        self.undo.push(Undo::Constraint(id, old));
    }

    fn set_subscription(&mut self, id: SubscriptionId, v: Option<Subscription>) {
        let old = self.state.subscriptions.set(id, v);
        self.undo.push(Undo::Subscription(id, old));
    }
}

impl Drop for MemoryTx<'_> {
    fn drop(&mut self) {
        if self.committed {
            return;
        }
        while let Some(u) = self.undo.pop() {
            match u {
                Undo::Intent(id, v) => {
                    self.state.intents.set(id, v);
                }
                Undo::Constraint(id, v) => {
                    self.state.constraints.set(id, v);
                }
                Undo::Subscription(id, v) => {
                    self.state.subscriptions.set(id, v);
                }
                Undo::Availability(uss, v) => match v {
                    Some(r) => {
                        self.state.availability.insert(uss, r);
                    }
                    None => {
                        self.state.availability.remove(&uss);
                    }
                },
            }
        }
    }
}

fn ended_by(now: Time) -> impl Fn(Time) -> bool {
    move |end| end <= now
}

impl Tx for MemoryTx<'_> {
    fn intent(&mut self, id: EntityId) -> Result<Option<OperationalIntent>, StoreError> {
        Ok(self.state.intents.rows.get(&id).cloned())
    }

    fn intents_in(&mut self, area: &AreaQuery<'_>) -> Result<Vec<OperationalIntent>, StoreError> {
        Ok(self.state.intents.candidates(area.bbox()))
    }

    fn intents_of_subscription(&mut self, id: SubscriptionId) -> Result<Vec<EntityId>, StoreError> {
        Ok(self
            .state
            .intents
            .rows
            .values()
            .filter(|oi| oi.subscription_id == Some(id))
            .map(|oi| oi.id)
            .collect())
    }

    fn put_intent(&mut self, intent: &OperationalIntent) -> Result<(), StoreError> {
        self.set_intent(intent.id, Some(intent.clone()));
        Ok(())
    }

    fn delete_intent(&mut self, id: EntityId) -> Result<(), StoreError> {
        self.set_intent(id, None);
        Ok(())
    }

    fn constraint(&mut self, id: EntityId) -> Result<Option<Constraint>, StoreError> {
        Ok(self.state.constraints.rows.get(&id).cloned())
    }

    fn constraints_in(&mut self, area: &AreaQuery<'_>) -> Result<Vec<Constraint>, StoreError> {
        Ok(self.state.constraints.candidates(area.bbox()))
    }

    fn put_constraint(&mut self, constraint: &Constraint) -> Result<(), StoreError> {
        self.set_constraint(constraint.id, Some(constraint.clone()));
        Ok(())
    }

    fn delete_constraint(&mut self, id: EntityId) -> Result<(), StoreError> {
        self.set_constraint(id, None);
        Ok(())
    }

    fn subscription(&mut self, id: SubscriptionId) -> Result<Option<Subscription>, StoreError> {
        Ok(self.state.subscriptions.rows.get(&id).cloned())
    }

    fn subscriptions_in(&mut self, area: &AreaQuery<'_>) -> Result<Vec<Subscription>, StoreError> {
        Ok(self.state.subscriptions.candidates(area.bbox()))
    }

    fn put_subscription(&mut self, subscription: &Subscription) -> Result<(), StoreError> {
        self.set_subscription(subscription.id, Some(subscription.clone()));
        Ok(())
    }

    fn delete_subscription(&mut self, id: SubscriptionId) -> Result<(), StoreError> {
        self.set_subscription(id, None);
        Ok(())
    }

    fn availability(&mut self, uss: &Manager) -> Result<Option<AvailabilityRecord>, StoreError> {
        Ok(self.state.availability.get(uss).cloned())
    }

    fn put_availability(&mut self, record: &AvailabilityRecord) -> Result<(), StoreError> {
        let old = self.state.availability.insert(record.uss.clone(), record.clone());
        self.undo.push(Undo::Availability(record.uss.clone(), old));
        Ok(())
    }

    fn purge_expired(&mut self, now: Time) -> Result<PurgeCounts, StoreError> {
        let ended = ended_by(now);
        let intents = self.state.intents.expired(|v| ended(v.time().end()));
        let constraints = self.state.constraints.expired(|v| ended(v.time().end()));
        for id in &intents {
            self.set_intent(*id, None);
        }
        for id in &constraints {
            self.set_constraint(*id, None);
        }
        let in_use: std::collections::HashSet<SubscriptionId> =
            self.state.intents.rows.values().filter_map(|oi| oi.subscription_id).collect();
        let subscriptions = self
            .state
            .subscriptions
            .expired(|s| ended(s.time().end()) || (s.implicit && !in_use.contains(&s.id)));
        for id in &subscriptions {
            self.set_subscription(*id, None);
        }
        Ok(PurgeCounts {
            intents: intents.len() as u64,
            constraints: constraints.len() as u64,
            subscriptions: subscriptions.len() as u64,
        })
    }

    fn counts(&mut self) -> Result<EntityCounts, StoreError> {
        Ok(EntityCounts {
            intents: self.state.intents.rows.len() as u64,
            constraints: self.state.constraints.rows.len() as u64,
            subscriptions: self.state.subscriptions.rows.len() as u64,
        })
    }

    fn commit(mut self: Box<Self>) -> Result<(), StoreError> {
        self.committed = true;
        Ok(())
    }
}
