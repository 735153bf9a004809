//! Queries and rules of teams. Functions take a connection so callers (this
//! crate's routes, and other domains through their services) can compose them
//! in one transaction.
//!
//! Member listings join `users` for the username: one query for any number
//! of teams, never one per member.
//!
//! Every change of a team, its memberships, roles or invitations runs in a
//! transaction that first locks the team row (`SELECT ... FOR UPDATE`), so
//! that the rules are checked against a state nobody else changes meanwhile:
//! two owners demoting each other one after the other leave an owner, and an
//! invitation accepted while it is revoked is either accepted or gone.
//! The checks answer in this order: 404 (not a member: nothing of the team is
//! visible), 403 (a member trying an owner's action), 412 (stale `If-Match`),
//! then the team rules.

use chrono::{DateTime, Utc};
use database::schema::{invitations, team_members, teams, users};
use diesel::prelude::*;
use diesel::result::QueryResult;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use crate::error::{is_unique_violation, TeamError};
use crate::model::{InvitationDetails, Member, NewMember, NewTeam, Role, Team, TeamWithMembers};
use kernel::IfMatch;

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

/// Whether `user_id` belongs to `team_id`, locking the team and the
/// membership (`FOR SHARE`) until the caller's transaction ends: a concurrent
/// removal, which locks the team first as every membership change does,
/// waits until then, so whatever the caller writes for the team is written
/// by a member.
pub async fn lock_membership(conn: &mut AsyncPgConnection, team_id: i64, user_id: i64) -> QueryResult<bool> {
    let found: Option<i64> = teams::table
        .inner_join(team_members::table)
        .filter(teams::id.eq(team_id))
        .filter(team_members::user_id.eq(user_id))
        .select(teams::id)
        .for_share()
        .first(conn)
        .await
        .optional()?;
    Ok(found.is_some())
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

/// Every membership with its team and user, by team then user id: the
/// query of the two functions below, before their filter.
#[diesel::dsl::auto_type]
fn memberships_with_teams() -> _ {
    let team: diesel::dsl::AsSelect<Team, diesel::pg::Pg> = Team::as_select();
    team_members::table
        .inner_join(teams::table)
        .inner_join(users::table)
        .select((team, users::id, users::username, team_members::role))
        .order((team_members::team_id, users::id))
}

/// Teams by id with their members, ascending by team then user id, in one query.
pub async fn teams_with_members(conn: &mut AsyncPgConnection, team_ids: &[i64]) -> QueryResult<Vec<TeamWithMembers>> {
    let rows: Vec<MemberRow> = memberships_with_teams()
        .filter(team_members::team_id.eq_any(team_ids))
        .load(conn)
        .await?;
    Ok(group_members(rows))
}

/// Every team of `user_id`, by id, each with its members (by user id), in one statement.
pub async fn user_teams_with_members(conn: &mut AsyncPgConnection, user_id: i64) -> QueryResult<Vec<TeamWithMembers>> {
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

/// A team with one of its members, as the two queries above load them.
type MemberRow = (Team, i64, String, String);

/// Rows ordered by team, folded into one [`TeamWithMembers`] per team.
fn group_members(rows: Vec<MemberRow>) -> Vec<TeamWithMembers> {
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
    out
}

/// Teams with their members, in the order of `teams`: one query for the members.
pub async fn with_members(conn: &mut AsyncPgConnection, teams: Vec<Team>) -> QueryResult<Vec<TeamWithMembers>> {
    let ids: Vec<i64> = teams.iter().map(|t| t.id).collect();
    let mut by_team: std::collections::HashMap<i64, Vec<Member>> = std::collections::HashMap::new();
    for member in members_of(conn, &ids).await? {
        by_team.entry(member.team_id).or_default().push(member);
    }
    Ok(teams
        .into_iter()
        .map(|team| {
            let members = by_team.remove(&team.id).unwrap_or_default();
            TeamWithMembers { team, members }
        })
        .collect())
}

// ---------------------------------------------------------------------------
// Reads behind the routes.

/// A team of `user_id`'s with its members; `NotFound` when they are not a member.
pub async fn get_team(conn: &mut AsyncPgConnection, team_id: i64, user_id: i64) -> Result<TeamWithMembers, TeamError> {
    teams_with_members(conn, &[team_id])
        .await?
        .into_iter()
        .find(|team| team.role_of(user_id).is_some())
        .ok_or(TeamError::NotFound)
}

/// A page of the members of a team `user_id` belongs to, by user id, after `after_user_id`.
pub async fn list_members(
    conn: &mut AsyncPgConnection,
    team_id: i64,
    user_id: i64,
    after_user_id: Option<i64>,
    limit: i64,
) -> Result<Vec<Member>, TeamError> {
    if !is_member(conn, team_id, user_id).await? {
        return Err(TeamError::NotFound);
    }
    let mut query = team_members::table
        .inner_join(users::table)
        .filter(team_members::team_id.eq(team_id))
        .select((users::id, users::username, team_members::role))
        .order(users::id)
        .limit(limit)
        .into_boxed();
    if let Some(after) = after_user_id {
        query = query.filter(users::id.gt(after));
    }
    let rows: Vec<(i64, String, String)> = query.load(conn).await?;
    Ok(rows
        .into_iter()
        .map(|(user_id, username, role)| Member {
            team_id,
            user_id,
            username,
            role: Role::parse(&role).unwrap_or(Role::Member),
        })
        .collect())
}

/// `users` a second time, as the inviter of an invitation.
mod aliases {
    diesel::alias!(database::schema::users as inviters: InvitersAlias);
}
use aliases::inviters;

type InvitationRow = (i64, i64, String, i64, String, Option<(i64, String)>, DateTime<Utc>);

/// Invitations with their team, invitee and inviter, filtered by `filter`, by
/// id after `after_id`: one query.
async fn load_invitations(
    conn: &mut AsyncPgConnection,
    filter: InvitationFilter,
    after_id: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<InvitationDetails>> {
    let mut query = invitations::table
        .inner_join(teams::table)
        .inner_join(users::table.on(users::id.eq(invitations::invitee_id)))
        .left_join(inviters.on(invitations::inviter_id.eq(inviters.field(users::id).nullable())))
        .select((
            invitations::id,
            teams::id,
            teams::name,
            users::id,
            users::username,
            inviters.fields((users::id, users::username)).nullable(),
            invitations::created_at,
        ))
        .order(invitations::id)
        .limit(limit)
        .into_boxed();
    query = match filter {
        InvitationFilter::Team(team_id) => query.filter(invitations::team_id.eq(team_id)),
        InvitationFilter::Invitee(user_id) => query.filter(invitations::invitee_id.eq(user_id)),
        InvitationFilter::Id(id) => query.filter(invitations::id.eq(id)),
    };
    if let Some(after_id) = after_id {
        query = query.filter(invitations::id.gt(after_id));
    }
    let rows: Vec<InvitationRow> = query.load(conn).await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, team_id, team_name, invitee_id, invitee_username, inviter, created_at)| InvitationDetails {
                id,
                team_id,
                team_name,
                invitee_id,
                invitee_username,
                inviter,
                created_at,
            },
        )
        .collect())
}

/// Which invitations [`load_invitations`] reads.
enum InvitationFilter {
    Team(i64),
    Invitee(i64),
    Id(i64),
}

/// A page of the invitations addressed to `user_id`, by id.
pub async fn my_invitations(
    conn: &mut AsyncPgConnection,
    user_id: i64,
    after_id: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<InvitationDetails>> {
    load_invitations(conn, InvitationFilter::Invitee(user_id), after_id, limit).await
}

/// A page of the pending invitations of a team, by id; for its owners only.
pub async fn team_invitations(
    conn: &mut AsyncPgConnection,
    team_id: i64,
    user_id: i64,
    after_id: Option<i64>,
    limit: i64,
) -> Result<Vec<InvitationDetails>, TeamError> {
    match role_of(conn, team_id, user_id).await? {
        None => Err(TeamError::NotFound),
        Some(Role::Member) => Err(TeamError::NotOwner),
        Some(Role::Owner) => Ok(load_invitations(conn, InvitationFilter::Team(team_id), after_id, limit).await?),
    }
}

// ---------------------------------------------------------------------------
// Changes: each in a transaction that locks the team row first.

/// A team locked for the rest of the transaction, with its members and, for
/// a personal team, its user.
#[derive(Debug)]
struct Locked {
    team: TeamWithMembers,
    personal_user_id: Option<i64>,
}

impl Locked {
    fn is_personal_user(&self, user_id: i64) -> bool {
        self.personal_user_id == Some(user_id)
    }

    /// Refuses anyone but an owner.
    fn require_owner(&self, user_id: i64) -> Result<(), TeamError> {
        match self.team.role_of(user_id) {
            Some(Role::Owner) => Ok(()),
            Some(Role::Member) => Err(TeamError::NotOwner),
            None => Err(TeamError::NotFound),
        }
    }

    /// Refuses a write whose `If-Match` names another state.
    fn check(&self, if_match: &IfMatch) -> Result<(), TeamError> {
        if if_match.allows(&self.team.etag()) {
            Ok(())
        } else {
            Err(TeamError::Stale)
        }
    }

    /// Whether `user_id` may go (leave or be removed) under the team rules.
    fn check_departure(&self, user_id: i64, leaving_by_choice: bool) -> Result<(), TeamError> {
        if self.is_personal_user(user_id) {
            return Err(if leaving_by_choice {
                TeamError::LeavePersonal
            } else {
                TeamError::PersonalOwner
            });
        }
        let others = self.team.members.iter().any(|m| m.user_id != user_id);
        if others && self.team.role_of(user_id) == Some(Role::Owner) && self.team.owner_count() == 1 {
            return Err(TeamError::LastOwner);
        }
        Ok(())
    }
}

/// Locks a team row and reads its members; `NotFound` when there is no such team.
async fn lock(conn: &mut AsyncPgConnection, team_id: i64) -> Result<Locked, TeamError> {
    let (team, personal_user_id): (Team, Option<i64>) = teams::table
        .find(team_id)
        .select((Team::as_select(), teams::personal_user_id))
        .for_update()
        .first(conn)
        .await
        .optional()?
        .ok_or(TeamError::NotFound)?;
    let members = members_of(conn, &[team_id]).await?;
    Ok(Locked {
        team: TeamWithMembers { team, members },
        personal_user_id,
    })
}

/// Locks a team `user_id` belongs to; `NotFound` for anyone else.
async fn lock_as_member(conn: &mut AsyncPgConnection, team_id: i64, user_id: i64) -> Result<Locked, TeamError> {
    let locked = lock(conn, team_id).await?;
    if locked.team.role_of(user_id).is_none() {
        return Err(TeamError::NotFound);
    }
    Ok(locked)
}

/// Locks a team `user_id` owns: `NotFound` for non-members, `NotOwner` for members.
async fn lock_as_owner(conn: &mut AsyncPgConnection, team_id: i64, user_id: i64) -> Result<Locked, TeamError> {
    let locked = lock(conn, team_id).await?;
    locked.require_owner(user_id)?;
    Ok(locked)
}

fn name_error(error: diesel::result::Error) -> TeamError {
    if is_unique_violation(&error) {
        TeamError::DuplicateName
    } else {
        TeamError::from(error)
    }
}

/// Creates a team named `name` (trimmed already) with `owner_id` as its owner.
/// A name taken ignoring case, even by a team created at the same moment, is
/// `DuplicateName`.
pub async fn create_team(
    conn: &mut AsyncPgConnection,
    owner_id: i64,
    name: &str,
) -> Result<TeamWithMembers, TeamError> {
    conn.transaction::<_, TeamError, _>(async move |conn| {
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
        let members = members_of(conn, &[team.id]).await?;
        Ok(TeamWithMembers { team, members })
    })
    .await
}

/// Renames a team `user_id` owns; `None` keeps the name (and still checks
/// the precondition). A personal team keeps its user's name.
pub async fn rename_team(
    conn: &mut AsyncPgConnection,
    team_id: i64,
    user_id: i64,
    name: Option<&str>,
    if_match: &IfMatch,
) -> Result<TeamWithMembers, TeamError> {
    conn.transaction::<_, TeamError, _>(async move |conn| {
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
        Ok(locked.team)
    })
    .await
}

/// Deletes a team `user_id` owns, with its palettes; personal teams stay.
pub async fn delete_team(
    conn: &mut AsyncPgConnection,
    team_id: i64,
    user_id: i64,
    if_match: &IfMatch,
) -> Result<(), TeamError> {
    conn.transaction::<_, TeamError, _>(async move |conn| {
        let locked = lock_as_owner(conn, team_id, user_id).await?;
        locked.check(if_match)?;
        if locked.team.team.personal {
            return Err(TeamError::DeletePersonal);
        }
        diesel::delete(teams::table.find(team_id)).execute(conn).await?;
        Ok(())
    })
    .await
}

/// Sets the role of member `target_id`; only owners may, and the team keeps
/// an owner (the user of a personal team stays one).
pub async fn change_role(
    conn: &mut AsyncPgConnection,
    team_id: i64,
    user_id: i64,
    target_id: i64,
    role: Role,
) -> Result<Member, TeamError> {
    conn.transaction::<_, TeamError, _>(async move |conn| {
        let locked = lock_as_owner(conn, team_id, user_id).await?;
        let mut member = locked
            .team
            .members
            .iter()
            .find(|m| m.user_id == target_id)
            .cloned()
            .ok_or(TeamError::NotFound)?;
        if member.role == role {
            return Ok(member);
        }
        if role == Role::Member {
            if locked.is_personal_user(target_id) {
                return Err(TeamError::PersonalOwner);
            }
            if locked.team.owner_count() <= 1 {
                return Err(TeamError::LastOwner);
            }
        }
        diesel::update(
            team_members::table
                .filter(team_members::team_id.eq(team_id))
                .filter(team_members::user_id.eq(target_id)),
        )
        .set(team_members::role.eq(role.as_str()))
        .execute(conn)
        .await?;
        member.role = role;
        Ok(member)
    })
    .await
}

/// Removes member `target_id`: an owner removes anyone but the user of a
/// personal team; anyone removes themselves under the rules of leaving.
pub async fn remove_member(
    conn: &mut AsyncPgConnection,
    team_id: i64,
    user_id: i64,
    target_id: i64,
) -> Result<(), TeamError> {
    conn.transaction::<_, TeamError, _>(async move |conn| {
        let locked = lock_as_member(conn, team_id, user_id).await?;
        if target_id == user_id {
            locked.check_departure(user_id, true)?;
        } else {
            locked.require_owner(user_id)?;
            if locked.team.role_of(target_id).is_none() {
                return Err(TeamError::NotFound);
            }
            locked.check_departure(target_id, false)?;
        }
        delete_membership(conn, team_id, target_id).await
    })
    .await
}

/// Deletes a membership; the database deletes a team whose last member goes.
async fn delete_membership(conn: &mut AsyncPgConnection, team_id: i64, user_id: i64) -> Result<(), TeamError> {
    diesel::delete(
        team_members::table
            .filter(team_members::team_id.eq(team_id))
            .filter(team_members::user_id.eq(user_id)),
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Deletes `user_id`'s invitation to a team; whether there was one.
async fn delete_invitation_of(conn: &mut AsyncPgConnection, team_id: i64, user_id: i64) -> QueryResult<bool> {
    let deleted = diesel::delete(
        invitations::table
            .filter(invitations::team_id.eq(team_id))
            .filter(invitations::invitee_id.eq(user_id)),
    )
    .execute(conn)
    .await?;
    Ok(deleted > 0)
}

/// Accepts `user_id`'s invitation: they join as a member and the invitation
/// goes. Without a pending invitation the team is not theirs to see:
/// `NotFound`. A member already is left as they are.
pub async fn accept_invitation(conn: &mut AsyncPgConnection, team_id: i64, user_id: i64) -> Result<(), TeamError> {
    conn.transaction::<_, TeamError, _>(async move |conn| {
        let locked = lock(conn, team_id).await?;
        let invited = delete_invitation_of(conn, team_id, user_id).await?;
        if locked.team.role_of(user_id).is_some() {
            return Ok(());
        }
        if !invited {
            return Err(TeamError::NotFound);
        }
        add_member(conn, team_id, user_id, Role::Member).await?;
        Ok(())
    })
    .await
}

/// `user_id` leaves a team (under the rules of leaving), or declines their
/// invitation to it; `NotFound` when they are neither member nor invitee.
pub async fn leave_or_decline(conn: &mut AsyncPgConnection, team_id: i64, user_id: i64) -> Result<(), TeamError> {
    conn.transaction::<_, TeamError, _>(async move |conn| {
        let locked = lock(conn, team_id).await?;
        if locked.team.role_of(user_id).is_some() {
            locked.check_departure(user_id, true)?;
            delete_invitation_of(conn, team_id, user_id).await?;
            return delete_membership(conn, team_id, user_id).await;
        }
        if delete_invitation_of(conn, team_id, user_id).await? {
            Ok(())
        } else {
            Err(TeamError::NotFound)
        }
    })
    .await
}

/// Invites the user named `username` (ignoring case) to a team `user_id` owns.
pub async fn invite(
    conn: &mut AsyncPgConnection,
    team_id: i64,
    user_id: i64,
    username: &str,
) -> Result<InvitationDetails, TeamError> {
    conn.transaction::<_, TeamError, _>(async move |conn| {
        let locked = lock_as_owner(conn, team_id, user_id).await?;
        let invitee = accounts::service::find_login(conn, username)
            .await?
            .ok_or(TeamError::UnknownUser)?;
        if locked.team.role_of(invitee.id).is_some() {
            return Err(TeamError::AlreadyMember);
        }
        let id: i64 = diesel::insert_into(invitations::table)
            .values((
                invitations::team_id.eq(team_id),
                invitations::invitee_id.eq(invitee.id),
                invitations::inviter_id.eq(Some(user_id)),
            ))
            .returning(invitations::id)
            .get_result(conn)
            .await
            .map_err(|error| match error {
                e if is_unique_violation(&e) => TeamError::AlreadyInvited,
                diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::ForeignKeyViolation, _) => {
                    TeamError::UnknownUser
                }
                other => TeamError::from(other),
            })?;
        load_invitations(conn, InvitationFilter::Id(id), None, 1)
            .await?
            .pop()
            .ok_or(TeamError::NotFound)
    })
    .await
}

/// Revokes a pending invitation of a team `user_id` owns.
pub async fn revoke_invitation(
    conn: &mut AsyncPgConnection,
    team_id: i64,
    user_id: i64,
    invitation_id: i64,
) -> Result<(), TeamError> {
    conn.transaction::<_, TeamError, _>(async move |conn| {
        lock_as_owner(conn, team_id, user_id).await?;
        let deleted = diesel::delete(
            invitations::table
                .filter(invitations::id.eq(invitation_id))
                .filter(invitations::team_id.eq(team_id)),
        )
        .execute(conn)
        .await?;
        if deleted == 0 {
            return Err(TeamError::NotFound);
        }
        Ok(())
    })
    .await
}

/// Before an account goes, inside its deletion transaction: locks every team
/// of the user (in id order, so concurrent deletions cannot deadlock) and
/// names the first non-personal team with other members whose last owner the
/// user is: while there is one, the account cannot go. Their personal team
/// goes with the account, whoever else is in it.
pub async fn team_blocking_account_deletion(conn: &mut AsyncPgConnection, user_id: i64) -> QueryResult<Option<String>> {
    let locked: Vec<(i64, Option<i64>)> = teams::table
        .filter(teams::id.eq_any(member_team_ids(user_id)))
        .select((teams::id, teams::personal_user_id))
        .order(teams::id)
        .for_update()
        .load(conn)
        .await?;
    let shared: Vec<i64> = locked
        .iter()
        .filter(|(_, personal_user_id)| *personal_user_id != Some(user_id))
        .map(|(id, _)| *id)
        .collect();
    for team in teams_with_members(conn, &shared).await? {
        let others = team.members.iter().any(|m| m.user_id != user_id);
        if others && team.role_of(user_id) == Some(Role::Owner) && team.owner_count() == 1 {
            return Ok(Some(team.team.name));
        }
    }
    Ok(None)
}
