//! Blind operations on a line (issue 14): the service side of blind
//! deconfliction. The service relays the members' public keys and the line
//! keys they seal to each other (ciphertext it cannot open), stores each blind
//! operation's owner, line, epoch, state, validity and padded token set, and
//! finds conflicts by token equality through an indexed record per token. It
//! applies the awareness rule (a blind operation that matches another party's
//! needs that operation's OVN), tells both owners, opens a thread on their
//! line and writes the match to the audit chain — telling each party only
//! which of its *own* tokens matched. It never sees a line key or a place.
//!
//! Records (kind: id — k1, k2):
//! - `blind_line`: line — the epoch and the members' public keys
//! - `blind_envelope`: `{line}:{epoch:020}:{recipient}` — k1 = `{line}:{recipient}`
//! - `blind_op`: UUIDv7 — k1 = line, k2 = owner
//! - `blind_token`: `{op}:{token}` — k1 = `{line}/{epoch}/{token}`, k2 = op
//! - `blind_match`: `{op}:{op}` (sorted) — k1, k2 = the two operations
//! - `blind_sealed`: UUIDv7 (sealed geometry) — k1 = recipient
//! - `blind_rate`: party — its filings of the last minute

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use geom::Time;
use serde::{Deserialize, Serialize};

use super::lines::line_for;
use super::messages::{ConflictThread, conflict_thread_tx};
use super::stored::us;
use super::{LineId, bad, decode, emit, load, load_all, save};
use crate::engine::{Ctx, EngineError};
use crate::events::EventKind;
use crate::ids::PartyName;
use crate::quota::{Quota, RecentWrites};
use crate::records::RecordKey;
use crate::store::Tx;

/// Record kinds of blind deconfliction.
pub mod kind {
    /// A line's blind state: epoch and members' public keys.
    pub const LINE: &str = "blind_line";
    /// A line key sealed to one member for one epoch.
    pub const ENVELOPE: &str = "blind_envelope";
    /// A blind operation.
    pub const OP: &str = "blind_op";
    /// One token of a live blind operation (the index of matching).
    pub const TOKEN: &str = "blind_token";
    /// A match between two blind operations.
    pub const MATCH: &str = "blind_match";
    /// Exact geometry sealed by one party to another.
    pub const SEALED: &str = "blind_sealed";
    /// A party's blind filings of the last minute (the probing bound).
    pub const RATE: &str = "blind_rate";
}

/// Size of a token and of a public key.
pub const TOKEN_LEN: usize = 32;
/// Largest sealed geometry relayed, in bytes.
pub const MAX_SEALED_BYTES: usize = 256 * 1024;

/// The limits of blind filing, set by the server for every line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlindLimits {
    /// The largest `max_tokens` a line's policy may set (padding included).
    pub max_tokens: usize,
    /// Most blind filings (file or update, accepted or refused for a
    /// missing key) per party per minute, counted over every replica.
    pub filings_per_minute: u32,
}

impl Default for BlindLimits {
    /// The default line policy's `max_tokens` and 30 filings a minute.
    fn default() -> Self {
        BlindLimits { max_tokens: blind::LinePolicy::default().params().max_tokens, filings_per_minute: 30 }
    }
}

/// A line's blind state as the service holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlindLine {
    /// The line.
    pub line: LineId,
    /// The current key epoch (0: no key sealed yet).
    pub epoch: u64,
    /// Who sealed the current epoch's key.
    #[serde(default)]
    pub sealed_by: Option<PartyName>,
    /// Members' public keys (base64 of 32 bytes), by party.
    pub members: BTreeMap<PartyName, String>,
    /// Members who had an envelope of the current epoch.
    #[serde(default)]
    pub keyed: BTreeSet<PartyName>,
    /// The current epoch's token policy, as its sealer set it (`None`
    /// before the first epoch: the default policy).
    #[serde(default)]
    pub policy: Option<blind::LinePolicy>,
}

impl BlindLine {
    /// The current epoch's policy (the default before the first epoch).
    pub fn policy(&self) -> blind::LinePolicy {
        self.policy.unwrap_or_default()
    }
}

/// A blind operation's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlindState {
    /// Filed and matched against others.
    Active,
    /// Ended by its owner: no longer matched.
    Ended,
}

/// A blind operation as stored: never a place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlindOp {
    /// UUIDv7.
    pub id: String,
    /// Its line.
    pub line: LineId,
    /// Its owner.
    pub owner: PartyName,
    /// The key epoch its tokens were made with.
    pub epoch: u64,
    /// Its state.
    pub state: BlindState,
    /// Start of validity.
    #[serde(rename = "start_us", with = "us")]
    pub start: Time,
    /// End of validity.
    #[serde(rename = "end_us", with = "us")]
    pub end: Time,
    /// Its version key: other parties show it to file a conflicting operation.
    pub ovn: String,
    /// Bumped by each update.
    pub version: u64,
    /// The padded token set (hex).
    pub tokens: Vec<String>,
    /// Last change.
    #[serde(rename = "updated_at_us", with = "us")]
    pub updated_at: Time,
}

/// What a client files: its line, epoch, validity and tokens, and the OVNs
/// of the other parties' operations it knows it conflicts with.
#[derive(Debug, Clone, PartialEq)]
pub struct BlindDraft {
    /// The epoch of the tokens (the line's current one).
    pub epoch: u64,
    /// Start of validity.
    pub start: Time,
    /// End of validity.
    pub end: Time,
    /// The padded token set.
    pub tokens: Vec<[u8; TOKEN_LEN]>,
    /// OVNs of conflicting operations the caller shows awareness of.
    pub keys: Vec<String>,
}

/// One match as one party sees it: its own operation and tokens, the other
/// operation and its owner.
#[derive(Debug, Clone, PartialEq)]
pub struct BlindMatchView {
    /// The caller's operation.
    pub operation: String,
    /// The other operation.
    pub other_operation: String,
    /// Its owner.
    pub other_party: PartyName,
    /// The caller's own tokens that matched (hex).
    pub my_tokens: Vec<String>,
    /// When the match was found.
    pub at: Time,
}

/// A refused filing: the operations it matches whose OVNs were not shown,
/// with the caller's own tokens that matched each.
#[derive(Debug, Clone, PartialEq)]
pub struct BlindConflict {
    /// The matches (with `operation` empty: nothing was filed).
    pub missing: Vec<BlindMatchView>,
}

/// The outcome of a filing: stored with its matches, or refused (409) with a
/// thread opened and the refusal in the audit log.
#[derive(Debug, Clone, PartialEq)]
pub enum BlindFiled {
    /// Stored.
    Filed {
        /// The operation.
        op: BlindOp,
        /// Its matches.
        matches: Vec<BlindMatchView>,
    },
    /// Refused for missing OVNs.
    Refused(BlindConflict),
}

/// Sealed geometry relayed to a party.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SealedGeometry {
    /// UUIDv7.
    pub id: String,
    /// Sender.
    pub from: PartyName,
    /// Recipient.
    pub to: PartyName,
    /// The line.
    pub line: LineId,
    /// Ciphertext (base64), opaque to the service.
    pub sealed: String,
    /// When it was sent.
    #[serde(rename = "sent_at_us", with = "us")]
    pub sent_at: Time,
}

#[derive(Debug, Serialize, Deserialize)]
struct StoredMatch {
    line: LineId,
    epoch: u64,
    at_us: i64,
    sides: [MatchSide; 2],
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct MatchSide {
    op: String,
    owner: PartyName,
    tokens: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct StoredEnvelope {
    sender: PartyName,
    envelope: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct TokenRef {
    op: String,
    owner: PartyName,
}

mod ev {
    use serde::Serialize;

    use crate::ids::PartyName;

    /// `blind.key_published`.
    #[derive(Debug, Serialize)]
    pub(super) struct KeyPublished<'a> {
        pub(super) line: &'a str,
        pub(super) party: &'a PartyName,
        pub(super) public_key: &'a str,
    }

    /// `blind.epoch_rotated`.
    #[derive(Debug, Serialize)]
    pub(super) struct EpochRotated<'a> {
        pub(super) line: &'a str,
        pub(super) epoch: u64,
        pub(super) sealed_by: &'a PartyName,
        pub(super) recipients: Vec<&'a PartyName>,
        pub(super) policy: blind::LinePolicy,
    }

    /// `blind.filed`, `blind.updated`, `blind.ended`: no token, no place.
    #[derive(Debug, Serialize)]
    pub(super) struct OpChanged<'a> {
        pub(super) operation: &'a str,
        pub(super) line: &'a str,
        pub(super) epoch: u64,
        pub(super) version: u64,
        pub(super) tokens: usize,
        pub(super) start_us: i64,
        pub(super) end_us: i64,
    }

    /// `blind.matched`, `blind.refused_missing_key`: which operations of
    /// which parties, how many tokens; never the tokens.
    #[derive(Debug, Serialize)]
    pub(super) struct Matched<'a> {
        pub(super) line: &'a str,
        pub(super) epoch: u64,
        pub(super) operation: &'a str,
        pub(super) owner: &'a PartyName,
        pub(super) other_operation: &'a str,
        pub(super) other_party: &'a PartyName,
        pub(super) matched_tokens: usize,
    }

    /// `blind.geometry_sent`: size only.
    #[derive(Debug, Serialize)]
    pub(super) struct GeometrySent<'a> {
        pub(super) id: &'a str,
        pub(super) line: &'a str,
        pub(super) to: &'a PartyName,
        pub(super) bytes: usize,
    }
}

fn envelope_id(line: &LineId, epoch: u64, recipient: &PartyName) -> String {
    format!("{line}:{epoch:020}:{recipient}")
}

fn load_blind_line(tx: &mut dyn Tx, line: &LineId) -> Result<BlindLine, EngineError> {
    Ok(load(tx, kind::LINE, line.as_str())?.unwrap_or_else(|| BlindLine {
        line: line.clone(),
        epoch: 0,
        sealed_by: None,
        members: BTreeMap::new(),
        keyed: BTreeSet::new(),
        policy: None,
    }))
}

fn load_op(tx: &mut dyn Tx, id: &str) -> Result<BlindOp, EngineError> {
    load(tx, kind::OP, id)?.ok_or_else(|| EngineError::NotFound(format!("blind operation {id} not found")))
}

fn own_op(tx: &mut dyn Tx, ctx: &Ctx, id: &str) -> Result<BlindOp, EngineError> {
    let op = load_op(tx, id)?;
    if op.owner != ctx.caller {
        return Err(EngineError::Forbidden(format!("blind operation {id} belongs to {}", op.owner)));
    }
    Ok(op)
}

fn match_id(a: &str, b: &str) -> (String, &'static str) {
    if a <= b { (format!("{a}:{b}"), "ab") } else { (format!("{b}:{a}"), "ba") }
}

/// The tokens of `op`'s line and epoch and of other owners' live operations
/// equal to one of `tokens`: `other op → (owner, my matched tokens)`.
fn find_matches(
    tx: &mut dyn Tx,
    ctx: &Ctx,
    line: &LineId,
    epoch: u64,
    tokens: &[String],
    skip: Option<&str>,
) -> Result<BTreeMap<String, (PartyName, Vec<String>)>, EngineError> {
    let mut out: BTreeMap<String, (PartyName, Vec<String>)> = BTreeMap::new();
    for t in tokens {
        let key = format!("{line}/{epoch}/{t}");
        for r in tx.records_by(kind::TOKEN, RecordKey::K1(&key), super::MAX_LIST)? {
            let tr: TokenRef = decode(&r)?;
            if tr.owner == ctx.caller || Some(tr.op.as_str()) == skip {
                continue;
            }
            out.entry(tr.op).or_insert_with(|| (tr.owner, Vec::new())).1.push(t.clone());
        }
    }
    // Only operations still valid: an operation past its end conflicts with nothing.
    let mut live = BTreeMap::new();
    for (id, v) in out {
        let other = load_op(tx, &id)?;
        if other.state == BlindState::Active && other.end > ctx.now {
            live.insert(id, v);
        }
    }
    Ok(live)
}

fn write_tokens(tx: &mut dyn Tx, op: &BlindOp) -> Result<(), EngineError> {
    for t in &op.tokens {
        let k1 = format!("{}/{}/{t}", op.line, op.epoch);
        let body = TokenRef { op: op.id.clone(), owner: op.owner.clone() };
        save(tx, kind::TOKEN, &format!("{}:{t}", op.id), &body, (Some(&k1), Some(&op.id)), None)?;
    }
    Ok(())
}

fn delete_tokens_and_matches(tx: &mut dyn Tx, op: &str) -> Result<(), EngineError> {
    for r in tx.records_by(kind::TOKEN, RecordKey::K2(op), blind::LinePolicy::MAX_TOKENS)? {
        tx.delete_record(kind::TOKEN, &r.id)?;
    }
    for key in [RecordKey::K1(op), RecordKey::K2(op)] {
        for r in tx.records_by(kind::MATCH, key, super::MAX_LIST)? {
            tx.delete_record(kind::MATCH, &r.id)?;
        }
    }
    Ok(())
}

fn op_event(tx: &mut dyn Tx, now: Time, kind: EventKind, op: &BlindOp) -> Result<(), EngineError> {
    let payload = ev::OpChanged {
        operation: &op.id,
        line: op.line.as_str(),
        epoch: op.epoch,
        version: op.version,
        tokens: op.tokens.len(),
        start_us: op.start.as_micros(),
        end_us: op.end.as_micros(),
    };
    emit(tx, now, kind, &op.owner, &op.id, [&op.owner], &payload)
}

impl super::Coord<'_> {
    /// The line's blind state (members, epoch) for a party on it.
    ///
    /// # Errors
    /// `NotFound`, `Forbidden`, `Store`.
    pub fn blind_line(&self, ctx: &Ctx, line: &LineId) -> Result<BlindLine, EngineError> {
        self.runner.read(|tx| {
            let l = line_for(tx, line, &ctx.caller)?;
            let mut b = load_blind_line(tx, line)?;
            // A party taken off the line is no member any more.
            b.members.retain(|p, _| l.has(p));
            Ok(b)
        })
    }

    /// Publishes (or replaces) the caller's public key on a line it is on.
    /// A replaced key takes effect with the next epoch.
    ///
    /// # Errors
    /// `BadRequest` for a key that is not 32 bytes; `NotFound`, `Forbidden`,
    /// `Timeout`, `Store`.
    pub fn blind_publish_key(&self, ctx: &Ctx, line: &LineId, key: &[u8]) -> Result<BlindLine, EngineError> {
        let public = blind::keys::PartyPublicKey::from_bytes(key)
            .map_err(|e| EngineError::BadRequest(e.to_string()))?;
        let encoded = B64.encode(public.as_bytes());
        self.runner.write(&ctx.deadline, |tx| {
            let l = line_for(tx, line, &ctx.caller)?;
            let mut b = load_blind_line(tx, line)?;
            b.members.insert(ctx.caller.clone(), encoded.clone());
            save(tx, kind::LINE, line.as_str(), &b, (None, None), None)?;
            let payload = ev::KeyPublished { line: line.as_str(), party: &ctx.caller, public_key: &encoded };
            emit(tx, ctx.now, EventKind::BlindKeyPublished, &ctx.caller, line, &l.parties, &payload)?;
            Ok(b)
        })
    }

    /// Starts epoch `epoch` (the current one plus one) with the line key
    /// sealed by the caller to every member with a published key who is
    /// still on the line — and to no one else, so a party taken off the line
    /// gets nothing of the new epoch. The epoch's tokens follow `policy`,
    /// which the envelopes bind: a member opens its key only under it.
    ///
    /// # Errors
    /// `Stale` for another epoch (someone rotated first); `BadRequest` for
    /// missing, extra or malformed envelopes, or a policy over `limits`;
    /// `NotFound`, `Forbidden`, `Timeout`, `Store`.
    pub fn blind_rotate(
        &self,
        ctx: &Ctx,
        limits: &BlindLimits,
        line: &LineId,
        epoch: u64,
        policy: &blind::LinePolicy,
        envelopes: &BTreeMap<PartyName, Vec<u8>>,
    ) -> Result<BlindLine, EngineError> {
        let params = policy.params();
        if params.max_tokens > limits.max_tokens {
            return bad(format!(
                "policy.max_tokens: {} is over this service's limit of {} tokens per blind operation",
                params.max_tokens, limits.max_tokens
            ));
        }
        self.runner.write(&ctx.deadline, |tx| {
            let l = line_for(tx, line, &ctx.caller)?;
            let mut b = load_blind_line(tx, line)?;
            if epoch != b.epoch + 1 {
                return Err(EngineError::Stale(format!(
                    "line {line} is at blind epoch {}; the next is {}, not {epoch}",
                    b.epoch,
                    b.epoch + 1
                )));
            }
            b.members.retain(|p, _| l.has(p));
            if !b.members.contains_key(&ctx.caller) {
                return bad(format!("{} has no public key on line {line}: publish one first", ctx.caller));
            }
            let want: BTreeSet<&PartyName> = b.members.keys().collect();
            let got: BTreeSet<&PartyName> = envelopes.keys().collect();
            if let Some(p) = want.difference(&got).next() {
                return bad(format!("envelopes: none for member {p} of line {line}"));
            }
            if let Some(p) = got.difference(&want).next() {
                return bad(format!("envelopes: {p} has no public key on line {line} (or is not on it)"));
            }
            for (p, e) in envelopes {
                if e.len() != blind::keys::Envelope::LEN {
                    return bad(format!(
                        "envelopes.{p}: must be {} bytes, not {}",
                        blind::keys::Envelope::LEN,
                        e.len()
                    ));
                }
                let body = StoredEnvelope { sender: ctx.caller.clone(), envelope: B64.encode(e) };
                let k1 = format!("{line}:{p}");
                save(tx, kind::ENVELOPE, &envelope_id(line, epoch, p), &body, (Some(&k1), None), None)?;
            }
            b.epoch = epoch;
            b.sealed_by = Some(ctx.caller.clone());
            b.keyed = envelopes.keys().cloned().collect();
            b.policy = Some(*policy);
            save(tx, kind::LINE, line.as_str(), &b, (None, None), None)?;
            let payload = ev::EpochRotated {
                line: line.as_str(),
                epoch,
                sealed_by: &ctx.caller,
                recipients: envelopes.keys().collect(),
                policy: *policy,
            };
            emit(tx, ctx.now, EventKind::BlindEpochRotated, &ctx.caller, line, &l.parties, &payload)?;
            Ok(b)
        })
    }

    /// The caller's envelope of `epoch` (the current one when `None`): the
    /// sender and the sealed bytes.
    ///
    /// # Errors
    /// `NotFound` when there is none for the caller; `Forbidden`, `Store`.
    pub fn blind_envelope(
        &self,
        ctx: &Ctx,
        line: &LineId,
        epoch: Option<u64>,
    ) -> Result<(u64, PartyName, Vec<u8>), EngineError> {
        self.runner.read(|tx| {
            line_for(tx, line, &ctx.caller)?;
            let epoch = match epoch {
                Some(e) => e,
                None => load_blind_line(tx, line)?.epoch,
            };
            let id = envelope_id(line, epoch, &ctx.caller);
            let e: StoredEnvelope = load(tx, kind::ENVELOPE, &id)?.ok_or_else(|| {
                EngineError::NotFound(format!(
                    "no envelope of epoch {epoch} on line {line} for {}",
                    ctx.caller
                ))
            })?;
            let bytes = B64.decode(&e.envelope).map_err(|err| {
                EngineError::Store(crate::StoreError::corrupt_by(format!("envelope {id}: {err}"), err))
            })?;
            Ok((epoch, e.sender, bytes))
        })
    }

    /// Files a new blind operation on `line` (or, with `replacing`, updates
    /// the caller's operation whose OVN is `replacing.1`).
    ///
    /// # Errors
    /// `BadRequest` (epoch not the line's, no tokens, more than the line's
    /// policy allows, bad times); `QuotaExceeded` over the filing rate
    /// (counted in the store, so over every replica); `Stale` for a wrong
    /// OVN; `NotFound`, `Forbidden`, `Timeout`, `Store`.
    pub fn blind_file(
        &self,
        ctx: &Ctx,
        limits: &BlindLimits,
        line: &LineId,
        replacing: Option<(&str, &str)>,
        draft: &BlindDraft,
    ) -> Result<BlindFiled, EngineError> {
        if draft.tokens.is_empty() {
            return bad("tokens: a blind operation needs at least one token");
        }
        if draft.end <= draft.start {
            return bad("time_end: must be after time_start");
        }
        if draft.end <= ctx.now {
            return bad("time_end: already past");
        }
        let mut tokens: Vec<String> = draft.tokens.iter().map(|t| audit::hex::encode(t)).collect();
        tokens.sort_unstable();
        tokens.dedup();
        self.runner.write(&ctx.deadline, |tx| {
            line_for(tx, line, &ctx.caller)?;
            let mut recent: RecentWrites = load(tx, kind::RATE, ctx.caller.as_str())?.unwrap_or_default();
            recent.take(&ctx.caller, Quota::BlindFilingsPerMinute, limits.filings_per_minute, ctx.now)?;
            save(tx, kind::RATE, ctx.caller.as_str(), &recent, (None, None), None)?;
            let b = load_blind_line(tx, line)?;
            if b.epoch == 0 || draft.epoch != b.epoch {
                return bad(format!(
                    "epoch: line {line} is at blind epoch {}, not {} (tokens of another epoch never match)",
                    b.epoch, draft.epoch
                ));
            }
            let max_tokens = b.policy().params().max_tokens;
            if draft.tokens.len() > max_tokens {
                return bad(format!(
                    "tokens: {} tokens; line {line}'s blind policy allows at most {max_tokens} (its maximum blind area)",
                    draft.tokens.len()
                ));
            }
            let previous = match replacing {
                Some((id, ovn)) => {
                    let op = own_op(tx, ctx, id)?;
                    if op.ovn != ovn {
                        return Err(EngineError::Stale(format!("blind operation {id}: OVN {ovn} is not its current one")));
                    }
                    if op.state == BlindState::Ended {
                        return bad(format!("blind operation {id} has ended"));
                    }
                    if op.line != *line {
                        return bad(format!("blind operation {id} is on line {}, not {line}", op.line));
                    }
                    Some(op)
                }
                None => None,
            };
            let skip = previous.as_ref().map(|p| p.id.as_str());
            let found = find_matches(tx, ctx, line, draft.epoch, &tokens, skip)?;
            let mut missing = Vec::new();
            for (other_id, (other, mine)) in &found {
                let other_op = load_op(tx, other_id)?;
                if !draft.keys.contains(&other_op.ovn) {
                    missing.push(BlindMatchView {
                        operation: skip.unwrap_or_default().to_owned(),
                        other_operation: other_id.clone(),
                        other_party: other.clone(),
                        my_tokens: mine.clone(),
                        at: ctx.now,
                    });
                }
            }
            if !missing.is_empty() {
                for m in &missing {
                    let payload = ev::Matched {
                        line: line.as_str(),
                        epoch: draft.epoch,
                        operation: skip.unwrap_or(""),
                        owner: &ctx.caller,
                        other_operation: &m.other_operation,
                        other_party: &m.other_party,
                        matched_tokens: m.my_tokens.len(),
                    };
                    let told = [&ctx.caller, &m.other_party];
                    emit(tx, ctx.now, EventKind::BlindRefusedMissingKey, &ctx.caller, line, told, &payload)?;
                    let text = format!(
                        "BLIND CONFLICT. {}'s blind operation was refused (409): it matches {}'s blind operation {} on line {line}, whose OVN it did not show. Decode the match locally and coordinate on this thread.",
                        ctx.caller, m.other_party, m.other_operation
                    );
                    let t = ConflictThread::between(
                        "blind",
                        ctx.caller.as_str(),
                        skip.unwrap_or("new"),
                        m.other_party.as_str(),
                        &m.other_operation,
                        text,
                    );
                    conflict_thread_tx(tx, ctx.now, &t)?;
                }
                return Ok(BlindFiled::Refused(BlindConflict { missing }));
            }
            let (id, version, kind_ev) = match &previous {
                Some(p) => {
                    delete_tokens_and_matches(tx, &p.id)?;
                    (p.id.clone(), p.version + 1, EventKind::BlindUpdated)
                }
                None => (uuid::Uuid::now_v7().to_string(), 1, EventKind::BlindFiled),
            };
            let op = BlindOp {
                id,
                line: line.clone(),
                owner: ctx.caller.clone(),
                epoch: draft.epoch,
                state: BlindState::Active,
                start: draft.start,
                end: draft.end,
                ovn: uuid::Uuid::new_v4().simple().to_string(),
                version,
                tokens: tokens.clone(),
                updated_at: ctx.now,
            };
            save(tx, kind::OP, &op.id, &op, (Some(line.as_str()), Some(ctx.caller.as_str())), None)?;
            write_tokens(tx, &op)?;
            op_event(tx, ctx.now, kind_ev, &op)?;
            let mut matches = Vec::new();
            for (other_id, (other, mine)) in found {
                let other_tokens: Vec<String> = mine.clone();
                let (mid, order) = match_id(&op.id, &other_id);
                let me = MatchSide { op: op.id.clone(), owner: op.owner.clone(), tokens: mine.clone() };
                let them = MatchSide { op: other_id.clone(), owner: other.clone(), tokens: other_tokens };
                let sides = if order == "ab" { [me, them] } else { [them, me] };
                let (k1, k2) = (sides[0].op.clone(), sides[1].op.clone());
                let stored = StoredMatch { line: line.clone(), epoch: op.epoch, at_us: ctx.now.as_micros(), sides };
                save(tx, kind::MATCH, &mid, &stored, (Some(&k1), Some(&k2)), None)?;
                let payload = ev::Matched {
                    line: line.as_str(),
                    epoch: op.epoch,
                    operation: &op.id,
                    owner: &op.owner,
                    other_operation: &other_id,
                    other_party: &other,
                    matched_tokens: mine.len(),
                };
                emit(tx, ctx.now, EventKind::BlindMatched, &ctx.caller, &mid, [&op.owner, &other], &payload)?;
                let text = format!(
                    "BLIND MATCH. {}'s blind operation {} and {other}'s blind operation {other_id} share {} grid place(s) on line {line}. Each side decodes its own matched tokens locally; coordinate on this thread.",
                    op.owner,
                    op.id,
                    mine.len()
                );
                let thread =
                    ConflictThread::between("blind", op.owner.as_str(), &op.id, other.as_str(), &other_id, text);
                conflict_thread_tx(tx, ctx.now, &thread)?;
                matches.push(BlindMatchView {
                    operation: op.id.clone(),
                    other_operation: other_id,
                    other_party: other,
                    my_tokens: mine,
                    at: ctx.now,
                });
            }
            Ok(BlindFiled::Filed { op, matches })
        })
    }

    /// Ends the caller's blind operation: its tokens and matches are removed,
    /// so it matches nothing any more.
    ///
    /// # Errors
    /// `Stale` for a wrong OVN; `NotFound`, `Forbidden`, `Timeout`, `Store`.
    pub fn blind_end(&self, ctx: &Ctx, id: &str, ovn: &str) -> Result<BlindOp, EngineError> {
        self.runner.write(&ctx.deadline, |tx| {
            let mut op = own_op(tx, ctx, id)?;
            if op.ovn != ovn {
                return Err(EngineError::Stale(format!(
                    "blind operation {id}: OVN {ovn} is not its current one"
                )));
            }
            if op.state == BlindState::Ended {
                return Ok(op);
            }
            delete_tokens_and_matches(tx, id)?;
            op.state = BlindState::Ended;
            op.version += 1;
            op.updated_at = ctx.now;
            save(tx, kind::OP, &op.id, &op, (Some(op.line.as_str()), Some(ctx.caller.as_str())), None)?;
            op_event(tx, ctx.now, EventKind::BlindEnded, &op)?;
            Ok(op)
        })
    }

    /// One of the caller's own blind operations.
    ///
    /// # Errors
    /// `NotFound`, `Forbidden`, `Store`.
    pub fn blind_op(&self, ctx: &Ctx, id: &str) -> Result<BlindOp, EngineError> {
        self.runner.read(|tx| own_op(tx, ctx, id))
    }

    /// The caller's own blind operations (newest last).
    ///
    /// # Errors
    /// `Store`.
    pub fn blind_ops(&self, ctx: &Ctx) -> Result<Vec<BlindOp>, EngineError> {
        self.runner.read(|tx| load_all(tx, kind::OP, RecordKey::K2(ctx.caller.as_str())))
    }

    /// Matches of the caller's live operations: for each, only the caller's
    /// own tokens.
    ///
    /// # Errors
    /// `Store`.
    pub fn blind_matches(&self, ctx: &Ctx) -> Result<Vec<BlindMatchView>, EngineError> {
        self.runner.read(|tx| {
            let mut out = Vec::new();
            let ops = tx.records_by(kind::OP, RecordKey::K2(ctx.caller.as_str()), super::MAX_LIST)?;
            for r in ops {
                for key in [RecordKey::K1(&r.id), RecordKey::K2(&r.id)] {
                    for m in tx.records_by(kind::MATCH, key, super::MAX_LIST)? {
                        let m: StoredMatch = decode(&m)?;
                        let (mine, theirs) = if m.sides[0].op == r.id {
                            (&m.sides[0], &m.sides[1])
                        } else {
                            (&m.sides[1], &m.sides[0])
                        };
                        out.push(BlindMatchView {
                            operation: mine.op.clone(),
                            other_operation: theirs.op.clone(),
                            other_party: theirs.owner.clone(),
                            my_tokens: mine.tokens.clone(),
                            at: Time::from_micros(m.at_us),
                        });
                    }
                }
            }
            Ok(out)
        })
    }

    /// Relays exact geometry the caller sealed to `to` (a party on `line`
    /// with it): stored as the opaque bytes it is.
    ///
    /// # Errors
    /// `BadRequest` (empty, too large, to oneself, `to` not on the line);
    /// `NotFound`, `Forbidden`, `Timeout`, `Store`.
    pub fn blind_send_sealed(
        &self,
        ctx: &Ctx,
        line: &LineId,
        to: &PartyName,
        sealed: &[u8],
    ) -> Result<SealedGeometry, EngineError> {
        if sealed.is_empty() || sealed.len() > MAX_SEALED_BYTES {
            return bad(format!("sealed: {} bytes; must be 1 to {MAX_SEALED_BYTES}", sealed.len()));
        }
        if *to == ctx.caller {
            return bad("to: sealing geometry to oneself");
        }
        self.runner.write(&ctx.deadline, |tx| {
            let l = line_for(tx, line, &ctx.caller)?;
            if !l.has(to) {
                return bad(format!("to: {to} is not on line {line}"));
            }
            let g = SealedGeometry {
                id: uuid::Uuid::now_v7().to_string(),
                from: ctx.caller.clone(),
                to: to.clone(),
                line: line.clone(),
                sealed: B64.encode(sealed),
                sent_at: ctx.now,
            };
            save(tx, kind::SEALED, &g.id, &g, (Some(to.as_str()), Some(ctx.caller.as_str())), None)?;
            let payload = ev::GeometrySent { id: &g.id, line: line.as_str(), to, bytes: sealed.len() };
            emit(tx, ctx.now, EventKind::BlindGeometrySent, &ctx.caller, &g.id, [&ctx.caller, to], &payload)?;
            Ok(g)
        })
    }

    /// Sealed geometry relayed to the caller.
    ///
    /// # Errors
    /// `Store`.
    pub fn blind_sealed_inbox(&self, ctx: &Ctx) -> Result<Vec<SealedGeometry>, EngineError> {
        self.runner.read(|tx| load_all(tx, kind::SEALED, RecordKey::K1(ctx.caller.as_str())))
    }
}
