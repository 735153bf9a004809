//! Queries and rules of accounts. Functions take a connection so callers can
//! compose them in one transaction.

use chrono::{DateTime, Utc};
use database::schema::{api_tokens, users};
use diesel::prelude::*;
use diesel::result::QueryResult;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use crate::model::{CurrentUser, Login, NewToken, NewUser, Token, User};

diesel::define_sql_function! {
    /// PostgreSQL's `lower`, for case-insensitive usernames.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// Inserts a user; a taken username (ignoring case) is a unique violation.
pub async fn create_user(conn: &mut AsyncPgConnection, username: &str, password_hash: &str) -> QueryResult<User> {
    diesel::insert_into(users::table)
        .values(NewUser {
            username,
            password_hash,
        })
        .returning(User::as_returning())
        .get_result(conn)
        .await
}

/// The user with this username, ignoring case.
pub async fn find_login(conn: &mut AsyncPgConnection, username: &str) -> QueryResult<Option<Login>> {
    users::table
        .filter(lower(users::username).eq(lower(username)))
        .select(Login::as_select())
        .first(conn)
        .await
        .optional()
}

/// The password hash of a user.
pub async fn password_hash(conn: &mut AsyncPgConnection, user_id: i64) -> QueryResult<String> {
    users::table
        .find(user_id)
        .select(users::password_hash)
        .first(conn)
        .await
}

/// A user by id.
pub async fn get_user(conn: &mut AsyncPgConnection, user_id: i64) -> QueryResult<User> {
    users::table.find(user_id).select(User::as_select()).first(conn).await
}

/// Users by id, in the order of `ids` when found.
pub async fn get_users(conn: &mut AsyncPgConnection, ids: &[i64]) -> QueryResult<Vec<User>> {
    users::table
        .filter(users::id.eq_any(ids))
        .select(User::as_select())
        .order(users::id)
        .load(conn)
        .await
}

/// Replaces a password hash and revokes every token of the user, in one
/// transaction: never a new password with the old tokens still valid.
pub async fn change_password(conn: &mut AsyncPgConnection, user_id: i64, password_hash: &str) -> QueryResult<()> {
    conn.transaction(async move |conn| {
        diesel::update(users::table.find(user_id))
            .set((
                users::password_hash.eq(password_hash),
                users::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)
            .await?;
        diesel::delete(api_tokens::table.filter(api_tokens::user_id.eq(user_id)))
            .execute(conn)
            .await?;
        Ok(())
    })
    .await
}

/// Deletes a user; their tokens and memberships go with them.
pub async fn delete_user(conn: &mut AsyncPgConnection, user_id: i64) -> QueryResult<usize> {
    diesel::delete(users::table.find(user_id)).execute(conn).await
}

/// Stores a token's hash.
pub async fn create_token(
    conn: &mut AsyncPgConnection,
    user_id: i64,
    name: &str,
    token_hash: &[u8],
    expires_at: Option<DateTime<Utc>>,
) -> QueryResult<Token> {
    diesel::insert_into(api_tokens::table)
        .values(NewToken {
            user_id,
            name,
            token_hash,
            expires_at,
        })
        .returning(Token::as_returning())
        .get_result(conn)
        .await
}

/// A page of a user's tokens by id, after `after_id`.
pub async fn list_tokens(
    conn: &mut AsyncPgConnection,
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

/// Deletes one of the user's tokens; returns its hash, or `None` when the
/// user has no such token.
pub async fn delete_token(conn: &mut AsyncPgConnection, user_id: i64, token_id: i64) -> QueryResult<Option<Vec<u8>>> {
    diesel::delete(
        api_tokens::table
            .filter(api_tokens::id.eq(token_id))
            .filter(api_tokens::user_id.eq(user_id)),
    )
    .returning(api_tokens::token_hash)
    .get_result(conn)
    .await
    .optional()
}

/// The user owning an unexpired token with this hash, and its expiry.
pub async fn token_user(
    conn: &mut AsyncPgConnection,
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
