//! Basic and Bearer authentication, malformed headers and throttling, over HTTP.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::json;
use test_support::{spawn_app, spawn_app_with};

#[actix_web::test]
async fn missing_or_malformed_authorization_is_401_with_a_basic_challenge() {
    let app = spawn_app().await;
    let not_utf8 = format!("Basic {}", STANDARD.encode([0xff, 0xfe, b':', b'x']));
    let no_colon = format!("Basic {}", STANDARD.encode("adaonly"));
    let headers = [
        None,
        Some("Basic !!!not-base64!!!".to_owned()),
        Some(no_colon),
        Some(not_utf8),
        Some("Digest username=ada".to_owned()),
        Some("Bearer".to_owned()),
        Some("Basic".to_owned()),
    ];
    for header in headers {
        let mut request = app.get("/api/users/me/");
        if let Some(value) = &header {
            request = request.header("Authorization", value);
        }
        let response = request.send().await;
        assert_eq!(response.status, 401, "{header:?}");
        assert_eq!(
            response.header("www-authenticate"),
            Some("Basic realm=\"api\""),
            "{header:?}"
        );
        assert!(response.json["detail"].is_string());
    }
}

#[actix_web::test]
async fn wrong_password_and_unknown_user_are_both_401() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let wrong = app.get("/api/users/me").basic("ada", "not the password").send().await;
    let unknown = app.get("/api/users/me").basic("nobody", &ada.password).send().await;
    assert_eq!(wrong.status, 401);
    assert_eq!(unknown.status, 401);
    assert_eq!(wrong.json, unknown.json, "the answer does not tell which was wrong");
    let v2 = app
        .get("/api/users/me")
        .v2()
        .basic("ada", "not the password")
        .send()
        .await;
    assert_eq!(v2.status, 401);
    assert_eq!(v2.header("content-type"), Some("application/problem+json"));
}

#[actix_web::test]
async fn login_ignores_username_case() {
    let app = spawn_app().await;
    let ada = app.user("Ada").await;
    let response = app.get("/api/users/me").basic("ADA", &ada.password).send().await;
    assert_eq!(response.status, 200);
    assert_eq!(response.json["username"], "Ada");
}

#[actix_web::test]
async fn repeated_failures_from_one_client_get_429_with_retry_after() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let mut statuses = Vec::new();
    for _ in 0..12 {
        statuses.push(app.get("/api/users/me").basic("ada", "guess guess").send().await.status);
    }
    assert_eq!(&statuses[..10], &[401; 10], "{statuses:?}");
    let throttled = app.get("/api/users/me").basic("ada", "guess guess").send().await;
    assert_eq!(throttled.status, 429);
    let retry_after: u64 = throttled
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    assert!(retry_after >= 1);
    // Even the right password is not checked from this client now.
    assert_eq!(app.get("/api/users/me").auth(&ada).send().await.status, 429);
}

#[actix_web::test]
async fn the_owner_still_logs_in_while_their_username_is_hammered_from_elsewhere() {
    let app = spawn_app_with(|settings| settings.trust_forwarded_for = true).await;
    let ada = app.user("ada").await;
    // The owner has used the service before: from this address, with these credentials.
    let home = app
        .get("/api/users/me")
        .header("X-Forwarded-For", "198.51.100.7")
        .auth(&ada)
        .send()
        .await;
    assert_eq!(home.status, 200);
    for attacker in 1..=30 {
        let address = format!("203.0.113.{attacker}");
        let response = app
            .get("/api/users/me")
            .header("X-Forwarded-For", &address)
            .basic("ada", "guess guess")
            .send()
            .await;
        assert!(matches!(response.status, 401 | 429), "{}", response.status);
    }
    let hammered_attacker = app
        .get("/api/users/me")
        .header("X-Forwarded-For", "203.0.113.30")
        .basic("ada", "guess again")
        .send()
        .await;
    assert_eq!(hammered_attacker.status, 429, "the username is over its limit");
    let victim = app
        .get("/api/users/me")
        .header("X-Forwarded-For", "198.51.100.7")
        .auth(&ada)
        .send()
        .await;
    assert_eq!(victim.status, 200);
}

#[actix_web::test]
async fn a_cache_disabled_server_still_authenticates() {
    let app = spawn_app_with(|settings| settings.auth_cache_ttl = std::time::Duration::ZERO).await;
    let ada = app.user("ada").await;
    for _ in 0..2 {
        assert_eq!(app.get("/api/users/me").auth(&ada).send().await.status, 200);
    }
    assert_eq!(
        app.get("/api/users/me").basic("ada", "wrong one").send().await.status,
        401
    );
}

#[actix_web::test]
async fn a_cached_login_does_not_accept_another_password() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    assert_eq!(app.get("/api/users/me").auth(&ada).send().await.status, 200);
    let other = format!("{}x", ada.password);
    assert_eq!(app.get("/api/users/me").basic("ada", &other).send().await.status, 401);
    let body = json!({"username": "bob", "password": "long enough"});
    assert_eq!(app.post("/api/users").json(&body).send().await.status, 201);
    assert_eq!(
        app.get("/api/users/me").basic("bob", &ada.password).send().await.status,
        401
    );
}

#[actix_web::test]
async fn a_nul_in_credentials_or_names_is_refused_not_a_server_error() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let header = format!("Basic {}", STANDARD.encode("a\0b:long enough"));
    let response = app.get("/api/users/me").header("Authorization", &header).send().await;
    assert_eq!(response.status, 401);
    let token = app
        .post("/api/tokens")
        .auth(&ada)
        .json(&json!({"name": "a\u{0}b"}))
        .send()
        .await;
    assert_eq!(token.status, 400);
    assert_eq!(token.json, json!({"name": ["Null characters are not allowed."]}));
    let whole_float = app
        .post("/api/tokens")
        .auth(&ada)
        .json(&json!({"name": "ci", "expires_in_days": 64.0}))
        .send()
        .await;
    assert_eq!(whole_float.status, 201, "64.0 is a whole number: {}", whole_float.text);
}

#[actix_web::test]
async fn parallel_guesses_cannot_outrun_the_throttle() {
    let app = spawn_app().await;
    app.user("ada").await;
    let guesses: Vec<_> = (0..30)
        .map(|i| {
            app.get("/api/users/me")
                .basic("ada", &format!("guess number {i}"))
                .send()
        })
        .collect();
    let responses = futures_util::future::join_all(guesses).await;
    let checked = responses.iter().filter(|r| r.status == 401).count();
    let throttled = responses.iter().filter(|r| r.status == 429).count();
    assert_eq!(checked + throttled, 30);
    assert!(checked <= 10, "{checked} guesses were checked, the limit is 10");
}

#[actix_web::test]
async fn frequent_correct_logins_are_not_throttled() {
    let app = spawn_app_with(|settings| settings.auth_cache_ttl = std::time::Duration::ZERO).await;
    let ada = app.user("ada").await;
    for _ in 0..15 {
        assert_eq!(app.get("/api/users/me").auth(&ada).send().await.status, 200);
    }
}
