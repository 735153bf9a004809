//! What other domains may compose into their own statements from accounts'
//! tables, so that they never name those tables and add no round trip.
//!
//! Each item is a diesel expression or query, not a loaded value: teams puts
//! [`username_of`] in the select list of its member and invitation lists (a
//! scalar subquery, still one statement), and runs [`user_id_named`] to find
//! an invitee without reading anything else of the account.
// diesel's `auto_type` makes an undocumented type alias of each function's type.
#![allow(missing_docs)]

use database::schema::users;
use diesel::expression::{is_aggregate, ValidGrouping};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

diesel::define_sql_function! {
    /// PostgreSQL's `lower`, for usernames compared ignoring case.
    fn lower(x: Text) -> Text;
}

/// The username of the user whose id is `user_id`, an expression of the
/// caller's query (`team_members::user_id`): a scalar subquery
/// `(SELECT username FROM users WHERE id = ...)`. Typed as text, for ids that
/// a foreign key keeps pointing at a user; for an id that may be null or
/// dangling, select `username_of(id).nullable()`.
#[diesel::dsl::auto_type]
pub fn username_of<U>(user_id: U) -> _
where
    U: Expression<SqlType = BigInt> + ValidGrouping<(), IsAggregate = is_aggregate::No>,
{
    users::table
        .filter(users::id.eq(user_id))
        .select(users::username)
        .single_value()
        .assume_not_null()
}

/// The id of the user named `username`, ignoring case, as a query to run
/// (`.first(conn)`) or compose; it reads nothing else of the account (no
/// password hash).
#[diesel::dsl::auto_type]
pub fn user_id_named<'a>(username: &'a str) -> _ {
    let named: lower<&'a str> = lower(username);
    users::table.filter(lower(users::username).eq(named)).select(users::id)
}
