//! Version negotiation, media types and body handling, over HTTP.

use actix_web::http::Method;
use serde_json::json;
use test_support::{spawn_app, V1, V2};

#[actix_web::test]
async fn no_accept_header_gets_1_0() {
    let app = spawn_app().await;
    let response = app.get("/api/users/me/").send().await;
    assert_eq!(response.status, 401);
    assert_eq!(response.header("content-type"), Some(V1));
    assert_eq!(
        response.json,
        json!({"detail": "Authentication credentials were not provided or are invalid."})
    );
    assert_eq!(response.header("www-authenticate"), Some("Basic realm=\"api\""));
}

#[actix_web::test]
async fn json_and_wildcards_get_1_0() {
    let app = spawn_app().await;
    let user = app.user("ada").await;
    for accept in ["application/json", "*/*", "application/vnd.photoroom+json", V1] {
        let response = app.get("/api/users/me/").accept(accept).auth(&user).send().await;
        assert_eq!(response.status, 200, "{accept}");
        assert_eq!(response.header("content-type"), Some(V1), "{accept}");
        assert!(response.json.get("group_ids").is_some(), "{accept}: {}", response.text);
    }
}

#[actix_web::test]
async fn version_2_0_is_served_when_asked() {
    let app = spawn_app().await;
    let user = app.user("ada").await;
    let response = app.get("/api/users/me").v2().auth(&user).send().await;
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-type"), Some(V2));
    assert_eq!(response.header("vary"), Some("Accept"));
    let keys: Vec<&str> = response
        .json
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    assert_eq!(keys, ["id", "username", "personal_team_id", "created_at"]);
}

#[actix_web::test]
async fn unknown_version_and_non_json_accept_get_406_with_supported_versions() {
    let app = spawn_app().await;
    for accept in ["application/vnd.photoroom+json; version=3.0", "text/csv"] {
        let response = app.get("/api/users/me/").accept(accept).send().await;
        assert_eq!(response.status, 406, "{accept}");
        assert_eq!(response.json["supported_versions"], json!(["1.0", "2.0"]), "{accept}");
        assert_eq!(response.header("vary"), Some("Accept"));
    }
}

#[actix_web::test]
async fn every_api_response_varies_on_accept() {
    let app = spawn_app().await;
    for path in ["/api/users/me/", "/api/nowhere", "/api/users/"] {
        let response = app.get(path).send().await;
        assert_eq!(response.header("vary"), Some("Accept"), "{path}");
    }
}

#[actix_web::test]
async fn non_json_body_is_415_in_each_version_format() {
    let app = spawn_app().await;
    let body = b"username=ada&password=secret123".to_vec();
    let v1 = app
        .post("/api/users/")
        .body("application/x-www-form-urlencoded", body.clone())
        .send()
        .await;
    assert_eq!(v1.status, 415);
    assert!(v1.json["detail"].is_string(), "{}", v1.text);
    let v2 = app.post("/api/users/").v2().body("text/plain", body).send().await;
    assert_eq!(v2.status, 415);
    assert_eq!(v2.header("content-type"), Some("application/problem+json"));
    assert_eq!(v2.json["status"], 415);
    assert_eq!(v2.json["title"], "Unsupported Media Type");
}

#[actix_web::test]
async fn other_json_flavours_are_415_and_change_nothing() {
    let app = spawn_app().await;
    let body = serde_json::to_vec(&json!({"username": "ada", "password": "secret-123"})).expect("json");
    for content_type in [
        "text/json",
        "application/merge-patch+json",
        "application/json-patch+json",
        "application/problem+json",
    ] {
        let refused = app.post("/api/users/").body(content_type, body.clone()).send().await;
        assert_eq!(refused.status, 415, "{content_type}: {}", refused.text);
        assert_eq!(
            refused.json,
            serde_json::json!({"detail": "Unsupported media type in request."}),
            "{content_type}: worded as before"
        );
    }
    // None of those registered ada: the first accepted type does, the next finds her taken.
    let first = app
        .post("/api/users/")
        .body("application/json; charset=utf-8", body.clone())
        .send()
        .await;
    assert_eq!(first.status, 201, "{}", first.text);
    let again = app
        .post("/api/users/")
        .body("application/vnd.photoroom+json; version=2.0", body)
        .send()
        .await;
    assert_eq!(again.status, 400, "{}", again.text);
}

#[actix_web::test]
async fn body_over_64_kib_is_413() {
    let app = spawn_app().await;
    let big = json!({"username": "ada", "password": "x".repeat(70 * 1024)});
    let v1 = app.post("/api/users/").json(&big).send().await;
    assert_eq!(v1.status, 413);
    assert!(v1.json["detail"].is_string());
    let v2 = app.post("/api/users/").v2().json(&big).send().await;
    assert_eq!(v2.status, 413);
    assert_eq!(v2.json["status"], 413);
}

#[actix_web::test]
async fn malformed_json_is_400_in_each_version_format() {
    let app = spawn_app().await;
    let v1 = app
        .post("/api/users/")
        .body("application/json", b"{\"username\": ".to_vec())
        .send()
        .await;
    assert_eq!(v1.status, 400);
    assert!(
        v1.json["detail"].as_str().is_some_and(|d| d.contains("JSON")),
        "{}",
        v1.text
    );
    let v2 = app
        .post("/api/users/")
        .v2()
        .body("application/vnd.photoroom+json", b"[1,".to_vec())
        .send()
        .await;
    assert_eq!(v2.status, 400);
    assert_eq!(v2.header("content-type"), Some("application/problem+json"));
    assert_eq!(v2.json["type"], "about:blank");
}

#[actix_web::test]
async fn validation_errors_name_the_field_in_each_version() {
    let app = spawn_app().await;
    let v1 = app.post("/api/users/").json(&json!({"username": "ada"})).send().await;
    assert_eq!(v1.status, 400);
    assert_eq!(v1.json, json!({"password": ["This field is required."]}));
    let v2 = app
        .post("/api/users/")
        .v2()
        .json(&json!({"username": "ada"}))
        .send()
        .await;
    assert_eq!(v2.status, 400);
    assert_eq!(v2.json["errors"], json!({"password": ["This field is required."]}));
}

#[actix_web::test]
async fn paths_work_with_and_without_trailing_slash() {
    let app = spawn_app().await;
    let user = app.user("ada").await;
    let with = app.get("/api/users/me/").auth(&user).send().await;
    let without = app.get("/api/users/me").auth(&user).send().await;
    assert_eq!(with.status, 200);
    assert_eq!(with.json, without.json);
    let created = app
        .post("/api/users")
        .json(&json!({"username": "bob", "password": "password123"}))
        .send()
        .await;
    assert_eq!(created.status, 201, "POST without slash is served, not redirected");
}

#[actix_web::test]
async fn unknown_api_path_is_404_in_the_negotiated_format() {
    let app = spawn_app().await;
    let v1 = app.get("/api/no/such/thing/").send().await;
    assert_eq!(v1.status, 404);
    assert_eq!(v1.json, json!({"detail": "Not found."}));
    let v2 = app
        .get("/api/no/such/thing")
        .v2()
        .basic("nobody", "wrong-password")
        .send()
        .await;
    assert_eq!(v2.status, 404);
    assert_eq!(v2.json["status"], 404);
}

#[actix_web::test]
async fn wrong_method_is_405_with_allow() {
    let app = spawn_app().await;
    let response = app.get("/api/users/").send().await;
    assert_eq!(response.status, 405);
    assert_eq!(response.json, json!({"detail": "Method \"GET\" not allowed."}));
    assert_eq!(response.header("allow"), Some("POST, OPTIONS"));
}

#[actix_web::test]
async fn head_is_get_without_the_body() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let get = app.get("/api/teams/").auth(&alice).send().await;
    let head = app.request(Method::HEAD, "/api/teams/").auth(&alice).send().await;
    assert_eq!(head.status, 200);
    assert_eq!(head.text, "", "no body");
    assert_eq!(head.header("content-type"), get.header("content-type"));
    assert_eq!(head.header("content-length"), Some(get.text.len().to_string().as_str()));
    assert_eq!(head.header("vary"), Some("Accept"));
    let anonymous = app.request(Method::HEAD, "/api/teams/").send().await;
    assert_eq!(anonymous.status, 401);
    assert_eq!(anonymous.text, "");
    let post_only = app.request(Method::HEAD, "/api/users/").send().await;
    assert_eq!(post_only.status, 405);
    assert_eq!(post_only.header("allow"), Some("POST, OPTIONS"));
}

#[actix_web::test]
async fn options_lists_the_methods_of_a_path_without_credentials() {
    let app = spawn_app().await;
    let palettes = app.request(Method::OPTIONS, "/api/palettes/").send().await;
    assert_eq!(palettes.status, 204);
    assert_eq!(palettes.header("allow"), Some("GET, POST, HEAD, OPTIONS"));
    let one = app.request(Method::OPTIONS, "/api/palletes/7").send().await;
    assert_eq!(one.status, 204);
    assert_eq!(one.header("allow"), Some("GET, PUT, PATCH, DELETE, HEAD, OPTIONS"));
    let unknown = app.request(Method::OPTIONS, "/api/no/such/thing/").send().await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.json, json!({"detail": "Not found."}));
}

#[actix_web::test]
async fn paths_with_extra_slashes_or_non_numeric_ids_name_nothing() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let listed = app.get("/api/palettes/").auth(&ada).send().await;
    assert_eq!(listed.status, 200, "one trailing slash is the same path");
    for path in ["/api/palettes//", "/api/teams///", "/api/users/me//"] {
        for anonymous in [false, true] {
            let request = app.get(path);
            let request = if anonymous { request } else { request.auth(&ada) };
            let response = request.send().await;
            assert_eq!(response.status, 404, "{path}: {}", response.text);
        }
    }
    for method in [Method::GET, Method::POST] {
        let response = app
            .request(method.clone(), "/api/palettes/x/copy/")
            .auth(&ada)
            .send()
            .await;
        assert_eq!(response.status, 404, "{method} on a non-numeric id: {}", response.text);
    }
    let wrong_method = app.get("/api/palettes/7/copy/").auth(&ada).send().await;
    assert_eq!(wrong_method.status, 405);
    assert_eq!(wrong_method.header("allow"), Some("POST, OPTIONS"));
}
