//! Completions, man page and version, generated from the parsed definition.

use std::process::Command;

use super::{BIN, run, stdout};

#[test]
fn completions_cover_every_command_and_are_valid_bash() {
    let script = stdout(&run(&["completions", "bash"]));
    for word in ["serve", "token", "intent", "completions", "--data-dir", "--config"] {
        assert!(script.contains(word), "bash completions lack {word}");
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("deconflict.bash");
    std::fs::write(&file, &script).unwrap();
    match Command::new("bash").arg("-n").arg(&file).output() {
        Ok(out) => assert!(out.status.success(), "bash -n: {}", String::from_utf8_lossy(&out.stderr)),
        Err(e) => println!("skipped: the bash syntax check (no bash: {e})"),
    }
    for shell in ["zsh", "fish"] {
        assert!(stdout(&run(&["completions", shell])).contains("deconflict"), "{shell}");
    }
    let out = Command::new(BIN).args(["completions", "tcsh"]).output().unwrap();
    assert!(
        !out.status.success() && String::from_utf8_lossy(&out.stderr).contains("bash"),
        "names the shells"
    );
}

#[test]
fn the_man_page_has_a_page_per_command_and_the_version_names_the_commit() {
    let man = stdout(&run(&["man"]));
    assert!(man.starts_with(".ie") || man.contains(".TH deconflict 1"), "{}", &man[..man.len().min(200)]);
    for page in [".TH deconflict 1", ".TH deconflict-serve 1", ".TH deconflict-token 1"] {
        assert!(man.contains(page), "missing {page}");
    }
    assert!(man.contains("data\\-dir"), "flags are documented");
    let version = stdout(&run(&["--version"]));
    let commit = version.split('(').nth(1).and_then(|s| s.split(')').next()).unwrap_or_default();
    let hex = commit.trim_end_matches("-modified");
    assert!(hex == "unknown" || (hex.len() == 12 && hex.chars().all(|c| c.is_ascii_hexdigit())), "{version}");
}
