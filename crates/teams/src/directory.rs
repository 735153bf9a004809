//! The teams side of accounts' [`accounts::TeamDirectory`].

use std::sync::Arc;

use accounts::directory::AfterDeletion;
use accounts::{AccountError, Memberships, TeamDirectory};
use database::PgConnection;
use diesel::result::QueryResult;
use futures_util::future::BoxFuture;
use futures_util::FutureExt;

use crate::cache::TeamCache;
use crate::service;

/// Creates personal teams, reports a user's teams, guards account deletion,
/// and tells [`TeamCache`] when an account is gone.
#[derive(Debug, Clone)]
pub struct Directory {
    cache: Arc<TeamCache>,
}

impl Directory {
    /// The directory, telling `cache` of deleted accounts.
    pub fn new(cache: Arc<TeamCache>) -> Self {
        Self { cache }
    }
}

impl TeamDirectory for Directory {
    fn user_registered<'a>(
        &'a self,
        conn: &'a mut PgConnection,
        user_id: i64,
        username: &'a str,
    ) -> BoxFuture<'a, QueryResult<()>> {
        async move { service::create_personal_team(conn, user_id, username).await.map(drop) }.boxed()
    }

    fn user_teams<'a>(&'a self, conn: &'a mut PgConnection, user_id: i64) -> BoxFuture<'a, QueryResult<Memberships>> {
        async move {
            Ok(Memberships {
                personal_team_id: service::personal_team_id(conn, user_id).await?,
                team_ids: service::team_ids_of(conn, user_id).await?,
            })
        }
        .boxed()
    }

    /// Locks the user's teams (team rows, as every membership change does, so
    /// that a concurrent demotion or a co-owner's own deletion cannot slip
    /// between the check and the delete) and refuses while the user is the
    /// last owner of a non-personal team with other members.
    fn user_deleting<'a>(
        &'a self,
        conn: &'a mut PgConnection,
        user_id: i64,
    ) -> BoxFuture<'a, Result<AfterDeletion, AccountError>> {
        async move {
            match service::account_departure(conn, user_id).await? {
                Err(team) => Err(AccountError::LastOwnerOf(team)),
                Ok(events) => {
                    let after: AfterDeletion =
                        Box::new(move |conn| async move { events::outbox::record(conn, &events).await }.boxed());
                    Ok(after)
                }
            }
        }
        .boxed()
    }

    fn user_deleted(&self, user_id: i64) {
        self.cache.forget_user(user_id);
    }
}
