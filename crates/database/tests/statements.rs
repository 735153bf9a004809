//! How `PgConnection` prepares statements: `Statements::Unpooled`, for
//! poolers in transaction mode that cannot carry named prepared statements,
//! against `Statements::Cached`, the default. `scripts/pgbouncer-check` runs
//! the domain suites through a real PgBouncer; these check the mechanism
//! against PostgreSQL itself.

use std::time::Duration;

use database::{PgConnection, Statements};
use diesel::sql_types::{BigInt, Integer};
use diesel::QueryableByName;
use diesel_async::pooled_connection::PoolableConnection;
use diesel_async::{AsyncConnection, RunQueryDsl};
use test_support::db::{create_database, TestDatabase};

async fn connect(database: &TestDatabase, statements: Statements) -> PgConnection {
    let conn = database::connect::establish(&database.url).await.expect("a connection");
    PgConnection::new(conn, statements)
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    count: i64,
}

/// Prepared statements the connection's session holds, counted by a
/// statement that is itself prepared (so counted too).
async fn prepared_statements(conn: &mut PgConnection) -> i64 {
    diesel::sql_query("SELECT count(*) AS count FROM pg_prepared_statements")
        .get_result::<Count>(conn)
        .await
        .expect("reading pg_prepared_statements")
        .count
}

#[derive(QueryableByName)]
struct One {
    #[diesel(sql_type = Integer)]
    one: i32,
}

async fn select(conn: &mut PgConnection, n: i32) -> i32 {
    diesel::sql_query(format!("SELECT {n} AS one"))
        .get_result::<One>(conn)
        .await
        .expect("a select")
        .one
}

async fn transaction_id(conn: &mut PgConnection) -> i32 {
    diesel::sql_query("SELECT txid_current()::int AS one")
        .get_result::<One>(conn)
        .await
        .expect("the transaction's id")
        .one
}

#[tokio::test]
async fn unpooled_statements_run_in_a_transaction_of_their_own() {
    let database = create_database().await;
    // SAVEPOINT is refused outside a transaction block.
    let mut cached = connect(&database, Statements::Cached).await;
    assert!(diesel::sql_query("SAVEPOINT probe").execute(&mut cached).await.is_err());

    let mut unpooled = connect(&database, Statements::Unpooled).await;
    diesel::sql_query("SAVEPOINT probe")
        .execute(&mut unpooled)
        .await
        .expect("a statement outside a transaction runs in one of its own");
    // Each in its own: the first's transaction is over before the second.
    let first = transaction_id(&mut unpooled).await;
    assert_ne!(first, transaction_id(&mut unpooled).await);
}

/// Three statements diesel may cache (`sql_query` it never caches).
async fn count_rows(conn: &mut PgConnection) {
    use database::schema::{palettes, teams, users};
    use diesel::QueryDsl;

    users::table
        .count()
        .get_result::<i64>(conn)
        .await
        .expect("counting users");
    teams::table
        .count()
        .get_result::<i64>(conn)
        .await
        .expect("counting teams");
    palettes::table
        .count()
        .get_result::<i64>(conn)
        .await
        .expect("counting palettes");
}

#[tokio::test]
async fn unpooled_connections_keep_no_prepared_statement_past_its_transaction() {
    let database = create_database().await;
    let mut cached = connect(&database, Statements::Cached).await;
    let mut unpooled = connect(&database, Statements::Unpooled).await;
    count_rows(&mut cached).await;
    count_rows(&mut unpooled).await;
    // The cache keeps the three counts; the fourth is the query counting.
    assert_eq!(prepared_statements(&mut cached).await, 4);
    // Only the query counting, while it runs.
    assert_eq!(prepared_statements(&mut unpooled).await, 1);

    // Inside a transaction too: each statement is closed once it has run.
    let inside = unpooled
        .transaction(async |conn| {
            count_rows(conn).await;
            Ok::<_, diesel::result::Error>(prepared_statements(conn).await)
        })
        .await
        .expect("a transaction");
    assert_eq!(inside, 1);
    assert_eq!(prepared_statements(&mut unpooled).await, 1);
}

#[tokio::test]
async fn an_unpooled_statement_that_fails_leaves_its_connection_usable() {
    let database = create_database().await;
    let mut conn = connect(&database, Statements::Unpooled).await;
    let error = diesel::sql_query("SELECT 1 / 0")
        .execute(&mut conn)
        .await
        .expect_err("division by zero");
    assert!(error.to_string().contains("division by zero"), "{error}");
    // Rolled back: the next statement runs, and the pool keeps the connection.
    assert_eq!(select(&mut conn, 3).await, 3);
    assert!(!conn.is_broken());
}

#[tokio::test]
async fn an_unpooled_statement_dropped_midway_leaves_its_connection_to_be_discarded() {
    let database = create_database().await;
    let mut conn = connect(&database, Statements::Unpooled).await;
    assert!(!conn.is_broken());
    // The caller gives up while the statement runs, inside its own transaction.
    let sleep = diesel::sql_query("SELECT pg_sleep(5)").execute(&mut conn);
    assert!(tokio::time::timeout(Duration::from_millis(200), sleep).await.is_err());
    assert!(
        conn.is_broken(),
        "a session perhaps still in a transaction must not go back to the pool"
    );
}

#[tokio::test]
async fn an_unpooled_query_leaves_no_statement_behind_while_its_rows_are_still_held() {
    use diesel_async::AsyncConnectionCore;
    use futures_util::TryStreamExt;

    let database = create_database().await;
    let mut conn = connect(&database, Statements::Unpooled).await;
    // Rows keep their statement alive in tokio-postgres, so it is closed
    // only when they go, after the transaction: behind a pooler that close
    // may reach another server connection. The transaction's end has
    // deallocated it already.
    let stream = AsyncConnectionCore::load(&mut conn, diesel::sql_query("SELECT 1 AS one"))
        .await
        .expect("a query");
    let rows: Vec<_> = stream.try_collect().await.expect("its rows");
    assert_eq!(rows.len(), 1);
    // This connection's session holds only the counting query's statement.
    let held = prepared_statements(&mut conn).await;
    drop(rows);
    assert_eq!(held, 1);
}
