//! Events, the audit log and its checkpoints: their SQL, the decoding of
//! their rows, and the transaction's methods that use them.

use deconflict_core::StoreError;
use deconflict_core::events::{NewEvent, PendingEvent};
use tokio_postgres::Row;

use super::{PgTx, get, limit_param, time};
use crate::error::{bad_column, not_pending, not_this_event, out_of_range};

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
/// [`EVENT_SEAL`] for a whole batch in one statement: one array per column,
/// row `i` of each; the parties of all rows in one array, row `i`'s from
/// index `$12[i]` to `$13[i]` (an empty slice when `$12[i] > $13[i]`).
/// Returns the ids it sealed.
pub(super) const EVENTS_SEAL: &str = "UPDATE events AS e SET audit_seq = u.seq, audit_ts = u.ts, salt = u.salt, \
     prev_hash = u.prev_hash, hash = u.hash, parties = COALESCE(($7::TEXT[])[u.lo:u.hi], '{}') \
     FROM unnest($1::BIGINT[], $2::BIGINT[], $3::BIGINT[], $4::BYTEA[], $5::BYTEA[], $6::BYTEA[], \
     $8::TEXT[], $9::TEXT[], $10::TEXT[], $11::TEXT[], $12::INTEGER[], $13::INTEGER[]) \
     AS u(id, seq, ts, salt, prev_hash, hash, kind, actor, subject, payload, lo, hi) \
     WHERE e.id = u.id AND e.audit_seq IS NULL AND e.kind = u.kind AND e.actor = u.actor \
     AND e.subject IS NOT DISTINCT FROM u.subject AND e.payload = u.payload \
     RETURNING e.id";
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

// ---------------------------------------------------------------------------
// Column decoding.

/// `seq` of the audit log as a BIGINT; above `i64::MAX` it cannot be stored.
pub(super) fn seq_param(seq: u64) -> Result<i64, StoreError> {
    i64::try_from(seq).map_err(|_| out_of_range("audit seq", seq))
}

/// A 1-based position in an SQL array parameter.
fn array_index(i: usize) -> Result<i32, StoreError> {
    i32::try_from(i).map_err(|_| out_of_range("parties in one sealing batch", i))
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

impl PgTx<'_> {
    pub(super) fn append_event(&mut self, e: &NewEvent) -> Result<(), StoreError> {
        let at = e.at.as_micros();
        self.queue(
            EVENT_APPEND,
            owned![
                at,
                e.kind.clone(),
                e.actor.clone(),
                e.subject.clone(),
                e.parties.clone(),
                e.payload.clone()
            ],
        )
    }

    pub(super) fn unsealed_events(&mut self, limit: usize) -> Result<Vec<PendingEvent>, StoreError> {
        let rows = self.query(EVENTS_UNSEALED, &[&limit_param(limit)])?;
        rows.iter().map(pending_from_row).collect()
    }

    pub(super) fn seal_event(&mut self, id: i64, entry: &audit::Entry) -> Result<(), StoreError> {
        let seq = seq_param(entry.seq)?;
        let sealed = self.execute(
            EVENT_SEAL,
            &[
                &id,
                &seq,
                &entry.timestamp,
                &entry.salt.as_slice(),
                &entry.prev_hash.as_slice(),
                &entry.hash.as_slice(),
                &entry.parties,
                &entry.kind,
                &entry.actor,
                &entry.subject,
                &entry.payload,
            ],
        )?;
        if sealed == 1 {
            return Ok(());
        }
        Err(self.unsealed(id, entry.seq)?)
    }

    /// One statement for the batch; when a row was not sealed, the first
    /// such one is reported as [`PgTx::seal_event`] would.
    pub(super) fn seal_events(&mut self, batch: &[(i64, audit::Entry)]) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        let n = batch.len();
        let (mut ids, mut seqs, mut ts) =
            (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
        let (mut salts, mut prevs, mut hashes) =
            (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
        let (mut kinds, mut actors, mut subjects, mut payloads) =
            (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
        let (mut parties, mut lo, mut hi) = (Vec::new(), Vec::with_capacity(n), Vec::with_capacity(n));
        for (id, e) in batch {
            ids.push(*id);
            seqs.push(seq_param(e.seq)?);
            ts.push(e.timestamp);
            salts.push(e.salt.as_slice());
            prevs.push(e.prev_hash.as_slice());
            hashes.push(e.hash.as_slice());
            kinds.push(e.kind.as_str());
            actors.push(e.actor.as_str());
            subjects.push(e.subject.as_deref());
            payloads.push(e.payload.as_str());
            // SQL arrays count from 1.
            lo.push(array_index(parties.len() + 1)?);
            parties.extend(e.parties.iter().map(String::as_str));
            hi.push(array_index(parties.len())?);
        }
        let rows = self.query(
            EVENTS_SEAL,
            &[
                &ids, &seqs, &ts, &salts, &prevs, &hashes, &parties, &kinds, &actors, &subjects, &payloads,
                &lo, &hi,
            ],
        )?;
        if rows.len() == n {
            return Ok(());
        }
        let done: std::collections::HashSet<i64> =
            rows.iter().map(|r| get::<i64>(r, "events", "?", "id")).collect::<Result<_, _>>()?;
        match batch.iter().find(|(id, _)| !done.contains(id)) {
            Some((id, entry)) => Err(self.unsealed(*id, entry.seq)?),
            None => Err(not_pending(ids[0])),
        }
    }

    /// Why event `id` was not sealed as audit entry `seq`.
    fn unsealed(&mut self, id: i64, seq: u64) -> Result<StoreError, StoreError> {
        let rows = self.query(EVENT_IS_PENDING, &[&id])?;
        let pending = match rows.first() {
            Some(row) => get::<bool>(row, "events", &id.to_string(), "pending")?,
            None => false,
        };
        Ok(if pending { not_this_event(id, seq) } else { not_pending(id) })
    }

    pub(super) fn last_sealed(&mut self) -> Result<Option<audit::Entry>, StoreError> {
        let rows = self.query(EVENT_LAST_SEALED, &[])?;
        rows.first().map(entry_from_row).transpose()
    }

    pub(super) fn sealed_after(&mut self, seq: u64, limit: usize) -> Result<Vec<audit::Entry>, StoreError> {
        let rows = self.query(EVENTS_SEALED_AFTER, &[&after_bound(seq), &limit_param(limit)])?;
        rows.iter().map(entry_from_row).collect()
    }

    pub(super) fn forget_sealed(&mut self, after: u64, through: u64) -> Result<u64, StoreError> {
        self.execute(EVENTS_FORGET, &[&after_bound(after), &after_bound(through)])
    }

    pub(super) fn put_checkpoint(&mut self, c: &audit::Checkpoint) -> Result<(), StoreError> {
        let seq = seq_param(c.seq)?;
        self.execute(
            CHECKPOINT_PUT,
            &[&seq, &c.hash.as_slice(), &c.timestamp, &c.key_id.0.as_slice(), &c.signature.as_slice()],
        )?;
        Ok(())
    }

    pub(super) fn checkpoints_after(&mut self, seq: u64) -> Result<Vec<audit::Checkpoint>, StoreError> {
        let rows = self.query(CHECKPOINTS_AFTER, &[&after_bound(seq)])?;
        rows.iter().map(checkpoint_from_row).collect()
    }
}
