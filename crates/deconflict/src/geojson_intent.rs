//! Operational intents from GeoJSON: each Feature is one volume. A Polygon
//! (exterior ring) or a Point with a `radius_m` property is the footprint; the
//! properties `altitude_lower_m`, `altitude_upper_m` (metres above the WGS84
//! ellipsoid), `time_start` and `time_end` (RFC 3339) give the rest. Features
//! with the same `intent` property form one multi-volume intent.

use anyhow::{Context as _, bail};
use geojson::{Feature, GeoJson, GeometryValue as Geometry};
use serde_json::{Value, json};

/// One intent to file: its grouping name and F3548 extents.
#[derive(Debug, Clone)]
pub struct IntentSpec {
    pub name: String,
    pub extents: Vec<Value>,
}

fn prop_f64(f: &Feature, name: &str, i: usize) -> anyhow::Result<f64> {
    f.property(name)
        .and_then(Value::as_f64)
        .with_context(|| format!("feature {i}: property {name} (a number, metres) is required"))
}

fn prop_str<'a>(f: &'a Feature, name: &str, i: usize) -> anyhow::Result<&'a str> {
    f.property(name)
        .and_then(Value::as_str)
        .with_context(|| format!("feature {i}: property {name} (RFC 3339 time) is required"))
}

/// The F3548 `Volume4D` of one feature.
fn volume(f: &Feature, i: usize) -> anyhow::Result<Value> {
    let geometry = f.geometry.as_ref().with_context(|| format!("feature {i} has no geometry"))?;
    let outline = match &geometry.value {
        Geometry::Polygon { coordinates: rings } => {
            let ring = rings.first().with_context(|| format!("feature {i}: polygon has no ring"))?;
            let mut vertices: Vec<Value> = ring.iter().map(|p| json!({ "lng": p[0], "lat": p[1] })).collect();
            if vertices.len() > 1 && vertices.first() == vertices.last() {
                vertices.pop();
            }
            json!({ "outline_polygon": { "vertices": vertices } })
        }
        Geometry::Point { coordinates: p } => {
            let r = prop_f64(f, "radius_m", i)?;
            json!({ "outline_circle": { "center": { "lng": p[0], "lat": p[1] }, "radius": { "value": r, "units": "M" } } })
        }
        other => bail!(
            "feature {i}: geometry {} is not supported (use Polygon, or Point with radius_m)",
            other.type_name()
        ),
    };
    let mut v = json!({
        "volume": outline,
        "time_start": { "value": prop_str(f, "time_start", i)?, "format": "RFC3339" },
        "time_end": { "value": prop_str(f, "time_end", i)?, "format": "RFC3339" },
    });
    v["volume"]["altitude_lower"] =
        json!({ "value": prop_f64(f, "altitude_lower_m", i)?, "reference": "W84", "units": "M" });
    v["volume"]["altitude_upper"] =
        json!({ "value": prop_f64(f, "altitude_upper_m", i)?, "reference": "W84", "units": "M" });
    Ok(v)
}

/// Parses GeoJSON text (a Feature or a FeatureCollection) into intents.
pub fn parse(text: &str) -> anyhow::Result<Vec<IntentSpec>> {
    let gj: GeoJson = text.parse().context("not valid GeoJSON")?;
    let features = match gj {
        GeoJson::Feature(f) => vec![f],
        GeoJson::FeatureCollection(fc) => fc.features,
        GeoJson::Geometry(_) => {
            bail!("give a Feature or FeatureCollection (properties carry altitudes and times)")
        }
    };
    let mut out: Vec<IntentSpec> = Vec::new();
    for (i, f) in features.iter().enumerate() {
        let name = f
            .property("intent")
            .and_then(Value::as_str)
            .map_or_else(|| format!("feature-{i}"), str::to_owned);
        let v = volume(f, i)?;
        match out.iter_mut().find(|s| s.name == name) {
            Some(spec) => spec.extents.push(v),
            None => out.push(IntentSpec { name, extents: vec![v] }),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn polygons_and_circles_group_by_intent() {
        let text = r#"{"type":"FeatureCollection","features":[
          {"type":"Feature","properties":{"intent":"a","altitude_lower_m":0,"altitude_upper_m":120,
             "time_start":"2030-01-01T00:00:00Z","time_end":"2030-01-01T01:00:00Z"},
           "geometry":{"type":"Polygon","coordinates":[[[7,46],[7.1,46],[7.1,46.1],[7,46]]]}},
          {"type":"Feature","properties":{"intent":"a","radius_m":300,"altitude_lower_m":0,"altitude_upper_m":50,
             "time_start":"2030-01-01T01:00:00Z","time_end":"2030-01-01T02:00:00Z"},
           "geometry":{"type":"Point","coordinates":[7.2,46.2]}},
          {"type":"Feature","properties":{"altitude_lower_m":0,"altitude_upper_m":50,
             "time_start":"2030-01-01T01:00:00Z","time_end":"2030-01-01T02:00:00Z"},
           "geometry":{"type":"Polygon","coordinates":[[[8,46],[8.1,46],[8.1,46.1]]]}}]}"#;
        let specs = parse(text).unwrap();
        assert_eq!(specs.len(), 2);
        assert_eq!(specs[0].extents.len(), 2);
        let verts = specs[0].extents[0]["volume"]["outline_polygon"]["vertices"].as_array().unwrap();
        assert_eq!(verts.len(), 3, "closing vertex dropped");
        assert_eq!(specs[0].extents[1]["volume"]["outline_circle"]["radius"]["value"], 300.0);
    }

    #[test]
    fn the_readme_example_parses() {
        let specs = parse(include_str!("../../../examples/intents.geojson")).unwrap();
        assert_eq!(specs.len(), 1);
        assert_eq!(specs[0].name, "survey-north");
        assert_eq!(specs[0].extents.len(), 2);
    }

    #[test]
    fn missing_properties_are_named() {
        let text = r#"{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[7,46]}}"#;
        let err = parse(text).unwrap_err().to_string();
        assert!(err.contains("radius_m"), "{err}");
        let line = r#"{"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[7,46],[8,46]]}}"#;
        assert!(parse(line).unwrap_err().to_string().contains("not supported"));
    }
}
