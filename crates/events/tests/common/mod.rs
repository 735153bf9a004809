//! Helpers of the event stream tests: streams opened and read with
//! deadlines, palettes made through the API.
#![allow(dead_code)]

use std::time::Duration;

use serde_json::{json, Value};
use test_support::{Event, EventStream, TestApp, TestUser};

/// How long an event may take to arrive.
pub const DELIVERY: Duration = Duration::from_secs(5);
/// How long a test waits to be sure nothing more comes.
pub const QUIET: Duration = Duration::from_millis(700);

/// Opens `user`'s stream at `path` and reads up to its `ready`.
pub async fn open(app: &TestApp, user: &TestUser, path: &str) -> (EventStream, Event) {
    let mut stream = app
        .get(path)
        .auth(user)
        .header("Accept", "text/event-stream")
        .stream()
        .await;
    assert_eq!(stream.status, 200, "opening {path} as {}", user.username);
    let ready = until(&mut stream, "ready").await;
    (stream, ready)
}

/// Reads events up to the first of type `kind`, which it returns.
pub async fn until(stream: &mut EventStream, kind: &str) -> Event {
    let deadline = tokio::time::Instant::now() + DELIVERY;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let event = stream
            .next_event(left)
            .await
            .unwrap_or_else(|| panic!("no `{kind}` event within {DELIVERY:?}"));
        if event.event.as_deref() == Some(kind) {
            return event;
        }
    }
}

/// The next event (not `ready`), within [`DELIVERY`].
pub async fn next(stream: &mut EventStream) -> Event {
    stream
        .next_event(DELIVERY)
        .await
        .unwrap_or_else(|| panic!("no event within {DELIVERY:?}"))
}

/// Asserts that nothing but keep-alives comes within [`QUIET`].
pub async fn assert_quiet(stream: &mut EventStream, case: &str) {
    if let Some(event) = stream.next_event(QUIET).await {
        panic!("{case}: unexpected {:?} {}", event.event, event.data);
    }
}

/// The type and `id` of an event, for comparing sequences.
pub fn kind_and_id(event: &Event) -> (String, i64) {
    (
        event.event.clone().unwrap_or_default(),
        event.id.as_deref().and_then(|id| id.parse().ok()).unwrap_or(-1),
    )
}

/// The event's `id` as a number.
pub fn id_of(event: &Event) -> i64 {
    kind_and_id(event).1
}

/// Creates a palette in `team_id` through the 2.0 API; its id.
pub async fn create_palette(app: &TestApp, user: &TestUser, team_id: i64, name: &str) -> i64 {
    app.create_palette(user, team_id, name).await
}

/// Renames palette `id` through the 2.0 API.
pub async fn rename_palette(app: &TestApp, user: &TestUser, id: i64, name: &str) {
    let response = app
        .patch(&format!("/api/palettes/{id}/"))
        .v2()
        .auth(user)
        .json(&json!({ "name": name }))
        .send()
        .await;
    assert_eq!(response.status, 200, "renaming palette {id}: {}", response.text);
}

/// A token for `user`.
pub async fn token(app: &TestApp, user: &TestUser) -> (i64, String) {
    let response = app
        .post("/api/tokens/")
        .v2()
        .auth(user)
        .json(&json!({"name": "events"}))
        .send()
        .await;
    assert_eq!(response.status, 201, "{}", response.text);
    (
        response.json["id"].as_i64().expect("token id"),
        response.json["token"].as_str().expect("token").to_owned(),
    )
}

/// `data` of an event as JSON.
pub fn data(event: &Event) -> Value {
    event.json()
}

/// Asserts that the stream ends within [`DELIVERY`] (events before the end are read past).
pub async fn assert_ends(stream: &mut EventStream, case: &str) {
    let deadline = tokio::time::Instant::now() + DELIVERY;
    while stream
        .next_line(deadline.saturating_duration_since(tokio::time::Instant::now()))
        .await
        .is_some()
    {}
    assert!(tokio::time::Instant::now() < deadline, "{case}: the stream did not end");
}
