//! Conditional lists: `GET /api/palettes/` sends a weak `ETag`, and a
//! matching `If-None-Match` is a 304 until something in the list changes,
//! through this instance (at once) or another one (within the notice's delay).

mod common;

use std::time::{Duration, Instant};

use serde_json::json;
use test_support::{spawn_app, TestApp, TestUser, V1, V2};

/// How long another instance may take to hear of a change.
const NOTICE_DEADLINE: Duration = Duration::from_secs(5);

/// The list's `ETag`, waiting for the caller's teams to be cached (the first
/// list caches them) and the positions to be vouched for.
async fn etag(app: &TestApp, user: &TestUser, path: &str, version: &str) -> String {
    let deadline = Instant::now() + NOTICE_DEADLINE;
    loop {
        let response = app.get(path).accept(version).auth(user).send().await;
        assert_eq!(response.status, 200, "{}", response.text);
        if let Some(etag) = response.header("etag") {
            assert!(etag.starts_with("W/\""), "a weak tag: {etag}");
            return etag.to_owned();
        }
        assert!(Instant::now() < deadline, "no ETag on {path}");
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn status_with(app: &TestApp, user: &TestUser, path: &str, version: &str, etag: &str) -> u16 {
    app.get(path)
        .accept(version)
        .auth(user)
        .header("If-None-Match", etag)
        .send()
        .await
        .status
}

#[actix_web::test]
async fn an_unchanged_list_is_304_and_a_change_through_this_instance_is_seen_at_once() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    common::create(&app, &ada, ada.personal_team_id, "Sea", json!(["#336699"])).await;
    let tag = etag(&app, &ada, "/api/palettes/", V2).await;
    let response = app
        .get("/api/palettes/")
        .v2()
        .auth(&ada)
        .header("If-None-Match", &tag)
        .send()
        .await;
    assert_eq!(response.status, 304);
    assert!(response.bytes.is_empty());
    assert_eq!(response.header("etag"), Some(tag.as_str()));
    assert_eq!(
        status_with(&app, &ada, "/api/palettes/", V2, &format!("\"x\", {tag}")).await,
        304
    );

    // Another query, another version: other tags.
    assert_eq!(
        status_with(&app, &ada, "/api/palettes/?ordering=name", V2, &tag).await,
        200
    );
    assert_eq!(status_with(&app, &ada, "/api/palettes/", V1, &tag).await, 200);

    // My own change is never answered with the list from before it.
    common::create(&app, &ada, ada.personal_team_id, "Sand", json!(["#c2b280"])).await;
    assert_eq!(status_with(&app, &ada, "/api/palettes/", V2, &tag).await, 200);
    let after = etag(&app, &ada, "/api/palettes/", V2).await;
    assert_ne!(after, tag);
    assert_eq!(status_with(&app, &ada, "/api/palettes/", V2, &after).await, 304);
}

#[actix_web::test]
async fn a_change_through_another_instance_turns_the_304_into_a_200() {
    let a = spawn_app().await;
    let b = a.spawn_twin().await;
    let ada = a.user("ada").await;
    let bob = a.user("bob").await;
    let team = a.create_team(&ada, "Studio").await;
    a.join(&ada, team, &bob).await;
    common::create(&a, &ada, team, "Sea", json!(["#336699"])).await;
    let tag = etag(&a, &bob, "/api/palettes/", V1).await;
    assert_eq!(status_with(&a, &bob, "/api/palettes/", V1, &tag).await, 304);

    for change in ["palette", "team name"] {
        match change {
            "palette" => {
                common::create(&b, &ada, team, "Sand", json!([])).await;
            }
            _ => b.rename_team(&ada, team, "Atelier").await,
        }
        let deadline = Instant::now() + NOTICE_DEADLINE;
        while status_with(&a, &bob, "/api/palettes/", V1, &tag).await == 304 {
            assert!(Instant::now() < deadline, "{change}: still 304");
            actix_web::rt::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

#[actix_web::test]
async fn joining_a_team_changes_the_tag() {
    let app = spawn_app().await;
    let (ada, bob) = (app.user("ada").await, app.user("bob").await);
    let team = app.create_team(&ada, "Studio").await;
    common::create(&app, &ada, team, "Sea", json!([])).await;
    let tag = etag(&app, &bob, "/api/palettes/", V2).await;
    app.join(&ada, team, &bob).await;
    let response = app
        .get("/api/palettes/")
        .v2()
        .auth(&bob)
        .header("If-None-Match", &tag)
        .send()
        .await;
    assert_eq!(response.status, 200);
    assert_eq!(response.json["items"][0]["name"], "Sea");
}
