//! Settings, read from the command line or the environment.

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use secrecy::{ExposeSecret, SecretString};

/// Where the server looks for PostgreSQL when `DATABASE_URL` is not set.
pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@localhost:5432/palettes";

/// palette-api: teams keep and share colour palettes over a versioned REST API.
#[derive(Debug, Parser)]
#[command(name = "palette-api", version)]
pub struct Cli {
    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Settings shared by every command.
    #[command(flatten)]
    pub settings: Settings,
}

/// The subcommands.
#[derive(Debug, Clone, Subcommand, PartialEq, Eq)]
pub enum Command {
    /// Create the database if needed, apply pending migrations, then serve the API (default).
    Serve,
    /// Create the database if needed, apply pending migrations, then exit.
    Migrate,
    /// Operators' commands on users (list, create, set-password, delete), by the API's rules.
    #[command(subcommand)]
    Users(crate::cli::UsersCommand),
    /// Operators' commands on teams (list).
    #[command(subcommand)]
    Teams(crate::cli::TeamsCommand),
}

/// Log output format.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

fn parse_secret(value: &str) -> Result<SecretString, String> {
    Ok(SecretString::from(value))
}

fn parse_millis(value: &str) -> Result<Duration, String> {
    value
        .parse::<u64>()
        .map(Duration::from_millis)
        .map_err(|_| format!("`{value}` is not a whole number of milliseconds"))
}

fn parse_secs(value: &str) -> Result<Duration, String> {
    value
        .parse::<u64>()
        .map(Duration::from_secs)
        .map_err(|_| format!("`{value}` is not a whole number of seconds"))
}

/// Every setting, each with an environment variable and a local default.
#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// PostgreSQL URL. The database is created on start when missing and the role may create it.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, value_parser = parse_secret, hide_env_values = true, hide_default_value = true, global = true)]
    pub database_url: SecretString,

    /// PostgreSQL URL for what needs a session of its own: migrations (an
    /// advisory lock) and the change listener (`LISTEN`). Set it to reach
    /// PostgreSQL itself when `DATABASE_URL` goes through a pooler in
    /// transaction mode; `DATABASE_URL` when unset.
    #[arg(long, env = "DATABASE_DIRECT_URL", value_parser = parse_secret, hide_env_values = true, global = true)]
    pub database_direct_url: Option<SecretString>,

    /// Address to listen on; port 0 picks a free port (the log says which).
    #[arg(long, env = "BIND_ADDR", default_value = "127.0.0.1:8000", global = true)]
    pub bind_addr: SocketAddr,

    /// HTTP worker threads; defaults to the number of cores.
    #[arg(long, env = "WORKERS", global = true)]
    pub workers: Option<usize>,

    /// Most client connections open at once, all workers together; past it
    /// new connections wait in the listen backlog. From seven eighths of it
    /// on, each new connection closes connections idle between requests
    /// (the longest idle first), so clients are answered while a flood of
    /// idle connections holds the rest. By default three quarters
    /// of the process' open-file limit, less what the database pool and the
    /// process need, so that a flood of connections cannot exhaust the file
    /// descriptors and stop the service from answering.
    #[arg(long, env = "MAX_CONNECTIONS", global = true)]
    pub max_connections: Option<usize>,

    /// Apply pending migrations when `serve` starts.
    #[arg(long, env = "MIGRATE_ON_START", default_value_t = true, action = clap::ArgAction::Set, global = true)]
    pub migrate_on_start: bool,

    /// Most database connections open at once.
    #[arg(long, env = "DB_POOL_MAX_SIZE", default_value_t = 16, global = true)]
    pub db_pool_max_size: usize,

    /// Milliseconds a request waits for a free connection before a 503.
    #[arg(long = "db-pool-wait-timeout-ms", env = "DB_POOL_WAIT_TIMEOUT_MS", default_value = "3000", value_parser = parse_millis, global = true)]
    pub db_pool_wait_timeout: Duration,

    /// Milliseconds opening or checking a connection may take.
    #[arg(long = "db-connect-timeout-ms", env = "DB_CONNECT_TIMEOUT_MS", default_value = "3000", value_parser = parse_millis, global = true)]
    pub db_connect_timeout: Duration,

    /// PostgreSQL `statement_timeout` in milliseconds.
    #[arg(long = "db-statement-timeout-ms", env = "DB_STATEMENT_TIMEOUT_MS", default_value = "15000", value_parser = parse_millis, global = true)]
    pub db_statement_timeout: Duration,

    /// Keep each connection's prepared statements for reuse (diesel-async's
    /// statement cache). Set it to false behind a pooler in transaction mode
    /// that cannot carry named prepared statements (PgBouncer before 1.21, or
    /// later without `max_prepared_statements`): statements are then closed
    /// with their transaction, and one outside a transaction runs in its own.
    /// `DB_STATEMENT_TIMEOUT_MS` then does not apply: set `statement_timeout`
    /// in the pooler's `connect_query` or on the database role instead.
    #[arg(long, env = "DB_STATEMENT_CACHE", default_value_t = true, action = clap::ArgAction::Set, global = true)]
    pub db_statement_cache: bool,

    /// Milliseconds a request may take until its response starts (a stream's
    /// body is not bounded); a slower one is a 503 with `Retry-After`. Keep it
    /// below the statement timeout, so a stuck query is cut here first.
    #[arg(long = "request-timeout-ms", env = "REQUEST_TIMEOUT_MS", default_value = "5000", value_parser = parse_millis, global = true)]
    pub request_timeout: Duration,

    /// Seconds a successful Basic verification stays cached; 0 disables the cache.
    #[arg(long = "auth-cache-ttl-secs", env = "AUTH_CACHE_TTL_SECS", default_value = "60", value_parser = parse_secs, global = true)]
    pub auth_cache_ttl: Duration,

    /// Most cached Basic verifications.
    #[arg(long, env = "AUTH_CACHE_CAPACITY", default_value_t = 10_000, global = true)]
    pub auth_cache_capacity: u64,

    /// Memberships held by the cache of each user's teams, which palette lists
    /// read instead of the database; 0 disables it. Kept fresh by PostgreSQL
    /// change notices (`LISTEN`); unused while they cannot be heard.
    #[arg(long, env = "TEAM_CACHE_CAPACITY", default_value_t = 100_000, global = true)]
    pub team_cache_capacity: u64,

    /// Take the client address for login throttling from `X-Forwarded-For`/`Forwarded`.
    /// Enable only behind a proxy that sets these headers itself.
    #[arg(long, env = "TRUST_FORWARDED_FOR", default_value_t = false, action = clap::ArgAction::Set, global = true)]
    pub trust_forwarded_for: bool,

    /// Failed logins from one address (all usernames) within the failure
    /// window before that address is refused (429).
    #[arg(long, env = "LOGIN_FAILURES_PER_ADDRESS", default_value_t = 100, global = true)]
    pub login_failures_per_address: u32,

    /// Failed logins from one address for one username within the window.
    #[arg(
        long,
        env = "LOGIN_FAILURES_PER_ADDRESS_AND_USERNAME",
        default_value_t = 10,
        global = true
    )]
    pub login_failures_per_address_and_username: u32,

    /// Failed logins for one username from all addresses within the window,
    /// before only that user's known addresses are checked.
    #[arg(long, env = "LOGIN_FAILURES_PER_USERNAME", default_value_t = 20, global = true)]
    pub login_failures_per_username: u32,

    /// Seconds failed logins are counted for.
    #[arg(long = "login-failure-window-secs", env = "LOGIN_FAILURE_WINDOW_SECS", default_value = "300", value_parser = parse_secs, global = true)]
    pub login_failure_window: Duration,

    /// Origins (`https://app.example.com`, comma-separated) whose browser
    /// pages may call the API (CORS); none by default. Credentials are sent
    /// as `Authorization` headers, never cookies.
    #[arg(long, env = "CORS_ALLOWED_ORIGINS", value_delimiter = ',', global = true)]
    pub cors_allowed_origins: Vec<String>,

    /// Trust `X-Forwarded-Proto` from the proxy in front: when it says
    /// `https`, responses carry `Strict-Transport-Security`. Enable only
    /// behind a proxy that terminates TLS and sets the header itself.
    #[arg(long, env = "TRUST_FORWARDED_PROTO", default_value_t = false, action = clap::ArgAction::Set, global = true)]
    pub trust_forwarded_proto: bool,

    /// PEM certificate chain to serve HTTPS with (rustls; HTTP/2 and
    /// HTTP/1.1 by ALPN). Set together with `TLS_KEY_FILE`; plain HTTP when
    /// neither is set.
    #[arg(long, env = "TLS_CERT_FILE", requires = "tls_key_file", global = true)]
    pub tls_cert_file: Option<std::path::PathBuf>,

    /// PEM private key (PKCS #8, PKCS #1 or SEC1) of `TLS_CERT_FILE`.
    #[arg(long, env = "TLS_KEY_FILE", requires = "tls_cert_file", global = true)]
    pub tls_key_file: Option<std::path::PathBuf>,

    /// Sentry DSN: panics and 500s are reported there when set, with the
    /// request's route, request id and trace id, never credentials or bodies.
    #[arg(long, env = "SENTRY_DSN", value_parser = parse_secret, hide_env_values = true, global = true)]
    pub sentry_dsn: Option<SecretString>,

    /// The environment Sentry files reports under (`production`, `staging`).
    #[arg(long, env = "SENTRY_ENVIRONMENT", global = true)]
    pub sentry_environment: Option<String>,

    /// Seconds in-flight requests get to finish on SIGINT or SIGTERM.
    #[arg(long = "shutdown-timeout-secs", env = "SHUTDOWN_TIMEOUT_SECS", default_value = "30", value_parser = parse_secs, global = true)]
    pub shutdown_timeout: Duration,

    /// Hours live events are kept for clients resuming a stream with `Last-Event-ID`.
    #[arg(long, env = "EVENTS_RETENTION_HOURS", default_value_t = 168, global = true)]
    pub events_retention_hours: u64,

    /// Most event streams open at once on this instance (over it: 503).
    #[arg(long, env = "EVENTS_MAX_STREAMS", default_value_t = 20_000, global = true)]
    pub events_max_streams: usize,

    /// Events a stream may have waiting to be sent; a client that lets more pile up is disconnected.
    #[arg(long, env = "EVENTS_STREAM_BUFFER", default_value_t = 1024, global = true)]
    pub events_stream_buffer: usize,

    /// Log filter, in `tracing` EnvFilter syntax (`info`, `palette_api=debug,info`);
    /// when unset, `RUST_LOG`, else `info,tokio_postgres=warn`.
    #[arg(long, env = "LOG_LEVEL", global = true)]
    pub log_level: Option<String>,

    /// OTLP/HTTP collector URL (e.g. `http://localhost:4318`); traces, metrics and logs are exported when set.
    #[arg(long, env = "OTEL_EXPORTER_OTLP_ENDPOINT", global = true)]
    pub otel_exporter_otlp_endpoint: Option<String>,

    /// Log format.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
}

/// The log filter when neither `LOG_LEVEL` nor `RUST_LOG` says otherwise.
pub const DEFAULT_LOG_FILTER: &str = "info,tokio_postgres=warn";

impl Settings {
    /// The URL of sessions: `DATABASE_DIRECT_URL`, else `DATABASE_URL`.
    pub fn direct_database_url(&self) -> &str {
        self.database_direct_url
            .as_ref()
            .unwrap_or(&self.database_url)
            .expose_secret()
    }

    /// The defaults, as if no flag and no variable were given.
    pub fn defaults() -> Self {
        Cli::parse_from(["palette-api"]).settings
    }

    /// [`Settings::max_connections`], or its default from the open-file limit.
    pub fn connection_limit(&self) -> usize {
        self.max_connections.unwrap_or_else(|| {
            let files = open_file_limit().unwrap_or(1024);
            let reserved = self.db_pool_max_size + 64;
            (files / 4 * 3).saturating_sub(reserved).max(64)
        })
    }

    /// The log filter: `LOG_LEVEL`, else `RUST_LOG` (as Rust programs read it), else the default.
    pub fn log_filter(&self) -> String {
        self.log_level
            .clone()
            .or_else(|| {
                std::env::var("RUST_LOG")
                    .ok()
                    .filter(|filter| !filter.trim().is_empty())
            })
            .unwrap_or_else(|| DEFAULT_LOG_FILTER.to_owned())
    }

    /// The live events' limits these settings describe.
    pub fn hub_settings(&self) -> events::HubSettings {
        events::HubSettings {
            max_streams: self.events_max_streams,
            buffer: self.events_stream_buffer.max(1),
            retention: Duration::from_secs(self.events_retention_hours.saturating_mul(3600)),
            ..events::HubSettings::default()
        }
    }

    /// The pool settings these settings describe.
    pub fn pool_settings(&self) -> database::PoolSettings {
        database::PoolSettings {
            max_size: self.db_pool_max_size,
            wait_timeout: self.db_pool_wait_timeout,
            create_timeout: self.db_connect_timeout,
            recycle_timeout: self.db_connect_timeout,
            statement_timeout: self.db_statement_timeout,
            application_name: "palette-api".to_owned(),
            statements: if self.db_statement_cache {
                database::Statements::Cached
            } else {
                database::Statements::Unpooled
            },
        }
    }
}

/// The process' soft limit of open files (Linux: `/proc/self/limits`).
fn open_file_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    parse_open_file_limit(&limits)
}

fn parse_open_file_limit(limits: &str) -> Option<usize> {
    let line = limits.lines().find(|line| line.starts_with("Max open files"))?;
    match line.trim_start_matches("Max open files").split_whitespace().next()? {
        "unlimited" => Some(usize::MAX / 2),
        soft => soft.parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_level_wins_then_rust_log_then_the_default() {
        // The only test of this binary that reads RUST_LOG.
        std::env::remove_var("RUST_LOG");
        let mut settings = Settings::defaults();
        settings.log_level = None;
        assert_eq!(settings.log_filter(), DEFAULT_LOG_FILTER);
        std::env::set_var("RUST_LOG", "accounts=debug");
        assert_eq!(settings.log_filter(), "accounts=debug");
        settings.log_level = Some("warn".to_owned());
        assert_eq!(settings.log_filter(), "warn");
        std::env::remove_var("RUST_LOG");
    }
}

#[cfg(test)]
mod limit_tests {
    use super::*;

    #[test]
    fn the_connection_limit_stays_below_the_open_file_limit() {
        let limits = "Limit                     Soft Limit           Hard Limit           Units\n\
                      Max open files            1024                 1048576              files\n";
        assert_eq!(parse_open_file_limit(limits), Some(1024));
        let mut settings = Settings::defaults();
        settings.max_connections = Some(10);
        assert_eq!(settings.connection_limit(), 10);
        settings.max_connections = None;
        let limit = settings.connection_limit();
        let files = open_file_limit().unwrap_or(1024);
        assert!(limit < files, "{limit} connections for {files} files");
    }
}
