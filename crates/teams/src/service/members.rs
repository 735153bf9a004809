//! Memberships: who belongs to a team, their roles, removing and leaving.

use database::schema::team_members;
use database::PgConnection;
use diesel::prelude::*;
use diesel::result::QueryResult;
use diesel_async::{AsyncConnection, RunQueryDsl};

use super::invitations::delete_invitation_of;
use events::{EventKind, NewEvent};

use super::{departure_events, lock, lock_as_member, lock_as_owner, member, member_event, member_rows, record};
use crate::cache::Committed;
use crate::error::TeamError;
use crate::model::{Member, Role};

/// The role of a user in a team, or `None` when not a member (or no such team).
async fn role_of(conn: &mut PgConnection, team_id: i64, user_id: i64) -> QueryResult<Option<Role>> {
    let role: Option<String> = team_members::table
        .filter(team_members::team_id.eq(team_id))
        .filter(team_members::user_id.eq(user_id))
        .select(team_members::role)
        .first(conn)
        .await
        .optional()?;
    Ok(role.as_deref().and_then(Role::parse))
}

/// Refuses anyone but an owner of `team_id`, without locking it:
/// `NotFound` for non-members, `NotOwner` for members.
pub(super) async fn require_owner(conn: &mut PgConnection, team_id: i64, user_id: i64) -> Result<(), TeamError> {
    match role_of(conn, team_id, user_id).await? {
        None => Err(TeamError::NotFound),
        Some(Role::Member) => Err(TeamError::NotOwner),
        Some(Role::Owner) => Ok(()),
    }
}

/// A page of the members of a team `user_id` belongs to, by user id, after `after_user_id`.
pub async fn list_members(
    conn: &mut PgConnection,
    team_id: i64,
    user_id: i64,
    after_user_id: Option<i64>,
    limit: i64,
) -> Result<Vec<Member>, TeamError> {
    if role_of(conn, team_id, user_id).await?.is_none() {
        return Err(TeamError::NotFound);
    }
    let mut query = member_rows(team_id).limit(limit).into_boxed();
    if let Some(after) = after_user_id {
        query = query.filter(team_members::user_id.gt(after));
    }
    let rows: Vec<(i64, String, String)> = query.load(conn).await?;
    Ok(rows
        .into_iter()
        .map(|(user_id, username, role)| member(team_id, user_id, username, &role))
        .collect())
}

/// Sets the role of member `target_id`; only owners may, and the team keeps
/// an owner (the user of a personal team stays one).
pub async fn change_role(
    conn: &mut PgConnection,
    team_id: i64,
    user_id: i64,
    target_id: i64,
    role: Role,
) -> Result<Committed<Member>, TeamError> {
    let member = conn
        .transaction::<_, TeamError, _>(async move |conn| {
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
            record(conn, &[member_event(EventKind::MemberUpdated, &member)]).await?;
            Ok(member)
        })
        .await?;
    Ok(Committed::new(member).team(team_id))
}

/// Removes member `target_id`: an owner removes anyone but the user of a
/// personal team; anyone removes themselves under the rules of leaving.
pub async fn remove_member(
    conn: &mut PgConnection,
    team_id: i64,
    user_id: i64,
    target_id: i64,
) -> Result<Committed<()>, TeamError> {
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
        delete_membership(conn, team_id, target_id).await?;
        record(conn, &departure_events(&locked.team, target_id)).await
    })
    .await?;
    Ok(Committed::new(()).team(team_id))
}

/// `user_id` leaves a team (under the rules of leaving), or declines their
/// invitation to it; `NotFound` when they are neither member nor invitee.
pub async fn leave_or_decline(conn: &mut PgConnection, team_id: i64, user_id: i64) -> Result<Committed<()>, TeamError> {
    conn.transaction::<_, TeamError, _>(async move |conn| {
        let locked = lock(conn, team_id).await?;
        if locked.team.role_of(user_id).is_some() {
            locked.check_departure(user_id, true)?;
            delete_invitation_of(conn, team_id, user_id).await?;
            delete_membership(conn, team_id, user_id).await?;
            return record(conn, &departure_events(&locked.team, user_id)).await;
        }
        let invitation_id = delete_invitation_of(conn, team_id, user_id)
            .await?
            .ok_or(TeamError::NotFound)?;
        let declined = NewEvent::gone(EventKind::InvitationRevoked, team_id, invitation_id).also_to([user_id]);
        record(conn, &[declined]).await
    })
    .await?;
    Ok(Committed::new(()).team(team_id))
}

/// Deletes a membership; the database deletes a team whose last member goes.
async fn delete_membership(conn: &mut PgConnection, team_id: i64, user_id: i64) -> Result<(), TeamError> {
    diesel::delete(
        team_members::table
            .filter(team_members::team_id.eq(team_id))
            .filter(team_members::user_id.eq(user_id)),
    )
    .execute(conn)
    .await?;
    Ok(())
}
