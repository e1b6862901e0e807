//! What an operator's dashboard shows of the coordination features now: lines
//! by state, and the acknowledgements still owed and overdue.

use super::model::{Delivery, Line, LineState};
use super::{Coord, MAX_LIST, decode, kind};
use crate::engine::EngineError;
use crate::records::RecordKey;

/// The hotline's state, for gauges.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HotlineGauges {
    /// Lines in service.
    pub lines_active: u64,
    /// Lines a party suspended.
    pub lines_suspended: u64,
    /// Lines whose last communication check failed.
    pub lines_dead: u64,
    /// Deliveries awaiting an acknowledgement that has a deadline (counted up to 10,000).
    pub awaiting_ack: u64,
    /// Of those, the ones whose deadline has passed.
    pub overdue_ack: u64,
}

impl Coord<'_> {
    /// The hotline's state at `now`, read in one transaction.
    ///
    /// # Errors
    /// `Store`.
    pub fn gauges(&self, now: geom::Time) -> Result<HotlineGauges, EngineError> {
        self.engine.read_tx(|tx| {
            let mut g = HotlineGauges::default();
            for r in tx.records_by(kind::LINE, RecordKey::All, MAX_LIST)? {
                match decode::<Line>(&r)?.state {
                    LineState::Active => g.lines_active += 1,
                    LineState::Suspended { .. } => g.lines_suspended += 1,
                    LineState::Dead { .. } => g.lines_dead += 1,
                }
            }
            // A delivery is due (at its deadline) exactly while it awaits an acknowledgement.
            for r in tx.records_due(kind::DELIVERY, geom::Time::from_micros(i64::MAX), MAX_LIST)? {
                let d: Delivery = decode(&r)?;
                g.awaiting_ack += 1;
                if d.overdue || d.ack_deadline.is_some_and(|t| t <= now) {
                    g.overdue_ack += 1;
                }
            }
            Ok(g)
        })
    }
}
