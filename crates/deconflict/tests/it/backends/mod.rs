//! Server tests that need a real SQLite file or PostgreSQL (and Redis): the
//! server crate depends on no store crate, so the tests that run a server on
//! one live here, with the server tests' own harness (`common`, included
//! from `crates/server/tests/it/common`) and a [`StoreSpec::Open`] of the
//! backend. Tests that cannot run without PostgreSQL or Redis print
//! `SKIPPED:` and fail under `CI=true` (`common::service_url`).

#[path = "../../../../server/tests/it/common/mod.rs"]
pub mod common;

mod disconnect;
mod durable;
mod exchange;
mod poles;
mod pool;
mod replicas;
mod restart;

use std::path::Path;
use std::sync::Arc;

use common::{Options, StoreSpec};
use deconflict_core::Store;

/// The SQLite file `test.sqlite` in the server's directory (so a restart on
/// the same directory finds what was written).
pub fn sqlite() -> StoreSpec {
    StoreSpec::Open(Arc::new(|dir: &Path, _schema: Option<&str>| -> Arc<dyn Store> {
        Arc::new(store_sqlite::SqliteStore::open(&dir.join("test.sqlite")).unwrap())
    }))
}

/// The SQLite file of a server started with [`on_sqlite`] in `dir`.
pub fn sqlite_file(dir: &Path) -> std::path::PathBuf {
    dir.join("test.sqlite")
}

/// PostgreSQL at `url`, in the schema of [`Options::pg_schema`].
pub fn postgres(url: &str) -> StoreSpec {
    let url = url.to_owned();
    StoreSpec::Open(Arc::new(move |_dir: &Path, schema: Option<&str>| -> Arc<dyn Store> {
        let opts = store_postgres::PgOptions {
            pool_size: 4,
            schema: schema.map(str::to_owned),
            ..store_postgres::PgOptions::default()
        };
        Arc::new(store_postgres::PgStore::connect(&url, opts).unwrap())
    }))
}

/// Server options on a SQLite file.
pub fn on_sqlite() -> Options {
    Options { store: Some(sqlite()), ..Options::default() }
}
