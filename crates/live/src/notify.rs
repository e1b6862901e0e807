//! What a new cross-party loss of separation does beyond the alert: an
//! `alert.raised` event in the audit log for both parties, and an urgent
//! message on the line between them (one thread per pair of tracks, at most
//! one post a minute), written together by `deconflict_core::coord`.
//!
//! With several replicas every replica raises the alert; only the one that
//! received the pair's first track (by owner, then name) records it, so the
//! log holds it once.

use deconflict_core::coord::{ConflictThread, RaisedAlert, Refs};
use deconflict_core::ids::PartyName;
use geom::Time;

use crate::LiveService;
use crate::alert::{Alert, severity_name};

/// A new alert to record and post about.
#[derive(Debug)]
pub(crate) struct Notice {
    pub(crate) alert: RaisedAlert,
    /// A resumed encounter: the thread only (it was recorded when first raised).
    pub(crate) resumed: bool,
}

/// The notice of a new cross-party loss of separation, if `a` is one.
pub(crate) fn notice(a: &Alert) -> Option<Notice> {
    let los = a.los()?;
    let [x, y] = a.tracks.as_slice() else { return None };
    if a.same_party || x.party == y.party {
        return None;
    }
    let t_in = if los.t_in_s.is_finite() { format!("in {:.0} s", los.t_in_s) } else { "now".to_owned() };
    let cpa = if los.d_cpa_m.is_finite() {
        format!(", closest approach {:.0} m", los.d_cpa_m)
    } else {
        String::new()
    };
    let (Ok(px), Ok(py)) = (PartyName::new(&x.party), PartyName::new(&y.party)) else { return None };
    let id = a.id.to_string();
    let thread = ConflictThread {
        a: x.party.clone(),
        b: y.party.clone(),
        topic: format!("tracks:{}/{}:{}/{}", x.party, x.id, y.party, y.id),
        text: format!(
            "LOSS OF SEPARATION predicted {t_in} between {}'s track {} and {}'s track {}{cpa} (alert {id}). Coordinate on this thread.",
            x.party, x.id, y.party, y.id
        ),
        refs: Refs { alert_id: Some(id.clone()), ..Refs::default() },
    };
    Some(Notice {
        alert: RaisedAlert {
            alert_id: id,
            tracks: [(px, x.id.clone()), (py, y.id.clone())],
            time_to_los_s: los.time_to_los_s,
            d_cpa_m: los.d_cpa_m.is_finite().then_some(los.d_cpa_m),
            severity: severity_name(los.severity),
            thread: Some(thread),
        },
        resumed: los.resumed,
    })
}

/// Records the notices and posts their threads; best effort (the alerts
/// stand whatever happens), on a blocking thread.
pub(crate) async fn post(live: &LiveService, now: Time, notices: Vec<Notice>) {
    if notices.is_empty() {
        return;
    }
    let engine = live.engine().clone();
    let posted = tokio::task::spawn_blocking(move || {
        notices
            .iter()
            .map(|n| match (&n.alert.thread, n.resumed) {
                (Some(t), true) => engine.coord().conflict_thread(now, t),
                _ => engine.coord().alert_raised(now, &n.alert),
            })
            .collect::<Vec<_>>()
    })
    .await;
    match posted {
        Ok(results) => {
            for r in results {
                if let Err(e) = r {
                    tracing::warn!(error = %e, "recording an alert or opening its thread failed");
                }
            }
        }
        Err(e) => tracing::error!(error = %e, "alert notice task failed"),
    }
}
