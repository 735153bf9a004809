//! Queries and rules of palettes. Functions take a connection so callers can
//! compose them in one transaction.
//!
//! Visibility is part of every query: a palette is read, changed or deleted
//! only through a filter `team_id IN (teams of the caller)` (a subquery on
//! memberships, or for lists the caller's team ids), so a palette of another
//! team behaves exactly like one that does not exist.

use ::teams::service::member_team_ids;
use chrono::{DateTime, Utc};
use database::schema::{palettes, team_members, teams};
use diesel::dsl::now;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError, QueryResult};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use kernel::{ApiError, Cursor, FieldErrors};
use serde_json::Value;

use crate::model::{Palette, PaletteValues};
use crate::page_query::PageQuery;

diesel::define_sql_function! {
    /// PostgreSQL's `lower`: names sort and page ignoring case.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// The unique index on `(team_id, lower(name))`.
const NAME_INDEX: &str = "palettes_team_name_lower_key";

/// What can go wrong writing a palette, beyond the database failing.
#[derive(Debug, thiserror::Error)]
pub enum PaletteError {
    /// The team already has a palette of that name, ignoring case.
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
        match &error {
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info)
                if info.constraint_name() == Some(NAME_INDEX) =>
            {
                Self::DuplicateName
            }
            DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => Self::UnknownTeam,
            _ => Self::Database(error),
        }
    }
}

impl PaletteError {
    /// The API error; `team_field` names the team in this API version's body.
    pub fn into_api_error(self, team_field: &str) -> ApiError {
        match self {
            Self::DuplicateName => ApiError::conflict(Some("name"), Self::DuplicateName.to_string()),
            Self::UnknownTeam => ApiError::field(team_field, Self::UnknownTeam.to_string()),
            Self::Database(error) => error.into(),
        }
    }
}

/// How a list is sorted; every order ends with the id, so it is total.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ordering {
    /// By id ascending (creation order): the default.
    Id,
    /// By name ignoring case, then id.
    Name,
    /// By name ignoring case, descending, then id descending.
    NameDesc,
    /// By creation time, then id.
    CreatedAt,
    /// By creation time descending, then id descending.
    CreatedAtDesc,
    /// By time of the last write, then id.
    UpdatedAt,
    /// By time of the last write descending, then id descending.
    UpdatedAtDesc,
}

impl Ordering {
    /// Every accepted `?ordering=` value.
    pub const VALUES: [&'static str; 6] = [
        "name",
        "-name",
        "created_at",
        "-created_at",
        "updated_at",
        "-updated_at",
    ];

    /// The ordering a `?ordering=` value asks for.
    pub fn parse(value: &str) -> Option<Self> {
        Some(match value {
            "name" => Self::Name,
            "-name" => Self::NameDesc,
            "created_at" => Self::CreatedAt,
            "-created_at" => Self::CreatedAtDesc,
            "updated_at" => Self::UpdatedAt,
            "-updated_at" => Self::UpdatedAtDesc,
            _ => return None,
        })
    }

    /// The `?ordering=` value (`id` for the default), also the cursor's tag.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Id => "id",
            Self::Name => "name",
            Self::NameDesc => "-name",
            Self::CreatedAt => "created_at",
            Self::CreatedAtDesc => "-created_at",
            Self::UpdatedAt => "updated_at",
            Self::UpdatedAtDesc => "-updated_at",
        }
    }

    /// The cursor of the page after `row`: this ordering, its sort key, its id.
    pub fn cursor_after(self, row: &ListRow) -> Cursor {
        let tag = self.as_str().into();
        let id = row.palette.id.into();
        Cursor(match self {
            Self::Id => vec![tag, id],
            Self::Name | Self::NameDesc => vec![tag, row.sort_name.clone().into(), id],
            Self::CreatedAt | Self::CreatedAtDesc => vec![tag, row.palette.created_at.timestamp_micros().into(), id],
            Self::UpdatedAt | Self::UpdatedAtDesc => vec![tag, row.palette.updated_at.timestamp_micros().into(), id],
        })
    }

    /// Reads a cursor this ordering issued; a cursor of another ordering, or
    /// one the server did not issue, is an error on `cursor`.
    pub fn position(self, cursor: &Cursor) -> Result<Position, FieldErrors> {
        let invalid = || cursor_error("Invalid cursor: use the one from the previous page.");
        let keys: &[Value] = &cursor.0;
        if keys.first().and_then(Value::as_str) != Some(self.as_str()) {
            return Err(cursor_error(
                "This cursor belongs to another ordering: start again without a cursor.",
            ));
        }
        let expected_len = if self == Self::Id { 2 } else { 3 };
        if keys.len() != expected_len {
            return Err(invalid());
        }
        let id = keys[expected_len - 1].as_i64().ok_or_else(invalid)?;
        Ok(match self {
            Self::Id => Position::Id(id),
            Self::Name | Self::NameDesc => Position::Name(keys[1].as_str().ok_or_else(invalid)?.to_owned(), id),
            _ => Position::Time(
                keys[1]
                    .as_i64()
                    // PostgreSQL holds no time before 4713 BC (chrono's own upper
                    // bound is below PostgreSQL's): earlier keys were never issued.
                    .filter(|micros| *micros >= -210_866_803_200_000_000)
                    .and_then(DateTime::from_timestamp_micros)
                    .ok_or_else(invalid)?,
                id,
            ),
        })
    }
}

fn cursor_error(message: &str) -> FieldErrors {
    let mut errors = FieldErrors::new();
    errors.add("cursor", message);
    errors
}

/// Where the previous page ended, as the ordering's key and the id.
#[derive(Debug, Clone, PartialEq)]
pub enum Position {
    /// After this id.
    Id(i64),
    /// After this lowercased name, then this id.
    Name(String, i64),
    /// After this time, then this id.
    Time(DateTime<Utc>, i64),
}

/// What a list asks for: filters, order, page.
#[derive(Debug, Clone, PartialEq)]
pub struct ListQuery {
    /// Only this team's palettes.
    pub team: Option<i64>,
    /// Only names containing this text, ignoring case.
    pub search: Option<String>,
    /// Only palettes containing this canonical colour.
    pub color: Option<String>,
    /// The sort order.
    pub ordering: Ordering,
    /// Where the previous page ended.
    pub after: Option<Position>,
    /// How many rows to fetch (the page size plus one).
    pub fetch: i64,
}

/// A palette as lists and reads load it: with its team's name, and the
/// database's lowercased name that name orderings sort and page by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRow {
    /// The palette.
    pub palette: Palette,
    /// Its team's name.
    pub team_name: String,
    /// `lower(name)` as PostgreSQL computes it.
    pub sort_name: String,
}

type RowTuple = (Palette, String, String);

fn into_row((palette, team_name, sort_name): RowTuple) -> ListRow {
    ListRow {
        palette,
        team_name,
        sort_name,
    }
}

/// `%` and `_` match literally in a `LIKE` pattern built from `text`.
pub fn like_contains(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// A page of the palettes of `team_ids` (the caller's teams), filtered,
/// sorted, after the keyset position, limited: one statement, see
/// [`crate::page_query`]. `team_name` is left empty: the caller has the
/// teams, names included.
pub async fn list(conn: &mut AsyncPgConnection, team_ids: &[i64], query: &ListQuery) -> QueryResult<Vec<ListRow>> {
    let team_ids: Vec<i64> = match query.team {
        Some(team) => team_ids.iter().copied().filter(|id| *id == team).collect(),
        None => team_ids.to_vec(),
    };
    let position_fits = match (&query.after, query.ordering) {
        (None, _) | (Some(Position::Id(_)), Ordering::Id) => true,
        (Some(Position::Name(..)), ordering) => matches!(ordering, Ordering::Name | Ordering::NameDesc),
        (Some(Position::Time(..)), ordering) => !matches!(ordering, Ordering::Id | Ordering::Name | Ordering::NameDesc),
        (Some(Position::Id(_)), _) => false,
    };
    // `Ordering::position` only makes positions of its own kind.
    if team_ids.is_empty() || !position_fits {
        return Ok(Vec::new());
    }
    let statement = PageQuery {
        team_ids,
        name_pattern: query.search.as_deref().map(like_contains),
        color: query.color.clone().map(|color| vec![color]),
        ordering: query.ordering,
        after: query.after.clone(),
        fetch: query.fetch,
    };
    let rows: Vec<(Palette, String)> = statement.load(conn).await?;
    Ok(rows
        .into_iter()
        .map(|(palette, sort_name)| ListRow {
            palette,
            team_name: String::new(),
            sort_name,
        })
        .collect())
}

/// One palette of `user_id`'s teams, with its team's name.
pub async fn find_visible(conn: &mut AsyncPgConnection, user_id: i64, id: i64) -> QueryResult<Option<ListRow>> {
    let row: Option<RowTuple> = palettes::table
        .inner_join(teams::table)
        .filter(palettes::id.eq(id))
        .filter(palettes::team_id.eq_any(member_team_ids(user_id)))
        .select((Palette::as_select(), teams::name, lower(palettes::name)))
        .first(conn)
        .await
        .optional()?;
    Ok(row.map(into_row))
}

/// The name of a team (for a palette written into it).
pub async fn team_name(conn: &mut AsyncPgConnection, team_id: i64) -> QueryResult<String> {
    teams::table.find(team_id).select(teams::name).first(conn).await
}

/// Inserts a palette if `user_id` belongs to its team, in one statement
/// (`INSERT ... SELECT ... FROM teams JOIN team_members ... FOR SHARE`) that
/// locks the team and the membership until it commits, as
/// [`teams::service::lock_membership`] does: a member removed at that moment
/// is removed after the palette is added, never before. `None` when they are
/// not a member or there is no such team.
pub async fn insert_as_member(
    conn: &mut AsyncPgConnection,
    user_id: i64,
    values: &PaletteValues,
) -> Result<Option<Palette>, PaletteError> {
    use diesel::sql_types::{Array, Nullable, Text};
    let source = teams::table
        .inner_join(team_members::table)
        .filter(teams::id.eq(values.team_id))
        .filter(team_members::user_id.eq(user_id))
        .select((
            teams::id,
            values.name.clone().into_sql::<Text>(),
            values.description.clone().into_sql::<Text>(),
            values.colors.clone().into_sql::<Array<Text>>(),
            values.color_names.clone().into_sql::<Array<Nullable<Text>>>(),
        ))
        .for_share();
    let columns = (
        palettes::team_id,
        palettes::name,
        palettes::description,
        palettes::colors,
        palettes::color_names,
    );
    Ok(diesel::insert_into(palettes::table)
        .values(source)
        .into_columns(columns)
        .returning(Palette::as_returning())
        .get_result(conn)
        .await
        .optional()?)
}

/// Palette `id` if visible to `user_id`, locked (`SELECT ... FOR UPDATE`)
/// until the caller's transaction ends: concurrent writers of one palette
/// wait for each other and each sees the state the previous one left.
/// Also gives its team's name (read, not locked), which its `ETag` covers.
pub async fn lock_visible(
    conn: &mut AsyncPgConnection,
    user_id: i64,
    id: i64,
) -> QueryResult<Option<(Palette, String)>> {
    let team_name = teams::table
        .filter(teams::id.eq(palettes::team_id))
        .select(teams::name)
        .single_value();
    let row: Option<(Palette, Option<String>)> = palettes::table
        .filter(palettes::id.eq(id))
        .filter(palettes::team_id.eq_any(member_team_ids(user_id)))
        .select((Palette::as_select(), team_name))
        .for_update()
        .first(conn)
        .await
        .optional()?;
    Ok(row.map(|(palette, name)| (palette, name.unwrap_or_default())))
}

/// Writes `values` over palette `id`, locked by [`lock_visible`] in the same
/// transaction, bumping its revision.
pub async fn update(conn: &mut AsyncPgConnection, id: i64, values: &PaletteValues) -> Result<Palette, PaletteError> {
    Ok(diesel::update(palettes::table.find(id))
        .set((
            values,
            palettes::revision.eq(palettes::revision + 1),
            palettes::updated_at.eq(now),
        ))
        .returning(Palette::as_returning())
        .get_result(conn)
        .await?)
}

/// Deletes palette `id`, locked by [`lock_visible`] in the same transaction.
pub async fn delete(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<()> {
    diesel::delete(palettes::table.find(id)).execute(conn).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(like_contains("50%_off\\"), "%50\\%\\_off\\\\%");
        assert_eq!(like_contains("blue"), "%blue%");
    }

    #[test]
    fn orderings_round_trip_and_cursors_stay_with_their_ordering() {
        for value in Ordering::VALUES {
            let ordering = Ordering::parse(value).unwrap_or(Ordering::Id);
            assert_eq!(ordering.as_str(), value);
        }
        assert_eq!(Ordering::parse("id"), None);
        assert_eq!(Ordering::parse("Name"), None);
        let row = ListRow {
            palette: Palette {
                id: 7,
                team_id: 1,
                name: "Sea".into(),
                description: String::new(),
                colors: vec![],
                color_names: vec![],
                created_at: Utc::now(),
                updated_at: Utc::now(),
                revision: 1,
            },
            team_name: "t".into(),
            sort_name: "sea".into(),
        };
        let cursor = Ordering::NameDesc.cursor_after(&row);
        assert_eq!(
            Ordering::NameDesc.position(&cursor).ok(),
            Some(Position::Name("sea".into(), 7))
        );
        assert!(Ordering::Name.position(&cursor).is_err());
        let cursor = Ordering::CreatedAt.cursor_after(&row);
        assert_eq!(
            Ordering::CreatedAt.position(&cursor).ok(),
            Some(Position::Time(
                DateTime::from_timestamp_micros(row.palette.created_at.timestamp_micros()).unwrap_or_default(),
                7
            ))
        );
        assert!(Ordering::UpdatedAt.position(&cursor).is_err());
        assert!(Ordering::Id.position(&cursor).is_err());
    }
}
