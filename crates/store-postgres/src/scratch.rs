//! A schema made for one run of a tool (a benchmark filling a database with
//! synthetic rows), dropped with everything in it when the run ends, so the
//! tool never leaves its data in the operator's database.

use deconflict_core::StoreError;

use crate::{PgOptions, from_pg, open_pool, quote_ident};

/// A schema of its own; `DROP SCHEMA ... CASCADE` when dropped.
#[derive(Debug)]
pub struct ScratchSchema {
    url: String,
    name: String,
}

impl ScratchSchema {
    /// Creates `PREFIX_<random>` in the database at `url` (TLS as
    /// [`crate::PgStore::connect`] does).
    ///
    /// # Errors
    /// When the database cannot be reached or the role may not create schemas.
    pub fn create(url: &str, prefix: &str) -> Result<Self, StoreError> {
        let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
        run(url, &format!("CREATE SCHEMA {}", quote_ident(&name)))?;
        Ok(Self { url: url.to_owned(), name })
    }

    /// The schema's name (give it as [`crate::PgOptions::schema`]).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Drops the schema now, reporting a failure.
    ///
    /// # Errors
    /// When the database cannot be reached or refuses.
    pub fn remove(self) -> Result<(), StoreError> {
        let result = self.drop_now();
        std::mem::forget(self);
        result
    }

    fn drop_now(&self) -> Result<(), StoreError> {
        run(&self.url, &format!("DROP SCHEMA IF EXISTS {} CASCADE", quote_ident(&self.name)))
    }
}

impl Drop for ScratchSchema {
    fn drop(&mut self) {
        if let Err(e) = self.drop_now() {
            tracing::warn!(schema = %self.name, error = %e, "could not drop the scratch schema; drop it by hand");
        }
    }
}

/// Runs `sql` on a connection of its own.
fn run(url: &str, sql: &str) -> Result<(), StoreError> {
    let pool = open_pool(url, &PgOptions { pool_size: 1, ..PgOptions::default() }, String::new())?;
    let mut lease = pool.get()?;
    lease.conn().batch_execute(sql).map_err(from_pg)
}
