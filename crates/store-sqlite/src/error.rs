//! The one place where SQLite and decoding errors become [`StoreError`]s.

use deconflict_core::StoreError;
use deconflict_core::codec::CodecError;
use rusqlite::ErrorCode;

/// Maps a rusqlite error to the store error the engine understands:
///
/// * `SQLITE_BUSY` / `SQLITE_LOCKED` → [`StoreError::Retry`];
/// * a UNIQUE violation on `events.audit_seq` (the audit sequence number is
///   already used: the entry was built on a stale head) → [`StoreError::Retry`],
///   as in the memory store;
/// * I/O errors, `SQLITE_CANTOPEN`, `SQLITE_FULL` → [`StoreError::Unavailable`];
/// * `SQLITE_CORRUPT`, `SQLITE_NOTADB` and column values that do not decode to
///   the expected Rust type → [`StoreError::Corrupt`];
/// * everything else → [`StoreError::Backend`].
pub(crate) fn from_sqlite(e: rusqlite::Error) -> StoreError {
    use rusqlite::Error as E;
    match &e {
        E::SqliteFailure(f, msg) => match f.code {
            ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => StoreError::Retry,
            ErrorCode::ConstraintViolation
                if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    && msg.as_deref().is_some_and(|m| m.ends_with(AUDIT_SEQ_UNIQUE)) =>
            {
                StoreError::Retry
            }
            ErrorCode::SystemIoFailure | ErrorCode::CannotOpen | ErrorCode::DiskFull => {
                StoreError::unavailable_by(e.to_string(), e)
            }
            ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase => StoreError::corrupt_by(e.to_string(), e),
            _ => StoreError::backend("SQLite", e),
        },
        E::FromSqlConversionFailure(..)
        | E::IntegralValueOutOfRange(..)
        | E::Utf8Error(..)
        | E::InvalidColumnType(..) => StoreError::corrupt_by(e.to_string(), e),
        _ => StoreError::backend("SQLite", e),
    }
}

/// How SQLite names the UNIQUE constraint on the audit sequence number in its
/// message (`UNIQUE constraint failed: events.audit_seq`).
const AUDIT_SEQ_UNIQUE: &str = "events.audit_seq";

/// An extents blob that [`deconflict_core::codec::decode`] rejected.
pub(crate) fn from_codec(table: &str, id: &str, e: CodecError) -> StoreError {
    StoreError::corrupt_by(format!("{table} {id}: extents: {e}"), e)
}

/// A stored column whose text is not a valid domain value.
pub(crate) fn bad_column(table: &str, id: &str, column: &str, why: impl std::fmt::Display) -> StoreError {
    StoreError::corrupt(format!("{table} {id}: column {column}: {why}"))
}

/// A value that does not fit the column it is written to.
pub(crate) fn out_of_range(what: &'static str, value: impl std::fmt::Display) -> StoreError {
    StoreError::OutOfRange { what, value: value.to_string() }
}

/// `parties` that could not be written as JSON.
pub(crate) fn from_json(e: serde_json::Error) -> StoreError {
    StoreError::encode("events: parties", e)
}

/// [`Tx::seal_event`](deconflict_core::Tx::seal_event) of an event that does
/// not exist or is already sealed.
pub(crate) fn not_pending(id: i64) -> StoreError {
    StoreError::EventNotPending { id }
}

/// [`Tx::seal_event`](deconflict_core::Tx::seal_event) with an entry whose
/// content is not that of the pending event.
pub(crate) fn not_this_event(id: i64, seq: u64) -> StoreError {
    StoreError::EventMismatch { id, seq }
}

/// Shorthand: `.map_err(from_sqlite)` as a method.
pub(crate) trait SqlResultExt<T> {
    /// Converts the error with [`from_sqlite`].
    fn store(self) -> Result<T, StoreError>;
}

impl<T> SqlResultExt<T> for rusqlite::Result<T> {
    fn store(self) -> Result<T, StoreError> {
        self.map_err(from_sqlite)
    }
}
