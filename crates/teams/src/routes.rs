//! HTTP handlers of teams: parse, authorise, call the service, shape the response.
//!
//! Every route needs a user. Someone who is not a member of a team gets 404
//! for it and everything under it, exactly as for an id that does not exist;
//! a member trying an owner's action gets 403.
//!
//! Every handler that changes memberships, a team or its existence gets the
//! change back as a [`cache::Committed`] and applies it to [`TeamCache`]
//! once the change has committed ([`cache::Committed::forget_stale`]).
//!
//! Handlers take `web::Path` before `CurrentUser`: actix extracts arguments in
//! order and answers with the first failure, so a path that names no team
//! (`/api/teams/abc`) is a 404 with or without credentials.

use actix_web::http::{header, StatusCode};
use actix_web::{delete, get, patch, post, put, web, HttpRequest, HttpResponse};
use api_versioning::body::JsonBody;
use api_versioning::paging::Page;
use api_versioning::{respond, ApiVersion, V1_MEDIA_TYPE, V2_MEDIA_TYPE};
use database::Pool;
use kernel::{ApiError, Cursor, IfMatch};

use accounts::CurrentUser;

use crate::cache::TeamCache;
use crate::model::TeamWithMembers;
use crate::service;
use crate::wire::v1::TeamV1;
use crate::wire::v2::{TeamPageV2, TeamV2};
use crate::wire::{
    TeamInvitation, TeamInvitationPageV2, TeamInvitationRequest, TeamMember, TeamMemberPageV2, TeamPatchRequest,
    TeamRequest, TeamRoleRequest,
};

/// A team in the version's shape, with its `ETag` in 2.0.
fn team_response(status: StatusCode, version: ApiVersion, viewer_id: i64, team: &TeamWithMembers) -> HttpResponse {
    let etag = team.etag();
    match version {
        ApiVersion::V1 => respond::json_with_etag(status, version, &etag, &TeamV1::from(team)),
        ApiVersion::V2 => respond::json_with_etag(status, version, &etag, &TeamV2::new(team, viewer_id)),
    }
}

/// My teams, by id.
#[utoipa::path(
    tag = "teams",
    security(("basic" = []), ("bearer" = [])),
    params(Page),
    responses(
        (status = 200, description = "1.0: a bare array (next page in `Link`); 2.0: `items` and `next_cursor`",
            headers(("Link" = String, description = "1.0: `<url>; rel=\"next\"` when there is a next page")),
            content(
                (Vec<TeamV1> = V1_MEDIA_TYPE),
                (TeamPageV2 = V2_MEDIA_TYPE),
            )),
    )
)]
#[get("/teams")]
async fn list_teams(
    req: HttpRequest,
    user: CurrentUser,
    page: Page,
    pool: web::Data<Pool>,
    cache: web::Data<TeamCache>,
) -> Result<HttpResponse, ApiError> {
    let rows = service::my_teams(&pool, &cache, user.id, page.after_id()?, page.fetch_limit()).await?;
    let (rows, next) = page.split(rows, |t| Cursor(vec![t.team.id.into()]));
    Ok(match page.version {
        ApiVersion::V1 => {
            let items: Vec<TeamV1> = rows.iter().map(TeamV1::from).collect();
            page.respond(&req, &items, next.as_ref())
        }
        ApiVersion::V2 => {
            let items: Vec<TeamV2> = rows.iter().map(|t| TeamV2::new(t, user.id)).collect();
            page.respond(&req, &items, next.as_ref())
        }
    })
}

/// Create a team; I become its owner.
#[utoipa::path(
    tag = "teams",
    security(("basic" = []), ("bearer" = [])),
    request_body(content = TeamRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "The new team",
            headers(
                ("Location" = String, description = "The team's URL"),
                ("ETag" = String, description = "2.0: the team's entity tag"),
            ),
            content(
                (TeamV1 = V1_MEDIA_TYPE),
                (TeamV2 = V2_MEDIA_TYPE),
            )),
        (status = 400, description = "Invalid name; in 1.0 also a name taken by another team"),
        (status = 409, description = "2.0: another team has that name, ignoring case"),
    )
)]
#[post("/teams")]
async fn create_team(
    version: ApiVersion,
    user: CurrentUser,
    pool: web::Data<Pool>,
    cache: web::Data<TeamCache>,
    JsonBody(body): JsonBody<TeamRequest>,
) -> Result<HttpResponse, ApiError> {
    let name = body.validate().map_err(ApiError::validation)?;
    let mut conn = pool.get().await?;
    let team = service::create_team(&mut conn, user.id, &name)
        .await?
        .forget_stale(&cache);
    let mut response = team_response(StatusCode::CREATED, version, user.id, &team);
    if let Ok(location) = header::HeaderValue::from_str(&format!("/api/teams/{}/", team.team.id)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// One of my teams.
#[utoipa::path(
    tag = "teams",
    security(("basic" = []), ("bearer" = [])),
    params(("id" = i64, Path, description = "Team id")),
    responses(
        (status = 200, description = "The team",
            headers(("ETag" = String, description = "2.0: the team's entity tag")),
            content(
                (TeamV1 = V1_MEDIA_TYPE),
                (TeamV2 = V2_MEDIA_TYPE),
            )),
        (status = 404, description = "No such team, or not a member"),
    )
)]
#[get("/teams/{id}")]
async fn get_team(
    version: ApiVersion,
    path: web::Path<i64>,
    user: CurrentUser,
    pool: web::Data<Pool>,
    cache: web::Data<TeamCache>,
) -> Result<HttpResponse, ApiError> {
    let team = service::get_team(&pool, &cache, path.into_inner(), user.id).await?;
    Ok(team_response(StatusCode::OK, version, user.id, &team))
}

/// Rename a team I own (a personal team keeps its user's name).
#[utoipa::path(
    tag = "teams",
    security(("basic" = []), ("bearer" = [])),
    params(
        ("id" = i64, Path, description = "Team id"),
        IfMatch,
    ),
    request_body(content = TeamRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The renamed team",
            headers(("ETag" = String, description = "2.0: the team's new entity tag")),
            content(
                (TeamV1 = V1_MEDIA_TYPE),
                (TeamV2 = V2_MEDIA_TYPE),
            )),
        (status = 400, description = "Invalid name; in 1.0 also a taken name or a personal team"),
        (status = 403, description = "A member who is not an owner"),
        (status = 404, description = "No such team, or not a member"),
        (status = 409, description = "2.0: another team has that name, or the team is personal"),
        (status = 412, description = "`If-Match` does not match the team's `ETag`"),
    )
)]
#[put("/teams/{id}")]
async fn replace_team(
    version: ApiVersion,
    path: web::Path<i64>,
    user: CurrentUser,
    pool: web::Data<Pool>,
    cache: web::Data<TeamCache>,
    if_match: IfMatch,
    JsonBody(body): JsonBody<TeamRequest>,
) -> Result<HttpResponse, ApiError> {
    let name = body.validate().map_err(ApiError::validation)?;
    rename(
        version,
        &user,
        (&pool, &cache),
        path.into_inner(),
        Some(name),
        &if_match,
    )
    .await
}

/// Rename a team I own; without `name` nothing changes.
#[utoipa::path(
    tag = "teams",
    security(("basic" = []), ("bearer" = [])),
    params(
        ("id" = i64, Path, description = "Team id"),
        IfMatch,
    ),
    request_body(content = TeamPatchRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The team",
            headers(("ETag" = String, description = "2.0: the team's new entity tag")),
            content(
                (TeamV1 = V1_MEDIA_TYPE),
                (TeamV2 = V2_MEDIA_TYPE),
            )),
        (status = 400, description = "Invalid name; in 1.0 also a taken name or a personal team"),
        (status = 403, description = "A member who is not an owner"),
        (status = 404, description = "No such team, or not a member"),
        (status = 409, description = "2.0: another team has that name, or the team is personal"),
        (status = 412, description = "`If-Match` does not match the team's `ETag`"),
    )
)]
#[patch("/teams/{id}")]
async fn update_team(
    version: ApiVersion,
    path: web::Path<i64>,
    user: CurrentUser,
    pool: web::Data<Pool>,
    cache: web::Data<TeamCache>,
    if_match: IfMatch,
    JsonBody(body): JsonBody<TeamPatchRequest>,
) -> Result<HttpResponse, ApiError> {
    let name = body.validate().map_err(ApiError::validation)?;
    rename(version, &user, (&pool, &cache), path.into_inner(), name, &if_match).await
}

/// What `PUT` and `PATCH` share: the rename, and the renamed team in the version's shape.
async fn rename(
    version: ApiVersion,
    user: &CurrentUser,
    (pool, cache): (&Pool, &TeamCache),
    team_id: i64,
    name: Option<String>,
    if_match: &IfMatch,
) -> Result<HttpResponse, ApiError> {
    let mut conn = pool.get().await?;
    let team = service::rename_team(&mut conn, team_id, user.id, name.as_deref(), if_match)
        .await?
        .forget_stale(cache);
    Ok(team_response(StatusCode::OK, version, user.id, &team))
}

/// Delete a team I own, with its palettes; a personal team cannot be deleted.
#[utoipa::path(
    tag = "teams",
    security(("basic" = []), ("bearer" = [])),
    params(
        ("id" = i64, Path, description = "Team id"),
        IfMatch,
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "1.0: a personal team"),
        (status = 403, description = "A member who is not an owner"),
        (status = 404, description = "No such team, or not a member"),
        (status = 409, description = "2.0: a personal team"),
        (status = 412, description = "`If-Match` does not match the team's `ETag`"),
    )
)]
#[delete("/teams/{id}")]
async fn delete_team(
    path: web::Path<i64>,
    user: CurrentUser,
    pool: web::Data<Pool>,
    cache: web::Data<TeamCache>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let mut conn = pool.get().await?;
    service::delete_team(&mut conn, path.into_inner(), user.id, &if_match)
        .await?
        .forget_stale(&cache);
    Ok(HttpResponse::NoContent().finish())
}

/// The members of one of my teams, with their roles, by user id.
#[utoipa::path(
    tag = "teams",
    security(("basic" = []), ("bearer" = [])),
    params(("id" = i64, Path, description = "Team id"), Page),
    responses(
        (status = 200, description = "1.0: a bare array (next page in `Link`); 2.0: `items` and `next_cursor`",
            headers(("Link" = String, description = "1.0: `<url>; rel=\"next\"` when there is a next page")),
            content(
                (Vec<TeamMember> = V1_MEDIA_TYPE),
                (TeamMemberPageV2 = V2_MEDIA_TYPE),
            )),
        (status = 404, description = "No such team, or not a member"),
    )
)]
#[get("/teams/{id}/members")]
async fn list_members(
    req: HttpRequest,
    path: web::Path<i64>,
    user: CurrentUser,
    page: Page,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    let after = page.after_id()?;
    let mut conn = pool.get().await?;
    let rows = service::list_members(&mut conn, path.into_inner(), user.id, after, page.fetch_limit()).await?;
    let (rows, next) = page.split(rows, |m| Cursor(vec![m.user_id.into()]));
    let items: Vec<TeamMember> = rows.iter().map(TeamMember::from).collect();
    Ok(page.respond(&req, &items, next.as_ref()))
}

/// Change a member's role; owners only, and the team keeps an owner.
#[utoipa::path(
    tag = "teams",
    security(("basic" = []), ("bearer" = [])),
    params(
        ("id" = i64, Path, description = "Team id"),
        ("user_id" = i64, Path, description = "The member's user id"),
    ),
    request_body(content = TeamRoleRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The member with their new role", content(
            (TeamMember = V1_MEDIA_TYPE),
            (TeamMember = V2_MEDIA_TYPE),
        )),
        (status = 400, description = "Invalid role; in 1.0 also the last owner stepping down"),
        (status = 403, description = "A member who is not an owner"),
        (status = 404, description = "No such team or member, or not a member"),
        (status = 409, description = "2.0: the last owner (or a personal team's user) stepping down"),
    )
)]
#[patch("/teams/{id}/members/{user_id}")]
async fn change_role(
    path: web::Path<(i64, i64)>,
    user: CurrentUser,
    pool: web::Data<Pool>,
    cache: web::Data<TeamCache>,
    JsonBody(body): JsonBody<TeamRoleRequest>,
) -> Result<HttpResponse, ApiError> {
    let (team_id, target_id) = path.into_inner();
    let role = body.validate().map_err(ApiError::validation)?;
    let mut conn = pool.get().await?;
    let member = service::change_role(&mut conn, team_id, user.id, target_id, role)
        .await?
        .forget_stale(&cache);
    Ok(respond::json(StatusCode::OK, &TeamMember::from(&member)))
}

/// Remove a member (owners), or myself (as leaving).
#[utoipa::path(
    tag = "teams",
    security(("basic" = []), ("bearer" = [])),
    params(
        ("id" = i64, Path, description = "Team id"),
        ("user_id" = i64, Path, description = "The member's user id"),
    ),
    responses(
        (status = 204, description = "Removed; a team whose last member leaves is deleted"),
        (status = 400, description = "1.0: the last owner leaving, or a personal team's user"),
        (status = 403, description = "A member removing someone else"),
        (status = 404, description = "No such team or member, or not a member"),
        (status = 409, description = "2.0: the last owner leaving, or a personal team's user"),
    )
)]
#[delete("/teams/{id}/members/{user_id}")]
async fn remove_member(
    path: web::Path<(i64, i64)>,
    user: CurrentUser,
    pool: web::Data<Pool>,
    cache: web::Data<TeamCache>,
) -> Result<HttpResponse, ApiError> {
    let (team_id, target_id) = path.into_inner();
    let mut conn = pool.get().await?;
    service::remove_member(&mut conn, team_id, user.id, target_id)
        .await?
        .forget_stale(&cache);
    Ok(HttpResponse::NoContent().finish())
}

/// The pending invitations of a team I own, by id.
#[utoipa::path(
    tag = "teams",
    security(("basic" = []), ("bearer" = [])),
    params(("id" = i64, Path, description = "Team id"), Page),
    responses(
        (status = 200, description = "1.0: a bare array (next page in `Link`); 2.0: `items` and `next_cursor`",
            headers(("Link" = String, description = "1.0: `<url>; rel=\"next\"` when there is a next page")),
            content(
                (Vec<TeamInvitation> = V1_MEDIA_TYPE),
                (TeamInvitationPageV2 = V2_MEDIA_TYPE),
            )),
        (status = 403, description = "A member who is not an owner"),
        (status = 404, description = "No such team, or not a member"),
    )
)]
#[get("/teams/{id}/invitations")]
async fn list_team_invitations(
    req: HttpRequest,
    path: web::Path<i64>,
    user: CurrentUser,
    page: Page,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    let after = page.after_id()?;
    let mut conn = pool.get().await?;
    let rows = service::team_invitations(&mut conn, path.into_inner(), user.id, after, page.fetch_limit()).await?;
    let (rows, next) = page.split(rows, |i| Cursor(vec![i.id.into()]));
    let items: Vec<TeamInvitation> = rows.iter().map(TeamInvitation::from).collect();
    Ok(page.respond(&req, &items, next.as_ref()))
}

/// Invite a user, by username, to a team I own.
#[utoipa::path(
    tag = "teams",
    security(("basic" = []), ("bearer" = [])),
    params(("id" = i64, Path, description = "Team id")),
    request_body(content = TeamInvitationRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "The invitation", content(
            (TeamInvitation = V1_MEDIA_TYPE),
            (TeamInvitation = V2_MEDIA_TYPE),
        )),
        (status = 400, description = "Missing or unknown username; in 1.0 also a member or invitee already"),
        (status = 403, description = "A member who is not an owner"),
        (status = 404, description = "No such team, or not a member"),
        (status = 409, description = "2.0: the user is a member or invited already"),
    )
)]
#[post("/teams/{id}/invitations")]
async fn invite(
    path: web::Path<i64>,
    user: CurrentUser,
    pool: web::Data<Pool>,
    JsonBody(body): JsonBody<TeamInvitationRequest>,
) -> Result<HttpResponse, ApiError> {
    let username = body.validate().map_err(ApiError::validation)?;
    let mut conn = pool.get().await?;
    let invitation = service::invite(&mut conn, path.into_inner(), user.id, &username).await?;
    Ok(respond::json(StatusCode::CREATED, &TeamInvitation::from(&invitation)))
}

/// Revoke a pending invitation of a team I own.
#[utoipa::path(
    tag = "teams",
    security(("basic" = []), ("bearer" = [])),
    params(
        ("id" = i64, Path, description = "Team id"),
        ("invitation_id" = i64, Path, description = "Invitation id"),
    ),
    responses(
        (status = 204, description = "Revoked"),
        (status = 403, description = "A member who is not an owner"),
        (status = 404, description = "No such team or invitation, or not a member"),
    )
)]
#[delete("/teams/{id}/invitations/{invitation_id}")]
async fn revoke_invitation(
    path: web::Path<(i64, i64)>,
    user: CurrentUser,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    let (team_id, invitation_id) = path.into_inner();
    let mut conn = pool.get().await?;
    service::revoke_invitation(&mut conn, team_id, user.id, invitation_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Invitations addressed to me, by id.
#[utoipa::path(
    tag = "teams",
    security(("basic" = []), ("bearer" = [])),
    params(Page),
    responses(
        (status = 200, description = "1.0: a bare array (next page in `Link`); 2.0: `items` and `next_cursor`",
            headers(("Link" = String, description = "1.0: `<url>; rel=\"next\"` when there is a next page")),
            content(
                (Vec<TeamInvitation> = V1_MEDIA_TYPE),
                (TeamInvitationPageV2 = V2_MEDIA_TYPE),
            )),
    )
)]
#[get("/invitations")]
async fn my_invitations(
    req: HttpRequest,
    user: CurrentUser,
    page: Page,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    let after = page.after_id()?;
    let mut conn = pool.get().await?;
    let rows = service::my_invitations(&mut conn, user.id, after, page.fetch_limit()).await?;
    let (rows, next) = page.split(rows, |i| Cursor(vec![i.id.into()]));
    let items: Vec<TeamInvitation> = rows.iter().map(TeamInvitation::from).collect();
    Ok(page.respond(&req, &items, next.as_ref()))
}

/// Accept my invitation and join the team as a member.
#[utoipa::path(
    tag = "teams",
    security(("basic" = []), ("bearer" = [])),
    params(("id" = i64, Path, description = "Team id")),
    responses(
        (status = 204, description = "Joined (or a member already); the invitation is used up"),
        (status = 404, description = "No such team, or no pending invitation of mine to it"),
    )
)]
#[put("/teams/{id}/membership")]
async fn join_team(
    path: web::Path<i64>,
    user: CurrentUser,
    pool: web::Data<Pool>,
    cache: web::Data<TeamCache>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = pool.get().await?;
    service::accept_invitation(&mut conn, path.into_inner(), user.id)
        .await?
        .forget_stale(&cache);
    Ok(HttpResponse::NoContent().finish())
}

/// Leave a team, or decline my invitation to it.
#[utoipa::path(
    tag = "teams",
    security(("basic" = []), ("bearer" = [])),
    params(("id" = i64, Path, description = "Team id")),
    responses(
        (status = 204, description = "Left (a team whose last member leaves is deleted), or declined"),
        (status = 400, description = "1.0: my personal team, or I am its last owner and others remain"),
        (status = 404, description = "No such team, or neither a member nor invited"),
        (status = 409, description = "2.0: my personal team, or I am its last owner and others remain"),
    )
)]
#[delete("/teams/{id}/membership")]
async fn leave_team(
    path: web::Path<i64>,
    user: CurrentUser,
    pool: web::Data<Pool>,
    cache: web::Data<TeamCache>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = pool.get().await?;
    service::leave_or_decline(&mut conn, path.into_inner(), user.id)
        .await?
        .forget_stale(&cache);
    Ok(HttpResponse::NoContent().finish())
}

/// Registers the routes of teams (under `/api`).
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_teams)
        .service(create_team)
        .service(get_team)
        .service(replace_team)
        .service(update_team)
        .service(delete_team)
        .service(list_members)
        .service(change_role)
        .service(remove_member)
        .service(list_team_invitations)
        .service(invite)
        .service(revoke_invitation)
        .service(my_invitations)
        .service(join_team)
        .service(leave_team);
}
