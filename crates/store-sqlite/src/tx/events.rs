//! Events, the audit log and its checkpoints, and leases: their SQL, and
//! the decoding of their rows.

use deconflict_core::StoreError;
use deconflict_core::events::{NewEvent, PendingEvent};
use geom::Time;
use rusqlite::Row;

use super::Decoded;
use crate::error::{bad_column, from_json, out_of_range};

// ---------------------------------------------------------------------------
// SQL

// Events and the audit log (migration 0002). A sealed event row is an audit
// entry; `parties` is a JSON array of strings.

pub(super) const APPEND_EVENT: &str = "INSERT INTO events (at, kind, actor, subject, parties, payload) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
// Served by the partial index `events_unsealed`, in id order.
pub(super) const UNSEALED_EVENTS: &str = "SELECT id, at, kind, actor, subject, parties, payload FROM events \
    WHERE audit_seq IS NULL ORDER BY id LIMIT ?1";
// Only a pending row, and only with the content the entry was hashed over;
// `parties` takes the entry's (sorted, deduplicated) order.
pub(super) const SEAL_EVENT: &str = "UPDATE events SET audit_seq = ?2, audit_ts = ?3, salt = ?4, prev_hash = ?5, \
    hash = ?6, parties = ?7 \
    WHERE id = ?1 AND audit_seq IS NULL AND kind = ?8 AND actor = ?9 AND subject IS ?10 AND payload = ?11";
pub(super) const EVENT_IS_PENDING: &str = "SELECT audit_seq IS NULL FROM events WHERE id = ?1";

macro_rules! entry_columns {
    () => {
        "audit_seq, audit_ts, actor, kind, subject, parties, payload, salt, prev_hash, hash"
    };
}
// Both served by the UNIQUE index on audit_seq.
pub(super) const LAST_SEALED: &str = concat!(
    "SELECT ",
    entry_columns!(),
    " FROM events WHERE audit_seq IS NOT NULL ORDER BY audit_seq DESC LIMIT 1"
);
pub(super) const SEALED_AFTER: &str =
    concat!("SELECT ", entry_columns!(), " FROM events WHERE audit_seq > ?1 ORDER BY audit_seq LIMIT ?2");

// Retention: a sealed row keeps its link (audit_seq, audit_ts, salt,
// prev_hash, hash) and loses its body; served by the UNIQUE index on audit_seq.
pub(super) const FORGET_SEALED: &str = "UPDATE events SET actor = '', kind = '', subject = NULL, parties = '[]', \
    payload = '' WHERE audit_seq > ?1 AND audit_seq <= ?2";

pub(super) const PUT_CHECKPOINT: &str = "INSERT INTO audit_checkpoints (seq, hash, timestamp, key_id, signature) \
    VALUES (?1, ?2, ?3, ?4, ?5) \
    ON CONFLICT (seq) DO UPDATE SET hash = excluded.hash, timestamp = excluded.timestamp, \
     key_id = excluded.key_id, signature = excluded.signature";
pub(super) const CHECKPOINTS_AFTER: &str = "SELECT seq, hash, timestamp, key_id, signature FROM audit_checkpoints \
    WHERE seq > ?1 ORDER BY seq";

// Takes the lease if it is free, expired (`until <= now`) or already ours;
// returns a row exactly when we hold it afterwards.
pub(super) const ACQUIRE_LEASE: &str = "INSERT INTO leases (name, holder, until) VALUES (?1, ?2, ?3) \
    ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until \
     WHERE leases.holder = excluded.holder OR leases.until <= ?4 \
    RETURNING holder";
// ---------------------------------------------------------------------------
// Decoding

/// `seq` of the audit log as a column value; above `i64::MAX` it cannot be stored.
pub(super) fn seq_column(seq: u64) -> Result<i64, StoreError> {
    i64::try_from(seq).map_err(|_| out_of_range("audit seq", seq))
}

/// "After `seq`" as a column bound: nothing is stored above `i64::MAX`.
pub(super) fn after_bound(seq: u64) -> i64 {
    i64::try_from(seq).unwrap_or(i64::MAX)
}

pub(super) fn parties_json(parties: &[String]) -> Result<String, StoreError> {
    serde_json::to_string(parties).map_err(|e| from_json(&e))
}

fn parties(table: &str, id: &str, json: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(json).map_err(|e| bad_column(table, id, "parties", e))
}

fn fixed<const N: usize>(table: &str, id: &str, column: &str, blob: &[u8]) -> Result<[u8; N], StoreError> {
    blob.try_into().map_err(|_| bad_column(table, id, column, format!("{} bytes, expected {N}", blob.len())))
}

pub(super) fn read_pending(r: &Row<'_>) -> Decoded<PendingEvent> {
    let id: i64 = r.get(0)?;
    let at: i64 = r.get(1)?;
    let kind: String = r.get(2)?;
    let actor: String = r.get(3)?;
    let subject: Option<String> = r.get(4)?;
    let parties_s: String = r.get(5)?;
    let payload: String = r.get(6)?;
    Ok((|| {
        Ok(PendingEvent {
            id,
            event: NewEvent {
                at: Time::from_micros(at),
                kind,
                actor,
                subject,
                parties: parties("events", &id.to_string(), &parties_s)?,
                payload,
            },
        })
    })())
}

pub(super) fn read_entry(r: &Row<'_>) -> Decoded<audit::Entry> {
    const T: &str = "events";
    let seq: i64 = r.get(0)?;
    let timestamp: i64 = r.get(1)?;
    let actor: String = r.get(2)?;
    let kind: String = r.get(3)?;
    let subject: Option<String> = r.get(4)?;
    let parties_s: String = r.get(5)?;
    let payload: String = r.get(6)?;
    let salt: Vec<u8> = r.get(7)?;
    let prev_hash: Vec<u8> = r.get(8)?;
    let hash: Vec<u8> = r.get(9)?;
    Ok((|| {
        let id = format!("audit_seq {seq}");
        Ok(audit::Entry {
            seq: u64::try_from(seq).map_err(|e| bad_column(T, &id, "audit_seq", e))?,
            timestamp,
            actor,
            kind,
            subject,
            parties: parties(T, &id, &parties_s)?,
            payload,
            salt: fixed(T, &id, "salt", &salt)?,
            prev_hash: fixed(T, &id, "prev_hash", &prev_hash)?,
            hash: fixed(T, &id, "hash", &hash)?,
        })
    })())
}

pub(super) fn read_checkpoint(r: &Row<'_>) -> Decoded<audit::Checkpoint> {
    const T: &str = "audit_checkpoints";
    let seq: i64 = r.get(0)?;
    let hash: Vec<u8> = r.get(1)?;
    let timestamp: i64 = r.get(2)?;
    let key_id: Vec<u8> = r.get(3)?;
    let signature: Vec<u8> = r.get(4)?;
    Ok((|| {
        let id = seq.to_string();
        Ok(audit::Checkpoint {
            seq: u64::try_from(seq).map_err(|e| bad_column(T, &id, "seq", e))?,
            hash: fixed(T, &id, "hash", &hash)?,
            timestamp,
            key_id: audit::KeyId(fixed(T, &id, "key_id", &key_id)?),
            signature: fixed(T, &id, "signature", &signature)?,
        })
    })())
}
