//! Rows and domain types of teams.

use chrono::{DateTime, Utc};
use database::schema::{invitations, team_members, teams};
use diesel::prelude::*;

/// A member's role in a team.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Renames and deletes the team, invites, removes members and changes roles.
    Owner,
    /// Reads the team and its palettes, writes palettes, leaves.
    Member,
}

impl Role {
    /// `"owner"` or `"member"`, as stored and as sent on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Member => "member",
        }
    }

    /// The role named `value`, if any.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "owner" => Some(Self::Owner),
            "member" => Some(Self::Member),
            _ => None,
        }
    }
}

/// A team row.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq, Eq)]
#[diesel(table_name = teams, check_for_backend(diesel::pg::Pg))]
pub struct Team {
    /// Primary key.
    pub id: i64,
    /// Trimmed name; unique ignoring case among non-personal teams.
    pub name: String,
    /// Whether this is a user's personal team.
    pub personal: bool,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change of the team itself.
    pub updated_at: DateTime<Utc>,
}

/// A member of a team as listed: the user and their role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The team.
    pub team_id: i64,
    /// The user's id.
    pub user_id: i64,
    /// The user's name.
    pub username: String,
    /// The user's role in the team.
    pub role: Role,
}

/// A team with its members, ordered by user id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamWithMembers {
    /// The team.
    pub team: Team,
    /// Its members.
    pub members: Vec<Member>,
}

impl TeamWithMembers {
    /// The role of `user_id` in this team, if a member.
    pub fn role_of(&self, user_id: i64) -> Option<Role> {
        self.members.iter().find(|m| m.user_id == user_id).map(|m| m.role)
    }
}

/// A new team row.
#[derive(Debug, Insertable)]
#[diesel(table_name = teams)]
pub struct NewTeam<'a> {
    /// Trimmed name.
    pub name: &'a str,
    /// Set for a personal team.
    pub personal_user_id: Option<i64>,
}

/// A new membership row.
#[derive(Debug, Insertable)]
#[diesel(table_name = team_members)]
pub struct NewMember<'a> {
    /// Team.
    pub team_id: i64,
    /// User.
    pub user_id: i64,
    /// `owner` or `member`.
    pub role: &'a str,
}

/// A pending invitation.
#[derive(Debug, Clone, Queryable, Selectable, PartialEq, Eq)]
#[diesel(table_name = invitations, check_for_backend(diesel::pg::Pg))]
pub struct Invitation {
    /// Primary key.
    pub id: i64,
    /// The team the invitee may join.
    pub team_id: i64,
    /// The invited user.
    pub invitee_id: i64,
    /// The owner who invited, if still registered.
    pub inviter_id: Option<i64>,
    /// When the invitation was made.
    pub created_at: DateTime<Utc>,
}
