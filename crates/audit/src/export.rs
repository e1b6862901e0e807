//! JSON-lines export format, for `GET /v1/audit` and `deconflict audit verify FILE`.
//!
//! serde/serde_json are used here only to read and write this transport format; hashes and
//! signatures are always computed from the binary layouts in the crate documentation, so
//! the JSON's whitespace, key order or escaping never matter.
//!
//! # Format
//!
//! UTF-8 text, one JSON object per line (`\n` or `\r\n`; blank lines ignored), each with a
//! `"type"` field. Unknown types and unknown fields are errors. Hashes, salts, signatures,
//! public keys and key ids are lowercase hex (upper case accepted on input). Integers are
//! JSON numbers (`seq` is a u64, `timestamp` an i64 of µs since the Unix epoch, UTC).
//!
//! ```text
//! {"type":"key","key_id":"<16 hex>","public_key":"<64 hex>"}
//! {"type":"link","seq":1,"prev_hash":"<64 hex>","hash":"<64 hex>"}
//! {"type":"entry","seq":1,"timestamp":1700000000000000,"actor":"alpha","kind":"intent.created",
//!  "subject":"intent-1","parties":["alpha","bravo"],"payload":"{\"id\":\"intent-1\"}",
//!  "salt":"<32 hex>","prev_hash":"<64 hex>","hash":"<64 hex>"}
//! {"type":"checkpoint","seq":1,"hash":"<64 hex>","timestamp":1700000000000001,
//!  "key_id":"<16 hex>","signature":"<128 hex>"}
//! ```
//! (entry and checkpoint objects are each on one line; wrapped here for reading.)
//!
//! - `key`: a public key the exporter says signs its checkpoints. Informational only:
//!   a verifier must get its trusted keys out of band (`key_id` must match `public_key`).
//! - `link`: one per `seq` of the exported range, contiguous; the skeleton.
//! - `entry`: a full entry the recipient may see. `subject` is a string or `null` (or
//!   absent). `payload` is the payload JSON *as a JSON string* (escaped), so its exact bytes
//!   survive the round trip.
//! - `checkpoint`: a signed checkpoint.
//!
//! [`write_export`] writes keys first, then for each `seq`: its link, its entry (if
//! visible), its checkpoints. [`parse_export`] accepts the lines in any order and keeps
//! each type's lines in file order; verification requires them ascending.

use serde::{Deserialize, Serialize};

use crate::checkpoint::{Checkpoint, KeyId, PublicKey};
use crate::entry::{Entry, Link, SALT_LEN};
use crate::hex;
use crate::verify::Slice;

/// A parsed export: the slice and the keys the file claims (not trusted by themselves).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Export {
    /// Skeleton, visible entries and checkpoints.
    pub slice: Slice,
    /// Public keys listed in `key` lines, in file order.
    pub keys: Vec<PublicKey>,
}

/// A malformed line of an export.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct ExportError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong with it.
    pub reason: String,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
enum Line {
    Key {
        key_id: String,
        public_key: String,
    },
    Link {
        seq: u64,
        prev_hash: String,
        hash: String,
    },
    Entry {
        seq: u64,
        timestamp: i64,
        actor: String,
        kind: String,
        #[serde(default)]
        subject: Option<String>,
        parties: Vec<String>,
        payload: String,
        salt: String,
        prev_hash: String,
        hash: String,
    },
    Checkpoint {
        seq: u64,
        hash: String,
        timestamp: i64,
        key_id: String,
        signature: String,
    },
}

fn key_line(key: &PublicKey) -> Line {
    Line::Key { key_id: key.key_id().to_string(), public_key: key.to_hex() }
}

fn link_line(link: &Link) -> Line {
    Line::Link { seq: link.seq, prev_hash: hex::encode(&link.prev_hash), hash: hex::encode(&link.hash) }
}

fn entry_line(e: &Entry) -> Line {
    Line::Entry {
        seq: e.seq,
        timestamp: e.timestamp,
        actor: e.actor.clone(),
        kind: e.kind.clone(),
        subject: e.subject.clone(),
        parties: e.parties.clone(),
        payload: e.payload.clone(),
        salt: hex::encode(&e.salt),
        prev_hash: hex::encode(&e.prev_hash),
        hash: hex::encode(&e.hash),
    }
}

fn checkpoint_line(c: &Checkpoint) -> Line {
    Line::Checkpoint {
        seq: c.seq,
        hash: hex::encode(&c.hash),
        timestamp: c.timestamp,
        key_id: c.key_id.to_string(),
        signature: hex::encode(&c.signature),
    }
}

fn push_line(out: &mut String, line: &Line) {
    // Serializing these plain structs of strings and integers cannot fail.
    if let Ok(json) = serde_json::to_string(line) {
        out.push_str(&json);
        out.push('\n');
    }
}

/// Writes `slice` (and the service `keys`, informational) in the JSON-lines format.
/// Entries and checkpoints whose `seq` is not in the skeleton are written after the rest,
/// so nothing is silently dropped.
#[must_use]
pub fn write_export(slice: &Slice, keys: &[PublicKey]) -> String {
    let mut out = String::new();
    for key in keys {
        push_line(&mut out, &key_line(key));
    }
    let mut entries = slice.entries.iter().peekable();
    let mut checkpoints: Vec<&Checkpoint> = slice.checkpoints.iter().collect();
    checkpoints.sort_by_key(|c| c.seq);
    let mut checkpoints = checkpoints.into_iter().peekable();
    let mut leftovers = Vec::new();
    for link in &slice.skeleton {
        push_line(&mut out, &link_line(link));
        while let Some(e) = entries.next_if(|e| e.seq <= link.seq) {
            if e.seq == link.seq {
                push_line(&mut out, &entry_line(e));
            } else {
                leftovers.push(entry_line(e));
            }
        }
        while let Some(c) = checkpoints.next_if(|c| c.seq <= link.seq) {
            if c.seq == link.seq {
                push_line(&mut out, &checkpoint_line(c));
            } else {
                leftovers.push(checkpoint_line(c));
            }
        }
    }
    leftovers.extend(entries.map(entry_line));
    leftovers.extend(checkpoints.map(checkpoint_line));
    for line in &leftovers {
        push_line(&mut out, line);
    }
    out
}

fn hex_field<const N: usize>(value: &str, field: &str) -> Result<[u8; N], String> {
    hex::decode_array::<N>(value).ok_or_else(|| format!("{field}: expected {} hex digits", N * 2))
}

fn key_id_field(value: &str) -> Result<KeyId, String> {
    hex_field::<8>(value, "key_id").map(KeyId)
}

/// Parses the JSON-lines format.
///
/// Only the syntax is checked (valid JSON, known type, fields present, hex of the right
/// length, key ids matching keys); run [`crate::verify_slice`] on the result to check the
/// log itself.
///
/// # Errors
/// [`ExportError`] with the 1-based number of the first bad line.
pub fn parse_export(text: &str) -> Result<Export, ExportError> {
    let mut export = Export::default();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        if raw.trim().is_empty() {
            continue;
        }
        parse_line(raw, &mut export).map_err(|reason| ExportError { line, reason })?;
    }
    Ok(export)
}

fn parse_line(raw: &str, export: &mut Export) -> Result<(), String> {
    let parsed: Line = serde_json::from_str(raw).map_err(|e| e.to_string())?;
    match parsed {
        Line::Key { key_id, public_key } => {
            let key = PublicKey::from_hex(&public_key).map_err(|e| format!("public_key: {e}"))?;
            if key_id_field(&key_id)? != key.key_id() {
                return Err(format!(
                    "key_id {key_id} does not match public_key (its id is {})",
                    key.key_id()
                ));
            }
            export.keys.push(key);
        }
        Line::Link { seq, prev_hash, hash } => export.slice.skeleton.push(Link {
            seq,
            prev_hash: hex_field(&prev_hash, "prev_hash")?,
            hash: hex_field(&hash, "hash")?,
        }),
        Line::Entry { seq, timestamp, actor, kind, subject, parties, payload, salt, prev_hash, hash } => {
            export.slice.entries.push(Entry {
                seq,
                timestamp,
                actor,
                kind,
                subject,
                parties,
                payload,
                salt: hex_field::<SALT_LEN>(&salt, "salt")?,
                prev_hash: hex_field(&prev_hash, "prev_hash")?,
                hash: hex_field(&hash, "hash")?,
            })
        }
        Line::Checkpoint { seq, hash, timestamp, key_id, signature } => {
            export.slice.checkpoints.push(Checkpoint {
                seq,
                hash: hex_field(&hash, "hash")?,
                timestamp,
                key_id: key_id_field(&key_id)?,
                signature: hex_field(&signature, "signature")?,
            })
        }
    }
    Ok(())
}
