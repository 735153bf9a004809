//! The binary stops promptly on SIGTERM with event streams open: the streams
//! end first, so the shutdown grace period is not spent waiting for them.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

use std::time::{Duration, Instant};
use test_support::process::{free_port, ServerProcess};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

/// Sends `request` on a new connection and returns everything read until
/// `until` appears in it (or the connection ends, or `within` passes),
/// with the connection for reading on.
fn exchange(port: u16, request: &str, until: &str, within: Duration) -> (String, Option<TcpStream>) {
    let Ok(mut socket) = TcpStream::connect(("127.0.0.1", port)) else {
        return (String::new(), None);
    };
    socket
        .set_read_timeout(Some(Duration::from_millis(200)))
        .expect("a timeout");
    socket.write_all(request.as_bytes()).expect("sending");
    let deadline = Instant::now() + within;
    let mut received = Vec::new();
    let mut buffer = [0_u8; 4096];
    while Instant::now() < deadline {
        match socket.read(&mut buffer) {
            Ok(0) => return (String::from_utf8_lossy(&received).into_owned(), None),
            Ok(n) => received.extend_from_slice(&buffer[..n]),
            Err(_) => {}
        }
        if String::from_utf8_lossy(&received).contains(until) {
            break;
        }
    }
    (String::from_utf8_lossy(&received).into_owned(), Some(socket))
}

#[actix_web::test]
async fn sigterm_ends_open_event_streams_and_the_server_exits_at_once() {
    let database = test_support::db::create_database().await;
    let port = free_port();
    let mut server = ServerProcess::spawn(
        Command::new(env!("CARGO_BIN_EXE_palette-api"))
            .env("DATABASE_URL", &database.url)
            .env("BIND_ADDR", format!("127.0.0.1:{port}"))
            .env("SHUTDOWN_TIMEOUT_SECS", "30")
            .env("LOG_LEVEL", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    );
    let started = Instant::now();
    while !exchange(
        port,
        "GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        "200 OK",
        Duration::from_secs(1),
    )
    .0
    .contains("200 OK")
    {
        assert!(started.elapsed() < Duration::from_secs(20), "the server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let body = r#"{"username":"ada","password":"correct horse battery staple"}"#;
    let (registered, _) = exchange(
        port,
        &format!(
            "POST /api/users/ HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n{body}",
            body.len()
        ),
        "\"username\"",
        Duration::from_secs(10),
    );
    assert!(registered.starts_with("HTTP/1.1 201"), "{registered}");
    let credentials = STANDARD.encode("ada:correct horse battery staple");
    let (opened, stream) = exchange(
        port,
        &format!("GET /api/events/ HTTP/1.1\r\nHost: t\r\nAuthorization: Basic {credentials}\r\n\r\n"),
        "event: ready",
        Duration::from_secs(10),
    );
    assert!(opened.contains("event: ready"), "{opened}");
    let mut stream = stream.expect("the stream stays open");

    let signalled = Instant::now();
    server.terminate();
    // The stream ends (its last chunk, then the connection closes)...
    let mut rest = Vec::new();
    let mut buffer = [0_u8; 1024];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => rest.extend_from_slice(&buffer[..n]),
            Err(_) => assert!(
                signalled.elapsed() < Duration::from_secs(10),
                "the stream is still open"
            ),
        }
    }
    // ...and the server exits long before its 30 s grace period.
    server.assert_exits_within(Duration::from_secs(10).saturating_sub(signalled.elapsed()));
}
