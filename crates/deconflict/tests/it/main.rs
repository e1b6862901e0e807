//! End-to-end tests of the `deconflict` binary: the demo, and a real server
//! process driven by the CLI, including a kill -9 in the middle of writing.
#![allow(clippy::unwrap_used)]

mod bench_load;

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

mod backends;
mod backup;
mod bench_pg;
mod blind_cli;
mod blind_map;
mod browser;
mod deploy;
mod docs;
mod intent_cli;
mod logs;
mod native_cli;
mod ops_metrics;
mod pg_dump;
mod settings;

const BIN: &str = env!("CARGO_BIN_EXE_deconflict");

fn run(args: &[&str]) -> Output {
    let out = Command::new(BIN).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "deconflict {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The example intents file of the repository.
const EXAMPLE_INTENTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/intents.geojson");

/// `deconflict intent file` of [`EXAMPLE_INTENTS`] as Alpha
/// (`http://alpha.example`) to the server at `base` with `token`, then the
/// `extra` arguments; checks that it succeeds.
fn file_example_intents(base: &str, token: &str, extra: &[&str]) -> Output {
    let args = ["intent", "file", EXAMPLE_INTENTS, "--server", base, "--token", token];
    run(&[&args[..], &["--uss-base-url", "http://alpha.example"], extra].concat())
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Starts `cmd` (a `deconflict serve`, logging warnings only, output
/// discarded) and waits until it accepts connections on `port`.
fn spawn_listening(cmd: &mut Command, port: u16) -> Child {
    let child = cmd.env("DECONF_LOG", "warn").stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

/// A server process killed when dropped, so a failing test leaves none behind.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(dir: &Path, port: u16) -> Self {
        let child = spawn_listening(
            Command::new(BIN)
                .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--dev", "--allow-http-base-urls"])
                .arg("--store")
                .arg(format!("sqlite:{}", dir.join("db.sqlite").display()))
                .arg("--dev-key")
                .arg(dir.join("dev.pem"))
                .arg("--audit-key")
                .arg(dir.join("audit.pem")),
            port,
        );
        let base = format!("http://127.0.0.1:{port}");
        Self { child, base }
    }

    /// The CLI arguments that reach this server with `token`.
    fn conn<'a>(&'a self, token: &'a str) -> [&'a str; 4] {
        ["--server", &self.base, "--token", token]
    }

    fn kill9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn token(dir: &Path, sub: &str) -> String {
    token_with(dir, sub, "utm.strategic_coordination")
}

/// A development token of `sub` with `scope`.
fn token_with(dir: &Path, sub: &str, scope: &str) -> String {
    let key = dir.join("dev.pem");
    let out = run(&[
        "token",
        "--sub",
        sub,
        "--scope",
        scope,
        "--aud",
        "127.0.0.1",
        "--dev-key",
        key.to_str().unwrap(),
    ]);
    stdout(&out).trim().to_owned()
}

#[test]
fn demo_plays_the_scenario() {
    let out = run(&["demo", "--once"]);
    let text = stdout(&out);
    for expected in [
        "late = true",
        "refused 409",
        "Available from USS",
        "-> 201; must notify",
        "line thread: [urgent] from deconflict: CONFLICT",
        "purpose hidden",
        "acknowledged at",
        "by Maj. Keller",
        "overdue = true, escalations = 1",
        "check result: passed (exercise: true)",
        "[  alpha] loss_of_separation alert (new)",
        "[  bravo] loss_of_separation alert (new)",
        "[charlie] no alert (not involved)",
        "[  bravo] blind operation refused 409",
        "[  bravo] filed with alpha's OVN: 1 match(es)",
        "[  alpha] decoded a matched token locally: H3 cell",
        "[charlie] asks for the line's blind state: 403",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    assert_eq!(text.matches("verified: chain of").count(), 3, "{text}");
    assert!(!text.contains("SHOWN (bug)"), "{text}");
    assert!(text.trim_end().ends_with("demo finished"), "{text}");
}

#[test]
fn file_list_delete_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), free_port());
    let tok = token(dir.path(), "alpha");
    let conn = server.conn(&tok);
    let filed = stdout(&file_example_intents(&server.base, &tok, &[]));
    assert!(filed.starts_with("survey-north\tfiled\tid="), "{filed}");
    let listed = intents(&conn, "46.96", "7.44");
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["manager"], "alpha", "{listed:?}");
    let id = listed[0]["id"].as_str().unwrap();
    let ovn = listed[0]["ovn"].as_str().unwrap();
    // The export is what the party sees, in the format `intent file` reads.
    let out_file = dir.path().join("export.geojson");
    run(&[
        &["intent", "export", "--lat", "46.96", "--lng", "7.44", "--out", out_file.to_str().unwrap()][..],
        &conn,
    ]
    .concat());
    let exported: serde_json::Value = serde_json::from_slice(&std::fs::read(&out_file).unwrap()).unwrap();
    let features = exported["features"].as_array().unwrap();
    assert_eq!(features.len(), 2, "{exported}");
    assert!(features.iter().all(|f| f["properties"]["intent"] == id && f["properties"]["own"] == true));
    assert_eq!(features[0]["geometry"]["type"], "Polygon", "{exported}");
    assert_eq!(features[1]["properties"]["radius_m"], 800.0, "{exported}");
    assert_eq!(features[0]["properties"]["altitude_upper_m"], 650.0, "{exported}");
    // A second party filing over it without the key is refused, and the CLI says why.
    let tok_b = token(dir.path(), "bravo");
    let out = Command::new(BIN)
        .args([
            "intent",
            "file",
            EXAMPLE_INTENTS,
            "--server",
            &server.base,
            "--token",
            &tok_b,
            "--uss-base-url",
            "http://bravo.example",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let text = stdout(&out);
    assert!(text.contains("refused with 409 Conflict") && text.contains(id), "{text}");
    run(&[&["intent", "delete", "--id", id, "--ovn", ovn][..], &conn].concat());
    assert!(intents(&conn, "46.96", "7.44").is_empty());
    let human = stdout(&run(&[&["intent", "list", "--lat", "46.96", "--lng", "7.44"][..], &conn].concat()));
    assert_eq!(human, "no intents\n");
}

#[test]
fn acknowledged_intents_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let server = Server::start(dir.path(), port);
    let tok = token(dir.path(), "alpha");
    let conn = server.conn(&tok);
    // File intents one by one (each acknowledged before the next), far apart.
    let mut acknowledged = Vec::new();
    for i in 0..20 {
        let path = dir.path().join(format!("i{i}.geojson"));
        let lat = 30.0 + f64::from(i);
        std::fs::write(&path, format!(r#"{{"type":"Feature","properties":{{"radius_m":300,"altitude_lower_m":0,"altitude_upper_m":100,"time_start":"2030-01-01T00:00:00Z","time_end":"2030-01-01T01:00:00Z"}},"geometry":{{"type":"Point","coordinates":[7.0,{lat}]}}}}"#)).unwrap();
        let out = stdout(&run(&[
            &["intent", "file", path.to_str().unwrap()][..],
            &conn,
            &["--uss-base-url", "http://alpha.example"],
        ]
        .concat()));
        let id = out.split("id=").nth(1).unwrap().split('\t').next().unwrap().to_owned();
        acknowledged.push((id, lat));
    }
    server.kill9();
    let server = Server::start(dir.path(), port);
    let conn = server.conn(&tok);
    for (id, lat) in &acknowledged {
        let listed = stdout(&run(&[
            &["intent", "list", "--lat", &lat.to_string(), "--lng", "7.0", "--radius-m", "1000"][..],
            &conn,
        ]
        .concat()));
        assert!(listed.contains(id.as_str()), "intent {id} lost after kill -9: {listed}");
    }
}

/// The intents `intent list --json` prints around a point.
fn intents(conn: &[&str], lat: &str, lng: &str) -> Vec<serde_json::Value> {
    let out = stdout(&run(&[&["intent", "list", "--json", "--lat", lat, "--lng", lng][..], conn].concat()));
    let body: serde_json::Value = serde_json::from_str(&out).unwrap();
    body["operational_intent_references"].as_array().unwrap().clone()
}

fn fetch(url: &str, token: Option<&str>) -> String {
    fetch_status(url, token).1
}

/// `GET url` with an optional bearer token: the status and the body.
fn fetch_status(url: &str, token: Option<&str>) -> (u16, String) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        server::net::tls::install_crypto_provider();
        let mut req = reqwest::Client::new().get(url);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.unwrap();
        (resp.status().as_u16(), resp.text().await.unwrap())
    })
}

#[test]
fn audit_verify_checks_an_export_offline_and_names_the_broken_entry() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), free_port());
    let tok = token_with(dir.path(), "alpha", "utm.strategic_coordination deconflict.audit.read");
    file_example_intents(&server.base, &tok, &[]);
    // A second intent over the first (with its key), so the log spans several pages below.
    let conn = server.conn(&tok);
    let ovn = intents(&conn, "46.96", "7.44")[0]["ovn"].as_str().unwrap().to_owned();
    file_example_intents(&server.base, &tok, &["--key", &ovn]);
    // The server seals every 200 ms; wait until both creations are in the log.
    let url = format!("{}/v1/audit", server.base);
    let deadline = Instant::now() + Duration::from_secs(20);
    let export = loop {
        let text = fetch(&url, Some(&tok));
        if text.matches("intent.created").count() >= 2 {
            break text;
        }
        assert!(Instant::now() < deadline, "nothing sealed: {text}");
        std::thread::sleep(Duration::from_millis(100));
    };
    let key: serde_json::Value =
        serde_json::from_str(&fetch(&format!("{}/v1/audit/key", server.base), None)).unwrap();
    let hex = key["public_key_hex"].as_str().unwrap().to_owned();

    // Straight from the server, then from a file, with the trusted key.
    let ok = stdout(&run(&["audit", "verify", &url, "--token", &tok, "--trusted-key", &hex]));
    assert!(ok.starts_with("OK: chain of"), "{ok}");
    // Page by page (one entry per request here): the same chain, all of it.
    let paged =
        stdout(&run(&["audit", "verify", &url, "--token", &tok, "--trusted-key", &hex, "--page-size", "1"]));
    assert_eq!(paged, ok, "paging verifies the same whole chain");
    assert!(
        export.lines().filter(|l| l.contains("\"type\":\"link\"")).count() > 1,
        "more than one page: {export}"
    );
    let file = dir.path().join("alpha-audit.jsonl");
    std::fs::write(&file, &export).unwrap();
    let ok = stdout(&run(&["audit", "verify", file.to_str().unwrap(), "--trusted-key", &hex]));
    assert!(ok.starts_with("OK: chain of"), "{ok}");

    // Someone edits the entry recording the creation: verification fails there.
    let line = export.lines().find(|l| l.contains("intent.created")).unwrap();
    let seq = serde_json::from_str::<serde_json::Value>(line).unwrap()["seq"].as_u64().unwrap();
    std::fs::write(&file, export.replace(line, &line.replace("alpha", "mallory"))).unwrap();
    let out = Command::new(BIN)
        .args(["audit", "verify", file.to_str().unwrap(), "--trusted-key", &hex])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("entry {seq}: content does not match its hash")), "{err}");

    // A key that did not sign the log is refused.
    let other = audit::ServiceKey::generate().unwrap().public_key().to_hex();
    let out = Command::new(BIN)
        .args(["audit", "verify", &url, "--token", &tok, "--trusted-key", &other])
        .output()
        .unwrap();
    assert!(!out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("untrusted key"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA and a server certificate for 127.0.0.1 in `dir`: (ca.pem, cert, key).
fn certificates(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap().signed_by(&key, &ca).unwrap();
    let paths = (dir.join("ca.pem"), dir.join("server.crt"), dir.join("server.key"));
    std::fs::write(&paths.0, ca.pem()).unwrap();
    std::fs::write(&paths.1, cert.pem()).unwrap();
    std::fs::write(&paths.2, key.serialize_pem()).unwrap();
    paths
}

#[test]
fn the_cli_talks_to_an_https_server_it_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = certificates(dir.path());
    let port = free_port();
    let mut child = spawn_listening(
        Command::new(BIN)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--dev", "--store", "memory"])
            .arg("--dev-key")
            .arg(dir.path().join("dev.pem"))
            .arg("--audit-key")
            .arg(dir.path().join("audit.pem"))
            .arg("--tls-cert")
            .arg(&cert)
            .arg("--tls-key")
            .arg(&key),
        port,
    );
    let base = format!("https://127.0.0.1:{port}");
    let tok = token(dir.path(), "alpha");
    let list = ["intent", "list", "--lat", "46.96", "--lng", "7.44", "--server", &base, "--token", &tok];
    let ok = Command::new(BIN).args(list).arg("--ca-file").arg(&ca).output().unwrap();
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    // Without the CA the CLI refuses the server's certificate.
    let refused = Command::new(BIN).args(list).output().unwrap();
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr).to_lowercase();
    assert!(err.contains("certificate") || err.contains("error sending request"), "{err}");
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn plain_http_is_refused_off_loopback_outside_development() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["serve", "--listen", "0.0.0.0:0", "--store", "memory"])
        .arg("--audit-key")
        .arg(dir.path().join("audit.pem"))
        .arg("--public-key")
        .arg(dir.path().join("missing.pem"))
        .env("DECONF_LOG", "warn")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("refusing to serve plain HTTP") && err.contains("--tls-cert"), "{err}");
}

#[test]
fn sigterm_with_an_open_event_stream_exits_within_the_grace() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = Server::start(dir.path(), port);
    let tok = token(dir.path(), "alpha");
    // An event stream held open, as a browser or a command post would.
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    use std::io::{Read as _, Write as _};
    write!(stream, "GET /v1/events/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {tok}\r\n\r\n")
        .unwrap();
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).unwrap();
    assert_eq!(&head, b"HTTP/1.1 200", "the stream is open");
    let pid = server.child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    // Wait for the exit on another thread, so a hang fails the test instead of blocking it.
    let (tx, rx) = std::sync::mpsc::channel();
    let mut child = std::mem::replace(&mut server.child, Command::new("true").spawn().unwrap());
    std::thread::spawn(move || {
        let _ = tx.send(child.wait());
    });
    let status = rx.recv_timeout(Duration::from_secs(15)).expect("no exit after SIGTERM").unwrap();
    assert!(status.success(), "a clean exit: {status:?}");
}

/// A head-on encounter at FL300 near the equator, both reported every 4 s
/// for a minute, as the replay CSV.
fn encounter_csv() -> String {
    let mut text = String::from("timestamp_utc,icao24,callsign,lat,lon,alt_ft,gs_kt,trk_deg,vs_fpm\n");
    for i in 0..15 {
        let t = 4 * i;
        let d = 400.0 / 3600.0 * f64::from(t) / 60.0;
        text.push_str(&format!(
            "2024-01-01T12:00:{t:02}Z,aaaaaa,EAST1,0.0,{:.5},30000,400,90,0\n",
            -0.25 + d
        ));
        text.push_str(&format!("2024-01-01T12:00:{t:02}Z,bbbbbb,,0.0,{:.5},30000,400,270,\n", 0.25 - d));
    }
    text
}

#[test]
fn tactical_replay_prints_each_transition_and_the_alert_statistics() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("encounter.csv");
    std::fs::write(&plain, encounter_csv()).unwrap();
    let gz = dir.path().join("encounter.csv.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut enc, encounter_csv().as_bytes()).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();

    let mut outputs = Vec::new();
    for input in [&plain, &gz] {
        let out = run(&["tactical", "replay", "--input", input.to_str().unwrap()]);
        let csv = stdout(&out);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 3, "{csv}");
        assert_eq!(lines[0], "time,id_a,id_b,state,t_los_s,d_cpa_nm");
        // Confirmed on the second report of each, 4 s after the first; ended once the tracks expire.
        assert!(lines[1].starts_with("2024-01-01T12:00:04Z,AAAAAA,BBBBBB,new,"), "{csv}");
        assert!(lines[2].contains(",AAAAAA,BBBBBB,ended,"), "{csv}");
        let fields: Vec<&str> = lines[1].split(',').collect();
        let (t_los, d_cpa): (f64, f64) = (fields[4].parse().unwrap(), fields[5].parse().unwrap());
        assert!(t_los > 30.0 && d_cpa < 0.1, "{csv}");
        let summary = String::from_utf8_lossy(&out.stderr).into_owned();
        for want in ["reports=30 ", "aircraft=2 ", "recorded_s=56 ", "alerts=1 ", "pairs=1 ", "late=0 "] {
            assert!(summary.contains(want), "missing {want:?} in {summary}");
        }
        outputs.push(csv);
    }
    assert_eq!(outputs[0], outputs[1], "gzip or not, the same recording plays the same");

    // A bad line names itself and plays nothing; a missing file names the file.
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "timestamp_utc,icao24,callsign,lat,lon,alt_ft,gs_kt,trk_deg,vs_fpm\n2024-01-01T12:00:00Z,a,,91,0,0,0,0,0\n").unwrap();
    for (input, want) in [(bad, "line 2:"), (dir.path().join("missing.csv"), "missing.csv")] {
        let out = Command::new(BIN).args(["tactical", "replay", "--input"]).arg(&input).output().unwrap();
        assert!(!out.status.success());
        assert!(out.stdout.is_empty(), "{}", stdout(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want), "{want:?} in {err}");
    }
}

/// `GET` a JSON document with a bearer token.
fn fetch_json(url: &str, token: &str) -> serde_json::Value {
    let text = fetch(url, Some(token));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

#[test]
fn tactical_replay_feeds_a_running_server_at_the_chosen_speed() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("encounter.csv");
    std::fs::write(&input, encounter_csv()).unwrap();
    let port = free_port();
    let server = Server::start(dir.path(), port);
    let tok = token_with(dir.path(), "feeder", "deconflict.tracks.write deconflict.tracks.read");
    let before = chrono::Utc::now();
    // 56 recorded seconds at 4× (one POST per recorded second).
    let out = run(&[
        "tactical",
        "replay",
        "--input",
        input.to_str().unwrap(),
        "--server",
        &server.base,
        "--token",
        &tok,
        "--speed",
        "4",
    ]);
    assert!(out.stdout.is_empty(), "nothing on stdout when feeding a server: {}", stdout(&out));

    // Both aircraft are the feeder's live tracks, their times shifted to now.
    let tracks = fetch_json(&format!("{}/v1/tracks", server.base), &tok);
    let tracks = tracks["tracks"].as_array().unwrap_or_else(|| panic!("{tracks}"));
    let mut ids: Vec<String> = tracks.iter().map(|t| t["id"].as_str().unwrap().to_uppercase()).collect();
    ids.sort();
    assert_eq!(ids, ["AAAAAA", "BBBBBB"], "{tracks:?}");
    for t in tracks {
        let time = chrono::DateTime::parse_from_rfc3339(t["time"].as_str().unwrap()).unwrap();
        assert!(time >= before, "report times are shifted to the wall clock: {t}");
        assert_eq!(t["alt_ft"], 30_000.0, "{t}");
    }

    // The head-on pair becomes a loss-of-separation alert the feeder sees
    // (its own two tracks); scans run on their own clock, so poll.
    let deadline = Instant::now() + Duration::from_secs(30);
    let alert = loop {
        let body = fetch_json(&format!("{}/v1/alerts", server.base), &tok);
        let found = body["alerts"]
            .as_array()
            .unwrap_or_else(|| panic!("{body}"))
            .iter()
            .find(|a| a["kind"] == "loss_of_separation")
            .cloned();
        if let Some(a) = found {
            break a;
        }
        assert!(Instant::now() < deadline, "no alert from the replayed encounter: {body}");
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut pair: Vec<String> = alert["tracks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            assert_eq!(t["party"], "feeder", "{alert}");
            t["id"].as_str().unwrap().to_uppercase()
        })
        .collect();
    pair.sort();
    assert_eq!(pair, ["AAAAAA", "BBBBBB"], "{alert}");
    assert!(alert["d_cpa_m"].as_f64().unwrap() < 200.0, "head on: {alert}");

    // A speed that is not a positive number is refused before anything is sent.
    let bad = Command::new(BIN)
        .args(["tactical", "replay", "--input"])
        .arg(&input)
        .args(["--server", &server.base, "--token", &tok, "--speed", "0"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("--speed"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
}
