//! Clients that stall: a body announced and never sent in full is a 408
//! within the request timeout, and its connection is closed, while other
//! clients are served meanwhile.

use std::time::{Duration, Instant};

use base64::Engine;
use test_support::spawn_app_with;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[actix_web::test]
async fn a_body_that_stalls_is_a_408_and_its_connection_closes() {
    let app = spawn_app_with(|settings| settings.request_timeout = Duration::from_millis(500)).await;
    let ada = app.user("ada").await;
    let address = app.address.trim_start_matches("http://").to_owned();
    let credentials = base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", ada.username, ada.password));
    let mut stalled = TcpStream::connect(&address).await.expect("connecting");
    let head = format!(
        "POST /api/palettes/ HTTP/1.1\r\nHost: {address}\r\nAccept: application/vnd.photoroom+json; version=2.0\r\n\
         Authorization: Basic {credentials}\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n{{\"name\": \"slow"
    );
    stalled.write_all(head.as_bytes()).await.expect("sending the head");
    let started = Instant::now();
    // Others are served while it stalls.
    assert_eq!(app.get("/api/users/me/").auth(&ada).send().await.status, 200);
    let mut response = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(3), stalled.read_to_end(&mut response)).await;
    assert!(read.is_ok(), "the connection stayed open");
    let text = String::from_utf8_lossy(&response);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("application/problem+json"), "{text}");
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
}

#[actix_web::test]
async fn a_slow_handler_with_its_body_in_is_still_a_503_not_a_408() {
    // A whole body, then a wait on the database (a palette locked by another
    // session) longer than the request timeout: the server's fault, 503.
    // Long enough for registration's password hash on a loaded machine.
    let app = spawn_app_with(|settings| settings.request_timeout = Duration::from_millis(1000)).await;
    let ada = app.user("ada").await;
    let id = app.create_palette(&ada, ada.personal_team_id, "Locked").await;
    let mut conn = app.pool.get().await.expect("connection");
    use diesel_async::AsyncConnection;
    let hold = conn.transaction::<_, diesel::result::Error, _>(async |conn| {
        diesel_async::RunQueryDsl::execute(
            diesel::sql_query(format!("SELECT id FROM palettes WHERE id = {id} FOR UPDATE")),
            conn,
        )
        .await?;
        tokio::time::sleep(Duration::from_millis(2000)).await;
        Ok(())
    });
    let write = async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        app.patch(&format!("/api/palettes/{id}/"))
            .v2()
            .auth(&ada)
            .json(&serde_json::json!({"name": "renamed"}))
            .send()
            .await
    };
    let (held, response) = futures_util::join!(hold, write);
    held.expect("the lock");
    assert_eq!(response.status, 503, "{}", response.text);
}
