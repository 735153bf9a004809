//! What other domains may compose into their own statements from teams'
//! tables, so that they never name those tables and add no round trip.
//!
//! Each item is a diesel query fragment (a subquery, a source to select
//! from, a scalar expression) that the caller puts into its own statement, or
//! a lookup for when the caller has nothing to compose it into.
// diesel's `auto_type` makes an undocumented type alias of each function's type.
#![allow(missing_docs)]

use database::schema::{team_members, teams};
use database::PgConnection;
use diesel::dsl;
use diesel::expression::{is_aggregate, ValidGrouping};
use diesel::prelude::*;
use diesel::result::QueryResult;
use diesel::sql_types::BigInt;
use diesel_async::RunQueryDsl;

/// The subquery of [`member_team_ids`].
pub type MemberTeamIds =
    dsl::Select<dsl::Filter<team_members::table, dsl::Eq<team_members::user_id, i64>>, team_members::team_id>;

/// The ids of the teams `user_id` belongs to, as a subquery to filter on
/// (`team_id.eq_any(member_team_ids(user_id))`) in the caller's statement.
pub fn member_team_ids(user_id: i64) -> MemberTeamIds {
    team_members::table
        .filter(team_members::user_id.eq(user_id))
        .select(team_members::team_id)
}

/// One row when `user_id` is a member of team `team_id`, none otherwise (no
/// such team included), locking the team and the membership (`FOR SHARE`)
/// until the caller's transaction ends: a member removed, or a team deleted,
/// at that moment is so after the caller's statement, never before. The
/// caller selects what it needs from it (an `INSERT ... SELECT` of its own
/// values, for instance), in one statement.
#[diesel::dsl::auto_type]
pub fn locked_membership(team_id: i64, user_id: i64) -> _ {
    teams::table
        .inner_join(team_members::table)
        .filter(teams::id.eq(team_id))
        .filter(team_members::user_id.eq(user_id))
        .for_share()
}

/// The name of the team whose id is `team_id`, an expression of the caller's
/// query (`palettes::team_id`): a scalar subquery `(SELECT name FROM teams
/// WHERE id = ...)`. Typed as text, for ids that a foreign key keeps
/// pointing at a team.
#[diesel::dsl::auto_type]
pub fn team_name_of<T>(team_id: T) -> _
where
    T: Expression<SqlType = BigInt> + ValidGrouping<(), IsAggregate = is_aggregate::No>,
{
    teams::table
        .filter(teams::id.eq(team_id))
        .select(teams::name)
        .single_value()
        .assume_not_null()
}

/// The name of team `team_id`; `NotFound` when there is no such team.
pub async fn team_name(conn: &mut PgConnection, team_id: i64) -> QueryResult<String> {
    teams::table.find(team_id).select(teams::name).first(conn).await
}
