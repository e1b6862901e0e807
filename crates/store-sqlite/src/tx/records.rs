//! Generic records: their SQL, the decoding of their rows, and the
//! transaction's methods that use them.
use deconflict_core::StoreError;
use deconflict_core::records::{Record, RecordKey};
use geom::Time;
use rusqlite::{OptionalExtension, Row, params};

use super::{Decoded, Lease, SqliteTx, limit};
use crate::error::SqlResultExt;

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

impl<L: Lease> SqliteTx<L> {
    pub(super) fn record(&mut self, kind: &str, id: &str) -> Result<Option<Record>, StoreError> {
        let mut stmt = self.conn.prepare_cached(RECORD_GET).store()?;
        stmt.query_row([kind, id], read_record).optional().store()?.transpose()
    }

    pub(super) fn put_record(&mut self, record: &Record) -> Result<(), StoreError> {
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

    pub(super) fn delete_record(&mut self, kind: &str, id: &str) -> Result<(), StoreError> {
        self.writable()?;
        self.conn.prepare_cached(RECORD_DELETE).store()?.execute([kind, id]).store()?;
        Ok(())
    }

    pub(super) fn records_by(
        &mut self,
        kind: &str,
        key: RecordKey<'_>,
        n: usize,
    ) -> Result<Vec<Record>, StoreError> {
        match key {
            RecordKey::All => self.fetch_all(RECORDS_ALL, params![kind, limit(n)], read_record),
            RecordKey::K1(k) => self.fetch_all(RECORDS_BY_K1, params![kind, k, limit(n)], read_record),
            RecordKey::K2(k) => self.fetch_all(RECORDS_BY_K2, params![kind, k, limit(n)], read_record),
        }
    }

    pub(super) fn records_by_rev(
        &mut self,
        kind: &str,
        key: RecordKey<'_>,
        before: Option<&str>,
        n: usize,
    ) -> Result<Vec<Record>, StoreError> {
        let n = limit(n);
        match (key, before) {
            (RecordKey::All, None) => self.fetch_all(RECORDS_ALL_REV, params![kind, n], read_record),
            (RecordKey::All, Some(b)) => {
                self.fetch_all(RECORDS_ALL_REV_BEFORE, params![kind, b, n], read_record)
            }
            (RecordKey::K1(k), None) => self.fetch_all(RECORDS_BY_K1_REV, params![kind, k, n], read_record),
            (RecordKey::K1(k), Some(b)) => {
                self.fetch_all(RECORDS_BY_K1_REV_BEFORE, params![kind, k, b, n], read_record)
            }
            (RecordKey::K2(k), None) => self.fetch_all(RECORDS_BY_K2_REV, params![kind, k, n], read_record),
            (RecordKey::K2(k), Some(b)) => {
                self.fetch_all(RECORDS_BY_K2_REV_BEFORE, params![kind, k, b, n], read_record)
            }
        }
    }

    pub(super) fn records_due(
        &mut self,
        kind: &str,
        before: Time,
        n: usize,
    ) -> Result<Vec<Record>, StoreError> {
        self.fetch_all(RECORDS_DUE, params![kind, before.as_micros(), limit(n)], read_record)
    }

    pub(super) fn records_after(
        &mut self,
        kind: &str,
        after: &str,
        n: usize,
    ) -> Result<Vec<Record>, StoreError> {
        self.fetch_all(RECORDS_AFTER, params![kind, after, limit(n)], read_record)
    }
}
