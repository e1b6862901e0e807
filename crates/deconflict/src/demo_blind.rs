//! The demo's blind-operations act: Alpha and Bravo make key pairs, share a
//! line key sealed through the service, file operations as tokens and find
//! their conflict; Charlie and the service see no geometry.

use anyhow::{Context, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use blind::keys::{Envelope, EnvelopeContext, Member, PartySecretKey};
use blind::{BlindOperation, Epoch, LinePolicy};
use geom::{AltitudeRange, Circle, Footprint, LatLng, Time, TimeWindow, Volume4D};
use serde_json::{Value, json};

use crate::client::Client;

fn say(party: &str, text: &str) {
    println!("[{party:>7}] {text}");
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn volume(lat: f64, lng: f64, now: Time) -> anyhow::Result<Volume4D> {
    Ok(Volume4D::new(
        Footprint::Circle(Circle::new(LatLng::new(lat, lng)?, 250.0)?),
        AltitudeRange::new(300.0, 450.0)?,
        TimeWindow::new(now, now.saturating_add_micros(1_800_000_000))?,
    ))
}

fn filing(op: &BlindOperation, epoch: u64, now: Time, keys: &[&str]) -> Value {
    let end = now.saturating_add_micros(1_800_000_000);
    json!({
        "line": "alpha-bravo", "epoch": epoch, "keys": keys,
        "time_start": server::dto::format_time(now), "time_end": server::dto::format_time(end),
        "tokens": op.tokens().iter().map(|t| hex(&t.0)).collect::<Vec<_>>(),
    })
}

/// Plays the act at the server's instant `now`.
pub async fn act(alpha: &Client, bravo: &Client, charlie: &Client, now: Time) -> anyhow::Result<()> {
    let mut rng = rand::rng();
    let (ka, kb) = (PartySecretKey::generate(&mut rng), PartySecretKey::generate(&mut rng));
    for (name, client, key) in [("alpha", alpha, &ka), ("bravo", bravo, &kb)] {
        let body = json!({ "public_key": B64.encode(key.public().as_bytes()) });
        client.put("/v1/lines/alpha-bravo/blind/key", &body).await?.ok("publishing a blind key")?;
        say(name, &format!("published its X25519 key, fingerprint {}", key.public().fingerprint()));
    }
    let members = vec![
        Member { name: "alpha".into(), key: ka.public() },
        Member { name: "bravo".into(), key: kb.public() },
    ];
    let policy = LinePolicy::default();
    let r = blind::keys::rotate("alpha-bravo", Epoch(1), &policy, "alpha", &ka, &members, &mut rng)?;
    let envelopes: serde_json::Map<String, Value> =
        r.envelopes.iter().map(|(n, e)| (n.clone(), json!(B64.encode(e.to_bytes())))).collect();
    let body = json!({ "epoch": 1, "envelopes": envelopes, "policy": policy.params() });
    alpha.post("/v1/lines/alpha-bravo/blind/epochs", &body).await?.ok("sealing epoch 1")?;
    say("alpha", "sealed a fresh line key for epoch 1 to alpha and bravo (the service relays ciphertext)");
    let env = bravo.get("/v1/lines/alpha-bravo/blind/envelope").await?.ok("bravo's envelope")?;
    let bytes = B64.decode(env["envelope"].as_str().unwrap_or_default()).context("envelope")?;
    let ctx = EnvelopeContext {
        line: "alpha-bravo",
        epoch: Epoch(1),
        sender: "alpha",
        recipient: "bravo",
        policy: Some(&policy),
    };
    let key_b = blind::keys::open(&Envelope::from_bytes(&bytes)?, &ctx, &kb, &ka.public())?;
    say("bravo", "opened its envelope with its private key: it holds the same line key and policy");

    let a = BlindOperation::new(&r.key, Epoch(1), &policy, &[volume(47.1012, 7.6023, now)?], &mut rng)?;
    let b = BlindOperation::new(&key_b, Epoch(1), &policy, &[volume(47.1031, 7.6041, now)?], &mut rng)?;
    let ra =
        alpha.post("/v1/blind/operations", &filing(&a, 1, now, &[])).await?.ok("alpha's blind filing")?;
    let ovn = ra["ovn"].as_str().unwrap_or_default().to_owned();
    say(
        "alpha",
        &format!(
            "filed a blind operation as {} tokens ({} real, the rest padding)",
            a.tokens().len(),
            a.real_count()
        ),
    );
    let rb = bravo.post("/v1/blind/operations", &filing(&b, 1, now, &[])).await?;
    if rb.status.as_u16() != 409 {
        bail!("bravo's overlapping blind operation: expected 409, got {} {}", rb.status, rb.body);
    }
    let mine = rb.body["missing"][0]["my_tokens"].as_array().map_or(0, Vec::len);
    say(
        "bravo",
        &format!(
            "blind operation refused 409: it shares {mine} of its own tokens with alpha's; thread opened"
        ),
    );
    let rb =
        bravo.post("/v1/blind/operations", &filing(&b, 1, now, &[&ovn])).await?.ok("bravo's blind filing")?;
    say(
        "bravo",
        &format!("filed with alpha's OVN: {} match(es)", rb["matches"].as_array().map_or(0, Vec::len)),
    );
    for (name, client, op) in [("alpha", alpha, &a), ("bravo", bravo, &b)] {
        let m = client.get("/v1/blind/matches").await?.ok("matches")?;
        for t in m["matches"][0]["my_tokens"].as_array().into_iter().flatten().take(1) {
            let token = op.tokens().iter().find(|x| hex(&x.0) == t.as_str().unwrap_or_default());
            if let Some(place) = token.and_then(|x| op.decode(x)) {
                let (lo, hi) = place.band_bounds(&policy);
                say(
                    name,
                    &format!(
                        "decoded a matched token locally: H3 cell {:x}, band {lo:.0}–{hi:.0} m",
                        place.cell
                    ),
                );
            }
        }
    }
    let r = charlie.get("/v1/lines/alpha-bravo/blind").await?;
    say(
        "charlie",
        &format!(
            "asks for the line's blind state: {} (not on the line; no geometry anywhere)",
            r.status.as_u16()
        ),
    );
    Ok(())
}
