//! [`PgConnection`], the connection every domain crate queries through:
//! diesel-async's `AsyncPgConnection` that can also work through a
//! connection pooler in transaction mode which cannot carry named prepared
//! statements (PgBouncer before 1.21, or later ones without
//! `max_prepared_statements`).
//!
//! diesel-async prepares every statement under a name in one round trip
//! (`Parse`, `Describe`, `Sync`) and binds and runs it in the next. Between
//! the two the server connection is idle, so such a pooler may hand the
//! second round trip to another server connection, where the name is unknown
//! or, worse, names another client's statement. Turning the statement cache
//! off is not enough: the statement still has a name. With
//! [`Statements::Unpooled`] the cache is off and a statement outside a
//! transaction runs in a transaction of its own, so that its preparation, its
//! execution and its closing reach the same server connection, and the name
//! is gone before the pooler hands that server connection to anyone else.
//! Statements inside a transaction need nothing more: the pooler keeps the
//! transaction on one server connection.
//!
//! The price is two more round trips per statement outside a transaction
//! (`BEGIN`, `COMMIT`) and a late close (see `in_own_transaction`), and
//! rows read whole before they are handed on, so the mode is for such
//! poolers only; the default keeps diesel-async's cache of prepared
//! statements.
//!
//! The mode relies on the schema using PostgreSQL's built-in types only:
//! tokio-postgres looks up any other type with prepared statements it keeps
//! for the connection's life, which no pooler in transaction mode can
//! carry and `DEALLOCATE ALL` would remove: a migration that creates a
//! type (an enum, a domain, an extension's type) would break this mode.

use diesel::connection::{CacheSize, Instrumentation, TransactionManagerStatus};
use diesel::query_builder::{AsQuery, QueryFragment, QueryId};
use diesel::{ConnectionResult, QueryResult};
use diesel_async::pooled_connection::PoolableConnection;
use diesel_async::{
    AnsiTransactionManager, AsyncConnection, AsyncConnectionCore, AsyncPgConnection, SimpleAsyncConnection,
    TransactionManager as _,
};
use futures_util::{FutureExt, StreamExt, TryStreamExt};
use std::future::Future;

/// How a connection prepares its statements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Statements {
    /// Each distinct statement is prepared once per connection and kept
    /// (diesel-async's statement cache): the fastest, for a direct
    /// connection, a pooler in session mode, or one that carries named
    /// statements (PgBouncer 1.21+ with `max_prepared_statements`).
    #[default]
    Cached,
    /// No statement outlives its transaction, and a statement outside a
    /// transaction gets one of its own: for poolers in transaction mode that
    /// cannot carry named statements.
    Unpooled,
}

/// A PostgreSQL connection of the service; see the [module](self).
pub struct PgConnection {
    inner: AsyncPgConnection,
    statements: Statements,
    /// A statement's own transaction was begun and has not ended: its
    /// future was dropped midway, so the session may still be in that
    /// transaction. The pool discards such a connection.
    unfinished: bool,
}

impl PgConnection {
    /// Wraps `inner`, preparing statements as `statements` says.
    pub fn new(mut inner: AsyncPgConnection, statements: Statements) -> Self {
        if statements == Statements::Unpooled {
            inner.set_prepared_statement_cache_size(CacheSize::Disabled);
        }
        Self {
            inner,
            statements,
            unfinished: false,
        }
    }

    /// Runs `body` in a read-only `REPEATABLE READ` transaction, so that all
    /// it reads comes from one snapshot; committed when `body` succeeds.
    pub async fn read_only_snapshot<R>(
        &mut self,
        body: impl AsyncFnOnce(&mut Self) -> QueryResult<R>,
    ) -> QueryResult<R> {
        AnsiTransactionManager::begin_transaction_sql(
            &mut *self,
            "BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY",
        )
        .await?;
        match body(self).await {
            Ok(value) => {
                AnsiTransactionManager::commit_transaction(self).await?;
                Ok(value)
            }
            Err(error) => {
                AnsiTransactionManager::rollback_transaction(self).await?;
                Err(error)
            }
        }
    }

    /// Whether the next statement needs a transaction of its own: in
    /// [`Statements::Unpooled`], outside a transaction. A transaction
    /// manager in error (a rollback failed) cannot tell whether the session
    /// is in a transaction, so nothing more runs on it there.
    fn needs_own_transaction(&mut self) -> QueryResult<bool> {
        if self.statements == Statements::Cached {
            return Ok(false);
        }
        match AnsiTransactionManager::transaction_manager_status_mut(self) {
            TransactionManagerStatus::Valid(status) => Ok(status.transaction_depth().is_none()),
            TransactionManagerStatus::InError => Err(diesel::result::Error::BrokenTransactionManager),
        }
    }
}

/// Runs `statement` on `conn` between `BEGIN` and `COMMIT` (or `ROLLBACK`
/// when it fails), with `unfinished` set until the transaction has ended.
///
/// tokio-postgres closes a statement when the last of its rows is dropped,
/// which for a query's rows is after the transaction, when diesel has read
/// them: the close would reach whichever server connection the pooler picks
/// and leave the statement on this one, where another process could ask for
/// the same name. So the transaction ends with `DEALLOCATE ALL`; the late
/// close then finds nothing, wherever it lands.
async fn in_own_transaction<R>(
    mut conn: &AsyncPgConnection,
    unfinished: &mut bool,
    statement: impl Future<Output = QueryResult<R>>,
) -> QueryResult<R> {
    *unfinished = true;
    conn.batch_execute("BEGIN").await?;
    let result = statement.await;
    // `DEALLOCATE ALL` first: it holds even when `COMMIT` fails, and cannot
    // run in a transaction a failed statement aborted, hence after `ROLLBACK`.
    match result {
        Ok(value) => {
            conn.batch_execute("DEALLOCATE ALL; COMMIT").await?;
            *unfinished = false;
            Ok(value)
        }
        Err(error) => {
            // The statement's error says more than a failed `ROLLBACK`, which
            // leaves the connection `unfinished`, to be discarded.
            if conn.batch_execute("ROLLBACK; DEALLOCATE ALL").await.is_ok() {
                *unfinished = false;
            }
            Err(error)
        }
    }
}

impl SimpleAsyncConnection for PgConnection {
    async fn batch_execute(&mut self, query: &str) -> QueryResult<()> {
        // The simple protocol prepares nothing, and a pooler keeps one
        // query string on one server connection.
        self.inner.batch_execute(query).await
    }
}

impl AsyncConnectionCore for PgConnection {
    type ExecuteFuture<'conn, 'query> = <AsyncPgConnection as AsyncConnectionCore>::ExecuteFuture<'conn, 'query>;
    type LoadFuture<'conn, 'query> = <AsyncPgConnection as AsyncConnectionCore>::LoadFuture<'conn, 'query>;
    type Stream<'conn, 'query> = <AsyncPgConnection as AsyncConnectionCore>::Stream<'conn, 'query>;
    type Row<'conn, 'query> = <AsyncPgConnection as AsyncConnectionCore>::Row<'conn, 'query>;
    type Backend = diesel::pg::Pg;

    fn load<'conn, 'query, T>(&'conn mut self, source: T) -> Self::LoadFuture<'conn, 'query>
    where
        T: AsQuery + 'query,
        T::Query: QueryFragment<Self::Backend> + QueryId + 'query,
    {
        match self.needs_own_transaction() {
            Ok(false) => return self.inner.load(source),
            Ok(true) => {}
            Err(error) => return futures_util::future::ready(Err(error)).boxed(),
        }
        let Self { inner, unfinished, .. } = self;
        let mut shared: &'conn AsyncPgConnection = inner;
        // Built now (it takes `source`), sent only once `BEGIN` is done.
        let load = shared.load(source);
        async move {
            // Every row is read before `COMMIT`, so that an error while
            // reading them still rolls the transaction back.
            let rows: Vec<_> =
                in_own_transaction(shared, unfinished, async move { load.await?.try_collect().await }).await?;
            Ok(futures_util::stream::iter(rows.into_iter().map(Ok)).boxed())
        }
        .boxed()
    }

    fn execute_returning_count<'conn, 'query, T>(&'conn mut self, source: T) -> Self::ExecuteFuture<'conn, 'query>
    where
        T: QueryFragment<Self::Backend> + QueryId + 'query,
    {
        match self.needs_own_transaction() {
            Ok(false) => return self.inner.execute_returning_count(source),
            Ok(true) => {}
            Err(error) => return futures_util::future::ready(Err(error)).boxed(),
        }
        let Self { inner, unfinished, .. } = self;
        let mut shared: &'conn AsyncPgConnection = inner;
        let execute = shared.execute_returning_count(source);
        in_own_transaction(shared, unfinished, execute).boxed()
    }
}

impl AsyncConnection for PgConnection {
    type TransactionManager = AnsiTransactionManager;

    /// Opens a connection as [`crate::connect::establish`] does, with
    /// cached statements.
    async fn establish(database_url: &str) -> ConnectionResult<Self> {
        Ok(Self::new(
            crate::connect::establish(database_url).await?,
            Statements::Cached,
        ))
    }

    fn transaction_state(&mut self) -> &mut AnsiTransactionManager {
        self.inner.transaction_state()
    }

    fn instrumentation(&mut self) -> &mut dyn Instrumentation {
        self.inner.instrumentation()
    }

    fn set_instrumentation(&mut self, instrumentation: impl Instrumentation) {
        self.inner.set_instrumentation(instrumentation);
    }

    /// Ignored in [`Statements::Unpooled`], whose cache stays off.
    fn set_prepared_statement_cache_size(&mut self, size: CacheSize) {
        if self.statements == Statements::Cached {
            self.inner.set_prepared_statement_cache_size(size);
        }
    }
}

impl PoolableConnection for PgConnection {
    fn is_broken(&mut self) -> bool {
        self.unfinished || self.inner.is_broken()
    }
}
