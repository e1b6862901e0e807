//! `deconflict serve`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use server::{Config, StoreSpec};

/// Flags of `serve`; each also reads a `DECONF_*` environment variable.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "DECONF_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// `sqlite:PATH` (embedded default), `memory`, or `postgres://USER:PASSWORD@HOST:PORT/DB`
    /// (prefer the environment variable for a URL with a password).
    #[arg(long, env = "DECONF_STORE", default_value = "sqlite:deconflict.sqlite")]
    pub store: StoreSpec,
    /// A trusted token key: PEM public key or JWKS file (repeatable).
    #[arg(long = "public-key", env = "DECONF_PUBLIC_KEY", value_delimiter = ',')]
    pub public_keys: Vec<PathBuf>,
    /// An accepted token audience (repeatable); default localhost and 127.0.0.1.
    #[arg(long = "audience", env = "DECONF_AUDIENCE", value_delimiter = ',')]
    pub audiences: Vec<String>,
    /// Also trust the local development key (never in a deployment).
    #[arg(long, env = "DECONF_DEV")]
    pub dev: bool,
    /// Where the development key is kept (created on first use).
    #[arg(long, env = "DECONF_DEV_KEY", default_value = "deconflict-dev-key.pem")]
    pub dev_key: PathBuf,
    /// Accept plain http:// USS base URLs (local set-ups and tests).
    #[arg(long, env = "DECONF_ALLOW_HTTP_BASE_URLS")]
    pub allow_http_base_urls: bool,
    /// Seconds after which a request is rolled back and answered 503.
    #[arg(long, env = "DECONF_REQUEST_TIMEOUT_S", default_value_t = 10)]
    pub request_timeout_s: u64,
    /// Largest request body in bytes.
    #[arg(long, env = "DECONF_MAX_BODY_BYTES", default_value_t = 4 * 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Most entities one query may return (more is a 413, never a silent cut).
    #[arg(long, env = "DECONF_MAX_RESULTS", default_value_t = 10_000)]
    pub max_results: usize,
    /// Seconds between purges of ended entities.
    #[arg(long, env = "DECONF_PURGE_INTERVAL_S", default_value_t = 60)]
    pub purge_interval_s: u64,
    /// PostgreSQL: connections per replica.
    #[arg(long, env = "DECONF_PG_POOL_SIZE", default_value_t = 16)]
    pub pg_pool_size: usize,
    /// PostgreSQL: seconds after which a statement is cancelled.
    #[arg(long, env = "DECONF_PG_STATEMENT_TIMEOUT_S", default_value_t = 10)]
    pub pg_statement_timeout_s: u64,
    /// PostgreSQL: the schema to use (must exist); default search path otherwise.
    #[arg(long, env = "DECONF_PG_SCHEMA")]
    pub pg_schema: Option<String>,
    /// The Ed25519 key (PKCS#8 PEM) that signs audit checkpoints; created on first
    /// use. Replicas of one service share it.
    #[arg(long, env = "DECONF_AUDIT_KEY", default_value = "deconflict-audit-key.pem")]
    pub audit_key: PathBuf,
    /// Milliseconds between sealing the audit log and pushing new events to streams.
    #[arg(long, env = "DECONF_SEAL_INTERVAL_MS", default_value_t = 200)]
    pub seal_interval_ms: u64,
    /// Hotline: a JSON array of parties (`{name, display_name, webhook_url?}`) loaded at start-up.
    #[arg(long = "parties", env = "DECONF_PARTIES")]
    pub parties: Option<PathBuf>,
    /// Hotline: milliseconds between escalation, communication-check and webhook passes.
    #[arg(long, env = "DECONF_COORD_INTERVAL_MS", default_value_t = 1000)]
    pub coord_interval_ms: u64,
    /// Tactical: milliseconds between conflict scans of the live tracks.
    #[arg(long, env = "DECONF_SCAN_INTERVAL_MS", default_value_t = 1000)]
    pub scan_interval_ms: u64,
    /// Tactical: seconds without a report after which a track is dropped.
    #[arg(long, env = "DECONF_TRACK_STALE_S", default_value_t = 60)]
    pub track_stale_s: u64,
    /// Tactical: separation minima, `en-route` (5 NM, 1000 ft, 300 s) or `drone` (50 m, 15 m, 60 s).
    #[arg(long, env = "DECONF_TACTICAL_PROFILE", default_value = "en-route")]
    pub tactical_profile: server::live::Profile,
    /// Tactical: most tracks in one `POST /v1/tracks`.
    #[arg(long, env = "DECONF_MAX_TRACK_BATCH", default_value_t = 10_000)]
    pub max_track_batch: usize,
    /// Tactical: an SBS-1 (BaseStation) TCP listener, `ADDR=PARTY`: every track
    /// received on it belongs to PARTY (repeatable; comma-separated in the env var).
    #[arg(long = "sbs-listen", env = "DECONF_SBS_LISTEN", value_delimiter = ',', value_parser = server::live::parse_sbs_listen)]
    pub sbs_listen: Vec<(SocketAddr, deconflict_core::Manager)>,
    /// Log format.
    #[arg(long, env = "DECONF_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// How logs are written.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

impl ServeArgs {
    /// The server configuration these flags describe.
    pub fn config(&self) -> Config {
        let mut cfg = Config {
            store: self.store.clone(),
            key_files: self.public_keys.clone(),
            audiences: self.audiences.clone(),
            dev: self.dev,
            dev_key: self.dev_key.clone(),
            request_timeout: Duration::from_secs(self.request_timeout_s.max(1)),
            max_body_bytes: self.max_body_bytes,
            purge_interval: Duration::from_secs(self.purge_interval_s.max(1)),
            pg: server::PgSettings {
                pool_size: self.pg_pool_size,
                statement_timeout: Duration::from_secs(self.pg_statement_timeout_s.max(1)),
                schema: self.pg_schema.clone(),
            },
            audit_key: self.audit_key.clone(),
            seal_interval: Duration::from_millis(self.seal_interval_ms.max(10)),
            parties_file: self.parties.clone(),
            coord_interval: Duration::from_millis(self.coord_interval_ms.max(10)),
            ..Config::default()
        };
        cfg.limits.allow_http_base_urls = self.allow_http_base_urls;
        cfg.limits.max_results = self.max_results;
        cfg.live = server::live::LiveConfig {
            scan_interval: Duration::from_millis(self.scan_interval_ms.max(10)),
            stale_after: Duration::from_secs(self.track_stale_s.max(1)),
            detection: self.tactical_profile.detection(),
            alerts: self.tactical_profile.alerts(),
            max_batch: self.max_track_batch.max(1),
            sbs_listeners: self.sbs_listen.clone(),
            ..server::live::LiveConfig::default()
        };
        cfg
    }
}

/// Sets up logging to stderr.
pub fn init_logs(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("DECONF_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,tower_http=info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder =
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

/// Runs the server until Ctrl-C or SIGTERM.
pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    init_logs(args.log_format);
    let cfg = args.config();
    let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("binding {}", args.listen))?;
        tracing::info!(listen = %args.listen, store = ?cfg.store, dev = cfg.dev, "deconflict serving");
        server::run(cfg, listener, shutdown_signal()).await.map_err(|e| anyhow::anyhow!("{e}"))
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
    tracing::info!("shutting down");
}
