//! Helpers shared by the palette tests: teams made directly in the database
//! (faster than invitations, and independent of the teams routes), palettes
//! made through the API, and rows read back.
#![allow(dead_code)]

use ::palettes::model::Palette;
use database::schema::{palettes, team_members, teams};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::{json, Value};
use test_support::{TestApp, TestUser};

/// A (non-personal) team with these members, the first one its owner.
pub async fn team_with(app: &TestApp, name: &str, members: &[&TestUser]) -> i64 {
    let mut conn = app.pool.get().await.expect("a connection");
    let team_id: i64 = diesel::insert_into(teams::table)
        .values(teams::name.eq(name))
        .returning(teams::id)
        .get_result(&mut conn)
        .await
        .expect("inserting a team");
    for (i, user) in members.iter().enumerate() {
        diesel::insert_into(team_members::table)
            .values((
                team_members::team_id.eq(team_id),
                team_members::user_id.eq(user.id),
                team_members::role.eq(if i == 0 { "owner" } else { "member" }),
            ))
            .execute(&mut conn)
            .await
            .expect("inserting a membership");
    }
    team_id
}

/// The palette row with this id, if any.
pub async fn row(app: &TestApp, id: i64) -> Option<Palette> {
    let mut conn = app.pool.get().await.expect("a connection");
    palettes::table
        .find(id)
        .select(Palette::as_select())
        .first(&mut conn)
        .await
        .optional()
        .expect("reading a palette")
}

/// How many palettes exist.
pub async fn palette_count(app: &TestApp) -> i64 {
    let mut conn = app.pool.get().await.expect("a connection");
    palettes::table
        .count()
        .get_result(&mut conn)
        .await
        .expect("counting palettes")
}

/// Creates a palette through the 2.0 API and returns its body.
pub async fn create(app: &TestApp, user: &TestUser, team_id: i64, name: &str, colors: Value) -> Value {
    let response = app
        .post("/api/palettes/")
        .v2()
        .auth(user)
        .json(&json!({"name": name, "team_id": team_id, "colors": colors}))
        .send()
        .await;
    assert_eq!(response.status, 201, "creating {name}: {}", response.text);
    response.json
}

/// The id of a palette body.
pub fn id_of(body: &Value) -> i64 {
    body["id"].as_i64().expect("an id")
}

/// The keys of a JSON object, in order.
pub fn keys(value: &Value) -> Vec<String> {
    value
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

/// Whether `etag` is the entity tag of palette `id` at `revision` (the tag
/// also covers the team's name, hashed).
pub fn is_etag_of(etag: Option<&str>, id: i64, revision: i32) -> bool {
    etag.is_some_and(|tag| tag.starts_with(&format!("\"{id}-{revision}-")) && tag.ends_with('"'))
}
