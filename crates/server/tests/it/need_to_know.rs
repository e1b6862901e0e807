//! Need-to-know over HTTP, with a matrix of three parties: Alice and Bob file
//! overlapping operations, Carol files one far away and a constraint over part
//! of Alice's area. Each (viewer, owner) pair sees exactly what the rule in
//! `deconflict_core::visibility` allows, and the F3548 API is unchanged.

use chrono::{DateTime, Utc};
use geom::{Footprint, LatLng, Polygon};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::*;

const OPS: &str = "/v1/operations";

fn t(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap().with_timezone(&Utc)
}

/// Start and end of a filed F3548 volume.
fn window(vol: &Value) -> (DateTime<Utc>, DateTime<Utc>) {
    (t(&vol["time_start"]["value"]), t(&vol["time_end"]["value"]))
}

fn ring_area(ring: &Value) -> f64 {
    let vertices: Vec<LatLng> = ring
        .as_array()
        .unwrap()
        .iter()
        .map(|p| LatLng::new(p["lat"].as_f64().unwrap(), p["lng"].as_f64().unwrap()).unwrap())
        .collect();
    Footprint::Polygon(Polygon::new(vertices).unwrap()).area_m2()
}

fn parts_area(parts: &Value) -> f64 {
    parts.as_array().unwrap().iter().flat_map(|p| p["polygons"].as_array().unwrap()).map(ring_area).sum()
}

fn box_area(lat0: f64, lng0: f64, lat1: f64, lng1: f64) -> f64 {
    let p = |a: f64, b: f64| LatLng::new(a, b).unwrap();
    Footprint::Polygon(
        Polygon::new(vec![p(lat0, lng0), p(lat0, lng1), p(lat1, lng1), p(lat1, lng0)]).unwrap(),
    )
    .area_m2()
}

/// Every key anywhere in a JSON value.
fn keys(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                out.push(k.clone());
                keys(x, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| keys(x, out)),
        _ => {}
    }
}

struct Party {
    name: &'static str,
    token: String,
    id: String,
    volume: Value,
}

async fn file(s: &TestServer, name: &'static str, volume: Value, key: &[&str]) -> (Party, String) {
    let token = s.token(name, &[SC]);
    let id = new_id();
    let (st, r) = s
        .call(Method::PUT, &format!("{OIR}/{id}"), Some(&token), Some(&intent(name, volume.clone(), key)))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{name}: {r}");
    let ovn = r["operational_intent_reference"]["ovn"].as_str().unwrap().to_owned();
    let details = json!({ "purpose": format!("{name}'s secret purpose"), "contact": format!("tel:{name}") });
    let (st, d) = s.call(Method::PUT, &format!("{OPS}/{id}/details"), Some(&token), Some(&details)).await;
    assert_eq!(st, StatusCode::OK, "{name}: {d}");
    assert_eq!(d["purpose"], format!("{name}'s secret purpose"));
    (Party { name, token, id, volume }, ovn)
}

async fn query(s: &TestServer, token: &str) -> Vec<Value> {
    let body = json!({ "area": volume(46.0, 7.0, 0.2, (0.0, 3000.0), (0, 240)) });
    let (st, r) = s.call(Method::POST, &format!("{OPS}/query"), Some(token), Some(&body)).await;
    assert_eq!(st, StatusCode::OK, "{r}");
    r["operations"].as_array().unwrap().clone()
}

fn find<'a>(ops: &'a [Value], id: &str) -> Option<&'a Value> {
    ops.iter().find(|o| o["id"] == id)
}

/// A part as seen by `viewer` of `owner`'s operation: exactly one, with the
/// expected altitudes, times and area, a contact and nothing private.
fn check_part(
    seen: &Value,
    owner: &Party,
    alt: (f64, f64),
    time: (DateTime<Utc>, DateTime<Utc>),
    area_m2: f64,
) {
    assert_eq!(seen["own"], false, "{seen}");
    assert_eq!(seen["manager"], owner.name);
    assert_eq!(seen["state"], "Accepted");
    assert_eq!(seen["contact"], format!("tel:{}", owner.name));
    assert!(seen.get("volumes").is_none() && seen.get("purpose").is_none(), "{seen}");
    let parts = seen["parts"].as_array().unwrap();
    assert_eq!(parts.len(), 1, "{seen}");
    let p = &parts[0];
    assert_eq!((p["altitude_lower_m"].as_f64().unwrap(), p["altitude_upper_m"].as_f64().unwrap()), alt);
    assert_eq!((t(&p["time_start"]), t(&p["time_end"])), time);
    let got = parts_area(&seen["parts"]);
    assert!((got - area_m2).abs() / area_m2 < 1e-6, "area {got} vs {area_m2}");
}

#[tokio::test]
async fn three_party_need_to_know_matrix() {
    let s = TestServer::start().await;
    // Alice: 45.99..46.01 × 6.99..7.01, 0..120 m, now..+120 min.
    let (alice, a_ovn) = file(&s, "alice", volume(46.0, 7.0, 0.01, (0.0, 120.0), (0, 120)), &[]).await;
    // Bob: 46.00..46.02 × 6.99..7.01, 100..300 m, +60..+180 min; overlaps Alice.
    let (bob, _) = file(&s, "bob", volume(46.01, 7.0, 0.01, (100.0, 300.0), (60, 180)), &[&a_ovn]).await;
    // Carol: far away, and a constraint over Alice's south-west corner.
    let (carol, _) = file(&s, "carol", volume(46.15, 7.15, 0.01, (0.0, 120.0), (0, 120)), &[]).await;
    let sub_volume = volume(45.995, 6.995, 0.004, (50.0, 60.0), (0, 180));
    let body = json!({ "extents": [sub_volume], "uss_base_url": "http://carol.example" });
    let cm = s.token("carol", &[CM]);
    let (st, r) = s.call(Method::PUT, &format!("{CR}/{}", new_id()), Some(&cm), Some(&body)).await;
    assert_eq!(st, StatusCode::CREATED, "{r}");

    let (a_t, b_t, sub_t) = (window(&alice.volume), window(&bob.volume), window(&sub_volume));
    let overlap =
        |x: (DateTime<Utc>, DateTime<Utc>), y: (DateTime<Utc>, DateTime<Utc>)| (x.0.max(y.0), x.1.min(y.1));
    let ab_area = box_area(46.0, 6.99, 46.01, 7.01);
    let sub_area = box_area(45.991, 6.991, 45.999, 6.999);

    let seen_by_alice = query(&s, &alice.token).await;
    let seen_by_bob = query(&s, &bob.token).await;
    let seen_by_carol = query(&s, &carol.token).await;

    // Everyone sees their own in full: the filed volume, purpose and contact.
    for (p, seen) in [(&alice, &seen_by_alice), (&bob, &seen_by_bob), (&carol, &seen_by_carol)] {
        let own = find(seen, &p.id).unwrap_or_else(|| panic!("{} misses its own", p.name));
        assert_eq!(own["own"], true);
        assert_eq!(own["purpose"], format!("{}'s secret purpose", p.name));
        assert_eq!(own["contact"], format!("tel:{}", p.name));
        assert!(own.get("parts").is_none());
        let vols = own["volumes"].as_array().unwrap();
        assert_eq!(vols.len(), 1);
        // (serde_json parses without round-trip precision: compare to 1e-9°.)
        let (got, sent) = (
            &vols[0]["volume"]["outline_polygon"]["vertices"],
            &p.volume["volume"]["outline_polygon"]["vertices"],
        );
        let (got, sent) = (got.as_array().unwrap(), sent.as_array().unwrap());
        assert_eq!(got.len(), sent.len());
        for (g, e) in got.iter().zip(sent) {
            for k in ["lat", "lng"] {
                assert!((g[k].as_f64().unwrap() - e[k].as_f64().unwrap()).abs() < 1e-9, "{g} vs {e}");
            }
        }
        assert_eq!(window(&vols[0]), window(&p.volume));
    }

    // Alice sees Bob only as the overlap, and vice versa.
    check_part(find(&seen_by_alice, &bob.id).unwrap(), &bob, (100.0, 120.0), overlap(a_t, b_t), ab_area);
    check_part(find(&seen_by_bob, &alice.id).unwrap(), &alice, (100.0, 120.0), overlap(a_t, b_t), ab_area);
    // Carol sees Alice clipped to her constraint, and nothing of Bob.
    check_part(find(&seen_by_carol, &alice.id).unwrap(), &alice, (50.0, 60.0), overlap(a_t, sub_t), sub_area);
    assert!(find(&seen_by_carol, &bob.id).is_none());
    // Nobody else sees anything of Carol.
    assert!(find(&seen_by_alice, &carol.id).is_none() && find(&seen_by_bob, &carol.id).is_none());
    assert_eq!((seen_by_alice.len(), seen_by_bob.len(), seen_by_carol.len()), (2, 2, 2));

    // No OVN ever, and no other party's purpose anywhere in the answers.
    for (viewer, seen) in [(&alice, &seen_by_alice), (&bob, &seen_by_bob), (&carol, &seen_by_carol)] {
        let text = Value::Array(seen.clone()).to_string();
        for other in [&alice, &bob, &carol].into_iter().filter(|p| p.name != viewer.name) {
            assert!(
                !text.contains(&format!("{}'s secret", other.name)),
                "{} saw {}'s purpose",
                viewer.name,
                other.name
            );
        }
        let mut k = Vec::new();
        keys(&Value::Array(seen.clone()), &mut k);
        assert!(!k.iter().any(|k| k.contains("ovn")), "{k:?}");
    }

    // GET of each (viewer, owner) pair agrees with the query; invisible is a
    // 404 indistinguishable from a missing id.
    let missing = new_id();
    let (st, nf) = s.call(Method::GET, &format!("{OPS}/{missing}"), Some(&alice.token), None).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let nf_message = nf["message"].as_str().unwrap().replace(&missing, "ID");
    let all = [(&alice, &seen_by_alice), (&bob, &seen_by_bob), (&carol, &seen_by_carol)];
    for (viewer, seen) in all {
        for owner in [&alice, &bob, &carol] {
            let (st, got) =
                s.call(Method::GET, &format!("{OPS}/{}", owner.id), Some(&viewer.token), None).await;
            match find(seen, &owner.id) {
                Some(expected) => {
                    assert_eq!(st, StatusCode::OK, "{} → {}: {got}", viewer.name, owner.name);
                    assert_eq!(&got, expected);
                }
                None => {
                    assert_eq!(st, StatusCode::NOT_FOUND, "{} → {}: {got}", viewer.name, owner.name);
                    assert_eq!(got["message"].as_str().unwrap().replace(&owner.id, "ID"), nf_message);
                }
            }
        }
    }

    // Only the owner sets details; sizes are bounded.
    let details = json!({ "purpose": "hijack", "contact": "tel:mallory" });
    for (viewer, owner) in [(&bob, &alice), (&carol, &alice), (&alice, &bob)] {
        let (st, r) = s
            .call(Method::PUT, &format!("{OPS}/{}/details", owner.id), Some(&viewer.token), Some(&details))
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{r}");
    }
    let too_long = json!({ "purpose": "x".repeat(2049), "contact": "" });
    let (st, r) = s
        .call(Method::PUT, &format!("{OPS}/{}/details", alice.id), Some(&alice.token), Some(&too_long))
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{r}");
    let too_long = json!({ "purpose": "", "contact": "x".repeat(257) });
    let (st, r) = s
        .call(Method::PUT, &format!("{OPS}/{}/details", alice.id), Some(&alice.token), Some(&too_long))
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{r}");
    let (_, a) = s.call(Method::GET, &format!("{OPS}/{}", alice.id), Some(&alice.token), None).await;
    assert_eq!(a["purpose"], "alice's secret purpose", "refused writes changed nothing");

    // The F3548 reference is untouched: Carol still reads Bob's reference as
    // the standard requires (OVN hidden, no details).
    let (st, r) = s.call(Method::GET, &format!("{OIR}/{}", bob.id), Some(&carol.token), None).await;
    assert_eq!(st, StatusCode::OK, "{r}");
    let oir = &r["operational_intent_reference"];
    assert_eq!(oir["id"], bob.id.as_str());
    assert_eq!(oir["manager"], "bob");
    assert_eq!(oir["ovn"], "Available from USS");
    assert!(oir.get("contact").is_none() && oir.get("purpose").is_none());
}

#[tokio::test]
async fn scopes_and_bad_input() {
    let s = TestServer::start().await;
    let (alice, _) = file(&s, "alice", volume(46.0, 7.0, 0.01, (0.0, 120.0), (0, 120)), &[]).await;
    let body = json!({ "area": volume(46.0, 7.0, 0.05, (0.0, 3000.0), (0, 240)) });
    // The native read scope reads; it does not write details.
    let reader = s.token("alice", &["deconflict.operations.read"]);
    let (st, r) = s.call(Method::POST, &format!("{OPS}/query"), Some(&reader), Some(&body)).await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["operations"][0]["id"], alice.id.as_str());
    let (st, _) = s
        .call(
            Method::PUT,
            &format!("{OPS}/{}/details", alice.id),
            Some(&reader),
            Some(&json!({"contact": "x"})),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    // Conformance monitoring reads too; constraint processing does not.
    let cmsa = s.token("alice", &[CMSA]);
    let (st, _) = s.call(Method::GET, &format!("{OPS}/{}", alice.id), Some(&cmsa), None).await;
    assert_eq!(st, StatusCode::OK);
    let cp = s.token("alice", &[CP]);
    let (st, _) = s.call(Method::POST, &format!("{OPS}/query"), Some(&cp), Some(&body)).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = s.call(Method::POST, &format!("{OPS}/query"), None, Some(&body)).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    // Malformed requests are 400s naming the problem.
    let (st, r) = s.call(Method::POST, &format!("{OPS}/query"), Some(&alice.token), Some(&json!({}))).await;
    assert_refused(st, &r, StatusCode::BAD_REQUEST, "area");
    let (st, _) = s.call(Method::GET, &format!("{OPS}/not-a-uuid"), Some(&alice.token), None).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    let typo = json!({ "purpse": "x" });
    let (st, r) =
        s.call(Method::PUT, &format!("{OPS}/{}/details", alice.id), Some(&alice.token), Some(&typo)).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{r}");
    let (st, _) = s
        .call(Method::PUT, &format!("{OPS}/{}/details", new_id()), Some(&alice.token), Some(&json!({})))
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
}
