//! Typed configuration, read once from flags and environment by the binary.
//!
//! Library code never reads the environment: tests build these structs in code.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;

/// Every default, written once: the flags and the `Default` impls both read them.
mod defaults {
    pub const MAX_DEPTH: usize = 16;
    pub const MAX_COMPLEXITY: usize = 20_000;
    pub const MAX_FIELDS: usize = 2_000;
    pub const MAX_RESPONSE_BYTES: usize = 4 * 1024 * 1024;
    pub const ACCESS_TOKEN_SECONDS: u64 = 900;
    pub const REFRESH_TOKEN_DAYS: u64 = 30;
    pub const LOGIN_ACCOUNT_ATTEMPTS: u32 = 5;
    pub const LOGIN_CLIENT_ATTEMPTS: u32 = 20;
    pub const REGISTRATIONS_PER_HOUR: u32 = 20;
    pub const HEADER_TIMEOUT_SECONDS: u64 = 10;
    pub const IDLE_TIMEOUT_SECONDS: u64 = 60;
    pub const MAX_SOCKETS_PER_USER: usize = 10;
    pub const MAX_OPERATIONS_PER_SOCKET: usize = 100;
    pub const KEEPALIVE_SECONDS: u64 = 15;
    pub const UPVOTES_PER_MINUTE: u32 = 120;
    pub const SUBMISSIONS_PER_HOUR: u32 = 20;
    pub const COMMENTS_PER_HOUR: u32 = 30;
    pub const RANKING_REFRESH_MILLIS: u64 = 500;
    pub const LOGIN_MAX_BACKOFF_SECONDS: u64 = 900;
    pub const PERSISTED_QUERIES_MAX: u64 = 10_000;
    pub const COST_POINTS_PER_HOUR: u64 = 1_000_000;
    pub const RESPONSE_CACHE_MIB: u64 = 64;
    pub const ARXIV_API_URL: &str = "https://export.arxiv.org/api/query";
    pub const ARXIV_OAI_URL: &str = "https://oaipmh.arxiv.org/oai";
    pub const HF_URL: &str = "https://huggingface.co";
    pub const HF_REQUEST_INTERVAL_MILLIS: u64 = 1_000;
    /// arXiv's terms of use: no more than one request every three seconds.
    pub const ARXIV_REQUEST_INTERVAL_MILLIS: u64 = 3_000;
    pub const UPSTREAM_TIMEOUT_SECONDS: u64 = 15;
    pub const APP_REQUESTS_PER_MINUTE: u32 = 3_000;
    pub const TOKEN_REQUESTS_PER_MINUTE: u32 = 60;
    pub const PASSWORD_RESETS_PER_HOUR: u32 = 5;
    pub const MAIL_FROM: &str = "Paperboard <no-reply@paperboard.invalid>";
}

/// Where the data lives. `Debug` shows the URL without its password.
#[derive(Clone, clap::Args)]
pub struct DatabaseConfig {
    /// Database URL: `sqlite://PATH` or `postgres://USER@HOST/DB`. Default: the SQLite file
    /// `paperboard.db` in the data directory, created on first start.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,

    /// Directory for the embedded database and the generated JWT secret.
    #[arg(long, env = "PAPERBOARD_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    /// Maximum connections in the read pool (PostgreSQL: the only pool). Default: 4 on
    /// SQLite, 8 on PostgreSQL (measured best on a 2-core machine; see the README).
    #[arg(long, env = "PAPERBOARD_DB_POOL_SIZE")]
    pub pool_size: Option<u32>,
}

impl DatabaseConfig {
    /// A configuration for the SQLite file `path`'s directory, as tests and tools use it.
    pub fn sqlite_in(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            database_url: None,
            data_dir: data_dir.into(),
            pool_size: None,
        }
    }

    /// The URL to connect to, defaulting to the SQLite file in the data directory.
    pub fn url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("paperboard.db").display()
            ),
        }
    }
}

impl fmt::Debug for DatabaseConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseConfig")
            .field(
                "database_url",
                &self.database_url.as_deref().map(redacted_url),
            )
            .field("data_dir", &self.data_dir)
            .field("pool_size", &self.pool_size)
            .finish()
    }
}

/// A database URL fit for logs: its password (and any query, which may carry one, as
/// libpq's `?password=` does) replaced.
pub fn redacted_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut parsed) => {
            if parsed.password().is_some() {
                // Only URLs that cannot have a password refuse one.
                let _ = parsed.set_password(Some("[redacted]"));
            }
            if parsed
                .query()
                .is_some_and(|query| query.contains("password"))
            {
                parsed.set_query(Some("[redacted]"));
            }
            parsed.to_string()
        }
        Err(_) => String::from("[unparseable URL redacted]"),
    }
}

/// Limits on what one GraphQL operation may ask for.
#[derive(Debug, Clone, clap::Args)]
pub struct GraphqlLimits {
    /// Maximum selection depth of an operation.
    #[arg(long, env = "PAPERBOARD_MAX_DEPTH", default_value_t = defaults::MAX_DEPTH)]
    pub max_depth: usize,

    /// Maximum complexity of an operation: every field counts 1, and a list field
    /// multiplies its children by its page size.
    #[arg(long, env = "PAPERBOARD_MAX_COMPLEXITY", default_value_t = defaults::MAX_COMPLEXITY)]
    pub max_complexity: usize,

    /// Maximum number of fields in an operation once fragments are expanded.
    #[arg(long, env = "PAPERBOARD_MAX_FIELDS", default_value_t = defaults::MAX_FIELDS)]
    pub max_fields: usize,

    /// Largest response body, in bytes; a larger answer is replaced by one
    /// `RESPONSE_TOO_LARGE` error.
    #[arg(long, env = "PAPERBOARD_MAX_RESPONSE_BYTES", default_value_t = defaults::MAX_RESPONSE_BYTES)]
    pub max_response_bytes: usize,
}

impl Default for GraphqlLimits {
    fn default() -> Self {
        Self {
            max_depth: defaults::MAX_DEPTH,
            max_complexity: defaults::MAX_COMPLEXITY,
            max_fields: defaults::MAX_FIELDS,
            max_response_bytes: defaults::MAX_RESPONSE_BYTES,
        }
    }
}

/// Accounts and tokens.
#[derive(Debug, Clone, clap::Args)]
pub struct AuthConfig {
    /// Secret that signs access tokens (its UTF-8 bytes, at least 32). Default: a random
    /// secret generated on first start and kept in the data directory (mode 0600).
    /// Instances sharing a database must share this secret.
    #[arg(long, env = "JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<Secret>,

    /// Access-token lifetime, in seconds.
    #[arg(long, env = "PAPERBOARD_ACCESS_TOKEN_SECONDS", default_value_t = defaults::ACCESS_TOKEN_SECONDS)]
    pub access_token_seconds: u64,

    /// Refresh-token lifetime, in days.
    #[arg(long, env = "PAPERBOARD_REFRESH_TOKEN_DAYS", default_value_t = defaults::REFRESH_TOKEN_DAYS)]
    pub refresh_token_days: u64,

    /// Password hashes computed at once (default: the number of CPUs).
    #[arg(long, env = "PAPERBOARD_MAX_CONCURRENT_HASHES")]
    pub max_concurrent_hashes: Option<usize>,

    /// Failed logins per account before back-off starts.
    #[arg(long, env = "PAPERBOARD_LOGIN_ACCOUNT_ATTEMPTS", default_value_t = defaults::LOGIN_ACCOUNT_ATTEMPTS)]
    pub login_account_attempts: u32,

    /// Failed logins per client address before back-off starts.
    #[arg(long, env = "PAPERBOARD_LOGIN_CLIENT_ATTEMPTS", default_value_t = defaults::LOGIN_CLIENT_ATTEMPTS)]
    pub login_client_attempts: u32,

    /// Longest login back-off, in seconds.
    #[arg(
        long,
        env = "PAPERBOARD_LOGIN_MAX_BACKOFF_SECONDS",
        default_value_t = defaults::LOGIN_MAX_BACKOFF_SECONDS
    )]
    pub login_max_backoff_seconds: u64,

    /// Accounts one client address may register per hour.
    #[arg(long, env = "PAPERBOARD_REGISTRATIONS_PER_HOUR", default_value_t = defaults::REGISTRATIONS_PER_HOUR)]
    pub registrations_per_hour: u32,

    /// Take the client address from the last `X-Forwarded-For` entry (set this only behind
    /// a proxy that writes that header).
    #[arg(long, env = "PAPERBOARD_TRUST_FORWARDED_FOR")]
    pub trust_forwarded_for: bool,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            jwt_secret: None,
            access_token_seconds: defaults::ACCESS_TOKEN_SECONDS,
            refresh_token_days: defaults::REFRESH_TOKEN_DAYS,
            max_concurrent_hashes: None,
            login_account_attempts: defaults::LOGIN_ACCOUNT_ATTEMPTS,
            login_client_attempts: defaults::LOGIN_CLIENT_ATTEMPTS,
            login_max_backoff_seconds: defaults::LOGIN_MAX_BACKOFF_SECONDS,
            registrations_per_hour: defaults::REGISTRATIONS_PER_HOUR,
            trust_forwarded_for: false,
        }
    }
}

/// Limits on HTTP connections.
#[derive(Debug, Clone, clap::Args)]
pub struct ConnectionLimits {
    /// Seconds a client has to send a request's headers, from their first byte (or from
    /// connecting).
    #[arg(long, env = "PAPERBOARD_HEADER_TIMEOUT_SECONDS", default_value_t = defaults::HEADER_TIMEOUT_SECONDS)]
    pub header_timeout_seconds: u64,

    /// Seconds a connection may stay idle between requests.
    #[arg(long, env = "PAPERBOARD_IDLE_TIMEOUT_SECONDS", default_value_t = defaults::IDLE_TIMEOUT_SECONDS)]
    pub idle_timeout_seconds: u64,

    /// Connections (WebSockets included) open at once; beyond, new ones get a 503.
    /// Default: the process's open-file limit less a reserve for the database and files.
    #[arg(long, env = "PAPERBOARD_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            header_timeout_seconds: defaults::HEADER_TIMEOUT_SECONDS,
            idle_timeout_seconds: defaults::IDLE_TIMEOUT_SECONDS,
            max_connections: None,
        }
    }
}

/// Limits on WebSocket connections.
#[derive(Debug, Clone, clap::Args)]
pub struct SocketLimits {
    /// WebSocket connections one signed-in user may hold at once.
    #[arg(long, env = "PAPERBOARD_WS_MAX_PER_USER", default_value_t = defaults::MAX_SOCKETS_PER_USER)]
    pub max_sockets_per_user: usize,

    /// Operations (subscriptions) one WebSocket may run at once.
    #[arg(long, env = "PAPERBOARD_WS_MAX_OPERATIONS", default_value_t = defaults::MAX_OPERATIONS_PER_SOCKET)]
    pub max_operations_per_socket: usize,

    /// Seconds between keep-alive messages on idle sockets.
    #[arg(long, env = "PAPERBOARD_WS_KEEPALIVE_SECONDS", default_value_t = defaults::KEEPALIVE_SECONDS)]
    pub keepalive_seconds: u64,
}

impl Default for SocketLimits {
    fn default() -> Self {
        Self {
            max_sockets_per_user: defaults::MAX_SOCKETS_PER_USER,
            max_operations_per_socket: defaults::MAX_OPERATIONS_PER_SOCKET,
            keepalive_seconds: defaults::KEEPALIVE_SECONDS,
        }
    }
}

/// Community activity: rate limits and ranking refreshes.
#[derive(Debug, Clone, clap::Args)]
pub struct ActivityConfig {
    /// Upvote and removal mutations one user may make per minute.
    #[arg(long, env = "PAPERBOARD_UPVOTES_PER_MINUTE", default_value_t = defaults::UPVOTES_PER_MINUTE)]
    pub upvotes_per_minute: u32,

    /// Papers one user may submit per hour.
    #[arg(long, env = "PAPERBOARD_SUBMISSIONS_PER_HOUR", default_value_t = defaults::SUBMISSIONS_PER_HOUR)]
    pub submissions_per_hour: u32,

    /// Comments one user may add per hour.
    #[arg(long, env = "PAPERBOARD_COMMENTS_PER_HOUR", default_value_t = defaults::COMMENTS_PER_HOUR)]
    pub comments_per_hour: u32,

    /// Milliseconds between ranking refreshes: an upvote shows in the order of the ranked
    /// lists' first pages at the next refresh.
    #[arg(long, env = "PAPERBOARD_RANKING_REFRESH_MS", default_value_t = defaults::RANKING_REFRESH_MILLIS)]
    pub ranking_refresh_millis: u64,
}

impl Default for ActivityConfig {
    fn default() -> Self {
        Self {
            upvotes_per_minute: defaults::UPVOTES_PER_MINUTE,
            submissions_per_hour: defaults::SUBMISSIONS_PER_HOUR,
            comments_per_hour: defaults::COMMENTS_PER_HOUR,
            ranking_refresh_millis: defaults::RANKING_REFRESH_MILLIS,
        }
    }
}

/// The sources papers are fetched from.
#[derive(Debug, Clone, clap::Args)]
pub struct SourcesConfig {
    /// arXiv's API query endpoint (Atom), for `submitArxivPaper`.
    #[arg(long, env = "PAPERBOARD_ARXIV_API_URL", default_value = defaults::ARXIV_API_URL)]
    pub arxiv_api_url: String,

    /// arXiv's OAI-PMH endpoint, for `paperboard sync arxiv`.
    #[arg(long, env = "PAPERBOARD_ARXIV_OAI_URL", default_value = defaults::ARXIV_OAI_URL)]
    pub arxiv_oai_url: String,

    /// The Hugging Face site, whose `/api/daily_papers` `paperboard sync hf-daily` reads.
    #[arg(long, env = "PAPERBOARD_HF_URL", default_value = defaults::HF_URL)]
    pub hf_url: String,

    /// Least milliseconds between two requests to Hugging Face from this instance.
    #[arg(long, env = "PAPERBOARD_HF_REQUEST_INTERVAL_MS", default_value_t = defaults::HF_REQUEST_INTERVAL_MILLIS)]
    pub hf_request_interval_millis: u64,

    /// Least milliseconds between two requests to arXiv from this instance.
    #[arg(long, env = "PAPERBOARD_ARXIV_REQUEST_INTERVAL_MS", default_value_t = defaults::ARXIV_REQUEST_INTERVAL_MILLIS)]
    pub arxiv_request_interval_millis: u64,

    /// Seconds a request to a source may take, connecting included.
    #[arg(long, env = "PAPERBOARD_UPSTREAM_TIMEOUT_SECONDS", default_value_t = defaults::UPSTREAM_TIMEOUT_SECONDS)]
    pub upstream_timeout_seconds: u64,

    /// A contact (an email address or URL) sent in the `User-Agent` of every request to a
    /// source, so that its operators can reach whoever runs this instance.
    #[arg(long, env = "PAPERBOARD_CONTACT")]
    pub contact: Option<String>,
}

impl Default for SourcesConfig {
    fn default() -> Self {
        Self {
            arxiv_api_url: defaults::ARXIV_API_URL.to_owned(),
            arxiv_oai_url: defaults::ARXIV_OAI_URL.to_owned(),
            hf_url: defaults::HF_URL.to_owned(),
            hf_request_interval_millis: defaults::HF_REQUEST_INTERVAL_MILLIS,
            arxiv_request_interval_millis: defaults::ARXIV_REQUEST_INTERVAL_MILLIS,
            upstream_timeout_seconds: defaults::UPSTREAM_TIMEOUT_SECONDS,
            contact: None,
        }
    }
}

/// Harvests a server runs on its own, every interval.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ScheduleConfig {
    /// Minutes between scheduled syncs (fractions allowed); 0 runs none.
    #[arg(long, env = "PAPERBOARD_SYNC_INTERVAL_MINUTES", default_value_t = 0.0)]
    pub sync_interval_minutes: f64,

    /// arXiv OAI sets harvested on schedule (records changed since yesterday), comma-separated.
    #[arg(
        long = "sync-arxiv-set",
        env = "PAPERBOARD_SYNC_ARXIV_SETS",
        value_delimiter = ','
    )]
    pub sync_arxiv_sets: Vec<String>,

    /// Merge Hugging Face's daily lists of yesterday and today on schedule.
    #[arg(long, env = "PAPERBOARD_SYNC_HF_DAILY", default_value_t = false)]
    pub sync_hf_daily: bool,
}

/// The platform for third-party frontends: OAuth, mail, and their limits.
#[derive(Debug, Clone, clap::Args)]
pub struct PlatformConfig {
    /// The URL users reach this server at (no trailing path): the OAuth issuer, and the
    /// base of links in mails. Default: `http://` and the bound address.
    #[arg(long, env = "PAPERBOARD_PUBLIC_URL")]
    pub public_url: Option<url::Url>,

    /// SMTP server for password-reset and verification mails, e.g.
    /// `smtps://user:pass@mail.example.org` (TLS) or `smtp://…?tls=required` (STARTTLS).
    /// Without it, mails are written as files into the mail directory.
    #[arg(long, env = "PAPERBOARD_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<Secret>,

    /// Where mails are written when no SMTP server is configured. Default: `outbox/` in
    /// the data directory.
    #[arg(long, env = "PAPERBOARD_MAIL_DIR")]
    pub mail_dir: Option<PathBuf>,

    /// The sender of mails.
    #[arg(long, env = "PAPERBOARD_MAIL_FROM", default_value = defaults::MAIL_FROM)]
    pub mail_from: String,

    /// Requests one OAuth app may make per minute, over all its users.
    #[arg(long, env = "PAPERBOARD_APP_REQUESTS_PER_MINUTE", default_value_t = defaults::APP_REQUESTS_PER_MINUTE)]
    pub app_requests_per_minute: u32,

    /// Requests to the OAuth token and revocation endpoints one client address may make
    /// per minute.
    #[arg(long, env = "PAPERBOARD_TOKEN_REQUESTS_PER_MINUTE", default_value_t = defaults::TOKEN_REQUESTS_PER_MINUTE)]
    pub token_requests_per_minute: u32,

    /// Password-reset mails per client address, and per account, per hour.
    #[arg(long, env = "PAPERBOARD_PASSWORD_RESETS_PER_HOUR", default_value_t = defaults::PASSWORD_RESETS_PER_HOUR)]
    pub password_resets_per_hour: u32,

    /// Cost points each user, OAuth app or anonymous client address may spend per clock
    /// hour (an operation costs about one point per field its answer may hold); 0 turns
    /// budgets off.
    #[arg(long, env = "PAPERBOARD_COST_POINTS_PER_HOUR", default_value_t = defaults::COST_POINTS_PER_HOUR)]
    pub cost_points_per_hour: u64,
}

impl Default for PlatformConfig {
    fn default() -> Self {
        Self {
            public_url: None,
            smtp_url: None,
            mail_dir: None,
            mail_from: defaults::MAIL_FROM.to_owned(),
            app_requests_per_minute: defaults::APP_REQUESTS_PER_MINUTE,
            token_requests_per_minute: defaults::TOKEN_REQUESTS_PER_MINUTE,
            password_resets_per_hour: defaults::PASSWORD_RESETS_PER_HOUR,
            cost_points_per_hour: defaults::COST_POINTS_PER_HOUR,
        }
    }
}

impl PlatformConfig {
    /// The public URL without a trailing slash (set at start-up when not configured).
    pub fn base_url(&self) -> String {
        self.public_url.as_ref().map_or_else(String::new, |url| {
            url.as_str().trim_end_matches('/').to_owned()
        })
    }
}

/// The GraphQL ecosystem's conventions: persisted queries, trusted documents, metrics.
#[derive(Debug, Clone, clap::Args)]
pub struct EcosystemConfig {
    /// Most documents kept by automatic persisted queries (shared by every instance on
    /// one database; the least recently used go first); 0 turns them off.
    #[arg(long, env = "PAPERBOARD_PERSISTED_QUERIES_MAX", default_value_t = defaults::PERSISTED_QUERIES_MAX)]
    pub persisted_queries_max: u64,

    /// A manifest of trusted documents (hash → document, as GraphQL Code Generator's
    /// `persisted-documents.json`, Relay's persisted output, or Apollo's persisted-query
    /// manifest): when set, only the documents it lists run.
    #[arg(long, env = "PAPERBOARD_TRUSTED_DOCUMENTS")]
    pub trusted_documents: Option<PathBuf>,

    /// Address of the Prometheus metrics listener (`GET /metrics`), e.g. `127.0.0.1:9100`;
    /// off when unset. Never served on the public port.
    #[arg(long, env = "PAPERBOARD_METRICS_BIND")]
    pub metrics_bind: Option<SocketAddr>,
}

impl Default for EcosystemConfig {
    fn default() -> Self {
        Self {
            persisted_queries_max: defaults::PERSISTED_QUERIES_MAX,
            trusted_documents: None,
            metrics_bind: None,
        }
    }
}

/// Everything `paperboard serve` needs.
#[derive(Debug, Clone, clap::Args)]
pub struct Config {
    #[command(flatten)]
    pub database: DatabaseConfig,

    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "PAPERBOARD_BIND", default_value = "127.0.0.1:8000")]
    pub bind: SocketAddr,

    /// Origins allowed to call the API from a browser, comma-separated; empty allows any
    /// origin (safe: credentials travel in a bearer header, never in a cookie).
    #[arg(
        long = "cors-origin",
        env = "PAPERBOARD_CORS_ORIGINS",
        value_delimiter = ','
    )]
    pub cors_origins: Vec<String>,

    /// Load the bundled demo papers into an empty database before listening.
    #[arg(long)]
    pub demo: bool,

    /// Memory for the answers to anonymous reads of the hot lists and lookups that this
    /// instance shares until a change is heard, in MiB; 0 turns the cache off.
    #[arg(long, env = "PAPERBOARD_RESPONSE_CACHE_MIB", default_value_t = defaults::RESPONSE_CACHE_MIB)]
    pub response_cache_mib: u64,

    #[command(flatten)]
    pub limits: GraphqlLimits,

    #[command(flatten)]
    pub auth: AuthConfig,

    #[command(flatten)]
    pub connections: ConnectionLimits,

    #[command(flatten)]
    pub sockets: SocketLimits,

    #[command(flatten)]
    pub activity: ActivityConfig,

    #[command(flatten)]
    pub sources: SourcesConfig,

    #[command(flatten)]
    pub schedule: ScheduleConfig,

    #[command(flatten)]
    pub platform: PlatformConfig,

    #[command(flatten)]
    pub ecosystem: EcosystemConfig,
}

impl Config {
    /// A configuration for tests and tools: the given database, a free port, no demo data.
    pub fn for_database(database: DatabaseConfig) -> Self {
        Self {
            database,
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            cors_origins: Vec::new(),
            demo: false,
            response_cache_mib: defaults::RESPONSE_CACHE_MIB,
            limits: GraphqlLimits::default(),
            auth: AuthConfig::default(),
            connections: ConnectionLimits::default(),
            sockets: SocketLimits::default(),
            activity: ActivityConfig::default(),
            sources: SourcesConfig::default(),
            schedule: ScheduleConfig::default(),
            platform: PlatformConfig::default(),
            ecosystem: EcosystemConfig::default(),
        }
    }
}

/// A secret string whose `Debug` and `Display` never show it.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself; call only where it is used.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl FromStr for Secret {
    type Err = std::convert::Infallible;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Ok(Self::new(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_not_printed() {
        let secret = Secret::new("hunter2-hunter2-hunter2-hunter2-x");
        assert!(!format!("{secret:?}").contains("hunter2"));
    }

    #[test]
    fn debug_output_never_shows_a_password_or_secret() {
        let mut config = Config::for_database(DatabaseConfig {
            database_url: Some(
                "postgres://paperboard:s3cr3t-pa55@db.internal:5432/paperboard".to_owned(),
            ),
            data_dir: PathBuf::from("/var/lib/paperboard"),
            pool_size: None,
        });
        config.auth.jwt_secret = Some(Secret::new("jwt-signing-secret-of-32-bytes-or-more"));
        let printed = format!("{config:?} {config:#?}");
        assert!(!printed.contains("s3cr3t-pa55"), "{printed}");
        assert!(!printed.contains("jwt-signing-secret"), "{printed}");
        assert!(printed.contains("db.internal"), "the rest stays readable");
        let query = redacted_url("postgres://u@h/db?password=s3cr3t-pa55");
        assert!(!query.contains("s3cr3t-pa55"), "{query}");
        assert_eq!(redacted_url("not a url"), "[unparseable URL redacted]");
    }

    #[test]
    fn default_database_is_a_sqlite_file_in_the_data_dir() {
        let config = DatabaseConfig::sqlite_in("/tmp/pb");
        assert_eq!(config.url(), "sqlite:///tmp/pb/paperboard.db?mode=rwc");
    }
}
