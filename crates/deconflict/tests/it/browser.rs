//! The web map in a real headless Chromium: starts `deconflict serve --dev`
//! (or `deconflict demo`, or a server and a party's `deconflict blind map`)
//! on loopback ports and runs `web/test/browser.mjs` (or `demo.mjs`, or
//! `blindmap.mjs`), driving Chromium with playwright-core, against it. Screenshots go to `target/tmp/browser/`. Without node, Chromium or
//! `web/node_modules` it prints "skipped", except under CI=true, where it fails.

use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::{BIN, Server, free_port};

/// Why the browser tests cannot run here, if they cannot.
fn missing(web: &Path, chromium: &Path) -> Option<String> {
    if Command::new("node").arg("--version").output().map(|o| !o.status.success()).unwrap_or(true) {
        return Some("node is not installed".into());
    }
    if !chromium.exists() {
        return Some(format!("{} does not exist (set CHROMIUM)", chromium.display()));
    }
    if !web.join("node_modules/playwright-core").exists() {
        return Some(format!("{} has no node_modules: run npm ci there", web.display()));
    }
    None
}

/// Where the web folder and Chromium are, or why the tests cannot run here.
fn tools() -> Option<(PathBuf, PathBuf)> {
    let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web");
    let chromium =
        std::env::var_os("CHROMIUM").map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    if let Some(why) = missing(&web, &chromium) {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "the browser tests must run in CI: {why}");
        println!("skipped: browser tests ({why})");
        return None;
    }
    Some((web, chromium))
}

/// Runs `web/test/SCRIPT` against `base` (and the `others` servers, with
/// `env`); fails unless every check passed.
fn run_script(web: &Path, chromium: &Path, script: &str, base: &str, others: &[&str], env: &[(&str, &str)]) {
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser");
    let out = Command::new("node")
        .arg(web.join("test").join(script))
        .arg(base)
        .arg(&shots)
        .args(others)
        .envs(env.iter().copied())
        .env("CHROMIUM", chromium)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    println!("{text}\nscreenshots in {}", shots.display());
    assert!(out.status.success(), "{script} failed:\n{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains(" passed, 0 failed"), "{text}");
}

#[test]
fn the_web_map_in_headless_chromium() {
    let Some((web, chromium)) = tools() else { return };
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), free_port());
    run_script(&web, &chromium, "browser.mjs", &server.base, &[], &[]);
}

/// Kills the demo when the test ends, passed or not.
struct Demo(std::process::Child);

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_demo_picture_in_headless_chromium() {
    let Some((web, chromium)) = tools() else { return };
    let listen = format!("127.0.0.1:{}", free_port());
    let mut demo =
        Demo(Command::new(BIN).args(["demo", "--listen", &listen]).stdout(Stdio::piped()).spawn().unwrap());
    let mut lines = std::io::BufReader::new(demo.0.stdout.take().unwrap()).lines();
    let mut base = None;
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix("server still running on ") {
            base = rest.split(';').next().map(str::to_owned);
            break;
        }
    }
    let base = base.expect("the demo says where its server runs");
    assert_eq!(base, format!("http://{listen}"));
    // The reader stays open until the demo is killed, so it never writes to a closed pipe.
    run_script(&web, &chromium, "demo.mjs", &base, &[], &[]);
    drop(demo);
    drop(lines);
}

#[test]
fn the_local_blind_map_in_headless_chromium() {
    let Some((web, chromium)) = tools() else { return };
    let scene = super::blind_map::scene();
    let map = super::blind_map::start_map(&scene);
    let (lat, lng) = super::blind_map::ALPHA_AT;
    let at = format!("{lat},{lng}");
    let env = [
        ("BLIND_ALPHA_OP", &*scene.alpha_op),
        ("BLIND_BRAVO_OP", &*scene.bravo_op),
        ("BLIND_ALPHA_AT", &*at),
    ];
    run_script(&web, &chromium, "blindmap.mjs", &scene.server.base, &[&map.base], &env);
}
