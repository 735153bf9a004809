//! API 2.0 shapes of palettes.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::model::Palette;

/// The field naming the owning team in 2.0 writes: the domain's own name.
pub const TEAM_FIELD: &str = crate::error::TEAM_FIELD;

/// A palette in API 2.0.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaletteV2 {
    /// Palette id.
    pub id: i64,
    /// Name, unique ignoring case within the team.
    pub name: String,
    /// Free text; empty when none.
    pub description: String,
    /// The owning team.
    pub team: PaletteTeamV2,
    /// The colours, in order.
    pub colors: Vec<PaletteColorV2>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Time of the last write.
    pub updated_at: DateTime<Utc>,
    /// Starts at 1 and grows by one on every write.
    pub revision: i32,
}

/// The owning team of a palette in API 2.0.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaletteTeamV2 {
    /// Team id.
    pub id: i64,
    /// Team name.
    pub name: String,
}

/// A colour of a palette in API 2.0.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaletteColorV2 {
    /// Lowercase `#rrggbb`, or `#rrggbbaa` when not opaque.
    pub hex: String,
    /// The colour's name, or null.
    #[schema(required)]
    pub name: Option<String>,
}

/// A page of palettes in API 2.0.
#[derive(Debug, Serialize, ToSchema)]
pub struct PalettePageV2 {
    /// The palettes of this page.
    pub items: Vec<PaletteV2>,
    /// The `cursor` of the next page, or null on the last page.
    #[schema(required)]
    pub next_cursor: Option<String>,
}

impl PaletteV2 {
    /// The 2.0 shape of `palette`, owned by a team named `team_name`.
    pub fn new(palette: &Palette, team_name: &str) -> Self {
        Self {
            id: palette.id,
            name: palette.name.clone(),
            description: palette.description.clone(),
            team: PaletteTeamV2 {
                id: palette.team_id,
                name: team_name.to_owned(),
            },
            colors: palette
                .color_entries()
                .map(|(hex, name)| PaletteColorV2 {
                    hex: hex.to_owned(),
                    name: name.map(str::to_owned),
                })
                .collect(),
            created_at: palette.created_at,
            updated_at: palette.updated_at,
            revision: palette.revision,
        }
    }
}
