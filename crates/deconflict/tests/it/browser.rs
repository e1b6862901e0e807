//! The web map in a real headless Chromium: starts `deconflict serve --dev`
//! on a loopback port and runs `web/test/browser.mjs` (playwright-core)
//! against it. Without node, Chromium or `web/node_modules` it prints
//! "skipped", except under CI=true, where it fails.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{Server, free_port};

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

#[test]
fn the_web_map_in_headless_chromium() {
    let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web");
    let chromium =
        std::env::var_os("CHROMIUM").map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    if let Some(why) = missing(&web, &chromium) {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "the browser tests must run in CI: {why}");
        println!("skipped: browser tests ({why})");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), free_port());
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser");
    let out = Command::new("node")
        .arg(web.join("test/browser.mjs"))
        .arg(&server.base)
        .arg(&shots)
        .env("CHROMIUM", &chromium)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    println!("{text}\nscreenshots in {}", shots.display());
    assert!(out.status.success(), "browser tests failed:\n{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains(" passed, 0 failed"), "{text}");
}
