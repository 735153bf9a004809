//! Helpers shared by the teams tests: set up teams through the API, and
//! read what the database holds.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use database::schema::{invitations, team_members, teams};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::json;
use test_support::{TestApp, TestUser};

/// Creates a team owned by `owner` (in 2.0) and returns its id.
pub async fn create_team(app: &TestApp, owner: &TestUser, name: &str) -> i64 {
    app.create_team(owner, name).await
}

/// Invites `user` to `team_id` as `owner` and returns the invitation id.
pub async fn invite(app: &TestApp, owner: &TestUser, team_id: i64, user: &TestUser) -> i64 {
    app.invite(owner, team_id, user).await
}

/// Invites `user` and has them accept: they join as a member.
pub async fn join(app: &TestApp, owner: &TestUser, team_id: i64, user: &TestUser) {
    app.join(owner, team_id, user).await;
}

/// Makes `user` an owner of `team_id`, as `owner`.
pub async fn promote(app: &TestApp, owner: &TestUser, team_id: i64, user: &TestUser) {
    let response = app
        .patch(&format!("/api/teams/{team_id}/members/{}/", user.id))
        .v2()
        .auth(owner)
        .json(&json!({"role": "owner"}))
        .send()
        .await;
    assert_eq!(response.status, 200, "promoting {}: {}", user.username, response.text);
}

/// The memberships of a team in the database: `(user id, role)` by user id.
pub async fn roles_in_db(app: &TestApp, team_id: i64) -> Vec<(i64, String)> {
    let mut conn = app.pool.get().await.expect("connection");
    team_members::table
        .filter(team_members::team_id.eq(team_id))
        .select((team_members::user_id, team_members::role))
        .order(team_members::user_id)
        .load(&mut conn)
        .await
        .expect("memberships")
}

/// Whether the team row exists.
pub async fn team_exists(app: &TestApp, team_id: i64) -> bool {
    let mut conn = app.pool.get().await.expect("connection");
    let count: i64 = teams::table
        .filter(teams::id.eq(team_id))
        .count()
        .get_result(&mut conn)
        .await
        .expect("count");
    count == 1
}

/// The team's name in the database.
pub async fn team_name_in_db(app: &TestApp, team_id: i64) -> String {
    let mut conn = app.pool.get().await.expect("connection");
    teams::table
        .find(team_id)
        .select(teams::name)
        .first(&mut conn)
        .await
        .expect("team name")
}

/// The pending invitations of a team in the database: invitee ids.
pub async fn invitees_in_db(app: &TestApp, team_id: i64) -> Vec<i64> {
    let mut conn = app.pool.get().await.expect("connection");
    invitations::table
        .filter(invitations::team_id.eq(team_id))
        .select(invitations::invitee_id)
        .order(invitations::invitee_id)
        .load(&mut conn)
        .await
        .expect("invitations")
}

/// The keys of a JSON object, in order.
pub fn keys(value: &serde_json::Value) -> Vec<&str> {
    value
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default()
}
