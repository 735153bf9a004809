//! Embedded migrations, applied under an advisory lock so that several
//! instances starting at once apply each migration exactly once.

use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use diesel::connection::SimpleConnection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::{AsyncPgConnection, SimpleAsyncConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::connect;
use crate::diagnose::{self, Problem};

/// Every migration of `migrations/`, compiled into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

/// Key of the session advisory lock held while migrating ("palette" in ASCII).
const MIGRATION_LOCK_KEY: i64 = 0x70_61_6c_65_74_74_65;

/// Applies pending migrations; returns the versions applied by this call.
pub async fn run_pending(database_url: &str) -> anyhow::Result<Vec<String>> {
    let conn = connect::establish(database_url)
        .await
        .context("connecting to the database to migrate it")?;
    tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<String>> {
        // Blocks on this runtime's handle; the connection's task runs on it.
        let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::from(conn);
        SimpleConnection::batch_execute(&mut conn, &format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))
            .context("taking the migration lock")?;
        let result = conn
            .run_pending_migrations(MIGRATIONS)
            .map(|versions| versions.iter().map(ToString::to_string).collect())
            .map_err(|e| anyhow!("applying migrations: {e}"));
        SimpleConnection::batch_execute(&mut conn, &format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"))
            .context("releasing the migration lock")?;
        result
    })
    .await
    .context("the migration task panicked")?
}

/// A version diesel recorded as applied.
#[derive(diesel::QueryableByName)]
struct AppliedVersion {
    #[diesel(sql_type = diesel::sql_types::Text)]
    version: String,
}

/// The names of this binary's migrations the database has not applied, in
/// order. It only reads: diesel's own check would create its bookkeeping
/// table in a database that has none.
pub async fn pending(conn: &mut crate::PgConnection) -> anyhow::Result<Vec<String>> {
    use diesel::migration::MigrationSource;
    use diesel_async::RunQueryDsl;

    let embedded = MigrationSource::<diesel::pg::Pg>::migrations(&MIGRATIONS)
        .map_err(|error| anyhow!("reading the embedded migrations: {error}"))?;
    let bookkept: bool = diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(
        "to_regclass('__diesel_schema_migrations') IS NOT NULL",
    ))
    .get_result(conn)
    .await
    .context("looking for the migrations' bookkeeping")?;
    let applied: std::collections::HashSet<String> = if bookkept {
        diesel::sql_query("SELECT version FROM __diesel_schema_migrations")
            .load::<AppliedVersion>(conn)
            .await
            .context("reading the applied migrations")?
            .into_iter()
            .map(|row| row.version)
            .collect()
    } else {
        std::collections::HashSet::new()
    };
    let mut pending: Vec<String> = embedded
        .iter()
        .filter(|migration| !applied.contains(&migration.name().version().to_string()))
        .map(|migration| migration.name().to_string())
        .collect();
    pending.sort();
    Ok(pending)
}

/// Splits a database URL into the URL of the server's `postgres` database
/// and the name of the database the URL names.
pub fn split_database_url(database_url: &str) -> anyhow::Result<(String, String)> {
    let (base, query) = match database_url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (database_url, None),
    };
    let (server, name) = base
        .rsplit_once('/')
        .filter(|(server, name)| server.contains("://") && !server.ends_with('/') && !name.is_empty())
        .ok_or_else(|| anyhow!("DATABASE_URL must name a database, as in postgres://host/name"))?;
    let admin = match query {
        Some(query) => format!("{server}/postgres?{query}"),
        None => format!("{server}/postgres"),
    };
    Ok((admin, name.to_owned()))
}

/// How long the first connection of a start may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// Creates the database named by the URL when it does not exist yet and the
/// role may create databases. Returns whether it was created. When the URL
/// cannot be used, the error says why (unreachable, authentication failed,
/// database missing), never with the password.
pub async fn create_database_if_missing(database_url: &str) -> anyhow::Result<bool> {
    let target = diagnose::describe(database_url);
    match diagnose::probe(database_url, PROBE_TIMEOUT).await {
        None => return Ok(false),
        Some(Problem::DatabaseMissing) => {}
        Some(problem) => bail!(problem.explain(&target)),
    }
    let (admin_url, name) = split_database_url(database_url)?;
    let mut admin = connect::establish(&admin_url)
        .await
        .map_err(|error| anyhow!("{}: {error}", Problem::DatabaseMissing.explain(&target)))?;
    let statement = format!("CREATE DATABASE \"{}\"", name.replace('"', "\"\""));
    match admin.batch_execute(&statement).await {
        Ok(()) => {
            tracing::info!(database = %name, "created the database");
            Ok(true)
        }
        // Another instance created it first.
        Err(diesel::result::Error::DatabaseError(_, info)) if info.message().contains("already exists") => Ok(false),
        Err(e) => Err(anyhow!("{}: {e}", Problem::DatabaseMissing.explain(&target))),
    }
}
