//! Generic records: their SQL, the decoding of their rows, and the
//! transaction's methods that use them.

use deconflict_core::StoreError;
use deconflict_core::records::{Record, RecordKey};
use geom::Time;
use tokio_postgres::Row;

use super::{PgTx, get, limit_param};

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

impl PgTx<'_> {
    pub(super) fn record(&mut self, kind: &str, id: &str) -> Result<Option<Record>, StoreError> {
        let rows = self.query(RECORD_GET, &[&kind, &id])?;
        rows.first().map(record_from_row).transpose()
    }

    pub(super) fn put_record(&mut self, r: &Record) -> Result<(), StoreError> {
        let due = r.due.map(Time::as_micros);
        self.queue(
            RECORD_PUT,
            owned![r.kind.clone(), r.id.clone(), r.body.clone(), r.k1.clone(), r.k2.clone(), due],
        )
    }

    pub(super) fn delete_record(&mut self, kind: &str, id: &str) -> Result<(), StoreError> {
        self.queue(RECORD_DELETE, owned![kind.to_owned(), id.to_owned()])
    }

    pub(super) fn records_by(
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

    pub(super) fn records_by_rev(
        &mut self,
        kind: &str,
        key: RecordKey<'_>,
        before: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Record>, StoreError> {
        let limit = limit_param(limit);
        let rows = match (key, before) {
            (RecordKey::All, None) => self.query(RECORDS_ALL_REV, &[&kind, &limit])?,
            (RecordKey::All, Some(b)) => self.query(RECORDS_ALL_REV_BEFORE, &[&kind, &b, &limit])?,
            (RecordKey::K1(k), None) => self.query(RECORDS_BY_K1_REV, &[&kind, &k, &limit])?,
            (RecordKey::K1(k), Some(b)) => self.query(RECORDS_BY_K1_REV_BEFORE, &[&kind, &k, &b, &limit])?,
            (RecordKey::K2(k), None) => self.query(RECORDS_BY_K2_REV, &[&kind, &k, &limit])?,
            (RecordKey::K2(k), Some(b)) => self.query(RECORDS_BY_K2_REV_BEFORE, &[&kind, &k, &b, &limit])?,
        };
        rows.iter().map(record_from_row).collect()
    }

    pub(super) fn records_due(
        &mut self,
        kind: &str,
        before: Time,
        limit: usize,
    ) -> Result<Vec<Record>, StoreError> {
        let rows = self.query(RECORDS_DUE, &[&kind, &before.as_micros(), &limit_param(limit)])?;
        rows.iter().map(record_from_row).collect()
    }

    pub(super) fn records_after(
        &mut self,
        kind: &str,
        after: &str,
        limit: usize,
    ) -> Result<Vec<Record>, StoreError> {
        let rows = self.query(RECORDS_AFTER, &[&kind, &after, &limit_param(limit)])?;
        rows.iter().map(record_from_row).collect()
    }
}
