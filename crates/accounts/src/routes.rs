//! HTTP handlers of accounts: parse, authorise, call the service, shape the response.

use actix_web::http::StatusCode;
use actix_web::{delete, get, post, put, web, HttpRequest, HttpResponse};
use api_versioning::{respond, ApiVersion};
use chrono::{Duration, Utc};
use database::Pool;
use diesel_async::AsyncConnection;
use kernel::input;
use kernel::pagination::split_page;
use kernel::IfMatch;
use kernel::{ApiError, Cursor, FieldErrors, PageParams};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::auth::{new_token_secret, Auth};
use crate::directory::TeamDirectory;
use crate::model::{valid_username, CurrentUser, Memberships, User, PASSWORD_BYTES};
use crate::service;
use crate::wire::v1::UserV1;
use crate::wire::v2::UserV2;
use crate::wire::{PasswordChangeRequest, RegisterRequest, TokenCreated, TokenInfo, TokenRequest};

const DUPLICATE_USERNAME: &str = "A user with that username already exists.";
const INVALID_USERNAME: &str =
    "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.";

fn user_body(version: ApiVersion, user: &User, teams: &Memberships) -> Value {
    match version {
        ApiVersion::V1 => serde_json::to_value(UserV1::new(user, teams)),
        ApiVersion::V2 => serde_json::to_value(UserV2::new(user, teams)),
    }
    .unwrap_or(Value::Null)
}

/// The 2.0 `ETag` of a user: it changes only if the user is replaced.
fn user_etag(user: &User) -> String {
    let digest = Sha256::digest(format!(
        "{}\0{}\0{}",
        user.id,
        user.username,
        user.created_at.timestamp_micros()
    ));
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("\"u{hex}\"")
}

fn is_unique_violation(error: &ApiError) -> bool {
    error.kind == kernel::ErrorKind::Conflict
}

/// Register a user; their personal team is created with them.
#[utoipa::path(
    tag = "accounts",
    request_body(content = RegisterRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "The new user", headers(("ETag" = String, description = "2.0 only")), content(
            (UserV1 = "application/vnd.photoroom+json; version=1.0"),
            (UserV2 = "application/vnd.photoroom+json; version=2.0"),
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
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let map = input::object(&body)?;
    let mut errors = FieldErrors::new();
    let username = match map.get("username") {
        None => {
            errors.add("username", "This field is required.");
            None
        }
        Some(Value::String(s)) if s.is_empty() => {
            errors.add("username", "This field may not be blank.");
            None
        }
        Some(Value::String(s)) if s.chars().count() > 150 => {
            errors.add("username", "Ensure this field has no more than 150 characters.");
            None
        }
        Some(Value::String(s)) if !valid_username(s) => {
            errors.add("username", INVALID_USERNAME);
            None
        }
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            errors.add("username", "Not a valid string.");
            None
        }
    };
    let password = input::password(map, "password", PASSWORD_BYTES.0, PASSWORD_BYTES.1, &mut errors);
    errors.into_result()?;
    let (Some(username), Some(password)) = (username, password) else {
        return Err(ApiError::bad_request("Invalid input."));
    };
    let hash = auth.hasher().hash(password).await?;
    let mut conn = pool.get().await?;
    let directory = directory.into_inner();
    let result = conn
        .transaction::<_, ApiError, _>(async move |conn| {
            let user = service::create_user(conn, &username, &hash).await?;
            directory.user_registered(conn, user.id, &user.username).await?;
            let teams = directory.user_teams(conn, user.id).await?;
            Ok((user, teams))
        })
        .await;
    let (user, teams) = match result {
        Err(error) if is_unique_violation(&error) => {
            return Err(ApiError::conflict(Some("username"), DUPLICATE_USERNAME));
        }
        other => other?,
    };
    Ok(respond::json_with_etag(
        StatusCode::CREATED,
        version,
        &user_etag(&user),
        &user_body(version, &user, &teams),
    ))
}

/// Who am I, with my teams.
#[utoipa::path(
    tag = "accounts",
    security(("basic" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "The authenticated user", headers(("ETag" = String, description = "2.0 only")), content(
            (UserV1 = "application/vnd.photoroom+json; version=1.0"),
            (UserV2 = "application/vnd.photoroom+json; version=2.0"),
        )),
        (status = 401, description = "Missing or wrong credentials"),
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
    let row = service::get_user(&mut conn, user.id).await?;
    let teams = directory.user_teams(&mut conn, user.id).await?;
    Ok(respond::json_with_etag(
        StatusCode::OK,
        version,
        &user_etag(&row),
        &user_body(version, &row, &teams),
    ))
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
        (status = 401, description = "Missing or wrong credentials"),
    )
)]
#[put("/users/me/password")]
async fn change_password(
    req: HttpRequest,
    user: CurrentUser,
    pool: web::Data<Pool>,
    auth: web::Data<Auth>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let map = input::object(&body)?;
    let mut errors = FieldErrors::new();
    let current = match map.get("current_password") {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::String(_)) => {
            errors.add("current_password", "This field may not be blank.");
            None
        }
        None => {
            errors.add("current_password", "This field is required.");
            None
        }
        Some(_) => {
            errors.add("current_password", "Not a valid string.");
            None
        }
    };
    let new = input::password(map, "new_password", PASSWORD_BYTES.0, PASSWORD_BYTES.1, &mut errors);
    errors.into_result()?;
    let (Some(current), Some(new)) = (current, new) else {
        return Err(ApiError::bad_request("Invalid input."));
    };
    let stored = {
        let mut conn = pool.get().await?;
        service::password_hash(&mut conn, user.id).await?
    };
    // Throttled like a login: a stolen token must not become a password oracle.
    if !auth.verify_current_password(&req, &user, stored, current).await? {
        return Err(ApiError::field("current_password", "The current password is wrong."));
    }
    let hash = auth.hasher().hash(new).await?;
    let mut conn = pool.get().await?;
    service::change_password(&mut conn, user.id, &hash).await?;
    auth.forget_user(user.id);
    Ok(HttpResponse::NoContent().finish())
}

/// Delete my account, my personal team and its palettes.
#[utoipa::path(
    tag = "accounts",
    security(("basic" = []), ("bearer" = [])),
    responses(
        (status = 204, description = "Account deleted"),
        (status = 400, description = "I am the last owner of a team with other members (1.0)"),
        (status = 401, description = "Missing or wrong credentials"),
        (status = 409, description = "I am the last owner of a team with other members (2.0)"),
        (status = 412, description = "`If-Match` does not match my current `ETag` (2.0)"),
    )
)]
#[delete("/users/me")]
async fn delete_me(
    req: HttpRequest,
    version: ApiVersion,
    user: CurrentUser,
    pool: web::Data<Pool>,
    auth: web::Data<Auth>,
    directory: web::Data<dyn TeamDirectory>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = pool.get().await?;
    let guard = directory.clone().into_inner();
    let user_id = user.id;
    let if_match = match version {
        ApiVersion::V1 => IfMatch::any(),
        ApiVersion::V2 => IfMatch::of(&req),
    };
    conn.transaction::<_, ApiError, _>(async move |conn| {
        let current = service::get_user(conn, user_id).await?;
        if !if_match.allows(&user_etag(&current)) {
            return Err(ApiError::precondition_failed());
        }
        guard.user_deleting(conn, user_id).await?;
        service::delete_user(conn, user_id).await?;
        Ok(())
    })
    .await?;
    auth.forget_user(user.id);
    directory.user_deleted(user.id);
    Ok(HttpResponse::NoContent().finish())
}

/// Create an API token; its secret is in this response only.
#[utoipa::path(
    tag = "accounts",
    security(("basic" = []), ("bearer" = [])),
    request_body(content = TokenRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "The token with its secret", content(
            (TokenCreated = "application/vnd.photoroom+json; version=1.0"),
            (TokenCreated = "application/vnd.photoroom+json; version=2.0"),
        )),
        (status = 400, description = "Invalid name or expiry"),
        (status = 401, description = "Missing or wrong credentials"),
    )
)]
#[post("/tokens")]
async fn create_token(
    user: CurrentUser,
    pool: web::Data<Pool>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let map = input::object(&body)?;
    let mut errors = FieldErrors::new();
    let name = input::string(map, "name", true, 100, &mut errors).flatten();
    let days = match map.get("expires_in_days") {
        None | Some(Value::Null) => None,
        Some(value) => match input::parse_id(value).filter(|d| (1..=3650).contains(d) && value.is_number()) {
            Some(days) => Some(days),
            None => {
                errors.add("expires_in_days", "Ensure this value is a whole number from 1 to 3650.");
                None
            }
        },
    };
    errors.into_result()?;
    let Some(name) = name else {
        return Err(ApiError::field("name", "This field is required."));
    };
    let expires_at = days.map(|days| Utc::now() + Duration::days(days));
    let (secret, hash) = new_token_secret();
    let mut conn = pool.get().await?;
    let token = service::create_token(&mut conn, user.id, &name, &hash, expires_at).await?;
    Ok(respond::json(StatusCode::CREATED, &TokenCreated::new(&token, secret)))
}

/// My API tokens, oldest first, without secrets.
#[utoipa::path(
    tag = "accounts",
    security(("basic" = []), ("bearer" = [])),
    params(
        ("limit" = Option<i64>, Query, description = "Page size, 1 to 1000 (default 1000 in 1.0, 50 in 2.0)"),
        ("cursor" = Option<String>, Query, description = "The cursor of the next page"),
    ),
    responses(
        (status = 200, description = "1.0: a bare array (next page in `Link`); 2.0: `items` and `next_cursor`", content(
            (Vec<TokenInfo> = "application/vnd.photoroom+json; version=1.0"),
            (Value = "application/vnd.photoroom+json; version=2.0"),
        )),
        (status = 400, description = "Invalid limit or cursor"),
        (status = 401, description = "Missing or wrong credentials"),
    )
)]
#[get("/tokens")]
async fn list_tokens(
    req: HttpRequest,
    version: ApiVersion,
    user: CurrentUser,
    pool: web::Data<Pool>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, ApiError> {
    let page = PageParams::parse(&query, version.default_limit())?;
    let after = page.cursor.as_ref().map(|c| c.int(0)).transpose()?;
    let mut conn = pool.get().await?;
    let rows = service::list_tokens(&mut conn, user.id, after, page.fetch_limit()).await?;
    let (rows, next) = split_page(rows, page.limit, |t| Cursor(vec![t.id.into()]));
    let items: Vec<TokenInfo> = rows.iter().map(TokenInfo::from).collect();
    Ok(respond::list(&req, version, &items, next.as_ref()))
}

/// Revoke one of my API tokens.
#[utoipa::path(
    tag = "accounts",
    security(("basic" = []), ("bearer" = [])),
    params(("id" = i64, Path, description = "Token id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "Missing or wrong credentials"),
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
    let hash = service::delete_token(&mut conn, user.id, path.into_inner())
        .await?
        .ok_or_else(ApiError::not_found)?;
    auth.forget_token(&hash);
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
