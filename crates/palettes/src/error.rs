//! The refusals of palettes, and the one conversion into the HTTP error.
//!
//! The domain names the owning team `team_id` (as 2.0 and copies do, in
//! both versions); 1.0 writes name it `owner_id` and word an unknown team as
//! the seed's framework did: `wire::v1::write_error` renames those.

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use kernel::{ApiError, FieldErrors};

/// The unique index on `(team_id, lower(name))`.
const NAME_INDEX: &str = "palettes_team_name_lower_key";

/// The domain's name of the field naming the owning team.
pub const TEAM_FIELD: &str = "team_id";

/// The error on [`TEAM_FIELD`] for a team the caller is not in (or that does
/// not exist: the same answer).
pub const NOT_A_MEMBER: &str = "You are not a member of a team with this id.";

/// Why a palette request is refused.
#[derive(Debug, thiserror::Error)]
pub enum PaletteError {
    /// No such palette among the caller's teams' (404, as if it did not exist).
    #[error("Not found.")]
    NotFound,
    /// `If-Match` does not admit the palette's current `ETag` (412).
    #[error("If-Match does not match the palette's current ETag.")]
    PreconditionFailed,
    /// The body has these problems, by field (400).
    #[error("invalid fields")]
    Invalid(FieldErrors),
    /// The body names a team the caller is not in, or none that exists (400
    /// on the team's field), besides the body's other problems.
    #[error("{}", NOT_A_MEMBER)]
    NotAMember {
        /// The team named.
        team_id: i64,
        /// The body's other problems.
        also: FieldErrors,
    },
    /// The team already has a palette of that name, ignoring case (409 in
    /// 2.0, 400 in 1.0).
    #[error("A palette with this name already exists in this team.")]
    DuplicateName,
    /// The target team is gone (deleted while the request ran).
    #[error("The team does not exist.")]
    UnknownTeam,
    /// Any other database failure.
    #[error(transparent)]
    Database(DieselError),
}

impl From<DieselError> for PaletteError {
    fn from(error: DieselError) -> Self {
        if kernel::error::violated_unique_index(&error) == Some(NAME_INDEX) {
            return Self::DuplicateName;
        }
        match &error {
            DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => Self::UnknownTeam,
            _ => Self::Database(error),
        }
    }
}

impl From<PaletteError> for ApiError {
    fn from(error: PaletteError) -> Self {
        match error {
            PaletteError::NotFound => Self::not_found(),
            PaletteError::PreconditionFailed => Self::precondition_failed(),
            PaletteError::Invalid(errors) => Self::validation(errors),
            PaletteError::NotAMember { mut also, .. } => {
                also.add(TEAM_FIELD, NOT_A_MEMBER);
                Self::validation(also)
            }
            PaletteError::DuplicateName => Self::conflict(Some("name"), PaletteError::DuplicateName.to_string()),
            PaletteError::UnknownTeam => Self::field(TEAM_FIELD, PaletteError::UnknownTeam.to_string()),
            PaletteError::Database(error) => error.into(),
        }
    }
}
