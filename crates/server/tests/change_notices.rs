//! The caches of each instance (each user's teams, cached logins and tokens)
//! never serve what a committed change made stale: at once on the instance
//! that made the change, and within moments on every other instance on the
//! same database, which hears of it through PostgreSQL change notices.

use std::time::{Duration, Instant};

use diesel_async::SimpleAsyncConnection;
use serde_json::{json, Value};
use test_support::{spawn_app, TestApp, TestUser, V1, V2};

/// How long another instance may take to hear of a change.
const NOTICE_DEADLINE: Duration = Duration::from_secs(5);
/// Pause between two looks at the other instance.
const POLL_EVERY: Duration = Duration::from_millis(20);

/// Stops the notices of team changes in this test's database. The instance
/// that makes a change must drop its cached teams itself: its own notice
/// comes back within milliseconds, but after the response, so it would only
/// sometimes hide a missing drop; without notices, it never does.
async fn mute_team_notices(app: &TestApp) {
    let mut conn = app.pool.get().await.expect("a connection");
    conn.batch_execute(
        "ALTER TABLE team_members DISABLE TRIGGER team_members_changed;
         ALTER TABLE teams DISABLE TRIGGER teams_changed;
         ALTER TABLE users DISABLE TRIGGER users_changed;",
    )
    .await
    .expect("disabling the team notice triggers");
}

/// Creates a team owned by `owner` and returns its id.
async fn create_team(app: &TestApp, owner: &TestUser, name: &str) -> i64 {
    app.create_team(owner, name).await
}

/// `owner` invites `user` to `team_id`.
async fn invite(app: &TestApp, owner: &TestUser, team_id: i64, user: &TestUser) {
    app.invite(owner, team_id, user).await;
}

/// Invites `user` and has them accept.
async fn join(app: &TestApp, owner: &TestUser, team_id: i64, user: &TestUser) {
    app.join(owner, team_id, user).await;
}

/// Creates a palette in `team_id` and returns its id.
async fn create_palette(app: &TestApp, user: &TestUser, team_id: i64, name: &str) -> i64 {
    app.create_palette(user, team_id, name).await
}

/// The palettes `user` lists in `version` (1.0 or 2.0).
async fn palettes(app: &TestApp, user: &TestUser, version: &str) -> Vec<Value> {
    let response = app.get("/api/palettes/").accept(version).auth(user).send().await;
    assert_eq!(
        response.status, 200,
        "{} listing in {version}: {}",
        user.username, response.text
    );
    let items = if version == V2 {
        &response.json["items"]
    } else {
        &response.json
    };
    items.as_array().cloned().expect("a list of palettes")
}

/// The palette named `name` in `list`.
fn named<'a>(list: &'a [Value], name: &str) -> Option<&'a Value> {
    list.iter().find(|palette| palette["name"] == name)
}

/// Whether `user` lists the palette `name`, in 1.0 and in 2.0 (asserted to agree).
async fn lists(app: &TestApp, user: &TestUser, name: &str) -> bool {
    let v1 = named(&palettes(app, user, V1).await, name).is_some();
    let v2 = named(&palettes(app, user, V2).await, name).is_some();
    assert_eq!(v1, v2, "1.0 and 2.0 disagree on whether {} sees {name}", user.username);
    v1
}

/// The usernames of the 1.0 `owner.users` of the palette `name` that `user` lists.
async fn owner_users(app: &TestApp, user: &TestUser, name: &str) -> Vec<String> {
    let list = palettes(app, user, V1).await;
    let palette = named(&list, name).unwrap_or_else(|| panic!("{} does not list {name}", user.username));
    palette["owner"]["users"]
        .as_array()
        .expect("owner.users")
        .iter()
        .map(|member| member["username"].as_str().expect("a username").to_owned())
        .collect()
}

/// Asserts that `app` has `user`'s teams cached, so that what follows is
/// served from the cache unless a change dropped it.
fn assert_cached(app: &TestApp, user: &TestUser) {
    assert!(
        app.state.team_cache().is_live(),
        "the team cache is off: the change listener is not connected"
    );
    assert!(
        app.state.team_cache().cached(user.id).is_some(),
        "{}'s teams are not cached",
        user.username
    );
}

/// Asks `done` every [`POLL_EVERY`] until it is true, and returns how long
/// that took; fails after [`NOTICE_DEADLINE`].
async fn poll_until(what: &str, mut done: impl AsyncFnMut() -> bool) -> Duration {
    let start = Instant::now();
    loop {
        if done().await {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < NOTICE_DEADLINE,
            "{what}: not seen within {NOTICE_DEADLINE:?}"
        );
        tokio::time::sleep(POLL_EVERY).await;
    }
}

/// Through `setup`: ada's team "Studio" with bob as a member and ada's
/// palette "Studio Blues" in it, which bob lists through `seen_on`, from its
/// cache. Gives ada, bob, the team's id and the palette's id.
async fn studio_with_bob(setup: &TestApp, seen_on: &TestApp) -> (TestUser, TestUser, i64, i64) {
    let ada = setup.user("ada").await;
    let bob = setup.user("bob").await;
    let team = create_team(setup, &ada, "Studio").await;
    join(setup, &ada, team, &bob).await;
    let palette = create_palette(setup, &ada, team, "Studio Blues").await;
    assert!(
        lists(seen_on, &bob, "Studio Blues").await,
        "a member sees the team's palettes"
    );
    assert_cached(seen_on, &bob);
    (ada, bob, team, palette)
}

#[actix_web::test]
async fn a_removed_member_stops_seeing_the_team_palettes_on_the_next_list() {
    let app = spawn_app().await;
    mute_team_notices(&app).await;
    let (ada, bob, team, palette) = studio_with_bob(&app, &app).await;

    app.remove_member(&ada, team, &bob).await;

    assert!(!lists(&app, &bob, "Studio Blues").await, "removed, yet still listed");
    let single = app.get(&format!("/api/palettes/{palette}/")).auth(&bob).send().await;
    assert_eq!(single.status, 404, "{}", single.text);
    assert!(lists(&app, &ada, "Studio Blues").await, "the owner still sees it");
}

#[actix_web::test]
async fn a_member_who_leaves_stops_seeing_the_team_palettes_on_the_next_list() {
    let app = spawn_app().await;
    mute_team_notices(&app).await;
    let ada = app.user("ada").await;
    let bob = app.user("bob").await;
    let team = create_team(&app, &ada, "Studio").await;
    join(&app, &ada, team, &bob).await;
    create_palette(&app, &ada, team, "Studio Blues").await;
    assert!(
        lists(&app, &bob, "Studio Blues").await,
        "a member sees the team's palettes"
    );
    assert_cached(&app, &bob);

    let left = app
        .delete(&format!("/api/teams/{team}/membership/"))
        .auth(&bob)
        .send()
        .await;
    assert_eq!(left.status, 204, "{}", left.text);

    assert!(!lists(&app, &bob, "Studio Blues").await, "left, yet still listed");
}

#[actix_web::test]
async fn a_newcomer_sees_the_team_palettes_and_is_among_its_users_at_once() {
    let app = spawn_app().await;
    mute_team_notices(&app).await;
    let ada = app.user("ada").await;
    let cat = app.user("cat").await;
    let team = create_team(&app, &ada, "Studio").await;
    create_palette(&app, &ada, team, "Studio Blues").await;
    invite(&app, &ada, team, &cat).await;
    assert!(!lists(&app, &cat, "Studio Blues").await, "an invitee sees nothing yet");
    assert_eq!(owner_users(&app, &ada, "Studio Blues").await, ["ada"]);
    assert_cached(&app, &cat);
    assert_cached(&app, &ada);

    app.accept(team, &cat).await;

    assert!(lists(&app, &cat, "Studio Blues").await, "joined, yet not listed");
    assert_eq!(owner_users(&app, &ada, "Studio Blues").await, ["ada", "cat"]);
    assert_eq!(owner_users(&app, &cat, "Studio Blues").await, ["ada", "cat"]);
}

#[actix_web::test]
async fn a_renamed_team_shows_its_new_name_on_the_next_read() {
    let app = spawn_app().await;
    mute_team_notices(&app).await;
    let ada = app.user("ada").await;
    let bob = app.user("bob").await;
    let team = create_team(&app, &ada, "Studio").await;
    join(&app, &ada, team, &bob).await;
    let palette = create_palette(&app, &ada, team, "Studio Blues").await;
    let path = format!("/api/palettes/{palette}/");
    for user in [&ada, &bob] {
        let v1 = palettes(&app, user, V1).await;
        assert_eq!(named(&v1, "Studio Blues").expect("listed")["owner"]["name"], "Studio");
        let v2 = palettes(&app, user, V2).await;
        assert_eq!(named(&v2, "Studio Blues").expect("listed")["team"]["name"], "Studio");
        assert_eq!(app.get(&path).auth(user).send().await.json["owner"]["name"], "Studio");
        assert_eq!(
            app.get(&path).v2().auth(user).send().await.json["team"]["name"],
            "Studio"
        );
        assert_cached(&app, user);
    }

    app.rename_team(&ada, team, "Atelier").await;

    for user in [&bob, &ada] {
        let name = &user.username;
        let v1 = palettes(&app, user, V1).await;
        assert_eq!(
            named(&v1, "Studio Blues").expect("listed")["owner"]["name"],
            "Atelier",
            "{name}'s 1.0 list"
        );
        let v2 = palettes(&app, user, V2).await;
        assert_eq!(
            named(&v2, "Studio Blues").expect("listed")["team"]["name"],
            "Atelier",
            "{name}'s 2.0 list"
        );
        let single_v1 = app.get(&path).auth(user).send().await;
        assert_eq!(single_v1.json["owner"]["name"], "Atelier", "{name}: {}", single_v1.text);
        let single_v2 = app.get(&path).v2().auth(user).send().await;
        assert_eq!(single_v2.json["team"]["name"], "Atelier", "{name}: {}", single_v2.text);
    }
}

#[actix_web::test]
async fn a_deleted_account_leaves_the_team_users_at_once() {
    let app = spawn_app().await;
    mute_team_notices(&app).await;
    let ada = app.user("ada").await;
    let bob = app.user("bob").await;
    let team = create_team(&app, &bob, "Studio").await;
    join(&app, &bob, team, &ada).await;
    create_palette(&app, &bob, team, "Studio Blues").await;
    assert_eq!(owner_users(&app, &bob, "Studio Blues").await, ["ada", "bob"]);
    assert_cached(&app, &bob);

    let deleted = app.delete("/api/users/me/").auth(&ada).send().await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);

    assert_eq!(owner_users(&app, &bob, "Studio Blues").await, ["bob"]);
}

#[actix_web::test]
async fn another_instance_stops_listing_a_team_soon_after_a_removal() {
    let a = spawn_app().await;
    let b = a.spawn_twin().await;
    let (ada, bob, team, _) = studio_with_bob(&a, &b).await;

    a.remove_member(&ada, team, &bob).await;
    assert!(!lists(&a, &bob, "Studio Blues").await, "the instance that removed bob");

    // Without the notice, B would list the team until its entry expired (a minute).
    poll_until("bob's list on the other instance", async || {
        !lists(&b, &bob, "Studio Blues").await
    })
    .await;
}

#[actix_web::test]
async fn another_instance_refuses_an_old_password_soon_after_a_change() {
    let a = spawn_app().await;
    let b = a.spawn_twin().await;
    let ada = a.user("ada").await;
    // Verified on B, hence cached there (for a minute by default).
    let before = b.get("/api/users/me/").auth(&ada).send().await;
    assert_eq!(before.status, 200, "{}", before.text);

    let new_password = "a brand new password";
    let changed = a
        .put("/api/users/me/password/")
        .auth(&ada)
        .json(&json!({"current_password": ada.password, "new_password": new_password}))
        .send()
        .await;
    assert_eq!(changed.status, 204, "{}", changed.text);
    assert_eq!(a.get("/api/users/me/").auth(&ada).send().await.status, 401);

    poll_until("the old password refused on the other instance", async || {
        match b.get("/api/users/me/").auth(&ada).send().await.status {
            200 => false,
            status => {
                assert_eq!(status, 401, "the old password on the other instance");
                true
            }
        }
    })
    .await;
    let new = b.get("/api/users/me/").basic(&ada.username, new_password).send().await;
    assert_eq!(new.status, 200, "{}", new.text);
}

#[actix_web::test]
async fn another_instance_refuses_a_revoked_token_soon_after() {
    let a = spawn_app().await;
    let b = a.spawn_twin().await;
    let ada = a.user("ada").await;
    let created = a
        .post("/api/tokens/")
        .auth(&ada)
        .json(&json!({"name": "ci"}))
        .send()
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let token = created.json["token"].as_str().expect("the secret").to_owned();
    let id = created.json["id"].as_i64().expect("the token id");
    // Looked up on B, hence cached there (for ten seconds).
    let before = b.get("/api/users/me/").bearer(&token).send().await;
    assert_eq!(before.status, 200, "{}", before.text);

    let revoked = a.delete(&format!("/api/tokens/{id}/")).auth(&ada).send().await;
    assert_eq!(revoked.status, 204, "{}", revoked.text);
    assert_eq!(a.get("/api/users/me/").bearer(&token).send().await.status, 401);

    poll_until("the revoked token refused on the other instance", async || {
        match b.get("/api/users/me/").bearer(&token).send().await.status {
            200 => false,
            status => {
                assert_eq!(status, 401, "the revoked token on the other instance");
                true
            }
        }
    })
    .await;
}

/// The listener's backend pid in this test's database, if it is connected.
async fn listener_pid(app: &TestApp) -> Option<i32> {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    diesel::define_sql_function!(fn current_database() -> diesel::sql_types::Text);
    diesel::table! {
        pg_stat_activity (pid) {
            pid -> Int4,
            datname -> Nullable<Text>,
            application_name -> Nullable<Text>,
        }
    }
    let mut conn = app.pool.get().await.expect("a connection");
    pg_stat_activity::table
        .filter(pg_stat_activity::application_name.eq("palette-api listener"))
        .filter(pg_stat_activity::datname.nullable().eq(current_database().nullable()))
        .select(pg_stat_activity::pid)
        .first(&mut conn)
        .await
        .optional()
        .expect("reading pg_stat_activity")
}

#[actix_web::test]
async fn a_listener_whose_connection_dies_reconnects_and_the_cache_comes_back() {
    let app = spawn_app().await;
    assert!(app.state.team_cache().is_live());
    let first = listener_pid(&app).await.expect("the listener is connected");
    let mut conn = app.pool.get().await.expect("a connection");
    conn.batch_execute(&format!("SELECT pg_terminate_backend({first})"))
        .await
        .expect("ending the listener's connection");
    poll_until("a new listener connection", async || {
        listener_pid(&app).await.is_some_and(|pid| pid != first) && app.state.team_cache().is_live()
    })
    .await;
}
