//! Why a team operation was refused, and how each reason is answered.

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::pooled_connection::deadpool::PoolError;
use kernel::ApiError;

/// A team rule that refused an operation, or a database failure.
#[derive(Debug, thiserror::Error)]
pub enum TeamError {
    /// No such team (or invitation, or member), or one the caller may not see.
    #[error("Not found.")]
    NotFound,
    /// A member tried an owner's action.
    #[error("Only an owner of this team can do this.")]
    NotOwner,
    /// Another non-personal team has this name, ignoring case.
    #[error("A team with that name already exists.")]
    DuplicateName,
    /// Personal teams are named after their user.
    #[error("A personal team keeps the name of its user and cannot be renamed.")]
    RenamePersonal,
    /// Personal teams live as long as their user.
    #[error("A personal team cannot be deleted.")]
    DeletePersonal,
    /// A user cannot leave their own personal team.
    #[error("You cannot leave your personal team.")]
    LeavePersonal,
    /// The user of a personal team stays in it, as an owner.
    #[error("The user of a personal team stays its owner: they cannot be removed or step down.")]
    PersonalOwner,
    /// The change would leave the team without an owner.
    #[error("A team must keep an owner: make another member an owner first.")]
    LastOwner,
    /// No user has the username given in an invitation.
    #[error("No user with that username.")]
    UnknownUser,
    /// The invited user is a member already.
    #[error("That user is already a member of this team.")]
    AlreadyMember,
    /// The user has a pending invitation to this team already.
    #[error("That user is already invited to this team.")]
    AlreadyInvited,
    /// `If-Match` names another state of the team.
    #[error("The team has changed since it was read.")]
    Stale,
    /// No database connection could be had.
    #[error(transparent)]
    Unavailable(#[from] PoolError),
    /// A query failed.
    #[error(transparent)]
    Database(DieselError),
}

impl From<DieselError> for TeamError {
    /// A row that vanished under a concurrent change (a foreign key that no
    /// longer holds) is answered like a missing one, never as a server error.
    fn from(error: DieselError) -> Self {
        match error {
            DieselError::NotFound | DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => {
                Self::NotFound
            }
            other => Self::Database(other),
        }
    }
}

impl From<TeamError> for ApiError {
    fn from(error: TeamError) -> Self {
        let message = error.to_string();
        match error {
            TeamError::NotFound => ApiError::not_found(),
            TeamError::NotOwner => ApiError::forbidden(message),
            TeamError::DuplicateName | TeamError::RenamePersonal => ApiError::conflict(Some("name"), message),
            TeamError::AlreadyMember | TeamError::AlreadyInvited => ApiError::conflict(Some("username"), message),
            TeamError::DeletePersonal | TeamError::LeavePersonal | TeamError::PersonalOwner | TeamError::LastOwner => {
                ApiError::conflict(None, message)
            }
            TeamError::UnknownUser => ApiError::field("username", message),
            TeamError::Stale => ApiError::precondition_failed(),
            TeamError::Unavailable(error) => ApiError::from(error),
            TeamError::Database(error) => ApiError::from(error),
        }
    }
}
