//! A real scrape of `/metrics`: every family described, durations as
//! histograms, the build info present, and `promtool check metrics` clean.

use std::io::Write as _;
use std::process::{Command, Stdio};

use reqwest::Method;
use server::metrics::{CATALOG, Kind};

use crate::common::*;

/// The `# TYPE` lines of a scrape: (name, type).
fn families(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|rest| rest.split_once(' '))
        .map(|(name, kind)| (name.to_owned(), kind.to_owned()))
        .collect()
}

#[tokio::test]
async fn a_scrape_describes_every_family_and_passes_promtool() {
    let s = TestServer::start().await;
    server::metrics::set_build_info("0.0.0-test", "abc123");
    let id = new_id();
    let (_, r) = s.put_intent(&format!("{OIR}/{id}"), "alice", here(), &[]).await;
    assert!(r["operational_intent_reference"].is_object(), "{r}");
    let (_, _) = s.call(Method::GET, "/v1/no-such-route", None, None).await;
    let text = s.metrics().await;

    let found = families(&text);
    assert!(found.len() >= 3, "{text}");
    for (name, kind) in &found {
        let described = CATALOG.iter().find(|d| d.name == name.as_str());
        let d =
            described.unwrap_or_else(|| panic!("{name} is published but not in server::metrics::CATALOG"));
        let expected = match d.kind {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        };
        assert_eq!(kind, expected, "{name}");
        assert!(text.contains(&format!("# HELP {name} ")), "{name} has no help text");
    }
    assert!(
        found.iter().any(|(n, k)| n == "deconflict_http_request_duration_seconds" && k == "histogram"),
        "request latency is a histogram: {text}"
    );
    assert!(text.contains("deconflict_http_request_duration_seconds_bucket{"), "{text}");
    assert!(text.contains("deconflict_build_info{") && text.contains("commit=\"abc123\""), "{text}");

    match Command::new("promtool").args(["check", "metrics"]).stdin(Stdio::piped()).output_with(&text) {
        Ok((ok, report)) => assert!(ok, "promtool check metrics:\n{report}\n{text}"),
        Err(e) if std::env::var("CI").is_ok_and(|v| v == "true") => panic!("promtool is required in CI: {e}"),
        Err(e) => eprintln!("SKIPPED: promtool check metrics ({e})"),
    }
}

/// Runs a command with `input` on stdin: (success, stdout + stderr).
trait OutputWith {
    fn output_with(&mut self, input: &str) -> std::io::Result<(bool, String)>;
}

impl OutputWith for Command {
    fn output_with(&mut self, input: &str) -> std::io::Result<(bool, String)> {
        let mut child = self.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
        child.stdin.take().ok_or_else(|| std::io::Error::other("no stdin"))?.write_all(input.as_bytes())?;
        let out = child.wait_with_output()?;
        let report =
            format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        Ok((out.status.success(), report))
    }
}

/// The metric names a deployment file uses (`deconflict_...`, histogram
/// series suffixes removed).
fn names_used(text: &str) -> Vec<String> {
    let mut names: Vec<String> = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| w.starts_with("deconflict_"))
        .map(|w| w.trim_end_matches("_bucket").trim_end_matches("_sum").trim_end_matches("_count").to_owned())
        .collect();
    names.sort();
    names.dedup();
    names
}

#[test]
fn the_alert_rules_and_the_dashboard_use_only_published_metrics() {
    let deploy = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy");
    let rules = deploy.join("prometheus/alerts.yml");
    let dashboard = std::fs::read_to_string(deploy.join("grafana/deconflict.json")).unwrap();
    let parsed: serde_json::Value = serde_json::from_str(&dashboard).unwrap();
    assert!(parsed["panels"].as_array().is_some_and(|p| p.len() >= 6), "the dashboard has panels");
    let rules_text = std::fs::read_to_string(&rules).unwrap();
    for (file, text) in [("alerts.yml", &rules_text), ("deconflict.json", &dashboard)] {
        let used = names_used(text);
        assert!(used.len() >= 5, "{file} uses {used:?}");
        for name in used {
            assert!(
                CATALOG.iter().any(|d| d.name == name),
                "{file} uses {name}, which the server does not publish"
            );
        }
    }
    match Command::new("promtool").arg("check").arg("rules").arg(&rules).output() {
        Ok(out) => assert!(
            out.status.success(),
            "promtool check rules: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) if std::env::var("CI").is_ok_and(|v| v == "true") => panic!("promtool is required in CI: {e}"),
        Err(e) => eprintln!("SKIPPED: promtool check rules ({e})"),
    }
}
