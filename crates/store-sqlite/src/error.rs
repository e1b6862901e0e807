//! The one place where SQLite and decoding errors become [`StoreError`]s.

use deconflict_core::StoreError;
use deconflict_core::codec::CodecError;
use rusqlite::ErrorCode;

/// Maps a rusqlite error to the store error the engine understands:
///
/// * `SQLITE_BUSY` / `SQLITE_LOCKED` → [`StoreError::Retry`];
/// * I/O errors, `SQLITE_CANTOPEN`, `SQLITE_FULL` → [`StoreError::Unavailable`];
/// * `SQLITE_CORRUPT`, `SQLITE_NOTADB` and column values that do not decode to
///   the expected Rust type → [`StoreError::Corrupt`];
/// * everything else → [`StoreError::Backend`].
pub(crate) fn from_sqlite(e: rusqlite::Error) -> StoreError {
    use rusqlite::Error as E;
    match &e {
        E::SqliteFailure(f, _) => match f.code {
            ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => StoreError::Retry,
            ErrorCode::SystemIoFailure | ErrorCode::CannotOpen | ErrorCode::DiskFull => {
                StoreError::Unavailable(e.to_string())
            }
            ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase => StoreError::Corrupt(e.to_string()),
            _ => StoreError::Backend(e.to_string()),
        },
        E::FromSqlConversionFailure(..)
        | E::IntegralValueOutOfRange(..)
        | E::Utf8Error(..)
        | E::InvalidColumnType(..) => StoreError::Corrupt(e.to_string()),
        _ => StoreError::Backend(e.to_string()),
    }
}

/// An extents blob that [`deconflict_core::codec::decode`] rejected.
pub(crate) fn from_codec(table: &str, id: &str, e: CodecError) -> StoreError {
    StoreError::Corrupt(format!("{table} {id}: extents: {e}"))
}

/// A stored column whose text is not a valid domain value.
pub(crate) fn bad_column(table: &str, id: &str, column: &str, why: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{table} {id}: column {column}: {why}"))
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
