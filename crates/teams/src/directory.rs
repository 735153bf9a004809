//! The teams side of accounts' [`accounts::TeamDirectory`].

use accounts::{TeamDirectory, UserTeams};
use database::schema::team_members;
use diesel::prelude::*;
use diesel::result::QueryResult;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use futures_util::future::BoxFuture;
use futures_util::FutureExt;
use kernel::ApiError;

use crate::service;

/// Creates personal teams, reports a user's teams, and guards account deletion.
#[derive(Debug, Clone, Copy, Default)]
pub struct Directory;

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

    fn user_deleting<'a>(
        &'a self,
        conn: &'a mut AsyncPgConnection,
        user_id: i64,
    ) -> BoxFuture<'a, Result<(), ApiError>> {
        async move {
            // Teams the user owns alone while others are members.
            let owned: Vec<i64> = team_members::table
                .filter(team_members::user_id.eq(user_id))
                .filter(team_members::role.eq("owner"))
                .select(team_members::team_id)
                .for_update()
                .load(conn)
                .await?;
            // The personal team goes with the account, whoever else is in it.
            let personal = service::personal_team_id(conn, user_id).await?;
            for team_id in owned.into_iter().filter(|id| Some(*id) != personal) {
                let members = service::members_of(conn, &[team_id]).await?;
                let other_owner = members
                    .iter()
                    .any(|m| m.user_id != user_id && m.role == crate::model::Role::Owner);
                let others = members.iter().any(|m| m.user_id != user_id);
                if others && !other_owner {
                    return Err(ApiError::conflict(
                        None,
                        format!(
                            "You are the last owner of team {team_id}, which has other members: \
                             make another member an owner first."
                        ),
                    ));
                }
            }
            Ok(())
        }
        .boxed()
    }
}
