//! The teams side of accounts' [`accounts::TeamDirectory`].

use std::sync::Arc;

use accounts::{TeamDirectory, UserTeams};
use diesel::result::QueryResult;
use diesel_async::AsyncPgConnection;
use futures_util::future::BoxFuture;
use futures_util::FutureExt;
use kernel::ApiError;

use crate::service;
use crate::views::TeamViews;

/// Creates personal teams, reports a user's teams, guards account deletion,
/// and tells [`TeamViews`] when an account is gone.
#[derive(Debug, Clone)]
pub struct Directory {
    views: Arc<TeamViews>,
}

impl Directory {
    /// The directory over these cached views.
    pub fn new(views: Arc<TeamViews>) -> Self {
        Self { views }
    }
}

impl TeamDirectory for Directory {
    fn user_registered<'a>(
        &'a self,
        conn: &'a mut AsyncPgConnection,
        user_id: i64,
        username: &'a str,
    ) -> BoxFuture<'a, QueryResult<()>> {
        async move { service::create_personal_team(conn, user_id, username).await.map(drop) }.boxed()
    }

    fn user_teams<'a>(
        &'a self,
        conn: &'a mut AsyncPgConnection,
        user_id: i64,
    ) -> BoxFuture<'a, QueryResult<UserTeams>> {
        async move {
            Ok(UserTeams {
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
        conn: &'a mut AsyncPgConnection,
        user_id: i64,
    ) -> BoxFuture<'a, Result<(), ApiError>> {
        async move { Ok(service::check_account_deletion(conn, user_id).await?) }.boxed()
    }

    fn user_deleted(&self, user_id: i64) {
        self.views.forget_user(user_id);
    }
}
