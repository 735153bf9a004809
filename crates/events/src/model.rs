//! Events as the outbox holds them and as streams deliver them.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use database::schema::events;
use diesel::prelude::*;
use serde::Serialize;
use serde_json::{json, Value};

/// What happened: the `event:` field of a delivered event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// A palette was created (also by a copy or an import).
    PaletteCreated,
    /// A palette was written (or moved into the team).
    PaletteUpdated,
    /// A palette was deleted (or moved out of the team).
    PaletteDeleted,
    /// A team was renamed.
    TeamUpdated,
    /// A team was deleted.
    TeamDeleted,
    /// A user joined a team (or created it).
    MemberJoined,
    /// A member's role changed.
    MemberUpdated,
    /// A member left or was removed.
    MemberLeft,
    /// A user was invited to a team.
    InvitationCreated,
    /// An invitation was revoked or declined.
    InvitationRevoked,
}

impl EventKind {
    /// Every kind, in the order the API documents them.
    pub const ALL: [Self; 10] = [
        Self::PaletteCreated,
        Self::PaletteUpdated,
        Self::PaletteDeleted,
        Self::TeamUpdated,
        Self::TeamDeleted,
        Self::MemberJoined,
        Self::MemberUpdated,
        Self::MemberLeft,
        Self::InvitationCreated,
        Self::InvitationRevoked,
    ];

    /// The name a stream sends in `event:`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PaletteCreated => "palette.created",
            Self::PaletteUpdated => "palette.updated",
            Self::PaletteDeleted => "palette.deleted",
            Self::TeamUpdated => "team.updated",
            Self::TeamDeleted => "team.deleted",
            Self::MemberJoined => "member.joined",
            Self::MemberUpdated => "member.updated",
            Self::MemberLeft => "member.left",
            Self::InvitationCreated => "invitation.created",
            Self::InvitationRevoked => "invitation.revoked",
        }
    }

    /// The kind named `name`, as stored.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == name)
    }

    /// The key of `data` that holds the resource.
    pub fn resource_key(self) -> &'static str {
        match self {
            Self::PaletteCreated | Self::PaletteUpdated | Self::PaletteDeleted => "palette",
            Self::TeamUpdated | Self::TeamDeleted => "team",
            Self::MemberJoined | Self::MemberUpdated | Self::MemberLeft => "member",
            Self::InvitationCreated | Self::InvitationRevoked => "invitation",
        }
    }
}

/// An event for the outbox, written by a domain in the transaction of its
/// change with [`crate::outbox::record`].
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// What happened.
    pub kind: EventKind,
    /// The team it happened in: its members receive it.
    pub team_id: i64,
    /// `{"team_id": ..., "<resource key>": ...}`.
    pub data: Value,
    /// Users who receive it besides the team's members.
    pub recipients: Vec<i64>,
}

impl NewEvent {
    /// `kind` in `team_id`, carrying `resource` (its API 2.0 shape).
    pub fn new(kind: EventKind, team_id: i64, resource: impl Serialize) -> Self {
        let resource = serde_json::to_value(resource).unwrap_or(Value::Null);
        Self {
            kind,
            team_id,
            data: json!({"team_id": team_id, kind.resource_key(): resource}),
            recipients: Vec::new(),
        }
    }

    /// `kind` in `team_id` about a resource that is gone: only its id.
    pub fn gone(kind: EventKind, team_id: i64, id: i64) -> Self {
        Self::new(kind, team_id, json!({ "id": id }))
    }

    /// Also delivered to these users, members of the team or not.
    pub fn also_to(mut self, user_ids: impl IntoIterator<Item = i64>) -> Self {
        self.recipients.extend(user_ids);
        self
    }
}

/// A row of the outbox.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = events)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct StoredEvent {
    /// Position: ids grow in commit order.
    pub id: i64,
    /// The team.
    pub team_id: i64,
    /// The kind's name.
    pub kind: String,
    /// One line of JSON.
    pub data: String,
    /// Users who receive it besides the team's members.
    pub recipients: Vec<i64>,
    /// When it was written.
    pub created_at: DateTime<Utc>,
}

/// What a stream knows of its user's teams, and how it narrows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audience {
    /// The user.
    pub user_id: i64,
    /// The teams they belong to, kept current by the membership events.
    pub teams: HashSet<i64>,
    /// `?team=`: only this team's events.
    pub only_team: Option<i64>,
}

impl Audience {
    /// Whether an event of `team_id` for `recipients` reaches this user.
    pub fn sees(&self, team_id: i64, recipients: &[i64]) -> bool {
        if self.only_team.is_some_and(|only| only != team_id) {
            return false;
        }
        self.teams.contains(&team_id) || recipients.contains(&self.user_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_name_their_resource() {
        for kind in EventKind::ALL {
            assert_eq!(EventKind::parse(kind.as_str()), Some(kind));
            assert!(kind.as_str().starts_with(kind.resource_key()), "{kind:?}");
        }
        assert_eq!(EventKind::parse("palette.moved"), None);
    }

    #[test]
    fn data_names_the_team_then_the_resource() {
        let event = NewEvent::gone(EventKind::PaletteDeleted, 3, 9).also_to([4]);
        assert_eq!(event.data.to_string(), r#"{"team_id":3,"palette":{"id":9}}"#);
        assert_eq!(event.recipients, vec![4]);
    }

    #[test]
    fn an_audience_sees_its_teams_and_what_is_addressed_to_it() {
        let mut audience = Audience {
            user_id: 7,
            teams: HashSet::from([1, 2]),
            only_team: None,
        };
        assert!(audience.sees(1, &[]));
        assert!(!audience.sees(3, &[]));
        assert!(audience.sees(3, &[7]));
        audience.only_team = Some(2);
        assert!(!audience.sees(1, &[]));
        assert!(audience.sees(2, &[]));
        assert!(!audience.sees(3, &[7]));
    }
}
