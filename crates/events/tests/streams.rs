//! Live events over HTTP against PostgreSQL: who receives what, resuming,
//! several instances, commit order, and the listener's connection dropping.

mod common;

use std::time::Duration;

use common::*;
use diesel_async::{AsyncConnection, SimpleAsyncConnection};
use events::{outbox, EventKind, NewEvent};
use serde_json::json;
use test_support::spawn_app;

#[actix_web::test]
async fn a_stream_opens_with_retry_and_ready_at_the_current_position() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let mut stream = app
        .get("/api/events/")
        .auth(&ada)
        .header("Accept", "text/event-stream")
        .stream()
        .await;
    assert_eq!(stream.status, 200);
    assert_eq!(stream.header("content-type"), Some("text/event-stream"));
    assert_eq!(stream.header("cache-control"), Some("no-cache"));
    assert_eq!(stream.header("x-accel-buffering"), Some("no"));
    let first = next(&mut stream).await;
    assert_eq!(first.retry, Some(3000), "{first:?}");
    let ready = until(&mut stream, "ready").await;
    assert_eq!(data(&ready), json!({"last_event_id": id_of(&ready)}));
    // Registering wrote no event: the position is where the outbox stands.
    create_palette(&app, &ada, ada.personal_team_id, "Sea").await;
    let created = until(&mut stream, "palette.created").await;
    assert!(id_of(&created) > id_of(&ready));
}

#[actix_web::test]
async fn members_receive_their_teams_changes_in_the_2_0_shape_and_others_nothing() {
    let app = spawn_app().await;
    let (ada, bob, eve) = (app.user("ada").await, app.user("bob").await, app.user("eve").await);
    let team = app.create_team(&ada, "Studio").await;
    app.join(&ada, team, &bob).await;
    let (mut bobs, _) = open(&app, &bob, "/api/events/").await;
    let (mut eves, _) = open(&app, &eve, "/api/events/").await;

    let id = create_palette(&app, &ada, team, "Sea").await;
    let created = until(&mut bobs, "palette.created").await;
    let palette = app
        .get(&format!("/api/palettes/{id}/"))
        .v2()
        .auth(&ada)
        .send()
        .await
        .json;
    assert_eq!(data(&created), json!({"team_id": team, "palette": palette}));

    rename_palette(&app, &ada, id, "Ocean").await;
    let updated = until(&mut bobs, "palette.updated").await;
    assert_eq!(data(&updated)["palette"]["name"], "Ocean");
    assert_eq!(data(&updated)["palette"]["revision"], 2);

    let response = app.delete(&format!("/api/palettes/{id}/")).auth(&ada).send().await;
    assert_eq!(response.status, 204);
    let deleted = until(&mut bobs, "palette.deleted").await;
    assert_eq!(data(&deleted), json!({"team_id": team, "palette": {"id": id}}));
    assert!(id_of(&created) < id_of(&updated) && id_of(&updated) < id_of(&deleted));

    assert_quiet(&mut eves, "a non-member").await;
}

#[actix_web::test]
async fn a_change_through_one_instance_reaches_a_stream_on_another() {
    let a = spawn_app().await;
    let b = a.spawn_twin().await;
    let ada = a.user("ada").await;
    let (mut on_b, _) = open(&b, &ada, "/api/events/").await;
    create_palette(&a, &ada, ada.personal_team_id, "Sea").await;
    let created = until(&mut on_b, "palette.created").await;
    assert_eq!(data(&created)["palette"]["name"], "Sea");
}

#[actix_web::test]
async fn resuming_replays_exactly_what_was_missed_then_goes_on_live() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let team = ada.personal_team_id;
    let (mut stream, _) = open(&app, &ada, "/api/events/").await;
    create_palette(&app, &ada, team, "One").await;
    let seen = until(&mut stream, "palette.created").await;
    drop(stream);

    create_palette(&app, &ada, team, "Two").await;
    create_palette(&app, &ada, team, "Three").await;

    let mut missed = vec!["Two".to_owned(), "Three".to_owned()];
    for resume in ["header", "query"] {
        let last = seen.id.clone().unwrap_or_default();
        let request = match resume {
            "header" => app.get("/api/events/").header("Last-Event-ID", &last),
            _ => app.get(&format!("/api/events/?last_event_id={last}")),
        };
        let mut stream = request.auth(&ada).stream().await;
        assert_eq!(stream.status, 200, "{resume}");
        let mut names = Vec::new();
        let mut ids = Vec::new();
        loop {
            let event = next(&mut stream).await;
            match event.event.as_deref() {
                Some("ready") => {
                    ids.push(id_of(&event));
                    break;
                }
                Some("palette.created") => {
                    names.push(data(&event)["palette"]["name"].as_str().unwrap_or_default().to_owned());
                    ids.push(id_of(&event));
                }
                None => {}
                other => panic!("{resume}: unexpected {other:?}"),
            }
        }
        assert_eq!(names, missed, "{resume}");
        // `ready` names the position: the last event replayed.
        let (ready, replayed) = ids.split_last().unwrap_or((&0, &[]));
        assert!(replayed.windows(2).all(|w| w[0] < w[1]), "{resume}: ids grow: {ids:?}");
        assert_eq!(replayed.last(), Some(ready), "{resume}");
        // Live after the replay, nothing twice at the seam.
        let name = format!("Four {resume}");
        create_palette(&app, &ada, team, &name).await;
        missed.push(name);
        let live = next(&mut stream).await;
        assert_eq!(live.event.as_deref(), Some("palette.created"), "{resume}");
        assert_eq!(data(&live)["palette"]["name"], format!("Four {resume}"));
        assert!(id_of(&live) > *ids.last().unwrap_or(&0));
        assert_quiet(&mut stream, resume).await;
    }
}

#[actix_web::test]
async fn an_unknown_or_pruned_last_event_id_gets_reset() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    create_palette(&app, &ada, ada.personal_team_id, "One").await;
    for last in ["999999", "not-a-number", "-5"] {
        let mut stream = app
            .get("/api/events/")
            .header("Last-Event-ID", last)
            .auth(&ada)
            .stream()
            .await;
        assert_eq!(stream.status, 200);
        let reset = until(&mut stream, "reset").await;
        let ready = until(&mut stream, "ready").await;
        assert_eq!(id_of(&reset), id_of(&ready), "{last}");
    }
    // Everything up to the position pruned: resuming from before it is a reset.
    let mut conn = app.pool.get().await.expect("a connection");
    conn.batch_execute("UPDATE events_pruned SET through = (SELECT max(id) FROM events)")
        .await
        .expect("marking events pruned");
    let stream = app.get("/api/events/?last_event_id=0").auth(&ada).stream().await;
    let mut stream = stream;
    until(&mut stream, "reset").await;
    // A non-numeric query parameter is the client's mistake.
    let response = app.get("/api/events/?last_event_id=abc").v2().auth(&ada).send().await;
    assert_eq!(response.status, 400);
    assert!(response.json["errors"]["last_event_id"].is_array(), "{}", response.text);
}

#[actix_web::test]
async fn a_removed_member_gets_their_departure_then_nothing_more_of_the_team() {
    let app = spawn_app().await;
    let (ada, bob) = (app.user("ada").await, app.user("bob").await);
    let team = app.create_team(&ada, "Studio").await;
    app.join(&ada, team, &bob).await;
    let (mut bobs, _) = open(&app, &bob, "/api/events/").await;
    app.remove_member(&ada, team, &bob).await;
    let left = until(&mut bobs, "member.left").await;
    assert_eq!(data(&left), json!({"team_id": team, "member": {"id": bob.id}}));
    create_palette(&app, &ada, team, "Secret").await;
    assert_quiet(&mut bobs, "a removed member").await;
}

#[actix_web::test]
async fn a_user_who_joins_while_streaming_gets_the_teams_events_from_then_on() {
    let app = spawn_app().await;
    let (ada, bob) = (app.user("ada").await, app.user("bob").await);
    let team = app.create_team(&ada, "Studio").await;
    let (mut bobs, _) = open(&app, &bob, "/api/events/").await;
    let invitation = app.invite(&ada, team, &bob).await;
    let invited = until(&mut bobs, "invitation.created").await;
    assert_eq!(data(&invited)["invitation"]["id"], invitation);
    assert_eq!(data(&invited)["invitation"]["invitee"]["id"], bob.id);
    app.accept(team, &bob).await;
    let joined = until(&mut bobs, "member.joined").await;
    assert_eq!(
        data(&joined)["member"],
        json!({"id": bob.id, "username": "bob", "role": "member"})
    );
    create_palette(&app, &ada, team, "Sea").await;
    until(&mut bobs, "palette.created").await;
}

#[actix_web::test]
async fn team_updates_name_each_recipients_role_and_deletion_reaches_the_members() {
    let app = spawn_app().await;
    let (ada, bob) = (app.user("ada").await, app.user("bob").await);
    let team = app.create_team(&ada, "Studio").await;
    app.join(&ada, team, &bob).await;
    let (mut adas, _) = open(&app, &ada, "/api/events/").await;
    let (mut bobs, _) = open(&app, &bob, "/api/events/").await;
    app.rename_team(&ada, team, "Atelier").await;
    let for_ada = until(&mut adas, "team.updated").await;
    let for_bob = until(&mut bobs, "team.updated").await;
    assert_eq!(data(&for_ada)["team"]["name"], "Atelier");
    assert_eq!(data(&for_ada)["team"]["role"], "owner");
    assert_eq!(data(&for_bob)["team"]["role"], "member");
    let response = app.delete(&format!("/api/teams/{team}/")).auth(&ada).send().await;
    assert_eq!(response.status, 204);
    let gone = until(&mut bobs, "team.deleted").await;
    assert_eq!(data(&gone), json!({"team_id": team, "team": {"id": team}}));
}

#[actix_web::test]
async fn a_change_that_rolls_back_sends_nothing() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let (mut stream, _) = open(&app, &ada, "/api/events/").await;
    let mut conn = app.pool.get().await.expect("a connection");
    let team = ada.personal_team_id;
    let rolled_back = conn
        .transaction::<(), diesel::result::Error, _>(async move |conn| {
            outbox::record(conn, &[NewEvent::gone(EventKind::PaletteDeleted, team, 1)]).await?;
            Err(diesel::result::Error::RollbackTransaction)
        })
        .await;
    assert!(rolled_back.is_err());
    // A refused write (a duplicate name) rolls back too.
    create_palette(&app, &ada, team, "Sea").await;
    until(&mut stream, "palette.created").await;
    let duplicate = app
        .post("/api/palettes/")
        .v2()
        .auth(&ada)
        .json(&json!({"name": "sea", "team_id": team, "colors": []}))
        .send()
        .await;
    assert_eq!(duplicate.status, 409);
    assert_quiet(&mut stream, "after a rollback").await;
}

/// Two transactions overlap: the first writes its event and waits; the
/// second writes its own and commits at once. Whichever commits first, a
/// stream that is open meanwhile gets both, once each, in commit order, with
/// ids that grow.
#[actix_web::test]
async fn overlapping_changes_arrive_once_each_in_commit_order() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let team = ada.personal_team_id;
    let (mut stream, ready) = open(&app, &ada, "/api/events/").await;

    let mut first = app.pool.get().await.expect("a connection");
    first.batch_execute("BEGIN").await.expect("begin");
    outbox::record(&mut first, &[NewEvent::gone(EventKind::PaletteDeleted, team, 1)])
        .await
        .expect("the first event");
    let pool = app.pool.clone();
    let second = tokio::spawn(async move {
        let mut conn = pool.get().await.expect("a connection");
        conn.transaction::<(), diesel::result::Error, _>(async move |conn| {
            outbox::record(conn, &[NewEvent::gone(EventKind::PaletteDeleted, team, 2)]).await
        })
        .await
        .expect("the second event");
    });
    // Let the second transaction try to commit, and the reader read, while the first is open.
    tokio::time::sleep(Duration::from_millis(300)).await;
    first.batch_execute("COMMIT").await.expect("commit");
    second.await.expect("the second transaction");

    let a = until(&mut stream, "palette.deleted").await;
    let b = until(&mut stream, "palette.deleted").await;
    assert_eq!(
        [data(&a)["palette"]["id"].as_i64(), data(&b)["palette"]["id"].as_i64()],
        [Some(1), Some(2)]
    );
    assert!(id_of(&ready) < id_of(&a) && id_of(&a) < id_of(&b));
    assert_quiet(&mut stream, "each event once").await;
}

#[actix_web::test]
async fn streams_get_every_event_while_the_listener_connection_is_killed() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let (mut stream, _) = open(&app, &ada, "/api/events/").await;
    let mut conn = app.pool.get().await.expect("a connection");
    let mut names = Vec::new();
    for i in 0..6 {
        if i % 2 == 0 {
            conn.batch_execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE application_name = 'palette-api listener' AND datname = current_database()",
            )
            .await
            .expect("killing the listener");
        }
        let name = format!("Palette {i}");
        create_palette(&app, &ada, ada.personal_team_id, &name).await;
        names.push(name);
    }
    let mut received = Vec::new();
    while received.len() < names.len() {
        let event = until(&mut stream, "palette.created").await;
        received.push(data(&event)["palette"]["name"].as_str().unwrap_or_default().to_owned());
    }
    assert_eq!(received, names);
    assert_quiet(&mut stream, "no duplicates").await;
}

#[actix_web::test]
async fn a_team_filter_narrows_the_stream_and_an_unknown_team_is_404() {
    let app = spawn_app().await;
    let (ada, eve) = (app.user("ada").await, app.user("eve").await);
    let team = app.create_team(&ada, "Studio").await;
    let (mut stream, _) = open(&app, &ada, &format!("/api/events/?team={team}")).await;
    create_palette(&app, &ada, ada.personal_team_id, "Personal").await;
    create_palette(&app, &ada, team, "Shared").await;
    let created = until(&mut stream, "palette.created").await;
    assert_eq!(data(&created)["palette"]["name"], "Shared");

    let not_mine = app
        .get(&format!("/api/events/?team={}", eve.personal_team_id))
        .v2()
        .auth(&ada)
        .send()
        .await;
    not_mine.assert_not_found(true, "another user's team");
    let missing = app.get("/api/events/?team=999999").auth(&ada).send().await;
    missing.assert_not_found(false, "no such team");
    let bad = app.get("/api/events/?team=x").v2().auth(&ada).send().await;
    assert_eq!(bad.status, 400);
    assert!(bad.json["errors"]["team"].is_array(), "{}", bad.text);
}

#[actix_web::test]
async fn without_credentials_the_stream_is_401_in_json() {
    let app = spawn_app().await;
    let response = app.get("/api/events/").v2().send().await;
    assert_eq!(response.status, 401);
    assert_eq!(response.header("content-type"), Some("application/problem+json"));
    assert!(response.header("www-authenticate").is_some());
}

/// Resumes `user`'s stream after `last` and reads its replay up to `ready`:
/// each event's type, with the palette's name for palette events.
async fn replayed(app: &test_support::TestApp, user: &test_support::TestUser, last: i64) -> Vec<String> {
    let mut stream = app
        .get("/api/events/")
        .header("Last-Event-ID", &last.to_string())
        .auth(user)
        .stream()
        .await;
    assert_eq!(stream.status, 200);
    let mut seen = Vec::new();
    loop {
        let event = next(&mut stream).await;
        match event.event.as_deref() {
            Some("ready") => return seen,
            Some(kind) if kind.starts_with("palette.") => {
                seen.push(format!(
                    "{kind} {}",
                    data(&event)["palette"]["name"].as_str().unwrap_or_default()
                ));
            }
            Some(kind) => seen.push(kind.to_owned()),
            None => {}
        }
    }
}

#[actix_web::test]
async fn a_replay_shows_a_team_joined_since_only_from_the_join_on() {
    let app = spawn_app().await;
    let ann = app.user("ann").await;
    let bob = app.user("bob").await;
    let team = app.create_team(&ann, "Studio").await;
    let (stream, ready) = open(&app, &bob, "/api/events/").await;
    drop(stream);
    create_palette(&app, &ann, team, "Before").await;
    app.join(&ann, team, &bob).await;
    create_palette(&app, &ann, team, "While").await;
    let seen = replayed(&app, &bob, id_of(&ready)).await;
    assert!(!seen.iter().any(|e| e.ends_with("Before")), "{seen:?}");
    assert!(seen.contains(&"member.joined".to_owned()), "{seen:?}");
    assert_eq!(
        seen.last().map(String::as_str),
        Some("palette.created While"),
        "{seen:?}"
    );
}

#[actix_web::test]
async fn a_replay_shows_a_team_left_since_up_to_the_departure() {
    let app = spawn_app().await;
    let ann = app.user("ann").await;
    let bob = app.user("bob").await;
    let team = app.create_team(&ann, "Studio").await;
    app.join(&ann, team, &bob).await;
    let (stream, ready) = open(&app, &bob, "/api/events/").await;
    drop(stream);
    create_palette(&app, &ann, team, "While").await;
    app.remove_member(&ann, team, &bob).await;
    create_palette(&app, &ann, team, "After").await;
    let seen = replayed(&app, &bob, id_of(&ready)).await;
    assert_eq!(seen, ["palette.created While", "member.left"], "{seen:?}");
}

#[actix_web::test]
async fn a_stream_opened_with_a_token_ends_when_the_token_expires() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let created = app
        .post("/api/tokens/")
        .v2()
        .auth(&ada)
        .json(&json!({"name": "short", "expires_in_days": 1}))
        .send()
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let token = created.json["token"].as_str().expect("a token").to_owned();
    // The token runs out in two seconds.
    let mut conn = diesel_async::AsyncPgConnection::establish(&app.database_url())
        .await
        .expect("connection");
    conn.batch_execute(&format!(
        "UPDATE api_tokens SET expires_at = now() + interval '2 seconds' WHERE id = {}",
        created.json["id"]
    ))
    .await
    .expect("shortening the token");
    let mut stream = app.get("/api/events/").bearer(&token).stream().await;
    assert_eq!(stream.status, 200);
    until(&mut stream, "ready").await;
    assert_ends(&mut stream, "the expired token's stream").await;
}
