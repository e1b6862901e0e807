//! Leases (one holder at a time until expiry): the SQL and the method.

use deconflict_core::StoreError;
use deconflict_core::store::LeaseClaim;
use rusqlite::{OptionalExtension, params};

use super::{Lease, SqliteTx};
use crate::error::SqlResultExt;

// Takes the lease if it is free, expired (`until <= now`) or already ours;
// returns a row exactly when we hold it afterwards.
const ACQUIRE_LEASE: &str = "INSERT INTO leases (name, holder, until) VALUES (?1, ?2, ?3) \
    ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until \
     WHERE leases.holder = excluded.holder OR leases.until <= ?4 \
    RETURNING holder";

impl<L: Lease> SqliteTx<L> {
    pub(super) fn acquire_lease(&mut self, c: &LeaseClaim<'_>) -> Result<bool, StoreError> {
        self.writable()?;
        let mut stmt = self.conn.prepare_cached(ACQUIRE_LEASE).store()?;
        let held = stmt
            .query_row(params![c.name, c.holder, c.until.as_micros(), c.now.as_micros()], |r| {
                r.get::<_, String>(0)
            })
            .optional()
            .store()?;
        Ok(held.is_some())
    }
}
