//! Blind operations from the command line against a real server process:
//! keys made and published, an epoch sealed, two overlapping operations
//! filed from GeoJSON, the refusal and the match decoded locally.

use std::path::Path;
use std::process::Command;

use super::{BIN, Server, free_port, run, stdout, token_with};

fn feature(lng: f64, lat: f64) -> String {
    format!(
        r#"{{"type": "Feature", "properties": {{"intent": "blind", "radius_m": 200, "altitude_lower_m": 100,
          "altitude_upper_m": 200, "time_start": "2031-03-01T08:00:00Z", "time_end": "2031-03-01T09:00:00Z"}},
          "geometry": {{"type": "Point", "coordinates": [{lng}, {lat}]}}}}"#
    )
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_owned()
}

/// A server with parties alpha and bravo on line `ab`, each with its own
/// data directory for its blind key and records.
struct Line {
    dir: tempfile::TempDir,
    server: Server,
    alpha: String,
    bravo: String,
    da: String,
    db: String,
}

impl Line {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let server = Server::start(dir.path(), free_port());
        let admin = token_with(dir.path(), "admin", "deconflict.admin");
        let as_admin = server.conn(&admin);
        for p in ["alpha", "bravo"] {
            run(&[&["party", "put", p, "--display-name", p][..], &as_admin].concat());
        }
        run(&[
            &["line", "create", "ab", "--name", "AB", "--party", "alpha", "--party", "bravo"][..],
            &as_admin,
        ]
        .concat());
        let data = |p: &str| dir.path().join(format!("{p}-data")).to_str().unwrap().to_owned();
        Line {
            alpha: token_with(dir.path(), "alpha", "deconflict.hotline"),
            bravo: token_with(dir.path(), "bravo", "deconflict.hotline"),
            da: data("alpha"),
            db: data("bravo"),
            server,
            dir,
        }
    }

    /// `deconflict ARGS` against the server as `tok`, with `data` as its data directory.
    fn output(&self, tok: &str, data: &str, args: &[&str]) -> std::process::Output {
        let conn = ["--server", self.server.base.as_str(), "--token", tok, "--data-dir", data];
        Command::new(BIN).args([args, &conn[..]].concat()).output().unwrap()
    }
}

#[test]
fn two_parties_file_blind_operations_and_decode_their_match_locally() {
    let line = Line::start();
    let (dir, base) = (&line.dir, line.server.base.as_str());
    let (alpha, bravo) = (line.alpha.clone(), line.bravo.clone());
    let (da, db) = (line.da.as_str(), line.db.as_str());
    let cli = |tok: &str, data: &str, args: &[&str]| {
        let out = line.output(tok, data, args);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        stdout(&out)
    };

    let out = cli(&alpha, da, &["blind", "keygen"]);
    assert!(out.starts_with("blind key in "), "{out}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(Path::new(da).join("blind-key")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // A second keygen refuses to overwrite the key.
    let again = Command::new(BIN).args(["blind", "keygen", "--data-dir", da]).output().unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("pass --force"), "{again:?}");
    cli(&bravo, db, &["blind", "keygen"]);
    cli(&alpha, da, &["blind", "join", "--line", "ab"]);
    let out = cli(&bravo, db, &["blind", "join", "--line", "ab"]);
    assert!(out.contains("alpha") && out.contains("bravo"), "{out}");
    let out = cli(&alpha, da, &["blind", "rotate", "--line", "ab"]);
    assert!(out.starts_with("line ab at epoch 1: key sealed to"), "{out}");

    let fa = write(dir.path(), "a.geojson", &feature(7.4512, 46.9487));
    let fb = write(dir.path(), "b.geojson", &feature(7.4531, 46.9491));
    let out = cli(&alpha, da, &["blind", "file", &fa, "--line", "ab"]);
    assert!(out.starts_with("filed blind operation ") && out.ends_with("0 match(es)\n"), "{out}");
    let ovn = out.split("(OVN ").nth(1).unwrap().split(')').next().unwrap().to_owned();
    let alpha_id = out.split_whitespace().nth(3).unwrap().to_owned();

    // Bravo without alpha's OVN: refused, told how many of its places conflict.
    let refused = Command::new(BIN)
        .args(["blind", "file", &fb, "--line", "ab", "--server", base, "--token", &bravo, "--data-dir", db])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("conflicts with alpha's blind operation") && err.contains("409"), "{err}");
    let out = cli(&bravo, db, &["blind", "file", &fb, "--line", "ab", "--key", &ovn]);
    assert!(out.ends_with("1 match(es)\n"), "{out}");

    // Each decodes its own matched tokens into H3 cells, slots and bands.
    for (tok, data) in [(&alpha, da), (&bravo, db)] {
        let table = cli(tok, data, &["blind", "matches"]);
        let rows: Vec<&str> = table.lines().collect();
        assert!(rows[0].starts_with("OPERATION"), "{table}");
        assert!(rows.len() > 1, "{table}");
        assert!(
            rows[1..].iter().all(|r| r.contains("2031-03-01T0") && r.contains(" m") && r.contains("89")),
            "{table}"
        );
    }
    // Bravo moves its operation away: updated, no match any more.
    let b_id = out.split_whitespace().nth(3).unwrap().to_owned();
    let far = write(dir.path(), "far.geojson", &feature(7.6012, 46.8014));
    let out = cli(&bravo, db, &["blind", "update", "--id", &b_id, &far, "--line", "ab"]);
    assert!(
        out.starts_with(&format!("updated blind operation {b_id}")) && out.ends_with("0 match(es)\n"),
        "{out}"
    );
    assert!(cli(&alpha, da, &["blind", "matches"]).contains("no matches"));

    // Exact geometry sealed to alpha, relayed, opened by alpha only.
    let out = cli(&bravo, db, &["blind", "send-geometry", &far, "--to", "alpha", "--line", "ab"]);
    assert!(out.starts_with("sent ") && out.contains("sealed to alpha"), "{out}");
    let got = cli(&alpha, da, &["blind", "received", "--line", "ab"]);
    assert!(got.starts_with("from bravo at ") && got.contains("[7.6012, 46.8014]"), "{got}");
    let out = cli(&alpha, da, &["blind", "end", &alpha_id]);
    assert!(out.ends_with(": ended\n"), "{out}");

    // The data never left: the SQLite files (database, and its WAL if any)
    // hold no coordinate and no private key, in hex or base64.
    let Line { server, dir, .. } = line;
    drop(server);
    let mut text = String::new();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap().to_string_lossy().starts_with("db.sqlite") {
            text.push_str(&String::from_utf8_lossy(&std::fs::read(&path).unwrap()));
        }
    }
    assert!(text.contains("blind_token"), "the files read are the store's");
    for c in ["7.4512", "46.9487", "7.4531", "46.9491", "7.6012", "46.8014"] {
        assert!(!text.contains(c), "the store holds {c}");
    }
    for data in [da, db] {
        use base64::Engine as _;
        let hex_key = std::fs::read_to_string(Path::new(data).join("blind-key")).unwrap().trim().to_owned();
        let bytes = audit::hex::decode_array::<32>(&hex_key).unwrap();
        for form in [hex_key.clone(), base64::engine::general_purpose::STANDARD.encode(bytes)] {
            assert!(!text.contains(&form), "the store holds a private key");
        }
    }
}

#[test]
fn a_damaged_blind_key_file_is_named_and_nothing_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    // Not hex, and hex one byte short: both refused before any request (no server listens on port 9).
    for text in ["not a key at all\n", &"ab".repeat(31)] {
        write(dir.path(), "blind-key", text);
        let out = Command::new(BIN)
            .args(["blind", "matches", "--data-dir", data, "--server", "http://127.0.0.1:9", "--token", "t"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && err.contains("not a blind key"), "{text:?}: {err}");
        assert!(!err.contains("127.0.0.1:9"), "it tried the server: {err}");
    }
}

/// The rotating party sets the token policy; the others' keys are pinned on
/// first use, and a key that changes (as a service swapping keys would make
/// it) is refused until the user trusts the new fingerprint.
#[test]
fn rotation_sets_the_policy_and_a_changed_key_is_refused_until_trusted() {
    let line = Line::start();
    let dir = &line.dir;
    let (alpha, bravo) = (line.alpha.clone(), line.bravo.clone());
    let (da, db) = (line.da.as_str(), line.db.as_str());
    let full = |tok: &str, data: &str, args: &[&str]| line.output(tok, data, args);
    let cli = |tok: &str, data: &str, args: &[&str]| stdout(&full(tok, data, args));
    cli(&alpha, da, &["blind", "keygen"]);
    cli(&bravo, db, &["blind", "keygen"]);
    cli(&alpha, da, &["blind", "join", "--line", "ab"]);
    let joined = full(&bravo, db, &["blind", "join", "--line", "ab"]);
    assert!(String::from_utf8_lossy(&joined.stderr).contains("pinned alpha's blind key"), "{joined:?}");

    // Alpha seals epoch 1 with coarser cells; bravo's filing uses them (its
    // envelope opens only under the policy alpha sealed it with).
    let rotated = full(
        &alpha,
        da,
        &["blind", "rotate", "--line", "ab", "--cell-resolution", "8", "--max-tokens", "4096"],
    );
    assert!(rotated.status.success(), "{rotated:?}");
    assert!(String::from_utf8_lossy(&rotated.stderr).contains("pinned bravo's blind key"), "{rotated:?}");
    let fb = write(dir.path(), "b.geojson", &feature(7.4531, 46.9491));
    let out = cli(&bravo, db, &["blind", "file", &fb, "--line", "ab"]);
    assert!(out.starts_with("filed blind operation "), "{out}");
    let id = out.split_whitespace().nth(3).unwrap();
    let record = std::fs::read_to_string(Path::new(db).join("blind-ops").join(format!("{id}.json"))).unwrap();
    assert!(record.contains("\"cell_resolution\":8") && record.contains("\"max_tokens\":4096"), "{record}");
    let pins = cli(&alpha, da, &["blind", "pins"]);
    assert!(pins.lines().nth(1).is_some_and(|l| l.starts_with("bravo")), "{pins}");

    // Bravo's key changes: alpha refuses to seal to it until told to trust it.
    cli(&bravo, db, &["blind", "keygen", "--force"]);
    let out = cli(&bravo, db, &["blind", "join", "--line", "ab"]);
    let fingerprint = out.split_whitespace().nth(2).unwrap().to_owned();
    let refused = full(&alpha, da, &["blind", "rotate", "--line", "ab"]);
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success() && err.contains("may be substituting keys"), "{err}");
    assert!(err.contains(&format!("deconflict blind trust bravo {fingerprint} --line ab")), "{err}");
    let wrong = full(&alpha, da, &["blind", "trust", "bravo", "0000-0000", "--line", "ab"]);
    assert!(
        !wrong.status.success() && String::from_utf8_lossy(&wrong.stderr).contains("not pinned"),
        "{wrong:?}"
    );
    let out = cli(&alpha, da, &["blind", "trust", "bravo", &fingerprint, "--line", "ab"]);
    assert_eq!(out, format!("pinned bravo's blind key {fingerprint}\n"));
    let out = cli(&alpha, da, &["blind", "rotate", "--line", "ab"]);
    assert!(out.starts_with("line ab at epoch 2"), "{out}");
    // The policy carries over a rotation that changes nothing.
    let out = cli(&bravo, db, &["blind", "file", &fb, "--line", "ab"]);
    let id = out.split_whitespace().nth(3).unwrap();
    let record = std::fs::read_to_string(Path::new(db).join("blind-ops").join(format!("{id}.json"))).unwrap();
    assert!(record.contains("\"cell_resolution\":8"), "{record}");

    // The service's word is never taken for one's own key: alpha's key
    // changes here but not on the line (as a service swapping it would
    // make it), and an envelope "from alpha" no longer opens for alpha,
    // nor will alpha seal a rotation to the listed key.
    cli(&alpha, da, &["blind", "keygen", "--force"]);
    let fa = write(dir.path(), "a.geojson", &feature(7.4512, 46.9487));
    for args in [&["blind", "file", fa.as_str(), "--line", "ab"][..], &["blind", "rotate", "--line", "ab"]] {
        let out = full(&alpha, da, args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && err.contains("for you (alpha) on line ab, not yours"),
            "{args:?}: {err}"
        );
    }
}
