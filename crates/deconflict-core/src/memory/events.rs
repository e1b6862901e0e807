//! The event log and the audit chain in the memory store.

use super::*;
use crate::events::{NewEvent, PendingEvent};
use crate::store::StoreError;

impl MemoryTx<'_> {
    pub(super) fn append_event(&mut self, event: &NewEvent) -> Result<(), StoreError> {
        let id = self.state.next_event_id;
        self.state.next_event_id += 1;
        self.state.pending.insert(id, event.clone());
        self.undo.push(Undo::Appended(id));
        Ok(())
    }

    pub(super) fn unsealed_events(&mut self, limit: usize) -> Result<Vec<PendingEvent>, StoreError> {
        Ok(self
            .state
            .pending
            .iter()
            .take(limit)
            .map(|(id, event)| PendingEvent { id: *id, event: event.clone() })
            .collect())
    }

    pub(super) fn seal_event(&mut self, id: i64, entry: &audit::Entry) -> Result<(), StoreError> {
        let event = self.state.pending.remove(&id).ok_or_else(|| StoreError::EventNotPending { id })?;
        if self.state.sealed.contains_key(&entry.seq) {
            self.state.pending.insert(id, event);
            return Err(StoreError::Retry);
        }
        self.state.sealed.insert(entry.seq, entry.clone());
        self.undo.push(Undo::Sealed(id, event, entry.seq));
        Ok(())
    }

    pub(super) fn last_sealed(&mut self) -> Result<Option<audit::Entry>, StoreError> {
        Ok(self.state.sealed.values().next_back().cloned())
    }

    pub(super) fn sealed_after(&mut self, seq: u64, limit: usize) -> Result<Vec<audit::Entry>, StoreError> {
        Ok(self.state.sealed.range(seq.saturating_add(1)..).take(limit).map(|(_, e)| e.clone()).collect())
    }

    pub(super) fn forget_sealed(&mut self, after: u64, through: u64) -> Result<u64, StoreError> {
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

    pub(super) fn put_checkpoint(&mut self, checkpoint: &audit::Checkpoint) -> Result<(), StoreError> {
        let old = self.state.checkpoints.insert(checkpoint.seq, *checkpoint);
        self.undo.push(Undo::Checkpoint(checkpoint.seq, old));
        Ok(())
    }

    pub(super) fn checkpoints_after(&mut self, seq: u64) -> Result<Vec<audit::Checkpoint>, StoreError> {
        Ok(self.state.checkpoints.range(seq.saturating_add(1)..).map(|(_, c)| *c).collect())
    }
}
