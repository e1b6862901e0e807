//! The server's typed configuration, built once at start-up (by the CLI from
//! flags and `DECONF_*` environment variables) and passed down explicitly.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use deconflict_core::{Limits, MemoryStore, Store};

use crate::auth::{DevKey, TrustedKey, Verifier, load_key_file};

/// Which store to use.
#[derive(Clone, PartialEq, Eq)]
pub enum StoreSpec {
    /// In memory; nothing survives a restart.
    Memory,
    /// A SQLite file (the embedded default).
    Sqlite(PathBuf),
}

impl fmt::Debug for StoreSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreSpec::Memory => f.write_str("memory"),
            StoreSpec::Sqlite(p) => write!(f, "sqlite:{}", p.display()),
        }
    }
}

impl std::str::FromStr for StoreSpec {
    type Err = String;

    /// `memory`, `sqlite:PATH`, or a path ending in `.sqlite`/`.db`.
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
            return Err("the PostgreSQL backend is not available in this build yet".into());
        }
        Err(format!("unknown store {s:?}: use memory or sqlite:PATH"))
    }
}

impl StoreSpec {
    /// Opens the store.
    ///
    /// # Errors
    /// When the database cannot be opened or migrated.
    pub fn open(&self) -> Result<Arc<dyn Store>, deconflict_core::StoreError> {
        Ok(match self {
            StoreSpec::Memory => Arc::new(MemoryStore::new()),
            StoreSpec::Sqlite(path) => Arc::new(store_sqlite::SqliteStore::open(path)?),
        })
    }
}

/// Everything the server needs to start.
#[derive(Debug, Clone)]
pub struct Config {
    /// The store.
    pub store: StoreSpec,
    /// PEM or JWKS files with trusted token keys.
    pub key_files: Vec<PathBuf>,
    /// Accepted `aud` values.
    pub audiences: Vec<String>,
    /// Also trust the local development key (never in a deployment).
    pub dev: bool,
    /// Where the development key lives (created on first use).
    pub dev_key: PathBuf,
    /// Engine limits.
    pub limits: Limits,
    /// After this a request is rolled back and answered 503.
    pub request_timeout: Duration,
    /// Largest accepted request body.
    pub max_body_bytes: usize,
    /// How often ended entities are purged.
    pub purge_interval: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            store: StoreSpec::Sqlite(PathBuf::from("deconflict.sqlite")),
            key_files: Vec::new(),
            audiences: Vec::new(),
            dev: false,
            dev_key: PathBuf::from("deconflict-dev-key.pem"),
            limits: Limits::default(),
            request_timeout: Duration::from_secs(10),
            max_body_bytes: 4 * 1024 * 1024,
            purge_interval: Duration::from_secs(60),
        }
    }
}

/// Why the configuration cannot start a server.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// No key would verify any token.
    #[error("no trusted token keys: give --public-key FILE (PEM or JWKS), or --dev for local development")]
    NoKeys,
    /// A key file could not be used.
    #[error("key file {0}: {1}")]
    Key(String, crate::auth::AuthError),
    /// The verifier refused the settings.
    #[error("token verification settings: {0}")]
    Verifier(crate::auth::AuthError),
    /// The store could not be opened.
    #[error("store {0:?}: {1}")]
    Store(StoreSpec, deconflict_core::StoreError),
}

impl Config {
    /// Builds the token verifier: the key files, plus the development key with
    /// `--dev`. With no audience configured, `localhost` and `127.0.0.1` are
    /// accepted (what InterUSS tools send for a local server).
    ///
    /// # Errors
    /// [`ConfigError`] when no key is configured or a key file is unusable.
    pub fn verifier(&self) -> Result<Verifier, ConfigError> {
        let mut keys: Vec<TrustedKey> = Vec::new();
        for path in &self.key_files {
            let loaded = load_key_file(path).map_err(|e| ConfigError::Key(path.display().to_string(), e))?;
            keys.extend(loaded);
        }
        if self.dev {
            let dev = DevKey::load_or_create(&self.dev_key)
                .map_err(|e| ConfigError::Key(self.dev_key.display().to_string(), e))?;
            keys.push(
                dev.trusted_key().map_err(|e| ConfigError::Key(self.dev_key.display().to_string(), e))?,
            );
        }
        if keys.is_empty() {
            return Err(ConfigError::NoKeys);
        }
        let audiences = if self.audiences.is_empty() {
            vec!["localhost".to_owned(), "127.0.0.1".to_owned()]
        } else {
            self.audiences.clone()
        };
        Verifier::new(keys, audiences, crate::auth::DEFAULT_MAX_EXP_AHEAD).map_err(ConfigError::Verifier)
    }
}
