//! Registering, reading, changing and deleting my account, over HTTP.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::json;
use test_support::{spawn_app, TestApp};

async fn count_users(app: &TestApp, name: &str) -> i64 {
    use database::schema::users;
    let mut conn = app.pool.get().await.expect("connection");
    users::table
        .filter(users::username.eq(name))
        .count()
        .get_result(&mut conn)
        .await
        .expect("count")
}

#[actix_web::test]
async fn registering_returns_the_user_with_their_personal_team_in_1_0() {
    let app = spawn_app().await;
    let response = app
        .post("/api/users/")
        .json(&json!({"username": "ada", "password": "analytical"}))
        .send()
        .await;
    assert_eq!(response.status, 201, "{}", response.text);
    let body = response.json.as_object().expect("object");
    assert_eq!(body.keys().collect::<Vec<_>>(), ["id", "username", "group_ids"]);
    assert_eq!(body["username"], "ada");
    assert_eq!(body["group_ids"].as_array().map(Vec::len), Some(1));
    assert!(!response.text.contains("analytical"), "the password is write-only");
}

#[actix_web::test]
async fn registering_in_2_0_returns_exactly_the_2_0_keys() {
    let app = spawn_app().await;
    let response = app
        .post("/api/users")
        .v2()
        .json(&json!({"username": "ada", "password": "analytical"}))
        .send()
        .await;
    assert_eq!(response.status, 201);
    let keys: Vec<&String> = response.json.as_object().expect("object").keys().collect();
    assert_eq!(keys, ["id", "username", "personal_team_id", "created_at"]);
    assert!(response.json["personal_team_id"].is_i64());
}

#[actix_web::test]
async fn invalid_usernames_are_refused_and_nothing_is_stored() {
    let app = spawn_app().await;
    let long = "x".repeat(151);
    for username in ["with space", long.as_str(), "", "semi;colon", "tab\there"] {
        let response = app
            .post("/api/users/")
            .json(&json!({"username": username, "password": "long enough"}))
            .send()
            .await;
        assert_eq!(response.status, 400, "{username:?}: {}", response.text);
        assert!(
            response.json["username"][0].is_string(),
            "{username:?}: {}",
            response.text
        );
        assert_eq!(count_users(&app, username).await, 0);
    }
    let ok = app
        .post("/api/users/")
        .json(&json!({"username": "x".repeat(150), "password": "long enough"}))
        .send()
        .await;
    assert_eq!(ok.status, 201, "150 characters are allowed");
}

#[actix_web::test]
async fn usernames_may_use_letters_of_any_script() {
    let app = spawn_app().await;
    for username in ["josé", "Ωmega", "名前", "١٢٣"] {
        let response = app
            .post("/api/users/")
            .json(&json!({"username": username, "password": "long enough"}))
            .send()
            .await;
        assert_eq!(response.status, 201, "{username}: {}", response.text);
        assert_eq!(response.json["username"], username);
        assert_eq!(count_users(&app, username).await, 1);
    }
    let clash = app
        .post("/api/users/")
        .json(&json!({"username": "JOSÉ", "password": "long enough"}))
        .send()
        .await;
    assert_eq!(clash.status, 400, "uniqueness ignores case beyond ASCII too");
}

#[actix_web::test]
async fn a_taken_username_in_other_case_is_refused() {
    let app = spawn_app().await;
    app.user("Ada").await;
    let v1 = app
        .post("/api/users/")
        .json(&json!({"username": "ADA", "password": "long enough"}))
        .send()
        .await;
    assert_eq!(v1.status, 400);
    assert_eq!(
        v1.json,
        json!({"username": ["A user with that username already exists."]})
    );
    let v2 = app
        .post("/api/users/")
        .v2()
        .json(&json!({"username": "ada", "password": "long enough"}))
        .send()
        .await;
    assert_eq!(v2.status, 409);
    assert_eq!(
        v2.json["errors"]["username"][0],
        "A user with that username already exists."
    );
}

#[actix_web::test]
async fn fullwidth_and_look_alike_usernames_are_the_taken_name() {
    let app = spawn_app().await;
    app.user("admin").await;
    // Fullwidth letters are NFKC "admin"; a Cyrillic "а" only looks like it.
    for username in ["ａｄｍｉｎ", "аdmin", "АDMIN"] {
        let response = app
            .post("/api/users/")
            .json(&json!({"username": username, "password": "long enough"}))
            .send()
            .await;
        assert_eq!(response.status, 400, "{username}");
        assert_eq!(
            response.json,
            json!({"username": ["A user with that username already exists."]}),
            "{username}"
        );
        assert_eq!(count_users(&app, username).await, 0, "{username}");
    }
    let v2 = app
        .post("/api/users/")
        .v2()
        .json(&json!({"username": "аdmin", "password": "long enough"}))
        .send()
        .await;
    assert_eq!(v2.status, 409);
}

#[actix_web::test]
async fn a_username_is_stored_and_logged_in_as_its_nfkc_form() {
    let app = spawn_app().await;
    let registered = app
        .post("/api/users/")
        .json(&json!({"username": "ｅｖｅ", "password": "long enough"}))
        .send()
        .await;
    assert_eq!(registered.status, 201, "{}", registered.text);
    assert_eq!(registered.json["username"], "eve");
    assert_eq!(count_users(&app, "eve").await, 1);
    for login in ["eve", "ｅｖｅ", "EVE"] {
        let me = app.get("/api/users/me/").basic(login, "long enough").send().await;
        assert_eq!(me.status, 200, "{login}");
        assert_eq!(me.json["username"], "eve");
    }
    // Letters of any script are still usernames of their own.
    let greek = app
        .post("/api/users/")
        .json(&json!({"username": "αλφα", "password": "long enough"}))
        .send()
        .await;
    assert_eq!(greek.status, 201, "{}", greek.text);
}

#[actix_web::test]
async fn passwords_must_be_8_to_1024_bytes() {
    let app = spawn_app().await;
    for (password, status) in [
        ("1234567".to_owned(), 400),
        ("x".repeat(1025), 400),
        ("12345678".to_owned(), 201),
    ] {
        let response = app
            .post("/api/users/")
            .json(&json!({"username": format!("u{}", password.len()), "password": password}))
            .send()
            .await;
        assert_eq!(response.status, status, "{} bytes: {}", password.len(), response.text);
        if status == 400 {
            assert!(response.json["password"][0].is_string());
        }
    }
}

#[actix_web::test]
async fn concurrent_registrations_of_one_username_create_one_user() {
    let app = spawn_app().await;
    let body = json!({"username": "twin", "password": "long enough"});
    let (a, b) = futures_util::future::join(
        app.post("/api/users/").json(&body).send(),
        app.post("/api/users/").v2().json(&body).send(),
    )
    .await;
    let mut statuses = [a.status, b.status];
    statuses.sort_unstable();
    assert!(
        statuses == [201, 400] || statuses == [201, 409],
        "{statuses:?}: {} / {}",
        a.text,
        b.text
    );
    assert_eq!(count_users(&app, "twin").await, 1);
}

#[actix_web::test]
async fn registering_with_an_authorization_header_still_works() {
    let app = spawn_app().await;
    let response = app
        .post("/api/users/")
        .basic("someone", "whatever")
        .json(&json!({"username": "ada", "password": "long enough"}))
        .send()
        .await;
    assert_eq!(response.status, 201);
}

#[actix_web::test]
async fn me_lists_my_teams() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let response = app.get("/api/users/me/").auth(&ada).send().await;
    assert_eq!(response.status, 200);
    assert_eq!(
        response.json,
        json!({"id": ada.id, "username": "ada", "group_ids": [ada.personal_team_id]})
    );
}

#[actix_web::test]
async fn changing_my_password_retires_the_old_one_and_my_tokens() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    // Warm the credential cache with the old password.
    assert_eq!(app.get("/api/users/me").auth(&ada).send().await.status, 200);
    let token = app
        .post("/api/tokens/")
        .auth(&ada)
        .json(&json!({"name": "ci"}))
        .send()
        .await;
    let secret = token.json["token"].as_str().expect("token").to_owned();
    let changed = app
        .put("/api/users/me/password/")
        .auth(&ada)
        .json(&json!({"current_password": ada.password, "new_password": "a brand new one"}))
        .send()
        .await;
    assert_eq!(changed.status, 204, "{}", changed.text);
    assert_eq!(app.get("/api/users/me").auth(&ada).send().await.status, 401);
    assert_eq!(app.get("/api/users/me").bearer(&secret).send().await.status, 401);
    let new = app.get("/api/users/me").basic("ada", "a brand new one").send().await;
    assert_eq!(new.status, 200);
}

#[actix_web::test]
async fn a_wrong_current_password_changes_nothing() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let response = app
        .put("/api/users/me/password")
        .auth(&ada)
        .json(&json!({"current_password": "not it at all", "new_password": "a brand new one"}))
        .send()
        .await;
    assert_eq!(response.status, 400);
    assert!(response.json["current_password"][0].is_string());
    assert_eq!(app.get("/api/users/me").auth(&ada).send().await.status, 200);
    let short = app
        .put("/api/users/me/password")
        .auth(&ada)
        .json(&json!({"current_password": ada.password, "new_password": "short"}))
        .send()
        .await;
    assert_eq!(short.status, 400);
    assert!(short.json["new_password"][0].is_string());
}

#[actix_web::test]
async fn deleting_my_account_removes_me_and_my_personal_team() {
    use database::schema::teams;
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    assert_eq!(app.get("/api/users/me").auth(&ada).send().await.status, 200);
    let response = app.delete("/api/users/me/").auth(&ada).send().await;
    assert_eq!(response.status, 204);
    assert_eq!(count_users(&app, "ada").await, 0);
    let mut conn = app.pool.get().await.expect("connection");
    let teams: i64 = teams::table
        .filter(teams::id.eq(ada.personal_team_id))
        .count()
        .get_result(&mut conn)
        .await
        .expect("count");
    assert_eq!(teams, 0);
    assert_eq!(
        app.get("/api/users/me").auth(&ada).send().await.status,
        401,
        "the cache forgot me"
    );
}

#[actix_web::test]
async fn my_account_has_an_etag_in_2_0_and_a_stale_if_match_keeps_it() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let me = app.get("/api/users/me").v2().auth(&ada).send().await;
    let etag = me.header("etag").expect("ETag in 2.0").to_owned();
    assert!(
        app.get("/api/users/me")
            .auth(&ada)
            .send()
            .await
            .header("etag")
            .is_none(),
        "1.0 sends none"
    );
    let stale = app
        .delete("/api/users/me")
        .v2()
        .auth(&ada)
        .header("If-Match", "\"u0000000000000000\"")
        .send()
        .await;
    assert_eq!(stale.status, 412);
    assert_eq!(count_users(&app, "ada").await, 1);
    let fresh = app
        .delete("/api/users/me")
        .v2()
        .auth(&ada)
        .header("If-Match", &etag)
        .send()
        .await;
    assert_eq!(fresh.status, 204);
    assert_eq!(count_users(&app, "ada").await, 0);
}

#[actix_web::test]
async fn guessing_the_current_password_is_throttled() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let token = app
        .post("/api/tokens")
        .auth(&ada)
        .json(&json!({"name": "stolen"}))
        .send()
        .await;
    let secret = token.json["token"].as_str().expect("token").to_owned();
    let mut statuses = Vec::new();
    for i in 0..12 {
        let response = app
            .put("/api/users/me/password")
            .bearer(&secret)
            .json(&json!({"current_password": format!("guess {i} guess"), "new_password": "taken over!"}))
            .send()
            .await;
        statuses.push(response.status);
    }
    assert_eq!(&statuses[..10], &[400; 10], "{statuses:?}");
    assert_eq!(statuses[11], 429, "{statuses:?}");
    assert_eq!(
        app.get("/api/users/me").auth(&ada).send().await.status,
        200,
        "the password is unchanged"
    );
}

#[actix_web::test]
async fn if_match_on_deleting_my_account_is_honoured_in_1_0_too() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let etag = app
        .get("/api/users/me")
        .v2()
        .auth(&ada)
        .send()
        .await
        .header("etag")
        .expect("ETag in 2.0")
        .to_owned();
    let stale = app
        .delete("/api/users/me/")
        .auth(&ada)
        .header("If-Match", "\"u0000000000000000\"")
        .send()
        .await;
    assert_eq!(stale.status, 412, "{}", stale.text);
    assert!(stale.json["detail"].is_string(), "a 1.0 error body: {}", stale.text);
    assert_eq!(count_users(&app, "ada").await, 1, "a stale If-Match keeps the account");
    let fresh = app
        .delete("/api/users/me/")
        .auth(&ada)
        .header("If-Match", &etag)
        .send()
        .await;
    assert_eq!(fresh.status, 204, "{}", fresh.text);
    assert_eq!(count_users(&app, "ada").await, 0);
}

#[actix_web::test]
async fn users_from_before_skeletons_get_theirs_and_look_alikes_then_clash() {
    use database::schema::users;
    let app = spawn_app().await;
    let mut conn = app.pool.get().await.expect("connection");
    // Two accounts from before the rule: "bob" and "bоb" with a Cyrillic "о".
    for name in ["bob", "bоb"] {
        diesel::insert_into(users::table)
            .values((users::username.eq(name), users::password_hash.eq("x")))
            .execute(&mut conn)
            .await
            .expect("insert");
    }
    let filled = accounts::service::backfill_skeletons(&mut conn)
        .await
        .expect("backfill");
    assert_eq!(filled, 1, "the second look-alike keeps no skeleton");
    assert_eq!(
        accounts::service::backfill_skeletons(&mut conn).await.expect("again"),
        0
    );
    drop(conn);
    let response = app
        .post("/api/users/")
        .json(&json!({"username": "BOB", "password": "long enough"}))
        .send()
        .await;
    assert_eq!(response.status, 400);
    let look_alike = app
        .post("/api/users/")
        .json(&json!({"username": "b0b", "password": "long enough"}))
        .send()
        .await;
    assert_eq!(
        look_alike.status, 201,
        "0 and o are not confusables: {}",
        look_alike.text
    );
}
