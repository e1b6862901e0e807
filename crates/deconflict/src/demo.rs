//! `deconflict demo`: starts a server on the embedded SQLite store (in a
//! temporary directory) and plays a scripted scenario between three parties,
//! printing what each one sees. The demo runs on a clock it can move forward,
//! so deadlines that take minutes in real life pass in an instant.
//!
//! 1. An administrator registers the parties and a line between Alpha and Bravo.
//! 2. Charlie watches the area with a subscription.
//! 3. Alpha files an operation at short notice: the line's notice policy flags it.
//! 4. Bravo's overlapping operation is refused (409) until Bravo shows Alpha's
//!    OVN, learned from Alpha (the F3548 USS-to-USS exchange); the refusal opens
//!    a thread on the line.
//! 5. What each party sees: F3548 references with others' OVNs hidden, and the
//!    native view with only the overlapping part of others' operations.
//! 6. The hotline: an urgent message acknowledged, a flash message that escalates.
//! 7. A communication check on the line.
//! 8. Live tracks converge: both parties are alerted, Charlie is not.
//! 9. Every party verifies its slice of the signed audit log offline.
//!
//! The scenario's clock starts [`LEAD_S`] in the past, so that when it is
//! done it has caught up with the real clock; from then on it follows the real
//! clock and the server keeps running with a live picture ([`demo_picture`]):
//! simulated aircraft of the three parties, a predicted conflict between
//! Alpha and Bravo and its alert, and a hotline message waiting for Alpha's
//! acknowledgement. `--once` stops after the scenario instead.
//!
//! [`demo_picture`]: crate::demo_picture

use std::path::Path;

use anyhow::{Context as _, bail};
use chrono::{DateTime, SecondsFormat, Utc};
use clap::Args;
use serde_json::{Value, json};
use server::{AppState, Clock, Config};

use crate::store::{PgSettings, StoreSpec};

use crate::client::{Client, Reply};

/// Flags of `demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Stop after the scripted scenario instead of keeping the server and
    /// its live picture running (for scripts and tests).
    #[arg(long)]
    pub once: bool,
    /// Accepted for older scripts: keeping the server running is the default.
    #[arg(long, hide = true, conflicts_with = "once")]
    pub keep: bool,
    /// Where the server listens (port 0: any free port); the page is at its root.
    #[arg(long, default_value = "127.0.0.1:0", value_name = "ADDR")]
    pub listen: std::net::SocketAddr,
}

const PARTY_SCOPES: &str = "utm.strategic_coordination utm.constraint_processing deconflict.hotline \
    deconflict.tracks.write deconflict.tracks.read deconflict.audit.read deconflict.operations.read";

/// The scenario's view of time: the server's manual clock and the start.
struct DemoClock {
    clock: Clock,
    t0: i64,
}

impl DemoClock {
    fn rfc3339(&self, minutes: i64) -> String {
        DateTime::<Utc>::from_timestamp_micros(self.t0 + minutes * 60_000_000)
            .map_or_else(String::new, |t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
    }

    fn advance_to(&self, seconds: i64) {
        self.clock.set(self.t0 + seconds * 1_000_000);
        println!("          (demo clock: T+{}m{:02}s)", seconds / 60, seconds % 60);
    }
}

fn square(lat: f64, lng: f64, half: f64) -> Value {
    json!({ "vertices": [
        { "lat": lat - half, "lng": lng - half }, { "lat": lat - half, "lng": lng + half },
        { "lat": lat + half, "lng": lng + half }, { "lat": lat + half, "lng": lng - half } ] })
}

fn volume(c: &DemoClock, lat: f64, lng: f64, half: f64, alt: (f64, f64), minutes: (i64, i64)) -> Value {
    json!({
        "volume": {
            "outline_polygon": square(lat, lng, half),
            "altitude_lower": { "value": alt.0, "reference": "W84", "units": "M" },
            "altitude_upper": { "value": alt.1, "reference": "W84", "units": "M" },
        },
        "time_start": { "value": c.rfc3339(minutes.0), "format": "RFC3339" },
        "time_end": { "value": c.rfc3339(minutes.1), "format": "RFC3339" },
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

fn section(title: &str) {
    println!("\n== {title} ==");
}

fn expect(r: &Reply, want: u16, what: &str) -> anyhow::Result<()> {
    if r.status.as_u16() != want {
        bail!("{what}: expected {want}, got {} {}", r.status.as_u16(), r.body);
    }
    Ok(())
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or("")
}

fn subscribers(r: &Reply) -> String {
    let mut parts = Vec::new();
    for sub in r.body["subscribers"].as_array().into_iter().flatten() {
        for x in sub["subscriptions"].as_array().into_iter().flatten() {
            parts.push(format!("{} (index {})", s(sub, "uss_base_url"), x["notification_index"]));
        }
    }
    if parts.is_empty() { "nobody".into() } else { parts.join(", ") }
}

struct Parties {
    admin: Client,
    alpha: Client,
    bravo: Client,
    charlie: Client,
}

fn parties(base: &str, dev_key: &Path, c: &DemoClock) -> anyhow::Result<Parties> {
    let now = c.clock.now_unix();
    let token = |sub: &str, scopes: &str| crate::token::sign_at(dev_key, sub, scopes, "127.0.0.1", 3600, now);
    Ok(Parties {
        admin: Client::new(base, &token("admin", "deconflict.admin")?, None)?,
        alpha: Client::new(base, &token("alpha", PARTY_SCOPES)?, None)?,
        bravo: Client::new(base, &token("bravo", PARTY_SCOPES)?, None)?,
        charlie: Client::new(base, &token("charlie", PARTY_SCOPES)?, None)?,
    })
}

/// Plays the scenario against the server at `base` whose state is `state`.
async fn scenario(base: &str, dev_key: &Path, state: &AppState, c: &DemoClock) -> anyhow::Result<()> {
    let p = parties(base, dev_key, c)?;
    let (lat, lng) = (46.95, 7.45);

    section("Set-up: parties and a line between Alpha and Bravo");
    for name in ["alpha", "bravo", "charlie"] {
        let r = p
            .admin
            .put(&format!("/v1/parties/{name}"), &json!({ "display_name": format!("{name} command post") }))
            .await?;
        if !r.status.is_success() {
            bail!("registering {name}: {} {}", r.status, r.body);
        }
    }
    let r = p
        .admin
        .put(
            "/v1/lines/alpha-bravo",
            &json!({ "name": "Alpha-Bravo deconfliction line", "parties": ["alpha", "bravo"],
            "policy": { "min_notice_s": 3600 } }),
        )
        .await?;
    if !r.status.is_success() {
        bail!("creating the line: {} {}", r.status, r.body);
    }
    say(
        "admin",
        "line alpha-bravo: 1 h minimum notice, urgent acknowledged within 5 min, flash within 1 min, hourly checks",
    );

    section("Charlie watches the area");
    let sub_id = uuid::Uuid::new_v4().to_string();
    let r = p
        .charlie
        .put_subscription(
            &sub_id,
            &json!({
            "extents": volume(c, lat, lng, 0.2, (0.0, 3000.0), (0, 180)),
            "uss_base_url": "http://charlie.uss.local",
            "notify_for_operational_intents": true, "notify_for_constraints": false }),
        )
        .await?;
    expect(&r, 200, "charlie subscribes")?;
    say("charlie", "subscribed to a 45 km square for 3 h");

    section("Alpha files an operation at short notice");
    let alpha_id = uuid::Uuid::new_v4().to_string();
    let r = p
        .alpha
        .put_intent(
            &alpha_id,
            None,
            &intent_body("alpha", volume(c, lat, lng, 0.02, (0.0, 400.0), (10, 70)), &[]),
        )
        .await?;
    expect(&r, 201, "alpha files")?;
    let alpha_ovn = s(&r.body["operational_intent_reference"], "ovn").to_owned();
    say("alpha", &format!("filed {alpha_id}: 0-400 m, starting in 10 min for 1 h -> 201"));
    say("alpha", &format!("must notify: {}", subscribers(&r)));
    let r = p
        .alpha
        .put(
            &format!("/v1/operations/{alpha_id}/details"),
            &json!({ "purpose": "Border surveillance sortie 7", "contact": "tel:+41-31-000-0000" }),
        )
        .await?;
    expect(&r, 200, "alpha sets details")?;
    let r = p.bravo.get("/v1/notices").await?;
    for n in r.body["received"].as_array().into_iter().flatten() {
        say(
            "bravo",
            &format!(
                "notice of {} from {}: late = {} (less than the line's 1 h)",
                s(n, "intent_id"),
                s(n, "giver"),
                n["late"]
            ),
        );
    }

    section("Bravo plans an overlapping operation without knowing Alpha's");
    let bravo_id = uuid::Uuid::new_v4().to_string();
    let bravo_volume = volume(c, lat + 0.01, lng + 0.01, 0.02, (200.0, 600.0), (30, 90));
    let r = p.bravo.put_intent(&bravo_id, None, &intent_body("bravo", bravo_volume.clone(), &[])).await?;
    expect(&r, 409, "bravo without key")?;
    say("bravo", &format!("refused 409: {}", r.message()));
    for m in r.body["missing_operational_intents"].as_array().into_iter().flatten() {
        say(
            "bravo",
            &format!(
                "  conflicts with {} of {}, OVN shown as {:?}",
                s(m, "id"),
                s(m, "manager"),
                s(m, "ovn")
            ),
        );
    }
    let r = p.bravo.get_intent(&alpha_id).await?;
    expect(&r, 200, "bravo reads alpha's reference")?;
    say(
        "bravo",
        &format!(
            "reads the reference: state {}, until {}",
            s(&r.body["operational_intent_reference"], "state"),
            s(&r.body["operational_intent_reference"]["time_end"], "value")
        ),
    );
    say("alpha", "answers Bravo's USS-to-USS request for the details, with the current OVN");
    let r = p.bravo.put_intent(&bravo_id, None, &intent_body("bravo", bravo_volume, &[alpha_ovn])).await?;
    expect(&r, 201, "bravo with key")?;
    say("bravo", &format!("re-filed {bravo_id} -> 201; must notify: {}", subscribers(&r)));
    let r = p.alpha.get("/v1/lines/alpha-bravo/messages").await?;
    for m in r.body["messages"].as_array().into_iter().flatten() {
        say(
            "alpha",
            &format!("line thread: [{}] from {}: {}", s(m, "priority"), s(m, "sender"), s(m, "text")),
        );
    }

    section("What each party sees");
    let area = json!({ "volume": { "outline_circle": {
        "center": { "lat": lat, "lng": lng }, "radius": { "value": 20000.0, "units": "M" } } } });
    for (name, client) in [("alpha", &p.alpha), ("bravo", &p.bravo), ("charlie", &p.charlie)] {
        let r = client.query_intents(&area).await?;
        expect(&r, 200, "query")?;
        for oir in r.body["operational_intent_references"].as_array().into_iter().flatten() {
            say(
                name,
                &format!("F3548 reference {} by {}, OVN {}", s(oir, "id"), s(oir, "manager"), s(oir, "ovn")),
            );
        }
    }
    let r = p.bravo.post("/v1/operations/query", &json!({ "area": area })).await?;
    for op in r.body["operations"].as_array().into_iter().flatten() {
        if op["own"] == true {
            say("bravo", &format!("native view: own operation {} in full", s(op, "id")));
        } else {
            let parts = op["parts"].as_array().map_or(0, Vec::len);
            say(
                "bravo",
                &format!(
                    "native view: {}'s operation only as {parts} overlapping part(s), contact {}, purpose {}",
                    s(op, "manager"),
                    s(op, "contact"),
                    if op.get("purpose").is_some() { "SHOWN (bug)" } else { "hidden" }
                ),
            );
        }
    }

    section("Hotline: an urgent message, acknowledged");
    let r = p.bravo.post("/v1/lines/alpha-bravo/messages", &json!({ "priority": "urgent",
        "text": "Request you hold east of the river until our sortie clears at T+90", "refs": { "operation_id": bravo_id },
        "idempotency_key": "bravo-urgent-1" })).await?;
    expect(&r, 201, "bravo sends")?;
    let urgent = s(&r.body, "id").to_owned();
    say("bravo", &format!("sent urgent message {urgent} at {}", s(&r.body, "sent_at")));
    c.advance_to(90);
    let r =
        p.alpha.post(&format!("/v1/messages/{urgent}/ack"), &json!({ "operator": "Maj. Keller" })).await?;
    expect(&r, 200, "alpha acknowledges")?;
    let r = p.bravo.get(&format!("/v1/messages/{urgent}")).await?;
    for d in r.body["deliveries"].as_array().into_iter().flatten() {
        say(
            "bravo",
            &format!(
                "{} acknowledged at {} by {}",
                s(d, "recipient"),
                s(d, "acked_at"),
                s(d, "acked_by_operator")
            ),
        );
    }

    section("Hotline: a flash message nobody acknowledges in time escalates");
    let r = p.alpha.post("/v1/lines/alpha-bravo/messages", &json!({ "priority": "flash", "template": "request_to_vacate",
        "fields": { "where": "grid 12", "until": c.rfc3339(60), "reason": "live firing" }, "idempotency_key": "alpha-flash-1" })).await?;
    expect(&r, 201, "alpha sends flash")?;
    let flash = s(&r.body, "id").to_owned();
    say("alpha", &format!("sent flash message: {}", s(&r.body, "text")));
    c.advance_to(160);
    server::coord_tasks::escalate_due(state).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let r = p.alpha.get(&format!("/v1/messages/{flash}")).await?;
    for d in r.body["deliveries"].as_array().into_iter().flatten() {
        say(
            "alpha",
            &format!("{}: overdue = {}, escalations = {}", s(d, "recipient"), d["overdue"], d["escalations"]),
        );
    }
    let r = p.bravo.post(&format!("/v1/messages/{flash}/ack"), &json!({ "operator": "Capt. Novak" })).await?;
    expect(&r, 200, "bravo acknowledges late")?;
    say("bravo", "acknowledged the flash message late, by Capt. Novak");

    section("Communication check on the line");
    let r = p.alpha.post("/v1/lines/alpha-bravo/exercise", &json!({})).await?;
    expect(&r, 202, "exercise")?;
    for (name, client) in [("alpha", &p.alpha), ("bravo", &p.bravo)] {
        let inbox = client.get("/v1/inbox?unacked=true").await?;
        let check = inbox.body["messages"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|m| m["kind"] == "comm_check")
            .cloned();
        let Some(check) = check else { bail!("{name} got no comm_check") };
        let r = client
            .post(&format!("/v1/messages/{}/ack", s(&check, "id")), &json!({ "operator": "duty officer" }))
            .await?;
        expect(&r, 200, "ack check")?;
        say(name, "acknowledged the communication check");
    }
    let r = p.alpha.get("/v1/lines/alpha-bravo/checks").await?;
    if let Some(check) = r.body["checks"].as_array().and_then(|a| a.first()) {
        say("alpha", &format!("check result: {} (exercise: {})", s(check, "result"), check["exercise"]));
    }

    section("Live tracks converge");
    let track = |id: &str, lon: f64, trk: f64| {
        json!({ "tracks": [{ "id": id, "lat": lat, "lon": lon, "alt_ft": 30000,
        "gs_kt": 420, "trk_deg": trk, "vs_fpm": 0 }] })
    };
    expect(&p.alpha.post("/v1/tracks", &track("ALPHA01", lng - 0.15, 90.0)).await?, 200, "alpha track")?;
    expect(&p.bravo.post("/v1/tracks", &track("BRAVO07", lng + 0.15, 270.0)).await?, 200, "bravo track")?;
    say("alpha", "ALPHA01 eastbound FL300, 420 kt");
    say("bravo", "BRAVO07 westbound FL300, 420 kt, 23 km apart");
    state.live.scan_once().await;
    // Alerts are confirmed by a second report of each aircraft, not by rescans.
    c.advance_to(165);
    expect(&p.alpha.post("/v1/tracks", &track("ALPHA01", lng - 0.15, 90.0)).await?, 200, "alpha track")?;
    expect(&p.bravo.post("/v1/tracks", &track("BRAVO07", lng + 0.15, 270.0)).await?, 200, "bravo track")?;
    say("alpha", "ALPHA01 reported again 5 s later");
    say("bravo", "BRAVO07 reported again 5 s later");
    state.live.scan_once().await;
    for (name, client) in [("alpha", &p.alpha), ("bravo", &p.bravo), ("charlie", &p.charlie)] {
        let r = client.get("/v1/alerts").await?;
        let alerts = r.body["alerts"].as_array().cloned().unwrap_or_default();
        if alerts.is_empty() {
            say(name, "no alert (not involved)");
        }
        for a in alerts {
            say(
                name,
                &format!(
                    "{} alert ({}): loss of separation in {:.0} s, closest {:.0} m",
                    s(&a, "kind"),
                    s(&a, "state"),
                    a["t_in_s"].as_f64().unwrap_or(f64::NAN),
                    a["d_cpa_m"].as_f64().unwrap_or(f64::NAN)
                ),
            );
        }
    }

    section("Every party verifies its slice of the signed audit log");
    let store = state.engine.store().clone();
    state.feed.seal(store.clone(), &state.clock).await?;
    state.feed.follow(store).await?;
    let key = p.charlie.get("/v1/audit/key").await?;
    let trusted: audit::PublicKey =
        s(&key.body, "public_key_hex").parse().map_err(|e| anyhow::anyhow!("{e}"))?;
    for (name, client) in [("alpha", &p.alpha), ("bravo", &p.bravo), ("charlie", &p.charlie)] {
        let (status, text) = client.get_text("/v1/audit").await?;
        if !status.is_success() {
            bail!("{name} audit export: {status} {text}");
        }
        let export = audit::export::parse_export(&text).map_err(|e| anyhow::anyhow!("{e}"))?;
        let report =
            audit::verify_slice(&export.slice, &[trusted]).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
        say(name, &format!("{} entries visible; verified: {report}", export.slice.entries.len()));
    }
    say(
        "charlie",
        &format!(
            "service key {} (GET /v1/audit/key); offline: deconflict audit verify FILE --trusted-key HEX",
            s(&key.body, "key_id")
        ),
    );
    Ok(())
}

/// How far in the past the scenario's clock starts: a little more than the
/// scripted time it moves through (T+165 s), so it ends behind the real clock.
const LEAD_S: i64 = 170;

/// The scenario's clock, then the real one: from now on the
/// demo clock moves to the real time if it is behind (never back), five times a second.
async fn follow_real_clock(clock: Clock) {
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(200));
    loop {
        tick.tick().await;
        let real = Utc::now().timestamp_micros();
        if clock.now().as_micros() < real {
            clock.set(real);
        }
    }
}

/// The live part after the scenario: the clock follows the real one, the
/// parties fly, Bravo asks Alpha something on the hotline; then the URL and
/// each party's token are printed.
async fn picture(base: &str, dev_key: &Path, c: &DemoClock) -> anyhow::Result<()> {
    tokio::spawn(follow_real_clock(c.clock.clone()));
    let (base_owned, key) = (base.to_owned(), dev_key.to_path_buf());
    let clock = c.clock.clone();
    tokio::spawn(crate::demo_picture::fly(move || {
        let now = clock.now_unix();
        ["alpha", "bravo", "charlie"]
            .into_iter()
            .map(|party| {
                let token = crate::token::sign_at(&key, party, PARTY_SCOPES, "127.0.0.1", 3600, now)?;
                Ok((party, Client::new(&base_owned, &token, None)?))
            })
            .collect()
    }));
    let now = c.clock.now_unix();
    let bravo = Client::new(
        base,
        &crate::token::sign_at(dev_key, "bravo", PARTY_SCOPES, "127.0.0.1", 3600, now)?,
        None,
    )?;
    let r = bravo
        .post(
            "/v1/lines/alpha-bravo/messages",
            &json!({ "priority": "urgent", "idempotency_key": "bravo-live-1",
                "text": "BRV42 and your ALP21 converge head-on at FL200 over Bern: request ALP21 climb to FL220" }),
        )
        .await?;
    expect(&r, 201, "bravo asks alpha on the hotline")?;
    section("Live picture");
    println!("The server keeps running, on the real clock now. Six simulated aircraft of the three");
    println!("parties report once a second; Alpha's ALP21 and Bravo's BRV42 fly head-on at FL200,");
    println!("so both are alerted each time they close in. Bravo's urgent message waits for Alpha.");
    println!();
    println!("Open {base}/ in a browser and sign in as a party (the page offers development");
    println!("tokens), or paste one of these (valid 1 h; also for curl -H \"Authorization: Bearer TOKEN\"):");
    for party in ["alpha", "bravo", "charlie"] {
        println!(
            "  {party}: {}",
            crate::token::sign_at(dev_key, party, PARTY_SCOPES, "127.0.0.1", 3600, now)?
        );
    }
    println!("server still running on {base}; Ctrl-C to stop");
    Ok(())
}

/// Runs the demo.
pub fn run(args: DemoArgs) -> anyhow::Result<()> {
    let dir = tempfile::tempdir().context("creating a temporary directory")?;
    let db = dir.path().join("demo.sqlite");
    let dev_key = dir.path().join("dev-key.pem");
    let mut cfg = Config {
        dev: true,
        dev_key: dev_key.clone(),
        audit_key: dir.path().join("audit-key.pem"),
        audiences: vec!["127.0.0.1".into()],
        ..Config::default()
    };
    cfg.limits.allow_http_base_urls = true;
    let t0 = Utc::now().timestamp_micros() - LEAD_S * 1_000_000;
    let clock = DemoClock { clock: Clock::manual(t0), t0 };
    let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    rt.block_on(async move {
        let store = crate::store::open_async(&StoreSpec::Sqlite(db.clone()), &PgSettings::default()).await?;
        let state = server::build_state(&cfg, store, clock.clock.clone()).await?;
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("binding {}", args.listen))?;
        let addr = listener.local_addr()?;
        let base = format!("http://{addr}");
        println!("deconflict demo: server on {base}, store {}", db.display());
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let served = state.clone();
        let server_task = tokio::spawn(async move {
            server::serve(served, &cfg, listener, async move {
                let _ = stop_rx.await;
            })
            .await
        });
        let mut outcome = scenario(&base, &dev_key, &state, &clock).await;
        if !args.once && outcome.is_ok() {
            outcome = picture(&base, &dev_key, &clock).await;
            if outcome.is_ok() {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
        let _ = stop_tx.send(());
        server_task.await.context("server task")??;
        outcome
    })?;
    println!("\ndemo finished");
    Ok(())
}
