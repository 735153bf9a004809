//! Every team at once, for operators (`palette-api teams list`, `users list`):
//! counts by group, one statement per list, never one per team or user.

use accounts::query::username_of;
use database::schema::{team_members, teams};
use database::PgConnection;
use diesel::dsl::count;
use diesel::prelude::*;
use diesel::result::QueryResult;
use diesel_async::RunQueryDsl;

use crate::model::{Role, Team, TeamSummary};

/// Every team by id, with its owners' usernames and its member count, in
/// two statements.
pub async fn team_summaries(conn: &mut PgConnection) -> QueryResult<Vec<TeamSummary>> {
    let counted: Vec<(Team, i64)> = teams::table
        .left_join(team_members::table)
        .group_by(teams::id)
        .select((Team::as_select(), count(team_members::user_id.nullable())))
        .order(teams::id)
        .load(conn)
        .await?;
    let owners: Vec<(i64, String)> = team_members::table
        .filter(team_members::role.eq(Role::Owner.as_str()))
        .select((team_members::team_id, username_of(team_members::user_id)))
        .order((team_members::team_id, team_members::user_id))
        .load(conn)
        .await?;
    let mut owners = owners.into_iter().peekable();
    Ok(counted
        .into_iter()
        .map(|(team, members)| {
            // Both lists are ordered by team id; owners of a team deleted
            // between the two statements are skipped.
            while owners.next_if(|(team_id, _)| *team_id < team.id).is_some() {}
            let owners = std::iter::from_fn(|| owners.next_if(|(team_id, _)| *team_id == team.id))
                .map(|(_, name)| name)
                .collect();
            TeamSummary { team, owners, members }
        })
        .collect())
}

/// How many teams each of `user_ids` belongs to, as `(user id, count)` by
/// user id; a user in no team is absent.
pub async fn team_counts(conn: &mut PgConnection, user_ids: &[i64]) -> QueryResult<Vec<(i64, i64)>> {
    team_members::table
        .filter(team_members::user_id.eq_any(user_ids))
        .group_by(team_members::user_id)
        .select((team_members::user_id, count(team_members::team_id)))
        .order(team_members::user_id)
        .load(conn)
        .await
}
