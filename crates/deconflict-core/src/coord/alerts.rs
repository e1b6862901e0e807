//! Tactical alerts in the audit log: a new loss of separation between two
//! parties' tracks is an [`EventKind::AlertRaised`] event both parties may
//! see, written in the same transaction as the thread it opens on the line
//! between them.

use geom::Time;

use super::events::{AlertRaised, AlertTrack};
use super::{ConflictThread, Coord, conflict_thread_tx, emit};
use crate::engine::{Deadline, EngineError};
use crate::events::EventKind;
use crate::ids::PartyName;

/// A new loss-of-separation alert between two parties' tracks, as recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct RaisedAlert {
    /// The alert's id (as the live service numbers it).
    pub alert_id: String,
    /// Both tracks: `(owner, owner's name for it)`; the owners differ.
    pub tracks: [(PartyName, String); 2],
    /// Seconds from the prediction until both minima are infringed (0: already).
    pub time_to_los_s: f64,
    /// Horizontal distance at the closest point of approach, metres, when finite.
    pub d_cpa_m: Option<f64>,
    /// `predicted`, `imminent` or `lost` (the live service's names).
    pub severity: &'static str,
    /// The thread to open or append to on the line between the two owners.
    pub thread: Option<ConflictThread>,
}

impl Coord<'_> {
    /// Records a new cross-party alert (an `alert.raised` event for both
    /// owners) and posts its thread, in one transaction. Returns whether a
    /// message was posted (no line between them, a suspended line or a post
    /// in the last minute on the same topic: none).
    ///
    /// # Errors
    /// The store's error; nothing is written then.
    pub fn alert_raised(&self, now: Time, alert: &RaisedAlert) -> Result<bool, EngineError> {
        let payload = AlertRaised {
            alert_id: &alert.alert_id,
            tracks: alert.tracks.each_ref().map(|(party, id)| AlertTrack { party, id }),
            time_to_los_s: alert.time_to_los_s,
            d_cpa_m: alert.d_cpa_m,
            severity: alert.severity,
        };
        let parties = alert.tracks.iter().map(|(p, _)| p);
        self.engine.write_tx(&Deadline::NONE, |tx| {
            emit(
                tx,
                now,
                EventKind::AlertRaised,
                &PartyName::service(),
                &alert.alert_id,
                parties.clone(),
                &payload,
            )?;
            match &alert.thread {
                Some(t) => conflict_thread_tx(tx, now, t),
                None => Ok(false),
            }
        })
    }
}
