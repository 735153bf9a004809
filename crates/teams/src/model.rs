//! Rows and domain types of teams.

use chrono::{DateTime, Utc};
use database::schema::{team_members, teams};
use diesel::prelude::*;
use kernel::etag::Fnv64;

/// Longest team name, in characters, after trimming.
pub const TEAM_NAME_MAX_CHARS: usize = 150;

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

    /// How many members are owners.
    pub fn owner_count(&self) -> usize {
        self.members.iter().filter(|m| m.role == Role::Owner).count()
    }

    /// A strong `ETag` (quoted) of the team's state: id, name, kind, times,
    /// and every member with their role. Teams have no revision column, so
    /// the tag is a hash of what a client sees; it changes whenever that does,
    /// and is the same in every server instance.
    pub fn etag(&self) -> String {
        let mut hash = Fnv64::new();
        hash.write_i64(self.team.id);
        hash.write_str(&self.team.name);
        hash.write(&[u8::from(self.team.personal)]);
        hash.write_i64(self.team.created_at.timestamp_micros());
        hash.write_i64(self.team.updated_at.timestamp_micros());
        hash.write_i64(i64::try_from(self.members.len()).unwrap_or(i64::MAX));
        for member in &self.members {
            hash.write_i64(member.user_id);
            hash.write_str(&member.username);
            hash.write_str(member.role.as_str());
        }
        format!("\"t{:016x}\"", hash.finish())
    }
}

/// A team as operators list it: with its owners and how many members it has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamSummary {
    /// The team.
    pub team: Team,
    /// Its owners' usernames, by user id.
    pub owners: Vec<String>,
    /// How many members it has, owners included.
    pub members: i64,
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

/// An invitation as shown: with its team, the invitee and who invited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationDetails {
    /// Invitation id.
    pub id: i64,
    /// The team's id.
    pub team_id: i64,
    /// The team's name.
    pub team_name: String,
    /// The invited user's id.
    pub invitee_id: i64,
    /// The invited user's name.
    pub invitee_username: String,
    /// The inviter's id and name, unless their account is gone.
    pub inviter: Option<(i64, String)>,
    /// When the invitation was made.
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn team(name: &str, members: &[(i64, Role)]) -> TeamWithMembers {
        let at = Utc.timestamp_opt(1_700_000_000, 0).single().expect("time");
        TeamWithMembers {
            team: Team {
                id: 7,
                name: name.to_owned(),
                personal: false,
                created_at: at,
                updated_at: at,
            },
            members: members
                .iter()
                .map(|(user_id, role)| Member {
                    team_id: 7,
                    user_id: *user_id,
                    username: format!("user{user_id}"),
                    role: *role,
                })
                .collect(),
        }
    }

    #[test]
    fn etag_is_deterministic_and_follows_names_members_and_roles() {
        let base = team("Blues", &[(1, Role::Owner), (2, Role::Member)]);
        assert_eq!(base.etag(), base.clone().etag());
        assert!(base.etag().starts_with("\"t") && base.etag().ends_with('"') && base.etag().len() == 19);
        assert_ne!(base.etag(), team("Reds", &[(1, Role::Owner), (2, Role::Member)]).etag());
        assert_ne!(base.etag(), team("Blues", &[(1, Role::Owner), (2, Role::Owner)]).etag());
        assert_ne!(base.etag(), team("Blues", &[(1, Role::Owner)]).etag());
    }
}
