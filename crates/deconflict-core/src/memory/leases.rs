//! Leases in the memory store.

use geom::Time;

use super::*;
use crate::store::StoreError;

impl MemoryTx<'_> {
    pub(super) fn acquire_lease(
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
}
