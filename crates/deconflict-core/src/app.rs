//! The application layer: the one entry point the server (and the live
//! service, the CLI's bench) calls. It composes the strategic [`Engine`]
//! with coordination ([`Coord`]: lines, hotline, notices) over one shared
//! transaction [`Runner`], so neither knows of the other: the engine holds
//! the F3548 rules only, coordination the line rules only, and what one
//! request does to both is written here.
//!
//! - Filing an intent ([`App::put_intent`]) is one area write: the intent,
//!   its subscription, its change event and, for a new intent, the advance
//!   notices to the parties sharing a line with its owner.
//! - A refusal for missing keys (409) is answered only after its record is
//!   committed: the refusal event (what was disclosed, to whom) and a thread
//!   on each line between the caller and a party whose intent was shown, in
//!   one write transaction of its own (the refused write rolled back). When
//!   that record cannot be written, its error is returned instead of the 409.
//!
//! Everything else is a call on [`App::engine`] or [`App::coord`].

use std::sync::Arc;

use crate::coord::{self, Coord};
use crate::engine::{AirspaceConflict, ChangeIntent, Ctx, Engine, EngineError, Limits, PutIntent};
use crate::ids::{EntityId, Ovn};
use crate::store::Store;
use crate::txn::Runner;

/// The strategic engine and coordination over one store. Cheap to clone.
#[derive(Debug, Clone)]
pub struct App {
    engine: Engine,
}

impl App {
    /// The application over `store` with `limits`.
    pub fn new(store: Arc<dyn Store>, limits: Limits) -> Self {
        Self { engine: Engine::new(store, limits) }
    }

    /// The strategic service (F3548 intents, constraints, subscriptions,
    /// availability, reports, the DSS pool, purges and retention).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Lines, hotline, notices, liveness and webhook cursors.
    pub fn coord(&self) -> Coord<'_> {
        Coord::new(self.engine.runner(), self.engine.limits(), self.engine.rates())
    }

    /// The transaction runner every service here uses.
    pub fn runner(&self) -> &Runner {
        self.engine.runner()
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        self.engine.limits()
    }

    /// Creates (`ovn` = `None`) or updates (`ovn` = the current OVN) an
    /// intent, with the advance notices of a new one, in one transaction.
    ///
    /// # Errors
    /// 400-class [`EngineError::BadRequest`] for rule violations, `Forbidden` for
    /// another owner's intent or an off-nominal state without the conformance
    /// role, `Stale` for an old OVN, `AlreadyExists`, `MissingKeys` when the key
    /// lacks an intersecting entity's OVN (once its record is committed),
    /// `AreaTooLarge`, `QuotaExceeded`, `Timeout`, `Contention`, `Store`
    /// (also when a refusal's record cannot be written).
    pub fn put_intent(
        &self,
        ctx: &Ctx,
        id: EntityId,
        ovn: Option<&Ovn>,
        p: &PutIntent,
    ) -> Result<ChangeIntent, EngineError> {
        let engine = &self.engine;
        engine.validate_intent(ctx, ovn.is_none(), p)?;
        let filed = engine.runner().write_area(&ctx.deadline, |tx| {
            let (change, created) = engine.put_intent_tx(tx, ctx, id, ovn, p)?;
            if created {
                coord::on_intent_created(tx, ctx, &change.intent.intent)?;
            }
            Ok(change)
        });
        match filed {
            Err(EngineError::MissingKeys(conflict)) => {
                self.record_refusal(ctx, id, &conflict)?;
                Err(EngineError::MissingKeys(conflict))
            }
            other => other,
        }
    }

    /// Records, in a write transaction of its own, that `ctx.caller` was
    /// refused intent `id` and shown `conflict`, and opens a thread on the
    /// line between the caller and each party of a conflicting intent.
    fn record_refusal(
        &self,
        ctx: &Ctx,
        id: EntityId,
        conflict: &AirspaceConflict,
    ) -> Result<(), EngineError> {
        let event = crate::engine::intents::refusal_event(ctx, id, conflict)?;
        let requested = id.to_string();
        let threads: Vec<_> = conflict
            .missing_intents
            .iter()
            .map(|v| {
                let other = &v.intent;
                coord::refusal_thread(
                    ctx.caller.as_str(),
                    &requested,
                    other.party.as_str(),
                    &other.id.to_string(),
                )
            })
            .collect();
        self.runner().write(&ctx.deadline, |tx| {
            tx.append_event(&event)?;
            for thread in &threads {
                coord::conflict_thread_tx(tx, ctx.now, thread)?;
            }
            Ok(())
        })
    }
}

#[cfg(test)]
#[path = "app_tests.rs"]
mod tests;
