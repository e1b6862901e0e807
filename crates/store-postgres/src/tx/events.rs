//! Events, the audit log and its checkpoints, and leases: their SQL, and
//! the decoding of their rows.

use deconflict_core::StoreError;
use deconflict_core::events::{NewEvent, PendingEvent};
use postgres::Row;

use super::{get, time};
use crate::error::{bad_column, out_of_range};

// ---------------------------------------------------------------------------

// Events and the audit log (migration 0002). A sealed event row is an audit entry.

pub(super) const EVENT_APPEND: &str = "INSERT INTO events (at, kind, actor, subject, parties, payload) \
     VALUES ($1, $2, $3, $4, $5, $6)";
/// Served by the partial index `events_unsealed`, in id order.
pub(super) const EVENTS_UNSEALED: &str = "SELECT id, at, kind, actor, subject, parties, payload FROM events \
     WHERE audit_seq IS NULL ORDER BY id LIMIT $1";
/// Only a pending row, and only with the content the entry was hashed over;
/// `parties` takes the entry's (sorted, deduplicated) order.
pub(super) const EVENT_SEAL: &str = "UPDATE events SET audit_seq = $2, audit_ts = $3, salt = $4, prev_hash = $5, \
     hash = $6, parties = $7 \
     WHERE id = $1 AND audit_seq IS NULL AND kind = $8 AND actor = $9 \
     AND subject IS NOT DISTINCT FROM $10 AND payload = $11";
pub(super) const EVENT_IS_PENDING: &str = "SELECT audit_seq IS NULL AS pending FROM events WHERE id = $1";
macro_rules! entry_cols {
    () => {
        "audit_seq, audit_ts, actor, kind, subject, parties, payload, salt, prev_hash, hash"
    };
}
/// Both served by the UNIQUE index on `audit_seq`.
pub(super) const EVENT_LAST_SEALED: &str = concat!(
    "SELECT ",
    entry_cols!(),
    " FROM events WHERE audit_seq IS NOT NULL ORDER BY audit_seq DESC LIMIT 1"
);
pub(super) const EVENTS_SEALED_AFTER: &str =
    concat!("SELECT ", entry_cols!(), " FROM events WHERE audit_seq > $1 ORDER BY audit_seq LIMIT $2");

/// Retention: a sealed row keeps its link (audit_seq, audit_ts, salt,
/// prev_hash, hash) and loses its body; served by `events_audit_seq_key`.
pub(super) const EVENTS_FORGET: &str = "UPDATE events SET actor = '', kind = '', subject = NULL, \
     parties = '{}', payload = '' WHERE audit_seq > $1 AND audit_seq <= $2";

pub(super) const CHECKPOINT_PUT: &str = "INSERT INTO audit_checkpoints (seq, hash, timestamp, key_id, signature) \
     VALUES ($1, $2, $3, $4, $5) \
     ON CONFLICT (seq) DO UPDATE SET hash = EXCLUDED.hash, timestamp = EXCLUDED.timestamp, \
     key_id = EXCLUDED.key_id, signature = EXCLUDED.signature";
pub(super) const CHECKPOINTS_AFTER: &str = "SELECT seq, hash, timestamp, key_id, signature FROM audit_checkpoints \
     WHERE seq > $1 ORDER BY seq";

/// Takes the lease if it is free, expired (`until <= now`) or already ours, in
/// one statement; returns a row exactly when we hold it afterwards. A rival
/// transaction holding the row makes this wait for it, then fail with `40001`.
pub(super) const LEASE_ACQUIRE: &str = "INSERT INTO leases AS l (name, holder, until) VALUES ($1, $2, $3) \
     ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, until = EXCLUDED.until \
     WHERE l.holder = EXCLUDED.holder OR l.until <= $4 \
     RETURNING holder";

// ---------------------------------------------------------------------------
// Column decoding.

/// `seq` of the audit log as a BIGINT; above `i64::MAX` it cannot be stored.
pub(super) fn seq_param(seq: u64) -> Result<i64, StoreError> {
    i64::try_from(seq).map_err(|_| out_of_range("audit seq", seq))
}

/// "After `seq`" as a BIGINT bound: nothing is stored above `i64::MAX`.
pub(super) fn after_bound(seq: u64) -> i64 {
    i64::try_from(seq).unwrap_or(i64::MAX)
}

fn fixed<const N: usize>(row: &Row, table: &str, id: &str, col: &str) -> Result<[u8; N], StoreError> {
    let blob: &[u8] = get(row, table, id, col)?;
    blob.try_into().map_err(|_| bad_column(table, id, col, format!("{} bytes, expected {N}", blob.len())))
}

pub(super) fn pending_from_row(row: &Row) -> Result<PendingEvent, StoreError> {
    const T: &str = "events";
    let id: i64 = get(row, T, "?", "id")?;
    let name = id.to_string();
    let name = name.as_str();
    Ok(PendingEvent {
        id,
        event: NewEvent {
            at: time(row, T, name, "at")?,
            kind: get(row, T, name, "kind")?,
            actor: get(row, T, name, "actor")?,
            subject: get(row, T, name, "subject")?,
            parties: get(row, T, name, "parties")?,
            payload: get(row, T, name, "payload")?,
        },
    })
}

pub(super) fn entry_from_row(row: &Row) -> Result<audit::Entry, StoreError> {
    const T: &str = "events";
    let seq: i64 = get(row, T, "?", "audit_seq")?;
    let name = format!("audit_seq {seq}");
    let name = name.as_str();
    Ok(audit::Entry {
        seq: u64::try_from(seq).map_err(|e| bad_column(T, name, "audit_seq", e))?,
        timestamp: get(row, T, name, "audit_ts")?,
        actor: get(row, T, name, "actor")?,
        kind: get(row, T, name, "kind")?,
        subject: get(row, T, name, "subject")?,
        parties: get(row, T, name, "parties")?,
        payload: get(row, T, name, "payload")?,
        salt: fixed(row, T, name, "salt")?,
        prev_hash: fixed(row, T, name, "prev_hash")?,
        hash: fixed(row, T, name, "hash")?,
    })
}

pub(super) fn checkpoint_from_row(row: &Row) -> Result<audit::Checkpoint, StoreError> {
    const T: &str = "audit_checkpoints";
    let seq: i64 = get(row, T, "?", "seq")?;
    let name = seq.to_string();
    let name = name.as_str();
    Ok(audit::Checkpoint {
        seq: u64::try_from(seq).map_err(|e| bad_column(T, name, "seq", e))?,
        hash: fixed(row, T, name, "hash")?,
        timestamp: get(row, T, name, "timestamp")?,
        key_id: audit::KeyId(fixed(row, T, name, "key_id")?),
        signature: fixed(row, T, name, "signature")?,
    })
}
