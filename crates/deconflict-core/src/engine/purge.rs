//! The purge rule, decided here once for every backend: an intent,
//! constraint or subscription whose every volume has ended is deleted; an
//! implicit subscription goes with the last intent that depended on it (the
//! same rule as an intent's delete). Stores only list what ended
//! ([`Tx::ended_by`]). Each batch is one write transaction.

use geom::Time;

use super::intents::drop_implicit_if_unused;
use super::{Engine, EngineError};
use crate::ids::{EntityId, SubscriptionId};
use crate::model::PurgeCounts;
use crate::store::{EntityKind, Tx};

/// Entities deleted per transaction.
const BATCH: usize = 500;

impl Engine {
    /// Removes everything that has ended by `now` (see the module docs).
    ///
    /// # Errors
    /// [`EngineError::Store`] when the store fails (batches already
    /// committed stay purged).
    pub fn purge_expired(&self, now: Time) -> Result<PurgeCounts, EngineError> {
        let mut total = PurgeCounts::default();
        loop {
            let batch = self.runner.write(&crate::txn::Deadline::NONE, |tx| purge_batch(tx, now))?;
            total.intents += batch.intents;
            total.constraints += batch.constraints;
            total.subscriptions += batch.subscriptions;
            if batch.intents + batch.constraints + batch.subscriptions < BATCH as u64 {
                return Ok(total);
            }
        }
    }
}

fn purge_batch(tx: &mut dyn Tx, now: Time) -> Result<PurgeCounts, EngineError> {
    let mut counts = PurgeCounts::default();
    for id in tx.ended_by(EntityKind::Intent, now, BATCH)? {
        let id = EntityId::from_uuid(id);
        let Some(oi) = tx.intent(id)? else { continue };
        tx.delete_intent(id)?;
        counts.intents += 1;
        if let Some(sid) = oi.subscription_id
            && drop_implicit_if_unused(tx, sid)?
        {
            counts.subscriptions += 1;
        }
    }
    for id in tx.ended_by(EntityKind::Constraint, now, BATCH)? {
        tx.delete_constraint(EntityId::from_uuid(id))?;
        counts.constraints += 1;
    }
    for id in tx.ended_by(EntityKind::Subscription, now, BATCH)? {
        tx.delete_subscription(SubscriptionId::from_uuid(id))?;
        counts.subscriptions += 1;
    }
    Ok(counts)
}
