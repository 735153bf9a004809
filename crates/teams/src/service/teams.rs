//! Teams themselves: personal teams, reading teams with their members,
//! creating, renaming and deleting.

use accounts::query::username_of;
use database::schema::{team_members, teams};
use database::PgConnection;
use database::Pool;
use diesel::prelude::*;
use diesel::result::QueryResult;
use diesel_async::{AsyncConnection, RunQueryDsl};
use kernel::error::violated_unique_index;
use kernel::IfMatch;

use events::{EventKind, NewEvent};

use super::{
    add_member, departure_events, lock_as_owner, member, member_event, members_of, record, team_deleted_event,
    team_updated_event,
};
use crate::cache::{self, Committed, TeamCache};
use crate::error::TeamError;
use crate::model::{NewTeam, Role, Team, TeamWithMembers};
use crate::query::member_team_ids;

/// Creates a user's personal team, named after them, with them as owner.
pub async fn create_personal_team(conn: &mut PgConnection, user_id: i64, username: &str) -> QueryResult<Team> {
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

/// The personal team of a user.
pub async fn personal_team_id(conn: &mut PgConnection, user_id: i64) -> QueryResult<Option<i64>> {
    teams::table
        .filter(teams::personal_user_id.eq(user_id))
        .select(teams::id)
        .first(conn)
        .await
        .optional()
}

/// The ids of the teams a user belongs to, ascending.
pub async fn team_ids_of(conn: &mut PgConnection, user_id: i64) -> QueryResult<Vec<i64>> {
    member_team_ids(user_id).order(team_members::team_id).load(conn).await
}

/// Every membership with its team and the member's username, by team then
/// user id: the query of the two functions below, before their filter.
#[diesel::dsl::auto_type]
fn memberships_with_teams() -> _ {
    let team: diesel::dsl::AsSelect<Team, diesel::pg::Pg> = Team::as_select();
    team_members::table
        .inner_join(teams::table)
        .select((
            team,
            team_members::user_id,
            username_of(team_members::user_id),
            team_members::role,
        ))
        .order((team_members::team_id, team_members::user_id))
}

/// A team with one of its members, as the two queries below load them.
type MemberRow = (Team, i64, String, String);

/// Teams by id with their members, ascending by team then user id, in one
/// query. Public for palettes, which shows a palette's team.
pub async fn teams_with_members(conn: &mut PgConnection, team_ids: &[i64]) -> QueryResult<Vec<TeamWithMembers>> {
    let rows: Vec<MemberRow> = memberships_with_teams()
        .filter(team_members::team_id.eq_any(team_ids))
        .load(conn)
        .await?;
    Ok(group_members(rows))
}

/// Every team of `user_id`, by id, each with its members (by user id), in one statement.
pub async fn user_teams_with_members(conn: &mut PgConnection, user_id: i64) -> QueryResult<Vec<TeamWithMembers>> {
    let mine = diesel::alias!(team_members as mine);
    let my_team_ids = mine
        .filter(mine.field(team_members::user_id).eq(user_id))
        .select(mine.field(team_members::team_id));
    let rows: Vec<MemberRow> = memberships_with_teams()
        .filter(team_members::team_id.eq_any(my_team_ids))
        .load(conn)
        .await?;
    Ok(group_members(rows))
}

/// Rows ordered by team, folded into one [`TeamWithMembers`] per team.
fn group_members(rows: Vec<MemberRow>) -> Vec<TeamWithMembers> {
    let mut out: Vec<TeamWithMembers> = Vec::new();
    for (team, user_id, username, role) in rows {
        let member = member(team.id, user_id, username, &role);
        match out.last_mut() {
            Some(last) if last.team.id == team.id => last.members.push(member),
            _ => out.push(TeamWithMembers {
                team,
                members: vec![member],
            }),
        }
    }
    out
}

/// A page of `user_id`'s teams by id, after `after_id`, at most `limit`:
/// from the cache of each user's teams, or all of them read in one statement
/// (and cached) when they are not there; the page is cut from those.
pub async fn my_teams(
    pool: &Pool,
    cache: &TeamCache,
    user_id: i64,
    after_id: Option<i64>,
    limit: i64,
) -> Result<Vec<TeamWithMembers>, TeamError> {
    let teams = match cache.cached(user_id) {
        Some(teams) => teams,
        None => cache.of_user(&mut *pool.get().await?, user_id).await?,
    };
    Ok(teams
        .iter()
        .filter(|team| after_id.is_none_or(|after| team.team.id > after))
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .cloned()
        .collect())
}

/// A team of `user_id`'s with its members, from the cache of their teams
/// when there (no statement); `NotFound` when they are not a member.
pub async fn get_team(
    pool: &Pool,
    cache: &TeamCache,
    team_id: i64,
    user_id: i64,
) -> Result<TeamWithMembers, TeamError> {
    let cached = cache.cached(user_id);
    if let Some(team) = cached.as_deref().and_then(|teams| cache::find(teams, team_id)) {
        return Ok(team.clone());
    }
    teams_with_members(&mut *pool.get().await?, &[team_id])
        .await?
        .into_iter()
        .find(|team| team.role_of(user_id).is_some())
        .ok_or(TeamError::NotFound)
}

/// The index that keeps non-personal team names unique ignoring case.
const NAME_INDEX: &str = "teams_name_lower_key";

/// A failed write of a team name: a taken name is `DuplicateName`.
fn name_error(error: diesel::result::Error) -> TeamError {
    if violated_unique_index(&error) == Some(NAME_INDEX) {
        TeamError::DuplicateName
    } else {
        TeamError::from(error)
    }
}

/// Creates a team named `name` (trimmed already) with `owner_id` as its owner.
/// A name taken ignoring case, even by a team created at the same moment, is
/// `DuplicateName`.
pub async fn create_team(
    conn: &mut PgConnection,
    owner_id: i64,
    name: &str,
) -> Result<Committed<TeamWithMembers>, TeamError> {
    let team = conn
        .transaction::<_, TeamError, _>(async move |conn| {
            let team: Team = diesel::insert_into(teams::table)
                .values(NewTeam {
                    name,
                    personal_user_id: None,
                })
                .returning(Team::as_returning())
                .get_result(conn)
                .await
                .map_err(name_error)?;
            add_member(conn, team.id, owner_id, Role::Owner).await?;
            let members = members_of(conn, team.id).await?;
            let joined: Vec<NewEvent> = members
                .iter()
                .map(|m| member_event(EventKind::MemberJoined, m))
                .collect();
            record(conn, &joined).await?;
            Ok(TeamWithMembers { team, members })
        })
        .await?;
    Ok(Committed::new(team).user(owner_id))
}

/// Renames a team `user_id` owns; `None` keeps the name (and still checks
/// the precondition). A personal team keeps its user's name.
pub async fn rename_team(
    conn: &mut PgConnection,
    team_id: i64,
    user_id: i64,
    name: Option<&str>,
    if_match: &IfMatch,
) -> Result<Committed<TeamWithMembers>, TeamError> {
    let team = conn
        .transaction::<_, TeamError, _>(async move |conn| {
            let mut locked = lock_as_owner(conn, team_id, user_id).await?;
            locked.check(if_match)?;
            let Some(name) = name else {
                return Ok(locked.team);
            };
            if locked.team.team.name == name {
                return Ok(locked.team);
            }
            if locked.team.team.personal {
                return Err(TeamError::RenamePersonal);
            }
            locked.team.team = diesel::update(teams::table.find(team_id))
                .set((teams::name.eq(name), teams::updated_at.eq(diesel::dsl::now)))
                .returning(Team::as_returning())
                .get_result(conn)
                .await
                .map_err(name_error)?;
            record(conn, &[team_updated_event(&locked.team)]).await?;
            Ok(locked.team)
        })
        .await?;
    Ok(Committed::new(team).team(team_id))
}

/// Deletes a team `user_id` owns, with its palettes; personal teams stay.
pub async fn delete_team(
    conn: &mut PgConnection,
    team_id: i64,
    user_id: i64,
    if_match: &IfMatch,
) -> Result<Committed<()>, TeamError> {
    conn.transaction::<_, TeamError, _>(async move |conn| {
        let locked = lock_as_owner(conn, team_id, user_id).await?;
        locked.check(if_match)?;
        if locked.team.team.personal {
            return Err(TeamError::DeletePersonal);
        }
        diesel::delete(teams::table.find(team_id)).execute(conn).await?;
        record(conn, &[team_deleted_event(&locked.team)]).await?;
        Ok(())
    })
    .await?;
    Ok(Committed::new(()).team(team_id))
}

/// Before an account goes, inside its deletion transaction: locks every team
/// of the user (in id order, so concurrent deletions cannot deadlock) and
/// names the first non-personal team with other members whose last owner the
/// user is: while there is one, the account cannot go (`Err` with its name).
/// Their personal team goes with the account, whoever else is in it.
/// Otherwise, the events the deletion makes, for the transaction to record
/// last: `member.left` from each shared team (and `team.deleted` for one they
/// were alone in), `team.deleted` of the personal team to its members.
pub async fn account_departure(conn: &mut PgConnection, user_id: i64) -> QueryResult<Result<Vec<NewEvent>, String>> {
    let locked: Vec<(i64, Option<i64>)> = teams::table
        .filter(teams::id.eq_any(member_team_ids(user_id)))
        .select((teams::id, teams::personal_user_id))
        .order(teams::id)
        .for_update()
        .load(conn)
        .await?;
    let personal: Vec<i64> = locked
        .iter()
        .filter(|(_, personal_user_id)| *personal_user_id == Some(user_id))
        .map(|(id, _)| *id)
        .collect();
    let ids: Vec<i64> = locked.iter().map(|(id, _)| *id).collect();
    let mut events = Vec::new();
    for team in teams_with_members(conn, &ids).await? {
        if personal.contains(&team.team.id) {
            events.push(team_deleted_event(&team));
            continue;
        }
        let others = team.members.iter().any(|m| m.user_id != user_id);
        if others && team.role_of(user_id) == Some(Role::Owner) && team.owner_count() == 1 {
            return Ok(Err(team.team.name));
        }
        events.extend(departure_events(&team, user_id));
    }
    Ok(Ok(events))
}
