//! Tickets, limits and the end of streams: one-use tickets, the per-user
//! cap, slow readers, and credentials that stop holding.

mod common;

use std::time::Duration;

use common::*;
use diesel_async::SimpleAsyncConnection;
use serde_json::json;
use test_support::{spawn_app, spawn_app_with};

async fn ticket(app: &test_support::TestApp, user: &test_support::TestUser) -> String {
    let response = app.post("/api/events/tickets/").v2().auth(user).send().await;
    assert_eq!(response.status, 201, "{}", response.text);
    assert_eq!(response.header("cache-control"), Some("no-store"));
    assert!(response.json["expires_at"].is_string());
    response.json["ticket"].as_str().expect("a ticket").to_owned()
}

#[actix_web::test]
async fn a_ticket_opens_one_stream_once() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let secret = ticket(&app, &ada).await;
    let mut stream = app.get(&format!("/api/events/?ticket={secret}")).stream().await;
    assert_eq!(stream.status, 200);
    until(&mut stream, "ready").await;
    create_palette(&app, &ada, ada.personal_team_id, "Sea").await;
    until(&mut stream, "palette.created").await;

    let again = app.get(&format!("/api/events/?ticket={secret}")).v2().send().await;
    assert_eq!(again.status, 401, "a used ticket");
    let unknown = app.get("/api/events/?ticket=evt_unknown").send().await;
    assert_eq!(unknown.status, 401, "an unknown ticket");
    assert_eq!(
        unknown.json,
        json!({"detail": "Authentication credentials were not provided or are invalid."})
    );
}

#[actix_web::test]
async fn an_expired_ticket_or_one_whose_token_is_revoked_is_401() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let expired = ticket(&app, &ada).await;
    let mut conn = app.pool.get().await.expect("a connection");
    conn.batch_execute("UPDATE event_tickets SET expires_at = now() - interval '1 second'")
        .await
        .expect("expiring tickets");
    let response = app.get(&format!("/api/events/?ticket={expired}")).send().await;
    assert_eq!(response.status, 401);

    let (token_id, token) = token(&app, &ada).await;
    let response = app.post("/api/events/tickets/").bearer(&token).send().await;
    assert_eq!(response.status, 201);
    let secret = response.json["ticket"].as_str().unwrap_or_default().to_owned();
    let revoked = app.delete(&format!("/api/tokens/{token_id}/")).auth(&ada).send().await;
    assert_eq!(revoked.status, 204);
    let response = app.get(&format!("/api/events/?ticket={secret}")).send().await;
    assert_eq!(response.status, 401);
}

#[actix_web::test]
async fn the_ninth_stream_of_a_user_is_429_with_retry_after() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let mut streams = Vec::new();
    for _ in 0..8 {
        streams.push(open(&app, &ada, "/api/events/").await.0);
    }
    let response = app.get("/api/events/").v2().auth(&ada).send().await;
    assert_eq!(response.status, 429, "{}", response.text);
    assert!(response.header("retry-after").is_some());
    // Another user is not affected.
    let bob = app.user("bob").await;
    open(&app, &bob, "/api/events/").await;
    // A stream whose client went frees its place once the server writes to
    // it (an event, or the keep-alive within 15 s) and finds it gone.
    streams.pop();
    let deadline = tokio::time::Instant::now() + DELIVERY;
    for i in 0.. {
        create_palette(&app, &ada, ada.personal_team_id, &format!("Nudge {i}")).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        let mut stream = app.get("/api/events/").auth(&ada).stream().await;
        if stream.status == 200 {
            until(&mut stream, "ready").await;
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the place was not freed");
    }
}

#[actix_web::test]
async fn a_reader_too_slow_is_cut_off_while_others_keep_receiving() {
    let app = spawn_app_with(|settings| settings.events_stream_buffer = 16).await;
    let ada = app.user("ada").await;
    let (slow, _) = open(&app, &ada, "/api/events/").await;
    let (mut fast, _) = open(&app, &ada, "/api/events/").await;
    assert_eq!(app.state.hub().open_streams(), 2);
    // Far more than the slow stream's buffer and its socket hold, in steps
    // the fast reader keeps up with.
    let mut conn = app.pool.get().await.expect("a connection");
    let team = ada.personal_team_id;
    let mut received = 0;
    for step in 0..40 {
        conn.batch_execute(&format!(
            "INSERT INTO events (team_id, kind, data) \
             SELECT {team}, 'palette.deleted', json_build_object('team_id', {team}, 'palette', \
                    json_build_object('id', n, 'padding', repeat('x', 65536)))::text \
             FROM generate_series({}, {}) AS n",
            step * 10 + 1,
            step * 10 + 10
        ))
        .await
        .expect("writing events");
        for _ in 0..10 {
            let event = until(&mut fast, "palette.deleted").await;
            received += 1;
            assert_eq!(data(&event)["palette"]["id"], received);
        }
    }
    let deadline = tokio::time::Instant::now() + DELIVERY;
    while app.state.hub().delivering_streams() != 1 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the slow stream is still delivered to"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Its connection still counts against the limits until it ends: a client
    // cannot free its places by being cut off and open more.
    assert_eq!(app.state.hub().open_streams(), 2);
    drop(slow);
    while app.state.hub().open_streams() != 1 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the slow stream's place was not freed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[actix_web::test]
async fn a_stream_ends_when_its_token_is_revoked_or_the_password_changes() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let (token_id, token) = token(&app, &ada).await;
    let mut by_token = app.get("/api/events/").bearer(&token).stream().await;
    until(&mut by_token, "ready").await;
    let (mut by_password, _) = open(&app, &ada, "/api/events/").await;
    let (_, other_token) = common::token(&app, &ada).await;
    let mut by_other_token = app.get("/api/events/").bearer(&other_token).stream().await;
    until(&mut by_other_token, "ready").await;

    let revoked = app.delete(&format!("/api/tokens/{token_id}/")).auth(&ada).send().await;
    assert_eq!(revoked.status, 204);
    assert_ends(&mut by_token, "the revoked token's stream").await;
    create_palette(&app, &ada, ada.personal_team_id, "Still here").await;
    until(&mut by_password, "palette.created").await;

    let changed = app
        .put("/api/users/me/password/")
        .auth(&ada)
        .json(&json!({"current_password": ada.password, "new_password": "another long password"}))
        .send()
        .await;
    assert_eq!(changed.status, 204, "{}", changed.text);
    assert_ends(&mut by_password, "the old password's stream").await;
    // A password change revokes every token too.
    assert_ends(&mut by_other_token, "the other token's stream").await;
}

#[actix_web::test]
async fn a_stream_ends_when_its_account_is_deleted() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let (mut stream, _) = open(&app, &ada, "/api/events/").await;
    let deleted = app.delete("/api/users/me/").auth(&ada).send().await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    assert_ends(&mut stream, "the deleted account's stream").await;
}

#[actix_web::test]
async fn over_the_servers_stream_cap_the_stream_is_503_with_retry_after() {
    let app = spawn_app_with(|settings| settings.events_max_streams = 1).await;
    let (ada, bob) = (app.user("ada").await, app.user("bob").await);
    let (_open, _) = open(&app, &ada, "/api/events/").await;
    let response = app.get("/api/events/").v2().auth(&bob).send().await;
    assert_eq!(response.status, 503, "{}", response.text);
    assert!(response.header("retry-after").is_some());
}
