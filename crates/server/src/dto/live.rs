//! The wire form of live alerts (`GET /v1/alerts`, `GET /v1/alerts/stream`)
//! and of a party's own tracks (`GET /v1/tracks`). Built from the live
//! service's typed events; the names clients read come from
//! [`live::alert::names`].

use live::alert::names;
use live::{AlertEvent, AlertKind};
use serde::Serialize;
use tactical::{AltitudeRef, CpaPoint, TrackState};

/// One track named in an alert: its owner and the owner's name for it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TrackRef {
    /// The owner (token `sub`, or the party of a receiver feed).
    pub party: String,
    /// The owner's id for the track (for receiver feeds, the ICAO address in hex).
    pub id: String,
}

/// Where one aircraft is predicted at the closest point of approach.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CpaView {
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Altitude, feet (same reference as the track's reports).
    pub alt_ft: f64,
}

/// One alert as sent to a client. See [`crate::handlers::alerts`] for the field docs.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AlertView {
    /// `los-N` (loss of separation) or `nc-N` (non-conformance); stable for the alert's life.
    pub id: String,
    /// `loss_of_separation` or `nonconformance`.
    pub kind: &'static str,
    /// `new`, `ongoing` or (on the stream only) `ended`.
    pub state: &'static str,
    /// The two tracks of a pair (lower internal number first), or the one
    /// non-conforming track.
    pub tracks: Vec<TrackRef>,
    /// Seconds from `updated` until both minima are infringed (negative: already; null: for ever).
    pub t_in_s: Option<f64>,
    /// Seconds from `updated` until separation is regained (null: never).
    pub t_out_s: Option<f64>,
    /// Seconds from `updated` to the horizontal closest point of approach.
    pub t_cpa_s: Option<f64>,
    /// Horizontal distance at the closest point of approach, metres.
    pub d_cpa_m: Option<f64>,
    /// Loss of separation: seconds from `updated` until it is lost, 0 when already.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_to_los_s: Option<f64>,
    /// Loss of separation: `predicted`, `imminent` (within 2 minutes en route) or `lost`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<&'static str>,
    /// Loss of separation: both aircraft at the closest point of approach,
    /// in the order of `tracks` (an entry is null when it cannot be predicted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpa: Option<Vec<Option<CpaView>>>,
    /// Non-conformance: the operational intent the track claims to follow.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub intent_id: Option<String>,
    /// Non-conformance: `outside_volumes` or `unknown_intent`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    /// Ended alerts: `cleared`, `track_expired` or `conforming`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_reason: Option<&'static str>,
    /// When the alert was raised (RFC 3339, time of the scan).
    pub since: String,
    /// Time of the latest prediction (RFC 3339).
    pub updated: String,
}

fn cpa(p: &Option<CpaPoint>) -> Option<CpaView> {
    p.map(|c| CpaView { lat: c.position.lat_deg(), lon: c.position.lon_deg(), alt_ft: c.altitude.feet })
}

impl From<&AlertEvent> for AlertView {
    fn from(e: &AlertEvent) -> Self {
        let a = e.alert();
        let mut v = AlertView {
            id: a.id.to_string(),
            kind: names::kind(&a.kind),
            state: names::state(e),
            tracks: a.tracks.iter().map(|t| TrackRef { party: t.party.clone(), id: t.id.clone() }).collect(),
            t_in_s: None,
            t_out_s: None,
            t_cpa_s: None,
            d_cpa_m: None,
            time_to_los_s: None,
            severity: None,
            cpa: None,
            intent_id: None,
            reason: None,
            end_reason: match e {
                AlertEvent::Ended { reason, .. } => Some(names::end_reason(*reason)),
                AlertEvent::New(_) | AlertEvent::Ongoing(_) => None,
            },
            since: rfc3339(a.since.as_micros()),
            updated: rfc3339(a.updated.as_micros()),
        };
        match &a.kind {
            AlertKind::LossOfSeparation(l) => {
                v.t_in_s = finite(l.t_in_s);
                v.t_out_s = finite(l.t_out_s);
                v.t_cpa_s = finite(l.t_cpa_s);
                v.d_cpa_m = finite(l.d_cpa_m);
                v.time_to_los_s = finite(l.time_to_los_s);
                v.severity = Some(names::severity(l.severity));
                v.cpa = Some(l.cpa.iter().map(cpa).collect());
            }
            AlertKind::NonConformance(n) => {
                v.intent_id = Some(n.intent.to_string());
                v.reason = Some(names::nonconformance(n.reason));
            }
        }
        v
    }
}

/// One of the caller's own tracks (`GET /v1/tracks`).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TrackView {
    /// The caller's id for it.
    pub id: String,
    /// Time of the latest report (RFC 3339).
    pub time: String,
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Altitude, feet.
    pub alt_ft: f64,
    /// `pressure` or `geometric`.
    pub alt_ref: &'static str,
    /// Ground speed, knots.
    pub gs_kt: f64,
    /// Track over the ground, degrees true.
    pub trk_deg: f64,
    /// Vertical rate, feet per minute.
    pub vs_fpm: f64,
    /// The linked operational intent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub intent_id: Option<String>,
    /// Flight identification (receiver feeds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callsign: Option<String>,
}

impl TrackView {
    /// The view of track `id`'s latest state.
    pub fn new(id: String, s: &TrackState) -> Self {
        TrackView {
            id,
            time: rfc3339(s.time.as_micros()),
            lat: s.position.lat_deg(),
            lon: s.position.lon_deg(),
            alt_ft: s.altitude.feet,
            alt_ref: match s.altitude.reference {
                AltitudeRef::Pressure => "pressure",
                AltitudeRef::Geometric => "geometric",
            },
            gs_kt: s.ground_speed.0,
            trk_deg: s.track_angle.0,
            vs_fpm: s.vertical_rate.0,
            intent_id: s.intent.map(|k| uuid::Uuid::from_bytes(k.0).to_string()),
            callsign: s.callsign.map(|c| c.as_str().to_owned()),
        }
    }
}

/// `GET /v1/tracks` answer.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TracksView {
    /// The caller's own live tracks.
    pub tracks: Vec<TrackView>,
}

/// `POST /v1/tracks` answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct IngestedView {
    /// Reports stored.
    pub accepted: usize,
    /// Reports not newer than their track's latest state, ignored.
    pub stale: usize,
}

/// `GET /v1/alerts` answer.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AlertsView {
    /// The active alerts the caller may see.
    pub alerts: Vec<AlertView>,
}

/// RFC 3339 with microseconds, UTC.
pub fn rfc3339(micros: i64) -> String {
    chrono::DateTime::from_timestamp_micros(micros)
        .map_or_else(|| micros.to_string(), |d| d.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
}

/// `Some(x)` when finite (JSON has no infinities).
pub fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}
