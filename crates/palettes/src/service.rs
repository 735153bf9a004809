//! Rules, queries and transactions of palettes: one function per request,
//! called by its handler with the request already parsed. Functions take a
//! connection so callers can compose them in one transaction.
//!
//! Visibility is part of every query: a palette is read, changed or deleted
//! only through a filter `team_id IN (teams of the caller)` (teams'
//! [`member_team_ids`] subquery, or for lists the caller's team ids), so a
//! palette of another team behaves exactly like one that does not exist.
//!
//! Order of checks on one palette: not visible (404) first, as the seed's
//! framework did, so a body tells nothing about a palette one cannot see;
//! then a stale `If-Match` (412); then the body (400), with a team the
//! caller is not in reported among the body's other problems; then the write
//! (a duplicate name).
//!
//! A write or delete runs in one transaction that first locks the palette row
//! (`SELECT ... FOR UPDATE`), so concurrent writers of one palette take turns:
//! each checks and writes the state the previous one left, none is refused.
//! A create or copy is one statement that inserts only while the caller is a
//! member of the target team, locking that membership ([`locked_membership`]).

use ::teams::cache::{self, TeamCache, TeamsOfUser};
use ::teams::query::{locked_membership, member_team_ids, team_name_of};
use chrono::{DateTime, Utc};
use database::schema::palettes;
use database::PgConnection;
use diesel::dsl::now;
use diesel::prelude::*;
use diesel::result::QueryResult;
use diesel::sql_types::{Array, BigInt, Nullable, Text};
use diesel_async::{AsyncConnection, RunQueryDsl};
use kernel::{Cursor, FieldErrors, IfMatch};
use serde_json::Value;

use events::{outbox, EventKind, NewEvent};

use crate::error::PaletteError;
use crate::model::{CopyChanges, InvalidBody, Palette, PaletteChanges, PaletteValues, PaletteView, TeamDetail};
use crate::page_query::PageQuery;
use crate::wire::v2::PaletteV2;

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

/// A palette as a list loads it, with the database's lowercased name that
/// name orderings sort and page by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRow {
    /// The palette.
    pub palette: Palette,
    /// `lower(name)` as PostgreSQL computes it.
    pub sort_name: String,
}

/// `%` and `_` match literally in a `LIKE` pattern built from `text`.
fn like_contains(text: &str) -> String {
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

/// A page of the palettes of `user_id`'s teams, filtered, sorted, after the
/// keyset position, limited, with those teams (and their members): one
/// statement, the page (see [`crate::page_query`]), when the teams are in
/// `cache`; two when they are not.
pub async fn list(
    conn: &mut PgConnection,
    cache: &TeamCache,
    user_id: i64,
    query: &ListQuery,
) -> QueryResult<(Vec<ListRow>, TeamsOfUser)> {
    let teams = cache.of_user(conn, user_id).await?;
    let team_ids: Vec<i64> = teams
        .iter()
        .map(|team| team.team.id)
        .filter(|id| query.team.is_none_or(|team| team == *id))
        .collect();
    let position_fits = match (&query.after, query.ordering) {
        (None, _) | (Some(Position::Id(_)), Ordering::Id) => true,
        (Some(Position::Name(..)), ordering) => matches!(ordering, Ordering::Name | Ordering::NameDesc),
        (Some(Position::Time(..)), ordering) => !matches!(ordering, Ordering::Id | Ordering::Name | Ordering::NameDesc),
        (Some(Position::Id(_)), _) => false,
    };
    // `Ordering::position` only makes positions of its own kind.
    if team_ids.is_empty() || !position_fits {
        return Ok((Vec::new(), teams));
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
    let rows = rows
        .into_iter()
        .map(|(palette, sort_name)| ListRow { palette, sort_name })
        .collect();
    Ok((rows, teams))
}

/// How many palettes each of `team_ids` has, as `(team id, count)` by team
/// id, in one statement; a team without palettes is absent. For operators'
/// listings (`palette-api teams list`).
pub async fn palette_counts(conn: &mut PgConnection, team_ids: &[i64]) -> QueryResult<Vec<(i64, i64)>> {
    palettes::table
        .filter(palettes::team_id.eq_any(team_ids))
        .group_by(palettes::team_id)
        .select((palettes::team_id, diesel::dsl::count_star()))
        .order(palettes::team_id)
        .load(conn)
        .await
}

/// Palette `id` of `user_id`'s teams, with what `detail` asks of its team.
pub async fn read(
    conn: &mut PgConnection,
    cache: &TeamCache,
    user_id: i64,
    id: i64,
    detail: TeamDetail,
) -> Result<PaletteView, PaletteError> {
    let (palette, team_name) = find_visible(conn, user_id, id).await?.ok_or(PaletteError::NotFound)?;
    Ok(view(conn, (cache, user_id), palette, Some(team_name), detail).await?)
}

/// Creates a palette in a team of `user_id`'s: `body` as its request type
/// read it (name and team given), in one statement.
pub async fn create(
    conn: &mut PgConnection,
    cache: &TeamCache,
    user_id: i64,
    body: Result<PaletteChanges, InvalidBody>,
    detail: TeamDetail,
) -> Result<PaletteView, PaletteError> {
    let changes = match body {
        Ok(changes) => changes,
        // A team I am not in is reported with the other errors, as the seed did.
        Err(invalid) => return Err(refusal(conn, user_id, invalid, None).await?),
    };
    let values = PaletteValues::merge(None, changes);
    let (palette, team_name) = insert_with_event(conn, user_id, values).await?;
    Ok(view(conn, (cache, user_id), palette, Some(team_name), detail).await?)
}

/// Inserts a palette as [`insert_as_member`] does, with its
/// `palette.created` event, in one transaction; the palette and its team's name.
async fn insert_with_event(
    conn: &mut PgConnection,
    user_id: i64,
    values: PaletteValues,
) -> Result<(Palette, String), PaletteError> {
    conn.transaction::<_, PaletteError, _>(async move |conn| {
        let palette = insert_as_member(conn, user_id, &values)
            .await?
            .ok_or(PaletteError::NotAMember {
                team_id: values.team_id,
                also: FieldErrors::new(),
            })?;
        let team_name = ::teams::query::team_name(conn, palette.team_id).await?;
        let event = NewEvent::new(
            EventKind::PaletteCreated,
            palette.team_id,
            PaletteV2::new(&palette, &team_name),
        );
        outbox::record(conn, &[event]).await?;
        Ok((palette, team_name))
    })
    .await
}

/// Applies `body` (a PUT or PATCH as its request type read it) to palette
/// `id`, if `user_id` may see it and `precondition` holds, in one
/// transaction holding the palette's row lock. Moving it to another team
/// needs membership of that team too.
pub async fn write(
    conn: &mut PgConnection,
    cache: &TeamCache,
    user_id: i64,
    (id, precondition): (i64, &IfMatch),
    body: Result<PaletteChanges, InvalidBody>,
    detail: TeamDetail,
) -> Result<PaletteView, PaletteError> {
    let palette = conn
        .transaction::<_, PaletteError, _>(async move |conn| {
            let (current, team_name) = lock_for_write(conn, user_id, id, precondition).await?;
            // Visible means a member of the current team; a move also needs the target.
            let changes = match body {
                Ok(changes) => changes,
                Err(invalid) => return Err(refusal(conn, user_id, invalid, Some(current.team_id)).await?),
            };
            if let Some(team_id) = changes.team_id.filter(|team_id| *team_id != current.team_id) {
                if !lock_membership(conn, team_id, user_id).await? {
                    return Err(PaletteError::NotAMember {
                        team_id,
                        also: FieldErrors::new(),
                    });
                }
            }
            let values = PaletteValues::merge(Some(&current), changes);
            let palette = update(conn, id, &values).await?;
            let mut events = Vec::new();
            let team_name = if palette.team_id == current.team_id {
                team_name
            } else {
                // Moved: gone from the old team's view, there in the new one's.
                events.push(NewEvent::gone(EventKind::PaletteDeleted, current.team_id, id));
                ::teams::query::team_name(conn, palette.team_id).await?
            };
            events.push(NewEvent::new(
                EventKind::PaletteUpdated,
                palette.team_id,
                PaletteV2::new(&palette, &team_name),
            ));
            outbox::record(conn, &events).await?;
            Ok((palette, team_name))
        })
        .await?;
    let (palette, team_name) = palette;
    Ok(view(conn, (cache, user_id), palette, Some(team_name), detail).await?)
}

/// Deletes palette `id`, if `user_id` may see it and `precondition` holds,
/// in one transaction holding the palette's row lock; the team it was in.
pub async fn delete(
    conn: &mut PgConnection,
    user_id: i64,
    id: i64,
    precondition: &IfMatch,
) -> Result<i64, PaletteError> {
    conn.transaction::<_, PaletteError, _>(async move |conn| {
        let (palette, _) = lock_for_write(conn, user_id, id, precondition).await?;
        diesel::delete(palettes::table.find(id)).execute(conn).await?;
        outbox::record(conn, &[NewEvent::gone(EventKind::PaletteDeleted, palette.team_id, id)]).await?;
        Ok(palette.team_id)
    })
    .await
}

/// Copies palette `id` of `user_id`'s teams into a team of theirs (`body`
/// as its request type read it): the same team under a new name, or another,
/// in one statement.
pub async fn copy(
    conn: &mut PgConnection,
    cache: &TeamCache,
    user_id: i64,
    id: i64,
    body: Result<CopyChanges, InvalidBody>,
    detail: TeamDetail,
) -> Result<PaletteView, PaletteError> {
    let (original, _) = find_visible(conn, user_id, id).await?.ok_or(PaletteError::NotFound)?;
    let changes = match body {
        Ok(changes) => changes,
        // A team I am not in is reported with the other errors.
        Err(invalid) => return Err(refusal(conn, user_id, invalid, Some(original.team_id)).await?),
    };
    let values = PaletteValues {
        team_id: changes.team_id,
        name: changes.name.unwrap_or(original.name),
        description: original.description,
        colors: original.colors,
        color_names: original.color_names,
    };
    // Membership of the target team is checked by the insert itself.
    let (copy, team_name) = insert_with_event(conn, user_id, values).await?;
    Ok(view(conn, (cache, user_id), copy, Some(team_name), detail).await?)
}

/// The refusal of a body with problems: [`PaletteError::NotAMember`] with
/// them when it names a team `user_id` is not in (other than `member_of`,
/// the team of a palette they can see), else [`PaletteError::Invalid`]. The
/// membership stays locked until the caller's transaction ends, if any.
async fn refusal(
    conn: &mut PgConnection,
    user_id: i64,
    invalid: InvalidBody,
    member_of: Option<i64>,
) -> QueryResult<PaletteError> {
    if let Some(team_id) = invalid.team_id.filter(|team_id| Some(*team_id) != member_of) {
        if !lock_membership(conn, team_id, user_id).await? {
            return Ok(PaletteError::NotAMember {
                team_id,
                also: invalid.errors,
            });
        }
    }
    Ok(PaletteError::Invalid(invalid.errors))
}

/// Whether `user_id` is a member of `team_id`, the membership then locked
/// until the caller's transaction ends, if any (see [`locked_membership`]).
async fn lock_membership(conn: &mut PgConnection, team_id: i64, user_id: i64) -> QueryResult<bool> {
    let found: Option<i64> = locked_membership(team_id, user_id)
        .select(team_id.into_sql::<BigInt>())
        .first(conn)
        .await
        .optional()?;
    Ok(found.is_some())
}

/// `palette` with what `detail` asks of its team: from `viewer`'s cached
/// teams when there; otherwise `team_name` is looked up when not known, and
/// the members when asked for.
async fn view(
    conn: &mut PgConnection,
    (cache, user_id): (&TeamCache, i64),
    palette: Palette,
    team_name: Option<String>,
    detail: TeamDetail,
) -> QueryResult<PaletteView> {
    let with_members = detail == TeamDetail::NameAndMembers;
    let cached = cache.cached(user_id);
    if let Some(team) = cached.as_deref().and_then(|teams| cache::find(teams, palette.team_id)) {
        return Ok(PaletteView {
            team_name: team.team.name.clone(),
            team: with_members.then(|| team.clone()),
            palette,
        });
    }
    let team = match with_members {
        true => ::teams::service::teams_with_members(conn, &[palette.team_id])
            .await?
            .into_iter()
            .next(),
        false => None,
    };
    let team_name = match (&team, team_name) {
        (Some(team), _) => team.team.name.clone(),
        (None, Some(name)) => name,
        (None, None) => ::teams::query::team_name(conn, palette.team_id).await?,
    };
    Ok(PaletteView {
        palette,
        team_name,
        team,
    })
}

/// One palette of `user_id`'s teams, with its team's name.
async fn find_visible(conn: &mut PgConnection, user_id: i64, id: i64) -> QueryResult<Option<(Palette, String)>> {
    palettes::table
        .filter(palettes::id.eq(id))
        .filter(palettes::team_id.eq_any(member_team_ids(user_id)))
        .select((Palette::as_select(), team_name_of(palettes::team_id)))
        .first(conn)
        .await
        .optional()
}

/// Inserts a palette if `user_id` belongs to its team, in one statement
/// (`INSERT ... SELECT ... FROM teams JOIN team_members ... FOR SHARE`, see
/// [`locked_membership`]): a member removed at that moment is removed after
/// the palette is added, never before. `None` when they are not a member or
/// there is no such team.
async fn insert_as_member(
    conn: &mut PgConnection,
    user_id: i64,
    values: &PaletteValues,
) -> Result<Option<Palette>, PaletteError> {
    let source = locked_membership(values.team_id, user_id).select((
        values.team_id.into_sql::<BigInt>(),
        values.name.clone().into_sql::<Text>(),
        values.description.clone().into_sql::<Text>(),
        values.colors.clone().into_sql::<Array<Text>>(),
        values.color_names.clone().into_sql::<Array<Nullable<Text>>>(),
    ));
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

/// Palette `id`, locked (`SELECT ... FOR UPDATE`) until the caller's
/// transaction ends, if `user_id` may see it (else [`PaletteError::NotFound`])
/// and `precondition` holds for its current `ETag`, which covers its team's
/// name (read, not locked) (else [`PaletteError::PreconditionFailed`]): the
/// first checks of every write and delete. Concurrent writers of one palette
/// wait for each other and each sees the state the previous one left.
async fn lock_for_write(
    conn: &mut PgConnection,
    user_id: i64,
    id: i64,
    precondition: &IfMatch,
) -> Result<(Palette, String), PaletteError> {
    let row: Option<(Palette, String)> = palettes::table
        .filter(palettes::id.eq(id))
        .filter(palettes::team_id.eq_any(member_team_ids(user_id)))
        .select((Palette::as_select(), team_name_of(palettes::team_id)))
        .for_update()
        .first(conn)
        .await
        .optional()?;
    let (current, team_name) = row.ok_or(PaletteError::NotFound)?;
    if !precondition.allows(&current.etag(&team_name)) {
        return Err(PaletteError::PreconditionFailed);
    }
    Ok((current, team_name))
}

/// Writes `values` over palette `id`, locked by [`lock_for_write`] in the
/// same transaction, bumping its revision.
async fn update(conn: &mut PgConnection, id: i64, values: &PaletteValues) -> Result<Palette, PaletteError> {
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
