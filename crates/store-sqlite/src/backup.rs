//! Online backup: a consistent copy of a database file that a server may be
//! writing at the same moment, made with `VACUUM INTO` from a read-only
//! connection (one snapshot of the last committed state: a transaction is
//! wholly in the copy or wholly absent; the copy is compacted and needs no
//! WAL file beside it).

use std::path::Path;

use deconflict_core::StoreError;
use rusqlite::{Connection, OpenFlags};

use crate::error::SqlResultExt as _;

/// Copies the database at `source` to the new file `dest`.
///
/// # Errors
/// * [`StoreError::Unavailable`] when `source` cannot be opened or `dest`
///   cannot be written;
/// * [`StoreError::Settings`] when `dest` already exists (a backup never
///   overwrites) or is not valid UTF-8;
/// * [`StoreError::Backend`] when SQLite refuses the copy.
pub fn backup_to(source: &Path, dest: &Path) -> Result<(), StoreError> {
    if dest.exists() {
        return Err(StoreError::settings(format!(
            "{} already exists: a backup never overwrites",
            dest.display()
        )));
    }
    if !source.is_file() {
        return Err(StoreError::unavailable(format!("{}: no such database file", source.display())));
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(source, flags).store()?;
    conn.busy_timeout(crate::BUSY_TIMEOUT).store()?;
    let dest_text = dest.to_str().ok_or_else(|| {
        StoreError::settings(format!("{}: the backup path must be valid UTF-8", dest.display()))
    })?;
    conn.execute("VACUUM INTO ?1", [dest_text]).store()?;
    Ok(())
}
