//! One database per test, cloned from a migrated template.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use anyhow::Context;
use database::migrate::split_database_url;
use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};

/// Prefix of every database the harness creates.
const PREFIX: &str = "palette_test_";

/// The URL tests use to reach PostgreSQL.
pub fn database_url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| server::DEFAULT_DATABASE_URL.to_owned())
}

/// The URL of a connection pooler in front of the tests' PostgreSQL, from
/// `TEST_POOLER_URL` (`scripts/pgbouncer-check` sets it): apps then query
/// through it and keep their sessions (`DATABASE_DIRECT_URL`) direct.
pub fn pooler_url() -> Option<String> {
    std::env::var("TEST_POOLER_URL").ok().filter(|url| !url.is_empty())
}

fn url_for(database: &str) -> anyhow::Result<String> {
    url_on(&database_url(), database)
}

/// `database` on the server of `server_url`.
fn url_on(server_url: &str, database: &str) -> anyhow::Result<String> {
    let (admin, _) = split_database_url(server_url)?;
    let (server, query) = match admin.split_once('?') {
        Some((server, query)) => (server.to_owned(), Some(query.to_owned())),
        None => (admin, None),
    };
    let base = server.trim_end_matches("/postgres");
    Ok(match query {
        Some(query) => format!("{base}/{database}?{query}"),
        None => format!("{base}/{database}"),
    })
}

async fn admin_connection() -> anyhow::Result<AsyncPgConnection> {
    let url = url_for("postgres")?;
    AsyncPgConnection::establish(&url)
        .await
        .with_context(|| "tests need PostgreSQL: set DATABASE_URL, or run the README's test command, which starts one")
}

/// A fingerprint of `migrations/`, so a changed migration gets a new template.
fn migrations_fingerprint() -> u64 {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations");
    let mut files = Vec::new();
    let mut stack = vec![dir.clone()];
    while let Some(path) = stack.pop() {
        if let Ok(entries) = std::fs::read_dir(&path) {
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    files.push(path);
                }
            }
        }
    }
    files.sort();
    let mut hasher = DefaultHasher::new();
    for file in files {
        file.strip_prefix(&dir).unwrap_or(&file).hash(&mut hasher);
        std::fs::read(&file).unwrap_or_default().hash(&mut hasher);
    }
    hasher.finish()
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    datname: String,
}

fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Drops databases of test processes that are gone, and stale templates.
async fn sweep(admin: &mut AsyncPgConnection, template: &str) -> anyhow::Result<()> {
    let names: Vec<Name> = diesel::sql_query("SELECT datname FROM pg_database WHERE datname LIKE 'palette\\_test\\_%'")
        .load(admin)
        .await?;
    for Name { datname } in names {
        let rest = &datname[PREFIX.len()..];
        let stale = if let Some(_fingerprint) = rest.strip_prefix("tpl_") {
            datname != template
        } else {
            let pid = rest.split('_').next().unwrap_or("");
            !pid.is_empty() && !Path::new("/proc").join(pid).exists()
        };
        if stale {
            let _ = admin
                .batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", quoted(&datname)))
                .await;
        }
    }
    Ok(())
}

async fn prepare_template() -> anyhow::Result<String> {
    let template = format!("{PREFIX}tpl_{:016x}", migrations_fingerprint());
    let mut admin = admin_connection().await?;
    // Test binaries may start at once: one of them builds the template.
    admin.batch_execute("SELECT pg_advisory_lock(7366478123)").await?;
    let result = async {
        sweep(&mut admin, &template).await?;
        let exists: Vec<Name> = diesel::sql_query("SELECT datname FROM pg_database WHERE datname = $1")
            .bind::<Text, _>(&template)
            .load(&mut admin)
            .await?;
        if exists.is_empty() {
            let building = format!("{template}_new");
            admin
                .batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", quoted(&building)))
                .await?;
            admin
                .batch_execute(&format!("CREATE DATABASE {}", quoted(&building)))
                .await?;
            database::migrate::run_pending(&url_for(&building)?).await?;
            admin
                .batch_execute(&format!(
                    "ALTER DATABASE {} RENAME TO {}",
                    quoted(&building),
                    quoted(&template)
                ))
                .await?;
        }
        anyhow::Ok(())
    }
    .await;
    admin.batch_execute("SELECT pg_advisory_unlock(7366478123)").await?;
    result.map(|()| template)
}

fn template() -> &'static str {
    static TEMPLATE: OnceLock<String> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        std::thread::spawn(|| {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            runtime.block_on(prepare_template())
        })
        .join()
        .unwrap_or_else(|_| Err(anyhow::anyhow!("preparing the template database panicked")))
        .unwrap_or_else(|error| panic!("preparing the template database: {error:#}"))
    })
}

/// A database of one test, dropped with this value.
#[derive(Debug)]
pub struct TestDatabase {
    /// Database name.
    pub name: String,
    /// URL to reach it.
    pub url: String,
}

impl TestDatabase {
    /// The URL to reach it through the pooler of [`pooler_url`], if any.
    pub fn pooled_url(&self) -> Option<String> {
        let pooler = pooler_url()?;
        Some(
            url_on(&pooler, &self.name)
                .unwrap_or_else(|error| panic!("building the pooler's URL of {}: {error:#}", self.name)),
        )
    }
}

/// Creates an empty, migrated database for one test.
pub async fn create_database() -> TestDatabase {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let template = template();
    let name = format!(
        "{PREFIX}{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let result = async {
        let mut admin = admin_connection().await?;
        admin
            .batch_execute(&format!(
                "CREATE DATABASE {} TEMPLATE {}",
                quoted(&name),
                quoted(template)
            ))
            .await?;
        url_for(&name)
    }
    .await;
    match result {
        Ok(url) => TestDatabase { name, url },
        Err(error) => panic!("creating test database {name}: {error:#}"),
    }
}

/// Creates an empty database (no migrations applied), for tests of migrating.
pub async fn create_empty_database() -> TestDatabase {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let name = format!(
        "{PREFIX}{}_empty_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let result = async {
        let mut admin = admin_connection().await?;
        admin
            .batch_execute(&format!("CREATE DATABASE {}", quoted(&name)))
            .await?;
        url_for(&name)
    }
    .await;
    match result {
        Ok(url) => TestDatabase { name, url },
        Err(error) => panic!("creating test database {name}: {error:#}"),
    }
}

/// The URL of a database that does not exist yet on the test server; it is
/// dropped with the returned value if something creates it.
pub fn missing_database() -> TestDatabase {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let name = format!(
        "{PREFIX}{}_missing_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    match url_for(&name) {
        Ok(url) => TestDatabase { name, url },
        Err(error) => panic!("building the URL of {name}: {error:#}"),
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let name = self.name.clone();
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            runtime.block_on(async {
                let mut admin = admin_connection().await?;
                admin
                    .batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", quoted(&name)))
                    .await?;
                anyhow::Ok(())
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop test database {}; the next run sweeps it", self.name);
        }
    }
}
