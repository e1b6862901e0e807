//! The PostgreSQL backup procedure of the README, run as written: a server
//! fills a scratch schema, `pg_dump` dumps it, the original is set aside,
//! `pg_restore` brings the schema back, and a server on the restored schema
//! (with the audit key kept beside the dump) serves the same intents, takes
//! new writes, and its audit chain verifies with the original key.
//! Skipped without `DECONF_TEST_PG_URL` or `pg_dump`, except under `CI=true`.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use store_postgres::ScratchSchema;

use super::backup::token;
use super::{BIN, KillOnDrop, fetch, free_port, run, spawn_listening, stdout};

fn skip(why: &str) {
    assert!(std::env::var("CI").map_or(true, |v| v != "true"), "required under CI=true: {why}");
    eprintln!("SKIPPED: {why} (a_pg_dump_restores_into_a_server_whose_audit_chain_verifies)");
}

/// `deconflict serve --store URL --pg-schema SCHEMA` (with the audit key
/// `audit_key`, else the data directory's), development tokens from `data`.
fn serve(url: &str, schema: &str, audit_key: Option<&Path>, data: &Path, port: u16) -> KillOnDrop {
    let mut cmd = Command::new(BIN);
    cmd.args(["serve", "--store", url, "--pg-schema", schema]);
    if let Some(key) = audit_key {
        cmd.arg("--audit-key").arg(key);
    }
    cmd.args(["--dev", "--allow-http-base-urls", "--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
        .arg(data);
    KillOnDrop(spawn_listening(&mut cmd, port))
}

fn file_intents(base: &str, tok: &str, geojson: &Path) {
    let geojson = geojson.to_str().unwrap();
    run(&[
        "intent",
        "file",
        geojson,
        "--server",
        base,
        "--token",
        tok,
        "--uss-base-url",
        "http://alpha.example",
    ]);
}

/// `audit verify` of the server at `base` once `created` intents are sealed
/// in its log; the chain's length.
fn verified_length(base: &str, tok: &str, key_hex: &str, created: usize) -> u64 {
    let url = format!("{base}/v1/audit");
    let deadline = Instant::now() + Duration::from_secs(20);
    while fetch(&url, Some(tok)).matches("\"intent.created\"").count() < created {
        assert!(Instant::now() < deadline, "{created} intents never sealed");
        std::thread::sleep(Duration::from_millis(100));
    }
    let report = stdout(&run(&["audit", "verify", &url, "--token", tok, "--trusted-key", key_hex]));
    assert!(report.starts_with("OK: chain of"), "{report}");
    report.split_whitespace().nth(3).and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("{report}"))
}

fn sh(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_pg_dump_restores_into_a_server_whose_audit_chain_verifies() {
    let Some(url) = std::env::var("DECONF_TEST_PG_URL").ok().filter(|u| !u.trim().is_empty()) else {
        return skip("DECONF_TEST_PG_URL not set");
    };
    if Command::new("pg_dump").arg("--version").output().is_err() {
        return skip("pg_dump not installed (Debian: postgresql-client)");
    }
    let dir = tempfile::tempdir().unwrap();
    let (data, restored_data, dump) =
        (dir.path().join("a"), dir.path().join("b"), dir.path().join("deconflict.dump"));
    let schema = ScratchSchema::create(&url, "deconf_dump").unwrap();
    // Where the original goes once dumped (dropped with everything in it at the end).
    let aside = ScratchSchema::create(&url, "deconf_dump_aside").unwrap();

    let port = free_port();
    let server = serve(&url, schema.name(), None, &data, port);
    let base = format!("http://127.0.0.1:{port}");
    let tok = token(&data);
    let example = Path::new(crate::EXAMPLE_INTENTS);
    file_intents(&base, &tok, example);
    // One intent per distinct `intent` name in the file.
    let features: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(example).unwrap()).unwrap();
    let mut names: Vec<&str> = features["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["properties"]["intent"].as_str())
        .collect();
    names.sort_unstable();
    names.dedup();
    let created = names.len();
    let key: serde_json::Value = serde_json::from_str(&fetch(&format!("{base}/v1/audit/key"), None)).unwrap();
    let hex = key["public_key_hex"].as_str().unwrap().to_owned();
    let before = verified_length(&base, &tok, &hex, created);
    drop(server);

    // The README's procedure.
    let dump_file = format!("--file={}", dump.display());
    sh(Command::new("pg_dump").args([
        "--format=custom",
        &format!("--schema={}", schema.name()),
        &dump_file,
        &url,
    ]));
    let kept_key = dir.path().join("deconflict-audit-key.pem");
    std::fs::copy(data.join("audit-key.pem"), &kept_key).unwrap();
    // The database loses the schema: the original is set aside (and dropped at the end).
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    admin
        .batch_execute(&format!(
            "DROP SCHEMA {aside}; ALTER SCHEMA {schema} RENAME TO {aside}",
            aside = aside.name(),
            schema = schema.name()
        ))
        .unwrap();
    sh(Command::new("pg_restore")
        .args(["--no-owner", "--exit-on-error", &format!("--dbname={url}")])
        .arg(&dump));

    let port = free_port();
    let server = serve(&url, schema.name(), Some(&kept_key), &restored_data, port);
    let base = format!("http://127.0.0.1:{port}");
    let tok = token(&restored_data);
    let after = verified_length(&base, &tok, &hex, created);
    assert!(after >= before, "the restored chain holds what was verified before: {before} / {after}");
    let listed = stdout(&run(&[
        "intent", "list", "--lat", "46.96", "--lng", "7.44", "--server", &base, "--token", &tok,
    ]));
    assert!(listed.lines().any(|l| l.contains("alpha")), "the intent came back: {listed}");
    // New writes continue the restored chain (sequences came back too).
    let more = dir.path().join("more.geojson");
    let feature = serde_json::json!({ "type": "FeatureCollection", "features": [{ "type": "Feature",
        "properties": { "intent": "after-restore", "altitude_lower_m": 100, "altitude_upper_m": 200,
            "time_start": "2030-07-01T08:00:00Z", "time_end": "2030-07-01T09:00:00Z" },
        "geometry": { "type": "Polygon",
            "coordinates": [[[8.0, 47.0], [8.02, 47.0], [8.02, 47.02], [8.0, 47.02], [8.0, 47.0]]] } }] });
    std::fs::write(&more, feature.to_string()).unwrap();
    file_intents(&base, &tok, &more);
    let grown = verified_length(&base, &tok, &hex, created + 1);
    drop(server);
    assert!(grown > after, "{after} / {grown}");
    drop(admin);
    schema.remove().unwrap();
    aside.remove().unwrap();
}
