//! HTTP handlers of accounts: parse, authenticate, call the service, shape the response.

use actix_web::http::StatusCode;
use actix_web::{delete, get, post, put, web, HttpRequest, HttpResponse};
use api_versioning::body::JsonBody;
use api_versioning::paging::Page;
use api_versioning::{respond, ApiVersion, V1_MEDIA_TYPE, V2_MEDIA_TYPE};
use database::Pool;
use kernel::{ApiError, Cursor, IfMatch};

use crate::auth::Auth;
use crate::directory::TeamDirectory;
use crate::model::{CurrentUser, Memberships, User};
use crate::service;
use crate::wire::v1::UserV1;
use crate::wire::v2::UserV2;
use crate::wire::{self, PasswordChangeRequest, RegisterRequest, TokenCreated, TokenInfo, TokenPageV2, TokenRequest};

/// A user with their teams, in `version`'s shape, with the `ETag` 2.0 sends.
fn user_response(status: StatusCode, version: ApiVersion, user: &User, teams: &Memberships) -> HttpResponse {
    respond::json_with_etag(status, version, &user.etag(), &wire::user(version, user, teams))
}

/// Register a user; their personal team is created with them.
#[utoipa::path(
    tag = "accounts",
    request_body(content = RegisterRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "The new user", headers(("ETag" = String, description = "2.0 only")), content(
            (UserV1 = V1_MEDIA_TYPE),
            (UserV2 = V2_MEDIA_TYPE),
        )),
        (status = 400, description = "Invalid username or password; in 1.0 also a taken username"),
        (status = 409, description = "Username taken (2.0)"),
    )
)]
#[post("/users")]
async fn register(
    version: ApiVersion,
    pool: web::Data<Pool>,
    auth: web::Data<Auth>,
    directory: web::Data<dyn TeamDirectory>,
    JsonBody(body): JsonBody<RegisterRequest>,
) -> Result<HttpResponse, ApiError> {
    let registration = body.validate().map_err(ApiError::validation)?;
    let (user, teams) = service::register(&pool, &auth, &**directory, registration).await?;
    Ok(user_response(StatusCode::CREATED, version, &user, &teams))
}

/// Who am I, with my teams.
#[utoipa::path(
    tag = "accounts",
    security(("basic" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "The authenticated user", headers(("ETag" = String, description = "2.0 only")), content(
            (UserV1 = V1_MEDIA_TYPE),
            (UserV2 = V2_MEDIA_TYPE),
        )),
    )
)]
#[get("/users/me")]
async fn me(
    version: ApiVersion,
    user: CurrentUser,
    pool: web::Data<Pool>,
    directory: web::Data<dyn TeamDirectory>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = pool.get().await?;
    let (user, teams) = service::account(&mut conn, &**directory, user.id).await?;
    Ok(user_response(StatusCode::OK, version, &user, &teams))
}

/// Change my password; every API token of mine is revoked.
#[utoipa::path(
    tag = "accounts",
    security(("basic" = []), ("bearer" = [])),
    request_body(content = PasswordChangeRequest, content_type = "application/json"),
    responses(
        (status = 204, description = "Password changed, tokens revoked"),
        (status = 400, description = "Wrong current password or invalid new one"),
        (status = 429, description = "Too many wrong current passwords from this client", headers(("Retry-After" = u64))),
    )
)]
#[put("/users/me/password")]
async fn change_password(
    req: HttpRequest,
    user: CurrentUser,
    pool: web::Data<Pool>,
    auth: web::Data<Auth>,
    JsonBody(body): JsonBody<PasswordChangeRequest>,
) -> Result<HttpResponse, ApiError> {
    let change = body.validate().map_err(ApiError::validation)?;
    let client = auth.client_address(&req);
    service::change_password(&pool, &auth, &user, client, change).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Delete my account, my personal team and its palettes.
#[utoipa::path(
    tag = "accounts",
    security(("basic" = []), ("bearer" = [])),
    params(IfMatch),
    responses(
        (status = 204, description = "Account deleted"),
        (status = 400, description = "I am the last owner of a team with other members (1.0)"),
        (status = 409, description = "I am the last owner of a team with other members (2.0)"),
        (status = 412, description = "`If-Match` does not match my current `ETag`"),
    )
)]
#[delete("/users/me")]
async fn delete_me(
    user: CurrentUser,
    if_match: IfMatch,
    pool: web::Data<Pool>,
    auth: web::Data<Auth>,
    directory: web::Data<dyn TeamDirectory>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = pool.get().await?;
    service::delete_account(&mut conn, &auth, &**directory, user.id, &if_match).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Create an API token; its secret is in this response only.
#[utoipa::path(
    tag = "accounts",
    security(("basic" = []), ("bearer" = [])),
    request_body(content = TokenRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "The token with its secret", content(
            (TokenCreated = V1_MEDIA_TYPE),
            (TokenCreated = V2_MEDIA_TYPE),
        )),
        (status = 400, description = "Invalid name or expiry"),
    )
)]
#[post("/tokens")]
async fn create_token(
    user: CurrentUser,
    pool: web::Data<Pool>,
    JsonBody(body): JsonBody<TokenRequest>,
) -> Result<HttpResponse, ApiError> {
    let spec = body.validate().map_err(ApiError::validation)?;
    let mut conn = pool.get().await?;
    let (token, secret) = service::create_token(&mut conn, user.id, &spec).await?;
    Ok(respond::json(StatusCode::CREATED, &TokenCreated::new(&token, secret)))
}

/// My API tokens, oldest first, without secrets.
#[utoipa::path(
    tag = "accounts",
    security(("basic" = []), ("bearer" = [])),
    params(Page),
    responses(
        (status = 200, description = "1.0: a bare array (next page in `Link`); 2.0: `items` and `next_cursor`", content(
            (Vec<TokenInfo> = V1_MEDIA_TYPE),
            (TokenPageV2 = V2_MEDIA_TYPE),
        )),
    )
)]
#[get("/tokens")]
async fn list_tokens(
    req: HttpRequest,
    user: CurrentUser,
    page: Page,
    pool: web::Data<Pool>,
) -> Result<HttpResponse, ApiError> {
    let after = page.after_id()?;
    let mut conn = pool.get().await?;
    let rows = service::list_tokens(&mut conn, user.id, after, page.fetch_limit()).await?;
    let (rows, next) = page.split(rows, |t| Cursor(vec![t.id.into()]));
    let items: Vec<TokenInfo> = rows.iter().map(TokenInfo::from).collect();
    Ok(page.respond(&req, &items, next.as_ref()))
}

/// Revoke one of my API tokens.
#[utoipa::path(
    tag = "accounts",
    security(("basic" = []), ("bearer" = [])),
    params(("id" = i64, Path, description = "Token id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, description = "No such token of mine"),
    )
)]
#[delete("/tokens/{id}")]
async fn revoke_token(
    // Before the user: a path that names no token is a 404, credentials or not.
    path: web::Path<i64>,
    user: CurrentUser,
    pool: web::Data<Pool>,
    auth: web::Data<Auth>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = pool.get().await?;
    service::revoke_token(&mut conn, &auth, user.id, path.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Registers the routes of accounts (under `/api`).
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(register)
        .service(me)
        .service(change_password)
        .service(delete_me)
        .service(create_token)
        .service(list_tokens)
        .service(revoke_token);
}
