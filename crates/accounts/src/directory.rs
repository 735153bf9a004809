//! What accounts needs from teams, without depending on the teams crate:
//! `server` wires the teams crate's implementation in.

use database::PgConnection;
use diesel::result::QueryResult;
use futures_util::future::BoxFuture;

use crate::error::AccountError;
use crate::model::Memberships;

/// What the directory does in the account-deletion transaction after the
/// user row is gone.
pub type AfterDeletion = Box<dyn for<'c> FnOnce(&'c mut PgConnection) -> BoxFuture<'c, QueryResult<()>> + Send>;

/// Team bookkeeping around a user's life cycle.
pub trait TeamDirectory: Send + Sync + 'static {
    /// In the registration transaction: create the user's personal team.
    fn user_registered<'a>(
        &'a self,
        conn: &'a mut PgConnection,
        user_id: i64,
        username: &'a str,
    ) -> BoxFuture<'a, QueryResult<()>>;

    /// The teams a user belongs to.
    fn user_teams<'a>(&'a self, conn: &'a mut PgConnection, user_id: i64) -> BoxFuture<'a, QueryResult<Memberships>>;

    /// In the account-deletion transaction, before the user row goes: refuse
    /// while the user is the last owner of a team that has other members;
    /// otherwise what to do once the row is gone, as the transaction's last
    /// statements (record what the deletion changed).
    fn user_deleting<'a>(
        &'a self,
        conn: &'a mut PgConnection,
        user_id: i64,
    ) -> BoxFuture<'a, Result<AfterDeletion, AccountError>>;

    /// After the account-deletion transaction committed: the user's
    /// memberships (and maybe teams) are gone.
    fn user_deleted(&self, user_id: i64);
}
