//! `deconflict blind map` against a real server process: alpha and bravo on
//! a line file overlapping blind operations from the CLI; alpha's local map
//! decodes alpha's matched cells from alpha's data directory for alpha's
//! token only, and passes every other request, streams included, to the
//! service. The browser test (`browser.rs`) drives the same scene in Chromium.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{BIN, KillOnDrop, Server, fetch_status, free_port, run, spawn_listening, stdout, token_with};

/// Where alpha's and bravo's blind operations are (near Zürich, far from
/// the map's starting view at Bern).
pub(super) const ALPHA_AT: (f64, f64) = (47.3769, 8.5417);
const BRAVO_AT: (f64, f64) = (47.3773, 8.5436);

/// A running service with alpha's and bravo's matching blind operations.
pub(super) struct Scene {
    pub dir: tempfile::TempDir,
    pub server: Server,
    pub alpha: String,
    pub bravo: String,
    pub alpha_data: PathBuf,
    pub alpha_op: String,
    pub bravo_op: String,
}

fn feature((lat, lng): (f64, f64)) -> String {
    format!(
        r#"{{"type": "Feature", "properties": {{"intent": "blind", "radius_m": 200, "altitude_lower_m": 100,
          "altitude_upper_m": 200, "time_start": "2031-03-01T08:00:00Z", "time_end": "2031-03-01T09:00:00Z"}},
          "geometry": {{"type": "Point", "coordinates": [{lng}, {lat}]}}}}"#
    )
}

/// `blind file` of a circle at `at`; answers the operation's id and OVN.
pub(super) fn file(
    scene_dir: &Path,
    base: &str,
    token: &str,
    data: &Path,
    at: (f64, f64),
    key: &[&str],
) -> (String, String) {
    let path = scene_dir.join(format!("{}-{}.geojson", at.0, at.1));
    std::fs::write(&path, feature(at)).unwrap();
    let mut args =
        vec!["blind", "file", path.to_str().unwrap(), "--line", "ab", "--server", base, "--token", token];
    args.extend(["--data-dir", data.to_str().unwrap()]);
    for k in key {
        args.extend(["--key", k]);
    }
    let out = stdout(&run(&args));
    let id = out.split_whitespace().nth(3).unwrap().to_owned();
    let ovn = out.split("(OVN ").nth(1).unwrap().split(')').next().unwrap().to_owned();
    (id, ovn)
}

/// Parties alpha, bravo and charlie; line `ab` of alpha and bravo with an
/// epoch; alpha's operation and bravo's matching one (filed with alpha's OVN).
pub(super) fn scene() -> Scene {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), free_port());
    let base = server.base.clone();
    let admin = token_with(dir.path(), "admin", "deconflict.admin");
    let as_admin = ["--server", base.as_str(), "--token", admin.as_str()];
    for p in ["alpha", "bravo", "charlie"] {
        run(&[&["party", "put", p, "--display-name", p][..], &as_admin].concat());
    }
    run(&[&["line", "create", "ab", "--name", "AB", "--party", "alpha", "--party", "bravo"][..], &as_admin]
        .concat());
    let scopes = "deconflict.hotline";
    let (alpha, bravo) = (token_with(dir.path(), "alpha", scopes), token_with(dir.path(), "bravo", scopes));
    let (da, db) = (dir.path().join("alpha-data"), dir.path().join("bravo-data"));
    for (tok, data, steps) in [
        (&alpha, &da, &[&["blind", "keygen"][..], &["blind", "join", "--line", "ab"]][..]),
        (&bravo, &db, &[&["blind", "keygen"][..], &["blind", "join", "--line", "ab"]]),
        (&alpha, &da, &[&["blind", "rotate", "--line", "ab"][..]]),
    ] {
        for step in steps {
            run(&[step, &["--server", &base, "--token", tok, "--data-dir", data.to_str().unwrap()][..]]
                .concat());
        }
    }
    let (alpha_op, ovn) = file(dir.path(), &base, &alpha, &da, ALPHA_AT, &[]);
    let (bravo_op, _) = file(dir.path(), &base, &bravo, &db, BRAVO_AT, &[&ovn]);
    Scene { dir, server, alpha, bravo, alpha_data: da, alpha_op, bravo_op }
}

/// Alpha's local map on a free loopback port, stopped when dropped.
pub(super) struct LocalMap {
    _child: KillOnDrop,
    pub base: String,
}

pub(super) fn start_map(scene: &Scene) -> LocalMap {
    let port = free_port();
    let child = spawn_listening(
        Command::new(BIN)
            .args(["blind", "map", "--listen", &format!("127.0.0.1:{port}"), "--server", &scene.server.base])
            .args(["--token", &scene.alpha, "--data-dir"])
            .arg(&scene.alpha_data),
        port,
    );
    LocalMap { _child: KillOnDrop(child), base: format!("http://127.0.0.1:{port}") }
}

/// `GET url` with an optional token: status and JSON body.
fn get(url: &str, token: Option<&str>) -> (u16, serde_json::Value) {
    let (status, text) = fetch_status(url, token);
    (status, serde_json::from_str(&text).unwrap_or_else(|e| panic!("{url}: {e}: {text}")))
}

#[test]
fn the_local_map_decodes_for_its_party_only_and_passes_the_rest_on() {
    let scene = scene();
    let map = start_map(&scene);
    let local = format!("{}/local/blind", map.base);

    let (status, body) = get(&local, None);
    assert_eq!(status, 401, "{body}");
    let (status, body) = get(&local, Some(&scene.bravo));
    assert_eq!(status, 403, "{body}");
    assert!(body["message"].as_str().unwrap().contains("decodes for alpha only"), "{body}");
    // The service has no such path: only the party's own binary decodes.
    let (status, _) = get(&format!("{}/local/blind", scene.server.base), Some(&scene.alpha));
    assert_eq!(status, 404);

    let (status, view) = get(&local, Some(&scene.alpha));
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["party"], "alpha");
    let ops = view["operations"].as_array().unwrap();
    assert_eq!(ops.len(), 1, "{view}");
    assert_eq!(ops[0]["id"], scene.alpha_op.as_str());
    assert_eq!(ops[0]["recorded"], true);
    let centre = &ops[0]["volumes"][0]["volume"]["outline_circle"]["center"];
    assert_eq!(
        (centre["lat"].as_f64(), centre["lng"].as_f64()),
        (Some(ALPHA_AT.0), Some(ALPHA_AT.1)),
        "{view}"
    );
    let m = &view["matches"][0];
    assert_eq!(
        (m["other_party"].as_str(), m["other_operation"].as_str()),
        (Some("bravo"), Some(&*scene.bravo_op))
    );
    let places = m["places"].as_array().unwrap();
    assert_eq!(places.len(), m["my_tokens"].as_array().unwrap().len(), "{view}");
    assert_eq!(m["undecoded"], 0);
    for p in places {
        let outline = p["outline"].as_array().unwrap();
        assert!((5..=10).contains(&outline.len()), "{p}");
        // Each matched cell lies within a kilometre of the two operations.
        for v in outline {
            let (lat, lng) = (v["lat"].as_f64().unwrap(), v["lng"].as_f64().unwrap());
            assert!((lat - ALPHA_AT.0).abs() < 0.01 && (lng - ALPHA_AT.1).abs() < 0.015, "{p}");
        }
        assert!(p["time_start"].as_str().unwrap().starts_with("2031-03-01T0"), "{p}");
        let (lo, hi) = (p["altitude_lower_m"].as_f64().unwrap(), p["altitude_upper_m"].as_f64().unwrap());
        assert!(hi - lo == 50.0 && lo < 215.0 && hi > 85.0, "{p}");
    }

    // Another site's name pointed at loopback gets nothing, not even the service.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (status, body) = rt.block_on(async {
        let resp = reqwest::Client::new()
            .get(format!("{}/v1/blind/operations", map.base))
            .header("host", "rebound.example:8700")
            .bearer_auth(&scene.alpha)
            .send()
            .await
            .unwrap();
        (resp.status().as_u16(), resp.text().await.unwrap())
    });
    assert_eq!(status, 421, "{body}");
    assert!(body.contains("answers only as http://127.0.0.1:"), "{body}");

    // Other requests go to the service as they came, with the caller's token.
    let through = get(&format!("{}/v1/blind/operations", map.base), Some(&scene.alpha));
    let direct = get(&format!("{}/v1/blind/operations", scene.server.base), Some(&scene.alpha));
    assert_eq!(through, direct);
    assert_eq!(get(&format!("{}/v1/blind/operations", map.base), None).0, 401);
    let (status, body) = get(&format!("{}/v1/no-such-route", map.base), Some(&scene.alpha));
    assert_eq!(status, 404, "{body}");
    assert!(body["message"].as_str().unwrap().contains("/v1/no-such-route"), "{body}");

    // The event stream is streamed through: an event after connecting arrives.
    rt.block_on(async {
        let mut resp = reqwest::Client::new()
            .get(format!("{}/v1/events/stream", map.base))
            .bearer_auth(&scene.alpha)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["content-type"], "text/event-stream");
        let (id, _) =
            file(scene.dir.path(), &scene.server.base, &scene.alpha, &scene.alpha_data, (47.0, 8.0), &[]);
        let mut text = String::new();
        let read = async {
            while !(text.contains("event: blind.filed") && text.contains(&id)) {
                let chunk = resp.chunk().await.unwrap().expect("the stream ended");
                text.push_str(&String::from_utf8_lossy(&chunk));
            }
        };
        tokio::time::timeout(std::time::Duration::from_secs(30), read).await.expect("no blind.filed event");
    });
}

#[test]
fn the_local_map_listens_on_loopback_only() {
    let out = Command::new(BIN)
        .args([
            "blind",
            "map",
            "--listen",
            "0.0.0.0:8700",
            "--server",
            "http://127.0.0.1:9",
            "--token",
            "a.b.c",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("loopback address only"), "{err}");
}
