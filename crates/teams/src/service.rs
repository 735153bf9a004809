//! Queries and rules of teams. Functions take a connection so callers (this
//! crate's routes, and other domains through their services) can compose them
//! in one transaction.
//!
//! Member listings join `users` for the username: one query for any number
//! of teams, never one per member.

use database::schema::{team_members, teams, users};
use diesel::prelude::*;
use diesel::result::QueryResult;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::model::{Member, NewMember, NewTeam, Role, Team, TeamWithMembers};

/// The ids of the teams `user_id` belongs to, as a subquery other domains can
/// filter on (`team_id.eq_any(member_team_ids(user_id))`) in a single statement.
pub fn member_team_ids(
    user_id: i64,
) -> diesel::dsl::Select<
    diesel::dsl::Filter<team_members::table, diesel::dsl::Eq<team_members::user_id, i64>>,
    team_members::team_id,
> {
    team_members::table
        .filter(team_members::user_id.eq(user_id))
        .select(team_members::team_id)
}

/// Creates a user's personal team, named after them, with them as owner.
pub async fn create_personal_team(conn: &mut AsyncPgConnection, user_id: i64, username: &str) -> QueryResult<Team> {
    let team: Team = diesel::insert_into(teams::table)
        .values(NewTeam {
            name: username,
            personal_user_id: Some(user_id),
        })
        .returning(Team::as_returning())
        .get_result(conn)
        .await?;
    add_member(conn, team.id, user_id, Role::Owner).await?;
    Ok(team)
}

/// Adds a member with a role.
pub async fn add_member(conn: &mut AsyncPgConnection, team_id: i64, user_id: i64, role: Role) -> QueryResult<()> {
    diesel::insert_into(team_members::table)
        .values(NewMember {
            team_id,
            user_id,
            role: role.as_str(),
        })
        .execute(conn)
        .await
        .map(drop)
}

/// The personal team of a user.
pub async fn personal_team_id(conn: &mut AsyncPgConnection, user_id: i64) -> QueryResult<Option<i64>> {
    teams::table
        .filter(teams::personal_user_id.eq(user_id))
        .select(teams::id)
        .first(conn)
        .await
        .optional()
}

/// The ids of the teams a user belongs to, ascending.
pub async fn team_ids_of(conn: &mut AsyncPgConnection, user_id: i64) -> QueryResult<Vec<i64>> {
    member_team_ids(user_id).order(team_members::team_id).load(conn).await
}

/// The role of a user in a team, or `None` when not a member (or no such team).
pub async fn role_of(conn: &mut AsyncPgConnection, team_id: i64, user_id: i64) -> QueryResult<Option<Role>> {
    let role: Option<String> = team_members::table
        .filter(team_members::team_id.eq(team_id))
        .filter(team_members::user_id.eq(user_id))
        .select(team_members::role)
        .first(conn)
        .await
        .optional()?;
    Ok(role.as_deref().and_then(Role::parse))
}

/// Whether a user belongs to a team.
pub async fn is_member(conn: &mut AsyncPgConnection, team_id: i64, user_id: i64) -> QueryResult<bool> {
    Ok(role_of(conn, team_id, user_id).await?.is_some())
}

/// Teams by id, ascending.
pub async fn teams_by_ids(conn: &mut AsyncPgConnection, ids: &[i64]) -> QueryResult<Vec<Team>> {
    teams::table
        .filter(teams::id.eq_any(ids))
        .select(Team::as_select())
        .order(teams::id)
        .load(conn)
        .await
}

/// The members of several teams in one query, by team then user id.
pub async fn members_of(conn: &mut AsyncPgConnection, team_ids: &[i64]) -> QueryResult<Vec<Member>> {
    let rows: Vec<(i64, i64, String, String)> = team_members::table
        .inner_join(users::table)
        .filter(team_members::team_id.eq_any(team_ids))
        .select((team_members::team_id, users::id, users::username, team_members::role))
        .order((team_members::team_id, users::id))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(team_id, user_id, username, role)| Member {
            team_id,
            user_id,
            username,
            role: Role::parse(&role).unwrap_or(Role::Member),
        })
        .collect())
}

/// Teams by id with their members, ascending by team then user id, in one query.
pub async fn teams_with_members(conn: &mut AsyncPgConnection, team_ids: &[i64]) -> QueryResult<Vec<TeamWithMembers>> {
    let rows: Vec<(Team, i64, String, String)> = team_members::table
        .inner_join(teams::table)
        .inner_join(users::table)
        .filter(team_members::team_id.eq_any(team_ids))
        .select((Team::as_select(), users::id, users::username, team_members::role))
        .order((team_members::team_id, users::id))
        .load(conn)
        .await?;
    let mut out: Vec<TeamWithMembers> = Vec::new();
    for (team, user_id, username, role) in rows {
        let member = Member {
            team_id: team.id,
            user_id,
            username,
            role: Role::parse(&role).unwrap_or(Role::Member),
        };
        match out.last_mut() {
            Some(last) if last.team.id == team.id => last.members.push(member),
            _ => out.push(TeamWithMembers {
                team,
                members: vec![member],
            }),
        }
    }
    Ok(out)
}

/// Teams with their members, in the order of `teams`: two queries in all.
pub async fn with_members(conn: &mut AsyncPgConnection, teams: Vec<Team>) -> QueryResult<Vec<TeamWithMembers>> {
    let ids: Vec<i64> = teams.iter().map(|t| t.id).collect();
    let members = members_of(conn, &ids).await?;
    Ok(teams
        .into_iter()
        .map(|team| {
            let members = members.iter().filter(|m| m.team_id == team.id).cloned().collect();
            TeamWithMembers { team, members }
        })
        .collect())
}
