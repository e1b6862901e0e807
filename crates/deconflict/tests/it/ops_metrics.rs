//! The operations gauges of a real server process (its own metrics recorder,
//! so no other test's server writes them): state is changed over HTTP and
//! `/metrics` follows, read by polling with a deadline; the scrape passes
//! `promtool check metrics`.

use std::io::Write as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{BIN, KillOnDrop, free_port, run, spawn_listening, stdout};

fn serve(data: &Path, port: u16, sbs: u16) -> Child {
    spawn_listening(
        Command::new(BIN)
            .args(["serve", "--dev", "--listen", &format!("127.0.0.1:{port}"), "--coord-interval-ms", "50"])
            // No sealing during the test: its events stay pending, which is the seal lag.
            .args(["--seal-interval-ms", "3600000", "--scan-interval-ms", "100", "--track-stale-s", "600"])
            .args(["--sbs-listen", &format!("127.0.0.1:{sbs}=radar"), "--data-dir"])
            .arg(data),
        port,
    )
}

fn token(data: &Path, sub: &str, scope: &str) -> String {
    let data = data.to_str().unwrap();
    stdout(&run(&["token", "--sub", sub, "--scope", scope, "--aud", "127.0.0.1", "--data-dir", data]))
        .trim()
        .to_owned()
}

struct Api {
    rt: tokio::runtime::Runtime,
    http: reqwest::Client,
    base: String,
}

impl Api {
    fn call(&self, method: reqwest::Method, path: &str, token: &str, body: Option<Value>) -> (u16, Value) {
        self.rt.block_on(async {
            let mut req = self.http.request(method, format!("{}{path}", self.base)).bearer_auth(token);
            if let Some(b) = body {
                req = req.json(&b);
            }
            let resp = req.send().await.unwrap();
            let status = resp.status().as_u16();
            (status, resp.json().await.unwrap_or(Value::Null))
        })
    }

    fn metrics(&self, token: &str) -> String {
        self.rt.block_on(async {
            let resp =
                self.http.get(format!("{}/metrics", self.base)).bearer_auth(token).send().await.unwrap();
            resp.text().await.unwrap()
        })
    }

    /// Polls `/metrics` until `series` (a name with its labels) has a value
    /// satisfying `ok`; returns the scrape.
    fn wait_for(&self, token: &str, series: &str, ok: impl Fn(f64) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let text = self.metrics(token);
            let value = text
                .lines()
                .find_map(|l| l.strip_prefix(series).and_then(|rest| rest.strip_prefix(' ')))
                .and_then(|v| v.trim().parse::<f64>().ok());
            if value.is_some_and(&ok) {
                return text;
            }
            assert!(Instant::now() < deadline, "{series} is {value:?}:\n{text}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

#[test]
fn the_operations_gauges_follow_lines_acknowledgements_tracks_and_the_seal_lag() {
    let dir = tempfile::tempdir().unwrap();
    let (port, sbs) = (free_port(), free_port());
    let _server = KillOnDrop(serve(dir.path(), port, sbs));
    server::net::tls::install_crypto_provider();
    let api = Api {
        rt: tokio::runtime::Runtime::new().unwrap(),
        http: reqwest::Client::new(),
        base: format!("http://127.0.0.1:{port}"),
    };
    let admin = token(dir.path(), "admin", "deconflict.admin");
    let alpha = token(dir.path(), "alpha", "deconflict.hotline deconflict.tracks.write");
    let bravo = token(dir.path(), "bravo", "deconflict.hotline");
    use reqwest::Method;
    for name in ["alpha", "bravo"] {
        let (st, v) = api.call(
            Method::PUT,
            &format!("/v1/parties/{name}"),
            &admin,
            Some(json!({ "display_name": name })),
        );
        assert_eq!(st, 201, "{v}");
    }
    // Urgent messages are due in a second; the first check comes 10 s after
    // the line is made, and fails a second later: the line is dead.
    let policy =
        json!({ "ack_deadline_s": { "urgent": 1 }, "liveness_interval_s": 10, "liveness_deadline_s": 1 });
    let line = json!({ "name": "A-B", "parties": ["alpha", "bravo"], "policy": policy });
    let (st, v) = api.call(Method::PUT, "/v1/lines/ab", &admin, Some(line));
    assert_eq!(st, 201, "{v}");
    let (st, sent) = api.call(
        Method::POST,
        "/v1/lines/ab/messages",
        &alpha,
        Some(json!({ "priority": "urgent", "text": "hold" })),
    );
    assert_eq!(st, 201, "{sent}");
    let track = json!({ "id": "A1", "lat": 46.0, "lon": 7.0, "alt_ft": 3000.0, "alt_ref": "geometric",
        "gs_kt": 100.0, "trk_deg": 90.0, "vs_fpm": 0.0 });
    let (st, v) = api.call(Method::POST, "/v1/tracks", &alpha, Some(json!({ "tracks": [track] })));
    assert_eq!(st, 200, "{v}");

    api.wait_for(&admin, "deconflict_source_tracks{source=\"api\"}", |v| v == 1.0);
    let text = api.wait_for(&admin, "deconflict_hotline_awaiting_ack", |v| v == 1.0);
    assert!(
        text.contains(&format!("deconflict_source_tracks{{source=\"sbs-listen 127.0.0.1:{sbs}=radar\"}} 0")),
        "a configured source with no tracks shows 0:\n{text}"
    );
    assert!(text.contains("deconflict_alerts_active"), "{text}");
    api.wait_for(&admin, "deconflict_hotline_overdue_acks", |v| v == 1.0);
    api.wait_for(&admin, "deconflict_audit_unsealed", |v| v >= 4.0);
    api.wait_for(&admin, "deconflict_audit_unsealed_age_seconds", |v| v > 0.0);
    api.wait_for(&admin, "deconflict_lines{state=\"active\"}", |v| v == 1.0);
    api.wait_for(&admin, "deconflict_lines{state=\"dead\"}", |v| v == 1.0);
    api.wait_for(&admin, "deconflict_lines{state=\"active\"}", |v| v == 0.0);

    let id = sent["id"].as_str().unwrap();
    let (st, v) = api.call(
        Method::POST,
        &format!("/v1/messages/{id}/ack"),
        &bravo,
        Some(json!({ "operator": "Lt B" })),
    );
    assert_eq!(st, 200, "{v}");
    api.wait_for(&admin, "deconflict_hotline_overdue_acks", |v| v == 0.0);
    let text = api.wait_for(&admin, "deconflict_hotline_awaiting_ack", |v| v == 0.0);
    promtool_check(&text);
}

fn promtool_check(text: &str) {
    let spawned = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) if std::env::var("CI").is_ok_and(|v| v == "true") => panic!("promtool is required in CI: {e}"),
        Err(e) => return eprintln!("SKIPPED: promtool check metrics ({e})"),
    };
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics:\n{}{}\n{text}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
