//! Operational intents from and to GeoJSON, the format the web page uses
//! too. Each Feature is one volume, or several: a Polygon (exterior ring only;
//! one with holes is refused, never filled), a MultiPolygon (one volume per
//! polygon) or a Point with a `radius_m` property is the footprint; the
//! properties `altitude_lower_m`, `altitude_upper_m` (metres above the WGS84
//! ellipsoid; or `altitude_lower_ft`, `altitude_upper_ft` in feet, the unit
//! in the name), `time_start` and `time_end` (RFC 3339) give the rest.
//! Features with the same `intent` property form one multi-volume intent.
//!
//! [`export`] writes what `POST /v1/operations/query` shows a party in the
//! same format, so that an export of one's own operations files again.

use anyhow::{Context as _, bail};
use geojson::{Feature, GeoJson, GeometryValue as Geometry};
use serde_json::{Value, json};

/// Metres in a foot.
const FOOT_M: f64 = 0.3048;

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

/// An altitude in metres, from `altitude_WHICH_m` or `altitude_WHICH_ft`.
fn altitude_m(f: &Feature, which: &str, i: usize) -> anyhow::Result<f64> {
    let m = f.property(format!("altitude_{which}_m")).and_then(Value::as_f64);
    let ft = f.property(format!("altitude_{which}_ft")).and_then(Value::as_f64);
    match (m, ft) {
        (Some(_), Some(_)) => {
            bail!("feature {i}: give altitude_{which}_m or altitude_{which}_ft, not both")
        }
        (Some(m), None) => Ok(m),
        (None, Some(ft)) => Ok(ft * FOOT_M),
        (None, None) => bail!(
            "feature {i}: property altitude_{which}_m (metres) or altitude_{which}_ft (feet) is required"
        ),
    }
}

fn prop_str<'a>(f: &'a Feature, name: &str, i: usize) -> anyhow::Result<&'a str> {
    f.property(name)
        .and_then(Value::as_str)
        .with_context(|| format!("feature {i}: property {name} (RFC 3339 time) is required"))
}

/// The F3548 outline of one polygon (its rings), refusing holes.
fn polygon_outline(rings: &[Vec<geojson::Position>], what: &str) -> anyhow::Result<Value> {
    let ring = rings.first().with_context(|| format!("{what}: polygon has no ring"))?;
    if rings.len() > 1 {
        bail!(
            "{what}: polygon has {} hole(s); holes are not supported (they would be filled): split it into polygons without holes",
            rings.len() - 1
        );
    }
    let mut vertices: Vec<Value> = ring.iter().map(|p| json!({ "lng": p[0], "lat": p[1] })).collect();
    if vertices.len() > 1 && vertices.first() == vertices.last() {
        vertices.pop();
    }
    Ok(json!({ "outline_polygon": { "vertices": vertices } }))
}

/// The F3548 outlines of one feature: one, or one per polygon of a MultiPolygon.
fn outlines(f: &Feature, i: usize) -> anyhow::Result<Vec<Value>> {
    let geometry = f.geometry.as_ref().with_context(|| format!("feature {i} has no geometry"))?;
    match &geometry.value {
        Geometry::Polygon { coordinates: rings } => {
            Ok(vec![polygon_outline(rings, &format!("feature {i}"))?])
        }
        Geometry::MultiPolygon { coordinates: polygons } => polygons
            .iter()
            .enumerate()
            .map(|(j, rings)| polygon_outline(rings, &format!("feature {i} (polygon {j})")))
            .collect(),
        Geometry::Point { coordinates: p } => {
            let r = prop_f64(f, "radius_m", i)?;
            Ok(vec![
                json!({ "outline_circle": { "center": { "lng": p[0], "lat": p[1] }, "radius": { "value": r, "units": "M" } } }),
            ])
        }
        other => bail!(
            "feature {i}: geometry {} is not supported (use Polygon, MultiPolygon, or Point with radius_m)",
            other.type_name()
        ),
    }
}

/// The F3548 `Volume4D`s of one feature.
fn volumes(f: &Feature, i: usize) -> anyhow::Result<Vec<Value>> {
    let outlines = outlines(f, i)?;
    let lower = altitude_m(f, "lower", i)?;
    let upper = altitude_m(f, "upper", i)?;
    let start = prop_str(f, "time_start", i)?;
    let end = prop_str(f, "time_end", i)?;
    Ok(outlines
        .into_iter()
        .map(|mut outline| {
            outline["altitude_lower"] = json!({ "value": lower, "reference": "W84", "units": "M" });
            outline["altitude_upper"] = json!({ "value": upper, "reference": "W84", "units": "M" });
            json!({
                "volume": outline,
                "time_start": { "value": start, "format": "RFC3339" },
                "time_end": { "value": end, "format": "RFC3339" },
            })
        })
        .collect())
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
        let vs = volumes(f, i)?;
        match out.iter_mut().find(|s| s.name == name) {
            Some(spec) => spec.extents.extend(vs),
            None => out.push(IntentSpec { name, extents: vs }),
        }
    }
    Ok(out)
}

/// An F3548 time (`{"value"}`) or an RFC 3339 string, as given.
fn time_text(t: &Value) -> Value {
    t.get("value").cloned().unwrap_or_else(|| t.clone())
}

/// An F3548 altitude in metres (`null` when unbounded).
fn altitude_value(a: &Value) -> Value {
    match (a["value"].as_f64(), a["units"].as_str()) {
        (Some(v), Some("FT")) => json!(v * FOOT_M),
        (Some(v), _) => json!(v),
        _ => Value::Null,
    }
}

fn ring_of(vertices: &[Value]) -> Vec<[f64; 2]> {
    let mut ring: Vec<[f64; 2]> = vertices
        .iter()
        .map(|v| [v["lng"].as_f64().unwrap_or(0.0), v["lat"].as_f64().unwrap_or(0.0)])
        .collect();
    if let Some(first) = ring.first().copied() {
        ring.push(first);
    }
    ring
}

/// What `POST /v1/operations/query` answered, as a FeatureCollection in the
/// format [`parse`] reads: own volumes (circles as a Point with `radius_m`),
/// and other parties' visible parts as polygons marked `"part": true`.
pub fn export(operations: &Value) -> Value {
    let mut features = Vec::new();
    for op in operations["operations"].as_array().into_iter().flatten() {
        let base = json!({
            "intent": op["id"], "manager": op["manager"], "state": op["state"], "own": op["own"],
            "contact": op["contact"],
        });
        for v in op["volumes"].as_array().into_iter().flatten() {
            let mut props = base.clone();
            props["altitude_lower_m"] = altitude_value(&v["volume"]["altitude_lower"]);
            props["altitude_upper_m"] = altitude_value(&v["volume"]["altitude_upper"]);
            props["time_start"] = time_text(&v["time_start"]);
            props["time_end"] = time_text(&v["time_end"]);
            let geometry = if let Some(c) = v["volume"].get("outline_circle") {
                props["radius_m"] = altitude_value(&c["radius"]);
                json!({ "type": "Point", "coordinates": [c["center"]["lng"], c["center"]["lat"]] })
            } else {
                let vertices =
                    v["volume"]["outline_polygon"]["vertices"].as_array().cloned().unwrap_or_default();
                json!({ "type": "Polygon", "coordinates": [ring_of(&vertices)] })
            };
            features.push(json!({ "type": "Feature", "properties": props, "geometry": geometry }));
        }
        for p in op["parts"].as_array().into_iter().flatten() {
            let mut props = base.clone();
            props["part"] = json!(true);
            for k in ["altitude_lower_m", "altitude_upper_m", "time_start", "time_end"] {
                props[k] = p[k].clone();
            }
            for polygon in p["polygons"].as_array().into_iter().flatten() {
                let vertices = polygon.as_array().cloned().unwrap_or_default();
                features.push(json!({ "type": "Feature", "properties": props,
                    "geometry": { "type": "Polygon", "coordinates": [ring_of(&vertices)] } }));
            }
        }
    }
    json!({ "type": "FeatureCollection", "features": features })
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

    const PROPS: &str = r#""altitude_lower_ft":0,"altitude_upper_ft":400,"time_start":"2030-01-01T00:00:00Z","time_end":"2030-01-01T01:00:00Z""#;

    #[test]
    fn a_polygon_with_a_hole_is_refused_naming_it() {
        let text = format!(
            r#"{{"type":"Feature","properties":{{{PROPS}}},"geometry":{{"type":"Polygon","coordinates":[
              [[7,46],[7.1,46],[7.1,46.1],[7,46.1],[7,46]],[[7.02,46.02],[7.05,46.02],[7.05,46.05],[7.02,46.02]]]}}}}"#
        );
        let err = parse(&text).unwrap_err().to_string();
        assert!(err.contains("feature 0") && err.contains("1 hole"), "{err}");
    }

    #[test]
    fn a_multipolygon_is_several_extents_and_feet_become_metres() {
        let text = format!(
            r#"{{"type":"Feature","properties":{{"intent":"m",{PROPS}}},"geometry":{{"type":"MultiPolygon","coordinates":[
              [[[7,46],[7.1,46],[7.1,46.1],[7,46]]],[[[8,46],[8.1,46],[8.1,46.1],[8,46]]]]}}}}"#
        );
        let specs = parse(&text).unwrap();
        assert_eq!(specs.len(), 1);
        assert_eq!(specs[0].extents.len(), 2);
        let upper = specs[0].extents[1]["volume"]["altitude_upper"]["value"].as_f64().unwrap();
        assert!((upper - 121.92).abs() < 1e-9, "{upper}");
        assert_eq!(specs[0].extents[1]["volume"]["outline_polygon"]["vertices"][0]["lng"], 8.0);
    }

    #[test]
    fn both_units_for_one_altitude_are_refused() {
        let text = format!(
            r#"{{"type":"Feature","properties":{{"radius_m":50,"altitude_lower_m":0,{PROPS}}},"geometry":{{"type":"Point","coordinates":[7,46]}}}}"#
        );
        assert!(parse(&text).unwrap_err().to_string().contains("not both"));
    }

    #[test]
    fn an_export_of_own_operations_files_again() {
        let answer = serde_json::json!({ "operations": [
            { "id": "a", "manager": "alpha", "state": "Accepted", "own": true, "contact": null, "purpose": null,
              "volumes": [
                { "volume": { "outline_polygon": { "vertices": [{"lat":46,"lng":7},{"lat":46,"lng":7.1},{"lat":46.1,"lng":7.1}] },
                    "altitude_lower": {"value":0,"reference":"W84","units":"M"}, "altitude_upper": {"value":120,"reference":"W84","units":"M"} },
                  "time_start": {"value":"2030-01-01T00:00:00Z","format":"RFC3339"}, "time_end": {"value":"2030-01-01T01:00:00Z","format":"RFC3339"} },
                { "volume": { "outline_circle": { "center": {"lat":46.2,"lng":7.2}, "radius": {"value":300,"units":"M"} },
                    "altitude_lower": {"value":0,"reference":"W84","units":"M"}, "altitude_upper": {"value":50,"reference":"W84","units":"M"} },
                  "time_start": {"value":"2030-01-01T00:00:00Z","format":"RFC3339"}, "time_end": {"value":"2030-01-01T01:00:00Z","format":"RFC3339"} } ] },
            { "id": "b", "manager": "bravo", "state": "Activated", "own": false, "contact": "radio 3",
              "parts": [ { "polygons": [[{"lat":46,"lng":7},{"lat":46,"lng":7.05},{"lat":46.05,"lng":7.05}]],
                "altitude_lower_m": 10, "altitude_upper_m": 100,
                "time_start": "2030-01-01T00:00:00Z", "time_end": "2030-01-01T00:30:00Z" } ] } ] });
        let fc = export(&answer);
        let features = fc["features"].as_array().unwrap();
        assert_eq!(features.len(), 3);
        assert_eq!(features[2]["properties"]["part"], true);
        assert_eq!(features[2]["properties"]["contact"], "radio 3");
        let ring = features[0]["geometry"]["coordinates"][0].as_array().unwrap();
        assert_eq!(ring.first(), ring.last(), "rings are closed");
        let specs = parse(&fc.to_string()).unwrap();
        let own = specs.iter().find(|s| s.name == "a").unwrap();
        assert_eq!(own.extents.len(), 2);
        assert_eq!(own.extents[1]["volume"]["outline_circle"]["radius"]["value"], 300.0);
        assert_eq!(own.extents[0]["volume"]["outline_polygon"]["vertices"].as_array().unwrap().len(), 3);
    }
}
