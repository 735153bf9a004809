//! Invitations: an owner invites a user by username; the invitee accepts
//! (joins as a member) or declines; an owner revokes.

use accounts::query::{user_id_named, username_of};
use chrono::{DateTime, Utc};
use database::schema::{invitations, teams};
use database::PgConnection;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError, QueryResult};
use diesel_async::{AsyncConnection, RunQueryDsl};
use kernel::error::violated_unique_index;

use events::{EventKind, NewEvent};

use super::members::require_owner;
use super::{add_member, lock, lock_as_owner, member_event, members_of, record};
use crate::cache::Committed;
use crate::error::TeamError;
use crate::model::{InvitationDetails, Role};
use crate::wire::TeamInvitation;

/// The constraint that allows one pending invitation per user and team.
const PENDING_INDEX: &str = "invitations_team_id_invitee_id_key";

/// An invitation as [`load_invitations`] selects it: the inviter's id and
/// username are both null once their account is gone.
type InvitationRow = (
    i64,
    i64,
    String,
    i64,
    String,
    Option<i64>,
    Option<String>,
    DateTime<Utc>,
);

/// Which invitations [`load_invitations`] reads.
enum InvitationFilter {
    Team(i64),
    Invitee(i64),
    Id(i64),
}

/// Invitations with their team, invitee and inviter, filtered by `filter`, by
/// id after `after_id`: one query.
async fn load_invitations(
    conn: &mut PgConnection,
    filter: InvitationFilter,
    after_id: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<InvitationDetails>> {
    let mut query = invitations::table
        .inner_join(teams::table)
        .select((
            invitations::id,
            teams::id,
            teams::name,
            invitations::invitee_id,
            username_of(invitations::invitee_id),
            invitations::inviter_id,
            username_of(invitations::inviter_id.assume_not_null()).nullable(),
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
            |(id, team_id, team_name, invitee_id, invitee_username, inviter_id, inviter_username, created_at)| {
                InvitationDetails {
                    id,
                    team_id,
                    team_name,
                    invitee_id,
                    invitee_username,
                    inviter: inviter_id.zip(inviter_username),
                    created_at,
                }
            },
        )
        .collect())
}

/// A page of the invitations addressed to `user_id`, by id.
pub async fn my_invitations(
    conn: &mut PgConnection,
    user_id: i64,
    after_id: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<InvitationDetails>> {
    load_invitations(conn, InvitationFilter::Invitee(user_id), after_id, limit).await
}

/// A page of the pending invitations of a team, by id; for its owners only.
pub async fn team_invitations(
    conn: &mut PgConnection,
    team_id: i64,
    user_id: i64,
    after_id: Option<i64>,
    limit: i64,
) -> Result<Vec<InvitationDetails>, TeamError> {
    require_owner(conn, team_id, user_id).await?;
    Ok(load_invitations(conn, InvitationFilter::Team(team_id), after_id, limit).await?)
}

/// Invites the user named `username` (ignoring case) to a team `user_id` owns.
pub async fn invite(
    conn: &mut PgConnection,
    team_id: i64,
    user_id: i64,
    username: &str,
) -> Result<InvitationDetails, TeamError> {
    conn.transaction::<_, TeamError, _>(async move |conn| {
        let locked = lock_as_owner(conn, team_id, user_id).await?;
        let invitee_id: i64 = user_id_named(username)
            .first(conn)
            .await
            .optional()?
            .ok_or(TeamError::UnknownUser)?;
        if locked.team.role_of(invitee_id).is_some() {
            return Err(TeamError::AlreadyMember);
        }
        let id: i64 = diesel::insert_into(invitations::table)
            .values((
                invitations::team_id.eq(team_id),
                invitations::invitee_id.eq(invitee_id),
                invitations::inviter_id.eq(Some(user_id)),
            ))
            .returning(invitations::id)
            .get_result(conn)
            .await
            .map_err(|error| match error {
                e if violated_unique_index(&e) == Some(PENDING_INDEX) => TeamError::AlreadyInvited,
                // The invitee's account went meanwhile.
                DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => TeamError::UnknownUser,
                other => TeamError::from(other),
            })?;
        let invitation = load_invitations(conn, InvitationFilter::Id(id), None, 1)
            .await?
            .pop()
            .ok_or(TeamError::NotFound)?;
        let created = NewEvent::new(EventKind::InvitationCreated, team_id, TeamInvitation::from(&invitation))
            .also_to([invitation.invitee_id]);
        record(conn, &[created]).await?;
        Ok(invitation)
    })
    .await
}

/// Revokes a pending invitation of a team `user_id` owns.
pub async fn revoke_invitation(
    conn: &mut PgConnection,
    team_id: i64,
    user_id: i64,
    invitation_id: i64,
) -> Result<(), TeamError> {
    conn.transaction::<_, TeamError, _>(async move |conn| {
        lock_as_owner(conn, team_id, user_id).await?;
        let invitee_id: i64 = diesel::delete(
            invitations::table
                .filter(invitations::id.eq(invitation_id))
                .filter(invitations::team_id.eq(team_id)),
        )
        .returning(invitations::invitee_id)
        .get_result(conn)
        .await
        .optional()?
        .ok_or(TeamError::NotFound)?;
        let revoked = NewEvent::gone(EventKind::InvitationRevoked, team_id, invitation_id).also_to([invitee_id]);
        record(conn, &[revoked]).await
    })
    .await
}

/// Accepts `user_id`'s invitation: they join as a member and the invitation
/// goes. Without a pending invitation the team is not theirs to see:
/// `NotFound`. A member already is left as they are.
pub async fn accept_invitation(
    conn: &mut PgConnection,
    team_id: i64,
    user_id: i64,
) -> Result<Committed<()>, TeamError> {
    conn.transaction::<_, TeamError, _>(async move |conn| {
        let locked = lock(conn, team_id).await?;
        let invited = delete_invitation_of(conn, team_id, user_id).await?;
        if locked.team.role_of(user_id).is_some() {
            return Ok(());
        }
        if invited.is_none() {
            return Err(TeamError::NotFound);
        }
        add_member(conn, team_id, user_id, Role::Member).await?;
        let joined: Vec<NewEvent> = members_of(conn, team_id)
            .await?
            .iter()
            .filter(|m| m.user_id == user_id)
            .map(|m| member_event(EventKind::MemberJoined, m))
            .collect();
        record(conn, &joined).await
    })
    .await?;
    Ok(Committed::new(()).team(team_id).user(user_id))
}

/// Deletes `user_id`'s invitation to a team; its id, if there was one.
pub(super) async fn delete_invitation_of(
    conn: &mut PgConnection,
    team_id: i64,
    user_id: i64,
) -> QueryResult<Option<i64>> {
    diesel::delete(
        invitations::table
            .filter(invitations::team_id.eq(team_id))
            .filter(invitations::invitee_id.eq(user_id)),
    )
    .returning(invitations::id)
    .get_result(conn)
    .await
    .optional()
}
