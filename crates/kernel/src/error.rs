//! The error type of the HTTP edge.

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde_json::{Map, Value};

/// What went wrong, which decides the status in each API version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Invalid input: 400.
    Validation,
    /// A request that cannot be served as sent: 400.
    BadRequest,
    /// Missing or wrong credentials: 401.
    Unauthorized,
    /// Authenticated but not allowed: 403.
    Forbidden,
    /// No such resource, or one the caller may not see: 404.
    NotFound,
    /// The path exists but not with this method: 405.
    MethodNotAllowed,
    /// No acceptable representation: 406.
    NotAcceptable,
    /// A duplicate or a state conflict: 409 in 2.0, 400 in 1.0 (as the seed).
    Conflict,
    /// The request (its body) did not arrive in time: 408.
    RequestTimeout,
    /// A stale `If-Match`: 412.
    PreconditionFailed,
    /// A body over the limit: 413.
    PayloadTooLarge,
    /// A URL longer than the service reads: 414.
    UriTooLong,
    /// A body that is not JSON: 415.
    UnsupportedMediaType,
    /// Too many failed attempts: 429.
    TooManyRequests,
    /// A bug or an unexpected failure: 500, with no detail given out.
    Internal,
    /// The database is unreachable or saturated: 503.
    ServiceUnavailable,
}

impl ErrorKind {
    /// The status of this kind (API 1.0 answers `Conflict` with 400, as the
    /// seed did: see `api_versioning::render`).
    pub fn status(self) -> StatusCode {
        match self {
            Self::Validation | Self::BadRequest => StatusCode::BAD_REQUEST,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::NotAcceptable => StatusCode::NOT_ACCEPTABLE,
            Self::Conflict => StatusCode::CONFLICT,
            Self::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UriTooLong => StatusCode::URI_TOO_LONG,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Self::ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

/// Validation messages by field; a list item's messages sit under its index.
///
/// Serialised as the 1.0 body: `{"name": ["..."], "colors": {"2": ["..."]}}`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldErrors(Map<String, Value>);

impl FieldErrors {
    /// No errors yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a message for a field.
    pub fn add(&mut self, field: &str, message: impl Into<String>) -> &mut Self {
        let entry = self
            .0
            .entry(field.to_owned())
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(messages) = entry {
            messages.push(Value::String(message.into()));
        }
        self
    }

    /// Adds a message for the item at `index` of a list field.
    pub fn add_item(&mut self, field: &str, index: usize, message: impl Into<String>) -> &mut Self {
        let entry = self
            .0
            .entry(field.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        if let Value::Object(items) = entry {
            let messages = items
                .entry(index.to_string())
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(messages) = messages {
                messages.push(Value::String(message.into()));
            }
        }
        self
    }

    /// Whether no field has a message.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The 1.0 shape: nested objects for list items.
    pub fn to_nested(&self) -> Value {
        Value::Object(self.0.clone())
    }

    /// The 2.0 shape: one flat map of `field` or `field.index` to messages.
    pub fn to_flat(&self) -> Value {
        let mut flat = Map::new();
        for (field, value) in &self.0 {
            match value {
                Value::Object(items) => {
                    for (index, messages) in items {
                        flat.insert(format!("{field}.{index}"), messages.clone());
                    }
                }
                other => {
                    flat.insert(field.clone(), other.clone());
                }
            }
        }
        Value::Object(flat)
    }

    /// The first message, to summarise the errors in one line.
    pub fn first_message(&self) -> Option<String> {
        fn first(value: &Value) -> Option<String> {
            match value {
                Value::String(s) => Some(s.clone()),
                Value::Array(items) => items.iter().find_map(first),
                Value::Object(map) => map.values().find_map(first),
                _ => None,
            }
        }
        self.0
            .iter()
            .find_map(|(field, value)| first(value).map(|m| format!("{field}: {m}")))
    }
}

/// An error answered to a client: what went wrong and what goes with it.
/// It knows no API version: `api_versioning::render` turns it into the
/// negotiated version's body and headers, in one place.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// What went wrong.
    pub kind: ErrorKind,
    /// A message for the client; never contains secrets.
    pub detail: String,
    /// Per-field messages of a validation error (boxed: errors travel in `Result`s).
    pub fields: Option<Box<FieldErrors>>,
    /// Seconds after which a retry makes sense (429, 503).
    pub retry_after: Option<u64>,
    /// Methods the path allows (405).
    pub allow: Option<String>,
    /// Extra members of the body, such as the supported versions of a 406.
    pub extra: Option<Box<Map<String, Value>>>,
}

impl ApiError {
    /// An error of `kind` with a message.
    pub fn new(kind: ErrorKind, detail: impl Into<String>) -> Self {
        Self {
            kind,
            detail: detail.into(),
            fields: None,
            retry_after: None,
            allow: None,
            extra: None,
        }
    }

    /// A validation error with messages by field.
    pub fn validation(fields: FieldErrors) -> Self {
        let detail = fields.first_message().unwrap_or_else(|| "Invalid input.".to_owned());
        Self {
            fields: Some(Box::new(fields)),
            ..Self::new(ErrorKind::Validation, detail)
        }
    }

    /// A validation error on one field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let mut fields = FieldErrors::new();
        fields.add(field, message);
        Self::validation(fields)
    }

    /// 400 with a message.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(ErrorKind::BadRequest, detail)
    }

    /// 401 as the seed's framework worded it.
    pub fn unauthorized() -> Self {
        Self::new(
            ErrorKind::Unauthorized,
            "Authentication credentials were not provided or are invalid.",
        )
    }

    /// 403 with a message.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(ErrorKind::Forbidden, detail)
    }

    /// 404 as the seed's framework worded it.
    pub fn not_found() -> Self {
        Self::new(ErrorKind::NotFound, "Not found.")
    }

    /// 409 in 2.0, 400 in 1.0; with a field it carries the field's message too.
    pub fn conflict(field: Option<&str>, detail: impl Into<String>) -> Self {
        let detail = detail.into();
        let fields = field.map(|field| {
            let mut fields = FieldErrors::new();
            fields.add(field, detail.clone());
            Box::new(fields)
        });
        Self {
            fields,
            ..Self::new(ErrorKind::Conflict, detail)
        }
    }

    /// 412 for a stale `If-Match`.
    pub fn precondition_failed() -> Self {
        Self::new(
            ErrorKind::PreconditionFailed,
            "The resource has changed since it was read (If-Match does not match its ETag).",
        )
    }

    /// 429 with `Retry-After`.
    pub fn too_many_requests(retry_after: u64) -> Self {
        Self {
            retry_after: Some(retry_after.max(1)),
            ..Self::new(
                ErrorKind::TooManyRequests,
                format!("Too many failed attempts. Try again in {} seconds.", retry_after.max(1)),
            )
        }
    }

    /// 503 with `Retry-After`.
    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self {
            retry_after: Some(1),
            ..Self::new(ErrorKind::ServiceUnavailable, detail)
        }
    }

    /// 503 for a database that cannot be reached or gives no connection.
    pub fn database_unavailable() -> Self {
        Self::unavailable("The database is unavailable; retry shortly.")
    }

    /// A logged 500; the client learns nothing of the cause.
    pub fn internal(cause: impl fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(ErrorKind::Internal, "A server error occurred.")
    }

    /// Adds a member to the body.
    pub fn with_extra(mut self, key: &str, value: Value) -> Self {
        self.extra
            .get_or_insert_with(Default::default)
            .insert(key.to_owned(), value);
        self
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.kind, self.detail)
    }
}

impl std::error::Error for ApiError {}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.kind.status()
    }

    /// A bare status: the response keeps this error, and the versioning
    /// middleware renders it, once, for the negotiated version
    /// (`api_versioning::render`), headers included.
    fn error_response(&self) -> HttpResponse {
        HttpResponse::new(self.kind.status())
    }
}

impl From<DieselError> for ApiError {
    fn from(error: DieselError) -> Self {
        match error {
            DieselError::NotFound => Self::not_found(),
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                Self::conflict(None, "A resource with these values already exists.")
            }
            DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => {
                Self::unavailable("A concurrent change got in the way; retry the request.")
            }
            // Two writers locking rows in opposite orders (two palettes swapping
            // names): PostgreSQL aborts one; that one lost a race, as with a duplicate.
            DieselError::DatabaseError(_, info) if info.message().contains("deadlock detected") => {
                Self::conflict(None, "A concurrent change conflicted with this one; retry the request.")
            }
            DieselError::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                _,
            ) => database_unavailable_because(&error),
            DieselError::DatabaseError(DatabaseErrorKind::Unknown, ref info) if is_unavailability(info.message()) => {
                database_unavailable_because(&error)
            }
            // A connection lost inside a transaction leaves its manager broken.
            DieselError::BrokenTransactionManager => database_unavailable_because(&error),
            DieselError::RollbackErrorOnCommit { commit_error, .. } => Self::from(*commit_error),
            other => Self::internal(other),
        }
    }
}

/// Whether a database error's message says the database is (for now) not
/// serving: shutting down, starting up, restarting after a crash, out of
/// connections, or cancelling a statement that ran out of time. PostgreSQL's
/// messages (its `lc_messages` is `C` by default); diesel does not expose
/// the SQLSTATE.
fn is_unavailability(message: &str) -> bool {
    const MESSAGES: [&str; 9] = [
        "canceling statement due to statement timeout",
        "canceling statement due to lock timeout",
        "canceling statement due to conflict with recovery",
        "terminating connection due to administrator command",
        "terminating connection because of crash of another server process",
        "terminating connection due to idle-in-transaction timeout",
        "the database system is",
        "sorry, too many clients already",
        "remaining connection slots are reserved",
    ];
    MESSAGES.iter().any(|known| message.starts_with(known))
}

/// The 503 of a database that is not serving, its cause logged as a warning
/// at most once every [`OUTAGE_LOG_INTERVAL_SECS`], however many requests
/// it fails meanwhile: an outage is one event in the log, not one per request.
fn database_unavailable_because(cause: &DieselError) -> ApiError {
    warn_unavailable(cause);
    ApiError::database_unavailable()
}

/// How often a continuing database outage is logged.
pub const OUTAGE_LOG_INTERVAL_SECS: u64 = 10;

/// Logs that the database is unavailable, at most once per interval.
pub fn warn_unavailable(cause: &dyn fmt::Display) {
    use std::sync::atomic::{AtomicU64, Ordering};
    static LAST_WARNED: AtomicU64 = AtomicU64::new(0);
    static SUPPRESSED: AtomicU64 = AtomicU64::new(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    let last = LAST_WARNED.load(Ordering::Relaxed);
    let due = now >= last + OUTAGE_LOG_INTERVAL_SECS
        && LAST_WARNED
            .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok();
    if due {
        let suppressed = SUPPRESSED.swap(0, Ordering::Relaxed);
        tracing::warn!(error = %cause, also_failed = suppressed, "the database is unavailable: answering 503");
    } else {
        SUPPRESSED.fetch_add(1, Ordering::Relaxed);
    }
}

impl From<diesel_async::pooled_connection::deadpool::PoolError> for ApiError {
    fn from(error: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        warn_unavailable(&error);
        Self::database_unavailable()
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(error: anyhow::Error) -> Self {
        Self::internal(format!("{error:#}"))
    }
}

/// The unique index or constraint a query failed on, if it failed on one:
/// a domain answers "taken" only for the index that says so, never for
/// another one (nor for a deadlock).
pub fn violated_unique_index(error: &DieselError) -> Option<&str> {
    match error {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => info.constraint_name(),
        _ => None,
    }
}
