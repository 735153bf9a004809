//! The statement that reads a page of palettes.
//!
//! Diesel has no `LATERAL`, so this one statement is written out here, as a
//! query fragment with bound parameters. Its text depends only on the
//! ordering and on which filters are present, so diesel prepares it once per
//! connection and shape and reuses it, as for the DSL's statements.
//!
//! The shape: for each of the caller's teams, the first `fetch` palettes of
//! that team in the page's order after the cursor (an index range on
//! `(team_id, id)` or `(team_id, lower(name))`), then the first `fetch` of
//! those. A page thus reads at most `teams x fetch` rows of the caller's own
//! teams, however many palettes other teams hold. The plain
//! `WHERE team_id = ANY(..) ORDER BY id LIMIT ..` is cheaper to write, but
//! its generic plan walks the primary key past every other team's palettes,
//! which made a page of a user in small teams take tens of milliseconds
//! once another team held 50,000 palettes.

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Integer, Nullable, Text, Timestamptz};
use diesel::QueryResult;

use crate::service::{Ordering, Position};

/// A page of palettes of some teams; see the module docs.
#[derive(Debug, Clone)]
pub struct PageQuery {
    /// The teams whose palettes are listed.
    pub team_ids: Vec<i64>,
    /// A `LIKE` pattern the name must match, ignoring case.
    pub name_pattern: Option<String>,
    /// A colour the palette must contain (one canonical hex).
    pub color: Option<Vec<String>>,
    /// The order.
    pub ordering: Ordering,
    /// Where the previous page ended; of the ordering's own kind.
    pub after: Option<Position>,
    /// How many rows to read.
    pub fetch: i64,
}

impl PageQuery {
    /// The sort key of `ordering` on the rows of `table`, as SQL.
    fn key(&self, table: &str) -> String {
        match self.ordering {
            Ordering::Id => format!("{table}.id"),
            Ordering::Name | Ordering::NameDesc => format!("lower({table}.name), {table}.id"),
            Ordering::CreatedAt | Ordering::CreatedAtDesc => format!("{table}.created_at, {table}.id"),
            Ordering::UpdatedAt | Ordering::UpdatedAtDesc => format!("{table}.updated_at, {table}.id"),
        }
    }

    fn descending(&self) -> bool {
        matches!(
            self.ordering,
            Ordering::NameDesc | Ordering::CreatedAtDesc | Ordering::UpdatedAtDesc
        )
    }

    /// `ORDER BY` of the rows of `table`.
    fn order_by(&self, table: &str) -> String {
        let key = self.key(table);
        if self.descending() {
            key.split(", ")
                .map(|column| format!("{column} DESC"))
                .collect::<Vec<_>>()
                .join(", ")
        } else {
            key
        }
    }
}

impl QueryId for PageQuery {
    type QueryId = ();
    // The text varies with the ordering and the filters: diesel caches the
    // prepared statement by its text.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for PageQuery {
    type SqlType = (
        (
            BigInt,
            BigInt,
            Text,
            Text,
            Array<Text>,
            Array<Nullable<Text>>,
            Timestamptz,
            Timestamptz,
            Integer,
        ),
        Text,
    );
}

impl QueryFragment<Pg> for PageQuery {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql(
            "SELECT p.id, p.team_id, p.name, p.description, p.colors, p.color_names, \
             p.created_at, p.updated_at, p.revision, lower(p.name) FROM unnest(",
        );
        out.push_bind_param::<Array<BigInt>, _>(&self.team_ids)?;
        out.push_sql(
            ") AS mine (team_id) CROSS JOIN LATERAL (SELECT * FROM palettes \
             WHERE palettes.team_id = mine.team_id",
        );
        if let Some(pattern) = &self.name_pattern {
            out.push_sql(" AND palettes.name ILIKE ");
            out.push_bind_param::<Text, _>(pattern)?;
        }
        if let Some(color) = &self.color {
            out.push_sql(" AND palettes.colors @> ");
            out.push_bind_param::<Array<Text>, _>(color)?;
        }
        if let Some(after) = &self.after {
            out.push_sql(" AND (");
            out.push_sql(&self.key("palettes"));
            out.push_sql(if self.descending() { ") < (" } else { ") > (" });
            match after {
                Position::Id(id) => out.push_bind_param::<BigInt, _>(id)?,
                Position::Name(name, id) => {
                    out.push_bind_param::<Text, _>(name)?;
                    out.push_sql(", ");
                    out.push_bind_param::<BigInt, _>(id)?;
                }
                Position::Time(at, id) => {
                    out.push_bind_param::<Timestamptz, _>(at)?;
                    out.push_sql(", ");
                    out.push_bind_param::<BigInt, _>(id)?;
                }
            }
            out.push_sql(")");
        }
        out.push_sql(" ORDER BY ");
        out.push_sql(&self.order_by("palettes"));
        out.push_sql(" LIMIT ");
        out.push_bind_param::<BigInt, _>(&self.fetch)?;
        out.push_sql(") AS p ORDER BY ");
        out.push_sql(&self.order_by("p"));
        out.push_sql(" LIMIT ");
        out.push_bind_param::<BigInt, _>(&self.fetch)?;
        Ok(())
    }
}
