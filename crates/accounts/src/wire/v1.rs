//! API 1.0 shapes of accounts, as the seed wrote them.

use serde::Serialize;
use utoipa::ToSchema;

use crate::model::{Memberships, User};

/// A user in API 1.0; the password is write-only.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserV1 {
    /// User id.
    pub id: i64,
    /// Username.
    pub username: String,
    /// Ids of the user's teams.
    pub group_ids: Vec<i64>,
}

impl UserV1 {
    /// The 1.0 shape of `user` in `teams`.
    pub fn new(user: &User, teams: &Memberships) -> Self {
        Self {
            id: user.id,
            username: user.username.clone(),
            group_ids: teams.team_ids.clone(),
        }
    }
}
