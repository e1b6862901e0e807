//! Serde helpers for the stored record bodies (JSON), so that the typed
//! records read every body written before them: instants are integer µs since
//! the epoch in fields that keep their `_us` names, and an area is a
//! [`Volume4D`] in its own small layout (geom knows no serialisation format).
//!
//! These are storage layouts, not the wire: the server has its own DTOs.

use std::collections::BTreeMap;

use geom::{AltitudeRange, Circle, Footprint, LatLng, Polygon, Time, TimeWindow, Volume4D};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::ids::PartyName;

/// A [`Time`] as integer µs since the epoch.
pub(crate) mod us {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(t: &Time, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(t.as_micros())
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Time, D::Error> {
        i64::deserialize(d).map(Time::from_micros)
    }
}

/// An optional [`Time`] as integer µs since the epoch, or `null`.
pub(crate) mod opt_us {
    use super::*;

    #[allow(clippy::ref_option)] // the signature serde's `with` asks for
    pub(crate) fn serialize<S: Serializer>(t: &Option<Time>, s: S) -> Result<S::Ok, S::Error> {
        t.map(Time::as_micros).serialize(s)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Time>, D::Error> {
        Ok(Option::<i64>::deserialize(d)?.map(Time::from_micros))
    }
}

/// A map from parties to instants (µs), e.g. a check's acknowledgements.
pub(crate) mod us_by_party {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(m: &BTreeMap<PartyName, Time>, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(m.iter().map(|(p, t)| (p.as_str(), t.as_micros())))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<PartyName, Time>, D::Error> {
        BTreeMap::<String, i64>::deserialize(d)?
            .into_iter()
            .map(|(p, t)| Ok((PartyName::new(&p).map_err(D::Error::custom)?, Time::from_micros(t))))
            .collect()
    }
}

/// The epoch, the default of instants older records may lack.
pub(crate) fn epoch() -> Time {
    Time::from_micros(0)
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Point {
    lat: f64,
    lng: f64,
}

impl Point {
    fn new(p: LatLng) -> Self {
        Self { lat: p.lat(), lng: p.lng() }
    }

    fn latlng<E: serde::de::Error>(&self) -> Result<LatLng, E> {
        LatLng::new(self.lat, self.lng).map_err(E::custom)
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum Outline {
    Polygon { vertices: Vec<Point> },
    Circle { center: Point, radius_m: f64 },
}

/// An area as stored now.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Area {
    outline: Outline,
    altitude_lower_m: f64,
    altitude_upper_m: f64,
    time_start_us: i64,
    time_end_us: i64,
}

/// An area as stored before the records were typed: the F3548 `Volume4D`
/// JSON the sender gave (validated then, with every bound present), times in
/// RFC 3339.
#[derive(Debug, Deserialize)]
struct F3548Volume4d {
    volume: F3548Volume3d,
    time_start: F3548Time,
    time_end: F3548Time,
}

#[derive(Debug, Deserialize)]
struct F3548Volume3d {
    #[serde(default)]
    outline_polygon: Option<F3548Polygon>,
    #[serde(default)]
    outline_circle: Option<F3548Circle>,
    altitude_lower: F3548Value,
    altitude_upper: F3548Value,
}

#[derive(Debug, Deserialize)]
struct F3548Polygon {
    vertices: Vec<Point>,
}

#[derive(Debug, Deserialize)]
struct F3548Circle {
    center: Point,
    radius: F3548Value,
}

#[derive(Debug, Deserialize)]
struct F3548Value {
    value: f64,
}

#[derive(Debug, Deserialize)]
struct F3548Time {
    value: String,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum AnyArea {
    Now(Area),
    F3548(F3548Volume4d),
}

fn volume<E: serde::de::Error>(
    outline: Outline,
    altitude: (f64, f64),
    time: (Time, Time),
) -> Result<Volume4D, E> {
    let footprint = match outline {
        Outline::Polygon { vertices } => Footprint::Polygon(
            Polygon::new(vertices.iter().map(Point::latlng).collect::<Result<_, E>>()?).map_err(E::custom)?,
        ),
        Outline::Circle { center, radius_m } => {
            Footprint::Circle(Circle::new(center.latlng()?, radius_m).map_err(E::custom)?)
        }
    };
    let altitude = AltitudeRange::new(altitude.0, altitude.1).map_err(E::custom)?;
    let time = TimeWindow::new(time.0, time.1).map_err(E::custom)?;
    Ok(Volume4D::new(footprint, altitude, time))
}

fn rfc3339<E: serde::de::Error>(s: &str) -> Result<Time, E> {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| Time::from_micros(t.timestamp_micros()))
        .map_err(|e| E::custom(format!("time {s:?}: {e}")))
}

/// An optional [`Volume4D`] in the [`Area`] layout; reads the F3548 layout of
/// older records too.
pub(crate) mod area {
    use super::*;

    #[allow(clippy::ref_option)] // the signature serde's `with` asks for
    pub(crate) fn serialize<S: Serializer>(v: &Option<Volume4D>, s: S) -> Result<S::Ok, S::Error> {
        v.as_ref()
            .map(|v| {
                let outline = match v.footprint() {
                    Footprint::Polygon(p) => {
                        Outline::Polygon { vertices: p.vertices().iter().copied().map(Point::new).collect() }
                    }
                    Footprint::Circle(c) => {
                        Outline::Circle { center: Point::new(c.center()), radius_m: c.radius_m() }
                    }
                };
                Area {
                    outline,
                    altitude_lower_m: v.altitude().lower(),
                    altitude_upper_m: v.altitude().upper(),
                    time_start_us: v.time().start().as_micros(),
                    time_end_us: v.time().end().as_micros(),
                }
            })
            .serialize(s)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Volume4D>, D::Error> {
        let Some(area) = Option::<AnyArea>::deserialize(d)? else { return Ok(None) };
        let v = match area {
            AnyArea::Now(a) => volume(
                a.outline,
                (a.altitude_lower_m, a.altitude_upper_m),
                (Time::from_micros(a.time_start_us), Time::from_micros(a.time_end_us)),
            )?,
            AnyArea::F3548(a) => {
                let outline = match (a.volume.outline_polygon, a.volume.outline_circle) {
                    (Some(p), None) => Outline::Polygon { vertices: p.vertices },
                    (None, Some(c)) => Outline::Circle { center: c.center, radius_m: c.radius.value },
                    _ => return Err(D::Error::custom("an area needs exactly one outline")),
                };
                let time = (rfc3339(&a.time_start.value)?, rfc3339(&a.time_end.value)?);
                volume(outline, (a.volume.altitude_lower.value, a.volume.altitude_upper.value), time)?
            }
        };
        Ok(Some(v))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Doc {
        #[serde(default, with = "area")]
        area: Option<Volume4D>,
        #[serde(rename = "at_us", with = "us")]
        at: Time,
    }

    #[test]
    fn areas_round_trip_and_older_f3548_bodies_still_read() {
        let polygon = crate::testsuite::volume(crate::testsuite::square(46.0, 7.0, 0.01), (0.0, 120.0), 1, 2);
        let circle = crate::testsuite::volume(crate::testsuite::circle(46.0, 7.0, 500.0), (10.0, 20.0), 3, 4);
        for v in [polygon, circle] {
            let doc = Doc { area: Some(v), at: Time::from_micros(7) };
            let text = serde_json::to_string(&doc).unwrap();
            assert!(text.contains("\"time_start_us\":") && text.contains("\"at_us\":7"), "{text}");
            assert_eq!(serde_json::from_str::<Doc>(&text).unwrap(), doc);
        }
        // What a message's refs.area held before: the sender's F3548 JSON.
        let old = r#"{"at_us": 1, "area": {"volume": {
            "outline_circle": {"center": {"lat": 46.0, "lng": 7.0}, "radius": {"value": 500.0, "units": "M"}},
            "altitude_lower": {"value": 10.0, "reference": "W84", "units": "M"},
            "altitude_upper": {"value": 20.0, "reference": "W84", "units": "M"}},
            "time_start": {"value": "1970-01-01T00:00:00.000003Z", "format": "RFC3339"},
            "time_end": {"value": "1970-01-01T01:00:00.000004+01:00", "format": "RFC3339"}}}"#;
        let doc: Doc = serde_json::from_str(old).unwrap();
        let v = doc.area.unwrap();
        assert_eq!((v.time().start().as_micros(), v.time().end().as_micros()), (3, 4));
        assert_eq!((v.altitude().lower(), v.altitude().upper()), (10.0, 20.0));
        assert!(matches!(v.footprint(), Footprint::Circle(c) if c.radius_m() == 500.0));
        let none: Doc = serde_json::from_str(r#"{"at_us": 1}"#).unwrap();
        assert_eq!(none.area, None);
        assert!(serde_json::from_str::<Doc>(r#"{"at_us": 1, "area": {"outline": 1}}"#).is_err());
    }
}
