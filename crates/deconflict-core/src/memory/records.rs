//! Generic records in the memory store, kept in one map ordered by (kind, id).

use std::ops::Bound;

use geom::Time;

use super::*;
use crate::records::{Record, RecordKey};
use crate::store::StoreError;

impl MemoryTx<'_> {
    pub(super) fn record(&mut self, kind: &str, id: &str) -> Result<Option<Record>, StoreError> {
        Ok(self.state.records.get(&(kind.to_owned(), id.to_owned())).cloned())
    }

    pub(super) fn put_record(&mut self, record: &Record) -> Result<(), StoreError> {
        let key = (record.kind.clone(), record.id.clone());
        let old = self.state.records.insert(key.clone(), record.clone());
        self.undo.push(Undo::Record(key, old));
        Ok(())
    }

    pub(super) fn delete_record(&mut self, kind: &str, id: &str) -> Result<(), StoreError> {
        let key = (kind.to_owned(), id.to_owned());
        let old = self.state.records.remove(&key);
        self.undo.push(Undo::Record(key, old));
        Ok(())
    }

    pub(super) fn records_by(
        &mut self,
        kind: &str,
        key: RecordKey<'_>,
        n: usize,
    ) -> Result<Vec<Record>, StoreError> {
        Ok(self.state.records_below(kind, None).filter(|r| key.matches(r)).take(n).cloned().collect())
    }

    pub(super) fn records_by_rev(
        &mut self,
        kind: &str,
        key: RecordKey<'_>,
        before: Option<&str>,
        n: usize,
    ) -> Result<Vec<Record>, StoreError> {
        Ok(self.state.records_below(kind, before).rev().filter(|r| key.matches(r)).take(n).cloned().collect())
    }

    pub(super) fn records_due(
        &mut self,
        kind: &str,
        before: Time,
        n: usize,
    ) -> Result<Vec<Record>, StoreError> {
        let due = |r: &&Record| r.due.is_some_and(|d| d <= before);
        let mut due: Vec<Record> = self.state.records_below(kind, None).filter(due).cloned().collect();
        due.sort_by(|a, b| (a.due, &a.id).cmp(&(b.due, &b.id)));
        due.truncate(n);
        Ok(due)
    }

    pub(super) fn records_after(
        &mut self,
        kind: &str,
        after: &str,
        n: usize,
    ) -> Result<Vec<Record>, StoreError> {
        let from = Bound::Excluded((kind.to_owned(), after.to_owned()));
        let of_kind = self.state.records.range((from, Bound::Unbounded)).take_while(|((k, _), _)| k == kind);
        Ok(of_kind.take(n).map(|(_, r)| r.clone()).collect())
    }
}

impl State {
    /// The records of `kind` whose id is below `before` (all of them when
    /// `None`), by increasing id.
    fn records_below<'s>(
        &'s self,
        kind: &str,
        before: Option<&str>,
    ) -> impl DoubleEndedIterator<Item = &'s Record> + use<'s> {
        let lower = Bound::Included((kind.to_owned(), String::new()));
        // Every id of `kind` sorts before `(kind + NUL, "")`.
        let upper = match before {
            Some(b) => Bound::Excluded((kind.to_owned(), b.to_owned())),
            None => Bound::Excluded((format!("{kind}\0"), String::new())),
        };
        self.records.range((lower, upper)).map(|(_, r)| r)
    }
}
