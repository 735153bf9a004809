//! Shapes of the events domain on the wire: the ticket, and each event
//! type's `data` (documentation of the stream; the stream sends them as
//! text).

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::openapi::{Ref, RefOr, Schema};
use utoipa::ToSchema;

/// One Server-Sent Event of the stream, as its fields arrive (the form
/// OpenAPI 3.1 tools read a `text/event-stream` schema in); `data` is one
/// line of JSON, described per type by the `*EventData` schemas.
#[derive(Debug, ToSchema)]
pub struct StreamEvent {
    /// The event's position: an integer that only grows.
    #[schema(pattern = "^[0-9]+$")]
    pub id: Option<String>,
    /// The type: `ready`, `reset`, `palette.created`, ... (absent on the opening `retry:`).
    pub event: Option<String>,
    /// One line of JSON.
    pub data: Option<String>,
    /// Milliseconds a client waits before reconnecting (the opening only).
    pub retry: Option<u64>,
}

/// A one-time ticket for `GET /api/events/?ticket=...` (the same in both versions).
#[derive(Debug, Serialize, ToSchema)]
pub struct EventTicket {
    /// The secret: good for opening one stream, until `expires_at`. Shown once.
    pub ticket: String,
    /// When it stops working (60 s after it was made).
    pub expires_at: DateTime<Utc>,
}

fn palette_v2() -> impl Into<RefOr<Schema>> {
    Ref::from_schema_name("PaletteV2")
}

fn team_v2() -> impl Into<RefOr<Schema>> {
    Ref::from_schema_name("TeamV2")
}

fn member() -> impl Into<RefOr<Schema>> {
    Ref::from_schema_name("TeamMember")
}

fn invitation() -> impl Into<RefOr<Schema>> {
    Ref::from_schema_name("TeamInvitation")
}

/// The id of a resource that is gone.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventGoneResource {
    /// Its id.
    pub id: i64,
}

/// `data` of `palette.created` and `palette.updated`.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaletteEventData {
    /// The palette's team.
    pub team_id: i64,
    /// The palette, in API 2.0's shape.
    #[schema(schema_with = palette_v2)]
    pub palette: serde_json::Value,
}

/// `data` of `palette.deleted` (also sent to the old team of a palette moved to another).
#[derive(Debug, Serialize, ToSchema)]
pub struct PaletteDeletedEventData {
    /// The team it was in.
    pub team_id: i64,
    /// Its id.
    pub palette: EventGoneResource,
}

/// `data` of `team.updated`; `team.role` is the recipient's own role.
#[derive(Debug, Serialize, ToSchema)]
pub struct TeamEventData {
    /// The team.
    pub team_id: i64,
    /// The team, in API 2.0's shape.
    #[schema(schema_with = team_v2)]
    pub team: serde_json::Value,
}

/// `data` of `team.deleted`, sent to those who were its members.
#[derive(Debug, Serialize, ToSchema)]
pub struct TeamDeletedEventData {
    /// The team.
    pub team_id: i64,
    /// Its id.
    pub team: EventGoneResource,
}

/// `data` of `member.joined` and `member.updated` (a new role).
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberEventData {
    /// The team.
    pub team_id: i64,
    /// The member with their role.
    #[schema(schema_with = member)]
    pub member: serde_json::Value,
}

/// `data` of `member.left`, also sent to the member who left or was removed.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberLeftEventData {
    /// The team.
    pub team_id: i64,
    /// The user's id.
    pub member: EventGoneResource,
}

/// `data` of `invitation.created`, sent to the team and the invitee.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationEventData {
    /// The team.
    pub team_id: i64,
    /// The invitation.
    #[schema(schema_with = invitation)]
    pub invitation: serde_json::Value,
}

/// `data` of `invitation.revoked` (revoked by an owner or declined by the
/// invitee), sent to the team and the invitee.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationRevokedEventData {
    /// The team.
    pub team_id: i64,
    /// Its id.
    pub invitation: EventGoneResource,
}

/// `data` of `ready` (the stream is live; its `id` is the current position)
/// and of `reset` (the `Last-Event-ID` was unknown or too old: reload what
/// you show, then read on).
#[derive(Debug, Serialize, ToSchema)]
pub struct PositionEventData {
    /// The stream's position, as in `id`.
    pub last_event_id: i64,
}
