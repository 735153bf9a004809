//! Security headers: nosniff and no referrer everywhere, no caching of
//! authenticated data, a content policy on the docs and on data, HSTS only
//! over HTTPS as a trusted proxy says, and Swagger UI without its outside
//! validator.

use test_support::{spawn_app, spawn_app_with};

#[actix_web::test]
async fn responses_carry_security_headers_and_authenticated_ones_are_not_stored() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let me = app.get("/api/users/me/").auth(&ada).send().await;
    assert_eq!(me.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(me.header("referrer-policy"), Some("no-referrer"));
    assert_eq!(me.header("cache-control"), Some("no-store"));
    assert_eq!(
        me.header("content-security-policy"),
        Some("default-src 'none'; frame-ancestors 'none'")
    );
    assert_eq!(me.header("strict-transport-security"), None, "plain HTTP");
    // An export keeps its own caching, for revalidation with its ETag.
    let id = app.create_palette(&ada, ada.personal_team_id, "Sea").await;
    let export = app
        .get(&format!("/api/palettes/{id}/export/css"))
        .auth(&ada)
        .send()
        .await;
    assert_eq!(export.header("cache-control"), Some("private, no-cache"));
    // Anonymous responses are not marked.
    let health = app.get("/healthz").send().await;
    assert_eq!(health.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(health.header("cache-control"), None);
    // The docs page runs Swagger UI from this origin only, without the outside validator.
    let docs = app.get("/api/docs/").send().await;
    assert_eq!(docs.status, 200);
    let policy = docs.header("content-security-policy").expect("a policy");
    assert!(
        policy.contains("script-src 'self'") && policy.contains("frame-ancestors 'none'"),
        "{policy}"
    );
    let initializer = app.get("/api/docs/swagger-initializer.js").send().await;
    assert_eq!(initializer.status, 200);
    assert!(
        initializer.text.contains("\"validatorUrl\": \"none\""),
        "{}",
        initializer.text
    );
}

#[actix_web::test]
async fn hsts_only_when_a_trusted_proxy_says_the_request_came_over_https() {
    let untrusting = spawn_app().await;
    let forwarded = untrusting
        .get("/healthz")
        .header("X-Forwarded-Proto", "https")
        .send()
        .await;
    assert_eq!(forwarded.header("strict-transport-security"), None, "not trusted");
    let app = spawn_app_with(|settings| settings.trust_forwarded_proto = true).await;
    let over_https = app.get("/healthz").header("X-Forwarded-Proto", "https").send().await;
    assert_eq!(
        over_https.header("strict-transport-security"),
        Some("max-age=31536000; includeSubDomains")
    );
    let over_http = app.get("/healthz").header("X-Forwarded-Proto", "http").send().await;
    assert_eq!(over_http.header("strict-transport-security"), None);
}

#[actix_web::test]
async fn cors_answers_only_the_allowed_origins_and_is_off_by_default() {
    let allowed = "https://app.example.com";
    let app = spawn_app_with(|settings| settings.cors_allowed_origins = vec![allowed.to_owned()]).await;
    let ada = app.user("ada").await;
    let preflight = app
        .request(actix_web::http::Method::OPTIONS, "/api/palettes/")
        .header("Origin", allowed)
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "authorization, content-type, if-match",
        )
        .send()
        .await;
    assert_eq!(preflight.status, 200, "{}", preflight.text);
    assert_eq!(preflight.header("access-control-allow-origin"), Some(allowed));
    let methods = preflight.header("access-control-allow-methods").unwrap_or_default();
    assert!(methods.contains("POST") && methods.contains("PATCH"), "{methods}");
    let read = app
        .get("/api/users/me/")
        .header("Origin", allowed)
        .auth(&ada)
        .send()
        .await;
    assert_eq!(read.status, 200);
    assert_eq!(read.header("access-control-allow-origin"), Some(allowed));
    let exposed = read
        .header("access-control-expose-headers")
        .unwrap_or_default()
        .to_ascii_lowercase();
    assert!(
        exposed.contains("etag") && exposed.contains("x-request-id"),
        "{exposed}"
    );
    // Another origin gets no grant.
    let other = app
        .get("/healthz")
        .header("Origin", "https://evil.example")
        .send()
        .await;
    assert_eq!(other.header("access-control-allow-origin"), None);
    // Off by default: no grant for anyone.
    let default = spawn_app().await;
    let plain = default.get("/healthz").header("Origin", allowed).send().await;
    assert_eq!(plain.status, 200);
    assert_eq!(plain.header("access-control-allow-origin"), None);
}
