//! The server's typed configuration, built once at start-up (by the CLI from
//! flags and `DECONF_*` environment variables) and passed down explicitly.

use std::path::PathBuf;
use std::time::Duration;

use deconflict_core::Limits;

use crate::auth::{DevKey, Grants, TrustedKey, Verifier, load_key_file, scope};

/// Everything the server needs to start.
#[derive(Debug, Clone)]
pub struct Config {
    /// PEM or JWKS files with trusted token keys, for any `sub`, granting the
    /// ordinary party scopes only ([`crate::auth::scope::PARTY_DEFAULT`]).
    pub key_files: Vec<PathBuf>,
    /// PEM or JWKS files with operator keys: their tokens may carry every
    /// scope, the privileged ones included ([`crate::auth::scope::PRIVILEGED`]).
    pub operator_key_files: Vec<PathBuf>,
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
    /// How much history (coordination records, audit bodies) to keep; `None`
    /// keeps everything (see `deconflict_core::retention`).
    pub retention: Option<Duration>,
    /// How often retention runs when it is on.
    pub retention_interval: Duration,
    /// Tactical deconfliction (live tracks, scans, SBS-1 feeds).
    pub live: live::LiveConfig,
    /// The Ed25519 key (PKCS#8 PEM) that signs audit checkpoints; created on first use.
    pub audit_key: PathBuf,
    /// How often pending events are sealed into the audit log and pushed to streams.
    pub seal_interval: Duration,
    /// A JSON array of parties (`{name, display_name, webhook_url?}`) loaded at start-up.
    pub parties_file: Option<PathBuf>,
    /// How often hotline escalation, communication checks and webhook delivery run.
    pub coord_interval: Duration,
    /// Bounds on client connections (timeouts, caps, shutdown grace).
    pub conn: crate::net::ConnLimits,
    /// HTTPS: certificate, key and optional client CA; plain HTTP when `None`.
    pub tls: Option<TlsSettings>,
    /// Most event and alert streams one party may hold open (per replica).
    pub max_streams_per_party: usize,
    /// CAs trusted for webhooks beyond the system's roots (PEM).
    pub ca_file: Option<PathBuf>,
    /// A second listener serving `/metrics` and the detailed `/healthz`
    /// without a token (for a network only the operator reaches).
    pub admin_listen: Option<std::net::SocketAddr>,
    /// Label per-party metrics with party names (off: they are aggregated).
    pub metrics_party_labels: bool,
    /// This replica's id as a DSS instance of the pool (`/aux/v1/pool`).
    pub dss_instance_id: String,
    /// Browser origins allowed to call the API across origins (CORS); empty:
    /// none (the page the server serves itself needs none).
    pub cors_origins: Vec<axum::http::HeaderValue>,
}

/// The server's TLS files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSettings {
    /// Certificate chain (PEM), leaf first.
    pub cert: PathBuf,
    /// Its private key (PEM: PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
    /// When set, every client must present a certificate signed by this CA,
    /// and the certificate must name the party its token speaks for.
    pub client_ca: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            key_files: Vec::new(),
            operator_key_files: Vec::new(),
            audiences: Vec::new(),
            dev: false,
            dev_key: PathBuf::from("deconflict-dev-key.pem"),
            limits: Limits::default(),
            request_timeout: Duration::from_secs(10),
            max_body_bytes: 4 * 1024 * 1024,
            purge_interval: Duration::from_secs(60),
            retention: None,
            retention_interval: Duration::from_secs(3600),
            live: live::LiveConfig::default(),
            audit_key: PathBuf::from("deconflict-audit-key.pem"),
            seal_interval: Duration::from_millis(200),
            parties_file: None,
            coord_interval: Duration::from_secs(1),
            conn: crate::net::ConnLimits::default(),
            tls: None,
            max_streams_per_party: 8,
            ca_file: None,
            admin_listen: None,
            metrics_party_labels: false,
            dss_instance_id: "deconflict".to_owned(),
            cors_origins: Vec::new(),
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
    /// The audit signing key could not be loaded or created.
    #[error(transparent)]
    AuditKey(#[from] crate::feed::KeyFileError),
    /// The party registry file could not be loaded.
    #[error("parties file {0}")]
    Parties(String),
    /// The store could not be read at start-up.
    #[error("store: {0}")]
    Store(deconflict_core::StoreError),
    /// TLS files or settings are unusable.
    #[error(transparent)]
    Tls(#[from] crate::net::TlsError),
}

impl Config {
    /// The server's TLS acceptor, if HTTPS is configured.
    ///
    /// # Errors
    /// [`ConfigError::Tls`] naming the file and the problem.
    pub fn server_tls(&self) -> Result<Option<crate::net::ServerTls>, ConfigError> {
        let Some(t) = &self.tls else { return Ok(None) };
        Ok(Some(crate::net::ServerTls::from_files(&t.cert, &t.key, t.client_ca.as_deref())?))
    }

    /// Builds the token verifier: the key files, plus the development key with
    /// `--dev`. With no audience configured, `localhost` and `127.0.0.1` are
    /// accepted (what InterUSS tools send for a local server).
    ///
    /// # Errors
    /// [`ConfigError`] when no key is configured or a key file is unusable.
    pub fn verifier(&self) -> Result<Verifier, ConfigError> {
        let mut keys: Vec<TrustedKey> = Vec::new();
        for (files, grants) in
            [(&self.key_files, Grants::party_default()), (&self.operator_key_files, Grants::Any)]
        {
            for path in files {
                let loaded =
                    load_key_file(path).map_err(|e| ConfigError::Key(path.display().to_string(), e))?;
                keys.extend(loaded.into_iter().map(|k| k.with_grants(grants.clone())));
            }
        }
        if let Some(path) = &self.parties_file {
            keys.extend(party_keys(path)?);
        }
        if let Some(dev) = self.dev_signer()? {
            keys.push(
                dev.trusted_key().map_err(|e| ConfigError::Key(self.dev_key.display().to_string(), e))?,
            );
        }
        if keys.is_empty() {
            return Err(ConfigError::NoKeys);
        }
        Verifier::new(keys, self.accepted_audiences(), crate::auth::DEFAULT_MAX_EXP_AHEAD)
            .map_err(ConfigError::Verifier)
    }

    /// The development key, loaded or created, when `dev` is set.
    ///
    /// # Errors
    /// When the key file is unusable.
    pub fn dev_signer(&self) -> Result<Option<DevKey>, ConfigError> {
        if !self.dev {
            return Ok(None);
        }
        DevKey::load_or_create(&self.dev_key)
            .map(Some)
            .map_err(|e| ConfigError::Key(self.dev_key.display().to_string(), e))
    }

    /// The accepted token audiences: `audiences`, or localhost and 127.0.0.1.
    pub fn accepted_audiences(&self) -> Vec<String> {
        if self.audiences.is_empty() {
            vec!["localhost".to_owned(), "127.0.0.1".to_owned()]
        } else {
            self.audiences.clone()
        }
    }
}

/// One entry of the `--parties` file: a JSON array of
/// `{"name", "display_name", "webhook_url"?, "keys"?, "issuer"?, "scopes"?}`.
/// `keys` are PEM or JWKS files (relative to the parties file) trusted for
/// this party only: a token they verify must have `sub` = `name` (and `iss` =
/// `issuer` when given) and may carry only the scopes in `scopes` (by default
/// [`scope::PARTY_DEFAULT`]). Naming a privileged scope there is how the
/// operator designates an operator (or auditor, or arbitrator) identity.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartyEntry {
    /// The party: the `sub` of its tokens.
    pub name: String,
    /// Its display name.
    pub display_name: String,
    /// Where its events are delivered.
    #[serde(default)]
    pub webhook_url: Option<String>,
    /// Token keys trusted for this party only.
    #[serde(default)]
    pub keys: Vec<PathBuf>,
    /// The issuer its tokens must carry, if bound.
    #[serde(default)]
    pub issuer: Option<String>,
    /// The scopes its keys may grant (default: the ordinary party scopes).
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
}

impl PartyEntry {
    /// What this party's keys may grant.
    ///
    /// # Errors
    /// [`ConfigError::Parties`] naming an unknown scope.
    pub fn grants(&self) -> Result<Grants, ConfigError> {
        let Some(list) = &self.scopes else { return Ok(Grants::party_default()) };
        if let Some(bad) = list.iter().find(|s| !scope::is_known(s)) {
            return Err(ConfigError::Parties(format!(
                "party {:?}: scope {bad:?} is not a scope of this service",
                self.name
            )));
        }
        Ok(Grants::Only(list.iter().collect()))
    }
}

/// Reads the parties file.
///
/// # Errors
/// [`ConfigError::Parties`] naming the file and the problem.
pub fn read_parties(path: &std::path::Path) -> Result<Vec<PartyEntry>, ConfigError> {
    let err = |e: String| ConfigError::Parties(format!("{}: {e}", path.display()));
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    serde_json::from_str(&text).map_err(|e| err(e.to_string()))
}

/// The keys of every party in the parties file, each bound to its party (and
/// issuer).
fn party_keys(path: &std::path::Path) -> Result<Vec<TrustedKey>, ConfigError> {
    let base = path.parent().unwrap_or_else(|| std::path::Path::new("."));
    let mut keys = Vec::new();
    for party in read_parties(path)? {
        let grants = party.grants()?;
        for file in &party.keys {
            let file = base.join(file);
            let loaded = load_key_file(&file).map_err(|e| ConfigError::Key(file.display().to_string(), e))?;
            for key in loaded {
                let key = key.with_party(party.name.clone()).with_grants(grants.clone());
                keys.push(match &party.issuer {
                    Some(iss) => key.with_issuer(iss.clone()),
                    None => key,
                });
            }
        }
    }
    Ok(keys)
}
