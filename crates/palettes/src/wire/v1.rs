//! API 1.0 shapes of palettes, as the seed wrote them.

use kernel::ApiError;
use serde::Serialize;
use teams::model::TeamWithMembers;
use utoipa::ToSchema;

use crate::error::PaletteError;
use crate::model::Palette;

/// The field naming the owning team in 1.0 writes.
pub const TEAM_FIELD: &str = "owner_id";

/// A palette in API 1.0.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaletteV1 {
    /// Palette id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Canonical colours: lowercase `#rrggbb`, or `#rrggbbaa` when not opaque.
    pub colors: Vec<String>,
    /// The owning team with its users.
    pub owner: PaletteTeamV1,
}

/// The owning team of a palette in API 1.0, as the seed nested it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaletteTeamV1 {
    /// Team id.
    pub id: i64,
    /// Team name.
    pub name: String,
    /// The team's members.
    pub users: Vec<PaletteTeamUserV1>,
}

/// A member of a palette's team in API 1.0.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaletteTeamUserV1 {
    /// User id.
    pub id: i64,
    /// Username.
    pub username: String,
}

impl PaletteV1 {
    /// The 1.0 shape of `palette`, owned by `team_name` with `members` (when found).
    pub fn new(palette: &Palette, team_name: &str, members: Option<&TeamWithMembers>) -> Self {
        Self {
            id: palette.id,
            name: palette.name.clone(),
            colors: palette.colors.clone(),
            owner: PaletteTeamV1 {
                id: palette.team_id,
                name: team_name.to_owned(),
                users: members
                    .map(|team| {
                        team.members
                            .iter()
                            .map(|m| PaletteTeamUserV1 {
                                id: m.user_id,
                                username: m.username.clone(),
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            },
        }
    }
}

/// The API error of a refused 1.0 write (`POST`, `PUT`, `PATCH`): the team
/// is `owner_id`, and one the caller is not in is worded as the seed's
/// framework worded an unknown related id; other errors as in 2.0.
pub fn write_error(error: PaletteError) -> ApiError {
    match error {
        PaletteError::NotAMember { team_id, mut also } => {
            also.add(TEAM_FIELD, format!("Invalid pk \"{team_id}\" - object does not exist."));
            ApiError::validation(also)
        }
        PaletteError::UnknownTeam => ApiError::field(TEAM_FIELD, PaletteError::UnknownTeam.to_string()),
        other => other.into(),
    }
}
