//! The pool of async PostgreSQL connections.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use diesel::connection::InstrumentationEvent;
use diesel_async::pooled_connection::deadpool::{Object, Pool as DeadPool};
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod};
use diesel_async::{AsyncConnection, SimpleAsyncConnection};
use futures_util::future::BoxFuture;
use futures_util::FutureExt;

use crate::connection::{PgConnection, Statements};

/// A pool of PostgreSQL connections.
pub type Pool = DeadPool<PgConnection>;
/// A connection checked out of the pool; returns to it when dropped.
pub type Conn = Object<PgConnection>;

/// How the pool sizes itself and how long it waits.
#[derive(Debug, Clone)]
pub struct PoolSettings {
    /// Most connections open at once.
    pub max_size: usize,
    /// How long a request waits for a free connection before a 503.
    pub wait_timeout: Duration,
    /// How long opening a new connection may take.
    pub create_timeout: Duration,
    /// How long checking a returned connection may take.
    pub recycle_timeout: Duration,
    /// PostgreSQL's `statement_timeout` on every connection.
    pub statement_timeout: Duration,
    /// PostgreSQL's `application_name`, visible in `pg_stat_activity`.
    pub application_name: String,
    /// How connections prepare statements: [`Statements::Unpooled`] behind
    /// a pooler in transaction mode that cannot carry named statements.
    pub statements: Statements,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_size: 16,
            wait_timeout: Duration::from_secs(5),
            create_timeout: Duration::from_secs(5),
            recycle_timeout: Duration::from_secs(5),
            statement_timeout: Duration::from_secs(30),
            application_name: "palette-api".to_owned(),
            statements: Statements::Cached,
        }
    }
}

/// Builds the pool; connections are opened lazily, on first use, each with
/// TLS as the URL's `sslmode` says (see [`crate::connect`]).
pub fn build_pool(database_url: &str, settings: &PoolSettings) -> anyhow::Result<Pool> {
    let application_name = format!(
        "SET application_name = '{}'",
        settings.application_name.replace('\'', "''")
    );
    let session_setup = match settings.statements {
        Statements::Cached => format!(
            // Generic plans: our statements are prepared once per connection and
            // index-driven, so planning them anew on every execution (PostgreSQL's
            // default for the first runs, and for ANY($array) filters) only costs.
            // `random_page_cost` as for SSDs (the default, 4, is for spinning
            // disks): with it, generic plans of per-team scans take the
            // `(team_id, id)` index instead of walking the primary key past other
            // teams' rows.
            "{application_name}; SET statement_timeout = {}; SET plan_cache_mode = force_generic_plan; \
             SET random_page_cost = 1.1",
            settings.statement_timeout.as_millis()
        ),
        // Behind a pooler in transaction mode a session's settings would land
        // on whichever server connection runs them, and stay there for other
        // clients: the operator sets `statement_timeout` in the pooler's
        // `connect_query` or on the role (README, "PgBouncer").
        // `application_name` is safe: PgBouncer keeps it per client and
        // restores it on each server connection.
        Statements::Unpooled => application_name,
    };
    let mut config = ManagerConfig::default();
    // No `SELECT 1` on every checkout: a connection that broke is noticed on
    // first use (that request gets a 503) and never returns to the pool.
    config.recycling_method = RecyclingMethod::Fast;
    let statements = settings.statements;
    config.custom_setup = Box::new(move |url| establish(url, session_setup.clone(), statements));
    let manager = AsyncDieselConnectionManager::new_with_config(database_url, config);
    DeadPool::builder(manager)
        .max_size(settings.max_size)
        .runtime(deadpool::Runtime::Tokio1)
        .wait_timeout(Some(settings.wait_timeout))
        .create_timeout(Some(settings.create_timeout))
        .recycle_timeout(Some(settings.recycle_timeout))
        .build()
        .context("building the database pool")
}

/// Statements sent to PostgreSQL by pooled connections since the process started.
static STATEMENTS: AtomicU64 = AtomicU64::new(0);

/// How many statements pooled connections have sent, for `/metrics` and benchmarks.
pub fn statements_executed() -> u64 {
    STATEMENTS.load(Ordering::Relaxed)
}

fn count_statements(event: InstrumentationEvent<'_>) {
    if let InstrumentationEvent::StartQuery { .. } = event {
        STATEMENTS.fetch_add(1, Ordering::Relaxed);
    }
}

fn establish(
    url: &str,
    session_setup: String,
    statements: Statements,
) -> BoxFuture<'_, diesel::ConnectionResult<PgConnection>> {
    async move {
        let mut target = crate::connect::Target::parse(url)?;
        if statements == Statements::Unpooled {
            target = target.set_up_in_a_transaction();
        }
        let mut conn = PgConnection::new(target.connect().await?, statements);
        conn.set_instrumentation(crate::trace::StatementSpans::around(count_statements));
        conn.batch_execute(&session_setup)
            .await
            .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
        Ok(conn)
    }
    .boxed()
}
