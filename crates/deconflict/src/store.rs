//! Which store the server runs on, chosen here in the binary: the server
//! takes an `Arc<dyn Store>` and knows no backend.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use deconflict_core::{MemoryStore, Store};

/// Which store to use.
#[derive(Clone, PartialEq, Eq)]
pub enum StoreSpec {
    /// In memory; nothing survives a restart.
    Memory,
    /// A SQLite file (the embedded default).
    Sqlite(PathBuf),
    /// A PostgreSQL-compatible database shared by several replicas.
    Postgres(String),
}

impl fmt::Debug for StoreSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreSpec::Memory => f.write_str("memory"),
            StoreSpec::Sqlite(p) => write!(f, "sqlite:{}", p.display()),
            StoreSpec::Postgres(url) => f.write_str(&redact_password(url)),
        }
    }
}

impl std::str::FromStr for StoreSpec {
    type Err = String;

    /// `memory`, `sqlite:PATH` or `postgres://...`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "memory" {
            return Ok(StoreSpec::Memory);
        }
        if let Some(path) = s.strip_prefix("sqlite:") {
            if path.is_empty() {
                return Err("sqlite: needs a file path, e.g. sqlite:./deconflict.sqlite".into());
            }
            return Ok(StoreSpec::Sqlite(PathBuf::from(path)));
        }
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            return Ok(StoreSpec::Postgres(s.to_owned()));
        }
        Err(format!("unknown store {s:?}: use memory, sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DB"))
    }
}

impl StoreSpec {
    /// Opens the store (call it off the async runtime: the PostgreSQL client
    /// blocks).
    ///
    /// # Errors
    /// When the database cannot be opened or migrated.
    pub fn open(&self, pg: &PgSettings) -> Result<Arc<dyn Store>, deconflict_core::StoreError> {
        Ok(match self {
            StoreSpec::Memory => Arc::new(MemoryStore::new()),
            StoreSpec::Sqlite(path) => Arc::new(store_sqlite::SqliteStore::open(path)?),
            StoreSpec::Postgres(url) => {
                let opts = store_postgres::PgOptions {
                    pool_size: pg.pool_size.max(1),
                    statement_timeout: Some(pg.statement_timeout),
                    schema: pg.schema.clone(),
                    ..store_postgres::PgOptions::default()
                };
                Arc::new(store_postgres::PgStore::connect(url, opts)?)
            }
        })
    }
}

/// Hides the password of a database URL for logs.
pub fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let Some((userinfo, host)) = rest.split_once('@') else { return url.to_owned() };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

/// PostgreSQL connection settings.
#[derive(Debug, Clone)]
pub struct PgSettings {
    /// Most connections per replica (and so concurrent transactions).
    pub pool_size: usize,
    /// A statement running longer is cancelled (the request gets 503).
    pub statement_timeout: Duration,
    /// The schema to use (must exist); `None` for the default search path.
    pub schema: Option<String>,
}

impl Default for PgSettings {
    fn default() -> Self {
        Self { pool_size: 16, statement_timeout: Duration::from_secs(10), schema: None }
    }
}

/// Opens `spec` on a blocking thread, naming the store in the error.
///
/// # Errors
/// When the database cannot be opened or migrated.
pub async fn open_async(spec: &StoreSpec, pg: &PgSettings) -> anyhow::Result<Arc<dyn Store>> {
    let (s, p) = (spec.clone(), pg.clone());
    tokio::task::spawn_blocking(move || s.open(&p))
        .await
        .map_err(|e| anyhow::anyhow!("opening store {spec:?}: {e}"))?
        .map_err(|e| anyhow::anyhow!("store {spec:?}: {e}"))
}
