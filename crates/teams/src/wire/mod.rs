//! Wire shapes of teams, by API version, and the request types that read
//! their bodies. Members and invitations look the same in both versions;
//! teams differ (`v1`, `v2`).

pub mod v1;
pub mod v2;

use chrono::{DateTime, Utc};
use kernel::input::{NOT_NULL, REQUIRED};
use kernel::{Field, FieldErrors};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::model::{InvitationDetails, Member, Role, TEAM_NAME_MAX_CHARS};

/// A member's role in a team.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
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
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct TeamRequest {
    /// 1 to 150 characters after trimming; unique ignoring case among non-personal teams.
    #[serde(default)]
    #[schema(value_type = String, required = true, min_length = 1, max_length = 150, pattern = r"^[^\x00]*[^\x00\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\x00]*$")]
    pub name: Field,
}

impl TeamRequest {
    /// The name, trimmed; or why not, by field.
    pub fn validate(&self) -> Result<String, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = self.name.string("name", true, TEAM_NAME_MAX_CHARS, &mut errors);
        required("name", name, errors)
    }
}

/// `PATCH /api/teams/{id}/` body; other fields are ignored.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct TeamPatchRequest {
    /// 1 to 150 characters after trimming; unchanged when absent.
    #[serde(default)]
    #[schema(value_type = String, required = false, min_length = 1, max_length = 150, pattern = r"^[^\x00]*[^\x00\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\x00]*$")]
    pub name: Field,
}

impl TeamPatchRequest {
    /// The new name, trimmed, or `None` to keep it; or why not, by field.
    pub fn validate(&self) -> Result<Option<String>, FieldErrors> {
        let mut errors = FieldErrors::new();
        match self.name.string("name", false, TEAM_NAME_MAX_CHARS, &mut errors) {
            Some(name) if errors.is_empty() => Ok(name),
            _ => Err(errors),
        }
    }
}

/// `PATCH /api/teams/{id}/members/{user_id}/` body.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct TeamRoleRequest {
    /// The new role.
    #[serde(default)]
    #[schema(value_type = TeamRole, required = true)]
    pub role: Field,
}

impl TeamRoleRequest {
    /// The role; or why not, by field.
    pub fn validate(&self) -> Result<Role, FieldErrors> {
        let not_a_choice =
            |sent: &dyn std::fmt::Display| format!("\"{sent}\" is not a valid choice: use \"owner\" or \"member\".");
        let message = match self.role.value() {
            None => REQUIRED.to_owned(),
            Some(Value::Null) => NOT_NULL.to_owned(),
            Some(Value::String(sent)) => match Role::parse(sent) {
                Some(role) => return Ok(role),
                None => not_a_choice(sent),
            },
            Some(other) => not_a_choice(other),
        };
        let mut errors = FieldErrors::new();
        errors.add("role", message);
        Err(errors)
    }
}

/// `POST /api/teams/{id}/invitations/` body.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct TeamInvitationRequest {
    /// The username to invite, matched ignoring case.
    #[serde(default)]
    #[schema(value_type = String, required = true, min_length = 1, max_length = 150)]
    pub username: Field,
}

impl TeamInvitationRequest {
    /// The username, trimmed; or why not, by field.
    pub fn validate(&self) -> Result<String, FieldErrors> {
        let mut errors = FieldErrors::new();
        let username = self
            .username
            .string("username", true, accounts::model::USERNAME_MAX_CHARS, &mut errors);
        required("username", username, errors)
    }
}

/// A required string field as [`Field::string`] read it: the value, or the
/// messages recorded (the seed's "required" should none be).
fn required(name: &str, value: Option<Option<String>>, mut errors: FieldErrors) -> Result<String, FieldErrors> {
    match value {
        Some(Some(value)) if errors.is_empty() => Ok(value),
        _ => {
            if errors.is_empty() {
                errors.add(name, REQUIRED);
            }
            Err(errors)
        }
    }
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

#[cfg(test)]
mod tests {
    use serde_json::json;
    use utoipa::PartialSchema;

    use super::*;

    fn schema_of<T: PartialSchema>() -> Value {
        serde_json::to_value(T::schema()).expect("a schema serializes")
    }

    /// The request types read every body through `Field`s, yet document the
    /// schema the contract states (as served before they did).
    #[test]
    fn request_schemas_document_the_contract() {
        assert_eq!(
            schema_of::<TeamRequest>(),
            json!({
                "type": "object",
                "description": "`POST /api/teams/` and `PUT /api/teams/{id}/` body; other fields are ignored.",
                "required": ["name"],
                "properties": {"name": {
                    "type": "string",
                    "description": "1 to 150 characters after trimming; unique ignoring case among non-personal teams.",
                    "maxLength": 150,
                    "minLength": 1,
                    "pattern": "^[^\\x00]*[^\\x00\\t\\n\\x0b\\x0c\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000][^\\x00]*$"
                }}
            })
        );
        assert_eq!(
            schema_of::<TeamPatchRequest>(),
            json!({
                "type": "object",
                "description": "`PATCH /api/teams/{id}/` body; other fields are ignored.",
                "properties": {"name": {
                    "type": "string",
                    "description": "1 to 150 characters after trimming; unchanged when absent.",
                    "maxLength": 150,
                    "minLength": 1,
                    "pattern": "^[^\\x00]*[^\\x00\\t\\n\\x0b\\x0c\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000][^\\x00]*$"
                }}
            })
        );
        assert_eq!(
            schema_of::<TeamRoleRequest>(),
            json!({
                "type": "object",
                "description": "`PATCH /api/teams/{id}/members/{user_id}/` body.",
                "required": ["role"],
                "properties": {"role": {
                    "$ref": "#/components/schemas/TeamRole",
                    "description": "The new role."
                }}
            })
        );
        assert_eq!(
            schema_of::<TeamInvitationRequest>(),
            json!({
                "type": "object",
                "description": "`POST /api/teams/{id}/invitations/` body.",
                "required": ["username"],
                "properties": {"username": {
                    "type": "string",
                    "description": "The username to invite, matched ignoring case.",
                    "maxLength": 150,
                    "minLength": 1
                }}
            })
        );
    }

    fn read<T: serde::de::DeserializeOwned>(body: Value) -> T {
        serde_json::from_value(body).expect("any object reads")
    }

    #[test]
    fn names_are_trimmed_required_and_at_most_150_characters() {
        let request: TeamRequest = read(json!({"name": "  Blues  ", "id": 3, "users": []}));
        assert_eq!(request.validate(), Ok("Blues".to_owned()));
        let message = |body: Value| read::<TeamRequest>(body).validate().map_err(|e| e.to_nested());
        assert_eq!(message(json!({})), Err(json!({"name": [REQUIRED]})));
        assert_eq!(message(json!({"name": null})), Err(json!({"name": [NOT_NULL]})));
        assert_eq!(message(json!({"name": "x".repeat(150)})), Ok("x".repeat(150)));
        assert_eq!(
            message(json!({"name": "x".repeat(151)})),
            Err(json!({"name": ["Ensure this field has no more than 150 characters."]}))
        );
        let patch = |body: Value| read::<TeamPatchRequest>(body).validate().map_err(|e| e.to_nested());
        assert_eq!(patch(json!({})), Ok(None));
        assert_eq!(patch(json!({"name": " Reds "})), Ok(Some("Reds".to_owned())));
        assert_eq!(patch(json!({"name": null})), Err(json!({"name": [NOT_NULL]})));
        assert_eq!(
            patch(json!({"name": "   "})),
            Err(json!({"name": ["This field may not be blank."]}))
        );
    }

    #[test]
    fn a_role_is_owner_or_member_in_the_seed_words() {
        let role = |body: Value| read::<TeamRoleRequest>(body).validate().map_err(|e| e.to_nested());
        assert_eq!(role(json!({"role": "owner"})), Ok(Role::Owner));
        assert_eq!(role(json!({"role": "member"})), Ok(Role::Member));
        assert_eq!(role(json!({})), Err(json!({"role": [REQUIRED]})));
        assert_eq!(role(json!({"role": null})), Err(json!({"role": [NOT_NULL]})));
        assert_eq!(
            role(json!({"role": "x"})),
            Err(json!({"role": ["\"x\" is not a valid choice: use \"owner\" or \"member\"."]}))
        );
        assert_eq!(
            role(json!({"role": 7})),
            Err(json!({"role": ["\"7\" is not a valid choice: use \"owner\" or \"member\"."]}))
        );
    }

    #[test]
    fn an_invitation_names_a_username() {
        let request: TeamInvitationRequest = read(json!({"username": " bob "}));
        assert_eq!(request.validate(), Ok("bob".to_owned()));
        let missing: TeamInvitationRequest = read(json!({"name": "bob"}));
        assert_eq!(
            missing.validate().map_err(|e| e.to_nested()),
            Err(json!({"username": [REQUIRED]}))
        );
    }
}
