//! Blind operations over HTTP: keys published and sealed envelopes relayed,
//! tokens filed and matched, the awareness rule, each party told only its own
//! matched tokens, rotation and revocation — and nothing in the store or the
//! logs that could place an operation or open a token.

use std::io::Write;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use blind::keys::{Envelope, EnvelopeContext, Member, PartySecretKey};
use blind::{BlindOperation, Epoch, LineKey, LinePolicy, Token};
use geom::{AltitudeRange, Circle, Footprint, LatLng, Time, TimeWindow, Volume4D};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::*;

const HOTLINE: &str = "deconflict.hotline";
const AUDIT: &str = "deconflict.audit.read";
const ADMIN: &str = "deconflict.admin";

/// Odd decimals, so a leak is unmistakable in a dump.
const ALPHA_AT: (f64, f64) = (46.512_347, 6.632_191);
const BRAVO_AT: (f64, f64) = (46.513_569, 6.633_417);

struct Party {
    name: &'static str,
    token: String,
    secret: PartySecretKey,
}

struct World {
    s: TestServer,
    /// What the server stores (in memory, so a test can read all of it).
    store: std::sync::Arc<dyn deconflict_core::Store>,
    admin: String,
    alpha: Party,
    bravo: Party,
    charlie: Party,
}

impl World {
    async fn call(&self, m: Method, path: &str, token: &str, body: Option<Value>) -> (StatusCode, Value) {
        self.s.call(m, path, Some(token), body.as_ref()).await
    }
}

async fn world(line_parties: &[&str]) -> World {
    // A manual clock: the per-minute rate window does not turn during a test.
    let store: std::sync::Arc<dyn deconflict_core::Store> =
        std::sync::Arc::new(deconflict_core::MemoryStore::new());
    let opts = Options {
        clock: server::Clock::manual(now_us()),
        store: Some(StoreSpec::Shared(store.clone())),
        ..Options::default()
    };
    let s = TestServer::start_with(opts, tempfile::tempdir().unwrap()).await;
    let admin = s.token("admin", &[ADMIN]);
    let mk = |name: &'static str, seed: u8| Party {
        name,
        token: s.token(name, &[HOTLINE, AUDIT]),
        secret: PartySecretKey::from_bytes(&[seed; 32]).unwrap(),
    };
    let w =
        World { alpha: mk("alpha", 1), bravo: mk("bravo", 2), charlie: mk("charlie", 3), admin, s, store };
    for name in ["alpha", "bravo", "charlie"] {
        let body = json!({ "display_name": name });
        let (st, v) = w.call(Method::PUT, &format!("/v1/parties/{name}"), &w.admin, Some(body)).await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
    }
    put_line(&w, line_parties).await;
    w
}

async fn put_line(w: &World, parties: &[&str]) {
    let body = json!({ "name": "Blind line", "parties": parties });
    let (st, v) = w.call(Method::PUT, "/v1/lines/ab", &w.admin, Some(body)).await;
    assert!(st.is_success(), "{v}");
}

async fn publish(w: &World, p: &Party) -> Value {
    let body = json!({ "public_key": B64.encode(p.secret.public().as_bytes()) });
    let (st, v) = w.call(Method::PUT, "/v1/lines/ab/blind/key", &p.token, Some(body)).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    v
}

/// `by` seals a fresh key for the next epoch to every member the service
/// lists, under the default policy.
async fn rotate(w: &World, by: &Party) -> (u64, LineKey) {
    rotate_with(w, by, &LinePolicy::default()).await
}

/// `by` seals a fresh key for the next epoch under `policy`.
async fn rotate_with(w: &World, by: &Party, policy: &LinePolicy) -> (u64, LineKey) {
    let (st, line) = w.call(Method::GET, "/v1/lines/ab/blind", &by.token, None).await;
    assert_eq!(st, StatusCode::OK, "{line}");
    let members: Vec<Member> = line["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| Member {
            name: m["party"].as_str().unwrap().to_owned(),
            key: blind::keys::PartyPublicKey::from_bytes(
                &B64.decode(m["public_key"].as_str().unwrap()).unwrap(),
            )
            .unwrap(),
        })
        .collect();
    let epoch = line["epoch"].as_u64().unwrap() + 1;
    let r = blind::keys::rotate("ab", Epoch(epoch), policy, by.name, &by.secret, &members, &mut rand::rng())
        .unwrap();
    let envelopes: serde_json::Map<String, Value> =
        r.envelopes.iter().map(|(n, e)| (n.clone(), json!(B64.encode(e.to_bytes())))).collect();
    let body = json!({ "epoch": epoch, "envelopes": envelopes, "policy": policy.params() });
    let (st, v) = w.call(Method::POST, "/v1/lines/ab/blind/epochs", &by.token, Some(body)).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["epoch"], epoch);
    (epoch, r.key)
}

/// The line's current policy as the service reports it.
async fn reported_policy(w: &World, p: &Party) -> LinePolicy {
    let (st, line) = w.call(Method::GET, "/v1/lines/ab/blind", &p.token, None).await;
    assert_eq!(st, StatusCode::OK, "{line}");
    LinePolicy::new(serde_json::from_value(line["policy"].clone()).unwrap()).unwrap()
}

/// `p` fetches and opens its envelope, checking the sender's published key
/// and the policy the service reports.
async fn fetch_key(w: &World, p: &Party, sender: &Party) -> (u64, LineKey) {
    let policy = reported_policy(w, p).await;
    let (st, v) = w.call(Method::GET, "/v1/lines/ab/blind/envelope", &p.token, None).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["sender"], sender.name);
    let epoch = v["epoch"].as_u64().unwrap();
    let env = Envelope::from_bytes(&B64.decode(v["envelope"].as_str().unwrap()).unwrap()).unwrap();
    let ctx = EnvelopeContext {
        line: "ab",
        epoch: Epoch(epoch),
        sender: sender.name,
        recipient: p.name,
        policy: Some(&policy),
    };
    (epoch, blind::keys::open(&env, &ctx, &p.secret, &sender.secret.public()).unwrap())
}

fn volume(at: (f64, f64), t0: i64) -> Volume4D {
    Volume4D::new(
        Footprint::Circle(Circle::new(LatLng::new(at.0, at.1).unwrap(), 150.0).unwrap()),
        AltitudeRange::new(100.0, 300.0).unwrap(),
        TimeWindow::new(Time::from_micros(t0), Time::from_micros(t0 + 1_800_000_000)).unwrap(),
    )
}

/// An operation over the circle at `at` for half an hour from `t0` (µs),
/// tokenised under `policy` with `key`, the line key of `epoch`.
fn operation(key: &LineKey, epoch: u64, policy: &LinePolicy, at: (f64, f64), t0: i64) -> BlindOperation {
    BlindOperation::new(key, Epoch(epoch), policy, &[volume(at, t0)], &mut rand::rng()).unwrap()
}

fn hex(t: &Token) -> String {
    t.0.iter().map(|b| format!("{b:02x}")).collect()
}

fn filing(op: &BlindOperation, epoch: u64, keys: &[&str]) -> Value {
    json!({
        "line": "ab", "epoch": epoch, "time_start": rfc3339(-1), "time_end": rfc3339(40),
        "tokens": op.tokens().iter().map(hex).collect::<Vec<_>>(), "keys": keys,
    })
}

fn now_us() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

/// A `Write` into a shared buffer, for capturing the server's logs.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The process's logs from now on, at every level of our own crates (a global subscriber: the
/// server logs from its runtime's and blocking threads; other tests' lines
/// are in it too, which only makes the search wider).
fn capture_logs() -> Captured {
    static LOGS: std::sync::OnceLock<Captured> = std::sync::OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Captured::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(
                "trace,hyper=info,hyper_util=info,h2=info,reqwest=info,rustls=info,tokio_postgres=info,postgres=info",
            ))
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
        logs
    })
    .clone()
}

/// Everything the store holds (every entity, event, audit entry and record,
/// as the memory store prints itself): all that the service handed it.
fn dump(store: &dyn deconflict_core::Store) -> String {
    format!("{store:?}")
}

/// Strings that would betray a key or a place.
fn secrets(keys: &[&LineKey], parties: &[&Party]) -> Vec<String> {
    let mut out = Vec::new();
    let mut bytes: Vec<Vec<u8>> = keys.iter().map(|k| k.to_bytes().to_vec()).collect();
    bytes.extend(parties.iter().map(|p| p.secret.to_bytes().to_vec()));
    for b in bytes {
        out.push(b.iter().map(|x| format!("{x:02x}")).collect());
        out.push(B64.encode(&b));
        out.push(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&b));
    }
    for (lat, lng) in [ALPHA_AT, BRAVO_AT] {
        // The decimals as written and as far as 3 places (about 100 m).
        for v in [lat, lng] {
            out.push(format!("{v}"));
            out.push(format!("{v:.4}"));
            out.push(format!("{v:.3}"));
        }
    }
    out
}

#[tokio::test]
async fn a_blind_exchange_finds_the_conflict_and_leaves_no_key_or_place_with_the_service() {
    let logs = capture_logs();

    let w = world(&["alpha", "bravo"]).await;
    // Charlie is on no line with them: it can see nothing of the line's blind state.
    let (st, v) = w.call(Method::GET, "/v1/lines/ab/blind", &w.charlie.token, None).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{v}");

    publish(&w, &w.alpha).await;
    let line = publish(&w, &w.bravo).await;
    assert_eq!(line["epoch"], 0);
    assert_eq!(line["members"][1]["fingerprint"], w.bravo.secret.public().fingerprint());
    let (epoch, alpha_key) = rotate(&w, &w.alpha).await;
    let (bravo_epoch, bravo_key) = fetch_key(&w, &w.bravo, &w.alpha).await;
    assert_eq!((epoch, *bravo_key.to_bytes()), (bravo_epoch, *alpha_key.to_bytes()));

    // Both compute their tokens locally; 170 m apart with 150 m radii: a conflict.
    let policy = LinePolicy::default();
    let t0 = now_us();
    let a = operation(&alpha_key, epoch, &policy, ALPHA_AT, t0);
    let b = operation(&bravo_key, epoch, &policy, BRAVO_AT, t0);
    let (st, filed_a) =
        w.call(Method::POST, "/v1/blind/operations", &w.alpha.token, Some(filing(&a, epoch, &[]))).await;
    assert_eq!(st, StatusCode::CREATED, "{filed_a}");
    assert_eq!(filed_a["matches"], json!([]));
    assert_eq!(filed_a["token_count"], a.tokens().len());
    let a_id = filed_a["id"].as_str().unwrap().to_owned();
    let a_ovn = filed_a["ovn"].as_str().unwrap().to_owned();

    // Bravo without alpha's OVN: refused, told its own matched tokens only.
    let (st, refused) =
        w.call(Method::POST, "/v1/blind/operations", &w.bravo.token, Some(filing(&b, epoch, &[]))).await;
    assert_eq!(st, StatusCode::CONFLICT, "{refused}");
    let missing = &refused["missing"][0];
    assert_eq!(
        (missing["other_operation"].as_str(), missing["other_party"].as_str()),
        (Some(&*a_id), Some("alpha"))
    );
    let mine: Vec<&str> =
        missing["my_tokens"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
    assert!(!mine.is_empty());
    let b_hex: Vec<String> = b.tokens().iter().map(hex).collect();
    assert!(mine.iter().all(|t| b_hex.iter().any(|h| h == t)));
    // The refusal opened a thread on their line.
    let (st, msgs) = w.call(Method::GET, "/v1/lines/ab/messages", &w.alpha.token, None).await;
    assert_eq!(st, StatusCode::OK, "{msgs}");
    assert!(msgs.to_string().contains("BLIND CONFLICT"), "{msgs}");

    // With alpha's OVN (given on the thread) it is filed, and matched.
    let (st, filed_b) = w
        .call(Method::POST, "/v1/blind/operations", &w.bravo.token, Some(filing(&b, epoch, &[&a_ovn])))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{filed_b}");
    let b_id = filed_b["id"].as_str().unwrap().to_owned();
    assert_eq!(filed_b["matches"][0]["other_operation"], a_id.as_str());

    // Each side's matches hold only its own tokens, which it alone decodes
    // into places, and the places are real: alpha's cells touch bravo's.
    for (p, op, other) in [(&w.alpha, &a, &b_id), (&w.bravo, &b, &a_id)] {
        let (st, m) = w.call(Method::GET, "/v1/blind/matches", &p.token, None).await;
        assert_eq!(st, StatusCode::OK, "{m}");
        let m = &m["matches"].as_array().unwrap()[..];
        assert_eq!(m.len(), 1, "{m:?}");
        assert_eq!(m[0]["other_operation"], other.as_str());
        for t in m[0]["my_tokens"].as_array().unwrap() {
            let token = op.tokens().iter().find(|x| hex(x) == t.as_str().unwrap());
            let place = token.and_then(|x| op.decode(x));
            assert!(place.is_some(), "{} was told a token it cannot decode: {t}", p.name);
        }
    }
    let alpha_told = w.call(Method::GET, "/v1/blind/matches", &w.alpha.token, None).await.1.to_string();
    let a_hex: Vec<String> = a.tokens().iter().map(hex).collect();
    assert!(b_hex.iter().filter(|h| !a_hex.contains(h)).all(|h| !alpha_told.contains(h.as_str())));

    // Exact geometry, sealed to alpha, relayed as opaque bytes.
    let geometry = format!("{{\"lat\":{},\"lng\":{},\"radius_m\":150}}", BRAVO_AT.0, BRAVO_AT.1);
    let ctx =
        EnvelopeContext { line: "ab", epoch: Epoch(0), sender: "bravo", recipient: "alpha", policy: None };
    let sealed = blind::keys::seal_message(
        geometry.as_bytes(),
        &ctx,
        &w.bravo.secret,
        &w.alpha.secret.public(),
        &mut rand::rng(),
    )
    .unwrap();
    let body = json!({ "line": "ab", "to": "alpha", "sealed": B64.encode(&sealed) });
    let (st, v) = w.call(Method::POST, "/v1/blind/sealed", &w.bravo.token, Some(body)).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let (_, inbox) = w.call(Method::GET, "/v1/blind/sealed", &w.alpha.token, None).await;
    let got = B64.decode(inbox["sealed"][0]["sealed"].as_str().unwrap()).unwrap();
    let opened = blind::keys::open_message(&got, &ctx, &w.alpha.secret, &w.bravo.secret.public()).unwrap();
    assert_eq!(&opened[..], geometry.as_bytes());

    // The match is in both parties' audit slices; never the tokens.
    w.s.state.feed.seal(&w.s.state.app, &w.s.clock).await.unwrap();
    for p in [&w.alpha, &w.bravo] {
        let resp = w.s.http.get(format!("{}/v1/audit", w.s.base)).bearer_auth(&p.token).send().await.unwrap();
        let export = audit::export::parse_export(&resp.text().await.unwrap()).unwrap();
        let kinds: Vec<&str> = export.slice.entries.iter().map(|e| e.kind.as_str()).collect();
        assert!(
            kinds.contains(&"blind.matched") && kinds.contains(&"blind.refused_missing_key"),
            "{kinds:?}"
        );
    }

    // Ending alpha's operation removes its tokens: nothing matches it any more.
    let (st, v) =
        w.call(Method::DELETE, &format!("/v1/blind/operations/{a_id}/{a_ovn}"), &w.alpha.token, None).await;
    assert_eq!((st, v["state"].as_str()), (StatusCode::OK, Some("ended")), "{v}");
    let (_, m) = w.call(Method::GET, "/v1/blind/matches", &w.bravo.token, None).await;
    assert_eq!(m["matches"], json!([]));

    // Nothing the service keeps or logs holds a key or a place.
    let db = dump(&*w.store);
    assert!(db.contains(&b_hex[0]), "the dump reads the token records");
    let logged = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        logged.contains("/v1/blind/operations"),
        "the capture holds the access log: {}",
        &logged[..logged.len().min(3000)]
    );
    for s in secrets(&[&alpha_key], &[&w.alpha, &w.bravo]) {
        assert!(!db.contains(&s), "the store holds {s}");
        assert!(!logged.contains(&s), "the logs hold {s}");
    }
}

#[tokio::test]
async fn rotation_leaves_a_removed_party_out_and_old_epochs_refused() {
    let w = world(&["alpha", "bravo", "charlie"]).await;
    for p in [&w.alpha, &w.bravo, &w.charlie] {
        publish(&w, p).await;
    }
    let (e1, k1) = rotate(&w, &w.alpha).await;
    let (_, charlie_k1) = fetch_key(&w, &w.charlie, &w.alpha).await;
    assert_eq!(*charlie_k1.to_bytes(), *k1.to_bytes());

    // A stale epoch number (someone rotated first) is a 409.
    let body = json!({ "epoch": e1, "envelopes": {}, "policy": LinePolicy::default().params() });
    let (st, v) = w.call(Method::POST, "/v1/lines/ab/blind/epochs", &w.bravo.token, Some(body)).await;
    assert_eq!(st, StatusCode::CONFLICT, "{v}");

    // Charlie leaves the line; bravo rotates. An envelope for charlie is refused.
    put_line(&w, &["alpha", "bravo"]).await;
    let policy = LinePolicy::default();
    let stray = blind::keys::seal(
        &k1,
        &EnvelopeContext {
            line: "ab",
            epoch: Epoch(e1 + 1),
            sender: "bravo",
            recipient: "charlie",
            policy: Some(&policy),
        },
        &w.bravo.secret,
        &w.charlie.secret.public(),
        &mut rand::rng(),
    )
    .unwrap();
    let body = json!({ "epoch": e1 + 1, "policy": policy.params(), "envelopes": {
        "alpha": B64.encode(stray.to_bytes()), "bravo": B64.encode(stray.to_bytes()), "charlie": B64.encode(stray.to_bytes()) } });
    let (st, v) = w.call(Method::POST, "/v1/lines/ab/blind/epochs", &w.bravo.token, Some(body)).await;
    assert_refused(st, &v, StatusCode::BAD_REQUEST, "charlie");
    let (e2, k2) = rotate(&w, &w.bravo).await;
    assert_eq!(e2, e1 + 1);
    let (st, v) = w.call(Method::GET, "/v1/lines/ab/blind", &w.alpha.token, None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["keyed"], json!(["alpha", "bravo"]));
    let (st, _) = w.call(Method::GET, "/v1/lines/ab/blind/envelope", &w.charlie.token, None).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "charlie is off the line");
    let (_, alpha_k2) = fetch_key(&w, &w.alpha, &w.bravo).await;
    assert_eq!(*alpha_k2.to_bytes(), *k2.to_bytes());

    // Tokens of the old epoch are refused, naming the epoch.
    let op = operation(&k1, e1, &LinePolicy::default(), ALPHA_AT, now_us());
    let (st, v) =
        w.call(Method::POST, "/v1/blind/operations", &w.alpha.token, Some(filing(&op, e1, &[]))).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
    assert!(v["message"].as_str().unwrap().starts_with("epoch: line ab is at blind epoch 2, not 1"), "{v}");
}

#[tokio::test]
async fn bad_blind_input_is_a_400_naming_the_field_and_filings_are_rate_limited() {
    let w = world(&["alpha", "bravo"]).await;
    let (st, v) = w
        .call(Method::PUT, "/v1/lines/ab/blind/key", &w.alpha.token, Some(json!({"public_key": "AAAA"})))
        .await;
    assert_eq!(
        (st, v["message"].as_str()),
        (StatusCode::BAD_REQUEST, Some("public key must be 32 bytes, not 3"))
    );
    let (st, v) = w
        .call(Method::PUT, "/v1/lines/ab/blind/key", &w.alpha.token, Some(json!({"public_key": "%%"})))
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(v["message"].as_str().unwrap().starts_with("public_key: not base64"), "{v}");
    publish(&w, &w.alpha).await;
    publish(&w, &w.bravo).await;
    let (epoch, key) = rotate(&w, &w.alpha).await;
    let op = operation(&key, epoch, &LinePolicy::default(), ALPHA_AT, now_us());
    let mut body = filing(&op, epoch, &[]);
    body["tokens"][3] = json!("zz");
    let (st, v) = w.call(Method::POST, "/v1/blind/operations", &w.alpha.token, Some(body)).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(v["message"].as_str().unwrap().starts_with("tokens[3]: a token is 64 hex digits"), "{v}");
    let mut body = filing(&op, epoch, &[]);
    body["time_end"] = json!(rfc3339(-2));
    let (st, v) = w.call(Method::POST, "/v1/blind/operations", &w.alpha.token, Some(body)).await;
    assert_eq!(
        (st, v["message"].as_str()),
        (StatusCode::BAD_REQUEST, Some("time_end: must be after time_start"))
    );
    let mut body = filing(&op, epoch, &[]);
    body["where"] = json!("here");
    let (st, _) = w.call(Method::POST, "/v1/blind/operations", &w.alpha.token, Some(body)).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "unknown fields are refused");

    // The rate limit: the default allows 30 filings a minute per party.
    let mut last = StatusCode::OK;
    let mut accepted = 0;
    for _ in 0..40 {
        let (st, v) =
            w.call(Method::POST, "/v1/blind/operations", &w.bravo.token, Some(filing(&op, epoch, &[]))).await;
        last = st;
        if st == StatusCode::TOO_MANY_REQUESTS {
            assert!(v["message"].as_str().unwrap().contains("blind_filings_per_minute"), "{v}");
            break;
        }
        assert_eq!(st, StatusCode::CREATED, "{v}");
        accepted += 1;
    }
    assert_eq!((last, accepted), (StatusCode::TOO_MANY_REQUESTS, 30));
}

/// A line's policy is set by whoever seals an epoch, bound into the
/// envelopes, reported with the line and enforced on filings; out-of-range
/// policies and policies over the service's limits are refused and change
/// nothing.
#[tokio::test]
async fn each_epoch_has_the_policy_its_sealer_set_and_filings_are_held_to_it() {
    let w = world(&["alpha", "bravo"]).await;
    publish(&w, &w.alpha).await;
    publish(&w, &w.bravo).await;
    let base = LinePolicy::default().params();
    let rotate_body = |policy: Value| json!({ "epoch": 1, "envelopes": {}, "policy": policy });
    // Refused: a parameter out of range, one over the service's limit, none at all.
    let mut bad = serde_json::to_value(base).unwrap();
    bad["band_m"] = json!(0.0);
    let (st, v) =
        w.call(Method::POST, "/v1/lines/ab/blind/epochs", &w.alpha.token, Some(rotate_body(bad))).await;
    assert_eq!(
        (st, v["message"].as_str()),
        (StatusCode::BAD_REQUEST, Some("policy.band_m: 0 is invalid (a finite number of metres > 0)"))
    );
    let huge = blind::PolicyParams { max_tokens: 1 << 20, ..base };
    let (st, v) = w
        .call(Method::POST, "/v1/lines/ab/blind/epochs", &w.alpha.token, Some(rotate_body(json!(huge))))
        .await;
    assert_refused(st, &v, StatusCode::BAD_REQUEST, "over this service's limit of 65536");
    let without_policy = json!({ "epoch": 1, "envelopes": {} });
    let (st, v) =
        w.call(Method::POST, "/v1/lines/ab/blind/epochs", &w.alpha.token, Some(without_policy)).await;
    assert_refused(st, &v, StatusCode::BAD_REQUEST, "policy");
    let (_, line) = w.call(Method::GET, "/v1/lines/ab/blind", &w.bravo.token, None).await;
    assert_eq!((line["epoch"].as_u64(), &line["policy"]), (Some(0), &serde_json::to_value(base).unwrap()));

    // Alpha seals epoch 1 with coarser cells and at most 128 tokens.
    let custom =
        LinePolicy::new(blind::PolicyParams { cell_resolution: 8, max_tokens: 128, ..base }).unwrap();
    let (epoch, key) = rotate_with(&w, &w.alpha, &custom).await;
    assert_eq!(reported_policy(&w, &w.bravo).await, custom);
    let (_, bravo_key) = fetch_key(&w, &w.bravo, &w.alpha).await;
    assert_eq!(*bravo_key.to_bytes(), *key.to_bytes());
    // The rotation's audit entry names the policy, for every member to check.
    w.s.state.feed.seal(&w.s.state.app, &w.s.clock).await.unwrap();
    let resp =
        w.s.http.get(format!("{}/v1/audit", w.s.base)).bearer_auth(&w.bravo.token).send().await.unwrap();
    let export = audit::export::parse_export(&resp.text().await.unwrap()).unwrap();
    let rotated = export.slice.entries.iter().find(|e| e.kind == "blind.epoch_rotated").unwrap();
    let payload: Value = serde_json::from_str(&rotated.payload).unwrap();
    assert_eq!(payload["policy"]["cell_resolution"], 8, "{payload}");

    // A filing within the policy is accepted; one over its 128 tokens is not, and changes nothing.
    // Starting just after a slot boundary (less half the time buffer), the
    // half hour spans the same number of slots whenever the test runs.
    let slot = base.slot_micros;
    let t0 = (now_us() / slot + 1) * slot + base.buffer_t_micros / 2 + 1_000_000;
    let op = operation(&key, epoch, &custom, ALPHA_AT, t0);
    assert!(op.tokens().len() <= 128, "{}", op.tokens().len());
    let (st, v) =
        w.call(Method::POST, "/v1/blind/operations", &w.alpha.token, Some(filing(&op, epoch, &[]))).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let mut body = filing(&op, epoch, &[]);
    body["tokens"] = json!((0..256).map(|i: u32| format!("{:064x}", u128::from(i) + 1)).collect::<Vec<_>>());
    let (st, v) = w.call(Method::POST, "/v1/blind/operations", &w.bravo.token, Some(body)).await;
    assert_eq!(
        (st, v["message"].as_str()),
        (
            StatusCode::BAD_REQUEST,
            Some("tokens: 256 tokens; line ab's blind policy allows at most 128 (its maximum blind area)")
        )
    );
    let (_, ops) = w.call(Method::GET, "/v1/blind/operations", &w.bravo.token, None).await;
    assert_eq!(ops["operations"], json!([]), "{ops}");
}
