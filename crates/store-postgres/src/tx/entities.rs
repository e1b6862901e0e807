//! Operational intents, constraints, subscriptions and USS availability:
//! their SQL, and the decoding of their rows.

use deconflict_core::codec;
use deconflict_core::model::{Constraint, IntentState, OperationalIntent, Subscription};
use deconflict_core::{EntityId, Ovn, PartyName, StoreError, SubscriptionId, UssBaseUrl};
use postgres::Row;
use uuid::Uuid;

use super::{get, time};
use crate::error::{bad_column, from_codec};

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
/// The columns derived by [`Spatial`](crate::spatial::Spatial), in the order `spatial_params` binds them.
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
/// Cell search: rows sharing a cell with `$9` (the GIN index), plus rows
/// whose footprints could not be covered, by box (the partial index on
/// `time_end`). The band's time bound is written `time_end + 0` so that no
/// index on `time_end` can serve it: the planner, without statistics on a
/// young table, otherwise scanned every live row through `time_end`
/// (1.5 ms at a thousand rows instead of 0.1 ms through the cells).
macro_rules! by_cells {
    () => {
        concat!(
            " WHERE alt_upper >= $1 AND alt_lower <= $2 AND time_end + 0 >= $3 AND time_start <= $4",
            " AND (cells && $9 OR (NOT cells_complete AND time_end >= $3 AND ",
            in_box!(),
            "))"
        )
    };
}
/// Box search, for an area that could not be covered.
macro_rules! by_box {
    () => {
        concat!(band!(), " AND ", in_box!())
    };
}

pub(super) const INTENT_GET: &str =
    concat!("SELECT ", intent_cols!(), " FROM operational_intents WHERE id = $1");
/// In a [`TxMode::AreaWrite`](deconflict_core::TxMode::AreaWrite) transaction the row read to
/// be changed stays locked until the end (READ COMMITTED would otherwise let a
/// concurrent writer of the same entity slip in between).
pub(super) const INTENT_GET_LOCKED: &str =
    concat!("SELECT ", intent_cols!(), " FROM operational_intents WHERE id = $1 FOR UPDATE");
pub(super) const INTENT_BY_CELLS: &str =
    concat!("SELECT ", intent_cols!(), " FROM operational_intents", by_cells!());
pub(super) const INTENT_BY_BOX: &str =
    concat!("SELECT ", intent_cols!(), " FROM operational_intents", by_box!());
pub(super) const INTENT_OF_SUB: &str = "SELECT id FROM operational_intents WHERE subscription_id = $1";
pub(super) const INTENT_PUT: &str = concat!(
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
pub(super) const INTENT_DELETE: &str = "DELETE FROM operational_intents WHERE id = $1";

pub(super) const CONSTRAINT_GET: &str =
    concat!("SELECT ", constraint_cols!(), " FROM constraints WHERE id = $1");
pub(super) const CONSTRAINT_GET_LOCKED: &str =
    concat!("SELECT ", constraint_cols!(), " FROM constraints WHERE id = $1 FOR UPDATE");
pub(super) const CONSTRAINT_BY_CELLS: &str =
    concat!("SELECT ", constraint_cols!(), " FROM constraints", by_cells!());
pub(super) const CONSTRAINT_BY_BOX: &str =
    concat!("SELECT ", constraint_cols!(), " FROM constraints", by_box!());
pub(super) const CONSTRAINT_PUT: &str = concat!(
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
pub(super) const CONSTRAINT_DELETE: &str = "DELETE FROM constraints WHERE id = $1";

pub(super) const SUBSCRIPTION_GET: &str =
    concat!("SELECT ", subscription_cols!(), " FROM subscriptions WHERE id = $1");
pub(super) const SUBSCRIPTION_GET_LOCKED: &str =
    concat!("SELECT ", subscription_cols!(), " FROM subscriptions WHERE id = $1 FOR UPDATE");
pub(super) const SUBSCRIPTION_BY_CELLS: &str =
    concat!("SELECT ", subscription_cols!(), " FROM subscriptions", by_cells!());
pub(super) const SUBSCRIPTION_BY_BOX: &str =
    concat!("SELECT ", subscription_cols!(), " FROM subscriptions", by_box!());
pub(super) const SUBSCRIPTION_PUT: &str = concat!(
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
pub(super) const SUBSCRIPTION_DELETE: &str = "DELETE FROM subscriptions WHERE id = $1";
/// One statement, so concurrent notifications of one subscription never lose
/// an increment (READ COMMITTED re-reads the row after waiting for its lock).
pub(super) const SUBSCRIPTION_BUMP: &str = "UPDATE subscriptions SET notification_index = notification_index + 1 \
     WHERE id = $1 RETURNING notification_index";

/// Locks the cells `$1` (sorted, so that two lockers take them in the same
/// order) for the rest of the transaction: a missing row is inserted, an
/// existing one updated. Two transactions locking a common cell wait for
/// each other; on a snapshot-isolation engine the second is told to retry.
pub(super) const CELLS_LOCK: &str = "INSERT INTO cell_locks AS l (cell) \
     SELECT c FROM unnest($1::BIGINT[]) AS u(c) ORDER BY c \
     ON CONFLICT (cell) DO UPDATE SET writes = l.writes + 1";
/// An area that cannot be covered by cells locks out every other area writer.
pub(super) const CELLS_LOCK_ALL: &str = "LOCK TABLE cell_locks IN SHARE ROW EXCLUSIVE MODE";

pub(super) const AVAILABILITY_GET: &str = "SELECT availability, version FROM uss_availability WHERE uss = $1";
pub(super) const AVAILABILITY_PUT: &str = "INSERT INTO uss_availability (uss, availability, version) VALUES ($1, $2, $3) \
     ON CONFLICT (uss) DO UPDATE SET availability = EXCLUDED.availability, version = EXCLUDED.version";

/// Ids of what ended by `$1`, soonest first, at most `$2` (the `time_end` indexes serve them).
pub(super) const ENDED_INTENTS: &str =
    "SELECT id FROM operational_intents WHERE time_end <= $1 ORDER BY time_end, id LIMIT $2";
pub(super) const ENDED_CONSTRAINTS: &str =
    "SELECT id FROM constraints WHERE time_end <= $1 ORDER BY time_end, id LIMIT $2";
pub(super) const ENDED_SUBSCRIPTIONS: &str =
    "SELECT id FROM subscriptions WHERE time_end <= $1 ORDER BY time_end, id LIMIT $2";
pub(super) const USAGE_COUNTS: &str = "SELECT \
     (SELECT count(*) FROM operational_intents WHERE manager = $1 AND time_end > $2), \
     (SELECT count(*) FROM constraints WHERE manager = $1 AND time_end > $2)";
pub(super) const SUBSCRIPTIONS_OF: &str = concat!(
    "SELECT ",
    subscription_cols!(),
    " FROM subscriptions WHERE manager = $1 AND NOT implicit AND time_end > $2"
);
pub(super) const COUNTS: &str = "SELECT (SELECT count(*) FROM operational_intents), \
     (SELECT count(*) FROM constraints), (SELECT count(*) FROM subscriptions)";
// ---------------------------------------------------------------------------
// Column decoding.

pub(super) fn row_id(row: &Row, table: &str) -> Result<Uuid, StoreError> {
    row.try_get("id").map_err(|e| bad_column(table, "?", "id", e))
}

fn manager(row: &Row, table: &str, id: &str) -> Result<PartyName, StoreError> {
    let s: &str = get(row, table, id, "manager")?;
    PartyName::new(s).map_err(|e| bad_column(table, id, "manager", e))
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

pub(super) fn intent_from_row(row: &Row) -> Result<OperationalIntent, StoreError> {
    const T: &str = "operational_intents";
    let uuid = row_id(row, T)?;
    let id = uuid.to_string();
    let id = id.as_str();
    let state: &str = get(row, T, id, "state")?;
    Ok(OperationalIntent {
        id: EntityId::from_uuid(uuid),
        party: manager(row, T, id)?,
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

pub(super) fn constraint_from_row(row: &Row) -> Result<Constraint, StoreError> {
    const T: &str = "constraints";
    let uuid = row_id(row, T)?;
    let id = uuid.to_string();
    let id = id.as_str();
    Ok(Constraint {
        id: EntityId::from_uuid(uuid),
        party: manager(row, T, id)?,
        version: get(row, T, id, "version")?,
        ovn: ovn(row, T, id)?,
        extents: extents(row, T, id)?,
        uss_base_url: base_url(row, T, id)?,
        created_at: time(row, T, id, "created_at")?,
        updated_at: time(row, T, id, "updated_at")?,
    })
}

pub(super) fn subscription_from_row(row: &Row) -> Result<Subscription, StoreError> {
    const T: &str = "subscriptions";
    let uuid = row_id(row, T)?;
    let id = uuid.to_string();
    let id = id.as_str();
    Ok(Subscription {
        id: SubscriptionId::from_uuid(uuid),
        party: manager(row, T, id)?,
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

pub(super) fn count(row: &Row, idx: usize) -> Result<u64, StoreError> {
    let n: i64 = row.try_get(idx).map_err(|e| bad_column("counts", "-", &idx.to_string(), e))?;
    Ok(u64::try_from(n).unwrap_or(0))
}
