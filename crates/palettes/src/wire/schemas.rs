//! The palette write bodies as each version reads them, for the document.
//!
//! [`PaletteWrite`](super::PaletteWrite) reads both versions; the document
//! served for one version names these instead (`server::spec` puts
//! `<Name>V1`/`<Name>V2` in place of `<Name>`), so that it says exactly
//! which fields that version requires and takes: `POST` and `PUT` a
//! [`PaletteCreate`], `PATCH` a [`PaletteWrite`](super::PaletteWrite).

use utoipa::openapi::{OpenApi, RefOr, Schema};
use utoipa::{Modify, PartialSchema, ToSchema};

use super::{PaletteColorInput, PaletteHexInput};

/// The body of `POST` and `PUT` on palettes: `name` and the team required
/// (`owner_id` in 1.0, `team_id` in 2.0), the rest as in a `PATCH`.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct PaletteCreate {
    /// 1 to 255 characters after trimming; unique ignoring case within the team.
    #[schema(
        min_length = 1,
        max_length = 255,
        pattern = r"^[^\x00]*[^\x00\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\x00]*$"
    )]
    name: String,
    /// 2.0: free text, up to 2000 characters after trimming.
    #[schema(max_length = 2000, pattern = r"^[^\x00]*$", nullable = false)]
    description: Option<String>,
    /// 1.0 (required there): the owning team, one I belong to.
    #[schema(nullable = false)]
    owner_id: Option<i64>,
    /// 2.0 (required there): the owning team, one I belong to.
    #[schema(nullable = false)]
    team_id: Option<i64>,
    /// 0 to 256 colours, in order; 1.0 takes hex strings only.
    #[schema(max_items = 256, nullable = false)]
    colors: Option<Vec<PaletteColorInput>>,
}

/// A 1.0 `POST` or `PUT`: `name` and `owner_id`; other fields are ignored.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct PaletteCreateV1 {
    /// 1 to 255 characters after trimming; unique ignoring case within the team.
    #[schema(
        min_length = 1,
        max_length = 255,
        pattern = r"^[^\x00]*[^\x00\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\x00]*$"
    )]
    name: String,
    /// The owning team, one I belong to. Moving a palette needs both teams.
    owner_id: i64,
    /// 0 to 256 hex colours, in order (kept when left out of a `PUT`).
    #[schema(max_items = 256, nullable = false)]
    colors: Option<Vec<PaletteHexInput>>,
}

/// A 2.0 `POST` or `PUT`: `name` and `team_id`; other fields are ignored.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct PaletteCreateV2 {
    /// 1 to 255 characters after trimming; unique ignoring case within the team.
    #[schema(
        min_length = 1,
        max_length = 255,
        pattern = r"^[^\x00]*[^\x00\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\x00]*$"
    )]
    name: String,
    /// Free text, up to 2000 characters after trimming.
    #[schema(max_length = 2000, pattern = r"^[^\x00]*$", nullable = false)]
    description: Option<String>,
    /// The owning team, one I belong to. Moving a palette needs both teams.
    team_id: i64,
    /// 0 to 256 colours, in order: hex strings or objects with a name.
    #[schema(max_items = 256, nullable = false)]
    colors: Option<Vec<PaletteColorInput>>,
}

/// A 1.0 `PATCH`: any of `name`, `owner_id` and `colors`; those left out are kept.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct PaletteWriteV1 {
    /// 1 to 255 characters after trimming; unique ignoring case within the team.
    #[schema(
        min_length = 1,
        max_length = 255,
        pattern = r"^[^\x00]*[^\x00\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\x00]*$",
        nullable = false
    )]
    name: Option<String>,
    /// The owning team, one I belong to. Moving a palette needs both teams.
    #[schema(nullable = false)]
    owner_id: Option<i64>,
    /// 0 to 256 hex colours, in order.
    #[schema(max_items = 256, nullable = false)]
    colors: Option<Vec<PaletteHexInput>>,
}

/// A 2.0 `PATCH`: any of `name`, `description`, `team_id` and `colors`; those left out are kept.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct PaletteWriteV2 {
    /// 1 to 255 characters after trimming; unique ignoring case within the team.
    #[schema(
        min_length = 1,
        max_length = 255,
        pattern = r"^[^\x00]*[^\x00\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\x00]*$",
        nullable = false
    )]
    name: Option<String>,
    /// Free text, up to 2000 characters after trimming.
    #[schema(max_length = 2000, pattern = r"^[^\x00]*$", nullable = false)]
    description: Option<String>,
    /// The owning team, one I belong to. Moving a palette needs both teams.
    #[schema(nullable = false)]
    team_id: Option<i64>,
    /// 0 to 256 colours, in order: hex strings or objects with a name.
    #[schema(max_items = 256, nullable = false)]
    colors: Option<Vec<PaletteColorInput>>,
}

/// Adds the versions' write bodies to the document's components (no
/// operation names them: the served document of a version puts them in).
#[derive(Debug)]
pub struct VersionedSchemas;

impl Modify for VersionedSchemas {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let schemas: [(&str, RefOr<Schema>); 4] = [
            ("PaletteCreateV1", PaletteCreateV1::schema()),
            ("PaletteCreateV2", PaletteCreateV2::schema()),
            ("PaletteWriteV1", PaletteWriteV1::schema()),
            ("PaletteWriteV2", PaletteWriteV2::schema()),
        ];
        for (name, schema) in schemas {
            components.schemas.insert(name.to_owned(), schema);
        }
    }
}
