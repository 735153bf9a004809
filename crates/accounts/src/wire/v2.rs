//! API 2.0 shapes of accounts.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::model::{Memberships, User};

/// A user in API 2.0.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserV2 {
    /// User id.
    pub id: i64,
    /// Username.
    pub username: String,
    /// The user's personal team.
    pub personal_team_id: Option<i64>,
    /// Registration time.
    pub created_at: DateTime<Utc>,
}

impl UserV2 {
    /// The 2.0 shape of `user` with `teams`.
    pub fn new(user: &User, teams: &Memberships) -> Self {
        Self {
            id: user.id,
            username: user.username.clone(),
            personal_team_id: teams.personal_team_id,
            created_at: user.created_at,
        }
    }
}
