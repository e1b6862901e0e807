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

/// A small deterministic random generator (SplitMix64) for test data.
#[derive(Debug)]
pub struct Rng(pub u64);

impl Rng {
    /// The next number (SplitMix64).
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[lo, hi)`.
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64)
    }

    /// Uniform in `[lo, hi)`.
    pub fn int(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next_u64() % (hi - lo) as u64) as i64
    }
}
