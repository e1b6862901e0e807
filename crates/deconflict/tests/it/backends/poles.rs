//! Footprints around the North Pole and across the antimeridian, which F3548
//! and the InterUSS DSS accept: created, enforced by the awareness rule and
//! found by queries, on SQLite (the default store), in memory, and on
//! PostgreSQL (H3 cells) when `DECONF_TEST_PG_URL` is set.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::common::*;

/// A 4D volume over `outline` (`{"outline_circle": ..}` or
/// `{"outline_polygon": ..}`), 0–120 m, from 10 to 70 minutes from now.
fn over(outline: Value) -> Value {
    let mut volume = outline;
    volume["altitude_lower"] = json!({ "value": 0.0, "reference": "W84", "units": "M" });
    volume["altitude_upper"] = json!({ "value": 120.0, "reference": "W84", "units": "M" });
    json!({
        "volume": volume,
        "time_start": { "value": rfc3339(10), "format": "RFC3339" },
        "time_end": { "value": rfc3339(70), "format": "RFC3339" },
    })
}

fn circle(lat: f64, lng: f64, radius_m: f64) -> Value {
    over(json!({ "outline_circle": {
        "center": { "lat": lat, "lng": lng }, "radius": { "value": radius_m, "units": "M" } } }))
}

fn polygon(vertices: &[(f64, f64)]) -> Value {
    let vertices: Vec<Value> = vertices.iter().map(|&(lat, lng)| json!({ "lat": lat, "lng": lng })).collect();
    over(json!({ "outline_polygon": { "vertices": vertices } }))
}

/// The ids of the intents a 409 says are missing from the key.
fn missing(conflict: &Value) -> Vec<&str> {
    conflict["missing_operational_intents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect()
}

async fn query(s: &TestServer, token: &str, area: Value) -> Vec<String> {
    let body = json!({ "area_of_interest": area });
    let (st, q) = s.call(Method::POST, &format!("{OIR}/query"), Some(token), Some(&body)).await;
    assert_eq!(st, StatusCode::OK, "{q}");
    let mut ids: Vec<String> = q["operational_intent_references"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

async fn pole_and_antimeridian(s: TestServer) {
    let bob = s.token("bob", &[SC]);

    // Alice files a 300 m circle around the North Pole and a polygon from
    // 179.9° E to 179.9° W (Fiji).
    let pole_id = new_id();
    let (st, pole) = s.put_intent(&format!("{OIR}/{pole_id}"), "alice", circle(90.0, 0.0, 300.0), &[]).await;
    assert_eq!(st, StatusCode::CREATED, "{pole}");
    let across_id = new_id();
    let across_ring = [(-17.0, 179.9), (-17.0, -179.9), (-16.9, -179.9), (-16.9, 179.9)];
    let (st, across) = s.put_intent(&format!("{OIR}/{across_id}"), "alice", polygon(&across_ring), &[]).await;
    assert_eq!(st, StatusCode::CREATED, "{across}");

    // Bob, without Alice's keys: over the pole from the far side (111 m from
    // it, 200 m wide), and east of the antimeridian inside her polygon. Each
    // 409 lists only the intent it meets.
    let cases = [
        (circle(89.999, 180.0, 200.0), &pole_id),
        (polygon(&[(-16.97, -179.98), (-16.97, -179.95), (-16.93, -179.95), (-16.93, -179.98)]), &across_id),
        (polygon(&[(-16.97, 179.95), (-16.97, 179.98), (-16.93, 179.98), (-16.93, 179.95)]), &across_id),
    ];
    for (extents, want) in &cases {
        let body = intent("bob", extents.clone(), &[]);
        let (st, conflict) =
            s.call(Method::PUT, &format!("{OIR}/{}", new_id()), Some(&bob), Some(&body)).await;
        assert_eq!(st, StatusCode::CONFLICT, "{conflict}");
        assert_eq!(missing(&conflict), vec![want.as_str()], "{conflict}");
    }
    // Clear of both, just east of the polygon: no key needed.
    let clear = polygon(&[(-16.97, -179.89), (-16.97, -179.85), (-16.93, -179.85), (-16.93, -179.89)]);
    let (st, ok) = s.put_intent(&format!("{OIR}/{}", new_id()), "bob", clear, &[]).await;
    assert_eq!(st, StatusCode::CREATED, "{ok}");
    // With the key: accepted over the pole.
    let key = intent_ovn(&pole);
    let body = intent("bob", circle(89.999, 180.0, 200.0), &[&key]);
    let bob_pole_id = new_id();
    let (st, ok) = s.call(Method::PUT, &format!("{OIR}/{bob_pole_id}"), Some(&bob), Some(&body)).await;
    assert_eq!(st, StatusCode::CREATED, "{ok}");

    // Queries find them from either side of the pole and of the line, and
    // nothing in the same band of latitudes half the world away.
    let alice = s.token("alice", &[SC]);
    let mut want = vec![pole_id.clone(), bob_pole_id];
    want.sort();
    assert_eq!(query(&s, &alice, circle(89.998, -90.0, 100.0)).await, want);
    assert_eq!(query(&s, &alice, circle(89.998_65, 0.0, 10.0)).await, vec![pole_id.clone()]);
    assert_eq!(query(&s, &alice, circle(-16.95, 179.95, 500.0)).await, vec![across_id.clone()]);
    assert_eq!(query(&s, &alice, polygon(&across_ring)).await, vec![across_id.clone()]);
    assert!(query(&s, &alice, circle(-16.95, 0.0, 500.0)).await.is_empty());
}

#[tokio::test]
async fn pole_and_antimeridian_on_sqlite() {
    pole_and_antimeridian(TestServer::start_with(super::on_sqlite(), tempfile::tempdir().unwrap()).await)
        .await;
}

#[tokio::test]
async fn pole_and_antimeridian_in_memory() {
    let opts = Options { store: Some(StoreSpec::Memory), ..Options::default() };
    pole_and_antimeridian(TestServer::start_with(opts, tempfile::tempdir().unwrap()).await).await;
}

#[tokio::test]
async fn pole_and_antimeridian_on_postgres() {
    let Some(url) = super::replicas::pg_url() else { return };
    let schema = super::replicas::Schema::create(&url);
    pole_and_antimeridian(super::replicas::replica(&url, &schema, None).await).await;
}
