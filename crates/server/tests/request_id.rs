//! Every response carries `X-Request-Id`: the client's own when it sent a
//! sane one, else a new one for each request.

use test_support::spawn_app;

#[actix_web::test]
async fn every_response_echoes_a_sane_client_id_or_carries_a_new_one() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let own = app
        .get("/api/users/me/")
        .auth(&ada)
        .header("X-Request-Id", "req-2026.12.04:abc_DEF")
        .send()
        .await;
    assert_eq!(own.status, 200);
    assert_eq!(own.header("x-request-id"), Some("req-2026.12.04:abc_DEF"));
    // Errors too, in both versions, and without credentials.
    for (path, status) in [
        ("/api/users/me/", 401),
        ("/api/nothing-here", 404),
        ("/api/users/", 405),
    ] {
        let response = app.get(path).v2().header("X-Request-Id", "mine-1").send().await;
        assert_eq!(response.status, status, "{path}");
        assert_eq!(response.header("x-request-id"), Some("mine-1"), "{path}");
    }
    // An id that could forge a log line or is too long is replaced.
    let mut generated = Vec::new();
    for bad in ["has space", "new\\nline", &"x".repeat(129), ""] {
        let response = app.get("/healthz").header("X-Request-Id", bad).send().await;
        let id = response.header("x-request-id").expect("an id").to_owned();
        assert_ne!(id, bad);
        assert!(!id.is_empty());
        generated.push(id);
    }
    let without = app.get("/healthz").send().await;
    generated.push(without.header("x-request-id").expect("an id").to_owned());
    generated.sort();
    generated.dedup();
    assert_eq!(generated.len(), 5, "each request gets its own id");
}
