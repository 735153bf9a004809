//! API 2.0 shapes of teams.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::model::{Role, TeamWithMembers};
use crate::wire::{TeamMember, TeamRole};

/// A team in API 2.0.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TeamV2 {
    /// Team id.
    pub id: i64,
    /// Team name.
    pub name: String,
    /// Whether this is a user's personal team.
    pub personal: bool,
    /// The caller's role in the team.
    pub role: TeamRole,
    /// The members with their roles, by user id.
    pub members: Vec<TeamMember>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last rename.
    pub updated_at: DateTime<Utc>,
}

impl TeamV2 {
    /// The 2.0 shape of `team` as `viewer_id`, a member, sees it.
    pub fn new(team: &TeamWithMembers, viewer_id: i64) -> Self {
        Self {
            id: team.team.id,
            name: team.team.name.clone(),
            personal: team.team.personal,
            role: team.role_of(viewer_id).unwrap_or(Role::Member).into(),
            members: team.members.iter().map(TeamMember::from).collect(),
            created_at: team.team.created_at,
            updated_at: team.team.updated_at,
        }
    }
}

/// A 2.0 page of teams.
#[derive(Debug, Serialize, ToSchema)]
pub struct TeamPageV2 {
    /// The teams of this page, by id.
    pub items: Vec<TeamV2>,
    /// The `cursor` of the next page, or null on the last page.
    pub next_cursor: Option<String>,
}
