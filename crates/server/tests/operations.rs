//! Ops endpoints, database preparation on start, and the API docs, over HTTP.

use diesel::prelude::*;
use diesel::sql_types::BigInt;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use secrecy::ExposeSecret;
use server::{Application, Settings};
use test_support::db::{create_empty_database, missing_database};
use test_support::{spawn_app, spawn_app_with};

#[actix_web::test]
async fn healthz_and_readyz_answer_while_the_database_is_up() {
    let app = spawn_app().await;
    let health = app.get("/healthz").send().await;
    assert_eq!(health.status, 200);
    assert_eq!(health.json["status"], "ok");
    let ready = app.get("/readyz").send().await;
    assert_eq!(ready.status, 200, "{}", ready.text);
}

#[actix_web::test]
async fn ops_paths_work_with_a_trailing_slash_too() {
    let app = spawn_app().await;
    for path in ["/healthz/", "/readyz/", "/metrics/"] {
        assert_eq!(app.get(path).send().await.status, 200, "{path}");
    }
}

#[actix_web::test]
async fn readyz_is_503_when_the_database_is_unreachable() {
    let app = spawn_app_with(|settings| {
        settings.migrate_on_start = false;
        settings.database_url = "postgres://postgres@127.0.0.1:1/palettes".to_owned().into();
    })
    .await;
    let ready = app.get("/readyz").send().await;
    assert_eq!(ready.status, 503);
    assert!(ready.header("retry-after").is_some());
    assert_eq!(
        app.get("/healthz").send().await.status,
        200,
        "liveness does not need the database"
    );
}

#[actix_web::test]
async fn api_requests_get_503_with_retry_after_when_the_database_is_unreachable() {
    let app = spawn_app_with(|settings| {
        settings.migrate_on_start = false;
        settings.database_url = "postgres://postgres@127.0.0.1:1/palettes".to_owned().into();
    })
    .await;
    let response = app
        .post("/api/users/")
        .v2()
        .json(&serde_json::json!({"username": "ada", "password": "long enough"}))
        .send()
        .await;
    assert_eq!(response.status, 503, "{}", response.text);
    assert!(response.header("retry-after").is_some());
    assert_eq!(response.json["status"], 503);
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[actix_web::test]
async fn two_servers_starting_together_apply_each_migration_once() {
    let database = create_empty_database().await;
    let settings = |url: &str| {
        let mut settings = Settings::defaults();
        settings.database_url = url.to_owned().into();
        settings.bind_addr = ([127, 0, 0, 1], 0).into();
        settings.workers = Some(1);
        settings
    };
    let (a, b) = futures_util::future::join(
        Application::build(&settings(&database.url)),
        Application::build(&settings(&database.url)),
    )
    .await;
    let (a, b) = (a.expect("first server"), b.expect("second server"));
    assert_ne!(a.port(), b.port());
    let mut conn = AsyncPgConnection::establish(&database.url).await.expect("connect");
    let applied: Count = diesel::sql_query("SELECT count(*) AS n FROM __diesel_schema_migrations")
        .get_result(&mut conn)
        .await
        .expect("count");
    let available = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../../migrations"))
        .expect("migrations folder")
        .count();
    assert_eq!(applied.n, i64::try_from(available).expect("count"));
    drop(conn);
    drop((a, b));
}

#[actix_web::test]
async fn serve_creates_a_missing_database() {
    let database = missing_database();
    let mut settings = Settings::defaults();
    settings.database_url = database.url.clone().into();
    settings.bind_addr = ([127, 0, 0, 1], 0).into();
    settings.workers = Some(1);
    let app = Application::build(&settings).await.expect("server on a new database");
    let mut conn = AsyncPgConnection::establish(settings.database_url.expose_secret())
        .await
        .expect("the database exists now");
    let users: Count = diesel::sql_query("SELECT count(*) AS n FROM users")
        .get_result(&mut conn)
        .await
        .expect("migrated");
    assert_eq!(users.n, 0);
    drop(conn);
    drop(app);
}

#[actix_web::test]
async fn swagger_ui_and_the_spec_are_served() {
    let app = spawn_app().await;
    let ui = app.get("/api/docs/").send().await;
    assert_eq!(ui.status, 200);
    assert!(ui.text.contains("swagger"), "{}", ui.text);
    let without_slash = app.get("/api/docs").send().await;
    assert_eq!(without_slash.status, 200, "served directly, no redirect");
    assert!(without_slash.text.contains("<base href=\"/api/docs/\">"));
    assert_eq!(ui.header("vary"), Some("Accept"));
    let v2_only = app.get("/api/openapi.json").v2().send().await;
    assert_eq!(v2_only.status, 200);
    assert!(
        v2_only.json["paths"]["/api/users/me"]["get"]["responses"]["200"]["content"]
            .get("application/vnd.photoroom+json; version=1.0")
            .is_none()
    );
    let wrong_method = app.post("/api/openapi.json").send().await;
    assert_eq!(wrong_method.status, 405);
    assert_eq!(wrong_method.header("allow"), Some("GET, HEAD, OPTIONS"));
    let spec = app.get("/api/openapi.json").send().await;
    assert_eq!(spec.status, 200);
    assert!(spec.json["paths"]["/api/users"]["post"].is_object());
    let schemes = &spec.json["components"]["securitySchemes"];
    assert_eq!(schemes["basic"]["scheme"], "basic");
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
}

#[actix_web::test]
async fn metrics_report_requests_the_database_pool_and_the_process() {
    let app = spawn_app().await;
    let metrics = app.get("/metrics").send().await;
    assert_eq!(metrics.status, 200);
    assert!(
        metrics.text.contains("palette_api_db_pool_max_size 8"),
        "{}",
        metrics.text
    );
    assert!(
        metrics.text.contains("palette_api_team_cache_live 1"),
        "the change listener is connected: {}",
        metrics.text
    );
    // Requests by method, route pattern (the path had its trailing slash) and status.
    let ada = app.user("ada").await;
    for _ in 0..3 {
        assert_eq!(app.get("/api/users/me/").auth(&ada).send().await.status, 200);
    }
    let missing = app.get("/api/palettes/999999/").auth(&ada).send().await;
    assert_eq!(missing.status, 404);
    let wrong = app.get("/api/users/me/").basic("ada", "not the password").send().await;
    assert_eq!(wrong.status, 401);
    let metrics = app.get("/metrics").send().await;
    let text = &metrics.text;
    let line = |prefix: &str| {
        text.lines()
            .find(|line| line.starts_with(prefix))
            .unwrap_or_else(|| panic!("no line starts with {prefix}: {text}"))
            .to_owned()
    };
    let me = "http_server_request_duration_seconds_count{http_request_method=\"GET\",http_route=\"/api/users/me\",http_response_status_code=\"200\"}";
    assert_eq!(line(me), format!("{me} 3"));
    assert!(line("http_server_request_duration_seconds_bucket{http_request_method=\"GET\",http_route=\"/api/palettes/{id}\",http_response_status_code=\"404\"").contains("le="));
    assert!(
        text.contains("http_route=\"/api/users/me\",http_response_status_code=\"401\""),
        "{text}"
    );
    assert_eq!(
        line("http_server_active_requests "),
        "http_server_active_requests 1",
        "the scrape itself"
    );
    for name in [
        "palette_api_password_hash_queue ",
        "palette_api_login_throttle_rejections_total ",
        "palette_api_event_streams ",
        "palette_api_db_statements_total ",
        "process_cpu_seconds_total ",
        "process_resident_memory_bytes ",
        "process_open_fds ",
        "process_max_fds ",
    ] {
        line(name);
    }
    assert!(
        text.contains(&format!(
            "palette_api_build_info{{version=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION")
        )),
        "{text}"
    );
    let uncached = spawn_app_with(|settings| {
        settings.team_cache_capacity = 0;
        settings.login_failures_per_address_and_username = 1;
    })
    .await;
    uncached.user("bo").await;
    let refused = loop {
        let guess = uncached.get("/api/users/me/").basic("bo", "a wrong guess").send().await;
        if guess.status == 429 {
            break guess;
        }
        assert_eq!(guess.status, 401);
    };
    assert_eq!(refused.status, 429);
    let metrics = uncached.get("/metrics").send().await;
    assert!(
        metrics.text.contains("palette_api_login_throttle_rejections_total 1\n"),
        "{}",
        metrics.text
    );
    assert!(
        metrics.text.contains("palette_api_team_cache_live 0"),
        "{}",
        metrics.text
    );
}

#[actix_web::test]
async fn a_database_url_that_cannot_be_used_says_why_without_its_password() {
    let mut settings = Settings::defaults();
    settings.database_url = "postgres://ada:hunter2-secret@127.0.0.1:1/palettes".to_owned().into();
    settings.bind_addr = ([127, 0, 0, 1], 0).into();
    let Err(error) = Application::build(&settings).await else {
        panic!("a server started on a port where nothing listens");
    };
    let message = format!("{error:#}");
    assert!(
        message.contains("cannot reach PostgreSQL for ada@127.0.0.1:1/palettes"),
        "{message}"
    );
    assert!(!message.contains("hunter2"), "the password leaked: {message}");
}
