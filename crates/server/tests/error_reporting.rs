//! Error tracking: with `SENTRY_DSN` pointing at a receiver of our own, a
//! genuine 500 (the database refuses a write with an error the service does
//! not expect) reaches it as an event that names the route, the method, the
//! request id and a trace id, with the release and environment, and holds
//! none of the request's secrets (password, `Authorization`, body, ticket)
//! nor the DSN's key; a 503 (a request that ran out of time) and 4xxs reach
//! it as nothing.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use serde_json::{json, Value};
use test_support::process::LoggedServer;

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    target: String,
    sentry_auth: Option<String>,
    /// The body, decompressed.
    body: Vec<u8>,
}

/// A Sentry stand-in: answers every request `200 {}` and keeps it.
struct Receiver {
    port: u16,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a port for the receiver");
        let port = listener.local_addr().expect("its address").port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let kept = Arc::clone(&received);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let kept = Arc::clone(&kept);
                std::thread::spawn(move || serve(stream, &kept));
            }
        });
        Self { port, received }
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().expect("the requests").clone()
    }

    /// The events received so far (each envelope's `event` items).
    fn events(&self) -> Vec<Value> {
        self.received()
            .iter()
            .flat_map(|request| items(&request.body))
            .filter(|(header, _)| header["type"] == "event")
            .map(|(_, payload)| serde_json::from_slice(&payload).expect("an event is JSON"))
            .collect()
    }
}

/// Serves one connection: HTTP/1.1 requests with a length or chunked, kept alive.
fn serve(stream: TcpStream, kept: &Mutex<Vec<Received>>) {
    let Ok(mut writer) = stream.try_clone() else { return };
    let mut reader = BufReader::new(stream);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let target = line.split_whitespace().nth(1).unwrap_or_default().to_owned();
        let (mut length, mut chunked, mut encoding, mut sentry_auth) = (0, false, None, None);
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            let Some((name, value)) = header.split_once(':') else {
                continue;
            };
            let value = value.trim().to_owned();
            match name.to_ascii_lowercase().as_str() {
                "content-length" => length = value.parse().unwrap_or(0),
                "transfer-encoding" => chunked = value.eq_ignore_ascii_case("chunked"),
                "content-encoding" => encoding = Some(value),
                "x-sentry-auth" => sentry_auth = Some(value),
                _ => {}
            }
        }
        let mut body = Vec::new();
        if chunked {
            loop {
                let mut size = String::new();
                if reader.read_line(&mut size).unwrap_or(0) == 0 {
                    return;
                }
                let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
                let mut chunk = vec![0; size + 2];
                if reader.read_exact(&mut chunk).is_err() {
                    return;
                }
                if size == 0 {
                    break;
                }
                body.extend_from_slice(&chunk[..size]);
            }
        } else {
            body.resize(length, 0);
            if reader.read_exact(&mut body).is_err() {
                return;
            }
        }
        let body = match encoding.as_deref() {
            Some("gzip") => inflate(flate2::read::GzDecoder::new(&body[..])),
            Some("deflate") => inflate(flate2::read::ZlibDecoder::new(&body[..])),
            _ => body,
        };
        kept.lock().expect("the requests").push(Received {
            target,
            sentry_auth,
            body,
        });
        let answer = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
        if writer.write_all(answer.as_bytes()).is_err() {
            return;
        }
    }
}

fn inflate(mut decoder: impl Read) -> Vec<u8> {
    let mut body = Vec::new();
    decoder.read_to_end(&mut body).expect("a compressed envelope");
    body
}

/// An envelope's items: each item's header and payload.
fn items(envelope: &[u8]) -> Vec<(Value, Vec<u8>)> {
    let mut rest = match envelope.iter().position(|b| *b == b'\n') {
        Some(end) => &envelope[end + 1..],
        None => return Vec::new(),
    };
    let mut items = Vec::new();
    while let Some(end) = rest.iter().position(|b| *b == b'\n') {
        let header: Value = serde_json::from_slice(&rest[..end]).expect("an item header");
        rest = &rest[end + 1..];
        let length = match header["length"].as_u64() {
            Some(length) => usize::try_from(length).expect("a length"),
            None => rest.iter().position(|b| *b == b'\n').unwrap_or(rest.len()),
        };
        items.push((header, rest[..length].to_vec()));
        rest = rest.get(length + 1..).unwrap_or_default();
    }
    items
}

/// Makes every insert into `palettes` fail with an error the service does
/// not expect (a 500), except names starting `slow`, which wait five seconds.
async fn break_palettes(database_url: &str) {
    let mut conn = AsyncPgConnection::establish(database_url)
        .await
        .expect("a connection of the test's own");
    conn.batch_execute(
        "CREATE FUNCTION refuse_palettes() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
             IF NEW.name LIKE 'slow%' THEN
                 PERFORM pg_sleep(5);
                 RETURN NEW;
             END IF;
             RAISE EXCEPTION 'palettes are frozen for maintenance';
         END $$;
         CREATE TRIGGER refuse_palettes BEFORE INSERT ON palettes
             FOR EACH ROW EXECUTE FUNCTION refuse_palettes();",
    )
    .await
    .expect("the trigger");
}

#[actix_web::test]
async fn a_500_reaches_sentry_with_its_request_and_no_secret_and_503s_and_4xxs_do_not() {
    let receiver = Receiver::start();
    let key = "5e17c0de5e17c0de5e17c0de5e17c0de";
    let dsn = format!("http://{key}@127.0.0.1:{}/42", receiver.port);
    let database = test_support::db::create_database().await;
    let server = LoggedServer::start(
        env!("CARGO_BIN_EXE_palette-api"),
        &database.url,
        &[
            ("SENTRY_DSN", dsn.as_str()),
            ("SENTRY_ENVIRONMENT", "ci"),
            ("REQUEST_TIMEOUT_MS", "2000"),
        ],
    )
    .await;
    let api = format!("http://127.0.0.1:{}", server.port);
    let client = awc::Client::builder().timeout(Duration::from_secs(10)).finish();
    let v2 = "application/vnd.photoroom+json; version=2.0";
    let password = "sentry must never see this";
    let mut registered = client
        .post(format!("{api}/api/users/"))
        .insert_header(("Accept", v2))
        .send_json(&json!({"username": "ada", "password": password}))
        .await
        .expect("registering");
    assert_eq!(registered.status(), 201);
    let user: Value = registered.json().await.expect("the user");
    let team_id = user["personal_team_id"].as_i64().expect("a personal team");
    let credentials = STANDARD.encode(format!("ada:{password}"));
    let basic = format!("Basic {credentials}");
    break_palettes(&database.url).await;

    // 4xx: a palette that does not exist, and a wrong password.
    let missing = client
        .get(format!("{api}/api/palettes/987654/"))
        .insert_header(("Authorization", basic.as_str()))
        .send()
        .await
        .expect("a missing palette");
    assert_eq!(missing.status(), 404);
    let wrong = client
        .get(format!("{api}/api/users/me/"))
        .insert_header(("Authorization", format!("Basic {}", STANDARD.encode("ada:not it"))))
        .send()
        .await
        .expect("a wrong password");
    assert_eq!(wrong.status(), 401);
    // 503: the insert outlasts the request's time.
    let slow = client
        .post(format!("{api}/api/palettes/"))
        .insert_header(("Authorization", basic.as_str()))
        .insert_header(("Accept", v2))
        .send_json(&json!({"name": "slow one", "team_id": team_id, "colors": ["#123456"]}))
        .await
        .expect("a slow write");
    assert_eq!(slow.status(), 503);

    // 500: the database refuses the write with an error the service does not expect.
    let body_secret = "cobalt-body-secret-8e1f";
    let ticket = "tkt-query-secret-41c9";
    let failed = client
        .post(format!("{api}/api/palettes/?ticket={ticket}"))
        .insert_header(("Authorization", basic.as_str()))
        .insert_header(("Accept", v2))
        .insert_header(("X-Request-Id", "error-report-500"))
        .insert_header(("User-Agent", "error-reporting-test"))
        .send_json(&json!({"name": body_secret, "team_id": team_id, "colors": ["#123456"]}))
        .await
        .expect("a failing write");
    assert_eq!(failed.status(), 500);

    let started = Instant::now();
    while receiver.events().is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no event reached the receiver: {:?}",
            receiver.received()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let log = server.stop().await;
    // Events leave in order: had the 4xxs or the 503 been reported, they would be here first.
    let events = receiver.events();
    assert_eq!(events.len(), 1, "only the 500 is reported: {events:#?}");
    let event = &events[0];
    let tags = &event["tags"];
    assert_eq!(tags["http.route"], "/api/palettes", "{event:#}");
    assert_eq!(tags["http.method"], "POST");
    assert_eq!(tags["http.status_code"], "500");
    assert_eq!(tags["request_id"], "error-report-500");
    // Traces are not exported: the trace id is the request id.
    assert_eq!(tags["trace_id"], "error-report-500");
    assert!(event["contexts"]["trace"]["trace_id"].is_string(), "{event:#}");
    assert_eq!(event["release"], format!("palette-api@{}", env!("CARGO_PKG_VERSION")));
    assert_eq!(event["environment"], "ci");
    // `error` is the default level, left out.
    assert!(event["level"].is_null() || event["level"] == "error", "{event:#}");
    assert_eq!(event["transaction"], "POST /api/palettes");
    assert_eq!(event["request"]["method"], "POST");
    assert_eq!(event["request"]["headers"]["user-agent"], "error-reporting-test");
    assert!(
        event["message"]
            .as_str()
            .is_some_and(|message| message.starts_with("POST /api/palettes answered 500")),
        "{event:#}"
    );

    let received = receiver.received();
    for request in &received {
        assert_eq!(request.target, "/api/42/envelope/");
        let auth = request.sentry_auth.as_deref().unwrap_or_default();
        assert!(auth.contains(&format!("sentry_key={key}")), "{auth}");
    }
    let bytes: Vec<u8> = received.iter().flat_map(|request| request.body.clone()).collect();
    let bytes = String::from_utf8_lossy(&bytes);
    for secret in [
        password,
        credentials.as_str(),
        basic.as_str(),
        body_secret,
        ticket,
        "ticket=",
        key,
    ] {
        assert!(!bytes.contains(secret), "an envelope holds {secret}: {bytes}");
    }
    assert!(!log.contains(key), "the log holds the DSN's key");
}
