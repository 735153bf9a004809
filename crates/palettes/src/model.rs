//! Rows and domain types of palettes.

use chrono::{DateTime, Utc};
use database::schema::palettes;
use diesel::prelude::*;
use kernel::etag::Fnv64;
use kernel::FieldErrors;
use teams::model::TeamWithMembers;

/// Longest palette name, in characters, after trimming.
pub const MAX_NAME_CHARS: usize = 255;
/// Longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 2000;
/// Longest colour name, in characters, after trimming.
pub const MAX_COLOR_NAME_CHARS: usize = 100;
/// Most colours in one palette.
pub const MAX_COLORS: usize = 256;

/// A palette row. Colours are two parallel arrays: `colors[i]` is the
/// canonical hex of the i-th colour and `color_names[i]` its optional name.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq, Eq)]
#[diesel(table_name = palettes, check_for_backend(diesel::pg::Pg))]
pub struct Palette {
    /// Primary key.
    pub id: i64,
    /// The owning team.
    pub team_id: i64,
    /// Trimmed name, unique ignoring case within the team.
    pub name: String,
    /// Free text; empty when none.
    pub description: String,
    /// Canonical hex values, in order.
    pub colors: Vec<String>,
    /// The name of each colour, parallel to `colors`.
    pub color_names: Vec<Option<String>>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Time of the last write.
    pub updated_at: DateTime<Utc>,
    /// Starts at 1, grows by one on every write.
    pub revision: i32,
}

impl Palette {
    /// The colours as (hex, name) pairs, in order.
    pub fn color_entries(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.colors
            .iter()
            .enumerate()
            .map(|(i, hex)| (hex.as_str(), self.color_names.get(i).and_then(|n| n.as_deref())))
    }

    /// The palette as the file formats see it (crate `exports`).
    pub fn to_file(&self) -> exports::PaletteFile {
        exports::PaletteFile {
            name: Some(self.name.clone()),
            description: Some(self.description.clone()).filter(|d| !d.is_empty()),
            swatches: self
                .color_entries()
                .map(|(hex, name)| {
                    // Stored colours are canonical: they always parse.
                    let color = exports::Rgba::from_hex(hex).unwrap_or(exports::Rgba::rgb(0, 0, 0));
                    exports::Swatch::new(color, name)
                })
                .collect(),
        }
    }

    /// The entity tag of this revision as shown with its team's name (the
    /// 2.0 shape holds the name, so a rename changes the tag), quoted as HTTP
    /// wants it.
    pub fn etag(&self, team_name: &str) -> String {
        let mut team = Fnv64::new();
        team.write_i64(self.team_id);
        team.write_str(team_name);
        format!("\"{}-{}-{:016x}\"", self.id, self.revision, team.finish())
    }
}

/// New colours for a palette, already normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewColors {
    /// Canonical hex values, in order.
    pub hexes: Vec<String>,
    /// The name of each colour; `None` when the writer does not know colour
    /// names (API 1.0), so the names of colours kept in place survive.
    pub names: Option<Vec<Option<String>>>,
}

impl NewColors {
    /// The names to store with these colours, given the palette's current ones.
    ///
    /// Without names (a 1.0 write), each new colour takes the name of the
    /// first not yet used current colour with the same hex, so a 1.0 client
    /// that sends back what it read does not erase names set through 2.0.
    pub fn names_given(&self, current: Option<&Palette>) -> Vec<Option<String>> {
        if let Some(names) = &self.names {
            return names.clone();
        }
        let Some(current) = current else {
            return vec![None; self.hexes.len()];
        };
        let mut available: Vec<(&str, Option<&str>)> = current.color_entries().collect();
        self.hexes
            .iter()
            .map(|hex| {
                let found = available.iter().position(|(old, _)| old == hex)?;
                let (_, name) = available.remove(found);
                name.map(str::to_owned)
            })
            .collect()
    }
}

/// A write as read from a request body: absent fields are `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PaletteChanges {
    /// Trimmed name.
    pub name: Option<String>,
    /// Trimmed description (2.0).
    pub description: Option<String>,
    /// The owning team (`owner_id` in 1.0, `team_id` in 2.0).
    pub team_id: Option<i64>,
    /// The colours.
    pub colors: Option<NewColors>,
}

/// A copy as read from a request body: the target team, and a new name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyChanges {
    /// The team to copy into.
    pub team_id: i64,
    /// The copy's name; the original's when `None`.
    pub name: Option<String>,
}

/// A request body with problems: what they are, by field, and the team it
/// names when that field could be read (whether the caller is in it is
/// reported with the other problems, as the seed did).
#[derive(Debug, Clone, PartialEq)]
pub struct InvalidBody {
    /// The problems, by field.
    pub errors: FieldErrors,
    /// The team the body names.
    pub team_id: Option<i64>,
}

impl From<FieldErrors> for InvalidBody {
    /// Problems found before any field could be read (a body that is not an object).
    fn from(errors: FieldErrors) -> Self {
        Self { errors, team_id: None }
    }
}

/// What a response shows of a palette's team.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TeamDetail {
    /// Its name (2.0).
    Name,
    /// Its name and members (1.0).
    NameAndMembers,
}

/// A palette with what a response shows of its team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaletteView {
    /// The palette.
    pub palette: Palette,
    /// Its team's name.
    pub team_name: String,
    /// Its team with the members, when asked for ([`TeamDetail::NameAndMembers`]).
    pub team: Option<TeamWithMembers>,
}

impl PaletteView {
    /// The palette's entity tag, see [`Palette::etag`].
    pub fn etag(&self) -> String {
        self.palette.etag(&self.team_name)
    }
}

/// Every column a write sets, the palette's full new state.
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = palettes)]
pub struct PaletteValues {
    /// Owning team.
    pub team_id: i64,
    /// Trimmed name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Canonical hex values.
    pub colors: Vec<String>,
    /// Colour names, parallel to `colors`.
    pub color_names: Vec<Option<String>>,
}

impl PaletteValues {
    /// The state after applying `changes` to `current` (or to nothing, for a
    /// create, where the caller has checked that name and team are given).
    pub fn merge(current: Option<&Palette>, changes: PaletteChanges) -> Self {
        let color_names = changes.colors.as_ref().map(|colors| colors.names_given(current));
        let colors = changes.colors.map(|colors| colors.hexes);
        Self {
            team_id: changes.team_id.or(current.map(|p| p.team_id)).unwrap_or_default(),
            name: changes
                .name
                .or_else(|| current.map(|p| p.name.clone()))
                .unwrap_or_default(),
            description: changes
                .description
                .or_else(|| current.map(|p| p.description.clone()))
                .unwrap_or_default(),
            colors: colors.or_else(|| current.map(|p| p.colors.clone())).unwrap_or_default(),
            color_names: color_names
                .or_else(|| current.map(|p| p.color_names.clone()))
                .unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn palette(colors: &[(&str, Option<&str>)]) -> Palette {
        Palette {
            id: 1,
            team_id: 2,
            name: "Sea".to_owned(),
            description: "Blues".to_owned(),
            colors: colors.iter().map(|(h, _)| (*h).to_owned()).collect(),
            color_names: colors.iter().map(|(_, n)| n.map(str::to_owned)).collect(),
            created_at: Utc::now(),
            updated_at: Utc::now(),
            revision: 3,
        }
    }

    #[test]
    fn writes_without_names_keep_the_names_of_kept_colours() {
        let current = palette(&[("#000000", Some("ink")), ("#ffffff", Some("paper")), ("#000000", None)]);
        let colors = NewColors {
            hexes: vec!["#ffffff".into(), "#000000".into(), "#ff0000".into(), "#000000".into()],
            names: None,
        };
        assert_eq!(
            colors.names_given(Some(&current)),
            vec![Some("paper".into()), Some("ink".into()), None, None]
        );
        assert_eq!(colors.names_given(None), vec![None; 4]);
    }

    #[test]
    fn merge_keeps_what_a_write_leaves_out() {
        let current = palette(&[("#000000", Some("ink"))]);
        let merged = PaletteValues::merge(
            Some(&current),
            PaletteChanges {
                name: Some("Ocean".into()),
                ..PaletteChanges::default()
            },
        );
        assert_eq!(merged.name, "Ocean");
        assert_eq!(merged.description, "Blues");
        assert_eq!(merged.team_id, 2);
        assert_eq!(merged.colors, vec!["#000000".to_owned()]);
        assert_eq!(merged.color_names, vec![Some("ink".to_owned())]);
    }
}
