//! A table of malformed and hostile requests: each gets its 4xx with a JSON
//! message naming the problem, and the store is left unchanged.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::*;

fn good() -> Value {
    intent("alice", volume(46.0, 7.0, 0.01, (0.0, 120.0), (10, 70)), &[])
}

fn edit(f: impl FnOnce(&mut Value)) -> Value {
    let mut v = good();
    f(&mut v);
    v
}

fn vol(f: impl FnOnce(&mut Value)) -> Value {
    edit(|v| f(&mut v["extents"][0]))
}

#[tokio::test]
async fn bad_inputs_get_clear_4xx_and_change_nothing() {
    let s = TestServer::start_with(
        Options { max_body_bytes: 64 * 1024, ..Options::default() },
        tempfile::tempdir().unwrap(),
    )
    .await;
    let alice = s.token("alice", &[SC]);
    let id = new_id();
    let path = format!("{OIR}/{id}");
    let json_cases: Vec<(&str, Value, StatusCode, &str)> = vec![
        (
            "wrong type",
            edit(|v| v["extents"] = json!("everywhere")),
            StatusCode::BAD_REQUEST,
            "invalid JSON body",
        ),
        ("no extents", edit(|v| v["extents"] = json!([])), StatusCode::BAD_REQUEST, "at least one volume"),
        (
            "missing state",
            edit(|v| {
                v.as_object_mut().unwrap().remove("state");
            }),
            StatusCode::BAD_REQUEST,
            "state",
        ),
        ("unknown state", edit(|v| v["state"] = json!("Flying")), StatusCode::BAD_REQUEST, "Flying"),
        ("created Activated", edit(|v| v["state"] = json!("Activated")), StatusCode::BAD_REQUEST, "Accepted"),
        (
            "two vertices",
            vol(|v| {
                v["volume"]["outline_polygon"]["vertices"] =
                    json!([{"lat": 46.0, "lng": 7.0}, {"lat": 46.1, "lng": 7.0}])
            }),
            StatusCode::BAD_REQUEST,
            "extents[0].volume.outline_polygon",
        ),
        (
            "bow tie",
            vol(
                |v| v["volume"]["outline_polygon"]["vertices"] = json!([{"lat": 46.0, "lng": 7.0}, {"lat": 46.1, "lng": 7.1}, {"lat": 46.1, "lng": 7.0}, {"lat": 46.0, "lng": 7.1}]),
            ),
            StatusCode::BAD_REQUEST,
            "cross",
        ),
        (
            "closing vertex",
            vol(
                |v| v["volume"]["outline_polygon"]["vertices"] = json!([{"lat": 46.0, "lng": 7.0}, {"lat": 46.0, "lng": 7.1}, {"lat": 46.1, "lng": 7.1}, {"lat": 46.0, "lng": 7.0}]),
            ),
            StatusCode::BAD_REQUEST,
            "outline_polygon",
        ),
        (
            "latitude 95",
            vol(|v| v["volume"]["outline_polygon"]["vertices"][0]["lat"] = json!(95.0)),
            StatusCode::BAD_REQUEST,
            "vertices[0]",
        ),
        (
            "zero radius",
            vol(|v| {
                v["volume"].as_object_mut().unwrap().remove("outline_polygon");
                v["volume"]["outline_circle"] =
                    json!({"center": {"lat": 46.0, "lng": 7.0}, "radius": {"value": 0.0, "units": "M"}});
            }),
            StatusCode::BAD_REQUEST,
            "outline_circle",
        ),
        (
            "both outlines",
            vol(|v| {
                v["volume"]["outline_circle"] =
                    json!({"center": {"lat": 46.0, "lng": 7.0}, "radius": {"value": 10.0, "units": "M"}})
            }),
            StatusCode::BAD_REQUEST,
            "exactly one",
        ),
        (
            "radius in feet",
            vol(|v| {
                v["volume"].as_object_mut().unwrap().remove("outline_polygon");
                v["volume"]["outline_circle"] =
                    json!({"center": {"lat": 46.0, "lng": 7.0}, "radius": {"value": 10.0, "units": "FT"}});
            }),
            StatusCode::BAD_REQUEST,
            "metres",
        ),
        (
            "altitude reversed",
            vol(|v| {
                v["volume"]["altitude_lower"]["value"] = json!(500.0);
            }),
            StatusCode::BAD_REQUEST,
            "extents[0].volume",
        ),
        (
            "altitude in feet",
            vol(|v| v["volume"]["altitude_upper"]["units"] = json!("FT")),
            StatusCode::BAD_REQUEST,
            "altitude_upper.units",
        ),
        (
            "altitude not W84",
            vol(|v| v["volume"]["altitude_upper"]["reference"] = json!("AGL")),
            StatusCode::BAD_REQUEST,
            "W84",
        ),
        (
            "missing altitude",
            vol(|v| {
                v["volume"].as_object_mut().unwrap().remove("altitude_lower");
            }),
            StatusCode::BAD_REQUEST,
            "altitude_lower is required",
        ),
        (
            "missing time",
            vol(|v| {
                v.as_object_mut().unwrap().remove("time_end");
            }),
            StatusCode::BAD_REQUEST,
            "time_end is required",
        ),
        (
            "bad time",
            vol(|v| v["time_start"]["value"] = json!("yesterday")),
            StatusCode::BAD_REQUEST,
            "RFC 3339",
        ),
        (
            "end before start",
            vol(|v| {
                v["time_start"]["value"] = json!(rfc3339(80));
            }),
            StatusCode::BAD_REQUEST,
            "before",
        ),
        (
            "ended in the past",
            vol(|v| {
                v["time_start"]["value"] = json!(rfc3339(-90));
                v["time_end"]["value"] = json!(rfc3339(-30));
            }),
            StatusCode::BAD_REQUEST,
            "past",
        ),
        (
            "area too large",
            vol(|v| v["volume"]["outline_polygon"] = square(46.0, 7.0, 0.5)),
            StatusCode::PAYLOAD_TOO_LARGE,
            "km²",
        ),
        (
            "two subscriptions",
            edit(|v| v["subscription_id"] = json!(new_id())),
            StatusCode::BAD_REQUEST,
            "not both",
        ),
    ];
    for (name, body, want, needle) in json_cases {
        let (st, v) = s.call(Method::PUT, &path, Some(&alice), Some(&body)).await;
        assert_eq!(st, want, "{name}: {v}");
        let msg = v["message"].as_str().unwrap_or_else(|| panic!("{name}: no JSON message in {v}"));
        assert!(msg.contains(needle), "{name}: message {msg:?} should mention {needle:?}");
    }
    let raw_cases: Vec<(&str, Vec<u8>, StatusCode, &str)> = vec![
        ("broken JSON", b"{\"extents\": [".to_vec(), StatusCode::BAD_REQUEST, "invalid JSON"),
        ("NaN", b"{\"extents\": [], \"x\": NaN}".to_vec(), StatusCode::BAD_REQUEST, "invalid JSON"),
        ("empty", Vec::new(), StatusCode::BAD_REQUEST, "empty"),
        ("oversized", vec![b' '; 100 * 1024], StatusCode::PAYLOAD_TOO_LARGE, "limit"),
    ];
    for (name, body, want, needle) in raw_cases {
        let (st, v) = s.raw(Method::PUT, &path, &alice, body).await;
        assert_eq!(st, want, "{name}: {v}");
        assert!(v["message"].as_str().unwrap_or("").contains(needle), "{name}: {v}");
    }
    let (st, v) = s.call(Method::PUT, &format!("{OIR}/not-a-uuid"), Some(&alice), Some(&good())).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
    assert!(v["message"].as_str().unwrap().contains("entityid"), "names the segment: {v}");
    let (st, v) = s.call(Method::POST, &format!("{OIR}/query"), Some(&alice), Some(&json!({}))).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
    assert!(v["message"].as_str().unwrap().contains("area_of_interest"));
    let sub = |extents: Value, flag: bool| json!({ "extents": extents, "uss_base_url": "http://alice.example", "notify_for_operational_intents": flag });
    let (st, v) = s
        .call(
            Method::PUT,
            &format!("{SUB}/{}", new_id()),
            Some(&alice),
            Some(&sub(volume(46.0, 7.0, 0.01, (0.0, 120.0), (0, 25 * 60)), true)),
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
    assert!(v["message"].as_str().unwrap().contains("24 hours"));
    let (st, v) = s
        .call(
            Method::PUT,
            &format!("{SUB}/{}", new_id()),
            Some(&alice),
            Some(&sub(volume(46.0, 7.0, 0.01, (0.0, 120.0), (0, 60)), false)),
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
    let (st, v) = s.call(Method::GET, "/no/such/route", Some(&alice), None).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{v}");
    assert!(v["message"].as_str().is_some());
    let (st, v) = s.call(Method::PATCH, &path, Some(&alice), None).await;
    assert_eq!(st, StatusCode::METHOD_NOT_ALLOWED, "{v}");
    assert!(v["message"].as_str().is_some());

    assert_eq!(s.counts().await, (0, 0, 0), "no bad request may change the store");
    // And the good one still works.
    let (st, v) = s.call(Method::PUT, &path, Some(&alice), Some(&good())).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
}

#[tokio::test]
async fn bad_query_strings_get_json_400s() {
    let s = TestServer::start().await;
    let token = s.token("alice", &["deconflict.hotline", "deconflict.audit.read", "deconflict.tracks.read"]);
    for path in [
        "/v1/inbox?limit=many",
        "/v1/audit?after=-1",
        "/v1/alerts?own=maybe",
        "/v1/lines/x/checks?limit=x",
        "/v1/events/stream?after=z",
    ] {
        let (st, v) = s.call(Method::GET, path, Some(&token), None).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{path}: {v}");
        let msg = v["message"].as_str().unwrap_or_else(|| panic!("{path}: no JSON message in {v}"));
        assert!(msg.starts_with("invalid query string"), "{path}: {msg}");
    }
}
