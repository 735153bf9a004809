//! Queries and rules of teams. Functions take a connection so callers (this
//! crate's routes, and other domains through their services) can compose them
//! in one transaction.
//!
//! - `teams.rs`: teams themselves, personal teams, reading them with their
//!   members;
//! - `members.rs`: memberships, roles, removing and leaving;
//! - `invitations.rs`: inviting, accepting, declining, revoking;
//! - `overview.rs`: every team at once, with counts, for operators;
//!
//! and here what they share: locking a team and its rules.
//!
//! Member listings name each member with accounts' `username_of` subquery:
//! one query for any number of teams, never one per member, and never a read
//! of accounts' tables by name.
//!
//! Every change of a team, its memberships, roles or invitations runs in a
//! transaction that first locks the team row (`SELECT ... FOR UPDATE`), so
//! that the rules are checked against a state nobody else changes meanwhile:
//! two owners demoting each other one after the other leave an owner, and an
//! invitation accepted while it is revoked is either accepted or gone.
//! The checks answer in this order: 404 (not a member: nothing of the team is
//! visible), 403 (a member trying an owner's action), 412 (stale `If-Match`),
//! then the team rules. A change that [`TeamCache`](crate::TeamCache) may
//! hold returns a [`Committed`](crate::cache::Committed) naming what it made
//! stale.

mod invitations;
mod members;
mod overview;
mod teams;

use accounts::query::username_of;
use database::schema::{team_members, teams as teams_table};
use database::PgConnection;
use diesel::prelude::*;
use diesel::result::QueryResult;
use diesel_async::RunQueryDsl;
use kernel::IfMatch;

use events::{outbox, EventKind, NewEvent};

use crate::error::TeamError;
use crate::model::{Member, NewMember, Role, Team, TeamWithMembers};
use crate::wire::v2::TeamV2;
use crate::wire::TeamMember;

pub use self::invitations::{accept_invitation, invite, my_invitations, revoke_invitation, team_invitations};
pub use self::members::{change_role, leave_or_decline, list_members, remove_member};
pub use self::overview::{team_counts, team_summaries};
pub use self::teams::{
    account_departure, create_team, delete_team, get_team, my_teams, rename_team, teams_with_members,
};
pub(crate) use self::teams::{create_personal_team, personal_team_id, team_ids_of, user_teams_with_members};

/// A member as read from `team_members` with their username; an unknown
/// stored role (the database allows only the two) reads as `member`.
fn member(team_id: i64, user_id: i64, username: String, role: &str) -> Member {
    Member {
        team_id,
        user_id,
        username,
        role: Role::parse(role).unwrap_or(Role::Member),
    }
}

/// Adds a member with a role.
async fn add_member(conn: &mut PgConnection, team_id: i64, user_id: i64, role: Role) -> QueryResult<()> {
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

/// The members of one team with their usernames and roles, by user id: the
/// query of [`members_of`] and of the members list, before its page.
#[diesel::dsl::auto_type]
pub(super) fn member_rows(team_id: i64) -> _ {
    let username: username_of<team_members::user_id> = username_of(team_members::user_id);
    team_members::table
        .filter(team_members::team_id.eq(team_id))
        .select((team_members::user_id, username, team_members::role))
        .order(team_members::user_id)
}

/// The members of one team, by user id, in one query.
async fn members_of(conn: &mut PgConnection, team_id: i64) -> QueryResult<Vec<Member>> {
    let rows: Vec<(i64, String, String)> = member_rows(team_id).load(conn).await?;
    Ok(rows
        .into_iter()
        .map(|(user_id, username, role)| member(team_id, user_id, username, &role))
        .collect())
}

// ---------------------------------------------------------------------------
// Live events: each change records its own, as its transaction's last statement.

/// `member.joined` (or `member.updated`) about `member`.
fn member_event(kind: EventKind, member: &Member) -> NewEvent {
    NewEvent::new(kind, member.team_id, TeamMember::from(member))
}

/// `member.left` about `user_id`, who receives it too. When they were the
/// last member, the database deleted the team: `team.deleted` follows.
fn departure_events(team: &TeamWithMembers, user_id: i64) -> Vec<NewEvent> {
    let team_id = team.team.id;
    let mut events = vec![NewEvent::gone(EventKind::MemberLeft, team_id, user_id).also_to([user_id])];
    if team.members.iter().all(|m| m.user_id == user_id) {
        events.push(NewEvent::gone(EventKind::TeamDeleted, team_id, team_id).also_to([user_id]));
    }
    events
}

/// `team.deleted`, to everyone who was a member.
fn team_deleted_event(team: &TeamWithMembers) -> NewEvent {
    NewEvent::gone(EventKind::TeamDeleted, team.team.id, team.team.id).also_to(team.members.iter().map(|m| m.user_id))
}

/// `team.updated`: the team's 2.0 shape (each recipient sees their own role).
fn team_updated_event(team: &TeamWithMembers) -> NewEvent {
    let mut shape = serde_json::to_value(TeamV2::new(team, 0)).unwrap_or_default();
    shape["role"] = serde_json::Value::Null;
    NewEvent::new(EventKind::TeamUpdated, team.team.id, shape)
}

/// Records `events` in the caller's transaction.
async fn record(conn: &mut PgConnection, events: &[NewEvent]) -> Result<(), TeamError> {
    outbox::record(conn, events).await.map_err(TeamError::from)
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
async fn lock(conn: &mut PgConnection, team_id: i64) -> Result<Locked, TeamError> {
    let (team, personal_user_id): (Team, Option<i64>) = teams_table::table
        .find(team_id)
        .select((Team::as_select(), teams_table::personal_user_id))
        .for_update()
        .first(conn)
        .await
        .optional()?
        .ok_or(TeamError::NotFound)?;
    let members = members_of(conn, team_id).await?;
    Ok(Locked {
        team: TeamWithMembers { team, members },
        personal_user_id,
    })
}

/// Locks a team `user_id` belongs to; `NotFound` for anyone else.
async fn lock_as_member(conn: &mut PgConnection, team_id: i64, user_id: i64) -> Result<Locked, TeamError> {
    let locked = lock(conn, team_id).await?;
    if locked.team.role_of(user_id).is_none() {
        return Err(TeamError::NotFound);
    }
    Ok(locked)
}

/// Locks a team `user_id` owns: `NotFound` for non-members, `NotOwner` for members.
async fn lock_as_owner(conn: &mut PgConnection, team_id: i64, user_id: i64) -> Result<Locked, TeamError> {
    let locked = lock(conn, team_id).await?;
    locked.require_owner(user_id)?;
    Ok(locked)
}
