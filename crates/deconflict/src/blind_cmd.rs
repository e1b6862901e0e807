//! `deconflict blind ...`: blind operations from the party's side. The
//! party's X25519 private key and what it needs to decode its own matches
//! stay in its data directory; the server only ever gets public keys, sealed
//! envelopes and tokens.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use audit::hex::encode as hex;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use blind::keys::{Envelope, EnvelopeContext, Member, PartyPublicKey, PartySecretKey};
use blind::{BlindOperation, Epoch, LineKey, LinePolicy, Place, PolicyParams, Token};
use clap::Subcommand;
use serde_json::{Value, json};

use crate::blind_pins::Pins;
use crate::blind_record::Record;
use crate::client::{Client, Conn, block_on};
use crate::geojson_intent;
use crate::output::{Format, Table, field};
use crate::paths::DataDirArg;

/// The private key's file name in the data directory.
pub const KEY_FILE: &str = "blind-key";
/// The folder of the owner-side records of filed operations.
pub const OPS_DIR: &str = "blind-ops";

/// Where the party's blind key and operation records are: the data directory
/// (accepted before or after the subcommand).
#[derive(Debug, clap::Args)]
pub struct BlindData {
    /// Directory of the party's blind key and operation records (default: the
    /// platform's state directory, as for the server's data).
    #[arg(long, global = true, env = "DECONF_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
}

/// The `blind` subcommands.
#[derive(Debug, Subcommand)]
pub enum BlindCmd {
    /// Make this party's X25519 key pair (the private key in a 0600 file).
    Keygen {
        /// Replace an existing key (operations filed with the old one can no longer be decoded after a rotation).
        #[arg(long)]
        force: bool,
    },
    /// Publish this party's public key on a line.
    Join {
        /// The line.
        #[arg(long)]
        line: String,
    },
    /// Start the line's next epoch: a fresh line key sealed to every member with a key,
    /// under the line's current token policy or one changed by the flags.
    Rotate {
        /// The line.
        #[arg(long)]
        line: String,
        /// Changes to the token policy (each unset flag keeps the current value).
        #[command(flatten)]
        policy: PolicyArgs,
    },
    /// Pin PARTY's key published on a line after checking its fingerprint with PARTY
    /// out of band (replaces an earlier pin).
    Trust {
        /// The party.
        party: String,
        /// The fingerprint PARTY read out (as `blind join` prints it).
        fingerprint: String,
        /// A line PARTY published its key on.
        #[arg(long)]
        line: String,
    },
    /// The parties' keys pinned here, with their fingerprints.
    Pins,
    /// File the GeoJSON's volumes as one blind operation (tokens computed here).
    File {
        /// GeoJSON as `intent file` reads it.
        file: PathBuf,
        /// The line.
        #[arg(long)]
        line: String,
        /// OVN of a conflicting blind operation (repeatable), given by its owner.
        #[arg(long = "key")]
        keys: Vec<String>,
    },
    /// Replace one of this party's blind operations with the GeoJSON's volumes.
    Update {
        /// The operation.
        #[arg(long)]
        id: String,
        /// GeoJSON as `intent file` reads it.
        file: PathBuf,
        /// The line.
        #[arg(long)]
        line: String,
        /// OVN of a conflicting blind operation (repeatable), given by its owner.
        #[arg(long = "key")]
        keys: Vec<String>,
    },
    /// The matches of this party's operations, decoded here into cells, slots and bands.
    Matches,
    /// Send a file (the exact geometry) sealed here to one party of a line.
    SendGeometry {
        /// The file to send as it is.
        file: PathBuf,
        /// The recipient.
        #[arg(long)]
        to: String,
        /// A line both are on (the recipient's key is the one published there).
        #[arg(long)]
        line: String,
    },
    /// Geometry sealed to this party on a line, opened here and printed.
    Received {
        /// The line whose members' keys authenticate the senders.
        #[arg(long)]
        line: String,
    },
    /// Open this party's own map of its blind operations and decoded matches
    /// in a browser: a loopback server with the web map that decodes here and
    /// passes every other request to the service.
    Map {
        /// Loopback address to listen on.
        #[arg(long, default_value = "127.0.0.1:8700")]
        listen: std::net::SocketAddr,
    },
    /// End one of this party's blind operations.
    End {
        /// The operation.
        id: String,
    },
}

/// Changes to a line's token policy at a rotation; README ("Blind
/// deconfliction") says what each parameter does.
#[derive(Debug, Default, clap::Args)]
pub struct PolicyArgs {
    /// H3 resolution of the cells (0–15; 9 is about 200 m across).
    #[arg(long)]
    cell_resolution: Option<u8>,
    /// Length of a time slot, seconds.
    #[arg(long)]
    slot_s: Option<u32>,
    /// Height of an altitude band, metres.
    #[arg(long)]
    band_m: Option<f64>,
    /// Horizontal separation, metres.
    #[arg(long)]
    buffer_h_m: Option<f64>,
    /// Vertical separation, metres.
    #[arg(long)]
    buffer_v_m: Option<f64>,
    /// Time separation, seconds.
    #[arg(long)]
    buffer_t_s: Option<u32>,
    /// Largest footprint area of one blind operation, km².
    #[arg(long)]
    max_area_km2: Option<f64>,
    /// Most tokens of one operation, padding included (a power of two).
    #[arg(long)]
    max_tokens: Option<usize>,
    /// Smallest padded token set (a power of two).
    #[arg(long)]
    min_tokens: Option<usize>,
}

impl PolicyArgs {
    /// `base` with the flags given.
    fn apply(&self, base: PolicyParams) -> PolicyParams {
        let secs = |s: u32| i64::from(s) * 1_000_000;
        PolicyParams {
            cell_resolution: self.cell_resolution.unwrap_or(base.cell_resolution),
            slot_micros: self.slot_s.map_or(base.slot_micros, secs),
            band_m: self.band_m.unwrap_or(base.band_m),
            buffer_h_m: self.buffer_h_m.unwrap_or(base.buffer_h_m),
            buffer_v_m: self.buffer_v_m.unwrap_or(base.buffer_v_m),
            buffer_t_micros: self.buffer_t_s.map_or(base.buffer_t_micros, secs),
            max_area_m2: self.max_area_km2.map_or(base.max_area_m2, |a| a * 1e6),
            max_tokens: self.max_tokens.unwrap_or(base.max_tokens),
            min_tokens: self.min_tokens.unwrap_or(base.min_tokens),
        }
    }
}

fn key_path(data: &DataDirArg) -> PathBuf {
    data.resolve().file(KEY_FILE)
}

/// Writes `text` to a new file only its owner may read.
pub(crate) fn write_private(path: &Path, text: &str, force: bool) -> anyhow::Result<()> {
    use std::io::Write;
    let mut o = std::fs::OpenOptions::new();
    o.write(true);
    if force {
        o.create(true).truncate(true);
    } else {
        o.create_new(true);
    }
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    let mut f = o.open(path).with_context(|| format!("writing {}", path.display()))?;
    f.write_all(text.as_bytes()).with_context(|| format!("writing {}", path.display()))
}

fn load_secret(data: &DataDirArg) -> anyhow::Result<PartySecretKey> {
    let path = key_path(data);
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("no blind key at {} (run `deconflict blind keygen`)", path.display()))?;
    let bytes = zeroize::Zeroizing::new(
        audit::hex::decode_array::<32>(text.trim())
            .with_context(|| format!("{}: not a blind key", path.display()))?,
    );
    PartySecretKey::from_bytes(&bytes[..]).with_context(|| format!("{}: not a blind key", path.display()))
}

fn public_of(m: &Value) -> anyhow::Result<PartyPublicKey> {
    let b =
        B64.decode(m["public_key"].as_str().unwrap_or_default()).context("a member's key is not base64")?;
    Ok(PartyPublicKey::from_bytes(&b)?)
}

async fn line_state(c: &Client, line: &str) -> anyhow::Result<Value> {
    c.get(&format!("/v1/lines/{line}/blind")).await?.ok(&format!("blind state of line {line}"))
}

/// The current epoch's policy as the service reports it (checked when the
/// envelope, which binds it, opens).
fn reported_policy(state: &Value, line: &str) -> anyhow::Result<LinePolicy> {
    serde_json::from_value(state["policy"].clone())
        .with_context(|| format!("line {line}'s blind policy is not readable"))
}

/// `party`'s key as the service publishes it on `line`, unchecked.
fn published_key(state: &Value, party: &str, line: &str) -> anyhow::Result<PartyPublicKey> {
    let member = state["members"].as_array().into_iter().flatten().find(|m| m["party"] == party);
    let Some(member) = member else { bail!("{party} has no blind key on line {line}") };
    public_of(member)
}

/// The key to trust for `party` on `line`: the caller's own when `party` is
/// the caller (never the service's word for it: an envelope "from oneself"
/// the service made with a key of its own would otherwise open), else the
/// published one checked against its pin.
fn member_key(
    pins: &mut Pins,
    state: &Value,
    party: &str,
    line: &str,
    me: (&str, &PartySecretKey),
) -> anyhow::Result<PartyPublicKey> {
    let published = published_key(state, party, line)?;
    if party != me.0 {
        return pins.check(party, published, line);
    }
    let own = me.1.public();
    if published != own {
        bail!(
            "the service lists key {} for you ({party}) on line {line}, not yours ({}): run `deconflict blind join --line {line}` again",
            published.fingerprint(),
            own.fingerprint()
        );
    }
    Ok(own)
}

/// The caller's line key of the current epoch and the policy it was sealed
/// under, opened here.
async fn line_key(
    c: &Client,
    pins: &mut Pins,
    line: &str,
    me: &str,
    secret: &PartySecretKey,
) -> anyhow::Result<(u64, LineKey, LinePolicy)> {
    let state = line_state(c, line).await?;
    let env =
        c.get(&format!("/v1/lines/{line}/blind/envelope")).await?.ok(&format!("envelope on line {line}"))?;
    let sender = field(&env, "sender");
    let sender_key = member_key(pins, &state, &sender, line, (me, secret))?;
    let epoch = env["epoch"].as_u64().context("envelope without epoch")?;
    if state["epoch"].as_u64() != Some(epoch) {
        bail!("line {line} changed epoch while its key was read: run the command again");
    }
    let policy = reported_policy(&state, line)?;
    let bytes = B64.decode(env["envelope"].as_str().unwrap_or_default()).context("envelope not base64")?;
    let ctx =
        EnvelopeContext { line, epoch: Epoch(epoch), sender: &sender, recipient: me, policy: Some(&policy) };
    let key = blind::keys::open(&Envelope::from_bytes(&bytes)?, &ctx, secret, &sender_key).with_context(|| {
        format!(
            "line {line} epoch {epoch}: the key {sender} sealed does not open under the policy the service \
             reports, or was not sealed by {sender}'s pinned key"
        )
    })?;
    Ok((epoch, key, policy))
}

fn volumes(file: &Path) -> anyhow::Result<(Vec<geom::Volume4D>, geom::Time, geom::Time)> {
    let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let mut out = Vec::new();
    for spec in geojson_intent::parse(&text)? {
        for (i, e) in spec.extents.iter().enumerate() {
            let dto: server::dto::Volume4dDto = serde_json::from_value(e.clone())?;
            let v = dto.to_volume(&format!("{}[{i}]", spec.name), server::dto::Bounds::Required).map_err(
                |e| {
                    anyhow::anyhow!(
                        "{}",
                        match e {
                            server::error::ApiError::BadRequest(m) => m,
                            other => format!("{other:?}"),
                        }
                    )
                },
            )?;
            out.push(v);
        }
    }
    let start = out.iter().map(|v| v.time().start()).min().context("the file has no volume")?;
    let end = out.iter().map(|v| v.time().end()).max().context("the file has no volume")?;
    Ok((out, start, end))
}

fn describe(p: &Place, policy: &LinePolicy) -> (String, String, String) {
    let (s, e) = p.slot_bounds(policy);
    let (lo, hi) = p.band_bounds(policy);
    let t = |t: geom::Time| server::dto::format_time(t);
    (format!("{:x}", p.cell), format!("{}–{}", t(s), t(e)), format!("{lo:.0}–{hi:.0} m"))
}

/// Files (or, with `replacing`, updates) the file's volumes as one blind operation.
#[allow(clippy::too_many_arguments)]
async fn file_op(
    c: &Client,
    data: &DataDirArg,
    format: Format,
    pins: &mut Pins,
    me: &str,
    secret: &PartySecretKey,
    replacing: Option<(&str, &str)>,
    file: &Path,
    line: &str,
    keys: &[String],
) -> anyhow::Result<()> {
    let (vols, start, end) = volumes(file)?;
    let (epoch, key, policy) = line_key(c, pins, line, me, secret).await?;
    let op = BlindOperation::new(&key, Epoch(epoch), &policy, &vols, &mut rand::rng())?;
    let tokens: Vec<String> = op.tokens().iter().map(|t: &Token| hex(&t.0)).collect();
    let body = json!({
        "line": line, "epoch": epoch, "tokens": tokens, "keys": keys,
        "time_start": server::dto::format_time(start), "time_end": server::dto::format_time(end),
    });
    let reply = match replacing {
        Some((id, ovn)) => c.put(&format!("/v1/blind/operations/{id}/{ovn}"), &body).await?,
        None => c.post("/v1/blind/operations", &body).await?,
    };
    if reply.status == reqwest::StatusCode::CONFLICT {
        for m in reply.body["missing"].as_array().into_iter().flatten() {
            eprintln!(
                "conflicts with {}'s blind operation {} at {} of your places",
                field(m, "other_party"),
                field(m, "other_operation"),
                m["my_tokens"].as_array().map_or(0, Vec::len)
            );
        }
    }
    let v = reply.ok(&format!("filing {}", file.display()))?;
    let id = field(&v, "id");
    Record::new(&policy, &op, &vols).save(data, &id)?;
    format.print(&v, |v| {
        println!(
            "{} blind operation {id} (OVN {}) on line {line}: {} tokens ({} real), {} match(es)",
            if replacing.is_some() { "updated" } else { "filed" },
            field(v, "ovn"),
            op.tokens().len(),
            op.real_count(),
            v["matches"].as_array().map_or(0, Vec::len)
        );
    });
    Ok(())
}

/// The party a bearer token speaks for (its `sub`; the server checks the signature).
pub(crate) fn token_sub(conn: &Conn) -> anyhow::Result<String> {
    let token = conn.token.as_deref().context("a token is needed (--token or DECONF_TOKEN)")?;
    let payload = token.split('.').nth(1).context("the token is not a JWT")?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .context("the token is not a JWT")?;
    let claims: Value = serde_json::from_slice(&bytes).context("the token is not a JWT")?;
    claims["sub"].as_str().map(str::to_owned).context("the token has no sub")
}

/// Runs a `blind` subcommand as the token's party.
pub fn run(conn: &Conn, data: &BlindData, format: Format, cmd: BlindCmd) -> anyhow::Result<()> {
    let data = &DataDirArg { data_dir: data.data_dir.clone() };
    if let BlindCmd::Keygen { force } = cmd {
        let path = key_path(data);
        data.resolve().create()?;
        let secret = PartySecretKey::generate(&mut rand::rng());
        write_private(&path, &hex(&secret.to_bytes()[..]), force)
            .with_context(|| format!("{} exists: keep it, or pass --force to replace it", path.display()))?;
        println!("blind key in {}; public key fingerprint {}", path.display(), secret.public().fingerprint());
        return Ok(());
    }
    if let BlindCmd::Map { listen } = cmd {
        return crate::blind_map::run(conn, data, listen);
    }
    let mut pins = Pins::open(data)?;
    if let BlindCmd::Pins = cmd {
        let mut t = Table::new(&["PARTY", "FINGERPRINT"]);
        for (party, fingerprint) in pins.list() {
            t.row(vec![party, fingerprint]);
        }
        t.print("no keys pinned yet");
        return Ok(());
    }
    let secret = load_secret(data)?;
    let me = token_sub(conn)?;
    let me = me.as_str();
    let pins = &mut pins;
    block_on(async move {
        let c = conn.client()?;
        match cmd {
            BlindCmd::Keygen { .. } | BlindCmd::Pins | BlindCmd::Map { .. } => {}
            BlindCmd::Trust { party, fingerprint, line } => {
                let state = line_state(&c, &line).await?;
                let key = published_key(&state, &party, &line)?;
                if !key.fingerprint().eq_ignore_ascii_case(fingerprint.trim()) {
                    bail!(
                        "{party}'s key on line {line} has fingerprint {}, not {fingerprint}: not pinned",
                        key.fingerprint()
                    );
                }
                pins.trust(&party, key)?;
                println!("pinned {party}'s blind key {}", key.fingerprint());
            }
            BlindCmd::Join { line } => {
                let body = json!({ "public_key": B64.encode(secret.public().as_bytes()) });
                let v = c
                    .put(&format!("/v1/lines/{line}/blind/key"), &body)
                    .await?
                    .ok(&format!("joining {line}"))?;
                // Pin the others' keys now, so a key swapped later is noticed
                // (and check that one's own was published as sent).
                for m in v["members"].as_array().into_iter().flatten() {
                    member_key(pins, &v, &field(m, "party"), &line, (me, &secret))?;
                }
                format.print(&v, |v| {
                    println!(
                        "published key {} on line {line} (epoch {})",
                        secret.public().fingerprint(),
                        v["epoch"]
                    );
                    for m in v["members"].as_array().into_iter().flatten() {
                        println!("  {}  {}", field(m, "party"), field(m, "fingerprint"));
                    }
                });
            }
            BlindCmd::Rotate { line, policy } => {
                let state = line_state(&c, &line).await?;
                let mut members = Vec::new();
                for m in state["members"].as_array().into_iter().flatten() {
                    let name = field(m, "party");
                    let key = member_key(pins, &state, &name, &line, (me, &secret))?;
                    members.push(Member { name, key });
                }
                let policy = LinePolicy::new(policy.apply(reported_policy(&state, &line)?.params()))?;
                let epoch = state["epoch"].as_u64().unwrap_or(0) + 1;
                let r = blind::keys::rotate(
                    &line,
                    Epoch(epoch),
                    &policy,
                    me,
                    &secret,
                    &members,
                    &mut rand::rng(),
                )?;
                let envelopes: serde_json::Map<String, Value> =
                    r.envelopes.iter().map(|(n, e)| (n.clone(), json!(B64.encode(e.to_bytes())))).collect();
                let body = json!({ "epoch": epoch, "envelopes": envelopes, "policy": policy.params() });
                let v = c.post(&format!("/v1/lines/{line}/blind/epochs"), &body).await?;
                let v = v.ok(&format!("rotating line {line}"))?;
                format.print(&v, |v| {
                    println!("line {line} at epoch {epoch}: key sealed to {}", v["keyed"]);
                });
            }
            BlindCmd::File { file, line, keys } => {
                file_op(&c, data, format, pins, me, &secret, None, &file, &line, &keys).await?;
            }
            BlindCmd::Update { id, file, line, keys } => {
                let op = c
                    .get(&format!("/v1/blind/operations/{id}"))
                    .await?
                    .ok(&format!("blind operation {id}"))?;
                let ovn = field(&op, "ovn");
                file_op(&c, data, format, pins, me, &secret, Some((&id, &ovn)), &file, &line, &keys).await?;
            }
            BlindCmd::SendGeometry { file, to, line } => {
                let text = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
                let state = line_state(&c, &line).await?;
                let to_key = member_key(pins, &state, &to, &line, (me, &secret))?;
                let ctx = EnvelopeContext {
                    line: &line,
                    epoch: Epoch(0),
                    sender: me,
                    recipient: &to,
                    policy: None,
                };
                let sealed = blind::keys::seal_message(&text, &ctx, &secret, &to_key, &mut rand::rng())?;
                let body = json!({ "line": line, "to": to, "sealed": B64.encode(&sealed) });
                let v =
                    c.post("/v1/blind/sealed", &body).await?.ok(&format!("sending {}", file.display()))?;
                format.print(&v, |v| {
                    println!(
                        "sent {} sealed to {to} ({} bytes): {}",
                        file.display(),
                        sealed.len(),
                        field(v, "id")
                    );
                });
            }
            BlindCmd::Received { line } => {
                let state = line_state(&c, &line).await?;
                let v = c.get("/v1/blind/sealed").await?.ok("sealed geometry")?;
                for g in v["sealed"].as_array().into_iter().flatten().filter(|g| g["line"] == line.as_str()) {
                    let from = field(g, "from");
                    let from_key = member_key(pins, &state, &from, &line, (me, &secret))?;
                    let bytes =
                        B64.decode(g["sealed"].as_str().unwrap_or_default()).context("sealed: not base64")?;
                    let ctx = EnvelopeContext {
                        line: &line,
                        epoch: Epoch(0),
                        sender: &from,
                        recipient: me,
                        policy: None,
                    };
                    let text = blind::keys::open_message(&bytes, &ctx, &secret, &from_key)?;
                    println!("from {from} at {}:\n{}", field(g, "sent_at"), String::from_utf8_lossy(&text));
                }
            }
            BlindCmd::Matches => {
                let v = c.get("/v1/blind/matches").await?.ok("matches")?;
                format.print(&v, |v| {
                    let mut t = Table::new(&["OPERATION", "OTHER", "PARTY", "CELL", "SLOT", "BAND"]);
                    for m in v["matches"].as_array().into_iter().flatten() {
                        let record = Record::load(data, &field(m, "operation"));
                        for tok in m["my_tokens"].as_array().into_iter().flatten() {
                            let place = record.as_ref().and_then(|r| {
                                r.place(tok.as_str().unwrap_or_default()).map(|p| (r.policy(), p))
                            });
                            let (cell, slot, band) = match place {
                                Some((policy, place)) => describe(&place, &policy),
                                None => ("(not filed here)".into(), "-".into(), "-".into()),
                            };
                            t.row(vec![
                                field(m, "operation"),
                                field(m, "other_operation"),
                                field(m, "other_party"),
                                cell,
                                slot,
                                band,
                            ]);
                        }
                    }
                    t.print("no matches");
                });
            }
            BlindCmd::End { id } => {
                let op = c
                    .get(&format!("/v1/blind/operations/{id}"))
                    .await?
                    .ok(&format!("blind operation {id}"))?;
                let path = format!("/v1/blind/operations/{id}/{}", field(&op, "ovn"));
                let v = c.call(reqwest::Method::DELETE, &path, None).await?.ok(&format!("ending {id}"))?;
                format.print(&v, |v| println!("blind operation {id}: {}", field(v, "state")));
            }
        }
        Ok(())
    })
}
