//! `deconflict serve`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::builder::BoolishValueParser;
use clap::{ArgAction, Args, ValueEnum};
use server::Config;
use server::live::{SourceKind, SourceSpec};

use crate::paths::{AUDIT_KEY_FILE, DEV_KEY_FILE, DataDir, DataDirArg, STORE_FILE};
use crate::store::{PgSettings, StoreSpec};

/// Flags of `serve`; each also reads a `DECONF_*` environment variable.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "DECONF_LISTEN", default_value = "127.0.0.1:8080", value_parser = crate::cli_values::listen_addr)]
    pub listen: SocketAddr,
    /// A TOML file with any of these settings under their long names
    /// (precedence: flag > environment > file > default).
    #[arg(long, env = "DECONF_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub data: DataDirArg,
    /// `sqlite:PATH`, `memory`, or `postgres://USER:PASSWORD@HOST:PORT/DB`
    /// (prefer the environment variable for a URL with a password); default
    /// `deconflict.sqlite` in the data directory.
    #[arg(long, env = "DECONF_STORE")]
    pub store: Option<StoreSpec>,
    /// A trusted token key for any party: PEM public key or JWKS file
    /// (repeatable). Its tokens may carry only the ordinary party scopes.
    #[arg(long = "public-key", env = "DECONF_PUBLIC_KEY", value_delimiter = ',')]
    pub public_keys: Vec<PathBuf>,
    /// An operator key: PEM public key or JWKS file (repeatable) whose tokens
    /// may also carry the privileged scopes (`deconflict.admin`,
    /// `deconflict.audit.all`, `utm.availability_arbitration`).
    #[arg(long = "operator-key", env = "DECONF_OPERATOR_KEY", value_delimiter = ',')]
    pub operator_keys: Vec<PathBuf>,
    /// An accepted token audience (repeatable); default localhost and 127.0.0.1.
    #[arg(long = "audience", env = "DECONF_AUDIENCE", value_delimiter = ',')]
    pub audiences: Vec<String>,
    /// Also trust the local development key (never in a deployment).
    #[arg(long, env = "DECONF_DEV", action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub dev: bool,
    /// Where the development key is kept (created on first use); default
    /// `dev-key.pem` in the data directory.
    #[arg(long, env = "DECONF_DEV_KEY")]
    pub dev_key: Option<PathBuf>,
    /// Accept plain http:// USS base URLs (local set-ups and tests).
    #[arg(long, env = "DECONF_ALLOW_HTTP_BASE_URLS", action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub allow_http_base_urls: bool,
    /// Seconds after which a request is rolled back and answered 503.
    #[arg(long, env = "DECONF_REQUEST_TIMEOUT_S", default_value_t = 10, value_parser = crate::cli_values::non_negative::<u64>)]
    pub request_timeout_s: u64,
    /// Largest request body in bytes.
    #[arg(long, env = "DECONF_MAX_BODY_BYTES", default_value_t = 4 * 1024 * 1024, value_parser = crate::cli_values::non_negative::<usize>)]
    pub max_body_bytes: usize,
    /// Most entities one query may return (more is a 413, never a silent cut).
    #[arg(long, env = "DECONF_MAX_RESULTS", default_value_t = 10_000, value_parser = crate::cli_values::non_negative::<usize>)]
    pub max_results: usize,
    /// Quota: most live operational intents per party.
    #[arg(long, env = "DECONF_QUOTA_OPERATIONS", default_value_t = 1000, value_parser = crate::cli_values::non_negative::<u64>)]
    pub quota_operations: u64,
    /// Quota: most live constraints per party.
    #[arg(long, env = "DECONF_QUOTA_CONSTRAINTS", default_value_t = 1000, value_parser = crate::cli_values::non_negative::<u64>)]
    pub quota_constraints: u64,
    /// Quota: most live explicit subscriptions per party.
    #[arg(long, env = "DECONF_QUOTA_SUBSCRIPTIONS", default_value_t = 1000, value_parser = crate::cli_values::non_negative::<u64>)]
    pub quota_subscriptions: u64,
    /// Quota: most total area of a party's live explicit subscriptions, km².
    #[arg(long, env = "DECONF_QUOTA_SUBSCRIPTION_AREA_KM2", default_value_t = 500_000.0, value_parser = crate::cli_values::non_negative::<f64>)]
    pub quota_subscription_area_km2: f64,
    /// Quota: most hotline messages a party sends per minute (per replica).
    #[arg(long, env = "DECONF_QUOTA_MESSAGES_PER_MINUTE", default_value_t = 120, value_parser = crate::cli_values::non_negative::<u32>)]
    pub quota_messages_per_minute: u32,
    /// Quota: most F3548 reports a party files per minute (per replica).
    #[arg(long, env = "DECONF_QUOTA_REPORTS_PER_MINUTE", default_value_t = 60, value_parser = crate::cli_values::non_negative::<u32>)]
    pub quota_reports_per_minute: u32,
    /// Days F3548 reports are kept before they are purged.
    #[arg(long, env = "DECONF_REPORT_RETENTION_DAYS", default_value_t = 30, value_parser = crate::cli_values::non_negative::<u32>)]
    pub report_retention_days: u32,
    /// Days of history kept (0, the default: all of it). Older hotline messages
    /// with their deliveries, notices, finished checks and conflict threads are
    /// deleted, and older audit entries keep only their links and hashes (the
    /// chain still verifies); messages still awaiting an acknowledgement stay.
    #[arg(long, env = "DECONF_RETENTION_DAYS", default_value_t = 0, value_parser = crate::cli_values::non_negative::<u32>)]
    pub retention_days: u32,
    /// Seconds between purges of ended entities.
    #[arg(long, env = "DECONF_PURGE_INTERVAL_S", default_value_t = 60, value_parser = crate::cli_values::non_negative::<u64>)]
    pub purge_interval_s: u64,
    /// PostgreSQL: connections per replica.
    #[arg(long, env = "DECONF_PG_POOL_SIZE", default_value_t = 16, value_parser = crate::cli_values::non_negative::<usize>)]
    pub pg_pool_size: usize,
    /// PostgreSQL: seconds after which a statement is cancelled.
    #[arg(long, env = "DECONF_PG_STATEMENT_TIMEOUT_S", default_value_t = 10, value_parser = crate::cli_values::non_negative::<u64>)]
    pub pg_statement_timeout_s: u64,
    /// PostgreSQL: the schema to use (must exist); default search path otherwise.
    #[arg(long, env = "DECONF_PG_SCHEMA")]
    pub pg_schema: Option<String>,
    /// The Ed25519 key (PKCS#8 PEM) that signs audit checkpoints; created on first
    /// use. Replicas of one service share it. Default `audit-key.pem` in the
    /// data directory.
    #[arg(long, env = "DECONF_AUDIT_KEY")]
    pub audit_key: Option<PathBuf>,
    /// Milliseconds between sealing the audit log and pushing new events to streams.
    #[arg(long, env = "DECONF_SEAL_INTERVAL_MS", default_value_t = 200, value_parser = crate::cli_values::non_negative::<u64>)]
    pub seal_interval_ms: u64,
    /// Hotline: a JSON array of parties (`{name, display_name, webhook_url?}`) loaded at start-up.
    #[arg(long = "parties", env = "DECONF_PARTIES")]
    pub parties: Option<PathBuf>,
    /// Hotline: milliseconds between escalation, communication-check and webhook passes.
    #[arg(long, env = "DECONF_COORD_INTERVAL_MS", default_value_t = 1000, value_parser = crate::cli_values::non_negative::<u64>)]
    pub coord_interval_ms: u64,
    /// Tactical: milliseconds between conflict scans of the live tracks.
    #[arg(long, env = "DECONF_SCAN_INTERVAL_MS", default_value_t = 1000, value_parser = crate::cli_values::non_negative::<u64>)]
    pub scan_interval_ms: u64,
    /// Tactical: seconds without a report after which a track is dropped.
    #[arg(long, env = "DECONF_TRACK_STALE_S", default_value_t = 60, value_parser = crate::cli_values::non_negative::<u64>)]
    pub track_stale_s: u64,
    /// Tactical: separation minima, `en-route` (5 NM, 1000 ft, 300 s) or `drone` (50 m, 15 m, 60 s).
    #[arg(long, env = "DECONF_TACTICAL_PROFILE", default_value = "en-route")]
    pub tactical_profile: server::live::Profile,
    /// Tactical: most tracks in one `POST /v1/tracks`.
    #[arg(long, env = "DECONF_MAX_TRACK_BATCH", default_value_t = 10_000, value_parser = crate::cli_values::non_negative::<usize>)]
    pub max_track_batch: usize,
    /// Tactical: an SBS-1 (BaseStation) TCP listener, `ADDR=PARTY`: every track
    /// received on it belongs to PARTY (repeatable; comma-separated in the env var).
    #[arg(long = "sbs-listen", env = "DECONF_SBS_LISTEN", value_delimiter = ',', value_parser = |s: &str| SourceSpec::parse(SourceKind::SbsListen, s))]
    pub sbs_listen: Vec<SourceSpec>,
    /// Tactical: an SBS-1 receiver to connect to (dump1090/readsb port 30003), `HOST:PORT=PARTY`; reconnects with backoff.
    #[arg(long = "sbs-connect", env = "DECONF_SBS_CONNECT", value_delimiter = ',', value_parser = |s: &str| SourceSpec::parse(SourceKind::SbsConnect, s))]
    pub sbs_connect: Vec<SourceSpec>,
    /// Tactical: a Beast binary TCP listener, `ADDR=PARTY`.
    #[arg(long = "beast-listen", env = "DECONF_BEAST_LISTEN", value_delimiter = ',', value_parser = |s: &str| SourceSpec::parse(SourceKind::BeastListen, s))]
    pub beast_listen: Vec<SourceSpec>,
    /// Tactical: a Beast receiver to connect to (port 30005), `HOST:PORT=PARTY`.
    #[arg(long = "beast-connect", env = "DECONF_BEAST_CONNECT", value_delimiter = ',', value_parser = |s: &str| SourceSpec::parse(SourceKind::BeastConnect, s))]
    pub beast_connect: Vec<SourceSpec>,
    /// Tactical: a raw Mode S (`*8D...;`) TCP listener, `ADDR=PARTY`.
    #[arg(long = "raw-listen", env = "DECONF_RAW_LISTEN", value_delimiter = ',', value_parser = |s: &str| SourceSpec::parse(SourceKind::RawListen, s))]
    pub raw_listen: Vec<SourceSpec>,
    /// Tactical: a raw Mode S receiver to connect to (port 30002), `HOST:PORT=PARTY`.
    #[arg(long = "raw-connect", env = "DECONF_RAW_CONNECT", value_delimiter = ',', value_parser = |s: &str| SourceSpec::parse(SourceKind::RawConnect, s))]
    pub raw_connect: Vec<SourceSpec>,
    /// Tactical: readsb/dump1090 `aircraft.json` polled every `--poll-interval-ms`, `URL=PARTY` or `FILE=PARTY`.
    #[arg(long = "aircraft-json", env = "DECONF_AIRCRAFT_JSON", value_delimiter = ',', value_parser = |s: &str| SourceSpec::parse(SourceKind::AircraftJson, s))]
    pub aircraft_json: Vec<SourceSpec>,
    /// Tactical: ASTERIX CAT021/CAT062 over UDP, `ADDR=PARTY`, or a multicast group `GROUP:PORT[@IFACE]=PARTY`.
    #[arg(long = "asterix-udp", env = "DECONF_ASTERIX_UDP", value_delimiter = ',', value_parser = |s: &str| SourceSpec::parse(SourceKind::AsterixUdp, s))]
    pub asterix_udp: Vec<SourceSpec>,
    /// Tactical: milliseconds between reads of each `aircraft.json` source.
    #[arg(long, env = "DECONF_POLL_INTERVAL_MS", default_value_t = 1000)]
    pub poll_interval_ms: u64,
    /// Tactical: a party that does not want to see conflicts between two of
    /// its own tracks (repeatable; everyone else sees their own).
    #[arg(long = "hide-own-conflicts", env = "DECONF_HIDE_OWN_CONFLICTS", value_delimiter = ',', value_parser = |s: &str| deconflict_core::PartyName::new(s.trim()).map_err(|e| format!("--hide-own-conflicts {s:?}: {e}")))]
    pub hide_own_conflicts: Vec<deconflict_core::PartyName>,
    /// Tactical: share the live picture with the other replicas through this
    /// Redis (`redis://host:port`), on the stream `--exchange-stream`.
    #[arg(long, env = "DECONF_EXCHANGE_REDIS")]
    pub exchange_redis: Option<String>,
    /// Tactical: the Redis stream key of the exchange (one per service).
    #[arg(long, env = "DECONF_EXCHANGE_STREAM", default_value = "deconflict:tracks")]
    pub exchange_stream: String,
    /// Most client connections open at once; more are closed as they arrive.
    #[arg(long, env = "DECONF_MAX_CONNECTIONS", default_value_t = 1024, value_parser = crate::cli_values::non_negative::<usize>)]
    pub max_connections: usize,
    /// Seconds a client has to send a request head once it started it.
    #[arg(long, env = "DECONF_HEADER_TIMEOUT_S", default_value_t = 10, value_parser = crate::cli_values::non_negative::<u64>)]
    pub header_timeout_s: u64,
    /// Seconds a kept-alive connection may wait for its next request.
    #[arg(long, env = "DECONF_IDLE_TIMEOUT_S", default_value_t = 60, value_parser = crate::cli_values::non_negative::<u64>)]
    pub idle_timeout_s: u64,
    /// Seconds a client has to send a request body (else 408).
    #[arg(long, env = "DECONF_BODY_TIMEOUT_S", default_value_t = 30, value_parser = crate::cli_values::non_negative::<u64>)]
    pub body_timeout_s: u64,
    /// Milliseconds in-flight requests and open streams get after SIGTERM.
    #[arg(long, env = "DECONF_SHUTDOWN_GRACE_MS", default_value_t = 2000, value_parser = crate::cli_values::non_negative::<u64>)]
    pub shutdown_grace_ms: u64,
    /// Most event and alert streams one party may hold open.
    #[arg(long, env = "DECONF_MAX_STREAMS_PER_PARTY", default_value_t = 8, value_parser = crate::cli_values::non_negative::<usize>)]
    pub max_streams_per_party: usize,
    /// HTTPS: the server's certificate chain (PEM); needs --tls-key.
    #[arg(long, env = "DECONF_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// HTTPS: the private key of --tls-cert (PEM).
    #[arg(long, env = "DECONF_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// HTTPS: require client certificates signed by this CA (PEM); each must
    /// name (SAN DNS name or common name) the party its tokens speak for.
    #[arg(long, env = "DECONF_TLS_CLIENT_CA", requires = "tls_cert")]
    pub tls_client_ca: Option<PathBuf>,
    /// CAs (PEM) trusted for webhook endpoints, beyond the system's roots.
    #[arg(long, env = "DECONF_CA_FILE")]
    pub ca_file: Option<PathBuf>,
    /// A second listener (e.g. `127.0.0.1:9090`) serving `/metrics` and the
    /// detailed `/healthz` without a token, for a network only the operator
    /// reaches; on the main listener both need the operator's token.
    #[arg(long, env = "DECONF_ADMIN_LISTEN", value_parser = crate::cli_values::listen_addr)]
    pub admin_listen: Option<SocketAddr>,
    /// Name parties in metric labels (off: per-party series are summed).
    #[arg(long, env = "DECONF_METRICS_PARTY_LABELS", action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub metrics_party_labels: bool,
    /// This replica's id among the DSS instances of the pool (replicas over
    /// one database), as `/aux/v1/pool/dss_instances` lists them; the listen
    /// address when not given.
    #[arg(long, env = "DECONF_DSS_INSTANCE_ID")]
    pub dss_instance_id: Option<String>,
    /// Serve plain HTTP on a non-loopback address (a TLS proxy in front).
    #[arg(long, env = "DECONF_PLAIN_HTTP", action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub plain_http: bool,
    /// A browser origin (`https://ops.example`) allowed to call the API from
    /// its own pages (CORS; repeatable). Default: none.
    #[arg(long = "cors-origin", env = "DECONF_CORS_ORIGIN", value_delimiter = ',', value_parser = crate::cli_values::origin)]
    pub cors_origins: Vec<reqwest::header::HeaderValue>,
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
    /// The PostgreSQL settings these flags describe.
    pub fn pg(&self) -> PgSettings {
        PgSettings {
            pool_size: self.pg_pool_size,
            statement_timeout: Duration::from_secs(self.pg_statement_timeout_s.max(1)),
            schema: self.pg_schema.clone(),
        }
    }

    /// The data directory these flags name.
    pub fn data_dir(&self) -> DataDir {
        self.data.resolve()
    }

    /// The store to open: `--store`, else the SQLite file in the data directory.
    pub fn store(&self) -> StoreSpec {
        self.store.clone().unwrap_or_else(|| StoreSpec::Sqlite(self.data_dir().file(STORE_FILE)))
    }

    /// Whether any state goes to the data directory (so it must exist).
    fn uses_data_dir(&self) -> bool {
        self.store.is_none() || self.audit_key.is_none() || (self.dev && self.dev_key.is_none())
    }

    /// The server configuration these flags describe.
    pub fn config(&self) -> Config {
        let data = self.data_dir();
        let mut cfg = Config {
            key_files: self.public_keys.clone(),
            operator_key_files: self.operator_keys.clone(),
            audiences: self.audiences.clone(),
            dev: self.dev,
            dev_key: self.dev_key.clone().unwrap_or_else(|| data.file(DEV_KEY_FILE)),
            request_timeout: Duration::from_secs(self.request_timeout_s.max(1)),
            max_body_bytes: self.max_body_bytes,
            purge_interval: Duration::from_secs(self.purge_interval_s.max(1)),
            retention: (self.retention_days > 0)
                .then(|| Duration::from_secs(u64::from(self.retention_days) * 86_400)),
            audit_key: self.audit_key.clone().unwrap_or_else(|| data.file(AUDIT_KEY_FILE)),
            seal_interval: Duration::from_millis(self.seal_interval_ms.max(10)),
            parties_file: self.parties.clone(),
            coord_interval: Duration::from_millis(self.coord_interval_ms.max(10)),
            ..Config::default()
        };
        cfg.conn = server::net::ConnLimits {
            max_connections: self.max_connections.max(1),
            header_timeout: Duration::from_secs(self.header_timeout_s.max(1)),
            idle_timeout: Duration::from_secs(self.idle_timeout_s.max(1)),
            body_timeout: Duration::from_secs(self.body_timeout_s.max(1)),
            shutdown_grace: Duration::from_millis(self.shutdown_grace_ms),
            ..server::net::ConnLimits::default()
        };
        cfg.max_streams_per_party = self.max_streams_per_party.max(1);
        cfg.tls = match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => Some(server::TlsSettings {
                cert: cert.clone(),
                key: key.clone(),
                client_ca: self.tls_client_ca.clone(),
            }),
            _ => None,
        };
        cfg.ca_file.clone_from(&self.ca_file);
        cfg.admin_listen = self.admin_listen;
        cfg.metrics_party_labels = self.metrics_party_labels;
        cfg.cors_origins.clone_from(&self.cors_origins);
        cfg.dss_instance_id = self.dss_instance_id.clone().unwrap_or_else(|| self.listen.to_string());
        cfg.limits.allow_http_base_urls = self.allow_http_base_urls;
        cfg.limits.max_results = self.max_results;
        cfg.limits.quotas = deconflict_core::quota::Quotas {
            operations: self.quota_operations,
            constraints: self.quota_constraints,
            subscriptions: self.quota_subscriptions,
            subscription_area_km2: self.quota_subscription_area_km2,
            messages_per_minute: self.quota_messages_per_minute,
            reports_per_minute: self.quota_reports_per_minute,
        };
        cfg.limits.report_retention_us = i64::from(self.report_retention_days) * 86_400_000_000;
        cfg.live = server::live::LiveConfig {
            scan_interval: Duration::from_millis(self.scan_interval_ms.max(10)),
            stale_after: Duration::from_secs(self.track_stale_s.max(1)),
            detection: self.tactical_profile.detection(),
            alerts: self.tactical_profile.alerts(),
            max_batch: self.max_track_batch.max(1),
            sources: [
                &self.sbs_listen,
                &self.sbs_connect,
                &self.beast_listen,
                &self.beast_connect,
                &self.raw_listen,
                &self.raw_connect,
                &self.aircraft_json,
                &self.asterix_udp,
            ]
            .into_iter()
            .flatten()
            .cloned()
            .collect(),
            poll_interval: Duration::from_millis(self.poll_interval_ms.max(100)),
            hide_own_conflicts: self.hide_own_conflicts.iter().cloned().collect(),
            exchange: self.exchange_redis.as_ref().map(|url| {
                let scan = Duration::from_millis(self.scan_interval_ms.max(10));
                server::live::ExchangeConfig {
                    stream: self.exchange_stream.clone(),
                    // A quarter of a scan interval: a remote report is in the next scan or the one after.
                    flush_interval: (scan / 4).clamp(Duration::from_millis(10), Duration::from_millis(250)),
                    ..server::live::ExchangeConfig::new(url.clone())
                }
            }),
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
    if cfg.tls.is_none() && !args.listen.ip().is_loopback() && !cfg.dev && !args.plain_http {
        anyhow::bail!(
            "refusing to serve plain HTTP on {}: give --tls-cert and --tls-key, or --plain-http when a TLS proxy in front of this server terminates TLS (plain HTTP is for loopback and --dev)",
            args.listen
        );
    }
    if args.uses_data_dir() {
        args.data_dir().create()?;
    }
    let spec = args.store();
    let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    rt.block_on(async move {
        let store = crate::store::open_async(&spec, &args.pg()).await?;
        cfg.server_tls().map_err(|e| anyhow::anyhow!("{e}"))?;
        // Keys and store are ready before the port opens: a client that can
        // connect can use the server (and `deconflict token` finds its key).
        let state = server::build_state(&cfg, store, server::Clock::system()).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        server::metrics::set_build_info(env!("CARGO_PKG_VERSION"), crate::BUILD_COMMIT);
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("binding {}", args.listen))?;
        tracing::info!(listen = %args.listen, store = ?spec, data_dir = %args.data_dir().path().display(), dev = cfg.dev, tls = cfg.tls.is_some(), "deconflict serving");
        server::serve(state, &cfg, listener, shutdown_signal()).await.map_err(|e| anyhow::anyhow!("{e}"))
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

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::ServeArgs;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        serve: ServeArgs,
    }

    fn retention(args: &[&str]) -> Option<std::time::Duration> {
        let cli = Cli::try_parse_from(std::iter::once("serve").chain(args.iter().copied()))
            .unwrap_or_else(|e| panic!("{e}"));
        cli.serve.config().retention
    }

    #[test]
    fn retention_is_off_unless_days_are_given() {
        assert_eq!(retention(&[]), None);
        assert_eq!(retention(&["--retention-days", "0"]), None);
        assert_eq!(retention(&["--retention-days", "30"]), Some(std::time::Duration::from_secs(30 * 86_400)));
        assert!(Cli::try_parse_from(["serve", "--retention-days", "-1"]).is_err());
    }
}
