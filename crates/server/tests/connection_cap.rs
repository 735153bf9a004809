//! At `MAX_CONNECTIONS`, connections that sit idle make room for new
//! clients: a flood of idle connections (some that never sent a byte, some
//! kept alive after a request) does not keep a new client waiting until
//! their timeouts.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The server closes idle connections on its own after this long; a
/// client answered well before it was answered thanks to the room made.
const IDLE_TIMEOUT: Duration = Duration::from_secs(5);

async fn get(stream: &mut TcpStream, path: &str) -> String {
    let head = format!("GET {path} HTTP/1.1\r\nHost: t\r\n\r\n");
    stream.write_all(head.as_bytes()).await.expect("a request");
    let mut answer = vec![0; 64 * 1024];
    let n = stream.read(&mut answer).await.expect("an answer");
    String::from_utf8_lossy(&answer[..n]).into_owned()
}

#[actix_web::test]
async fn at_the_cap_idle_connections_make_room_for_a_new_client() {
    let app = test_support::spawn_app_with(|settings| {
        settings.max_connections = Some(40);
        settings.workers = Some(1);
    })
    .await;
    let address = app.address.trim_start_matches("http://").to_owned();

    // Past the cap: idle keep-alive connections, then connections that never send.
    let mut flood = Vec::new();
    for _ in 0..30 {
        let mut stream = TcpStream::connect(&address).await.expect("a connection");
        assert!(get(&mut stream, "/healthz").await.starts_with("HTTP/1.1 200"));
        flood.push(stream);
    }
    for _ in 0..30 {
        flood.push(TcpStream::connect(&address).await.expect("a connection"));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;

    let started = Instant::now();
    let mut client = TcpStream::connect(&address).await.expect("a connection");
    let answer = tokio::time::timeout(IDLE_TIMEOUT, get(&mut client, "/metrics"))
        .await
        .expect("answered before the idle connections timed out");
    let waited = started.elapsed();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        waited < IDLE_TIMEOUT / 2,
        "a new client waited {waited:?}, as long as the idle connections' timeout"
    );
    let closed = answer
        .lines()
        .find_map(|line| line.strip_prefix("palette_api_http_idle_connections_closed_total "))
        .and_then(|value| value.trim().parse::<u64>().ok())
        .expect("the count of idle connections closed");
    assert!(closed >= 20, "{closed} idle connections closed");
    let open = answer
        .lines()
        .find_map(|line| line.strip_prefix("palette_api_http_connections "))
        .and_then(|value| value.trim().parse::<u64>().ok())
        .expect("the count of connections open");
    assert!(open <= 40, "{open} connections open past the cap of 40");

    // The longest idle went first: the keep-alive connections made at the start.
    let mut first = flood.remove(0);
    let mut byte = [0_u8; 1];
    let read = tokio::time::timeout(Duration::from_secs(1), first.read(&mut byte)).await;
    assert!(
        matches!(read, Ok(Ok(0) | Err(_))),
        "the oldest idle connection was closed: {read:?}"
    );
}
