//! Changing intents by id from the command line, and re-filing a GeoJSON
//! file: update in place with the current OVN, activate, end, list filters.

use std::process::Command;

use serde_json::Value;

use super::{BIN, Server, free_port, intents, run, stdout, token};

fn api_get(url: &str, token: &str) -> Value {
    serde_json::from_str(&super::fetch(url, Some(token))).unwrap()
}

#[test]
fn refiling_updates_in_place_and_intents_change_by_id() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), free_port());
    let base = server.base.as_str();
    let alpha = token(dir.path(), "alpha");
    let bravo = token(dir.path(), "bravo");
    let conn = server.conn(&alpha);
    let example = crate::EXAMPLE_INTENTS;
    let file = |extra: &[&str]| {
        Command::new(BIN)
            .args(
                [&["intent", "file", example, "--uss-base-url", "http://alpha.example"][..], &conn, extra]
                    .concat(),
            )
            .output()
            .unwrap()
    };
    let first = file(&[]);
    assert!(first.status.success());
    let id = stdout(&first).split("id=").nth(1).unwrap().split('\t').next().unwrap().to_owned();
    let oir = |id: &str| api_get(&format!("{base}/dss/v1/operational_intent_references/{id}"), &alpha);
    let ovn1 = oir(&id)["operational_intent_reference"]["ovn"].as_str().unwrap().to_owned();

    // Re-filing the same file: a 409 on one's own intent, which the CLI explains...
    let again = file(&[]);
    assert!(!again.status.success());
    let text = stdout(&again);
    assert!(text.contains("refused with 409 Conflict"), "{text}");
    assert!(
        text.contains(&format!("missing key of intent {id}, which is yours")) && text.contains("--update"),
        "{text}"
    );
    // ...and with --update changes in place, with the current OVN.
    let updated = file(&["--update"]);
    assert!(updated.status.success(), "{}", String::from_utf8_lossy(&updated.stderr));
    let text = stdout(&updated);
    assert!(text.starts_with(&format!("survey-north\tupdated\tid={id}\tstate=Accepted\tovn=")), "{text}");
    let listed = intents(&conn, "46.96", "7.44");
    assert_eq!(listed.len(), 1, "still one intent: {listed:?}");
    let now = &oir(&id)["operational_intent_reference"];
    assert_ne!(now["ovn"], ovn1.as_str(), "a new version: {now}");
    assert_eq!(now["version"], 2, "{now}");

    // Activate by id: the volumes kept (read from the native API), the state changed.
    let out = stdout(&run(&[&["intent", "activate", "--id", &id][..], &conn].concat()));
    assert!(out.starts_with(&format!("{id}\tupdated\tid={id}\tstate=Activated\tovn=")), "{out}");
    assert_eq!(oir(&id)["operational_intent_reference"]["state"], "Activated");
    let volumes = api_get(&format!("{base}/v1/operations/{id}"), &alpha);
    assert_eq!(volumes["volumes"].as_array().map(Vec::len), Some(2), "{volumes}");

    // List filters: state, time window, own intents only.
    let listed = |extra: &[&str], who: &str| {
        let conn = ["--server", base, "--token", who];
        let out = stdout(&run(&[
            &["intent", "list", "--json", "--lat", "46.96", "--lng", "7.44"][..],
            &conn,
            extra,
        ]
        .concat()));
        let body: Value = serde_json::from_str(&out).unwrap();
        body["operational_intent_references"].as_array().unwrap().len()
    };
    assert_eq!(listed(&["--state", "activated"], &alpha), 1);
    assert_eq!(listed(&["--state", "accepted", "--state", "contingent"], &alpha), 0);
    assert_eq!(listed(&["--from", "2030-06-01T09:45:00Z"], &alpha), 1, "the circle lasts until 10:00");
    assert_eq!(listed(&["--from", "2030-06-01T10:30:00Z"], &alpha), 0);
    assert_eq!(listed(&["--to", "2030-06-01T07:00:00Z"], &alpha), 0);
    assert_eq!(listed(&[], &bravo), 1);
    assert_eq!(listed(&["--mine"], &bravo), 0);
    let human = stdout(&run(&[
        &["intent", "list", "--lat", "46.96", "--lng", "7.44", "--state", "activated"][..],
        &conn,
    ]
    .concat()));
    let rows: Vec<&str> = human.lines().collect();
    assert!(rows[0].starts_with("ID") && rows[0].contains("MANAGER  STATE"), "{human}");
    assert!(
        rows[1].starts_with(&id)
            && rows[1].contains("alpha    Activated  2030-06-01T08:00:00Z  2030-06-01T10:00:00Z"),
        "{human}"
    );
    let bad = Command::new(BIN)
        .args([&["intent", "list", "--lat", "1", "--lng", "1", "--from", "June"][..], &conn].concat())
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("RFC 3339"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );

    // Update by id with new volumes from a file (one intent in it).
    let circle = dir.path().join("circle.geojson");
    std::fs::write(&circle, r#"{"type":"Feature","properties":{"radius_m":500,"altitude_lower_m":500,"altitude_upper_m":600,"time_start":"2030-06-01T08:00:00Z","time_end":"2030-06-01T08:30:00Z"},"geometry":{"type":"Point","coordinates":[7.44,46.96]}}"#).unwrap();
    let out =
        stdout(&run(
            &[&["intent", "update", "--id", &id, circle.to_str().unwrap(), "--json"][..], &conn].concat()
        ));
    let answer: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(answer["operational_intent_reference"]["state"], "Activated", "the state is kept: {answer}");
    let volumes = api_get(&format!("{base}/v1/operations/{id}"), &alpha);
    assert_eq!(volumes["volumes"].as_array().map(Vec::len), Some(1), "{volumes}");
    let two = dir.path().join("two.geojson");
    let feature = |name: &str| {
        std::fs::read_to_string(&circle)
            .unwrap()
            .replace(r#""radius_m""#, &format!(r#""intent":"{name}","radius_m""#))
    };
    let collection =
        format!(r#"{{"type":"FeatureCollection","features":[{},{}]}}"#, feature("a"), feature("b"));
    std::fs::write(&two, collection).unwrap();
    let two = two.to_str().unwrap();
    let several = Command::new(BIN)
        .args([&["intent", "update", "--id", &id, two][..], &conn].concat())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&several.stderr);
    assert!(err.contains("holds 2 intents (a, b): choose one with --intent NAME"), "{err}");
    let chosen = [&["intent", "update", "--id", &id, two, "--intent", "b"][..], &conn].concat();
    assert!(stdout(&run(&chosen)).contains("\tupdated\t"));

    // Another party cannot change it; its manager ends it (a deletion, as in F3548).
    let as_bravo = server.conn(&bravo);
    let out =
        Command::new(BIN).args([&["intent", "end", "--id", &id][..], &as_bravo].concat()).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("only its manager can change it"), "{err}");
    assert_eq!(
        stdout(&run(&[&["intent", "end", "--id", &id][..], &conn].concat())),
        format!("deleted {id}\n")
    );
    assert!(intents(&conn, "46.96", "7.44").is_empty());
    let out =
        Command::new(BIN).args([&["intent", "delete", "--id", &id][..], &conn].concat()).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with(&format!("error: intent {id}: refused with 404 Not Found")), "{err}");
}

#[test]
fn a_large_file_is_filed_whole_with_one_line_per_intent() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), free_port());
    let alpha = token(dir.path(), "alpha");
    let conn = server.conn(&alpha);
    // 60 intents, 0.1° of latitude apart, none overlapping another.
    let features: Vec<String> = (0..60)
        .map(|i| {
            let lat = 40.0 + f64::from(i) / 10.0;
            format!(
                r#"{{"type":"Feature","properties":{{"intent":"op-{i}","radius_m":300,"altitude_lower_m":0,"altitude_upper_m":100,"time_start":"2030-01-01T00:00:00Z","time_end":"2030-01-01T01:00:00Z"}},"geometry":{{"type":"Point","coordinates":[7.0,{lat}]}}}}"#
            )
        })
        .collect();
    let path = dir.path().join("many.geojson");
    std::fs::write(&path, format!(r#"{{"type":"FeatureCollection","features":[{}]}}"#, features.join(",")))
        .unwrap();
    let out = run(&[&["intent", "file", path.to_str().unwrap()][..], &conn].concat());
    let text = stdout(&out);
    assert_eq!(text.lines().filter(|l| l.contains("\tfiled\tid=")).count(), 60, "{text}");
    assert!(text.lines().nth(59).is_some_and(|l| l.starts_with("op-59\tfiled")), "in file order: {text}");
    assert!(
        out.stderr.is_empty(),
        "no progress bar off a terminal: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(intents(&conn, "45.9", "7.0").len(), 1, "the intent at 45.9° is there");
}
