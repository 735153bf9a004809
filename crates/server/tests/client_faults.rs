//! Requests the HTTP layer cannot read: a URL past the service's limit gets
//! 414 in the version's error format, and malformed or oversized heads (the
//! client's fault) are never logged as errors.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use serde_json::Value;
use test_support::process::LoggedServer;

/// Sends `head` on a new connection and returns what came back.
fn exchange(port: u16, head: &[u8]) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("a connection");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("a timeout");
    // The server may answer and close before it has read everything.
    let _ = stream.write_all(head);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

#[actix_web::test]
async fn long_urls_get_414_and_malformed_heads_are_warnings_not_errors() {
    let database = test_support::db::create_database().await;
    let server = LoggedServer::start(env!("CARGO_BIN_EXE_palette-api"), &database.url, &[]).await;
    let port = server.port;

    let long = |bytes: usize, accept: &str| {
        format!(
            "GET /api/palettes/?name={} HTTP/1.1\r\nHost: t\r\nAccept: {accept}\r\nConnection: close\r\n\r\n",
            "a".repeat(bytes)
        )
    };
    // Up to 64 KiB the HTTP layer holds the URL; past it, the connection
    // reader cuts it and says its length.
    for bytes in [9_000, 60_000, 100_000, 1_000_000] {
        let answer = exchange(
            port,
            long(bytes, "application/vnd.photoroom+json; version=2.0").as_bytes(),
        );
        assert!(
            answer.starts_with("HTTP/1.1 414"),
            "{bytes}: {}",
            &answer[..answer.len().min(300)]
        );
        assert!(answer.contains("application/problem+json"), "{answer}");
        let body: Value = serde_json::from_str(answer.split("\r\n\r\n").nth(1).unwrap_or_default()).expect("JSON");
        assert_eq!(body["status"], 414);
        let length = format!("{} bytes", bytes + "/api/palettes/?name=".len());
        assert!(
            body["detail"].as_str().is_some_and(|detail| detail.contains(&length)),
            "{body}"
        );
    }
    for bytes in [9_000, 100_000] {
        let v1 = exchange(port, long(bytes, "application/json").as_bytes());
        assert!(v1.starts_with("HTTP/1.1 414"), "{v1}");
        assert!(v1.contains("\"detail\""), "{v1}");
    }
    // After a request with a body on the same connection, too.
    let body = format!("{{\"username\": \"GET /{}\"}}", "x".repeat(30_000));
    let pipelined = format!(
        "POST /api/users/ HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}{}",
        body.len(),
        long(100_000, "application/json")
    );
    let answers = exchange(port, pipelined.as_bytes());
    assert!(
        answers.starts_with("HTTP/1.1 4"),
        "{}",
        &answers[..answers.len().min(300)]
    );
    assert_eq!(answers.matches("HTTP/1.1 414").count(), 1, "{answers}");

    // Malformed and oversized heads, each the client's fault.
    exchange(port, b"GET / HTTP/1.1\r\nHost: t\r\nBad Header: x\r\n\r\n");
    exchange(port, b"GET / HTTP/1.1\r\nHost: t\r\nX: \x01\x02\r\n\r\n");
    exchange(
        port,
        format!("GET / HTTP/1.1\r\nHost: t\r\nX-Big: {}\r\n\r\n", "b".repeat(200_000)).as_bytes(),
    );
    exchange(port, b"NOT HTTP AT ALL\r\n\r\n");
    let text = server.stop().await;
    let lines: Vec<Value> = text
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect();
    let errors: Vec<&Value> = lines.iter().filter(|line| line["level"] == "ERROR").collect();
    assert!(
        errors.is_empty(),
        "a client's fault was logged as an error: {errors:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|line| line["level"] == "WARN" && line["target"] == "palette_api::http"),
        "the faults are still said, as a warning: {text}"
    );
}
