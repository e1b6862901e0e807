//! Small typed documents the store keeps for the coordination features (lines,
//! hotline messages, liveness checks, notices, delivery cursors): one generic
//! table in every backend instead of a schema per feature. Each record has a
//! kind, an id unique within the kind, a JSON body, two optional lookup keys
//! and an optional due time, all indexed.

use geom::Time;

/// One stored document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// What it is, e.g. `line` or `message`.
    pub kind: String,
    /// Unique within the kind; listings are ordered by id (use UUIDv7 ids for
    /// chronological order).
    pub id: String,
    /// JSON text.
    pub body: String,
    /// First lookup key (e.g. the line of a message).
    pub k1: Option<String>,
    /// Second lookup key (e.g. the recipient of a delivery).
    pub k2: Option<String>,
    /// When something must happen next (e.g. an acknowledgement deadline).
    pub due: Option<Time>,
}

/// Which records of a kind to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKey<'a> {
    /// All of the kind.
    All,
    /// Those whose `k1` equals this.
    K1(&'a str),
    /// Those whose `k2` equals this.
    K2(&'a str),
}

impl RecordKey<'_> {
    /// Whether `record` has this key.
    pub fn matches(&self, record: &Record) -> bool {
        match *self {
            RecordKey::All => true,
            RecordKey::K1(v) => record.k1.as_deref() == Some(v),
            RecordKey::K2(v) => record.k2.as_deref() == Some(v),
        }
    }
}
