//! One transaction on a pooled connection: entity ↔ row mapping and the
//! candidate searches.

use deconflict_core::codec;
use deconflict_core::events::{NewEvent, PendingEvent};
use deconflict_core::model::{
    Availability, AvailabilityRecord, Constraint, EntityCounts, IntentState, OperationalIntent, PurgeCounts,
    Subscription,
};
use deconflict_core::records::{Record, RecordKey};
use deconflict_core::store::AreaQuery;
use deconflict_core::{EntityId, Manager, Ovn, StoreError, SubscriptionId, Tx, TxMode, UssBaseUrl};
use geom::Time;
use postgres::Row;
use postgres::types::{FromSql, ToSql};
use uuid::Uuid;

use crate::error::{
    aborted, bad_column, copy, from_codec, from_pg, not_pending, not_this_event, out_of_range,
};
use crate::pool::Lease;
use crate::spatial::{Search, Spatial};

// ---------------------------------------------------------------------------
// SQL. Column lists are macros so that `concat!` builds `&'static str`s, the
// keys of the per-connection prepared-statement cache.

macro_rules! intent_cols {
    () => {
        "id, manager, version, state, ovn, uss_base_url, subscription_id, created_at, updated_at, extents"
    };
}
macro_rules! constraint_cols {
    () => {
        "id, manager, version, ovn, uss_base_url, created_at, updated_at, extents"
    };
}
macro_rules! subscription_cols {
    () => {
        "id, manager, version, notification_index, uss_base_url, notify_for_intents, \
         notify_for_constraints, implicit, updated_at, extents"
    };
}
/// The columns derived by [`Spatial`], in the order `spatial_params` binds them.
macro_rules! spatial_cols {
    () => {
        "time_start, time_end, alt_lower, alt_upper, min_lat, max_lat, min_lng, max_lng, cells, cells_complete"
    };
}
macro_rules! spatial_update {
    () => {
        "time_start = EXCLUDED.time_start, time_end = EXCLUDED.time_end, \
         alt_lower = EXCLUDED.alt_lower, alt_upper = EXCLUDED.alt_upper, \
         min_lat = EXCLUDED.min_lat, max_lat = EXCLUDED.max_lat, \
         min_lng = EXCLUDED.min_lng, max_lng = EXCLUDED.max_lng, \
         cells = EXCLUDED.cells, cells_complete = EXCLUDED.cells_complete, extents = EXCLUDED.extents"
    };
}
/// Closed altitude and time overlap: `$1..$2` metres, `$3..$4` µs.
macro_rules! band {
    () => {
        " WHERE alt_upper >= $1 AND alt_lower <= $2 AND time_end >= $3 AND time_start <= $4"
    };
}
/// Closed lat/lng box overlap: lat `$5..$6`, lng `$7..$8`.
macro_rules! in_box {
    () => {
        "max_lat >= $5 AND min_lat <= $6 AND max_lng >= $7 AND min_lng <= $8"
    };
}
/// Cell search: rows sharing a cell with `$9`, plus rows whose footprints
/// could not be covered, by box.
macro_rules! by_cells {
    () => {
        concat!(band!(), " AND (cells && $9 OR (NOT cells_complete AND ", in_box!(), "))")
    };
}
/// Box search, for an area that could not be covered.
macro_rules! by_box {
    () => {
        concat!(band!(), " AND ", in_box!())
    };
}

const INTENT_GET: &str = concat!("SELECT ", intent_cols!(), " FROM operational_intents WHERE id = $1");
const INTENT_BY_CELLS: &str = concat!("SELECT ", intent_cols!(), " FROM operational_intents", by_cells!());
const INTENT_BY_BOX: &str = concat!("SELECT ", intent_cols!(), " FROM operational_intents", by_box!());
const INTENT_OF_SUB: &str = "SELECT id FROM operational_intents WHERE subscription_id = $1";
const INTENT_PUT: &str = concat!(
    "INSERT INTO operational_intents (",
    intent_cols!(),
    ", ",
    spatial_cols!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
     $11, $12, $13, $14, $15, $16, $17, $18, $19, $20) \
     ON CONFLICT (id) DO UPDATE SET manager = EXCLUDED.manager, version = EXCLUDED.version, \
     state = EXCLUDED.state, ovn = EXCLUDED.ovn, uss_base_url = EXCLUDED.uss_base_url, \
     subscription_id = EXCLUDED.subscription_id, created_at = EXCLUDED.created_at, \
     updated_at = EXCLUDED.updated_at, ",
    spatial_update!()
);
const INTENT_DELETE: &str = "DELETE FROM operational_intents WHERE id = $1";

const CONSTRAINT_GET: &str = concat!("SELECT ", constraint_cols!(), " FROM constraints WHERE id = $1");
const CONSTRAINT_BY_CELLS: &str = concat!("SELECT ", constraint_cols!(), " FROM constraints", by_cells!());
const CONSTRAINT_BY_BOX: &str = concat!("SELECT ", constraint_cols!(), " FROM constraints", by_box!());
const CONSTRAINT_PUT: &str = concat!(
    "INSERT INTO constraints (",
    constraint_cols!(),
    ", ",
    spatial_cols!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
     $11, $12, $13, $14, $15, $16, $17, $18) \
     ON CONFLICT (id) DO UPDATE SET manager = EXCLUDED.manager, version = EXCLUDED.version, \
     ovn = EXCLUDED.ovn, uss_base_url = EXCLUDED.uss_base_url, created_at = EXCLUDED.created_at, \
     updated_at = EXCLUDED.updated_at, ",
    spatial_update!()
);
const CONSTRAINT_DELETE: &str = "DELETE FROM constraints WHERE id = $1";

const SUBSCRIPTION_GET: &str = concat!("SELECT ", subscription_cols!(), " FROM subscriptions WHERE id = $1");
const SUBSCRIPTION_BY_CELLS: &str =
    concat!("SELECT ", subscription_cols!(), " FROM subscriptions", by_cells!());
const SUBSCRIPTION_BY_BOX: &str = concat!("SELECT ", subscription_cols!(), " FROM subscriptions", by_box!());
const SUBSCRIPTION_PUT: &str = concat!(
    "INSERT INTO subscriptions (",
    subscription_cols!(),
    ", ",
    spatial_cols!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
     $11, $12, $13, $14, $15, $16, $17, $18, $19, $20) \
     ON CONFLICT (id) DO UPDATE SET manager = EXCLUDED.manager, version = EXCLUDED.version, \
     notification_index = EXCLUDED.notification_index, uss_base_url = EXCLUDED.uss_base_url, \
     notify_for_intents = EXCLUDED.notify_for_intents, \
     notify_for_constraints = EXCLUDED.notify_for_constraints, implicit = EXCLUDED.implicit, \
     updated_at = EXCLUDED.updated_at, ",
    spatial_update!()
);
const SUBSCRIPTION_DELETE: &str = "DELETE FROM subscriptions WHERE id = $1";

const AVAILABILITY_GET: &str = "SELECT availability, version FROM uss_availability WHERE uss = $1";
const AVAILABILITY_PUT: &str = "INSERT INTO uss_availability (uss, availability, version) VALUES ($1, $2, $3) \
     ON CONFLICT (uss) DO UPDATE SET availability = EXCLUDED.availability, version = EXCLUDED.version";

const PURGE_INTENTS: &str = "DELETE FROM operational_intents WHERE time_end <= $1";
const PURGE_CONSTRAINTS: &str = "DELETE FROM constraints WHERE time_end <= $1";
/// Runs after the intents' purge, so "in use" means "used by a remaining intent".
const PURGE_SUBSCRIPTIONS: &str = "DELETE FROM subscriptions s WHERE s.time_end <= $1 \
     OR (s.implicit AND NOT EXISTS (SELECT 1 FROM operational_intents o WHERE o.subscription_id = s.id))";
const COUNTS: &str = "SELECT (SELECT count(*) FROM operational_intents), \
     (SELECT count(*) FROM constraints), (SELECT count(*) FROM subscriptions)";

// Events and the audit log (migration 0002). A sealed event row is an audit entry.

const EVENT_APPEND: &str = "INSERT INTO events (at, kind, actor, subject, parties, payload) \
     VALUES ($1, $2, $3, $4, $5, $6)";
/// Served by the partial index `events_unsealed`, in id order.
const EVENTS_UNSEALED: &str = "SELECT id, at, kind, actor, subject, parties, payload FROM events \
     WHERE audit_seq IS NULL ORDER BY id LIMIT $1";
/// Only a pending row, and only with the content the entry was hashed over;
/// `parties` takes the entry's (sorted, deduplicated) order.
const EVENT_SEAL: &str = "UPDATE events SET audit_seq = $2, audit_ts = $3, salt = $4, prev_hash = $5, \
     hash = $6, parties = $7 \
     WHERE id = $1 AND audit_seq IS NULL AND kind = $8 AND actor = $9 \
     AND subject IS NOT DISTINCT FROM $10 AND payload = $11";
const EVENT_IS_PENDING: &str = "SELECT audit_seq IS NULL AS pending FROM events WHERE id = $1";
macro_rules! entry_cols {
    () => {
        "audit_seq, audit_ts, actor, kind, subject, parties, payload, salt, prev_hash, hash"
    };
}
/// Both served by the UNIQUE index on `audit_seq`.
const EVENT_LAST_SEALED: &str = concat!(
    "SELECT ",
    entry_cols!(),
    " FROM events WHERE audit_seq IS NOT NULL ORDER BY audit_seq DESC LIMIT 1"
);
const EVENTS_SEALED_AFTER: &str =
    concat!("SELECT ", entry_cols!(), " FROM events WHERE audit_seq > $1 ORDER BY audit_seq LIMIT $2");

const CHECKPOINT_PUT: &str = "INSERT INTO audit_checkpoints (seq, hash, timestamp, key_id, signature) \
     VALUES ($1, $2, $3, $4, $5) \
     ON CONFLICT (seq) DO UPDATE SET hash = EXCLUDED.hash, timestamp = EXCLUDED.timestamp, \
     key_id = EXCLUDED.key_id, signature = EXCLUDED.signature";
const CHECKPOINTS_AFTER: &str = "SELECT seq, hash, timestamp, key_id, signature FROM audit_checkpoints \
     WHERE seq > $1 ORDER BY seq";

/// Takes the lease if it is free, expired (`until <= now`) or already ours, in
/// one statement; returns a row exactly when we hold it afterwards. A rival
/// transaction holding the row makes this wait for it, then fail with `40001`.
const LEASE_ACQUIRE: &str = "INSERT INTO leases AS l (name, holder, until) VALUES ($1, $2, $3) \
     ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, until = EXCLUDED.until \
     WHERE l.holder = EXCLUDED.holder OR l.until <= $4 \
     RETURNING holder";

// Generic records (migration 0003). `id` is COLLATE "C": listings are by id in
// byte order. Each listing is served by an index, without a sort.

macro_rules! record_cols {
    () => {
        "kind, id, body, k1, k2, due"
    };
}
const RECORD_GET: &str = concat!("SELECT ", record_cols!(), " FROM records WHERE kind = $1 AND id = $2");
const RECORD_PUT: &str = "INSERT INTO records (kind, id, body, k1, k2, due) VALUES ($1, $2, $3, $4, $5, $6) \
     ON CONFLICT (kind, id) DO UPDATE SET body = EXCLUDED.body, k1 = EXCLUDED.k1, k2 = EXCLUDED.k2, \
     due = EXCLUDED.due";
const RECORD_DELETE: &str = "DELETE FROM records WHERE kind = $1 AND id = $2";
/// The primary key.
const RECORDS_ALL: &str =
    concat!("SELECT ", record_cols!(), " FROM records WHERE kind = $1 ORDER BY id LIMIT $2");
/// `records_k1`, `records_k2`.
const RECORDS_BY_K1: &str =
    concat!("SELECT ", record_cols!(), " FROM records WHERE kind = $1 AND k1 = $2 ORDER BY id LIMIT $3");
const RECORDS_BY_K2: &str =
    concat!("SELECT ", record_cols!(), " FROM records WHERE kind = $1 AND k2 = $2 ORDER BY id LIMIT $3");
/// The partial index `records_due`.
const RECORDS_DUE: &str = concat!(
    "SELECT ",
    record_cols!(),
    " FROM records WHERE kind = $1 AND due IS NOT NULL AND due <= $2 ORDER BY due, id LIMIT $3"
);

// ---------------------------------------------------------------------------

/// A transaction of a [`crate::PgStore`].
pub(crate) struct PgTx<'a> {
    lease: Lease<'a>,
    /// `COMMIT` or `ROLLBACK` was sent (or the connection is gone).
    done: bool,
    /// The first statement error: PostgreSQL aborts the transaction on it.
    failed: Option<StoreError>,
    /// The last area searched, with its parameters.
    last_search: Option<Search>,
}

/// `BEGIN` statement of each mode. Isolation is always explicit: distributed
/// engines default to snapshot isolation.
pub(crate) fn begin_sql(mode: TxMode) -> &'static str {
    match mode {
        TxMode::Write => "BEGIN ISOLATION LEVEL SERIALIZABLE, READ WRITE",
        TxMode::Read => "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
    }
}

impl<'a> PgTx<'a> {
    /// Wraps a connection on which `BEGIN` has succeeded.
    pub(crate) fn started(lease: Lease<'a>) -> Self {
        Self { lease, done: false, failed: None, last_search: None }
    }

    /// Maps a statement error, remembering it (the transaction is now
    /// aborted) and marking the connection broken when it was lost.
    fn fail(&mut self, e: &postgres::Error) -> StoreError {
        self.lease.note(e);
        let err = from_pg(e);
        if self.failed.is_none() {
            self.failed = Some(copy(&err));
        }
        if self.lease.broken {
            self.done = true;
        }
        err
    }

    fn check(&self) -> Result<(), StoreError> {
        match &self.failed {
            Some(first) => Err(aborted(first)),
            None => Ok(()),
        }
    }

    fn query(&mut self, sql: &'static str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>, StoreError> {
        self.check()?;
        let conn = self.lease.conn();
        let result = conn.prepare(sql).and_then(|st| conn.client().query(&st, params));
        result.map_err(|e| self.fail(&e))
    }

    fn execute(&mut self, sql: &'static str, params: &[&(dyn ToSql + Sync)]) -> Result<u64, StoreError> {
        self.check()?;
        let conn = self.lease.conn();
        let result = conn.prepare(sql).and_then(|st| conn.client().execute(&st, params));
        result.map_err(|e| self.fail(&e))
    }

    /// The search parameters of `area`, reused while the same area is asked again.
    fn search(&mut self, area: &AreaQuery<'_>) -> Search {
        match &self.last_search {
            Some(s) if s.volumes.as_slice() == area.volumes() => s.clone(),
            _ => {
                let s = Search::of(area.volumes());
                self.last_search = Some(s.clone());
                s
            }
        }
    }

    /// Rows of one table that may intersect `area`.
    fn candidates(
        &mut self,
        area: &AreaQuery<'_>,
        by_cells: &'static str,
        by_box: &'static str,
    ) -> Result<Vec<Row>, StoreError> {
        let s = self.search(area);
        let band: [&(dyn ToSql + Sync); 8] = [
            &s.alt_lower,
            &s.alt_upper,
            &s.time_start,
            &s.time_end,
            &s.min_lat,
            &s.max_lat,
            &s.min_lng,
            &s.max_lng,
        ];
        match &s.cells {
            Some(cells) => {
                let mut params: Vec<&(dyn ToSql + Sync)> = band.to_vec();
                params.push(cells);
                self.query(by_cells, &params)
            }
            None => self.query(by_box, &band),
        }
    }

    fn end(&mut self, sql: &str) -> Result<(), postgres::Error> {
        self.done = true;
        self.lease.conn().client().batch_execute(sql)
    }
}

impl Drop for PgTx<'_> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        if let Err(e) = self.end("ROLLBACK") {
            // A connection that cannot roll back is not reused.
            self.lease.note(&e);
            self.lease.broken = true;
        }
    }
}

// ---------------------------------------------------------------------------
// Column decoding.

/// Reads column `col` of a row of `table` whose id is `id` (for messages).
fn get<'r, T: FromSql<'r>>(row: &'r Row, table: &str, id: &str, col: &str) -> Result<T, StoreError> {
    row.try_get(col).map_err(|e| bad_column(table, id, col, e))
}

fn row_id(row: &Row, table: &str) -> Result<Uuid, StoreError> {
    row.try_get("id").map_err(|e| bad_column(table, "?", "id", e))
}

fn time(row: &Row, table: &str, id: &str, col: &str) -> Result<Time, StoreError> {
    get::<i64>(row, table, id, col).map(Time::from_micros)
}

fn manager(row: &Row, table: &str, id: &str) -> Result<Manager, StoreError> {
    let s: &str = get(row, table, id, "manager")?;
    Manager::new(s).map_err(|e| bad_column(table, id, "manager", e))
}

fn ovn(row: &Row, table: &str, id: &str) -> Result<Ovn, StoreError> {
    let s: &str = get(row, table, id, "ovn")?;
    Ovn::parse(s).map_err(|e| bad_column(table, id, "ovn", e))
}

fn base_url(row: &Row, table: &str, id: &str) -> Result<UssBaseUrl, StoreError> {
    let s: &str = get(row, table, id, "uss_base_url")?;
    // Whether plain http is allowed was decided when it was written.
    UssBaseUrl::parse(s, true).map_err(|e| bad_column(table, id, "uss_base_url", e))
}

fn extents(row: &Row, table: &str, id: &str) -> Result<Vec<geom::Volume4D>, StoreError> {
    let blob: &[u8] = get(row, table, id, "extents")?;
    codec::decode(blob).map_err(|e| from_codec(table, id, &e))
}

fn intent_from_row(row: &Row) -> Result<OperationalIntent, StoreError> {
    const T: &str = "operational_intents";
    let uuid = row_id(row, T)?;
    let id = uuid.to_string();
    let id = id.as_str();
    let state: &str = get(row, T, id, "state")?;
    Ok(OperationalIntent {
        id: EntityId::from_uuid(uuid),
        manager: manager(row, T, id)?,
        version: get(row, T, id, "version")?,
        state: IntentState::parse(state)
            .ok_or_else(|| bad_column(T, id, "state", format!("unknown `{state}`")))?,
        ovn: ovn(row, T, id)?,
        extents: extents(row, T, id)?,
        uss_base_url: base_url(row, T, id)?,
        subscription_id: get::<Option<Uuid>>(row, T, id, "subscription_id")?.map(SubscriptionId::from_uuid),
        created_at: time(row, T, id, "created_at")?,
        updated_at: time(row, T, id, "updated_at")?,
    })
}

fn constraint_from_row(row: &Row) -> Result<Constraint, StoreError> {
    const T: &str = "constraints";
    let uuid = row_id(row, T)?;
    let id = uuid.to_string();
    let id = id.as_str();
    Ok(Constraint {
        id: EntityId::from_uuid(uuid),
        manager: manager(row, T, id)?,
        version: get(row, T, id, "version")?,
        ovn: ovn(row, T, id)?,
        extents: extents(row, T, id)?,
        uss_base_url: base_url(row, T, id)?,
        created_at: time(row, T, id, "created_at")?,
        updated_at: time(row, T, id, "updated_at")?,
    })
}

fn subscription_from_row(row: &Row) -> Result<Subscription, StoreError> {
    const T: &str = "subscriptions";
    let uuid = row_id(row, T)?;
    let id = uuid.to_string();
    let id = id.as_str();
    Ok(Subscription {
        id: SubscriptionId::from_uuid(uuid),
        manager: manager(row, T, id)?,
        version: get(row, T, id, "version")?,
        notification_index: get(row, T, id, "notification_index")?,
        extents: extents(row, T, id)?,
        uss_base_url: base_url(row, T, id)?,
        notify_for_intents: get(row, T, id, "notify_for_intents")?,
        notify_for_constraints: get(row, T, id, "notify_for_constraints")?,
        implicit: get(row, T, id, "implicit")?,
        updated_at: time(row, T, id, "updated_at")?,
    })
}

/// `seq` of the audit log as a BIGINT; above `i64::MAX` it cannot be stored.
fn seq_param(seq: u64) -> Result<i64, StoreError> {
    i64::try_from(seq).map_err(|_| out_of_range("audit seq", seq))
}

/// "After `seq`" as a BIGINT bound: nothing is stored above `i64::MAX`.
fn after_bound(seq: u64) -> i64 {
    i64::try_from(seq).unwrap_or(i64::MAX)
}

/// A row count as a `LIMIT`.
fn limit_param(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn fixed<const N: usize>(row: &Row, table: &str, id: &str, col: &str) -> Result<[u8; N], StoreError> {
    let blob: &[u8] = get(row, table, id, col)?;
    blob.try_into().map_err(|_| bad_column(table, id, col, format!("{} bytes, expected {N}", blob.len())))
}

fn pending_from_row(row: &Row) -> Result<PendingEvent, StoreError> {
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

fn entry_from_row(row: &Row) -> Result<audit::Entry, StoreError> {
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

fn checkpoint_from_row(row: &Row) -> Result<audit::Checkpoint, StoreError> {
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

fn record_from_row(row: &Row) -> Result<Record, StoreError> {
    const T: &str = "records";
    let kind: String = get(row, T, "?", "kind")?;
    let id: String = get(row, T, &kind, "id")?;
    let name = format!("{kind}/{id}");
    let name = name.as_str();
    Ok(Record {
        body: get(row, T, name, "body")?,
        k1: get(row, T, name, "k1")?,
        k2: get(row, T, name, "k2")?,
        due: get::<Option<i64>>(row, T, name, "due")?.map(Time::from_micros),
        kind,
        id,
    })
}

fn count(row: &Row, idx: usize) -> Result<u64, StoreError> {
    let n: i64 = row.try_get(idx).map_err(|e| bad_column("counts", "-", &idx.to_string(), e))?;
    Ok(u64::try_from(n).unwrap_or(0))
}

// ---------------------------------------------------------------------------

impl Tx for PgTx<'_> {
    fn intent(&mut self, id: EntityId) -> Result<Option<OperationalIntent>, StoreError> {
        let rows = self.query(INTENT_GET, &[&id.as_uuid()])?;
        rows.first().map(intent_from_row).transpose()
    }

    fn intents_in(&mut self, area: &AreaQuery<'_>) -> Result<Vec<OperationalIntent>, StoreError> {
        let rows = self.candidates(area, INTENT_BY_CELLS, INTENT_BY_BOX)?;
        rows.iter().map(intent_from_row).collect()
    }

    fn intents_of_subscription(&mut self, id: SubscriptionId) -> Result<Vec<EntityId>, StoreError> {
        let rows = self.query(INTENT_OF_SUB, &[&id.as_uuid()])?;
        rows.iter().map(|r| row_id(r, "operational_intents").map(EntityId::from_uuid)).collect()
    }

    fn put_intent(&mut self, oi: &OperationalIntent) -> Result<(), StoreError> {
        let s = Spatial::of(&oi.extents);
        let blob = codec::encode(&oi.extents);
        let created = oi.created_at.as_micros();
        let updated = oi.updated_at.as_micros();
        let sub = oi.subscription_id.map(|s| s.as_uuid());
        self.execute(
            INTENT_PUT,
            &[
                &oi.id.as_uuid(),
                &oi.manager.as_str(),
                &oi.version,
                &oi.state.as_str(),
                &oi.ovn.as_str(),
                &oi.uss_base_url.as_str(),
                &sub,
                &created,
                &updated,
                &blob,
                &s.time_start,
                &s.time_end,
                &s.alt_lower,
                &s.alt_upper,
                &s.min_lat,
                &s.max_lat,
                &s.min_lng,
                &s.max_lng,
                &s.cells,
                &s.cells_complete,
            ],
        )?;
        Ok(())
    }

    fn delete_intent(&mut self, id: EntityId) -> Result<(), StoreError> {
        self.execute(INTENT_DELETE, &[&id.as_uuid()])?;
        Ok(())
    }

    fn constraint(&mut self, id: EntityId) -> Result<Option<Constraint>, StoreError> {
        let rows = self.query(CONSTRAINT_GET, &[&id.as_uuid()])?;
        rows.first().map(constraint_from_row).transpose()
    }

    fn constraints_in(&mut self, area: &AreaQuery<'_>) -> Result<Vec<Constraint>, StoreError> {
        let rows = self.candidates(area, CONSTRAINT_BY_CELLS, CONSTRAINT_BY_BOX)?;
        rows.iter().map(constraint_from_row).collect()
    }

    fn put_constraint(&mut self, c: &Constraint) -> Result<(), StoreError> {
        let s = Spatial::of(&c.extents);
        let blob = codec::encode(&c.extents);
        let created = c.created_at.as_micros();
        let updated = c.updated_at.as_micros();
        self.execute(
            CONSTRAINT_PUT,
            &[
                &c.id.as_uuid(),
                &c.manager.as_str(),
                &c.version,
                &c.ovn.as_str(),
                &c.uss_base_url.as_str(),
                &created,
                &updated,
                &blob,
                &s.time_start,
                &s.time_end,
                &s.alt_lower,
                &s.alt_upper,
                &s.min_lat,
                &s.max_lat,
                &s.min_lng,
                &s.max_lng,
                &s.cells,
                &s.cells_complete,
            ],
        )?;
        Ok(())
    }

    fn delete_constraint(&mut self, id: EntityId) -> Result<(), StoreError> {
        self.execute(CONSTRAINT_DELETE, &[&id.as_uuid()])?;
        Ok(())
    }

    fn subscription(&mut self, id: SubscriptionId) -> Result<Option<Subscription>, StoreError> {
        let rows = self.query(SUBSCRIPTION_GET, &[&id.as_uuid()])?;
        rows.first().map(subscription_from_row).transpose()
    }

    fn subscriptions_in(&mut self, area: &AreaQuery<'_>) -> Result<Vec<Subscription>, StoreError> {
        let rows = self.candidates(area, SUBSCRIPTION_BY_CELLS, SUBSCRIPTION_BY_BOX)?;
        rows.iter().map(subscription_from_row).collect()
    }

    fn put_subscription(&mut self, sub: &Subscription) -> Result<(), StoreError> {
        let s = Spatial::of(&sub.extents);
        let blob = codec::encode(&sub.extents);
        let updated = sub.updated_at.as_micros();
        self.execute(
            SUBSCRIPTION_PUT,
            &[
                &sub.id.as_uuid(),
                &sub.manager.as_str(),
                &sub.version,
                &sub.notification_index,
                &sub.uss_base_url.as_str(),
                &sub.notify_for_intents,
                &sub.notify_for_constraints,
                &sub.implicit,
                &updated,
                &blob,
                &s.time_start,
                &s.time_end,
                &s.alt_lower,
                &s.alt_upper,
                &s.min_lat,
                &s.max_lat,
                &s.min_lng,
                &s.max_lng,
                &s.cells,
                &s.cells_complete,
            ],
        )?;
        Ok(())
    }

    fn delete_subscription(&mut self, id: SubscriptionId) -> Result<(), StoreError> {
        self.execute(SUBSCRIPTION_DELETE, &[&id.as_uuid()])?;
        Ok(())
    }

    fn availability(&mut self, uss: &Manager) -> Result<Option<AvailabilityRecord>, StoreError> {
        const T: &str = "uss_availability";
        let rows = self.query(AVAILABILITY_GET, &[&uss.as_str()])?;
        let Some(row) = rows.first() else { return Ok(None) };
        let a: &str = get(row, T, uss.as_str(), "availability")?;
        let availability = Availability::parse(a)
            .ok_or_else(|| bad_column(T, uss.as_str(), "availability", format!("unknown `{a}`")))?;
        Ok(Some(AvailabilityRecord {
            uss: uss.clone(),
            availability,
            version: get(row, T, uss.as_str(), "version")?,
        }))
    }

    fn put_availability(&mut self, r: &AvailabilityRecord) -> Result<(), StoreError> {
        self.execute(AVAILABILITY_PUT, &[&r.uss.as_str(), &r.availability.as_str(), &r.version])?;
        Ok(())
    }

    fn purge_expired(&mut self, now: Time) -> Result<PurgeCounts, StoreError> {
        let now = now.as_micros();
        let intents = self.execute(PURGE_INTENTS, &[&now])?;
        let constraints = self.execute(PURGE_CONSTRAINTS, &[&now])?;
        let subscriptions = self.execute(PURGE_SUBSCRIPTIONS, &[&now])?;
        Ok(PurgeCounts { intents, constraints, subscriptions })
    }

    fn counts(&mut self) -> Result<EntityCounts, StoreError> {
        let rows = self.query(COUNTS, &[])?;
        let row = rows.first().ok_or_else(|| StoreError::Backend("counts returned no row".into()))?;
        Ok(EntityCounts {
            intents: count(row, 0)?,
            constraints: count(row, 1)?,
            subscriptions: count(row, 2)?,
        })
    }

    fn append_event(&mut self, e: &NewEvent) -> Result<(), StoreError> {
        let at = e.at.as_micros();
        self.execute(EVENT_APPEND, &[&at, &e.kind, &e.actor, &e.subject, &e.parties, &e.payload])?;
        Ok(())
    }

    fn unsealed_events(&mut self, limit: usize) -> Result<Vec<PendingEvent>, StoreError> {
        let rows = self.query(EVENTS_UNSEALED, &[&limit_param(limit)])?;
        rows.iter().map(pending_from_row).collect()
    }

    fn seal_event(&mut self, id: i64, entry: &audit::Entry) -> Result<(), StoreError> {
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
        let rows = self.query(EVENT_IS_PENDING, &[&id])?;
        let pending = match rows.first() {
            Some(row) => get::<bool>(row, "events", &id.to_string(), "pending")?,
            None => false,
        };
        Err(if pending { not_this_event(id, entry.seq) } else { not_pending(id) })
    }

    fn last_sealed(&mut self) -> Result<Option<audit::Entry>, StoreError> {
        let rows = self.query(EVENT_LAST_SEALED, &[])?;
        rows.first().map(entry_from_row).transpose()
    }

    fn sealed_after(&mut self, seq: u64, limit: usize) -> Result<Vec<audit::Entry>, StoreError> {
        let rows = self.query(EVENTS_SEALED_AFTER, &[&after_bound(seq), &limit_param(limit)])?;
        rows.iter().map(entry_from_row).collect()
    }

    fn put_checkpoint(&mut self, c: &audit::Checkpoint) -> Result<(), StoreError> {
        let seq = seq_param(c.seq)?;
        self.execute(
            CHECKPOINT_PUT,
            &[&seq, &c.hash.as_slice(), &c.timestamp, &c.key_id.0.as_slice(), &c.signature.as_slice()],
        )?;
        Ok(())
    }

    fn checkpoints_after(&mut self, seq: u64) -> Result<Vec<audit::Checkpoint>, StoreError> {
        let rows = self.query(CHECKPOINTS_AFTER, &[&after_bound(seq)])?;
        rows.iter().map(checkpoint_from_row).collect()
    }

    fn acquire_lease(
        &mut self,
        name: &str,
        holder: &str,
        now: Time,
        ttl_us: i64,
    ) -> Result<bool, StoreError> {
        let until = now.saturating_add_micros(ttl_us).as_micros();
        let rows = self.query(LEASE_ACQUIRE, &[&name, &holder, &until, &now.as_micros()])?;
        Ok(!rows.is_empty())
    }

    fn record(&mut self, kind: &str, id: &str) -> Result<Option<Record>, StoreError> {
        let rows = self.query(RECORD_GET, &[&kind, &id])?;
        rows.first().map(record_from_row).transpose()
    }

    fn put_record(&mut self, r: &Record) -> Result<(), StoreError> {
        let due = r.due.map(Time::as_micros);
        self.execute(RECORD_PUT, &[&r.kind, &r.id, &r.body, &r.k1, &r.k2, &due])?;
        Ok(())
    }

    fn delete_record(&mut self, kind: &str, id: &str) -> Result<(), StoreError> {
        self.execute(RECORD_DELETE, &[&kind, &id])?;
        Ok(())
    }

    fn records_by(
        &mut self,
        kind: &str,
        key: RecordKey<'_>,
        limit: usize,
    ) -> Result<Vec<Record>, StoreError> {
        let limit = limit_param(limit);
        let rows = match key {
            RecordKey::All => self.query(RECORDS_ALL, &[&kind, &limit])?,
            RecordKey::K1(k) => self.query(RECORDS_BY_K1, &[&kind, &k, &limit])?,
            RecordKey::K2(k) => self.query(RECORDS_BY_K2, &[&kind, &k, &limit])?,
        };
        rows.iter().map(record_from_row).collect()
    }

    fn records_due(&mut self, kind: &str, before: Time, limit: usize) -> Result<Vec<Record>, StoreError> {
        let rows = self.query(RECORDS_DUE, &[&kind, &before.as_micros(), &limit_param(limit)])?;
        rows.iter().map(record_from_row).collect()
    }

    fn commit(mut self: Box<Self>) -> Result<(), StoreError> {
        if let Some(first) = self.failed.take() {
            // Drop sends the ROLLBACK.
            return Err(aborted(&first));
        }
        if self.done {
            return Err(StoreError::Unavailable(
                "PostgreSQL connection was lost during the transaction".into(),
            ));
        }
        match self.end("COMMIT") {
            Ok(()) => Ok(()),
            Err(e) => {
                // A failed COMMIT ends the transaction on the server (40001:
                // nothing was written). After a lost connection the outcome
                // is unknown; the engine reports Unavailable.
                self.lease.note(&e);
                Err(from_pg(&e))
            }
        }
    }
}
