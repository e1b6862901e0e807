//! Leases (one holder at a time until expiry): the SQL and the method.

use deconflict_core::StoreError;
use deconflict_core::store::LeaseClaim;

use super::PgTx;

/// Takes the lease if it is free, expired (`until <= now`) or already ours, in
/// one statement; returns a row exactly when we hold it afterwards. A rival
/// transaction holding the row makes this wait for it, then fail with `40001`.
const LEASE_ACQUIRE: &str = "INSERT INTO leases AS l (name, holder, until) VALUES ($1, $2, $3) \
     ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, until = EXCLUDED.until \
     WHERE l.holder = EXCLUDED.holder OR l.until <= $4 \
     RETURNING holder";

impl PgTx<'_> {
    pub(super) fn acquire_lease(&mut self, c: &LeaseClaim<'_>) -> Result<bool, StoreError> {
        let (until, now) = (c.until.as_micros(), c.now.as_micros());
        let rows = self.query(LEASE_ACQUIRE, &[&c.name, &c.holder, &until, &now])?;
        Ok(!rows.is_empty())
    }
}
