//! A span per SQL statement: each statement a pooled connection runs becomes
//! an OpenTelemetry client span, child of the span current when it started
//! (a request's, in the server), so a trace shows a request's statements
//! under it.
//!
//! The span carries the statement's SQL (`db.query.text`), never its bind
//! parameters (they hold password and token hashes), and an error status
//! when the statement failed. Statements run outside any traced work (the
//! background tasks, or when no traces are exported) make no span: they
//! cost a thread-local look-up.

use std::fmt::{self, Write as _};
use std::time::SystemTime;

use diesel::connection::{DebugQuery, Instrumentation, InstrumentationEvent};
use diesel::result::{DatabaseErrorKind, Error};
use opentelemetry::trace::{Span as _, SpanKind, Status, TraceContextExt as _, Tracer as _};
use opentelemetry::{Context, KeyValue};

/// The instrumentation scope of the statements' spans.
const SCOPE: &str = "database";

/// What diesel writes between a statement's SQL and its bind parameters
/// when it shows a query (`diesel::debug_query`).
const BINDS_MARKER: &str = " -- binds: ";

/// The longest SQL kept to pair a statement's end with its start.
const MAX_SQL_BYTES: usize = 64 * 1024;

/// The most statements of one connection followed at once (diesel-async
/// can pipeline several).
const MAX_RUNNING: usize = 16;

/// A connection's instrumentation: spans for its statements, and every event
/// passed on to `inner` as well (the statement counter of `/metrics`).
pub struct StatementSpans<I> {
    inner: I,
    running: Vec<Running>,
}

impl<I> fmt::Debug for StatementSpans<I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StatementSpans")
            .field("running", &self.running.len())
            .finish_non_exhaustive()
    }
}

/// A statement sent and not finished yet.
struct Running {
    /// The context current when it started: the span it belongs under.
    parent: Context,
    started: SystemTime,
    /// Its SQL, to pair the end with the start of the same statement.
    sql: String,
}

impl<I: Instrumentation> StatementSpans<I> {
    /// Spans for a connection's statements, with `inner` seeing every event too.
    pub fn around(inner: I) -> Self {
        Self {
            inner,
            running: Vec::new(),
        }
    }

    fn started(&mut self, query: &dyn DebugQuery) {
        let parent = Context::current();
        let parent_span = parent.span().span_context().span_id();
        if !parent.span().span_context().is_valid() {
            return;
        }
        // A connection serves one holder at a time: a statement still running
        // under another span was abandoned (its future dropped when its request
        // timed out or went away) and gets no span.
        self.running
            .retain(|running| running.parent.span().span_context().span_id() == parent_span);
        if self.running.len() >= MAX_RUNNING {
            self.running.remove(0);
        }
        self.running.push(Running {
            parent,
            started: SystemTime::now(),
            sql: sql_of(query),
        });
    }

    fn finished(&mut self, query: &dyn DebugQuery, error: Option<&Error>) {
        if self.running.is_empty() {
            return;
        }
        // diesel-async names the statement by its SQL alone when it finishes.
        let sql = sql_of(query);
        let index = self.running.iter().position(|running| running.sql == sql).unwrap_or(0);
        let running = self.running.remove(index);
        let summary = Summary::of(&sql);
        let mut attributes = vec![
            KeyValue::new("db.system.name", "postgresql"),
            KeyValue::new("db.query.text", sql.clone()),
        ];
        if let Some(operation) = &summary.operation {
            attributes.push(KeyValue::new("db.operation.name", operation.clone()));
        }
        if let Some(collection) = &summary.collection {
            attributes.push(KeyValue::new("db.collection.name", collection.clone()));
        }
        let tracer = opentelemetry::global::tracer(SCOPE);
        let mut span = tracer
            .span_builder(summary.span_name())
            .with_kind(SpanKind::Client)
            .with_start_time(running.started)
            .with_attributes(attributes)
            .start_with_context(&tracer, &running.parent);
        if let Some(error) = error {
            span.set_attribute(KeyValue::new("error.type", error_type(error)));
            span.set_status(Status::error(error_description(error)));
        }
        span.end();
    }
}

impl<I: Instrumentation> Instrumentation for StatementSpans<I> {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        match &event {
            InstrumentationEvent::StartQuery { query, .. } => self.started(*query),
            InstrumentationEvent::FinishQuery { query, error, .. } => self.finished(*query, *error),
            _ => {}
        }
        self.inner.on_connection_event(event);
    }
}

/// A statement's SQL: what diesel shows of it up to its bind parameters,
/// which are never kept.
fn sql_of(query: &dyn DebugQuery) -> String {
    let mut sql = UntilBinds(String::new());
    // The writer stops the formatting (an error) where the binds begin.
    let _ = write!(sql, "{query}");
    sql.0
}

/// A writer that keeps text up to diesel's binds marker, or up to
/// [`MAX_SQL_BYTES`], and refuses the rest.
struct UntilBinds(String);

impl fmt::Write for UntilBinds {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        let seen = self.0.len();
        self.0.push_str(text);
        // The marker may straddle two writes.
        let from = seen.saturating_sub(BINDS_MARKER.len());
        let from = (0..=from).rev().find(|&at| self.0.is_char_boundary(at)).unwrap_or(0);
        if let Some(at) = self.0[from..].find(BINDS_MARKER) {
            self.0.truncate(from + at);
            return Err(fmt::Error);
        }
        if self.0.len() > MAX_SQL_BYTES {
            let end = (0..=MAX_SQL_BYTES)
                .rev()
                .find(|&at| self.0.is_char_boundary(at))
                .unwrap_or(0);
            self.0.truncate(end);
            return Err(fmt::Error);
        }
        Ok(())
    }
}

/// A statement's operation (`SELECT`) and the table it names first, for the
/// span's name (`SELECT teams`), as the semantic conventions name database
/// spans.
#[derive(Debug, PartialEq, Eq)]
struct Summary {
    operation: Option<String>,
    collection: Option<String>,
}

impl Summary {
    fn of(sql: &str) -> Self {
        let upper = sql.to_ascii_uppercase();
        let operation = upper
            .split(|c: char| !c.is_ascii_alphabetic())
            .find(|word| !word.is_empty())
            .map(str::to_owned);
        let keyword = match operation.as_deref() {
            Some("SELECT" | "DELETE") => Some(" FROM "),
            Some("INSERT") => Some(" INTO "),
            Some("UPDATE") => Some("UPDATE "),
            _ => None,
        };
        // Byte offsets agree: ASCII upper-casing keeps every byte's place.
        let collection = keyword
            .and_then(|keyword| upper.find(keyword).map(|at| at + keyword.len()))
            .and_then(|at| table_at(&sql[at..]));
        Self { operation, collection }
    }

    fn span_name(&self) -> String {
        match (&self.operation, &self.collection) {
            (Some(operation), Some(collection)) => format!("{operation} {collection}"),
            (Some(operation), None) => operation.clone(),
            (None, _) => "postgresql".to_owned(),
        }
    }
}

/// The table name at the start of `sql` (after any opening parentheses, as
/// in diesel's joins), quoted or not.
fn table_at(sql: &str) -> Option<String> {
    let rest = sql.trim_start_matches(|c: char| c.is_whitespace() || c == '(');
    let name = match rest.strip_prefix('"') {
        Some(quoted) => quoted.split('"').next().unwrap_or_default(),
        None => rest
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .next()
            .unwrap_or_default(),
    };
    (!name.is_empty()).then(|| name.to_owned())
}

/// The kind of a failure, for `error.type`.
fn error_type(error: &Error) -> &'static str {
    match error {
        Error::DatabaseError(kind, _) => match kind {
            DatabaseErrorKind::UniqueViolation => "unique_violation",
            DatabaseErrorKind::ForeignKeyViolation => "foreign_key_violation",
            DatabaseErrorKind::NotNullViolation => "not_null_violation",
            DatabaseErrorKind::CheckViolation => "check_violation",
            DatabaseErrorKind::SerializationFailure => "serialization_failure",
            DatabaseErrorKind::ReadOnlyTransaction => "read_only_transaction",
            DatabaseErrorKind::RestrictViolation => "restrict_violation",
            DatabaseErrorKind::ExclusionViolation => "exclusion_violation",
            DatabaseErrorKind::ClosedConnection => "closed_connection",
            DatabaseErrorKind::UnableToSendCommand => "unable_to_send_command",
            _ => "database_error",
        },
        Error::NotFound => "not_found",
        Error::DeserializationError(_) => "deserialization_error",
        Error::SerializationError(_) => "serialization_error",
        Error::QueryBuilderError(_) => "query_builder_error",
        _ => "_OTHER",
    }
}

/// What the span's status says of a failure: PostgreSQL's own message (it
/// names constraints, not values; its detail, which may hold a row, is left
/// out), else only the kind.
fn error_description(error: &Error) -> String {
    match error {
        Error::DatabaseError(_, info) => info.message().to_owned(),
        other => error_type(other).to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use diesel::sql_types::Text;
    use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
    use opentelemetry::trace::TracerProvider as _;
    use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};

    use super::*;

    #[test]
    fn a_statement_is_summed_up_by_its_operation_and_first_table() {
        let cases = [
            (
                r#"SELECT "teams"."id", "teams"."name" FROM ("teams" INNER JOIN "team_members" ON "x") WHERE $1"#,
                "SELECT teams",
            ),
            (
                r#"INSERT INTO "users" ("username") VALUES ($1) RETURNING "id""#,
                "INSERT users",
            ),
            (
                r#"UPDATE "palettes" SET "name" = $1 WHERE "id" = $2"#,
                "UPDATE palettes",
            ),
            (r#"DELETE FROM "api_tokens" WHERE "id" = $1"#, "DELETE api_tokens"),
            ("select 1", "SELECT"),
            ("SET application_name = 'palette-api'; SET statement_timeout = 1", "SET"),
            ("", "postgresql"),
        ];
        for (sql, name) in cases {
            assert_eq!(Summary::of(sql).span_name(), name, "{sql}");
        }
    }

    #[test]
    fn the_sql_is_kept_up_to_the_binds() {
        let mut sql = UntilBinds(String::new());
        // The marker split over two writes, as a formatter may write it.
        assert!(sql.write_str("SELECT $1 -").is_ok());
        assert!(sql.write_str("- binds: ").is_err(), "the binds are refused");
        assert_eq!(sql.0, "SELECT $1");
        let query = diesel::select(diesel::dsl::sql::<Text>("").bind::<Text, _>("$argon2id$secret"));
        let shown = diesel::debug_query::<diesel::pg::Pg, _>(&query);
        assert!(
            shown.to_string().contains("$argon2id$secret"),
            "diesel shows the binds: {shown}"
        );
        assert_eq!(sql_of(&shown), "SELECT $1");
    }

    /// A connection to PostgreSQL's own `postgres` database (on the server of
    /// `DATABASE_URL`, else the local one): the statements here change nothing.
    async fn connect() -> AsyncPgConnection {
        let url =
            std::env::var("DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@localhost:5432/palettes".into());
        let (admin, _) = crate::migrate::split_database_url(&url).expect("a database URL");
        AsyncPgConnection::establish(&admin)
            .await
            .expect("tests need PostgreSQL (DATABASE_URL)")
    }

    /// Runs `SELECT $1` with a secret bound, and a failing statement, under a
    /// span of `provider`, on a real connection to PostgreSQL.
    async fn run_statements(provider: &SdkTracerProvider) -> (opentelemetry::trace::SpanContext, String) {
        let mut conn = connect().await;
        conn.set_instrumentation(StatementSpans::around(|_: InstrumentationEvent<'_>| {}));
        let request = provider.tracer("test").start("GET /things");
        let cx = Context::current_with_span(request);
        let parent = cx.span().span_context().clone();
        let _attached = cx.attach();
        let secret = "$argon2id$a-password-hash".to_owned();
        let echoed: String = diesel::select(diesel::dsl::sql::<Text>("").bind::<Text, _>(&secret))
            .get_result(&mut conn)
            .await
            .expect("a statement");
        assert_eq!(echoed, secret);
        let failed = diesel::sql_query("SELECT * FROM a_table_that_is_not_there")
            .execute(&mut conn)
            .await;
        assert!(failed.is_err());
        (parent, secret)
    }

    #[tokio::test]
    async fn each_statement_is_a_child_span_with_its_sql_and_never_its_binds() {
        let exporter = InMemorySpanExporter::default();
        let provider = SdkTracerProvider::builder()
            .with_simple_exporter(exporter.clone())
            .build();
        opentelemetry::global::set_tracer_provider(provider.clone());
        let (parent, secret) = run_statements(&provider).await;
        let spans = exporter.get_finished_spans().expect("spans");
        let statements: Vec<_> = spans
            .iter()
            .filter(|span| span.instrumentation_scope.name() == SCOPE)
            .collect();
        assert_eq!(statements.len(), 2, "{spans:#?}");
        for span in &statements {
            assert_eq!(span.span_context.trace_id(), parent.trace_id());
            assert_eq!(span.parent_span_id, parent.span_id(), "under the current span");
            assert_eq!(span.span_kind, SpanKind::Client);
            assert!(
                span.attributes.contains(&KeyValue::new("db.system.name", "postgresql")),
                "{span:?}"
            );
            assert!(
                !format!("{span:?}").contains(&secret),
                "a bind reached the span: {span:?}"
            );
        }
        let text = |span: &opentelemetry_sdk::trace::SpanData| {
            span.attributes
                .iter()
                .find(|kv| kv.key.as_str() == "db.query.text")
                .map(|kv| kv.value.to_string())
        };
        assert_eq!(text(statements[0]).as_deref(), Some("SELECT $1"));
        assert_eq!(statements[0].status, Status::Unset);
        assert_eq!(statements[1].name, "SELECT a_table_that_is_not_there");
        assert!(
            matches!(&statements[1].status, Status::Error { description } if description.contains("does not exist")),
            "{:?}",
            statements[1].status
        );
    }

    #[tokio::test]
    async fn a_statement_outside_any_span_makes_none() {
        let mut conn = connect().await;
        let counted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = counted.clone();
        conn.set_instrumentation(StatementSpans::around(move |event: InstrumentationEvent<'_>| {
            if let InstrumentationEvent::StartQuery { .. } = event {
                counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        }));
        diesel::sql_query("SELECT 1")
            .execute(&mut conn)
            .await
            .expect("a statement");
        let mut spans = StatementSpans::around(|_: InstrumentationEvent<'_>| {});
        spans.started(&diesel::debug_query::<diesel::pg::Pg, _>(&diesel::sql_query(
            "SELECT 1",
        )));
        assert!(spans.running.is_empty(), "no span without a current one");
        let counted = std::sync::atomic::AtomicUsize::load(&counted, std::sync::atomic::Ordering::Relaxed);
        assert_eq!(counted, 1, "still counted");
    }
}
