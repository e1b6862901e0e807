//! Generic records in the memory store, kept in one map ordered by (kind, id).

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

    pub(super) fn records_by_rev(
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

    pub(super) fn records_due(
        &mut self,
        kind: &str,
        before: Time,
        limit: usize,
    ) -> Result<Vec<Record>, StoreError> {
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

    pub(super) fn records_after(
        &mut self,
        kind: &str,
        after: &str,
        limit: usize,
    ) -> Result<Vec<Record>, StoreError> {
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
}
