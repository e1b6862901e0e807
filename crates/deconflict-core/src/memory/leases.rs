//! Leases in the memory store.

use super::*;
use crate::store::{LeaseClaim, StoreError};

impl MemoryTx<'_> {
    pub(super) fn acquire_lease(&mut self, claim: &LeaseClaim<'_>) -> Result<bool, StoreError> {
        let current = self.state.leases.get(claim.name).cloned();
        let free = match &current {
            None => true,
            Some((h, until)) => h == claim.holder || *until <= claim.now,
        };
        if free {
            self.state.leases.insert(claim.name.to_owned(), (claim.holder.to_owned(), claim.until));
            self.undo.push(Undo::Lease(claim.name.to_owned(), current));
        }
        Ok(free)
    }
}
