//! Smoke test of `deconflict bench load` against a real server process: a
//! short sweep of two levels runs the whole F3548 mix, reports every
//! operation with its statuses, and leaves nothing behind. Figures are only
//! printed; nothing here depends on how fast the machine is.

use crate::{Server, free_port, run, stdout, token_with};

#[test]
fn bench_load_drives_the_mix_and_cleans_up() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), free_port());
    let key = dir.path().join("dev.pem");
    let out = run(&[
        "bench",
        "load",
        "--target",
        &server.base,
        "--concurrency",
        "1,2",
        "--duration",
        "1.5",
        "--warmup",
        "0.2",
        "--parties",
        "2",
        "--dev-key",
        key.to_str().unwrap(),
    ]);
    let text = stdout(&out);
    println!("{text}");
    assert_eq!(text.matches("durable creates/s").count(), 2, "one report per level:\n{text}");
    for op in ["create", "update", "query", "delete", "subscribe"] {
        assert!(text.lines().any(|l| l.trim_start().starts_with(op)), "no {op} line in:\n{text}");
    }
    let creates = text.lines().find(|l| l.trim_start().starts_with("create")).unwrap();
    assert!(creates.contains("201: "), "no create succeeded: {creates}");
    assert!(text.contains("transport errors 0"), "{text}");
    assert!(text.contains("knee: concurrency"), "{text}");
    // Each client deletes what it still holds when its level ends.
    let operator = token_with(dir.path(), "ops", "deconflict.admin");
    let health = crate::fetch(&format!("{}/healthz", server.base), Some(&operator));
    let v: serde_json::Value = serde_json::from_str(&health).unwrap();
    assert_eq!(
        (v["operational_intents"].as_u64(), v["subscriptions"].as_u64()),
        (Some(0), Some(0)),
        "{health}"
    );
}
