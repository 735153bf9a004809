//! HTTP handlers of palettes: parse, authenticate, call the service, shape
//! the response. The rules, their order and their transactions are in
//! [`crate::service`].
//!
//! A body that is not JSON, or not a JSON object, is refused (400) before
//! anything else; its fields are checked by the service in the order it
//! documents (after the 404 and 412 checks of a write).
//!
//! Handlers take `web::Path` before `CurrentUser`: actix extracts arguments in
//! order and answers with the first failure, so a path that names no palette
//! (`/api/palettes/abc`) is a 404 with or without credentials.

use accounts::CurrentUser;
use actix_web::http::header::{self, HeaderValue, LOCATION};
use actix_web::http::StatusCode;
use actix_web::{delete, get, patch, post, put, web, HttpRequest, HttpResponse};
use api_versioning::body::{DeferredJsonBody, JsonBody};
use api_versioning::paging::Page;
use api_versioning::{respond, ApiVersion, V1_MEDIA_TYPE, V2_MEDIA_TYPE};
use database::Pool;
use events::Hub;
use kernel::etag::Fnv64;
use kernel::{ApiError, FieldErrors, IfMatch};
use teams::cache::{self, TeamCache};

mod files;

use crate::color;
use crate::model::{InvalidBody, PaletteView};
use crate::service::{self, ListQuery, ListRow, Ordering};
use crate::wire::schemas::PaletteCreate;
use crate::wire::v1::PaletteV1;
use crate::wire::v2::{PalettePageV2, PaletteV2};
use crate::wire::{team_detail, write_error, PaletteCopyRequest, PaletteOrdering, PaletteWrite};

/// One palette in the version's shape, with its `ETag` in 2.0.
fn palette_response(version: ApiVersion, status: StatusCode, view: &PaletteView) -> Result<HttpResponse, ApiError> {
    let body = match version {
        ApiVersion::V1 => serde_json::to_value(PaletteV1::new(&view.palette, &view.team_name, view.team.as_ref())),
        ApiVersion::V2 => serde_json::to_value(PaletteV2::new(&view.palette, &view.team_name)),
    };
    let body = body.map_err(ApiError::internal)?;
    Ok(respond::json_with_etag(status, version, &view.etag(), &body))
}

/// A new palette's response with its URL in `Location`, as teams do.
fn created(version: ApiVersion, view: &PaletteView) -> Result<HttpResponse, ApiError> {
    let mut response = palette_response(version, StatusCode::CREATED, view)?;
    if let Ok(location) = HeaderValue::from_str(&format!("/api/palettes/{}/", view.palette.id)) {
        response.headers_mut().insert(LOCATION, location);
    }
    Ok(response)
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
/// [`Page`] or ignored. An empty `team`, `color` or `ordering` is an
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
        ("search" = Option<String>, Query, pattern = r"^[^\x00]*$",
            description = "Only palettes whose name contains this text, ignoring case (no NUL character). An empty value is no filter: every name contains the empty text"),
        ("color" = Option<String>, Query, min_length = 1, pattern = "^#?([0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$", description = "Only palettes containing this colour (any accepted form, e.g. `#ABC`). An empty value is a 400"),
        ("ordering" = inline(Option<PaletteOrdering>), Query, description = "Sort order; by id (creation order) when absent. An empty value is a 400"),
        Page,
        ("If-None-Match" = Option<String>, Header, description = "An `ETag` of this list from before: 304 while nothing in it changed"),
    ),
    responses(
        (status = 200, description = "1.0: a bare array, the next page in `Link`; 2.0: `items` and `next_cursor`",
            headers(
                ("Link" = String, description = "1.0: `<url>; rel=\"next\"` when there is a next page"),
                ("ETag" = String, description = "A weak tag of this list (the version, the query and the latest change of each of my teams), for `If-None-Match`; absent for a moment after a change"),
            ),
            content(
                (Vec<PaletteV1> = V1_MEDIA_TYPE),
                (PalettePageV2 = V2_MEDIA_TYPE),
            )),
        (status = 304, description = "`If-None-Match` names this list's current `ETag`: nothing in it changed",
            headers(("ETag" = String, description = "The list's tag"))),
        (status = 400, description = "An invalid `team`, `search`, `color`, `ordering`, `limit` or `cursor` (an empty `team`, `color` or `ordering` included), named in the body"),
    )
)]
#[get("/palettes")]
async fn list_palettes(
    req: HttpRequest,
    user: CurrentUser,
    query: web::Query<Vec<(String, String)>>,
    page: Result<Page, ApiError>,
    pool: web::Data<Pool>,
    cache: web::Data<TeamCache>,
    hub: web::Data<Hub>,
) -> Result<HttpResponse, ApiError> {
    // The filters are checked before `limit` and `cursor`.
    let filters = read_filters(&query).map_err(ApiError::validation)?;
    let page = page?;
    // Made before anything is read, so that it never names newer data than the page holds.
    let etag = list_etag(&req, (&cache, &hub), user.id, page.version);
    if let Some(etag) = &etag {
        if kernel::etag::none_match(&req, etag) {
            return Ok(HttpResponse::NotModified()
                .insert_header((header::ETAG, etag.clone()))
                .finish());
        }
    }
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
    let (rows, teams) = service::list(&mut conn, &cache, user.id, &list).await?;
    drop(conn);
    let (rows, next) = page.split(rows, |row| ordering.cursor_after(row));
    // Every row is of one of `teams`: the page read only those.
    let team_of = |row: &ListRow| cache::find(&teams, row.palette.team_id);
    let name_of = |row: &ListRow| team_of(row).map_or("", |team| team.team.name.as_str());
    match page.version {
        ApiVersion::V1 => {
            let items: Vec<PaletteV1> = rows
                .iter()
                .map(|row| PaletteV1::new(&row.palette, name_of(row), team_of(row)))
                .collect();
            Ok(with_etag(page.respond(&req, &items, next.as_ref()), etag))
        }
        ApiVersion::V2 => {
            let items: Vec<PaletteV2> = rows
                .iter()
                .map(|row| PaletteV2::new(&row.palette, name_of(row)))
                .collect();
            Ok(with_etag(page.respond(&req, &items, next.as_ref()), etag))
        }
    }
}

/// The weak `ETag` of a list of palettes: the caller, the version, the
/// query, and each of the caller's teams with the id of its latest event,
/// which every change of a palette, a team's name or its members moves. It
/// needs no database: the teams come from [`TeamCache`] (kept exact by
/// change notices), the positions from the events [`Hub`]. `None` when
/// either cannot vouch for them (teams not cached, a change through this
/// instance whose event is not read yet): the list then goes without one.
fn list_etag(req: &HttpRequest, (cache, hub): (&TeamCache, &Hub), user_id: i64, version: ApiVersion) -> Option<String> {
    let teams = cache.cached(user_id)?;
    let team_ids: Vec<i64> = teams.iter().map(|team| team.team.id).collect();
    let positions = hub.team_positions(team_ids.iter().copied())?;
    let mut hash = Fnv64::new();
    hash.write_str(if version == ApiVersion::V2 { "2.0" } else { "1.0" });
    hash.write_i64(user_id);
    hash.write_str(req.query_string());
    for (team_id, position) in team_ids.iter().zip(positions) {
        hash.write_i64(*team_id);
        hash.write_i64(position);
    }
    Some(format!("W/\"l{:016x}\"", hash.finish()))
}

/// Whether `If-None-Match` names `etag` (weak comparison) or is `*`.
fn with_etag(mut response: HttpResponse, etag: Option<String>) -> HttpResponse {
    if let Some(value) = etag.and_then(|etag| header::HeaderValue::from_str(&etag).ok()) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}

/// Create a palette in one of my teams.
#[utoipa::path(
    tag = "palettes",
    security(("basic" = []), ("bearer" = [])),
    request_body(content = PaletteCreate, content_type = "application/json",
        description = "1.0: `name`, `owner_id` (required) and `colors`; 2.0: `name`, `team_id` (required), `description` and `colors`",
        examples(
            ("1.0" = (summary = "A 1.0 body: the team is `owner_id`, colours are hex strings",
                value = json!({"name": "Sea", "owner_id": 1, "colors": ["#0077be", "#abc"]}))),
            ("2.0" = (summary = "A 2.0 body: the team is `team_id`, colours may have names",
                value = json!({"name": "Sea", "team_id": 1, "description": "Blues of the coast",
                    "colors": ["#0077be", {"hex": "#abc", "name": "Foam"}]}))),
        )),
    responses(
        (status = 201, description = "The new palette",
            headers(
                ("Location" = String, description = "The new palette's URL, `/api/palettes/{id}/`"),
                ("ETag" = String, description = "2.0: the palette's entity tag"),
            ),
            content(
                (PaletteV1 = V1_MEDIA_TYPE),
                (PaletteV2 = V2_MEDIA_TYPE),
            )),
        (status = 400, description = "Invalid fields (by name; colours by position), a team I am not in, malformed JSON; in 1.0 also a duplicate name"),
        (status = 409, description = "2.0: the team already has a palette of this name, ignoring case"),
    )
)]
#[post("/palettes")]
async fn create_palette(
    version: ApiVersion,
    user: CurrentUser,
    pool: web::Data<Pool>,
    cache: web::Data<TeamCache>,
    hub: web::Data<Hub>,
    body: JsonBody<PaletteWrite>,
) -> Result<HttpResponse, ApiError> {
    let changes = body.0.validate(version, true);
    let mut conn = pool.get().await?;
    let view = service::create(&mut conn, &cache, user.id, changes, team_detail(version))
        .await
        .map_err(|e| write_error(version, e))?;
    hub.touch(view.palette.team_id);
    created(version, &view)
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
                (PaletteV1 = V1_MEDIA_TYPE),
                (PaletteV2 = V2_MEDIA_TYPE),
            )),
        (status = 404, description = "No such palette in my teams"),
    )
)]
#[get("/palettes/{id}")]
async fn read_palette(
    version: ApiVersion,
    path: web::Path<i64>,
    user: CurrentUser,
    pool: web::Data<Pool>,
    cache: web::Data<TeamCache>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = pool.get().await?;
    let view = service::read(&mut conn, &cache, user.id, path.into_inner(), team_detail(version)).await?;
    palette_response(version, StatusCode::OK, &view)
}

/// PUT (`required`) and PATCH.
async fn write_palette(
    version: ApiVersion,
    (id, if_match): (i64, &IfMatch),
    user: &CurrentUser,
    (pool, cache, hub): (&Pool, &TeamCache, &Hub),
    body: DeferredJsonBody<PaletteWrite>,
    required: bool,
) -> Result<HttpResponse, ApiError> {
    // A body that is not an object is answered after the palette's visibility and `If-Match`.
    let changes = body
        .0
        .map_err(InvalidBody::from)
        .and_then(|body| body.validate(version, required));
    let mut conn = pool.get().await?;
    let view = service::write(&mut conn, cache, user.id, (id, if_match), changes, team_detail(version))
        .await
        .map_err(|e| write_error(version, e))?;
    hub.touch(view.palette.team_id);
    palette_response(version, StatusCode::OK, &view)
}

/// Replace a palette: `name` and the team are required, other fields left out are kept.
#[utoipa::path(
    tag = "palettes",
    security(("basic" = []), ("bearer" = [])),
    params(
        ("id" = i64, Path, description = "Palette id"),
        IfMatch,
    ),
    request_body(content = PaletteCreate, content_type = "application/json",
        description = "1.0: `name`, `owner_id` (required) and `colors`; 2.0: `name`, `team_id` (required), `description` and `colors`",
        examples(
            ("1.0" = (summary = "A 1.0 body: the team is `owner_id`, colours are hex strings",
                value = json!({"name": "Sea", "owner_id": 1, "colors": ["#0077be", "#abc"]}))),
            ("2.0" = (summary = "A 2.0 body: the team is `team_id`, colours may have names",
                value = json!({"name": "Sea", "team_id": 1, "description": "Blues of the coast",
                    "colors": ["#0077be", {"hex": "#abc", "name": "Foam"}]}))),
        )),
    responses(
        (status = 200, description = "The palette as written",
            headers(("ETag" = String, description = "2.0: the new entity tag")),
            content(
                (PaletteV1 = V1_MEDIA_TYPE),
                (PaletteV2 = V2_MEDIA_TYPE),
            )),
        (status = 400, description = "Invalid fields, a target team I am not in, malformed JSON; in 1.0 also a duplicate name"),
        (status = 404, description = "No such palette in my teams"),
        (status = 409, description = "2.0: the team already has a palette of this name, ignoring case"),
        (status = 412, description = "`If-Match` does not match the palette's current `ETag`"),
    )
)]
#[put("/palettes/{id}")]
async fn replace_palette(
    version: ApiVersion,
    path: web::Path<i64>,
    user: CurrentUser,
    if_match: IfMatch,
    (pool, cache, hub): (web::Data<Pool>, web::Data<TeamCache>, web::Data<Hub>),
    body: DeferredJsonBody<PaletteWrite>,
) -> Result<HttpResponse, ApiError> {
    let target = (path.into_inner(), &if_match);
    write_palette(version, target, &user, (&pool, &cache, &hub), body, true).await
}

/// Change some fields of a palette.
#[utoipa::path(
    tag = "palettes",
    security(("basic" = []), ("bearer" = [])),
    params(
        ("id" = i64, Path, description = "Palette id"),
        IfMatch,
    ),
    request_body(content = PaletteWrite, content_type = "application/json",
        description = "Any of the fields of the version; those left out are kept",
        examples(
            ("1.0" = (summary = "A 1.0 body: new colours, as hex strings",
                value = json!({"colors": ["#0077be", "#abc"]}))),
            ("2.0" = (summary = "A 2.0 body: a new name and colours, which may have names",
                value = json!({"name": "Ocean", "colors": ["#0077be", {"hex": "#abc", "name": "Foam"}]}))),
        )),
    responses(
        (status = 200, description = "The palette as written",
            headers(("ETag" = String, description = "2.0: the new entity tag")),
            content(
                (PaletteV1 = V1_MEDIA_TYPE),
                (PaletteV2 = V2_MEDIA_TYPE),
            )),
        (status = 400, description = "Invalid fields, a target team I am not in, malformed JSON; in 1.0 also a duplicate name"),
        (status = 404, description = "No such palette in my teams"),
        (status = 409, description = "2.0: the team already has a palette of this name, ignoring case"),
        (status = 412, description = "`If-Match` does not match the palette's current `ETag`"),
    )
)]
#[patch("/palettes/{id}")]
async fn update_palette(
    version: ApiVersion,
    path: web::Path<i64>,
    user: CurrentUser,
    if_match: IfMatch,
    (pool, cache, hub): (web::Data<Pool>, web::Data<TeamCache>, web::Data<Hub>),
    body: DeferredJsonBody<PaletteWrite>,
) -> Result<HttpResponse, ApiError> {
    let target = (path.into_inner(), &if_match);
    write_palette(version, target, &user, (&pool, &cache, &hub), body, false).await
}

/// Delete a palette.
#[utoipa::path(
    tag = "palettes",
    security(("basic" = []), ("bearer" = [])),
    params(
        ("id" = i64, Path, description = "Palette id"),
        IfMatch,
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such palette in my teams"),
        (status = 412, description = "`If-Match` does not match the palette's current `ETag`"),
    )
)]
#[delete("/palettes/{id}")]
async fn delete_palette(
    path: web::Path<i64>,
    user: CurrentUser,
    if_match: IfMatch,
    pool: web::Data<Pool>,
    hub: web::Data<Hub>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = pool.get().await?;
    let team_id = service::delete(&mut conn, user.id, path.into_inner(), &if_match).await?;
    hub.touch(team_id);
    Ok(HttpResponse::NoContent().finish())
}

/// Copy a palette into a team I belong to (the same team with a new name, or another).
#[utoipa::path(
    tag = "palettes",
    security(("basic" = []), ("bearer" = [])),
    params(("id" = i64, Path, description = "Id of the palette to copy")),
    request_body(content = PaletteCopyRequest, content_type = "application/json",
        example = json!({"team_id": 1, "name": "Sea (copy)"})),
    responses(
        (status = 201, description = "The copy",
            headers(
                ("Location" = String, description = "The copy's URL, `/api/palettes/{id}/`"),
                ("ETag" = String, description = "2.0: the copy's entity tag"),
            ),
            content(
                (PaletteV1 = V1_MEDIA_TYPE),
                (PaletteV2 = V2_MEDIA_TYPE),
            )),
        (status = 400, description = "Invalid fields, a target team I am not in, malformed JSON; in 1.0 also a duplicate name"),
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
    cache: web::Data<TeamCache>,
    hub: web::Data<Hub>,
    body: DeferredJsonBody<PaletteCopyRequest>,
) -> Result<HttpResponse, ApiError> {
    // A body that is not an object is answered after the palette's visibility.
    let changes = body.0.map_err(InvalidBody::from).and_then(|body| body.validate());
    let mut conn = pool.get().await?;
    let view = service::copy(
        &mut conn,
        &cache,
        user.id,
        path.into_inner(),
        changes,
        team_detail(version),
    )
    .await?;
    hub.touch(view.palette.team_id);
    created(version, &view)
}

/// Registers the routes of palettes (under `/api`).
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    files::configure(cfg);
    cfg.service(list_palettes)
        .service(create_palette)
        .service(read_palette)
        .service(replace_palette)
        .service(update_palette)
        .service(delete_palette)
        .service(copy_palette);
}
