//! The wire form of alerts (`GET /v1/alerts`, `GET /v1/alerts/stream`) and
//! of a party's own tracks (`GET /v1/tracks`), with who may see each alert.

use serde::Serialize;
use tactical::PartyId;

/// One track named in an alert: its owner and the owner's name for it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TrackRef {
    /// The owner (token `sub`, or the party of an SBS-1 feed).
    pub party: String,
    /// The owner's id for the track (for SBS-1 feeds, the ICAO address in hex).
    pub id: String,
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
    /// Non-conformance: the operational intent the track claims to follow.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub intent_id: Option<String>,
    /// Non-conformance: `outside_volumes` or `unknown_intent`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    /// Ended alerts: `cleared`, `track_expired` or `conforming`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_reason: Option<&'static str>,
    /// When the alert was raised (RFC 3339, server time of the scan).
    pub since: String,
    /// Scan time of the latest prediction (RFC 3339).
    pub updated: String,
}

/// An alert and who may see it.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRecord {
    /// What clients see.
    pub view: AlertView,
    /// Parties that must be told (owners of the tracks, and for
    /// non-conformance the managers of intersecting intents).
    pub recipients: Vec<PartyId>,
    /// A loss of separation between two tracks of one party.
    pub same_party: bool,
}

impl AlertRecord {
    /// Whether `party` may see it; same-party pairs only when `own`.
    pub fn visible_to(&self, party: PartyId, own: bool) -> bool {
        self.recipients.contains(&party) && (own || !self.same_party)
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
    /// Flight identification (SBS-1 feeds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callsign: Option<String>,
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
