//! USS availability (F3548 `uss_availability`), set by an arbitrator.

use super::ovn::new_version;
use super::{Ctx, Engine, EngineError, events};
use crate::Role;
use crate::events::EventKind;
use crate::ids::PartyName;
use crate::model::{Availability, AvailabilityRecord};
use crate::store::Tx;

/// The declared availability of `uss`, Unknown when never set.
pub(super) fn availability_of(tx: &mut dyn Tx, uss: &PartyName) -> Result<Availability, EngineError> {
    Ok(tx.availability(uss)?.map_or(Availability::Unknown, |r| r.availability))
}

impl Engine {
    /// Sets the availability of `uss`; `old_version` must be the current version
    /// (empty for the first write). Only an arbitrator may: declaring a USS
    /// down changes what every other party sees of it.
    ///
    /// # Errors
    /// `Forbidden` without [`Role::Arbitrator`], `Stale` when `old_version` is
    /// not current, `Timeout`, `Store`.
    pub fn set_availability(
        &self,
        ctx: &Ctx,
        uss: &PartyName,
        old_version: &str,
        availability: Availability,
    ) -> Result<AvailabilityRecord, EngineError> {
        if !ctx.roles.has(Role::Arbitrator) {
            return Err(EngineError::Forbidden(format!(
                "{} is not an availability arbitrator; only the operator's arbitrators may set the availability of {uss}",
                ctx.caller
            )));
        }
        self.runner.write(&ctx.deadline, |tx| {
            let current = tx.availability(uss)?;
            let current_version = current.as_ref().map_or("", |r| r.version.as_str());
            if current_version != old_version {
                return Err(EngineError::Stale(format!(
                    "old_version `{old_version}` is not the current availability version of {uss}"
                )));
            }
            let record = AvailabilityRecord {
                uss: uss.clone(),
                availability,
                version: new_version(ctx.now, current.as_ref().map(|r| r.version.as_str())),
            };
            tx.put_availability(&record)?;
            let payload = events::AvailabilitySet { uss: uss.as_str(), availability: availability.as_str() };
            let others = [uss.to_string()];
            tx.append_event(&events::private(
                ctx,
                EventKind::AvailabilitySet,
                uss.to_string(),
                &others,
                &payload,
            )?)?;
            Ok(record)
        })
    }

    /// The availability of `uss` (Unknown with an empty version when never set).
    ///
    /// # Errors
    /// `Store`.
    pub fn availability(&self, uss: &PartyName) -> Result<AvailabilityRecord, EngineError> {
        self.runner.read(|tx| {
            Ok(tx.availability(uss)?.unwrap_or(AvailabilityRecord {
                uss: uss.clone(),
                availability: Availability::Unknown,
                version: String::new(),
            }))
        })
    }
}
