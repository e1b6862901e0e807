//! The deployment files in `deploy/`, checked as far as this machine allows:
//! the systemd unit by `systemd-analyze verify`; the container image and the
//! compose file (no container engine here) by what they must say.

use std::path::PathBuf;
use std::process::Command;

use super::BIN;

fn deploy(file: &str) -> (PathBuf, String) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../deploy").join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (path, text)
}

#[test]
fn the_systemd_unit_verifies_and_is_hardened() {
    let (_, unit) = deploy("systemd/deconflict.service");
    for setting in [
        "DynamicUser=yes",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "StateDirectory=deconflict",
        "CapabilityBoundingSet=",
    ] {
        assert!(unit.lines().any(|l| l.trim() == setting), "the unit lacks {setting}");
    }
    // The unit names the installed binary; verify a copy pointing at the one just built.
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("deconflict.service");
    std::fs::write(&copy, unit.replace("/usr/local/bin/deconflict", BIN)).unwrap();
    match Command::new("systemd-analyze").arg("verify").arg(&copy).output() {
        Ok(out) => {
            let report =
                format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            let ours: Vec<&str> = report.lines().filter(|l| l.contains("deconflict.service")).collect();
            assert!(out.status.success() && ours.is_empty(), "systemd-analyze verify:\n{report}");
        }
        Err(e) => eprintln!("SKIPPED: systemd-analyze verify ({e})"),
    }
}

#[test]
fn the_image_runs_only_the_binary_as_an_unprivileged_user() {
    let (_, file) = deploy("container/Containerfile");
    let stages = file.lines().filter(|l| l.starts_with("FROM ")).count();
    assert_eq!(stages, 2, "a build stage and a run stage");
    let run_stage = file.rsplit("\nFROM ").next().unwrap_or_default();
    let user = run_stage.lines().find_map(|l| l.strip_prefix("USER ")).expect("the run stage sets USER");
    assert!(!user.starts_with('0') && !user.starts_with("root"), "USER {user}");
    assert!(
        run_stage.contains("COPY --from=build /deconflict /usr/local/bin/deconflict"),
        "only the binary is copied"
    );
    assert!(!run_stage.contains("COPY . "), "no sources in the run stage");
}

#[test]
fn compose_runs_two_replicas_over_one_postgres() {
    let (_, file) = deploy("compose.yml");
    for service in ["  db:", "  replica-a:", "  replica-b:"] {
        assert!(file.lines().any(|l| l == service), "compose lacks {service}");
    }
    assert!(file.contains("dockerfile: deploy/container/Containerfile"), "replicas build the image");
    assert!(file.contains("condition: service_healthy"), "replicas wait for the database");
    assert!(file.contains("DECONF_STORE: postgres://"), "replicas share the database");
    assert!(file.contains("${DECONF_PG_PASSWORD:?"), "no password is committed");
}
