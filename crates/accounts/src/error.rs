//! Why an account operation was refused, and how each reason is answered.

use diesel::result::Error as DieselError;
use diesel_async::pooled_connection::deadpool::PoolError;
use kernel::ApiError;

/// The unique index that keeps usernames unique ignoring case.
const USERNAME_INDEX: &str = "users_username_lower_key";
/// The unique index that keeps usernames from looking alike (UTS #39 skeletons).
const SKELETON_INDEX: &str = "users_username_skeleton_key";

/// An accounts rule that refused an operation, or a failure underneath.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// Another user has this username, ignoring case.
    #[error("A user with that username already exists.")]
    UsernameTaken,
    /// The current password given to change it is not the user's.
    #[error("The current password is wrong.")]
    WrongCurrentPassword,
    /// Too many wrong passwords from this client: retry after these seconds.
    #[error("Too many failed attempts. Try again in {0} seconds.")]
    TooManyAttempts(u64),
    /// The user has no token with this id.
    #[error("Not found.")]
    NoSuchToken,
    /// `If-Match` names another state of the account.
    #[error("The account has changed since it was read.")]
    Stale,
    /// An account cannot go while its user is the last owner of this team,
    /// which has other members.
    #[error("You are the last owner of team \"{0}\", which has other members: make another member an owner first.")]
    LastOwnerOf(String),
    /// Hashing or verifying a password failed.
    #[error(transparent)]
    Hashing(anyhow::Error),
    /// No database connection could be had.
    #[error(transparent)]
    Unavailable(#[from] PoolError),
    /// A query failed.
    #[error(transparent)]
    Database(#[from] DieselError),
}

impl AccountError {
    /// The error of inserting a user: a unique violation of the username
    /// index is a taken username; anything else (another index, a deadlock)
    /// stays what it is.
    pub(crate) fn of_user_insert(error: DieselError) -> Self {
        if matches!(
            kernel::error::violated_unique_index(&error),
            Some(USERNAME_INDEX | SKELETON_INDEX)
        ) {
            Self::UsernameTaken
        } else {
            Self::Database(error)
        }
    }
}

impl From<AccountError> for ApiError {
    fn from(error: AccountError) -> Self {
        let message = error.to_string();
        match error {
            AccountError::UsernameTaken => ApiError::conflict(Some("username"), message),
            AccountError::WrongCurrentPassword => ApiError::field("current_password", message),
            AccountError::TooManyAttempts(seconds) => ApiError::too_many_requests(seconds),
            AccountError::NoSuchToken => ApiError::not_found(),
            AccountError::Stale => ApiError::precondition_failed(),
            AccountError::LastOwnerOf(_) => ApiError::conflict(None, message),
            AccountError::Hashing(error) => ApiError::from(error),
            AccountError::Unavailable(error) => ApiError::from(error),
            AccountError::Database(error) => ApiError::from(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use diesel::result::{DatabaseErrorInformation, DatabaseErrorKind};
    use kernel::ErrorKind;

    use super::*;

    /// What PostgreSQL reports about a failed statement.
    struct Report {
        message: &'static str,
        constraint: Option<&'static str>,
    }

    impl DatabaseErrorInformation for Report {
        fn message(&self) -> &str {
            self.message
        }
        fn details(&self) -> Option<&str> {
            None
        }
        fn hint(&self) -> Option<&str> {
            None
        }
        fn table_name(&self) -> Option<&str> {
            Some("users")
        }
        fn column_name(&self) -> Option<&str> {
            None
        }
        fn constraint_name(&self) -> Option<&str> {
            self.constraint
        }
        fn statement_position(&self) -> Option<i32> {
            None
        }
    }

    fn failure(kind: DatabaseErrorKind, message: &'static str, constraint: Option<&'static str>) -> DieselError {
        DieselError::DatabaseError(kind, Box::new(Report { message, constraint }))
    }

    fn answer(error: DieselError) -> ApiError {
        ApiError::from(AccountError::of_user_insert(error))
    }

    #[test]
    fn a_violation_of_the_username_index_is_a_taken_username() {
        let taken = answer(failure(
            DatabaseErrorKind::UniqueViolation,
            "duplicate key value violates unique constraint \"users_username_lower_key\"",
            Some(USERNAME_INDEX),
        ));
        assert_eq!(taken.kind, ErrorKind::Conflict);
        assert_eq!(taken.detail, "A user with that username already exists.");
        let fields = taken.fields.expect("names the field");
        assert_eq!(
            fields.to_nested(),
            serde_json::json!({"username": ["A user with that username already exists."]})
        );
    }

    #[test]
    fn other_registration_failures_are_not_a_taken_username() {
        let other_index = failure(
            DatabaseErrorKind::UniqueViolation,
            "duplicate key value violates unique constraint \"users_pkey\"",
            Some("users_pkey"),
        );
        let deadlock = failure(DatabaseErrorKind::Unknown, "deadlock detected", None);
        let serialization = failure(
            DatabaseErrorKind::SerializationFailure,
            "could not serialize access",
            None,
        );
        for error in [other_index, deadlock, serialization, DieselError::NotFound] {
            let described = format!("{error:?}");
            let answered = answer(error);
            assert!(
                answered.fields.is_none() && !answered.detail.contains("username"),
                "{described} answered {answered:?}"
            );
        }
    }
}
