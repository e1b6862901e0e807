//! F3548 geometry and time on the wire (`Volume4D`, `Polygon`, `Circle`,
//! `Altitude`, `Time`) and their conversion to and from `geom` types. Every
//! conversion error names the JSON path of the offending field.

use chrono::{DateTime, SecondsFormat, Utc};
use geom::{AltitudeRange, Circle, Footprint, LatLng, Polygon, Time, TimeWindow, Volume4D};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// F3548 `Time`: an RFC 3339 timestamp.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TimeDto {
    /// RFC 3339 date-time.
    pub value: String,
    /// Always `RFC3339`.
    #[serde(default = "rfc3339")]
    pub format: String,
}

fn rfc3339() -> String {
    "RFC3339".into()
}

impl TimeDto {
    /// Formats a time as RFC 3339 UTC with microseconds.
    pub fn from_time(t: Time) -> Self {
        Self { value: format_time(t), format: rfc3339() }
    }

    /// Parses, naming `path` on error.
    ///
    /// # Errors
    /// 400 when the format is not RFC3339 or the value does not parse.
    pub fn to_time(&self, path: &str) -> Result<Time, ApiError> {
        if self.format != "RFC3339" {
            return Err(ApiError::bad(format!("{path}.format must be \"RFC3339\", got {:?}", self.format)));
        }
        parse_time(&self.value).ok_or_else(|| {
            ApiError::bad(format!("{path}.value {:?} is not an RFC 3339 date-time", self.value))
        })
    }
}

/// Parses an RFC 3339 date-time to µs since the epoch.
pub fn parse_time(s: &str) -> Option<Time> {
    let dt = DateTime::parse_from_rfc3339(s).ok()?;
    Some(Time::from_micros(dt.timestamp_micros()))
}

/// Formats µs since the epoch as RFC 3339 UTC (`Z`), microsecond precision.
pub fn format_time(t: Time) -> String {
    DateTime::<Utc>::from_timestamp_micros(t.as_micros())
        .map_or_else(|| t.as_micros().to_string(), |d| d.to_rfc3339_opts(SecondsFormat::Micros, true))
}

/// F3548 `Altitude`: metres above the WGS84 ellipsoid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AltitudeDto {
    /// Metres.
    pub value: f64,
    /// Always `W84`.
    pub reference: String,
    /// Always `M`.
    pub units: String,
}

impl AltitudeDto {
    fn metres(v: f64) -> Self {
        Self { value: v, reference: "W84".into(), units: "M".into() }
    }

    fn to_metres(&self, path: &str) -> Result<f64, ApiError> {
        if self.reference != "W84" {
            return Err(ApiError::bad(format!(
                "{path}.reference must be \"W84\" (height above the WGS84 ellipsoid), got {:?}",
                self.reference
            )));
        }
        if self.units != "M" {
            return Err(ApiError::bad(format!("{path}.units must be \"M\" (metres), got {:?}", self.units)));
        }
        Ok(self.value)
    }
}

/// F3548 `LatLngPoint`, degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LatLngDto {
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lng: f64,
}

impl LatLngDto {
    fn to_latlng(self, path: &str) -> Result<LatLng, ApiError> {
        LatLng::new(self.lat, self.lng).map_err(|e| ApiError::bad(format!("{path}: {e}")))
    }
}

/// F3548 `Polygon`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolygonDto {
    /// At least three vertices, not closed.
    pub vertices: Vec<LatLngDto>,
}

/// F3548 `Radius`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RadiusDto {
    /// Metres.
    pub value: f64,
    /// Always `M`.
    pub units: String,
}

/// F3548 `Circle`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CircleDto {
    /// Centre.
    pub center: LatLngDto,
    /// Radius.
    pub radius: RadiusDto,
}

/// F3548 `Volume3D`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Volume3dDto {
    /// A circular footprint (exactly one of the outlines).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outline_circle: Option<CircleDto>,
    /// A polygonal footprint (exactly one of the outlines).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outline_polygon: Option<PolygonDto>,
    /// Lower altitude.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub altitude_lower: Option<AltitudeDto>,
    /// Upper altitude.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub altitude_upper: Option<AltitudeDto>,
}

/// F3548 `Volume4D`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Volume4dDto {
    /// The 3D part.
    pub volume: Volume3dDto,
    /// Start of the time window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_start: Option<TimeDto>,
    /// End of the time window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_end: Option<TimeDto>,
}

/// Whether a volume's altitudes and times must be present (entities) or may be
/// left open (query areas, where a missing bound means unbounded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bounds {
    /// Both altitudes and both times are required.
    Required,
    /// Missing bounds are unbounded.
    Open,
}

impl Volume3dDto {
    /// The footprint, naming `path` on error.
    ///
    /// # Errors
    /// 400 for a missing or doubled outline or invalid geometry.
    pub fn footprint(&self, path: &str) -> Result<Footprint, ApiError> {
        match (&self.outline_polygon, &self.outline_circle) {
            (Some(p), None) => {
                let vertices = p
                    .vertices
                    .iter()
                    .enumerate()
                    .map(|(i, v)| v.to_latlng(&format!("{path}.outline_polygon.vertices[{i}]")))
                    .collect::<Result<Vec<_>, _>>()?;
                Polygon::new(vertices)
                    .map(Footprint::Polygon)
                    .map_err(|e| ApiError::bad(format!("{path}.outline_polygon: {e}")))
            }
            (None, Some(c)) => {
                if c.radius.units != "M" {
                    return Err(ApiError::bad(format!(
                        "{path}.outline_circle.radius.units must be \"M\" (metres), got {:?}",
                        c.radius.units
                    )));
                }
                let center = c.center.to_latlng(&format!("{path}.outline_circle.center"))?;
                Circle::new(center, c.radius.value)
                    .map(Footprint::Circle)
                    .map_err(|e| ApiError::bad(format!("{path}.outline_circle: {e}")))
            }
            (Some(_), Some(_)) => Err(ApiError::bad(format!(
                "{path} has both outline_polygon and outline_circle; give exactly one"
            ))),
            (None, None) => {
                Err(ApiError::bad(format!("{path} needs an outline_polygon or an outline_circle")))
            }
        }
    }

    /// The altitude range, naming `path` on error.
    ///
    /// # Errors
    /// 400 for missing (when required), non-W84, non-metre, out-of-range or reversed altitudes.
    pub fn altitude(&self, path: &str, bounds: Bounds) -> Result<AltitudeRange, ApiError> {
        let get = |a: &Option<AltitudeDto>, name: &str, open: f64| match (a, bounds) {
            (Some(a), _) => a.to_metres(&format!("{path}.{name}")),
            (None, Bounds::Open) => Ok(open),
            (None, Bounds::Required) => Err(ApiError::bad(format!("{path}.{name} is required"))),
        };
        let lower = get(&self.altitude_lower, "altitude_lower", AltitudeRange::MIN_M)?;
        let upper = get(&self.altitude_upper, "altitude_upper", AltitudeRange::MAX_M)?;
        AltitudeRange::new(lower, upper).map_err(|e| ApiError::bad(format!("{path}: {e}")))
    }
}

impl Volume4dDto {
    /// The start and end times as given (each optional).
    ///
    /// # Errors
    /// 400 for unparsable times.
    pub fn times(&self, path: &str) -> Result<(Option<Time>, Option<Time>), ApiError> {
        let start = self.time_start.as_ref().map(|t| t.to_time(&format!("{path}.time_start"))).transpose()?;
        let end = self.time_end.as_ref().map(|t| t.to_time(&format!("{path}.time_end"))).transpose()?;
        Ok((start, end))
    }

    /// Converts to a validated volume, naming `path` (e.g. `extents[2]`) on error.
    ///
    /// # Errors
    /// 400 naming the field for any invalid or missing part.
    pub fn to_volume(&self, path: &str, bounds: Bounds) -> Result<Volume4D, ApiError> {
        let vpath = format!("{path}.volume");
        let footprint = self.volume.footprint(&vpath)?;
        let altitude = self.volume.altitude(&vpath, bounds)?;
        let (start, end) = self.times(path)?;
        let (start, end) = match (start, end, bounds) {
            (Some(s), Some(e), _) => (s, e),
            (s, e, Bounds::Open) => (s.unwrap_or(Time::MIN), e.unwrap_or(Time::MAX)),
            (None, _, Bounds::Required) => {
                return Err(ApiError::bad(format!("{path}.time_start is required")));
            }
            (_, None, Bounds::Required) => return Err(ApiError::bad(format!("{path}.time_end is required"))),
        };
        if end < start {
            return Err(ApiError::bad(format!("{path}: time_end is before time_start")));
        }
        let time = TimeWindow::new(start, end).map_err(|e| ApiError::bad(format!("{path}: {e}")))?;
        Ok(Volume4D::new(footprint, altitude, time))
    }

    /// Converts a list of extents (`extents[i]`), all bounds required.
    ///
    /// # Errors
    /// 400 naming the first invalid extent.
    pub fn to_extents(list: &[Volume4dDto]) -> Result<Vec<Volume4D>, ApiError> {
        list.iter()
            .enumerate()
            .map(|(i, v)| v.to_volume(&format!("extents[{i}]"), Bounds::Required))
            .collect()
    }

    /// The wire form of a volume.
    pub fn from_volume(v: &Volume4D) -> Self {
        let point = |p: &LatLng| LatLngDto { lat: p.lat(), lng: p.lng() };
        let (outline_polygon, outline_circle) = match v.footprint() {
            Footprint::Polygon(p) => {
                (Some(PolygonDto { vertices: p.vertices().iter().map(point).collect() }), None)
            }
            Footprint::Circle(c) => (
                None,
                Some(CircleDto {
                    center: point(&c.center()),
                    radius: RadiusDto { value: c.radius_m(), units: "M".into() },
                }),
            ),
        };
        Self {
            volume: Volume3dDto {
                outline_circle,
                outline_polygon,
                altitude_lower: Some(AltitudeDto::metres(v.altitude().lower())),
                altitude_upper: Some(AltitudeDto::metres(v.altitude().upper())),
            },
            time_start: Some(TimeDto::from_time(v.time().start())),
            time_end: Some(TimeDto::from_time(v.time().end())),
        }
    }
}
