//! Why a stream or a ticket was refused, and how each reason is answered.

use diesel::result::Error as DieselError;
use diesel_async::pooled_connection::deadpool::PoolError;
use kernel::error::ErrorKind;
use kernel::ApiError;

/// A refusal of the events domain, or a database failure.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    /// `?team=` names a team the user is not in (or none).
    #[error("Not found.")]
    NotFound,
    /// The ticket is unknown, used, expired, or the credential (of the
    /// ticket, or of the request) no longer holds: 401.
    #[error("Invalid or expired ticket.")]
    InvalidTicket,
    /// The user has as many open streams as allowed.
    #[error("At most {limit} event streams may be open at once per user; close one first.")]
    TooManyStreams {
        /// The per-user limit.
        limit: usize,
    },
    /// The server holds as many streams as it allows.
    #[error("The server holds as many event streams as it can; retry shortly.")]
    ServerFull,
    /// The server has not read the outbox's position yet (database unreachable at start).
    #[error("Live events are not available yet; retry shortly.")]
    NotReady,
    /// The position a stream read is older than the hub keeps: read again.
    #[error("Live events are busy; retry shortly.")]
    Behind,
    /// `?last_event_id=` is not an event id.
    #[error("Must be an event id (a whole number).")]
    InvalidLastEventId,
    /// No database connection could be had.
    #[error(transparent)]
    Unavailable(#[from] PoolError),
    /// A query failed.
    #[error(transparent)]
    Database(#[from] DieselError),
}

/// How long a client refused for too many streams waits before it retries.
const RETRY_STREAMS_SECS: u64 = 10;

impl From<EventError> for ApiError {
    fn from(error: EventError) -> Self {
        let message = error.to_string();
        match error {
            EventError::NotFound => ApiError::not_found(),
            EventError::InvalidTicket => ApiError::unauthorized(),
            EventError::TooManyStreams { .. } => ApiError {
                retry_after: Some(RETRY_STREAMS_SECS),
                ..ApiError::new(ErrorKind::TooManyRequests, message)
            },
            EventError::ServerFull | EventError::NotReady | EventError::Behind => ApiError::unavailable(message),
            EventError::InvalidLastEventId => ApiError::field("last_event_id", message),
            EventError::Unavailable(error) => ApiError::from(error),
            EventError::Database(error) => ApiError::from(error),
        }
    }
}
