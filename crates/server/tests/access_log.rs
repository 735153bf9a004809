//! The access log: one line per request, at `info`, naming the method,
//! route, status, latency, request id, body size and the user when known;
//! and no password, token, ticket or `Authorization` header anywhere in the
//! log of a run that used them all.

use std::time::Duration;
use test_support::process::LoggedServer;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};

#[actix_web::test]
async fn every_request_gets_one_access_line_and_no_secret_reaches_the_log() {
    let database = test_support::db::create_database().await;
    let server = LoggedServer::start(
        env!("CARGO_BIN_EXE_palette-api"),
        &database.url,
        &[("LOG_LEVEL", "debug")],
    )
    .await;
    let api = format!("http://127.0.0.1:{}", server.port);
    let client = awc::Client::builder().timeout(Duration::from_secs(10)).finish();
    let password = "correct horse battery staple";
    let basic = format!("Basic {}", STANDARD.encode(format!("ada:{password}")));
    let v2 = "application/vnd.photoroom+json; version=2.0";
    let mut registered = client
        .post(format!("{api}/api/users/"))
        .send_json(&json!({"username": "ada", "password": password}))
        .await
        .expect("registering");
    let user: Value = registered.json().await.expect("the user");
    let mut created = client
        .post(format!("{api}/api/tokens/"))
        .insert_header(("Authorization", basic.as_str()))
        .insert_header(("Accept", v2))
        .insert_header(("X-Request-Id", "token-create-1"))
        .send_json(&json!({"name": "ci"}))
        .await
        .expect("a token");
    let token: Value = created.json().await.expect("the token");
    let token = token["token"].as_str().expect("a secret").to_owned();
    let bearer = format!("Bearer {token}");
    let me = client
        .get(format!("{api}/api/users/me/"))
        .insert_header(("Authorization", bearer.as_str()))
        .insert_header(("X-Request-Id", "me-with-token"))
        .send()
        .await
        .expect("me");
    assert_eq!(me.status(), 200);
    let mut ticket = client
        .post(format!("{api}/api/events/tickets/"))
        .insert_header(("Authorization", bearer.as_str()))
        .send()
        .await
        .expect("a ticket");
    let ticket: Value = ticket.json().await.expect("the ticket");
    let ticket = ticket["ticket"].as_str().expect("a secret").to_owned();
    // The stream opened with the ticket: its URL must reach the log without it.
    let stream = client
        .get(format!("{api}/api/events/?ticket={ticket}"))
        .insert_header(("Accept", "text/event-stream"))
        .send()
        .await
        .expect("a stream");
    assert_eq!(stream.status(), 200);
    drop(stream);
    let wrong = client
        .get(format!("{api}/api/users/me/"))
        .insert_header((
            "Authorization",
            format!("Basic {}", STANDARD.encode("ada:a wrong guess!")),
        ))
        .insert_header(("X-Request-Id", "wrong-guess"))
        .send()
        .await
        .expect("a guess");
    assert_eq!(wrong.status(), 401);
    let text = server.stop().await;
    for secret in [
        password,
        "a wrong guess!",
        token.as_str(),
        ticket.as_str(),
        basic.as_str(),
        &basic[6..],
        &bearer,
    ] {
        assert!(!text.contains(secret), "the log holds a secret: {secret}");
    }
    let access: Vec<Value> = text
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line["target"] == "palette_api::access")
        .collect();
    let line_of = |id: &str| {
        access
            .iter()
            .find(|line| line.to_string().contains(&format!("\"{id}\"")))
            .unwrap_or_else(|| panic!("no access line names {id}: {access:?}"))
            .clone()
    };
    let me_line = line_of("me-with-token");
    assert_eq!(me_line["status"], 200);
    assert_eq!(me_line["user_id"], user["id"]);
    assert!(me_line["latency_ms"].as_f64().is_some_and(|ms| ms >= 0.0));
    assert!(me_line["bytes"].as_u64().is_some_and(|n| n > 0));
    assert_eq!(me_line["route"], "/api/users/me");
    assert!(me_line.to_string().contains("\"GET\""), "{me_line}");
    let wrong_line = line_of("wrong-guess");
    assert_eq!(wrong_line["status"], 401);
    assert!(wrong_line["user_id"].is_null(), "{wrong_line}");
    assert_eq!(line_of("token-create-1")["status"], 201);
    // One line per request: the six above and the health checks.
    let requests = access
        .iter()
        .filter(|line| !line.to_string().contains("/healthz"))
        .count();
    assert_eq!(requests, 6, "{access:#?}");
}
