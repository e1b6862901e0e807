//! `deconflict backup` while the server writes, `deconflict restore` into a
//! new data directory, and the restored server's audit chain verifies with
//! the original key.

use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use super::{BIN, fetch, file_example_intents, free_port, run, spawn_listening, stdout};

fn serve(data: &Path, port: u16) -> Child {
    spawn_listening(
        Command::new(BIN)
            .args([
                "serve",
                "--dev",
                "--allow-http-base-urls",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--data-dir",
            ])
            .arg(data),
        port,
    )
}

fn stop(mut child: Child) {
    child.kill().unwrap();
    child.wait().unwrap();
}

/// An alpha token (strategic coordination, its audit slice) from the key in `data`.
pub(super) fn token(data: &Path) -> String {
    let scopes = "utm.strategic_coordination deconflict.audit.read";
    let data = data.to_str().unwrap();
    stdout(&run(&["token", "--sub", "alpha", "--scope", scopes, "--aud", "127.0.0.1", "--data-dir", data]))
        .trim()
        .to_owned()
}

#[test]
fn a_backup_taken_online_restores_into_a_server_whose_audit_log_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let (original, copy, restored) = (dir.path().join("a"), dir.path().join("backup"), dir.path().join("c"));
    let port = free_port();
    let server = serve(&original, port);
    let base = format!("http://127.0.0.1:{port}");
    let tok = token(&original);
    file_example_intents(&base, &tok, &[]);
    let url = format!("{base}/v1/audit");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !fetch(&url, Some(&tok)).contains("intent.created") {
        assert!(Instant::now() < deadline, "nothing sealed");
        std::thread::sleep(Duration::from_millis(100));
    }
    let key: serde_json::Value = serde_json::from_str(&fetch(&format!("{base}/v1/audit/key"), None)).unwrap();
    let hex = key["public_key_hex"].as_str().unwrap().to_owned();
    let before = stdout(&run(&["audit", "verify", &url, "--token", &tok, "--trusted-key", &hex]));

    // Online: the server is still running.
    let out = stdout(&run(&["backup", copy.to_str().unwrap(), "--data-dir", original.to_str().unwrap()]));
    assert!(out.contains("backed up") && out.contains("audit key"), "{out}");
    let again =
        Command::new(BIN).args(["backup"]).arg(&copy).arg("--data-dir").arg(&original).output().unwrap();
    assert!(!again.status.success(), "a backup never goes into an existing directory");
    stop(server);

    run(&["restore", copy.to_str().unwrap(), "--data-dir", restored.to_str().unwrap()]);
    let twice =
        Command::new(BIN).args(["restore"]).arg(&copy).arg("--data-dir").arg(&restored).output().unwrap();
    assert!(!twice.status.success(), "a restore never overwrites a store");
    assert!(String::from_utf8_lossy(&twice.stderr).contains("already holds a store"));

    let port = free_port();
    let server = serve(&restored, port);
    let base = format!("http://127.0.0.1:{port}");
    let tok = token(&restored);
    let listed = stdout(&run(&[
        "intent", "list", "--lat", "46.96", "--lng", "7.44", "--server", &base, "--token", &tok,
    ]));
    assert!(listed.lines().any(|l| l.contains("alpha")), "the intent came back: {listed}");
    let url = format!("{base}/v1/audit");
    let after = stdout(&run(&["audit", "verify", &url, "--token", &tok, "--trusted-key", &hex]));
    stop(server);
    assert!(after.starts_with("OK: chain of"), "{after}");
    let length = |report: &str| report.split_whitespace().nth(3).and_then(|n| n.parse::<u64>().ok());
    assert!(
        length(&after) >= length(&before),
        "the restored chain holds what was verified before: {before} / {after}"
    );
}
