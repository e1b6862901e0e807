//! Integration tests of the SQLite store: the shared conformance suite on real
//! files, plus durability, migrations, concurrency and the candidate search.

mod backup;
mod candidates;
mod concurrency;
mod crash;
mod durability;
mod events;
mod migrations;
mod records;

use std::ops::Deref;
use std::path::PathBuf;

use store_sqlite::SqliteStore;
use tempfile::TempDir;

/// A store on a new file in its own temporary directory, deleted on drop
/// (the store is dropped, and closed, first).
#[derive(Debug)]
pub struct Fresh {
    /// The store, in `dir`.
    pub store: SqliteStore,
    /// Its directory.
    pub dir: TempDir,
}

impl Fresh {
    /// The database file.
    pub fn file(&self) -> PathBuf {
        self.dir.path().join("deconflict.db")
    }

    /// SQLite's `EXPLAIN QUERY PLAN` of `sql` on this store's file: the
    /// detail of each step, joined by ` | `.
    pub fn query_plan(&self, sql: &str) -> String {
        let conn = rusqlite::Connection::open(self.file()).expect("open");
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).expect("explain");
        let rows = stmt.query_map([], |r| r.get::<_, String>(3)).expect("query");
        rows.collect::<Result<Vec<_>, _>>().expect("rows").join(" | ")
    }
}

impl Deref for Fresh {
    type Target = SqliteStore;

    fn deref(&self) -> &SqliteStore {
        &self.store
    }
}

/// A new, empty store on a real file.
pub fn fresh_store() -> Fresh {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(&dir.path().join("deconflict.db")).expect("open a fresh store");
    Fresh { store, dir }
}

deconflict_core::store_conformance!(fresh_store());

/// The same suite on the in-memory variant (one connection for everything).
mod in_memory {
    deconflict_core::store_conformance!(Box::new(
        store_sqlite::SqliteStore::open_in_memory().expect("open in memory")
    ));
}
