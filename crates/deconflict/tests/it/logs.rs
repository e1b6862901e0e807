//! The access log says why a request was refused.

use std::io::BufRead as _;
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::{BIN, fetch, free_port};

#[test]
fn a_refusal_in_the_access_log_names_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = Command::new(BIN)
        .args(["serve", "--dev", "--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
        .arg(dir.path())
        .args(["--log-format", "json"])
        .env("DECONF_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let body = fetch(
        &format!("http://127.0.0.1:{port}/v1/operations/00000000-0000-4000-8000-000000000000"),
        Some("not-a-token"),
    );
    let line = loop {
        let line = rx.recv_timeout(Duration::from_secs(30)).expect("the access log line arrives");
        if line.contains("\"status\":401") {
            break line;
        }
    };
    child.kill().unwrap();
    child.wait().unwrap();
    reader.join().unwrap();
    let entry: serde_json::Value = serde_json::from_str(&line).unwrap();
    let reason = entry["fields"]["reason"].as_str().unwrap_or_default();
    let message = serde_json::from_str::<serde_json::Value>(&body).unwrap()["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        !reason.is_empty() && reason == message,
        "the log gives the reason the client got: {line} / {body}"
    );
}
