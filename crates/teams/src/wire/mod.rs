//! Wire shapes of teams, by API version. Members and invitations look the
//! same in both versions; teams differ (`v1`, `v2`).

pub mod v1;
pub mod v2;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::model::{InvitationDetails, Member, Role};

/// A member's role in a team.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TeamRole {
    /// Renames and deletes the team, invites, removes members and changes roles.
    Owner,
    /// Reads the team and its palettes, writes palettes, leaves.
    Member,
}

impl From<Role> for TeamRole {
    fn from(role: Role) -> Self {
        match role {
            Role::Owner => Self::Owner,
            Role::Member => Self::Member,
        }
    }
}

/// A member of a team, in both versions.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TeamMember {
    /// User id.
    pub id: i64,
    /// Username.
    pub username: String,
    /// The member's role.
    pub role: TeamRole,
}

impl From<&Member> for TeamMember {
    fn from(member: &Member) -> Self {
        Self {
            id: member.user_id,
            username: member.username.clone(),
            role: member.role.into(),
        }
    }
}

/// The team of an invitation.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InvitationTeam {
    /// Team id.
    pub id: i64,
    /// Team name.
    pub name: String,
}

/// A user named in an invitation.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InvitationUser {
    /// User id.
    pub id: i64,
    /// Username.
    pub username: String,
}

/// A pending invitation to join a team, in both versions.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TeamInvitation {
    /// Invitation id.
    pub id: i64,
    /// The team the invitee may join (`PUT /api/teams/{id}/membership/`).
    pub team: InvitationTeam,
    /// The invited user.
    pub invitee: InvitationUser,
    /// The owner who invited, or null when their account is gone.
    pub invited_by: Option<InvitationUser>,
    /// When the invitation was made.
    pub created_at: DateTime<Utc>,
}

impl From<&InvitationDetails> for TeamInvitation {
    fn from(invitation: &InvitationDetails) -> Self {
        Self {
            id: invitation.id,
            team: InvitationTeam {
                id: invitation.team_id,
                name: invitation.team_name.clone(),
            },
            invitee: InvitationUser {
                id: invitation.invitee_id,
                username: invitation.invitee_username.clone(),
            },
            invited_by: invitation.inviter.as_ref().map(|(id, username)| InvitationUser {
                id: *id,
                username: username.clone(),
            }),
            created_at: invitation.created_at,
        }
    }
}

/// `POST /api/teams/` and `PUT /api/teams/{id}/` body; other fields are ignored.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TeamRequest {
    /// 1 to 150 characters after trimming; unique ignoring case among non-personal teams.
    #[schema(min_length = 1, max_length = 150)]
    pub name: String,
}

/// `PATCH /api/teams/{id}/` body; other fields are ignored.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TeamPatchRequest {
    /// 1 to 150 characters after trimming; unchanged when absent.
    #[schema(min_length = 1, max_length = 150)]
    pub name: Option<String>,
}

/// `PATCH /api/teams/{id}/members/{user_id}/` body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TeamRoleRequest {
    /// The new role.
    pub role: TeamRole,
}

/// `POST /api/teams/{id}/invitations/` body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TeamInvitationRequest {
    /// The username to invite, matched ignoring case.
    #[schema(min_length = 1, max_length = 150)]
    pub username: String,
}

/// A 2.0 page of members.
#[derive(Debug, Serialize, ToSchema)]
pub struct TeamMemberPageV2 {
    /// The members of this page, by user id.
    pub items: Vec<TeamMember>,
    /// The `cursor` of the next page, or null on the last page.
    pub next_cursor: Option<String>,
}

/// A 2.0 page of invitations.
#[derive(Debug, Serialize, ToSchema)]
pub struct TeamInvitationPageV2 {
    /// The invitations of this page, by id.
    pub items: Vec<TeamInvitation>,
    /// The `cursor` of the next page, or null on the last page.
    pub next_cursor: Option<String>,
}
