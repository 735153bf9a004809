//! API tokens: creation, listing, Bearer use, expiry and revocation, over HTTP.

use database::schema::api_tokens;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::json;
use test_support::spawn_app;

#[actix_web::test]
async fn a_new_token_shows_its_secret_once_and_authenticates() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let created = app
        .post("/api/tokens/")
        .auth(&ada)
        .json(&json!({"name": "laptop", "expires_in_days": 30}))
        .send()
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let keys: Vec<&String> = created.json.as_object().expect("object").keys().collect();
    assert_eq!(keys, ["id", "name", "token", "created_at", "expires_at"]);
    let secret = created.json["token"].as_str().expect("token");
    assert!(secret.len() >= 43);
    assert!(secret
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    assert!(created.json["expires_at"].is_string());

    let me = app.get("/api/users/me").bearer(secret).send().await;
    assert_eq!(me.status, 200);
    assert_eq!(me.json["username"], "ada");

    let listed = app.get("/api/tokens").auth(&ada).send().await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.json.as_array().map(Vec::len), Some(1));
    assert!(listed.json[0].get("token").is_none());
    assert!(!listed.text.contains(secret));

    let mut conn = app.pool.get().await.expect("connection");
    let stored: Vec<Vec<u8>> = api_tokens::table
        .select(api_tokens::token_hash)
        .load(&mut conn)
        .await
        .expect("hashes");
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0], secret.as_bytes(), "only a hash is stored");
}

#[actix_web::test]
async fn token_names_and_expiry_are_validated() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    for body in [
        json!({}),
        json!({"name": "  "}),
        json!({"name": "x".repeat(101)}),
        json!({"name": "ok", "expires_in_days": 0}),
        json!({"name": "ok", "expires_in_days": "soon"}),
    ] {
        let response = app.post("/api/tokens").auth(&ada).json(&body).send().await;
        assert_eq!(response.status, 400, "{body}: {}", response.text);
    }
}

#[actix_web::test]
async fn a_revoked_token_no_longer_authenticates() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let created = app
        .post("/api/tokens")
        .auth(&ada)
        .json(&json!({"name": "ci"}))
        .send()
        .await;
    let secret = created.json["token"].as_str().expect("token").to_owned();
    let id = created.json["id"].as_i64().expect("id");
    assert_eq!(app.get("/api/users/me").bearer(&secret).send().await.status, 200);
    assert_eq!(
        app.delete(&format!("/api/tokens/{id}/")).auth(&ada).send().await.status,
        204
    );
    assert_eq!(app.get("/api/users/me").bearer(&secret).send().await.status, 401);
    assert_eq!(
        app.delete(&format!("/api/tokens/{id}")).auth(&ada).send().await.status,
        404
    );
}

#[actix_web::test]
async fn an_expired_token_no_longer_authenticates() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let created = app
        .post("/api/tokens")
        .auth(&ada)
        .json(&json!({"name": "ci", "expires_in_days": 1}))
        .send()
        .await;
    let secret = created.json["token"].as_str().expect("token").to_owned();
    let mut conn = app.pool.get().await.expect("connection");
    diesel::update(api_tokens::table)
        .set(api_tokens::expires_at.eq(Some(chrono::Utc::now() - chrono::Duration::minutes(1))))
        .execute(&mut conn)
        .await
        .expect("expire");
    let response = app.get("/api/users/me").bearer(&secret).send().await;
    assert_eq!(response.status, 401);
    assert_eq!(response.header("www-authenticate"), Some("Basic realm=\"api\""));
}

#[actix_web::test]
async fn someone_elses_token_cannot_be_revoked_and_unknown_tokens_are_401() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let bob = app.user("bob").await;
    let created = app
        .post("/api/tokens")
        .auth(&ada)
        .json(&json!({"name": "ci"}))
        .send()
        .await;
    let id = created.json["id"].as_i64().expect("id");
    assert_eq!(
        app.delete(&format!("/api/tokens/{id}")).auth(&bob).send().await.status,
        404
    );
    assert_eq!(
        app.get("/api/users/me")
            .bearer(created.json["token"].as_str().expect("token"))
            .send()
            .await
            .status,
        200
    );
    assert_eq!(app.get("/api/users/me").bearer("pal_made-up").send().await.status, 401);
}

#[actix_web::test]
async fn tokens_are_paged_with_a_cursor_in_both_versions() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    for i in 0..3 {
        app.post("/api/tokens")
            .auth(&ada)
            .json(&json!({"name": format!("t{i}")}))
            .send()
            .await;
    }
    let first = app.get("/api/tokens?limit=2").auth(&ada).send().await;
    assert_eq!(first.json.as_array().map(Vec::len), Some(2));
    let link = first.header("link").expect("Link header").to_owned();
    assert!(link.ends_with("rel=\"next\"") && link.contains("limit=2"), "{link}");
    let next_url = link.trim_start_matches('<').split('>').next().expect("url");
    let path = next_url
        .split_once("127.0.0.1")
        .and_then(|(_, rest)| rest.split_once('/').map(|(_, p)| format!("/{p}")))
        .expect("path");
    let second = app.get(&path).auth(&ada).send().await;
    assert_eq!(second.json.as_array().map(Vec::len), Some(1));
    assert_eq!(second.json[0]["name"], "t2");
    assert!(second.header("link").is_none());

    let v2 = app.get("/api/tokens?limit=2").v2().auth(&ada).send().await;
    let cursor = v2.json["next_cursor"].as_str().expect("cursor");
    let rest = app
        .get(&format!("/api/tokens?limit=2&cursor={cursor}"))
        .v2()
        .auth(&ada)
        .send()
        .await;
    assert_eq!(rest.json["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(rest.json["next_cursor"], json!(null));
    for bad in ["limit=0", "limit=1001", "limit=x", "cursor=bogus"] {
        let response = app.get(&format!("/api/tokens?{bad}")).v2().auth(&ada).send().await;
        assert_eq!(response.status, 400, "{bad}");
        let field = bad.split('=').next().expect("name");
        assert!(response.json["errors"][field].is_array(), "{bad}: {}", response.text);
    }
}
