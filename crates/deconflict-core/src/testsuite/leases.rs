//! Leases: one holder at a time until expiry.

use geom::Time;

use super::*;
use crate::store::{Store, TxMode};

/// A lease belongs to one holder until it expires.
pub fn leases_are_exclusive_until_they_expire(store: &dyn Store) {
    let t = |s: i64| Time::from_micros(T0 + s * 1_000_000);
    let mut tx = store.begin(TxMode::Write).expect("begin");
    assert!(tx.acquire_lease(crate::ledger::SEALER_LEASE, "a", t(0), 10_000_000).expect("lease"));
    assert!(!tx.acquire_lease(crate::ledger::SEALER_LEASE, "b", t(5), 10_000_000).expect("lease"));
    assert!(tx.acquire_lease("other", "b", t(5), 10_000_000).expect("lease"));
    assert!(tx.acquire_lease(crate::ledger::SEALER_LEASE, "a", t(8), 10_000_000).expect("renew"));
    tx.commit().expect("commit");
    let mut tx = store.begin(TxMode::Write).expect("begin");
    assert!(!tx.acquire_lease(crate::ledger::SEALER_LEASE, "b", t(17), 10_000_000).expect("lease"));
    assert!(
        tx.acquire_lease(crate::ledger::SEALER_LEASE, "b", t(18), 10_000_000)
            .expect("expired lease is taken")
    );
    tx.commit().expect("commit");
    let key = audit::ServiceKey::generate().expect("key");
    let r = crate::ledger::seal_once(store, &key, "a", t(19), 10).expect("seal");
    assert!(!r.leader, "a may not seal while b holds the lease");
}
