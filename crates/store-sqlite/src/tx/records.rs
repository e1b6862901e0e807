//! Generic records: their SQL, and the decoding of their rows.

use deconflict_core::records::Record;
use geom::Time;
use rusqlite::Row;

use super::Decoded;

// ---------------------------------------------------------------------------
// SQL

// Generic records (migration 0003). Listings are by id in byte order (BINARY,
// the default collation); each is served by an index, without a sort.

macro_rules! record_columns {
    () => {
        "kind, id, body, k1, k2, due"
    };
}
pub(super) const RECORD_GET: &str =
    concat!("SELECT ", record_columns!(), " FROM records WHERE kind = ?1 AND id = ?2");
pub(super) const RECORD_PUT: &str = "INSERT INTO records (kind, id, body, k1, k2, due) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
    ON CONFLICT (kind, id) DO UPDATE SET body = excluded.body, k1 = excluded.k1, k2 = excluded.k2, \
     due = excluded.due";
pub(super) const RECORD_DELETE: &str = "DELETE FROM records WHERE kind = ?1 AND id = ?2";
// The primary key.
pub(super) const RECORDS_ALL: &str =
    concat!("SELECT ", record_columns!(), " FROM records WHERE kind = ?1 ORDER BY id LIMIT ?2");
// `records_k1`, `records_k2`.
pub(super) const RECORDS_BY_K1: &str =
    concat!("SELECT ", record_columns!(), " FROM records WHERE kind = ?1 AND k1 = ?2 ORDER BY id LIMIT ?3");
pub(super) const RECORDS_BY_K2: &str =
    concat!("SELECT ", record_columns!(), " FROM records WHERE kind = ?1 AND k2 = ?2 ORDER BY id LIMIT ?3");
// The same indexes scanned backwards, newest first; `_BEFORE` resumes below a cursor.
pub(super) const RECORDS_ALL_REV: &str =
    concat!("SELECT ", record_columns!(), " FROM records WHERE kind = ?1 ORDER BY id DESC LIMIT ?2");
pub(super) const RECORDS_ALL_REV_BEFORE: &str = concat!(
    "SELECT ",
    record_columns!(),
    " FROM records WHERE kind = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3"
);
pub(super) const RECORDS_BY_K1_REV: &str = concat!(
    "SELECT ",
    record_columns!(),
    " FROM records WHERE kind = ?1 AND k1 = ?2 ORDER BY id DESC LIMIT ?3"
);
pub(super) const RECORDS_BY_K1_REV_BEFORE: &str = concat!(
    "SELECT ",
    record_columns!(),
    " FROM records WHERE kind = ?1 AND k1 = ?2 AND id < ?3 ORDER BY id DESC LIMIT ?4"
);
pub(super) const RECORDS_BY_K2_REV: &str = concat!(
    "SELECT ",
    record_columns!(),
    " FROM records WHERE kind = ?1 AND k2 = ?2 ORDER BY id DESC LIMIT ?3"
);
pub(super) const RECORDS_BY_K2_REV_BEFORE: &str = concat!(
    "SELECT ",
    record_columns!(),
    " FROM records WHERE kind = ?1 AND k2 = ?2 AND id < ?3 ORDER BY id DESC LIMIT ?4"
);
// The primary key, from just above a cursor.
pub(super) const RECORDS_AFTER: &str =
    concat!("SELECT ", record_columns!(), " FROM records WHERE kind = ?1 AND id > ?2 ORDER BY id LIMIT ?3");
// The partial index `records_due`.
pub(super) const RECORDS_DUE: &str = concat!(
    "SELECT ",
    record_columns!(),
    " FROM records WHERE kind = ?1 AND due IS NOT NULL AND due <= ?2 ORDER BY due, id LIMIT ?3"
);
// ---------------------------------------------------------------------------
// Decoding

pub(super) fn read_record(r: &Row<'_>) -> Decoded<Record> {
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
