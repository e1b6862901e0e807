//! The in-memory store: for benchmarks, tests and `--store memory`. Nothing
//! survives a restart. Each kind of entity lives in a hash map plus an R-tree of
//! boxes; a transaction holds the one lock and keeps an undo log, so dropping it
//! uncommitted restores what it changed.
//!
//! This module holds the tables, the transaction and its undo log; each
//! area's methods are in a module of their own (`strategic`, `events`,
//! `leases`, `records`, as in the SQL stores), bound to [`Tx`] by
//! [`crate::impl_tx!`]; `tests` runs the conformance suite on it.

mod events;
mod leases;
mod records;
mod strategic;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;
use std::sync::{Mutex, MutexGuard};

use geom::{Box4, Index, Time};

use crate::events::NewEvent;
use crate::ids::{EntityId, PartyName, SubscriptionId};
use crate::model::{AvailabilityRecord, Constraint, OperationalIntent, Subscription};
use crate::records::Record;
use crate::store::{Store, StoreError, Tx, TxMode};

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
    availability: BTreeMap<PartyName, AvailabilityRecord>,
    pending: BTreeMap<i64, NewEvent>,
    next_event_id: i64,
    sealed: BTreeMap<u64, audit::Entry>,
    checkpoints: BTreeMap<u64, audit::Checkpoint>,
    leases: BTreeMap<String, (String, Time)>,
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
                availability: BTreeMap::new(),
                pending: BTreeMap::new(),
                next_event_id: 1,
                sealed: BTreeMap::new(),
                checkpoints: BTreeMap::new(),
                leases: BTreeMap::new(),
                records: BTreeMap::new(),
            }),
        }
    }
}

impl Store for MemoryStore {
    fn begin(&self, _mode: TxMode) -> Result<Box<dyn Tx + '_>, StoreError> {
        let guard = self.state.lock().map_err(|_| StoreError::Poisoned)?;
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

/// Sets `key` in `map` back to what it was: `old`, or absent.
fn put_back<K: Ord, V>(map: &mut BTreeMap<K, V>, key: K, old: Option<V>) {
    match old {
        Some(v) => map.insert(key, v),
        None => map.remove(&key),
    };
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
                Undo::Checkpoint(seq, old) => put_back(&mut self.state.checkpoints, seq, old),
                Undo::Lease(name, old) => put_back(&mut self.state.leases, name, old),
                Undo::Record(key, old) => put_back(&mut self.state.records, key, old),
                Undo::Availability(uss, old) => put_back(&mut self.state.availability, uss, old),
            }
        }
    }
}

impl MemoryTx<'_> {
    // Boxed as `Tx::commit` takes it, which `impl_tx!` calls this from.
    #[allow(clippy::boxed_local)]
    fn commit(mut self: Box<Self>) -> Result<(), StoreError> {
        self.committed = true;
        Ok(())
    }
}

crate::impl_tx!(['a] MemoryTx<'a>;);
