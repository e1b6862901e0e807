//! `deconflict demo`: starts a server on the embedded SQLite store (in a
//! temporary directory) and plays a scripted scenario between three parties,
//! printing what each one sees.
//!
//! Alpha and Bravo plan overlapping operations; Bravo is refused (409) until it
//! shows awareness of Alpha's operation with its OVN, which it learns from
//! Alpha directly (the USS-to-USS exchange F3548 prescribes). Charlie watches
//! the area with a subscription and is told of every change.

use std::path::Path;

use anyhow::{Context as _, bail};
use chrono::{Duration as ChronoDuration, SecondsFormat, Utc};
use clap::Args;
use serde_json::{Value, json};
use server::{Config, StoreSpec};

use crate::client::{Client, Reply};

/// Flags of `demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Keep the server running after the scenario (Ctrl-C to stop).
    #[arg(long)]
    pub keep: bool,
}

const SCOPES: &str = "utm.strategic_coordination utm.constraint_processing";

fn rfc3339(minutes_from_now: i64) -> String {
    (Utc::now() + ChronoDuration::minutes(minutes_from_now)).to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn square(lat: f64, lng: f64, half: f64) -> Value {
    json!({ "vertices": [
        { "lat": lat - half, "lng": lng - half }, { "lat": lat - half, "lng": lng + half },
        { "lat": lat + half, "lng": lng + half }, { "lat": lat + half, "lng": lng - half } ] })
}

fn volume(lat: f64, lng: f64, half: f64, alt: (f64, f64), minutes: (i64, i64)) -> Value {
    json!({
        "volume": {
            "outline_polygon": square(lat, lng, half),
            "altitude_lower": { "value": alt.0, "reference": "W84", "units": "M" },
            "altitude_upper": { "value": alt.1, "reference": "W84", "units": "M" },
        },
        "time_start": { "value": rfc3339(minutes.0), "format": "RFC3339" },
        "time_end": { "value": rfc3339(minutes.1), "format": "RFC3339" },
    })
}

fn intent_body(party: &str, extents: Value, key: &[String]) -> Value {
    let url = format!("http://{party}.uss.local");
    json!({ "extents": [extents], "key": key, "state": "Accepted", "uss_base_url": url,
            "new_subscription": { "uss_base_url": url, "notify_for_constraints": false } })
}

fn say(party: &str, text: &str) {
    println!("[{party:>7}] {text}");
}

fn expect(r: &Reply, want: u16, what: &str) -> anyhow::Result<()> {
    if r.status.as_u16() != want {
        bail!("{what}: expected {want}, got {} {}", r.status.as_u16(), r.body);
    }
    Ok(())
}

fn subscribers(r: &Reply) -> String {
    let mut parts = Vec::new();
    for s in r.body["subscribers"].as_array().into_iter().flatten() {
        for sub in s["subscriptions"].as_array().into_iter().flatten() {
            parts.push(format!(
                "{} (index {})",
                s["uss_base_url"].as_str().unwrap_or(""),
                sub["notification_index"]
            ));
        }
    }
    if parts.is_empty() { "nobody".into() } else { parts.join(", ") }
}

/// Plays the scenario against `base`, with tokens from `dev_key`.
pub async fn scenario(base: &str, dev_key: &Path) -> anyhow::Result<()> {
    let token = |sub: &str| crate::token::sign(dev_key, sub, SCOPES, "127.0.0.1", 3600);
    let alpha = Client::new(base, &token("alpha")?)?;
    let bravo = Client::new(base, &token("bravo")?)?;
    let charlie = Client::new(base, &token("charlie")?)?;
    let (lat, lng) = (46.95, 7.45);

    println!("== Charlie watches the area ==");
    let sub_id = uuid::Uuid::new_v4().to_string();
    let r = charlie
        .put_subscription(
            &sub_id,
            &json!({
            "extents": volume(lat, lng, 0.2, (0.0, 3000.0), (0, 180)),
            "uss_base_url": "http://charlie.uss.local",
            "notify_for_operational_intents": true, "notify_for_constraints": false }),
        )
        .await?;
    expect(&r, 200, "charlie subscribes")?;
    say("charlie", &format!("subscribed to a 45 km square for 3 h (subscription {sub_id})"));

    println!("== Alpha files an operation ==");
    let alpha_id = uuid::Uuid::new_v4().to_string();
    let r = alpha
        .put_intent(
            &alpha_id,
            None,
            &intent_body("alpha", volume(lat, lng, 0.02, (0.0, 400.0), (10, 70)), &[]),
        )
        .await?;
    expect(&r, 201, "alpha files")?;
    let alpha_ovn = r.body["operational_intent_reference"]["ovn"].as_str().unwrap_or("").to_owned();
    say("alpha", &format!("filed {alpha_id}: 0-400 m, in 10 min for 1 h -> 201, OVN {alpha_ovn}"));
    say("alpha", &format!("must notify: {}", subscribers(&r)));

    println!("== Bravo plans an overlapping operation without knowing Alpha's ==");
    let bravo_id = uuid::Uuid::new_v4().to_string();
    let bravo_volume = volume(lat + 0.01, lng + 0.01, 0.02, (200.0, 600.0), (30, 90));
    let r = bravo.put_intent(&bravo_id, None, &intent_body("bravo", bravo_volume.clone(), &[])).await?;
    expect(&r, 409, "bravo without key")?;
    say("bravo", &format!("refused 409: {}", r.message()));
    let missing = r.body["missing_operational_intents"].as_array().cloned().unwrap_or_default();
    for m in &missing {
        say(
            "bravo",
            &format!(
                "  conflicts with {} of {} (details at {}), OVN shown as {:?}",
                m["id"].as_str().unwrap_or(""),
                m["manager"].as_str().unwrap_or(""),
                m["uss_base_url"].as_str().unwrap_or(""),
                m["ovn"].as_str().unwrap_or("")
            ),
        );
    }
    let r = bravo.get_intent(&alpha_id).await?;
    expect(&r, 200, "bravo reads alpha's reference")?;
    say(
        "bravo",
        &format!(
            "reads the reference: state {}, until {}",
            r.body["operational_intent_reference"]["state"].as_str().unwrap_or(""),
            r.body["operational_intent_reference"]["time_end"]["value"].as_str().unwrap_or("")
        ),
    );
    say("alpha", "answers Bravo's USS-to-USS request for the details, with the current OVN");

    println!("== Bravo re-files, showing awareness of Alpha's operation ==");
    let r = bravo.put_intent(&bravo_id, None, &intent_body("bravo", bravo_volume, &[alpha_ovn])).await?;
    expect(&r, 201, "bravo with key")?;
    say("bravo", &format!("filed {bravo_id} -> 201; must notify: {}", subscribers(&r)));

    println!("== What each party sees in the area ==");
    let area = json!({ "volume": { "outline_circle": {
        "center": { "lat": lat, "lng": lng }, "radius": { "value": 20000.0, "units": "M" } } } });
    for (name, client) in [("alpha", &alpha), ("bravo", &bravo), ("charlie", &charlie)] {
        let r = client.query_intents(&area).await?;
        expect(&r, 200, "query")?;
        for oir in r.body["operational_intent_references"].as_array().into_iter().flatten() {
            say(
                name,
                &format!(
                    "sees {} by {} ({}), OVN {}",
                    oir["id"].as_str().unwrap_or(""),
                    oir["manager"].as_str().unwrap_or(""),
                    oir["state"].as_str().unwrap_or(""),
                    oir["ovn"].as_str().unwrap_or("")
                ),
            );
        }
    }
    let r = charlie.call(reqwest::Method::GET, &format!("/dss/v1/subscriptions/{sub_id}"), None).await?;
    expect(&r, 200, "charlie reads subscription")?;
    say(
        "charlie",
        &format!("subscription notification index is now {}", r.body["subscription"]["notification_index"]),
    );
    Ok(())
}

/// Runs the demo.
pub fn run(args: DemoArgs) -> anyhow::Result<()> {
    let dir = tempfile::tempdir().context("creating a temporary directory")?;
    let db = dir.path().join("demo.sqlite");
    let dev_key = dir.path().join("dev-key.pem");
    let mut cfg = Config {
        store: StoreSpec::Sqlite(db.clone()),
        dev: true,
        dev_key: dev_key.clone(),
        audit_key: dir.path().join("audit-key.pem"),
        audiences: vec!["127.0.0.1".into()],
        ..Config::default()
    };
    cfg.limits.allow_http_base_urls = true;
    let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.context("binding a port")?;
        let addr = listener.local_addr()?;
        let base = format!("http://{addr}");
        println!("deconflict demo: server on {base}, store {}", db.display());
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let server_task = tokio::spawn(async move {
            server::run(cfg, listener, async move {
                let _ = stop_rx.await;
            })
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))
        });
        let outcome = scenario(&base, &dev_key).await;
        if args.keep && outcome.is_ok() {
            println!("server still running on {base}; Ctrl-C to stop");
            let _ = tokio::signal::ctrl_c().await;
        }
        let _ = stop_tx.send(());
        server_task.await.context("server task")??;
        outcome
    })?;
    println!("demo finished");
    Ok(())
}
