//! [`Tx`] over one SQLite connection: SQL text, row encoding and decoding.

use std::ops::Deref;

use deconflict_core::codec;
use deconflict_core::events::{NewEvent, PendingEvent};
use deconflict_core::ids::{EntityId, Manager, Ovn, SubscriptionId, UssBaseUrl};
use deconflict_core::model::{
    Availability, AvailabilityRecord, Constraint, EntityCounts, IntentState, OperationalIntent, PurgeCounts,
    Subscription,
};
use deconflict_core::records::{Record, RecordKey};
use deconflict_core::store::AreaQuery;
use deconflict_core::{StoreError, Tx, TxMode};
use geom::{Time, Volume4D};
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::error::{
    SqlResultExt, bad_column, from_codec, from_json, not_pending, not_this_event, out_of_range,
};
use crate::rtree::RBox;

// ---------------------------------------------------------------------------
// SQL

macro_rules! intent_columns {
    () => {
        "t.id, t.manager, t.version, t.state, t.ovn, t.uss_base_url, t.subscription_id, \
         t.created_at, t.updated_at, t.extents"
    };
}
macro_rules! constraint_columns {
    () => {
        "t.id, t.manager, t.version, t.ovn, t.uss_base_url, t.created_at, t.updated_at, t.extents"
    };
}
macro_rules! subscription_columns {
    () => {
        "t.id, t.manager, t.version, t.notification_index, t.uss_base_url, t.notify_for_intents, \
         t.notify_for_constraints, t.implicit, t.updated_at, t.extents"
    };
}

/// `SELECT <columns> FROM <table> t WHERE t.id = ?1`
macro_rules! by_id {
    ($columns:expr, $table:literal) => {
        concat!("SELECT ", $columns, " FROM ", $table, " t WHERE t.id = ?1")
    };
}

/// Candidate search: the R*Tree finds the boxes that meet the query box
/// (closed on every axis), the join on `pk` fetches their rows.
macro_rules! in_box {
    ($columns:expr, $table:literal) => {
        concat!(
            "SELECT ",
            $columns,
            " FROM ",
            $table,
            "_rtree r JOIN ",
            $table,
            " t ON t.pk = r.id \
             WHERE r.max_lng >= ?1 AND r.min_lng <= ?2 AND r.max_lat >= ?3 AND r.min_lat <= ?4 \
             AND r.max_alt_km >= ?5 AND r.min_alt_km <= ?6 AND r.max_t_h >= ?7 AND r.min_t_h <= ?8"
        )
    };
}

/// Writes the R*Tree entry of row `?1` (replacing the old one on update).
macro_rules! index {
    ($table:literal) => {
        concat!(
            "INSERT OR REPLACE INTO ",
            $table,
            "_rtree \
             (id, min_lng, max_lng, min_lat, max_lat, min_alt_km, max_alt_km, min_t_h, max_t_h) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
        )
    };
}

const INTENT_BY_ID: &str = by_id!(intent_columns!(), "operational_intents");
const INTENTS_IN: &str = in_box!(intent_columns!(), "operational_intents");
const INDEX_INTENT: &str = index!("operational_intents");
const CONSTRAINT_BY_ID: &str = by_id!(constraint_columns!(), "constraints");
const CONSTRAINTS_IN: &str = in_box!(constraint_columns!(), "constraints");
const INDEX_CONSTRAINT: &str = index!("constraints");
const SUBSCRIPTION_BY_ID: &str = by_id!(subscription_columns!(), "subscriptions");
const SUBSCRIPTIONS_IN: &str = in_box!(subscription_columns!(), "subscriptions");
const INDEX_SUBSCRIPTION: &str = index!("subscriptions");

const UPSERT_INTENT: &str = "INSERT INTO operational_intents \
    (id, manager, version, state, ovn, uss_base_url, subscription_id, created_at, updated_at, \
     time_start, time_end, alt_lower, alt_upper, extents) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) \
    ON CONFLICT (id) DO UPDATE SET manager = excluded.manager, version = excluded.version, \
     state = excluded.state, ovn = excluded.ovn, uss_base_url = excluded.uss_base_url, \
     subscription_id = excluded.subscription_id, created_at = excluded.created_at, \
     updated_at = excluded.updated_at, time_start = excluded.time_start, \
     time_end = excluded.time_end, alt_lower = excluded.alt_lower, \
     alt_upper = excluded.alt_upper, extents = excluded.extents \
    RETURNING pk";

const UPSERT_CONSTRAINT: &str = "INSERT INTO constraints \
    (id, manager, version, ovn, uss_base_url, created_at, updated_at, \
     time_start, time_end, alt_lower, alt_upper, extents) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) \
    ON CONFLICT (id) DO UPDATE SET manager = excluded.manager, version = excluded.version, \
     ovn = excluded.ovn, uss_base_url = excluded.uss_base_url, \
     created_at = excluded.created_at, updated_at = excluded.updated_at, \
     time_start = excluded.time_start, time_end = excluded.time_end, \
     alt_lower = excluded.alt_lower, alt_upper = excluded.alt_upper, extents = excluded.extents \
    RETURNING pk";

const UPSERT_SUBSCRIPTION: &str = "INSERT INTO subscriptions \
    (id, manager, version, notification_index, uss_base_url, notify_for_intents, \
     notify_for_constraints, implicit, updated_at, time_start, time_end, alt_lower, alt_upper, \
     extents) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) \
    ON CONFLICT (id) DO UPDATE SET manager = excluded.manager, version = excluded.version, \
     notification_index = excluded.notification_index, uss_base_url = excluded.uss_base_url, \
     notify_for_intents = excluded.notify_for_intents, \
     notify_for_constraints = excluded.notify_for_constraints, implicit = excluded.implicit, \
     updated_at = excluded.updated_at, time_start = excluded.time_start, \
     time_end = excluded.time_end, alt_lower = excluded.alt_lower, \
     alt_upper = excluded.alt_upper, extents = excluded.extents \
    RETURNING pk";

// Deleting a row also deletes its R*Tree entry (AFTER DELETE triggers).
const DELETE_INTENT: &str = "DELETE FROM operational_intents WHERE id = ?1";
const DELETE_CONSTRAINT: &str = "DELETE FROM constraints WHERE id = ?1";
const DELETE_SUBSCRIPTION: &str = "DELETE FROM subscriptions WHERE id = ?1";

const INTENTS_OF_SUBSCRIPTION: &str = "SELECT id FROM operational_intents WHERE subscription_id = ?1";

const AVAILABILITY: &str = "SELECT availability, version FROM uss_availability WHERE uss = ?1";
const UPSERT_AVAILABILITY: &str = "INSERT INTO uss_availability (uss, availability, version) \
    VALUES (?1, ?2, ?3) \
    ON CONFLICT (uss) DO UPDATE SET availability = excluded.availability, version = excluded.version";

const PURGE_INTENTS: &str = "DELETE FROM operational_intents WHERE time_end <= ?1";
const PURGE_CONSTRAINTS: &str = "DELETE FROM constraints WHERE time_end <= ?1";
const PURGE_SUBSCRIPTIONS: &str = "DELETE FROM subscriptions WHERE time_end <= ?1";
// Runs after the intents were purged, like the memory store's `in_use` set.
const PURGE_ORPHANS: &str = "DELETE FROM subscriptions WHERE implicit = 1 AND NOT EXISTS \
    (SELECT 1 FROM operational_intents oi WHERE oi.subscription_id = subscriptions.id)";

const COUNTS: &str = "SELECT (SELECT COUNT(*) FROM operational_intents), \
    (SELECT COUNT(*) FROM constraints), (SELECT COUNT(*) FROM subscriptions)";

// Events and the audit log (migration 0002). A sealed event row is an audit
// entry; `parties` is a JSON array of strings.

const APPEND_EVENT: &str = "INSERT INTO events (at, kind, actor, subject, parties, payload) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
// Served by the partial index `events_unsealed`, in id order.
const UNSEALED_EVENTS: &str = "SELECT id, at, kind, actor, subject, parties, payload FROM events \
    WHERE audit_seq IS NULL ORDER BY id LIMIT ?1";
// Only a pending row, and only with the content the entry was hashed over;
// `parties` takes the entry's (sorted, deduplicated) order.
const SEAL_EVENT: &str = "UPDATE events SET audit_seq = ?2, audit_ts = ?3, salt = ?4, prev_hash = ?5, \
    hash = ?6, parties = ?7 \
    WHERE id = ?1 AND audit_seq IS NULL AND kind = ?8 AND actor = ?9 AND subject IS ?10 AND payload = ?11";
const EVENT_IS_PENDING: &str = "SELECT audit_seq IS NULL FROM events WHERE id = ?1";

macro_rules! entry_columns {
    () => {
        "audit_seq, audit_ts, actor, kind, subject, parties, payload, salt, prev_hash, hash"
    };
}
// Both served by the UNIQUE index on audit_seq.
const LAST_SEALED: &str = concat!(
    "SELECT ",
    entry_columns!(),
    " FROM events WHERE audit_seq IS NOT NULL ORDER BY audit_seq DESC LIMIT 1"
);
const SEALED_AFTER: &str =
    concat!("SELECT ", entry_columns!(), " FROM events WHERE audit_seq > ?1 ORDER BY audit_seq LIMIT ?2");

const PUT_CHECKPOINT: &str = "INSERT INTO audit_checkpoints (seq, hash, timestamp, key_id, signature) \
    VALUES (?1, ?2, ?3, ?4, ?5) \
    ON CONFLICT (seq) DO UPDATE SET hash = excluded.hash, timestamp = excluded.timestamp, \
     key_id = excluded.key_id, signature = excluded.signature";
const CHECKPOINTS_AFTER: &str = "SELECT seq, hash, timestamp, key_id, signature FROM audit_checkpoints \
    WHERE seq > ?1 ORDER BY seq";

// Takes the lease if it is free, expired (`until <= now`) or already ours;
// returns a row exactly when we hold it afterwards.
const ACQUIRE_LEASE: &str = "INSERT INTO leases (name, holder, until) VALUES (?1, ?2, ?3) \
    ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until \
     WHERE leases.holder = excluded.holder OR leases.until <= ?4 \
    RETURNING holder";

// Generic records (migration 0003). Listings are by id in byte order (BINARY,
// the default collation); each is served by an index, without a sort.

macro_rules! record_columns {
    () => {
        "kind, id, body, k1, k2, due"
    };
}
const RECORD_GET: &str = concat!("SELECT ", record_columns!(), " FROM records WHERE kind = ?1 AND id = ?2");
const RECORD_PUT: &str = "INSERT INTO records (kind, id, body, k1, k2, due) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
    ON CONFLICT (kind, id) DO UPDATE SET body = excluded.body, k1 = excluded.k1, k2 = excluded.k2, \
     due = excluded.due";
const RECORD_DELETE: &str = "DELETE FROM records WHERE kind = ?1 AND id = ?2";
// The primary key.
const RECORDS_ALL: &str =
    concat!("SELECT ", record_columns!(), " FROM records WHERE kind = ?1 ORDER BY id LIMIT ?2");
// `records_k1`, `records_k2`.
const RECORDS_BY_K1: &str =
    concat!("SELECT ", record_columns!(), " FROM records WHERE kind = ?1 AND k1 = ?2 ORDER BY id LIMIT ?3");
const RECORDS_BY_K2: &str =
    concat!("SELECT ", record_columns!(), " FROM records WHERE kind = ?1 AND k2 = ?2 ORDER BY id LIMIT ?3");
// The partial index `records_due`.
const RECORDS_DUE: &str = concat!(
    "SELECT ",
    record_columns!(),
    " FROM records WHERE kind = ?1 AND due IS NOT NULL AND due <= ?2 ORDER BY due, id LIMIT ?3"
);

// ---------------------------------------------------------------------------
// Decoding

/// A row read by rusqlite, then checked against the domain types.
type Decoded<T> = rusqlite::Result<Result<T, StoreError>>;

fn extents(table: &str, id: &str, blob: &[u8]) -> Result<Vec<Volume4D>, StoreError> {
    codec::decode(blob).map_err(|e| from_codec(table, id, e))
}

fn entity_id(table: &str, s: &str) -> Result<EntityId, StoreError> {
    EntityId::parse(s).map_err(|e| bad_column(table, s, "id", e))
}

fn subscription_id(table: &str, id: &str, column: &str, s: &str) -> Result<SubscriptionId, StoreError> {
    SubscriptionId::parse(s).map_err(|e| bad_column(table, id, column, e))
}

fn manager(table: &str, id: &str, s: &str) -> Result<Manager, StoreError> {
    Manager::new(s).map_err(|e| bad_column(table, id, "manager", e))
}

fn ovn(table: &str, id: &str, s: &str) -> Result<Ovn, StoreError> {
    Ovn::parse(s).map_err(|e| bad_column(table, id, "ovn", e))
}

fn base_url(table: &str, id: &str, s: &str) -> Result<UssBaseUrl, StoreError> {
    // Validated (with the server's http policy) when written; accept both here.
    UssBaseUrl::parse(s, true).map_err(|e| bad_column(table, id, "uss_base_url", e))
}

fn read_intent(r: &Row<'_>) -> Decoded<OperationalIntent> {
    const T: &str = "operational_intents";
    let id: String = r.get(0)?;
    let manager_s: String = r.get(1)?;
    let version: i32 = r.get(2)?;
    let state_s: String = r.get(3)?;
    let ovn_s: String = r.get(4)?;
    let url_s: String = r.get(5)?;
    let sub_s: Option<String> = r.get(6)?;
    let created_at: i64 = r.get(7)?;
    let updated_at: i64 = r.get(8)?;
    let blob: Vec<u8> = r.get(9)?;
    Ok((|| {
        Ok(OperationalIntent {
            id: entity_id(T, &id)?,
            manager: manager(T, &id, &manager_s)?,
            version,
            state: IntentState::parse(&state_s)
                .ok_or_else(|| bad_column(T, &id, "state", format!("unknown state `{state_s}`")))?,
            ovn: ovn(T, &id, &ovn_s)?,
            extents: extents(T, &id, &blob)?,
            uss_base_url: base_url(T, &id, &url_s)?,
            subscription_id: sub_s
                .as_deref()
                .map(|s| subscription_id(T, &id, "subscription_id", s))
                .transpose()?,
            created_at: Time::from_micros(created_at),
            updated_at: Time::from_micros(updated_at),
        })
    })())
}

fn read_constraint(r: &Row<'_>) -> Decoded<Constraint> {
    const T: &str = "constraints";
    let id: String = r.get(0)?;
    let manager_s: String = r.get(1)?;
    let version: i32 = r.get(2)?;
    let ovn_s: String = r.get(3)?;
    let url_s: String = r.get(4)?;
    let created_at: i64 = r.get(5)?;
    let updated_at: i64 = r.get(6)?;
    let blob: Vec<u8> = r.get(7)?;
    Ok((|| {
        Ok(Constraint {
            id: entity_id(T, &id)?,
            manager: manager(T, &id, &manager_s)?,
            version,
            ovn: ovn(T, &id, &ovn_s)?,
            extents: extents(T, &id, &blob)?,
            uss_base_url: base_url(T, &id, &url_s)?,
            created_at: Time::from_micros(created_at),
            updated_at: Time::from_micros(updated_at),
        })
    })())
}

fn read_subscription(r: &Row<'_>) -> Decoded<Subscription> {
    const T: &str = "subscriptions";
    let id: String = r.get(0)?;
    let manager_s: String = r.get(1)?;
    let version: String = r.get(2)?;
    let notification_index: i32 = r.get(3)?;
    let url_s: String = r.get(4)?;
    let notify_for_intents: bool = r.get(5)?;
    let notify_for_constraints: bool = r.get(6)?;
    let implicit: bool = r.get(7)?;
    let updated_at: i64 = r.get(8)?;
    let blob: Vec<u8> = r.get(9)?;
    Ok((|| {
        Ok(Subscription {
            id: subscription_id(T, &id, "id", &id)?,
            manager: manager(T, &id, &manager_s)?,
            version,
            notification_index,
            extents: extents(T, &id, &blob)?,
            uss_base_url: base_url(T, &id, &url_s)?,
            notify_for_intents,
            notify_for_constraints,
            implicit,
            updated_at: Time::from_micros(updated_at),
        })
    })())
}

/// `seq` of the audit log as a column value; above `i64::MAX` it cannot be stored.
fn seq_column(seq: u64) -> Result<i64, StoreError> {
    i64::try_from(seq).map_err(|_| out_of_range("audit seq", seq))
}

/// "After `seq`" as a column bound: nothing is stored above `i64::MAX`.
fn after_bound(seq: u64) -> i64 {
    i64::try_from(seq).unwrap_or(i64::MAX)
}

/// A row count as a `LIMIT`.
fn limit(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn parties_json(parties: &[String]) -> Result<String, StoreError> {
    serde_json::to_string(parties).map_err(|e| from_json(&e))
}

fn parties(table: &str, id: &str, json: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(json).map_err(|e| bad_column(table, id, "parties", e))
}

fn fixed<const N: usize>(table: &str, id: &str, column: &str, blob: &[u8]) -> Result<[u8; N], StoreError> {
    blob.try_into().map_err(|_| bad_column(table, id, column, format!("{} bytes, expected {N}", blob.len())))
}

fn read_pending(r: &Row<'_>) -> Decoded<PendingEvent> {
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

fn read_entry(r: &Row<'_>) -> Decoded<audit::Entry> {
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

fn read_checkpoint(r: &Row<'_>) -> Decoded<audit::Checkpoint> {
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

fn read_record(r: &Row<'_>) -> Decoded<Record> {
    let due: Option<i64> = r.get(5)?;
    Ok(Ok(Record {
        kind: r.get(0)?,
        id: r.get(1)?,
        body: r.get(2)?,
        k1: r.get(3)?,
        k2: r.get(4)?,
        due: due.map(Time::from_micros),
    }))
}

// ---------------------------------------------------------------------------
// The transaction

/// The connection a transaction runs on: the writer (held under its lock for
/// the whole transaction) or a pooled reader.
pub(crate) trait Lease: Deref<Target = Connection> {}

impl<T: Deref<Target = Connection>> Lease for T {}

/// One SQLite transaction. `BEGIN` has been executed when it is built;
/// dropping it without [`Tx::commit`] executes `ROLLBACK`.
pub(crate) struct SqliteTx<L: Lease> {
    conn: L,
    mode: TxMode,
    open: bool,
}

impl<L: Lease> SqliteTx<L> {
    /// Starts a transaction on `conn`: `BEGIN IMMEDIATE` (take the write lock
    /// now, so a write transaction never fails half-way on a lock upgrade) or
    /// `BEGIN` (deferred: the read snapshot is taken at the first read and
    /// kept until the end).
    pub(crate) fn begin(conn: L, mode: TxMode) -> Result<Self, StoreError> {
        let sql = match mode {
            TxMode::Write => "BEGIN IMMEDIATE",
            TxMode::Read => "BEGIN",
        };
        conn.prepare_cached(sql).store()?.execute([]).store()?;
        Ok(Self { conn, mode, open: true })
    }

    fn writable(&self) -> Result<(), StoreError> {
        match self.mode {
            TxMode::Write => Ok(()),
            TxMode::Read => Err(StoreError::Backend("write attempted in a read-only transaction".into())),
        }
    }

    fn fetch_one<T>(
        &self,
        sql: &str,
        id: &str,
        read: fn(&Row<'_>) -> Decoded<T>,
    ) -> Result<Option<T>, StoreError> {
        let mut stmt = self.conn.prepare_cached(sql).store()?;
        stmt.query_row([id], read).optional().store()?.transpose()
    }

    fn fetch_in<T>(
        &self,
        sql: &str,
        area: &AreaQuery<'_>,
        read: fn(&Row<'_>) -> Decoded<T>,
    ) -> Result<Vec<T>, StoreError> {
        let q = RBox::of_area(area);
        let mut stmt = self.conn.prepare_cached(sql).store()?;
        let rows = stmt
            .query_map(
                params![q.min[0], q.max[0], q.min[1], q.max[1], q.min[2], q.max[2], q.min[3], q.max[3]],
                read,
            )
            .store()?;
        let mut out = Vec::new();
        for row in rows {
            out.push(row.store()??);
        }
        Ok(out)
    }

    fn fetch_all<T>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        read: fn(&Row<'_>) -> Decoded<T>,
    ) -> Result<Vec<T>, StoreError> {
        let mut stmt = self.conn.prepare_cached(sql).store()?;
        let rows = stmt.query_map(params, read).store()?;
        let mut out = Vec::new();
        for row in rows {
            out.push(row.store()??);
        }
        Ok(out)
    }

    /// Writes the R*Tree entry of row `pk` (`INSERT OR REPLACE` by id).
    fn index(&self, insert: &str, pk: i64, b: &RBox) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(insert)
            .store()?
            .execute(params![
                pk, b.min[0], b.max[0], b.min[1], b.max[1], b.min[2], b.max[2], b.min[3], b.max[3]
            ])
            .store()?;
        Ok(())
    }

    fn delete(&self, sql: &str, id: &str) -> Result<(), StoreError> {
        self.writable()?;
        self.conn.prepare_cached(sql).store()?.execute([id]).store()?;
        Ok(())
    }

    fn execute_count(&self, sql: &str, now: i64) -> Result<u64, StoreError> {
        let n = self.conn.prepare_cached(sql).store()?.execute([now]).store()?;
        Ok(n as u64)
    }
}

impl<L: Lease> Drop for SqliteTx<L> {
    fn drop(&mut self) {
        if self.open {
            // Best effort: if even ROLLBACK fails, the connection is still
            // inside a transaction and whoever takes it next rolls it back
            // (see `SqliteStore::writer` and `ReaderPool::lease`).
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

impl<L: Lease> Tx for SqliteTx<L> {
    fn intent(&mut self, id: EntityId) -> Result<Option<OperationalIntent>, StoreError> {
        self.fetch_one(INTENT_BY_ID, &id.to_string(), read_intent)
    }

    fn intents_in(&mut self, area: &AreaQuery<'_>) -> Result<Vec<OperationalIntent>, StoreError> {
        self.fetch_in(INTENTS_IN, area, read_intent)
    }

    fn intents_of_subscription(&mut self, id: SubscriptionId) -> Result<Vec<EntityId>, StoreError> {
        let mut stmt = self.conn.prepare_cached(INTENTS_OF_SUBSCRIPTION).store()?;
        let rows = stmt.query_map([id.to_string()], |r| r.get::<_, String>(0)).store()?;
        let mut out = Vec::new();
        for row in rows {
            out.push(entity_id("operational_intents", &row.store()?)?);
        }
        Ok(out)
    }

    fn put_intent(&mut self, oi: &OperationalIntent) -> Result<(), StoreError> {
        self.writable()?;
        let b = RBox::of_extents(&oi.extents);
        let t = oi.time();
        let pk: i64 = self
            .conn
            .prepare_cached(UPSERT_INTENT)
            .store()?
            .query_row(
                params![
                    oi.id.to_string(),
                    oi.manager.as_str(),
                    oi.version,
                    oi.state.as_str(),
                    oi.ovn.as_str(),
                    oi.uss_base_url.as_str(),
                    oi.subscription_id.map(|s| s.to_string()),
                    oi.created_at.as_micros(),
                    oi.updated_at.as_micros(),
                    t.start().as_micros(),
                    t.end().as_micros(),
                    b.min[2],
                    b.max[2],
                    codec::encode(&oi.extents),
                ],
                |r| r.get(0),
            )
            .store()?;
        self.index(INDEX_INTENT, pk, &b)
    }

    fn delete_intent(&mut self, id: EntityId) -> Result<(), StoreError> {
        self.delete(DELETE_INTENT, &id.to_string())
    }

    fn constraint(&mut self, id: EntityId) -> Result<Option<Constraint>, StoreError> {
        self.fetch_one(CONSTRAINT_BY_ID, &id.to_string(), read_constraint)
    }

    fn constraints_in(&mut self, area: &AreaQuery<'_>) -> Result<Vec<Constraint>, StoreError> {
        self.fetch_in(CONSTRAINTS_IN, area, read_constraint)
    }

    fn put_constraint(&mut self, c: &Constraint) -> Result<(), StoreError> {
        self.writable()?;
        let b = RBox::of_extents(&c.extents);
        let t = c.time();
        let pk: i64 = self
            .conn
            .prepare_cached(UPSERT_CONSTRAINT)
            .store()?
            .query_row(
                params![
                    c.id.to_string(),
                    c.manager.as_str(),
                    c.version,
                    c.ovn.as_str(),
                    c.uss_base_url.as_str(),
                    c.created_at.as_micros(),
                    c.updated_at.as_micros(),
                    t.start().as_micros(),
                    t.end().as_micros(),
                    b.min[2],
                    b.max[2],
                    codec::encode(&c.extents),
                ],
                |r| r.get(0),
            )
            .store()?;
        self.index(INDEX_CONSTRAINT, pk, &b)
    }

    fn delete_constraint(&mut self, id: EntityId) -> Result<(), StoreError> {
        self.delete(DELETE_CONSTRAINT, &id.to_string())
    }

    fn subscription(&mut self, id: SubscriptionId) -> Result<Option<Subscription>, StoreError> {
        self.fetch_one(SUBSCRIPTION_BY_ID, &id.to_string(), read_subscription)
    }

    fn subscriptions_in(&mut self, area: &AreaQuery<'_>) -> Result<Vec<Subscription>, StoreError> {
        self.fetch_in(SUBSCRIPTIONS_IN, area, read_subscription)
    }

    fn put_subscription(&mut self, s: &Subscription) -> Result<(), StoreError> {
        self.writable()?;
        let b = RBox::of_extents(&s.extents);
        let t = s.time();
        let pk: i64 = self
            .conn
            .prepare_cached(UPSERT_SUBSCRIPTION)
            .store()?
            .query_row(
                params![
                    s.id.to_string(),
                    s.manager.as_str(),
                    s.version,
                    s.notification_index,
                    s.uss_base_url.as_str(),
                    s.notify_for_intents,
                    s.notify_for_constraints,
                    s.implicit,
                    s.updated_at.as_micros(),
                    t.start().as_micros(),
                    t.end().as_micros(),
                    b.min[2],
                    b.max[2],
                    codec::encode(&s.extents),
                ],
                |r| r.get(0),
            )
            .store()?;
        self.index(INDEX_SUBSCRIPTION, pk, &b)
    }

    fn delete_subscription(&mut self, id: SubscriptionId) -> Result<(), StoreError> {
        self.delete(DELETE_SUBSCRIPTION, &id.to_string())
    }

    fn availability(&mut self, uss: &Manager) -> Result<Option<AvailabilityRecord>, StoreError> {
        let mut stmt = self.conn.prepare_cached(AVAILABILITY).store()?;
        let row = stmt
            .query_row([uss.as_str()], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .optional()
            .store()?;
        row.map(|(a, version)| {
            let availability = Availability::parse(&a).ok_or_else(|| {
                bad_column("uss_availability", uss.as_str(), "availability", format!("unknown value `{a}`"))
            })?;
            Ok(AvailabilityRecord { uss: uss.clone(), availability, version })
        })
        .transpose()
    }

    fn put_availability(&mut self, record: &AvailabilityRecord) -> Result<(), StoreError> {
        self.writable()?;
        self.conn
            .prepare_cached(UPSERT_AVAILABILITY)
            .store()?
            .execute(params![record.uss.as_str(), record.availability.as_str(), record.version])
            .store()?;
        Ok(())
    }

    fn purge_expired(&mut self, now: Time) -> Result<PurgeCounts, StoreError> {
        self.writable()?;
        let now = now.as_micros();
        let intents = self.execute_count(PURGE_INTENTS, now)?;
        let constraints = self.execute_count(PURGE_CONSTRAINTS, now)?;
        let ended = self.execute_count(PURGE_SUBSCRIPTIONS, now)?;
        let orphans = self.conn.prepare_cached(PURGE_ORPHANS).store()?.execute([]).store()? as u64;
        Ok(PurgeCounts { intents, constraints, subscriptions: ended + orphans })
    }

    fn counts(&mut self) -> Result<EntityCounts, StoreError> {
        let mut stmt = self.conn.prepare_cached(COUNTS).store()?;
        let (i, c, s): (i64, i64, i64) =
            stmt.query_row([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).store()?;
        let n = |v: i64| u64::try_from(v).unwrap_or_default();
        Ok(EntityCounts { intents: n(i), constraints: n(c), subscriptions: n(s) })
    }

    fn append_event(&mut self, e: &NewEvent) -> Result<(), StoreError> {
        self.writable()?;
        self.conn
            .prepare_cached(APPEND_EVENT)
            .store()?
            .execute(params![
                e.at.as_micros(),
                e.kind,
                e.actor,
                e.subject,
                parties_json(&e.parties)?,
                e.payload
            ])
            .store()?;
        Ok(())
    }

    fn unsealed_events(&mut self, n: usize) -> Result<Vec<PendingEvent>, StoreError> {
        self.fetch_all(UNSEALED_EVENTS, [limit(n)], read_pending)
    }

    fn seal_event(&mut self, id: i64, entry: &audit::Entry) -> Result<(), StoreError> {
        self.writable()?;
        let sealed = self
            .conn
            .prepare_cached(SEAL_EVENT)
            .store()?
            .execute(params![
                id,
                seq_column(entry.seq)?,
                entry.timestamp,
                &entry.salt[..],
                &entry.prev_hash[..],
                &entry.hash[..],
                parties_json(&entry.parties)?,
                entry.kind,
                entry.actor,
                entry.subject,
                entry.payload,
            ])
            .store()?;
        if sealed == 1 {
            return Ok(());
        }
        let pending: Option<bool> = self
            .conn
            .prepare_cached(EVENT_IS_PENDING)
            .store()?
            .query_row([id], |r| r.get(0))
            .optional()
            .store()?;
        Err(match pending {
            Some(true) => not_this_event(id, entry.seq),
            _ => not_pending(id),
        })
    }

    fn last_sealed(&mut self) -> Result<Option<audit::Entry>, StoreError> {
        let mut stmt = self.conn.prepare_cached(LAST_SEALED).store()?;
        stmt.query_row([], read_entry).optional().store()?.transpose()
    }

    fn sealed_after(&mut self, seq: u64, n: usize) -> Result<Vec<audit::Entry>, StoreError> {
        self.fetch_all(SEALED_AFTER, [after_bound(seq), limit(n)], read_entry)
    }

    fn put_checkpoint(&mut self, c: &audit::Checkpoint) -> Result<(), StoreError> {
        self.writable()?;
        self.conn
            .prepare_cached(PUT_CHECKPOINT)
            .store()?
            .execute(params![seq_column(c.seq)?, &c.hash[..], c.timestamp, &c.key_id.0[..], &c.signature[..]])
            .store()?;
        Ok(())
    }

    fn checkpoints_after(&mut self, seq: u64) -> Result<Vec<audit::Checkpoint>, StoreError> {
        self.fetch_all(CHECKPOINTS_AFTER, [after_bound(seq)], read_checkpoint)
    }

    fn acquire_lease(
        &mut self,
        name: &str,
        holder: &str,
        now: Time,
        ttl_us: i64,
    ) -> Result<bool, StoreError> {
        self.writable()?;
        let until = now.saturating_add_micros(ttl_us).as_micros();
        let mut stmt = self.conn.prepare_cached(ACQUIRE_LEASE).store()?;
        let held = stmt
            .query_row(params![name, holder, until, now.as_micros()], |r| r.get::<_, String>(0))
            .optional()
            .store()?;
        Ok(held.is_some())
    }

    fn record(&mut self, kind: &str, id: &str) -> Result<Option<Record>, StoreError> {
        let mut stmt = self.conn.prepare_cached(RECORD_GET).store()?;
        stmt.query_row([kind, id], read_record).optional().store()?.transpose()
    }

    fn put_record(&mut self, record: &Record) -> Result<(), StoreError> {
        self.writable()?;
        self.conn
            .prepare_cached(RECORD_PUT)
            .store()?
            .execute(params![
                record.kind,
                record.id,
                record.body,
                record.k1,
                record.k2,
                record.due.map(Time::as_micros)
            ])
            .store()?;
        Ok(())
    }

    fn delete_record(&mut self, kind: &str, id: &str) -> Result<(), StoreError> {
        self.writable()?;
        self.conn.prepare_cached(RECORD_DELETE).store()?.execute([kind, id]).store()?;
        Ok(())
    }

    fn records_by(&mut self, kind: &str, key: RecordKey<'_>, n: usize) -> Result<Vec<Record>, StoreError> {
        match key {
            RecordKey::All => self.fetch_all(RECORDS_ALL, params![kind, limit(n)], read_record),
            RecordKey::K1(k) => self.fetch_all(RECORDS_BY_K1, params![kind, k, limit(n)], read_record),
            RecordKey::K2(k) => self.fetch_all(RECORDS_BY_K2, params![kind, k, limit(n)], read_record),
        }
    }

    fn records_due(&mut self, kind: &str, before: Time, n: usize) -> Result<Vec<Record>, StoreError> {
        self.fetch_all(RECORDS_DUE, params![kind, before.as_micros(), limit(n)], read_record)
    }

    fn commit(mut self: Box<Self>) -> Result<(), StoreError> {
        self.conn.prepare_cached("COMMIT").store()?.execute([]).store()?;
        self.open = false;
        Ok(())
    }
}
