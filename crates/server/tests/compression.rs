//! Responses are compressed with gzip or brotli when the client asks, and
//! never an event stream, whose frames must leave as they are written.

use std::io::Read;
use std::time::Duration;

use test_support::spawn_app;

#[actix_web::test]
async fn json_is_compressed_when_asked_and_event_streams_never_are() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    for n in 0..5 {
        app.create_palette(&ada, ada.personal_team_id, &format!("Palette {n}"))
            .await;
    }
    let plain = app.get("/api/palettes/").auth(&ada).send().await;
    assert_eq!(plain.status, 200);
    assert_eq!(
        plain.header("content-encoding"),
        None,
        "nothing asked, nothing compressed"
    );

    let gzipped = app
        .get("/api/palettes/")
        .auth(&ada)
        .header("Accept-Encoding", "gzip")
        .send()
        .await;
    assert_eq!(gzipped.status, 200);
    assert_eq!(gzipped.header("content-encoding"), Some("gzip"));
    let mut json = String::new();
    flate2::read::GzDecoder::new(gzipped.bytes.as_slice())
        .read_to_string(&mut json)
        .expect("a gzip body");
    assert_eq!(json, plain.text, "the same document");
    assert!(gzipped.bytes.len() < plain.bytes.len());

    let brotli = app
        .get("/api/palettes/")
        .auth(&ada)
        .header("Accept-Encoding", "br, gzip;q=0.5")
        .send()
        .await;
    assert_eq!(brotli.header("content-encoding"), Some("br"));

    let ticket = app.post("/api/events/tickets/").auth(&ada).send().await;
    let ticket = ticket.json["ticket"].as_str().expect("a ticket").to_owned();
    let mut stream = app
        .get(&format!("/api/events/?ticket={ticket}"))
        .header("Accept", "text/event-stream")
        .header("Accept-Encoding", "gzip, br")
        .stream()
        .await;
    assert_ne!(stream.header("content-encoding"), Some("gzip"));
    assert_ne!(stream.header("content-encoding"), Some("br"));
    // The opening `retry:`, then `ready`, readable as sent.
    let mut ready = false;
    for _ in 0..3 {
        let event = stream.next_event(Duration::from_secs(5)).await.expect("an event");
        if event.event.as_deref() == Some("ready") {
            ready = true;
            break;
        }
    }
    assert!(ready, "the stream's frames arrive uncompressed");
}
