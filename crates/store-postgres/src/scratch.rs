//! A schema made for one run of a tool (a benchmark filling a database with
//! synthetic rows), dropped with everything in it when the run ends, so the
//! tool never leaves its data in the operator's database.

use postgres::NoTls;

use deconflict_core::StoreError;

use crate::{from_pg, quote_ident, tls};

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
        direct(url)?.batch_execute(&format!("CREATE SCHEMA {}", quote_ident(&name))).map_err(from_pg)?;
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
        direct(&self.url)?
            .batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", quote_ident(&self.name)))
            .map_err(from_pg)
    }
}

impl Drop for ScratchSchema {
    fn drop(&mut self) {
        if let Err(e) = self.drop_now() {
            tracing::warn!(schema = %self.name, error = %e, "could not drop the scratch schema; drop it by hand");
        }
    }
}

/// One connection outside any pool.
fn direct(url: &str) -> Result<postgres::Client, StoreError> {
    let (url, tls) = tls::split_url(url)?;
    let mut config: postgres::Config = url
        .parse()
        .map_err(|e| StoreError::settings_by(format!("invalid PostgreSQL connection string: {e}"), e))?;
    config.ssl_mode(tls.ssl_mode());
    let client = match tls.connector()? {
        Some(c) => config.connect(c),
        None => config.connect(NoTls),
    };
    client.map_err(from_pg)
}
