//! HTTP handlers of palettes: parse, authorise, call the service, shape the response.
//!
//! Order of checks on one palette: not visible (404) first, as the seed's
//! framework did, so a body tells nothing about a palette one cannot see;
//! then a stale `If-Match` (412); then the body (400); then the write (a
//! duplicate name: 400 in 1.0, 409 in 2.0).
//!
//! A write or delete runs in one transaction that first locks the palette row
//! (`SELECT ... FOR UPDATE`), so concurrent writers of one palette take turns:
//! each checks and writes the state the previous one left, none is refused.
//!
//! Handlers take `web::Path` before `CurrentUser`: actix extracts arguments in
//! order and answers with the first failure, so a path that names no palette
//! (`/api/palettes/abc`) is a 404 with or without credentials.

use accounts::CurrentUser;
use actix_web::http::header::{HeaderValue, LOCATION};
use actix_web::http::StatusCode;
use actix_web::{delete, get, patch, post, put, web, HttpRequest, HttpResponse};
use api_versioning::{respond, ApiVersion};
use database::Pool;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use kernel::pagination::split_page;
use kernel::IfMatch;
use kernel::{input, ApiError, FieldErrors, PageParams};
use serde_json::{Map, Value};
use teams::cache::{self, TeamCache};

use crate::color;
use crate::model::{Palette, PaletteChanges, PaletteValues};
use crate::service::{self, ListQuery, ListRow, Ordering};
use crate::wire::v1::{self, PaletteV1};
use crate::wire::v2::{self, PalettePageV2, PaletteV2};
use crate::wire::{read_name, PaletteCopyRequest, PaletteOrdering, PaletteWrite};

fn team_field(version: ApiVersion) -> &'static str {
    match version {
        ApiVersion::V1 => v1::TEAM_FIELD,
        ApiVersion::V2 => v2::TEAM_FIELD,
    }
}

fn read_write(version: ApiVersion, map: &Map<String, Value>, required: bool) -> (PaletteChanges, FieldErrors) {
    match version {
        ApiVersion::V1 => v1::read_write(map, required),
        ApiVersion::V2 => v2::read_write(map, required),
    }
}

/// The error on `field` for a team the caller is not in; the same for a
/// team that does not exist.
fn not_a_member(field: &str, team_id: i64) -> String {
    if field == v1::TEAM_FIELD {
        // The seed's framework's words for an unknown related id.
        format!("Invalid pk \"{team_id}\" - object does not exist.")
    } else {
        "You are not a member of a team with this id.".to_owned()
    }
}

/// Records an error on `field` unless `user_id` belongs to `team_id`. The
/// membership stays locked until the caller's transaction ends, if any (see
/// `teams::service::lock_membership`).
async fn check_team(
    conn: &mut AsyncPgConnection,
    user_id: i64,
    team_id: i64,
    field: &str,
    errors: &mut FieldErrors,
) -> Result<(), ApiError> {
    if !teams::service::lock_membership(conn, team_id, user_id).await? {
        errors.add(field, not_a_member(field, team_id));
    }
    Ok(())
}

/// One palette in the version's shape, with its `ETag` in 2.0. Its team
/// comes from `viewer`'s cached teams when there; otherwise `team_name` is
/// looked up when not known, and 1.0 looks up the team's members.
async fn palette_response(
    conn: &mut AsyncPgConnection,
    viewer: (&TeamCache, i64),
    version: ApiVersion,
    status: StatusCode,
    palette: &Palette,
    team_name: Option<String>,
) -> Result<HttpResponse, ApiError> {
    let (views, user_id) = viewer;
    let cached = views.cached(user_id);
    let (body, name) = match (
        version,
        cached.as_deref().and_then(|teams| cache::find(teams, palette.team_id)),
    ) {
        (ApiVersion::V1, Some(team)) => (
            serde_json::to_value(PaletteV1::new(palette, &team.team.name, Some(team))),
            team.team.name.clone(),
        ),
        (ApiVersion::V2, Some(team)) => (
            serde_json::to_value(PaletteV2::new(palette, &team.team.name)),
            team.team.name.clone(),
        ),
        (version, None) => uncached_palette_body(conn, version, palette, team_name).await?,
    };
    let body = body.map_err(ApiError::internal)?;
    Ok(respond::json_with_etag(status, version, &palette.etag(&name), &body))
}

/// The body of [`palette_response`] when the viewer's teams are not cached,
/// with the team's name.
async fn uncached_palette_body(
    conn: &mut AsyncPgConnection,
    version: ApiVersion,
    palette: &Palette,
    team_name: Option<String>,
) -> Result<(serde_json::Result<Value>, String), ApiError> {
    Ok(match version {
        ApiVersion::V1 => {
            let teams = teams::service::teams_with_members(conn, &[palette.team_id]).await?;
            let team = teams.first();
            let name = match (team, team_name) {
                (Some(team), _) => team.team.name.clone(),
                (None, Some(name)) => name,
                (None, None) => service::team_name(conn, palette.team_id).await?,
            };
            (serde_json::to_value(PaletteV1::new(palette, &name, team)), name)
        }
        ApiVersion::V2 => {
            let name = match team_name {
                Some(name) => name,
                None => service::team_name(conn, palette.team_id).await?,
            };
            (serde_json::to_value(PaletteV2::new(palette, &name)), name)
        }
    })
}

/// A new palette's response with its URL in `Location`, as teams do.
fn created(mut response: HttpResponse, palette: &Palette) -> HttpResponse {
    if let Ok(location) = HeaderValue::from_str(&format!("/api/palettes/{}/", palette.id)) {
        response.headers_mut().insert(LOCATION, location);
    }
    response
}

/// The filters and ordering of a list request.
#[derive(Debug)]
struct Filters {
    team: Option<i64>,
    search: Option<String>,
    color: Option<String>,
    ordering: Ordering,
}

fn field_error(field: &str, message: impl Into<String>) -> FieldErrors {
    let mut errors = FieldErrors::new();
    errors.add(field, message);
    errors
}

/// Reads `team`, `search`, `color` and `ordering`; other keys are left to
/// [`PageParams`] or ignored. An empty `team`, `color` or `ordering` is an
/// error on that parameter, never silently no filter; an empty `search` is
/// no filter (every name contains the empty text).
fn read_filters(query: &[(String, String)]) -> Result<Filters, FieldErrors> {
    let mut filters = Filters {
        team: None,
        search: None,
        color: None,
        ordering: Ordering::Id,
    };
    let known = || Ordering::VALUES.join(", ");
    for (key, value) in query {
        match key.as_str() {
            "team" if value.trim().is_empty() => {
                return Err(field_error(
                    "team",
                    "This parameter may not be blank: give the id of a team.",
                ));
            }
            "team" => {
                let team = value.trim().parse::<i64>();
                filters.team = Some(team.map_err(|_| field_error("team", "Enter a whole number: the id of a team."))?);
            }
            "search" if value.contains('\0') => return Err(field_error("search", "Null characters are not allowed.")),
            "search" => filters.search = Some(value.clone()).filter(|s| !s.is_empty()),
            "color" => filters.color = Some(color::normalize(value).map_err(|e| field_error("color", e.to_string()))?),
            "ordering" if value.is_empty() => {
                let message = format!("This parameter may not be blank: use one of {}.", known());
                return Err(field_error("ordering", message));
            }
            "ordering" => {
                filters.ordering = Ordering::parse(value).ok_or_else(|| {
                    field_error(
                        "ordering",
                        format!("Unknown ordering \"{value}\": use one of {}.", known()),
                    )
                })?;
            }
            _ => {}
        }
    }
    Ok(filters)
}

/// The palettes of my teams, filtered, sorted and paged.
// One statement (the page) when the caller's teams are cached in `TeamCache`,
// two when they are not (the teams with their members, then the page).
#[utoipa::path(
    tag = "palettes",
    security(("basic" = []), ("bearer" = [])),
    params(
        ("team" = Option<i64>, Query, description = "Only this team's palettes; a team I am not in gives an empty list. An empty value is a 400"),
        ("search" = Option<String>, Query, description = "Only palettes whose name contains this text, ignoring case. An empty value is no filter: every name contains the empty text"),
        ("color" = Option<String>, Query, description = "Only palettes containing this colour (any accepted form, e.g. `#ABC`). An empty value is a 400"),
        ("ordering" = inline(Option<PaletteOrdering>), Query, description = "Sort order; by id (creation order) when absent. An empty value is a 400"),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 1000, description = "Page size, 1 to 1000 (default 1000 in 1.0, 50 in 2.0)"),
        ("cursor" = Option<String>, Query, description = "The cursor of the next page (from `Link` in 1.0, `next_cursor` in 2.0), with the same filters and ordering"),
    ),
    responses(
        (status = 200, description = "1.0: a bare array, the next page in `Link`; 2.0: `items` and `next_cursor`",
            headers(("Link" = String, description = "1.0: `<url>; rel=\"next\"` when there is a next page")),
            content(
                (Vec<PaletteV1> = "application/vnd.photoroom+json; version=1.0"),
                (PalettePageV2 = "application/vnd.photoroom+json; version=2.0"),
            )),
        (status = 400, description = "An invalid `team`, `search`, `color`, `ordering`, `limit` or `cursor` (an empty `team`, `color` or `ordering` included), named in the body"),
        (status = 401, description = "Missing or wrong credentials"),
    )
)]
#[get("/palettes")]
async fn list_palettes(
    req: HttpRequest,
    version: ApiVersion,
    user: CurrentUser,
    pool: web::Data<Pool>,
    views: web::Data<TeamCache>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, ApiError> {
    let filters = read_filters(&query).map_err(ApiError::validation)?;
    let page = PageParams::parse(&query, version.default_limit())?;
    let ordering = filters.ordering;
    let after = match &page.cursor {
        Some(cursor) => Some(ordering.position(cursor).map_err(ApiError::validation)?),
        None => None,
    };
    let list = ListQuery {
        team: filters.team,
        search: filters.search,
        color: filters.color,
        ordering,
        after,
        fetch: page.fetch_limit(),
    };
    let mut conn = pool.get().await?;
    let teams = views.of_user(&mut conn, user.id).await?;
    let team_ids: Vec<i64> = teams.iter().map(|team| team.team.id).collect();
    let rows = service::list(&mut conn, &team_ids, &list).await?;
    drop(conn);
    let (rows, next) = split_page(rows, page.limit, |row| ordering.cursor_after(row));
    // Every row is of one of `teams`: the page read only those.
    let team_of = |row: &ListRow| cache::find(&teams, row.palette.team_id);
    let name_of = |row: &ListRow| team_of(row).map_or("", |team| team.team.name.as_str());
    match version {
        ApiVersion::V1 => {
            let items: Vec<PaletteV1> = rows
                .iter()
                .map(|row| PaletteV1::new(&row.palette, name_of(row), team_of(row)))
                .collect();
            Ok(respond::list(&req, version, &items, next.as_ref()))
        }
        ApiVersion::V2 => {
            let items: Vec<PaletteV2> = rows
                .iter()
                .map(|row| PaletteV2::new(&row.palette, name_of(row)))
                .collect();
            Ok(respond::list(&req, version, &items, next.as_ref()))
        }
    }
}

/// Create a palette in one of my teams.
#[utoipa::path(
    tag = "palettes",
    security(("basic" = []), ("bearer" = [])),
    request_body(content = PaletteWrite, content_type = "application/json",
        description = "1.0: `name`, `owner_id` (required) and `colors`; 2.0: `name`, `team_id` (required), `description` and `colors`"),
    responses(
        (status = 201, description = "The new palette",
            headers(
                ("Location" = String, description = "The new palette's URL, `/api/palettes/{id}/`"),
                ("ETag" = String, description = "2.0: the palette's entity tag"),
            ),
            content(
                (PaletteV1 = "application/vnd.photoroom+json; version=1.0"),
                (PaletteV2 = "application/vnd.photoroom+json; version=2.0"),
            )),
        (status = 400, description = "Invalid fields (by name; colours by position), a team I am not in, malformed JSON; in 1.0 also a duplicate name"),
        (status = 401, description = "Missing or wrong credentials"),
        (status = 409, description = "2.0: the team already has a palette of this name, ignoring case"),
    )
)]
#[post("/palettes")]
async fn create_palette(
    version: ApiVersion,
    user: CurrentUser,
    pool: web::Data<Pool>,
    views: web::Data<TeamCache>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let (changes, mut errors) = read_write(version, input::object(&body)?, true);
    let field = team_field(version);
    let mut conn = pool.get().await?;
    if !errors.is_empty() {
        // A team I am not in is reported with the other errors, as the seed did.
        if let Some(team_id) = changes.team_id {
            check_team(&mut conn, user.id, team_id, field, &mut errors).await?;
        }
        return Err(ApiError::validation(errors));
    }
    let values = PaletteValues::merge(None, changes);
    // Membership is checked by the insert itself: one statement.
    let palette = service::insert_as_member(&mut conn, user.id, &values)
        .await
        .map_err(|e| e.into_api_error(field))?
        .ok_or_else(|| ApiError::field(field, not_a_member(field, values.team_id)))?;
    let response = palette_response(
        &mut conn,
        (&views, user.id),
        version,
        StatusCode::CREATED,
        &palette,
        None,
    )
    .await?;
    Ok(created(response, &palette))
}

/// One palette of my teams.
#[utoipa::path(
    tag = "palettes",
    security(("basic" = []), ("bearer" = [])),
    params(("id" = i64, Path, description = "Palette id")),
    responses(
        (status = 200, description = "The palette",
            headers(("ETag" = String, description = "2.0: the palette's entity tag, for `If-Match`")),
            content(
                (PaletteV1 = "application/vnd.photoroom+json; version=1.0"),
                (PaletteV2 = "application/vnd.photoroom+json; version=2.0"),
            )),
        (status = 401, description = "Missing or wrong credentials"),
        (status = 404, description = "No such palette in my teams"),
    )
)]
#[get("/palettes/{id}")]
async fn read_palette(
    version: ApiVersion,
    path: web::Path<i64>,
    user: CurrentUser,
    pool: web::Data<Pool>,
    views: web::Data<TeamCache>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = pool.get().await?;
    let row = service::find_visible(&mut conn, user.id, path.into_inner())
        .await?
        .ok_or_else(ApiError::not_found)?;
    let viewer = (views.as_ref(), user.id);
    palette_response(
        &mut conn,
        viewer,
        version,
        StatusCode::OK,
        &row.palette,
        Some(row.team_name),
    )
    .await
}

/// Palette `id`, locked for the rest of the caller's transaction, if
/// `user_id` may see it (else 404) and `precondition` holds for its current
/// `ETag` (else 412): the first checks of every write and delete.
async fn lock_for_write(
    conn: &mut AsyncPgConnection,
    user_id: i64,
    id: i64,
    precondition: &IfMatch,
) -> Result<Palette, ApiError> {
    let (current, team_name) = service::lock_visible(conn, user_id, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    if !precondition.allows(&current.etag(&team_name)) {
        return Err(ApiError::precondition_failed());
    }
    Ok(current)
}

/// PUT and PATCH, in one transaction holding the palette's row lock.
async fn write_palette(
    req: &HttpRequest,
    version: ApiVersion,
    user: &CurrentUser,
    (pool, views): (&Pool, &TeamCache),
    id: i64,
    body: &Value,
    required: bool,
) -> Result<HttpResponse, ApiError> {
    // Read now, reported after the 404 and 412 checks, as the seed did.
    let parsed = input::object(body).map(|map| read_write(version, map, required));
    let precondition = IfMatch::of(req);
    let team_field = team_field(version);
    let user_id = user.id;
    let mut conn = pool.get().await?;
    let palette = conn
        .transaction::<_, ApiError, _>(async move |conn| {
            let current = lock_for_write(conn, user_id, id, &precondition).await?;
            let (changes, mut errors) = parsed?;
            // Visible means a member of the current team; a move also needs the target.
            if let Some(team_id) = changes.team_id.filter(|t| *t != current.team_id) {
                check_team(conn, user_id, team_id, team_field, &mut errors).await?;
            }
            errors.into_result()?;
            let values = PaletteValues::merge(Some(&current), changes);
            service::update(conn, id, &values)
                .await
                .map_err(|e| e.into_api_error(team_field))
        })
        .await?;
    palette_response(&mut conn, (views, user_id), version, StatusCode::OK, &palette, None).await
}

/// Replace a palette: `name` and the team are required, other fields left out are kept.
#[utoipa::path(
    tag = "palettes",
    security(("basic" = []), ("bearer" = [])),
    params(
        ("id" = i64, Path, description = "Palette id"),
        ("If-Match" = Option<String>, Header, description = "The palette's `ETag`; the write happens only if it is current"),
    ),
    request_body(content = PaletteWrite, content_type = "application/json",
        description = "1.0: `name`, `owner_id` (required) and `colors`; 2.0: `name`, `team_id` (required), `description` and `colors`"),
    responses(
        (status = 200, description = "The palette as written",
            headers(("ETag" = String, description = "2.0: the new entity tag")),
            content(
                (PaletteV1 = "application/vnd.photoroom+json; version=1.0"),
                (PaletteV2 = "application/vnd.photoroom+json; version=2.0"),
            )),
        (status = 400, description = "Invalid fields, a target team I am not in, malformed JSON; in 1.0 also a duplicate name"),
        (status = 401, description = "Missing or wrong credentials"),
        (status = 404, description = "No such palette in my teams"),
        (status = 409, description = "2.0: the team already has a palette of this name, ignoring case"),
        (status = 412, description = "`If-Match` does not match the palette's current `ETag`"),
    )
)]
#[put("/palettes/{id}")]
async fn replace_palette(
    req: HttpRequest,
    version: ApiVersion,
    path: web::Path<i64>,
    user: CurrentUser,
    pool: web::Data<Pool>,
    views: web::Data<TeamCache>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    write_palette(&req, version, &user, (&pool, &views), path.into_inner(), &body, true).await
}

/// Change some fields of a palette.
#[utoipa::path(
    tag = "palettes",
    security(("basic" = []), ("bearer" = [])),
    params(
        ("id" = i64, Path, description = "Palette id"),
        ("If-Match" = Option<String>, Header, description = "The palette's `ETag`; the write happens only if it is current"),
    ),
    request_body(content = PaletteWrite, content_type = "application/json",
        description = "Any of the fields of the version; those left out are kept"),
    responses(
        (status = 200, description = "The palette as written",
            headers(("ETag" = String, description = "2.0: the new entity tag")),
            content(
                (PaletteV1 = "application/vnd.photoroom+json; version=1.0"),
                (PaletteV2 = "application/vnd.photoroom+json; version=2.0"),
            )),
        (status = 400, description = "Invalid fields, a target team I am not in, malformed JSON; in 1.0 also a duplicate name"),
        (status = 401, description = "Missing or wrong credentials"),
        (status = 404, description = "No such palette in my teams"),
        (status = 409, description = "2.0: the team already has a palette of this name, ignoring case"),
        (status = 412, description = "`If-Match` does not match the palette's current `ETag`"),
    )
)]
#[patch("/palettes/{id}")]
async fn update_palette(
    req: HttpRequest,
    version: ApiVersion,
    path: web::Path<i64>,
    user: CurrentUser,
    pool: web::Data<Pool>,
    views: web::Data<TeamCache>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    write_palette(&req, version, &user, (&pool, &views), path.into_inner(), &body, false).await
}

/// Delete a palette.
#[utoipa::path(
    tag = "palettes",
    security(("basic" = []), ("bearer" = [])),
    params(
        ("id" = i64, Path, description = "Palette id"),
        ("If-Match" = Option<String>, Header, description = "The palette's `ETag`; the delete happens only if it is current"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Missing or wrong credentials"),
        (status = 404, description = "No such palette in my teams"),
        (status = 412, description = "`If-Match` does not match the palette's current `ETag`"),
    )
)]
#[delete("/palettes/{id}")]
async fn delete_palette(
    req: HttpRequest,
    path: web::Path<i64>,
    user: CurrentUser,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let precondition = IfMatch::of(&req);
    let user_id = user.id;
    let mut conn = pool.get().await?;
    conn.transaction::<_, ApiError, _>(async move |conn| {
        lock_for_write(conn, user_id, id, &precondition).await?;
        Ok(service::delete(conn, id).await?)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Copy a palette into a team I belong to (the same team with a new name, or another).
#[utoipa::path(
    tag = "palettes",
    security(("basic" = []), ("bearer" = [])),
    params(("id" = i64, Path, description = "Id of the palette to copy")),
    request_body(content = PaletteCopyRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "The copy",
            headers(
                ("Location" = String, description = "The copy's URL, `/api/palettes/{id}/`"),
                ("ETag" = String, description = "2.0: the copy's entity tag"),
            ),
            content(
                (PaletteV1 = "application/vnd.photoroom+json; version=1.0"),
                (PaletteV2 = "application/vnd.photoroom+json; version=2.0"),
            )),
        (status = 400, description = "Invalid fields, a target team I am not in, malformed JSON; in 1.0 also a duplicate name"),
        (status = 401, description = "Missing or wrong credentials"),
        (status = 404, description = "No such palette in my teams"),
        (status = 409, description = "2.0: the target team already has a palette of this name, ignoring case"),
    )
)]
#[post("/palettes/{id}/copy")]
async fn copy_palette(
    version: ApiVersion,
    path: web::Path<i64>,
    user: CurrentUser,
    pool: web::Data<Pool>,
    views: web::Data<TeamCache>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = pool.get().await?;
    let source = service::find_visible(&mut conn, user.id, path.into_inner())
        .await?
        .ok_or_else(ApiError::not_found)?;
    let map = input::object(&body)?;
    let mut errors = FieldErrors::new();
    let team_id = input::id(map, "team_id", true, &mut errors).flatten();
    let name = read_name(map, false, &mut errors);
    if !errors.is_empty() {
        // A team I am not in is reported with the other errors.
        if let Some(team_id) = team_id.filter(|t| *t != source.palette.team_id) {
            check_team(&mut conn, user.id, team_id, "team_id", &mut errors).await?;
        }
        return Err(ApiError::validation(errors));
    }
    let Some(team_id) = team_id else {
        return Err(ApiError::field("team_id", "This field is required."));
    };
    let original = source.palette;
    let values = PaletteValues {
        team_id,
        name: name.unwrap_or(original.name),
        description: original.description,
        colors: original.colors,
        color_names: original.color_names,
    };
    // Membership of the target team is checked by the insert itself.
    let copy = service::insert_as_member(&mut conn, user.id, &values)
        .await
        .map_err(|e| e.into_api_error("team_id"))?
        .ok_or_else(|| ApiError::field("team_id", not_a_member("team_id", team_id)))?;
    let team_name = (team_id == original.team_id).then_some(source.team_name);
    let viewer = (views.as_ref(), user.id);
    let response = palette_response(&mut conn, viewer, version, StatusCode::CREATED, &copy, team_name).await?;
    Ok(created(response, &copy))
}

/// Registers the routes of palettes (under `/api`).
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_palettes)
        .service(create_palette)
        .service(read_palette)
        .service(replace_palette)
        .service(update_palette)
        .service(delete_palette)
        .service(copy_palette);
}
