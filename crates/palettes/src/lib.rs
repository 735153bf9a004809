//! Palettes: named, ordered lists of colours owned by a team.
//!
//! - [`color`] parses the accepted colour forms and gives the canonical one
//!   (lowercase `#rrggbb`, or `#rrggbbaa` when not opaque);
//! - [`model`] holds the row and the domain types, [`service`] the rules,
//!   queries and transactions ([`page_query`] the statement of a list page),
//!   [`error`] the refusals, [`routes`] the handlers, [`wire`] the shapes
//!   and request types of each API version.
//!
//! A palette is visible and writable to the members of its team only; to
//! anyone else it does not exist (404). Reads and writes of one palette
//! filter on `team_id IN (SELECT team_id FROM team_members WHERE user_id =
//! $me)` (teams' `query::member_team_ids`: palettes names no table of
//! teams), so visibility costs no extra round trip. Lists take the caller's
//! teams (with their members, for 1.0) from `teams::TeamCache`, kept in
//! process and fresh through PostgreSQL change notices, and read only the
//! page itself: one statement per list.
//!
//! # Why colours are parallel arrays on the palette row
//!
//! A palette's colours are two arrays on its row, `colors` (canonical hex) and
//! `color_names` (a name or null, same length), rather than a child table:
//!
//! - a page of palettes is one query on `palettes` alone (the teams it
//!   nests come from the caller's cached teams), never one per palette, and
//!   needs no join that multiplies rows by colours or aggregation to fold
//!   them back;
//! - the colours are always read and written whole, in order, with their
//!   palette, so a write is one `UPDATE` that bumps the revision atomically;
//! - `?color=` is `colors @> ARRAY[$hex]`, served by a GIN index;
//! - the database still guards them: at most 256, the two arrays of equal
//!   length, every value canonical (checks in the migration).
//!
//! The cost, that a single colour cannot be addressed by its own id, buys
//! nothing for this API, which has no per-colour endpoint.
//!
//! # Lists
//!
//! Keyset pagination: the cursor holds the ordering, the last item's sort
//! key and its id, and the next page continues strictly after that pair in
//! the same order, so items created between requests never shift a page.
//! The default order is by id ascending (creation order); `name` sorts by
//! `lower(name)` as PostgreSQL computes it, the value the cursor keeps.

#![warn(missing_docs)]
pub mod color;
pub mod error;
pub mod model;
pub mod page_query;
pub mod routes;
pub mod service;
pub mod wire;

pub use error::PaletteError;
pub use routes::configure;
pub use wire::schemas::VersionedSchemas;

/// Other paths that serve palettes' routes, as (alias, path) prefixes:
/// `/api/palletes` is the seed's misspelling, kept for its clients.
pub const PATH_ALIASES: &[(&str, &str)] = &[("/api/palletes", "/api/palettes")];
