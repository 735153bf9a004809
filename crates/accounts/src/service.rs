//! Rules, transactions and queries of accounts.
//!
//! Queries take a connection so callers can compose them in one transaction.
//! The operations that hash a password (registering, changing it) take the
//! pool instead: argon2 runs while they hold no connection, so a flood of
//! them cannot starve the pool.

use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use database::schema::{api_tokens, users};
use database::PgConnection;
use database::Pool;
use diesel::prelude::*;
use diesel::result::QueryResult;
use diesel_async::{AsyncConnection, RunQueryDsl};
use kernel::IfMatch;
use sha2::{Digest, Sha256};

use crate::auth::{new_token_secret, Auth, Credential};
use crate::directory::TeamDirectory;
use crate::error::AccountError;
use crate::model::{
    CurrentUser, Login, Memberships, NewToken, NewUser, PasswordChange, Registration, Token, TokenSpec, User,
};
use crate::query::lower;

/// Registers a user with their personal team, in one transaction, and
/// returns them with their teams. A username taken ignoring case (even by a
/// concurrent registration) is [`AccountError::UsernameTaken`].
pub async fn register(
    pool: &Pool,
    auth: &Auth,
    directory: &dyn TeamDirectory,
    registration: Registration,
) -> Result<(User, Memberships), AccountError> {
    let Registration { username, password } = registration;
    let hash = auth.hasher().hash(password).await.map_err(AccountError::Hashing)?;
    let mut conn = pool.get().await?;
    conn.transaction::<_, AccountError, _>(async move |conn| {
        let user = insert_user(conn, &username, &hash)
            .await
            .map_err(AccountError::of_user_insert)?;
        directory.user_registered(conn, user.id, &user.username).await?;
        let teams = directory.user_teams(conn, user.id).await?;
        Ok((user, teams))
    })
    .await
}

diesel::define_sql_function! {
    /// PostgreSQL's `strpos`: where `needle` starts in `haystack`, from 1; 0 when absent.
    fn strpos(haystack: diesel::sql_types::Text, needle: diesel::sql_types::Text) -> diesel::sql_types::Integer;
}

/// Every user, by id, or those whose username contains `search` ignoring
/// case (after the NFKC normalisation usernames get); for operators.
pub async fn list_users(conn: &mut PgConnection, search: Option<&str>) -> QueryResult<Vec<User>> {
    let mut query = users::table.select(User::as_select()).order(users::id).into_boxed();
    if let Some(search) = search {
        let search = crate::model::normalize_username(search);
        query = query.filter(strpos(lower(users::username), lower(search)).gt(0));
    }
    query.load(conn).await
}

/// The id of the user with this username, ignoring case (after NFKC
/// normalisation, as a login does).
pub async fn user_id_named(conn: &mut PgConnection, username: &str) -> QueryResult<Option<i64>> {
    let username = crate::model::normalize_username(username);
    crate::query::user_id_named(&username).first(conn).await.optional()
}

/// A user with their teams.
pub async fn account(
    conn: &mut PgConnection,
    directory: &dyn TeamDirectory,
    user_id: i64,
) -> QueryResult<(User, Memberships)> {
    let user = get_user(conn, user_id).await?;
    let teams = directory.user_teams(conn, user_id).await?;
    Ok((user, teams))
}

/// Changes the password of `user` once the current one is verified
/// (throttled like a login from `client`: a stolen token must not become a
/// password oracle), revokes every token of theirs in the same transaction,
/// and forgets their cached logins.
pub async fn change_password(
    pool: &Pool,
    auth: &Auth,
    user: &CurrentUser,
    client: Option<IpAddr>,
    change: PasswordChange,
) -> Result<(), AccountError> {
    let stored = {
        let mut conn = pool.get().await?;
        password_hash(&mut conn, user.id).await?
    };
    auth.verify_current_password(client, user, stored, change.current)
        .await?;
    set_password(pool, auth, user.id, change.new).await.map(drop)
}

/// Sets the password of `user_id` as a verified change does, without asking
/// for the current one (an operator's reset): hashed while no connection is
/// held, every token of the user revoked in the same transaction, their
/// cached logins forgotten (other instances hear of it from the database's
/// change notice). Returns how many tokens were revoked;
/// `Database(NotFound)` when there is no such user.
pub async fn set_password(pool: &Pool, auth: &Auth, user_id: i64, password: String) -> Result<usize, AccountError> {
    let hash = auth.hasher().hash(password).await.map_err(AccountError::Hashing)?;
    let mut conn = pool.get().await?;
    let revoked = replace_password(&mut conn, user_id, &hash).await?;
    auth.forget_user(user_id);
    Ok(revoked)
}

/// Deletes the account of `user_id` (their tokens, memberships and personal
/// team go with it) when `if_match` admits its current state and the
/// directory does not refuse; then forgets what was cached of it.
pub async fn delete_account(
    conn: &mut PgConnection,
    auth: &Auth,
    directory: &dyn TeamDirectory,
    user_id: i64,
    if_match: &IfMatch,
) -> Result<(), AccountError> {
    conn.transaction::<_, AccountError, _>(async move |conn| {
        let current = get_user(conn, user_id).await?;
        if !if_match.allows(&current.etag()) {
            return Err(AccountError::Stale);
        }
        let after_deletion = directory.user_deleting(conn, user_id).await?;
        diesel::delete(users::table.find(user_id)).execute(conn).await?;
        after_deletion(conn).await?;
        Ok(())
    })
    .await?;
    auth.forget_user(user_id);
    directory.user_deleted(user_id);
    Ok(())
}

/// Gives every user from before usernames had skeletons its skeleton
/// (see [`crate::model::username_skeleton`]), a batch at a time; a user
/// whose skeleton another already has keeps none (logged), as two such
/// accounts can only come from before the rule. Idempotent: run at start-up.
pub async fn backfill_skeletons(conn: &mut PgConnection) -> QueryResult<usize> {
    let mut filled = 0;
    let mut after = 0i64;
    loop {
        let batch: Vec<(i64, String)> = users::table
            .filter(users::username_skeleton.is_null())
            .filter(users::id.gt(after))
            .order(users::id)
            .select((users::id, users::username))
            .limit(500)
            .load(conn)
            .await?;
        let Some((last, _)) = batch.last() else {
            return Ok(filled);
        };
        after = *last;
        for (id, username) in batch {
            let skeleton = crate::model::username_skeleton(&username);
            let taken: Option<i64> = users::table
                .filter(users::username_skeleton.eq(&skeleton))
                .select(users::id)
                .first(conn)
                .await
                .optional()?;
            if taken.is_some() {
                tracing::warn!(user_id = id, "a username looks like another's; it keeps no skeleton");
                continue;
            }
            diesel::update(users::table.find(id))
                .set(users::username_skeleton.eq(&skeleton))
                .execute(conn)
                .await?;
            filled += 1;
        }
    }
}

/// The user with this username, ignoring case.
pub async fn find_login(conn: &mut PgConnection, username: &str) -> QueryResult<Option<Login>> {
    users::table
        .filter(lower(users::username).eq(lower(username)))
        .select(Login::as_select())
        .first(conn)
        .await
        .optional()
}

/// Creates a token for `user_id`; returns it with its secret, which is
/// stored only as a hash.
pub async fn create_token(conn: &mut PgConnection, user_id: i64, spec: &TokenSpec) -> QueryResult<(Token, String)> {
    let expires_at: Option<DateTime<Utc>> = spec.expires_in_days.map(|days| Utc::now() + Duration::days(days));
    let (secret, hash) = new_token_secret();
    let token = diesel::insert_into(api_tokens::table)
        .values(NewToken {
            user_id,
            name: &spec.name,
            token_hash: &hash,
            expires_at,
        })
        .returning(Token::as_returning())
        .get_result(conn)
        .await?;
    Ok((token, secret))
}

/// A page of a user's tokens by id, after `after_id`.
pub async fn list_tokens(
    conn: &mut PgConnection,
    user_id: i64,
    after_id: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<Token>> {
    let mut query = api_tokens::table
        .filter(api_tokens::user_id.eq(user_id))
        .select(Token::as_select())
        .order(api_tokens::id)
        .limit(limit)
        .into_boxed();
    if let Some(after_id) = after_id {
        query = query.filter(api_tokens::id.gt(after_id));
    }
    query.load(conn).await
}

/// Revokes one of the user's tokens and forgets its cached lookup;
/// [`AccountError::NoSuchToken`] when the user has no such token.
pub async fn revoke_token(
    conn: &mut PgConnection,
    auth: &Auth,
    user_id: i64,
    token_id: i64,
) -> Result<(), AccountError> {
    let hash: Vec<u8> = diesel::delete(
        api_tokens::table
            .filter(api_tokens::id.eq(token_id))
            .filter(api_tokens::user_id.eq(user_id)),
    )
    .returning(api_tokens::token_hash)
    .get_result(conn)
    .await
    .optional()?
    .ok_or(AccountError::NoSuchToken)?;
    auth.forget_token(&hash);
    Ok(())
}

/// The user owning an unexpired token with this hash, and its expiry.
pub async fn token_user(
    conn: &mut PgConnection,
    token_hash: &[u8],
) -> QueryResult<Option<(CurrentUser, Option<DateTime<Utc>>)>> {
    api_tokens::table
        .inner_join(users::table)
        .filter(api_tokens::token_hash.eq(token_hash))
        .filter(
            api_tokens::expires_at
                .is_null()
                .or(api_tokens::expires_at.gt(diesel::dsl::now)),
        )
        .select((users::id, users::username, api_tokens::expires_at))
        .first::<(i64, String, Option<DateTime<Utc>>)>(conn)
        .await
        .optional()
        .map(|row| row.map(|(id, username, expires_at)| (CurrentUser { id, username }, expires_at)))
}

/// SHA-256 of the user's stored password hash (see [`crate::auth::Credential`]);
/// `None` when there is no such user.
pub async fn password_fingerprint(conn: &mut PgConnection, user_id: i64) -> QueryResult<Option<[u8; 32]>> {
    let hash: Option<String> = users::table
        .find(user_id)
        .select(users::password_hash)
        .first(conn)
        .await
        .optional()?;
    Ok(hash.map(|hash| Sha256::digest(hash.as_bytes()).into()))
}

/// Whether `credential` still proves `user_id`: the token exists, is theirs
/// and unexpired, or the password is the one it was.
pub async fn credential_holds(conn: &mut PgConnection, user_id: i64, credential: &Credential) -> QueryResult<bool> {
    Ok(credential_expiry(conn, user_id, credential).await?.is_some())
}

/// Until when `credential` proves `user_id`: `None` when it does not now,
/// `Some(None)` when it does with no end (a password, a token without
/// expiry), `Some(Some(t))` for a token that expires at `t`.
pub async fn credential_expiry(
    conn: &mut PgConnection,
    user_id: i64,
    credential: &Credential,
) -> QueryResult<Option<Option<DateTime<Utc>>>> {
    Ok(match credential {
        Credential::Password(fingerprint) => {
            (password_fingerprint(conn, user_id).await?.as_ref() == Some(fingerprint)).then_some(None)
        }
        Credential::Token(hash) => token_user(conn, hash)
            .await?
            .filter(|(user, _)| user.id == user_id)
            .map(|(_, expires_at)| expires_at),
    })
}

/// Inserts a user; a taken username (ignoring case) is a unique violation.
async fn insert_user(conn: &mut PgConnection, username: &str, password_hash: &str) -> QueryResult<User> {
    diesel::insert_into(users::table)
        .values(NewUser {
            username,
            password_hash,
            username_skeleton: &crate::model::username_skeleton(username),
        })
        .returning(User::as_returning())
        .get_result(conn)
        .await
}

/// A user by id.
async fn get_user(conn: &mut PgConnection, user_id: i64) -> QueryResult<User> {
    users::table.find(user_id).select(User::as_select()).first(conn).await
}

/// The password hash of a user.
async fn password_hash(conn: &mut PgConnection, user_id: i64) -> QueryResult<String> {
    users::table
        .find(user_id)
        .select(users::password_hash)
        .first(conn)
        .await
}

/// Replaces a password hash and revokes every token of the user, in one
/// transaction: never a new password with the old tokens still valid.
/// Returns how many tokens were revoked; `NotFound` when there is no such user.
async fn replace_password(conn: &mut PgConnection, user_id: i64, password_hash: &str) -> QueryResult<usize> {
    conn.transaction(async move |conn| {
        let updated = diesel::update(users::table.find(user_id))
            .set((
                users::password_hash.eq(password_hash),
                users::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)
            .await?;
        if updated == 0 {
            return Err(diesel::result::Error::NotFound);
        }
        diesel::delete(api_tokens::table.filter(api_tokens::user_id.eq(user_id)))
            .execute(conn)
            .await
    })
    .await
}
