//! API 1.0 shapes of palettes, as the seed wrote them.

use kernel::{input, FieldErrors};
use serde::Serialize;
use serde_json::{Map, Value};
use teams::model::TeamWithMembers;
use utoipa::ToSchema;

use crate::model::{Palette, PaletteChanges};
use crate::wire::{read_colors, read_name};

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

/// Reads a 1.0 write: `name`, `colors` (hex strings) and `owner_id`, the
/// first and last `required` (POST, PUT). Returns what was read and the
/// problems found; a body that is not an object is an error at once.
pub fn read_write(map: &Map<String, Value>, required: bool) -> (PaletteChanges, FieldErrors) {
    let mut errors = FieldErrors::new();
    let changes = PaletteChanges {
        name: read_name(map, required, &mut errors),
        description: None,
        team_id: input::id(map, TEAM_FIELD, required, &mut errors).flatten(),
        colors: read_colors(map, false, &mut errors),
    };
    (changes, errors)
}
