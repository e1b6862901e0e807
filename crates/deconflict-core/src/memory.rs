//! The in-memory store: for benchmarks, tests and `--store memory`. Nothing
//! survives a restart. Each kind of entity lives in a hash map plus an R-tree of
//! boxes; a transaction holds the one lock and keeps an undo log, so dropping it
//! uncommitted restores what it changed.

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;
use std::sync::{Mutex, MutexGuard};

use geom::{Box4, Index, Time};

use crate::events::{NewEvent, PendingEvent};
use crate::ids::{EntityId, PartyName, SubscriptionId};
use crate::model::{AvailabilityRecord, Constraint, EntityCounts, OperationalIntent, Subscription};
use crate::records::{Record, RecordKey};
use crate::store::{AreaQuery, EntityKind, Store, StoreError, Tx, TxMode, Usage};

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
}

#[derive(Debug)]
struct State {
    intents: Table<EntityId, OperationalIntent>,
    constraints: Table<EntityId, Constraint>,
    subscriptions: Table<SubscriptionId, Subscription>,
    availability: HashMap<PartyName, AvailabilityRecord>,
    pending: BTreeMap<i64, NewEvent>,
    next_event_id: i64,
    sealed: BTreeMap<u64, audit::Entry>,
    checkpoints: BTreeMap<u64, audit::Checkpoint>,
    leases: HashMap<String, (String, Time)>,
    records: BTreeMap<(String, String), Record>,
}

/// One change, recorded so that an uncommitted transaction can be undone.
enum Undo {
    Intent(EntityId, Option<OperationalIntent>),
    Constraint(EntityId, Option<Constraint>),
    Subscription(SubscriptionId, Option<Subscription>),
    Availability(PartyName, Option<AvailabilityRecord>),
    Appended(i64),
    Sealed(i64, NewEvent, u64),
    /// A sealed entry as it was before its body was forgotten.
    Entry(audit::Entry),
    Checkpoint(u64, Option<audit::Checkpoint>),
    Lease(String, Option<(String, Time)>),
    Record((String, String), Option<Record>),
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
                pending: BTreeMap::new(),
                next_event_id: 1,
                sealed: BTreeMap::new(),
                checkpoints: BTreeMap::new(),
                leases: HashMap::new(),
                records: BTreeMap::new(),
            }),
        }
    }
}

impl Store for MemoryStore {
    fn begin(&self, _mode: TxMode) -> Result<Box<dyn Tx + '_>, StoreError> {
        let guard = self.state.lock().map_err(|_| StoreError::backend("memory store lock poisoned"))?;
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
                Undo::Appended(id) => {
                    self.state.pending.remove(&id);
                }
                Undo::Entry(e) => {
                    self.state.sealed.insert(e.seq, e);
                }
                Undo::Sealed(id, event, seq) => {
                    self.state.sealed.remove(&seq);
                    self.state.pending.insert(id, event);
                }
                Undo::Checkpoint(seq, old) => match old {
                    Some(c) => {
                        self.state.checkpoints.insert(seq, c);
                    }
                    None => {
                        self.state.checkpoints.remove(&seq);
                    }
                },
                Undo::Lease(name, old) => match old {
                    Some(l) => {
                        self.state.leases.insert(name, l);
                    }
                    None => {
                        self.state.leases.remove(&name);
                    }
                },
                Undo::Record(key, old) => match old {
                    Some(r) => {
                        self.state.records.insert(key, r);
                    }
                    None => {
                        self.state.records.remove(&key);
                    }
                },
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

    fn availability(&mut self, uss: &PartyName) -> Result<Option<AvailabilityRecord>, StoreError> {
        Ok(self.state.availability.get(uss).cloned())
    }

    fn put_availability(&mut self, record: &AvailabilityRecord) -> Result<(), StoreError> {
        let old = self.state.availability.insert(record.uss.clone(), record.clone());
        self.undo.push(Undo::Availability(record.uss.clone(), old));
        Ok(())
    }

    fn ended_by(&mut self, kind: EntityKind, now: Time, limit: usize) -> Result<Vec<uuid::Uuid>, StoreError> {
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

    fn counts(&mut self) -> Result<EntityCounts, StoreError> {
        Ok(EntityCounts {
            intents: self.state.intents.rows.len() as u64,
            constraints: self.state.constraints.rows.len() as u64,
            subscriptions: self.state.subscriptions.rows.len() as u64,
        })
    }

    fn usage(&mut self, party: &PartyName, now: Time) -> Result<Usage, StoreError> {
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

    fn append_event(&mut self, event: &NewEvent) -> Result<(), StoreError> {
        let id = self.state.next_event_id;
        self.state.next_event_id += 1;
        self.state.pending.insert(id, event.clone());
        self.undo.push(Undo::Appended(id));
        Ok(())
    }

    fn unsealed_events(&mut self, limit: usize) -> Result<Vec<PendingEvent>, StoreError> {
        Ok(self
            .state
            .pending
            .iter()
            .take(limit)
            .map(|(id, event)| PendingEvent { id: *id, event: event.clone() })
            .collect())
    }

    fn seal_event(&mut self, id: i64, entry: &audit::Entry) -> Result<(), StoreError> {
        let event = self.state.pending.remove(&id).ok_or_else(|| StoreError::EventNotPending { id })?;
        if self.state.sealed.contains_key(&entry.seq) {
            self.state.pending.insert(id, event);
            return Err(StoreError::Retry);
        }
        self.state.sealed.insert(entry.seq, entry.clone());
        self.undo.push(Undo::Sealed(id, event, entry.seq));
        Ok(())
    }

    fn last_sealed(&mut self) -> Result<Option<audit::Entry>, StoreError> {
        Ok(self.state.sealed.values().next_back().cloned())
    }

    fn sealed_after(&mut self, seq: u64, limit: usize) -> Result<Vec<audit::Entry>, StoreError> {
        Ok(self.state.sealed.range(seq.saturating_add(1)..).take(limit).map(|(_, e)| e.clone()).collect())
    }

    fn forget_sealed(&mut self, after: u64, through: u64) -> Result<u64, StoreError> {
        let mut n = 0;
        for seq in after.saturating_add(1)..=through {
            let Some(e) = self.state.sealed.get_mut(&seq) else { break };
            let old = e.clone();
            e.actor.clear();
            e.kind.clear();
            e.subject = None;
            e.parties.clear();
            e.payload.clear();
            self.undo.push(Undo::Entry(old));
            n += 1;
        }
        Ok(n)
    }

    fn put_checkpoint(&mut self, checkpoint: &audit::Checkpoint) -> Result<(), StoreError> {
        let old = self.state.checkpoints.insert(checkpoint.seq, *checkpoint);
        self.undo.push(Undo::Checkpoint(checkpoint.seq, old));
        Ok(())
    }

    fn checkpoints_after(&mut self, seq: u64) -> Result<Vec<audit::Checkpoint>, StoreError> {
        Ok(self.state.checkpoints.range(seq.saturating_add(1)..).map(|(_, c)| *c).collect())
    }

    fn acquire_lease(
        &mut self,
        name: &str,
        holder: &str,
        now: Time,
        ttl_us: i64,
    ) -> Result<bool, StoreError> {
        let current = self.state.leases.get(name).cloned();
        let free = match &current {
            None => true,
            Some((h, until)) => h == holder || *until <= now,
        };
        if free {
            self.state.leases.insert(name.to_owned(), (holder.to_owned(), now.saturating_add_micros(ttl_us)));
            self.undo.push(Undo::Lease(name.to_owned(), current));
        }
        Ok(free)
    }

    fn record(&mut self, kind: &str, id: &str) -> Result<Option<Record>, StoreError> {
        Ok(self.state.records.get(&(kind.to_owned(), id.to_owned())).cloned())
    }

    fn put_record(&mut self, record: &Record) -> Result<(), StoreError> {
        let key = (record.kind.clone(), record.id.clone());
        let old = self.state.records.insert(key.clone(), record.clone());
        self.undo.push(Undo::Record(key, old));
        Ok(())
    }

    fn delete_record(&mut self, kind: &str, id: &str) -> Result<(), StoreError> {
        let key = (kind.to_owned(), id.to_owned());
        let old = self.state.records.remove(&key);
        self.undo.push(Undo::Record(key, old));
        Ok(())
    }

    fn records_by(
        &mut self,
        kind: &str,
        key: RecordKey<'_>,
        limit: usize,
    ) -> Result<Vec<Record>, StoreError> {
        Ok(self
            .state
            .records
            .range((kind.to_owned(), String::new())..)
            .take_while(|((k, _), _)| k == kind)
            .map(|(_, r)| r)
            .filter(|r| key.matches(r))
            .take(limit)
            .cloned()
            .collect())
    }

    fn records_by_rev(
        &mut self,
        kind: &str,
        key: RecordKey<'_>,
        before: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Record>, StoreError> {
        use std::ops::Bound;
        let lower = Bound::Included((kind.to_owned(), String::new()));
        // Every id of `kind` sorts before `(kind + NUL, "")`.
        let upper = match before {
            Some(b) => Bound::Excluded((kind.to_owned(), b.to_owned())),
            None => Bound::Excluded((format!("{kind}\0"), String::new())),
        };
        Ok(self
            .state
            .records
            .range((lower, upper))
            .rev()
            .map(|(_, r)| r)
            .filter(|r| key.matches(r))
            .take(limit)
            .cloned()
            .collect())
    }

    fn records_due(&mut self, kind: &str, before: Time, limit: usize) -> Result<Vec<Record>, StoreError> {
        let mut due: Vec<Record> = self
            .state
            .records
            .range((kind.to_owned(), String::new())..)
            .take_while(|((k, _), _)| k == kind)
            .map(|(_, r)| r)
            .filter(|r| r.due.is_some_and(|d| d <= before))
            .cloned()
            .collect();
        due.sort_by(|a, b| (a.due, &a.id).cmp(&(b.due, &b.id)));
        due.truncate(limit);
        Ok(due)
    }

    fn records_after(&mut self, kind: &str, after: &str, limit: usize) -> Result<Vec<Record>, StoreError> {
        use std::ops::Bound;
        let from = Bound::Excluded((kind.to_owned(), after.to_owned()));
        Ok(self
            .state
            .records
            .range((from, Bound::Unbounded))
            .take_while(|((k, _), _)| k == kind)
            .take(limit)
            .map(|(_, r)| r.clone())
            .collect())
    }

    fn commit(mut self: Box<Self>) -> Result<(), StoreError> {
        self.committed = true;
        Ok(())
    }
}
