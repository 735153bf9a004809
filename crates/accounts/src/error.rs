//! Why an account operation was refused, and how each reason is answered.

use diesel::result::Error as DieselError;
use kernel::ApiError;

/// An accounts rule that refused an operation, or a database failure.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// An account cannot go while its user is the last owner of this team,
    /// which has other members.
    #[error("You are the last owner of team \"{0}\", which has other members: make another member an owner first.")]
    LastOwnerOf(String),
    /// A query failed.
    #[error(transparent)]
    Database(#[from] DieselError),
}

impl From<AccountError> for ApiError {
    fn from(error: AccountError) -> Self {
        let message = error.to_string();
        match error {
            AccountError::LastOwnerOf(_) => ApiError::conflict(None, message),
            AccountError::Database(error) => ApiError::from(error),
        }
    }
}
