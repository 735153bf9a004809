//! API 1.0 shapes of teams, as the seed wrote them.

use serde::Serialize;
use utoipa::ToSchema;

use crate::model::TeamWithMembers;

/// A member of a team inside a 1.0 team.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TeamUserV1 {
    /// User id.
    pub id: i64,
    /// Username.
    pub username: String,
}

/// A team in API 1.0.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TeamV1 {
    /// Team id.
    pub id: i64,
    /// Team name.
    pub name: String,
    /// The members, by user id.
    pub users: Vec<TeamUserV1>,
}

impl From<&TeamWithMembers> for TeamV1 {
    fn from(team: &TeamWithMembers) -> Self {
        Self {
            id: team.team.id,
            name: team.team.name.clone(),
            users: team
                .members
                .iter()
                .map(|m| TeamUserV1 {
                    id: m.user_id,
                    username: m.username.clone(),
                })
                .collect(),
        }
    }
}
