//! Generic records: their SQL, and the decoding of their rows.

use deconflict_core::StoreError;
use deconflict_core::records::Record;
use geom::Time;
use postgres::Row;

use super::get;

// ---------------------------------------------------------------------------

// Generic records (migration 0003). `id` is COLLATE "C": listings are by id in
// byte order. Each listing is served by an index, without a sort.

macro_rules! record_cols {
    () => {
        "kind, id, body, k1, k2, due"
    };
}
pub(super) const RECORD_GET: &str =
    concat!("SELECT ", record_cols!(), " FROM records WHERE kind = $1 AND id = $2");
pub(super) const RECORD_PUT: &str = "INSERT INTO records (kind, id, body, k1, k2, due) VALUES ($1, $2, $3, $4, $5, $6) \
     ON CONFLICT (kind, id) DO UPDATE SET body = EXCLUDED.body, k1 = EXCLUDED.k1, k2 = EXCLUDED.k2, \
     due = EXCLUDED.due";
pub(super) const RECORD_DELETE: &str = "DELETE FROM records WHERE kind = $1 AND id = $2";
/// The primary key.
pub(super) const RECORDS_ALL: &str =
    concat!("SELECT ", record_cols!(), " FROM records WHERE kind = $1 ORDER BY id LIMIT $2");
/// `records_k1`, `records_k2`.
pub(super) const RECORDS_BY_K1: &str =
    concat!("SELECT ", record_cols!(), " FROM records WHERE kind = $1 AND k1 = $2 ORDER BY id LIMIT $3");
pub(super) const RECORDS_BY_K2: &str =
    concat!("SELECT ", record_cols!(), " FROM records WHERE kind = $1 AND k2 = $2 ORDER BY id LIMIT $3");
/// The same indexes scanned backwards, newest first; `_BEFORE` resumes below a cursor.
pub(super) const RECORDS_ALL_REV: &str =
    concat!("SELECT ", record_cols!(), " FROM records WHERE kind = $1 ORDER BY id DESC LIMIT $2");
pub(super) const RECORDS_ALL_REV_BEFORE: &str =
    concat!("SELECT ", record_cols!(), " FROM records WHERE kind = $1 AND id < $2 ORDER BY id DESC LIMIT $3");
pub(super) const RECORDS_BY_K1_REV: &str =
    concat!("SELECT ", record_cols!(), " FROM records WHERE kind = $1 AND k1 = $2 ORDER BY id DESC LIMIT $3");
pub(super) const RECORDS_BY_K1_REV_BEFORE: &str = concat!(
    "SELECT ",
    record_cols!(),
    " FROM records WHERE kind = $1 AND k1 = $2 AND id < $3 ORDER BY id DESC LIMIT $4"
);
pub(super) const RECORDS_BY_K2_REV: &str =
    concat!("SELECT ", record_cols!(), " FROM records WHERE kind = $1 AND k2 = $2 ORDER BY id DESC LIMIT $3");
pub(super) const RECORDS_BY_K2_REV_BEFORE: &str = concat!(
    "SELECT ",
    record_cols!(),
    " FROM records WHERE kind = $1 AND k2 = $2 AND id < $3 ORDER BY id DESC LIMIT $4"
);
/// The primary key, from just above a cursor.
pub(super) const RECORDS_AFTER: &str =
    concat!("SELECT ", record_cols!(), " FROM records WHERE kind = $1 AND id > $2 ORDER BY id LIMIT $3");
/// The partial index `records_due`.
pub(super) const RECORDS_DUE: &str = concat!(
    "SELECT ",
    record_cols!(),
    " FROM records WHERE kind = $1 AND due IS NOT NULL AND due <= $2 ORDER BY due, id LIMIT $3"
);

// ---------------------------------------------------------------------------
// Column decoding.

pub(super) fn record_from_row(row: &Row) -> Result<Record, StoreError> {
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
