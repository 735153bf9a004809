//! The app under test and an HTTP client for it.

use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::http::header::HeaderMap;
use actix_web::http::Method;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use database::Pool;
use serde_json::{json, Value};
use server::{AppState, Application, Settings};

use crate::db::{create_database, TestDatabase};

/// `Accept` of API 1.0.
pub const V1: &str = "application/vnd.photoroom+json; version=1.0";
/// `Accept` of API 2.0.
pub const V2: &str = "application/vnd.photoroom+json; version=2.0";

/// A password every [`TestApp::user`] gets.
const PASSWORD: &str = "correct horse battery staple";

/// A running server on its own database.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub address: String,
    /// A pool on the test's database, to look at what requests changed.
    pub pool: Pool,
    /// The app's shared state, to look into its caches.
    pub state: AppState,
    client: awc::Client,
    handle: ServerHandle,
    /// What the app was started with, for [`TestApp::spawn_twin`].
    settings: Settings,
    // Dropped last: the server must stop before its database goes. Shared
    // with twins: the database goes with the last server on it.
    database: Arc<TestDatabase>,
}

/// A registered user and their credentials.
#[derive(Debug, Clone)]
pub struct TestUser {
    /// User id.
    pub id: i64,
    /// Username.
    pub username: String,
    /// Password.
    pub password: String,
    /// Id of their personal team.
    pub personal_team_id: i64,
}

/// Starts the app on a fresh database with the default settings.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the app on a fresh database, after `configure` adjusts the settings.
pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let database = create_database().await;
    let mut settings = Settings::defaults();
    settings.database_url = database.url.clone().into();
    if let Some(pooled) = database.pooled_url() {
        settings.database_direct_url = Some(settings.database_url.clone());
        settings.database_url = pooled.into();
    }
    settings.bind_addr = ([127, 0, 0, 1], 0).into();
    settings.workers = Some(1);
    settings.db_pool_max_size = 8;
    configure(&mut settings);
    start(settings, Arc::new(database)).await
}

/// Starts an `Application` with `settings` on `database`.
async fn start(settings: Settings, database: Arc<TestDatabase>) -> TestApp {
    let application = Application::build(&settings)
        .await
        .unwrap_or_else(|error| panic!("starting the app: {error:#}"));
    let address = format!("http://127.0.0.1:{}", application.port());
    let state = application.state().clone();
    let pool = state.pool().clone();
    if settings.team_cache_capacity > 0 {
        // Tests run with the team cache in use, as production does once its
        // change listener is connected (a few milliseconds after start); a
        // test of an unreachable database goes on without it.
        let live = async {
            while !state.team_cache().is_live() {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        };
        let _ = tokio::time::timeout(Duration::from_secs(2), live).await;
    }
    let server = application.into_server();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    let client = awc::Client::builder().timeout(Duration::from_secs(60)).finish();
    TestApp {
        address,
        pool,
        state,
        client,
        handle,
        settings,
        database,
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Sends the stop command now; the workers finish on their own.
        drop(self.handle.stop(false));
    }
}

impl TestApp {
    /// The URL of this app's database, straight to PostgreSQL (whatever the
    /// app's own settings point at, a fault proxy for instance).
    pub fn database_url(&self) -> String {
        self.database.url.clone()
    }

    /// A second instance of the app on this one's database, with the same
    /// settings and its own caches and port, as behind a load balancer. The
    /// database stays until both are dropped.
    pub async fn spawn_twin(&self) -> TestApp {
        start(self.settings.clone(), Arc::clone(&self.database)).await
    }

    /// A request to `path` (absolute, starting with `/`).
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        RequestBuilder {
            inner: self.client.request(method, format!("{}{}", self.address, path)),
            body: None,
        }
    }

    /// `GET path`.
    pub fn get(&self, path: &str) -> RequestBuilder {
        self.request(Method::GET, path)
    }

    /// `POST path`.
    pub fn post(&self, path: &str) -> RequestBuilder {
        self.request(Method::POST, path)
    }

    /// `PUT path`.
    pub fn put(&self, path: &str) -> RequestBuilder {
        self.request(Method::PUT, path)
    }

    /// `PATCH path`.
    pub fn patch(&self, path: &str) -> RequestBuilder {
        self.request(Method::PATCH, path)
    }

    /// `DELETE path`.
    pub fn delete(&self, path: &str) -> RequestBuilder {
        self.request(Method::DELETE, path)
    }

    /// Registers `username` (through the API, in 2.0) and returns their credentials.
    pub async fn user(&self, username: &str) -> TestUser {
        let response = self
            .post("/api/users/")
            .v2()
            .json(&json!({"username": username, "password": PASSWORD}))
            .send()
            .await;
        assert_eq!(response.status, 201, "registering {username}: {}", response.text);
        TestUser {
            id: response.json["id"].as_i64().unwrap_or_default(),
            username: username.to_owned(),
            password: PASSWORD.to_owned(),
            personal_team_id: response.json["personal_team_id"].as_i64().unwrap_or_default(),
        }
    }

    /// Creates a team owned by `owner` (through the API, in 2.0) and returns its id.
    pub async fn create_team(&self, owner: &TestUser, name: &str) -> i64 {
        let response = self
            .post("/api/teams/")
            .v2()
            .auth(owner)
            .json(&json!({"name": name}))
            .send()
            .await;
        assert_eq!(response.status, 201, "creating team {name}: {}", response.text);
        response.json["id"].as_i64().unwrap_or_default()
    }

    /// Invites `user` to `team_id` as `owner` and returns the invitation id.
    pub async fn invite(&self, owner: &TestUser, team_id: i64, user: &TestUser) -> i64 {
        let response = self
            .post(&format!("/api/teams/{team_id}/invitations/"))
            .v2()
            .auth(owner)
            .json(&json!({"username": user.username}))
            .send()
            .await;
        assert_eq!(response.status, 201, "inviting {}: {}", user.username, response.text);
        response.json["id"].as_i64().unwrap_or_default()
    }

    /// Renames `team_id` as its owner (in 2.0).
    pub async fn rename_team(&self, owner: &TestUser, team_id: i64, name: &str) {
        let response = self
            .patch(&format!("/api/teams/{team_id}/"))
            .v2()
            .auth(owner)
            .json(&json!({"name": name}))
            .send()
            .await;
        assert_eq!(response.status, 200, "renaming team {team_id}: {}", response.text);
    }

    /// `owner` removes `user` from `team_id`.
    pub async fn remove_member(&self, owner: &TestUser, team_id: i64, user: &TestUser) {
        let response = self
            .delete(&format!("/api/teams/{team_id}/members/{}/", user.id))
            .auth(owner)
            .send()
            .await;
        assert_eq!(response.status, 204, "removing {}: {}", user.username, response.text);
    }

    /// `user` accepts their invitation to `team_id`.
    pub async fn accept(&self, team_id: i64, user: &TestUser) {
        let response = self
            .put(&format!("/api/teams/{team_id}/membership/"))
            .auth(user)
            .send()
            .await;
        assert_eq!(response.status, 204, "{} joining: {}", user.username, response.text);
    }

    /// Creates a palette named `name` with one colour in `team_id` (through
    /// the API, in 2.0) and returns its id.
    pub async fn create_palette(&self, user: &TestUser, team_id: i64, name: &str) -> i64 {
        let response = self
            .post("/api/palettes/")
            .v2()
            .auth(user)
            .json(&json!({"name": name, "team_id": team_id, "colors": ["#336699"]}))
            .send()
            .await;
        assert_eq!(response.status, 201, "creating palette {name}: {}", response.text);
        response.json["id"].as_i64().unwrap_or_default()
    }

    /// Invites `user` and has them accept: they join `team_id` as a member.
    pub async fn join(&self, owner: &TestUser, team_id: i64, user: &TestUser) {
        self.invite(owner, team_id, user).await;
        self.accept(team_id, user).await;
    }
}

/// A request being built.
pub struct RequestBuilder {
    inner: awc::ClientRequest,
    body: Option<(String, Vec<u8>)>,
}

impl RequestBuilder {
    /// Sets a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.inner = self.inner.insert_header((name.to_owned(), value.to_owned()));
        self
    }

    /// Sets `Accept`.
    pub fn accept(self, value: &str) -> Self {
        self.header("Accept", value)
    }

    /// Asks for API 2.0.
    pub fn v2(self) -> Self {
        self.accept(V2)
    }

    /// HTTP Basic credentials.
    pub fn basic(self, username: &str, password: &str) -> Self {
        let encoded = STANDARD.encode(format!("{username}:{password}"));
        self.header("Authorization", &format!("Basic {encoded}"))
    }

    /// Authenticates as `user` with Basic.
    pub fn auth(self, user: &TestUser) -> Self {
        self.basic(&user.username, &user.password)
    }

    /// A Bearer token.
    pub fn bearer(self, token: &str) -> Self {
        self.header("Authorization", &format!("Bearer {token}"))
    }

    /// A JSON body.
    pub fn json(self, body: &Value) -> Self {
        self.body("application/json", body.to_string().into_bytes())
    }

    /// A raw body with a content type.
    pub fn body(mut self, content_type: &str, bytes: Vec<u8>) -> Self {
        self.body = Some((content_type.to_owned(), bytes));
        self
    }

    /// Sends the request and reads the whole response.
    pub async fn send(self) -> Response {
        let mut response = self.dispatch().await;
        let bytes = response
            .body()
            .limit(16 * 1024 * 1024)
            .await
            .unwrap_or_else(|error| panic!("reading the response: {error}"));
        let text = String::from_utf8_lossy(&bytes).into_owned();
        Response {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            json: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            text,
            bytes: bytes.to_vec(),
        }
    }

    /// Sends the request and returns as soon as the headers arrive, to read
    /// the body as it comes (a Server-Sent Events stream, line by line).
    pub async fn stream(self) -> EventStream {
        let response = self.dispatch().await;
        EventStream {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: response,
            pending: Vec::new(),
            after_cr: false,
        }
    }

    async fn dispatch(self) -> awc::ClientResponse {
        let sent = match self.body {
            Some((content_type, bytes)) => {
                self.inner
                    .insert_header(("Content-Type", content_type))
                    .send_body(bytes)
                    .await
            }
            None => self.inner.send().await,
        };
        sent.unwrap_or_else(|error| panic!("request failed: {error}"))
    }
}

/// A response whose body is read as it arrives.
pub struct EventStream {
    /// Status code.
    pub status: u16,
    /// Headers.
    pub headers: HeaderMap,
    body: awc::ClientResponse,
    /// Bytes received after the last full line.
    pending: Vec<u8>,
    /// The last line ended with a `\r` that may be the start of a `\r\n`.
    after_cr: bool,
}

/// One Server-Sent Event: its fields as sent (`data` lines joined by `\n`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Event {
    /// `id:`, if any.
    pub id: Option<String>,
    /// `event:`, if any (`message` when absent, per the SSE format).
    pub event: Option<String>,
    /// `data:` lines, joined.
    pub data: String,
    /// `retry:`, if any.
    pub retry: Option<u64>,
    /// Comment lines (`: keep-alive`) seen before this event, without the colon.
    pub comments: Vec<String>,
}

impl Event {
    /// `data` as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.data).unwrap_or(Value::Null)
    }
}

impl EventStream {
    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The next line of the body, without its line ending (`\n`, `\r\n` or
    /// `\r`), waiting at most `within`; `None` when the body ended or nothing
    /// came in time.
    pub async fn next_line(&mut self, within: Duration) -> Option<String> {
        use futures_util::StreamExt;
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if self.after_cr && !self.pending.is_empty() {
                // The `\n` of a `\r\n` split across chunks.
                if self.pending[0] == b'\n' {
                    self.pending.remove(0);
                }
                self.after_cr = false;
            }
            if let Some(end) = self.pending.iter().position(|b| *b == b'\n' || *b == b'\r') {
                let rest = self.pending.split_off(end);
                let line = String::from_utf8_lossy(&self.pending).into_owned();
                let skip = match rest.as_slice() {
                    [b'\r', b'\n', ..] => 2,
                    [b'\r'] => {
                        self.after_cr = true;
                        1
                    }
                    _ => 1,
                };
                self.pending = rest[skip..].to_vec();
                return Some(line);
            }
            let chunk = tokio::time::timeout_at(deadline, self.body.next()).await.ok()??;
            self.pending.extend_from_slice(&chunk.ok()?);
        }
    }

    /// The next event (lines up to a blank line), waiting at most `within`
    /// in all; `None` when the body ended or no whole event came in time.
    pub async fn next_event(&mut self, within: Duration) -> Option<Event> {
        let deadline = tokio::time::Instant::now() + within;
        let mut event = Event::default();
        let mut data: Vec<String> = Vec::new();
        let mut fields = 0;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let line = self.next_line(left).await?;
            if line.is_empty() {
                if fields == 0 {
                    continue;
                }
                event.data = data.join("\n");
                return Some(event);
            }
            if let Some(comment) = line.strip_prefix(':') {
                event.comments.push(comment.trim_start().to_owned());
                continue;
            }
            let (name, value) = line.split_once(':').unwrap_or((line.as_str(), ""));
            let value = value.strip_prefix(' ').unwrap_or(value);
            fields += 1;
            match name {
                "id" => event.id = Some(value.to_owned()),
                "event" => event.event = Some(value.to_owned()),
                "data" => data.push(value.to_owned()),
                "retry" => event.retry = value.parse().ok(),
                _ => fields -= 1,
            }
        }
    }
}

/// A response read in full.
#[derive(Debug)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Headers.
    pub headers: HeaderMap,
    /// The body as text.
    pub text: String,
    /// The body as JSON (`Null` when it is not JSON).
    pub json: Value,
    /// The body as received, for binary formats.
    pub bytes: Vec<u8>,
}

impl Response {
    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts a 404 in the version's error format: 2.0 problem+json, 1.0
    /// `{"detail"}`; `case` names the request in the failure message.
    pub fn assert_not_found(&self, v2: bool, case: &str) {
        assert_eq!(self.status, 404, "{case}: {}", self.text);
        if v2 {
            assert_eq!(self.header("content-type"), Some("application/problem+json"), "{case}");
            assert_eq!(self.json["status"], 404, "{case}");
            assert_eq!(self.json["detail"], "Not found.", "{case}");
        } else {
            assert_eq!(self.json, json!({"detail": "Not found."}), "{case}");
        }
    }
}

#[cfg(test)]
mod tests {
    use actix_web::web::Bytes;
    use actix_web::{web, App, HttpResponse, HttpServer};

    use super::*;

    /// Chunks that split a `\r\n`, a field and an event, as a network may.
    const CHUNKS: [&str; 6] = [
        "retry: 3000\r",
        "\nid: 7\nevent: ready\nda",
        "ta: {\"a\":1}\n\n",
        ": keep-alive\n\n",
        "id: 8\rdata: one\rdata: two\r\r",
        "data: no end",
    ];

    /// Serves `handler` at `/` on a free port; a GET of it, and the server's handle.
    fn serve<F, R>(handler: F) -> (RequestBuilder, actix_web::dev::ServerHandle)
    where
        F: Fn() -> R + Clone + Send + 'static,
        R: std::future::Future<Output = HttpResponse> + 'static,
    {
        let server = HttpServer::new(move || App::new().route("/", web::get().to(handler.clone())))
            .workers(1)
            .bind(("127.0.0.1", 0))
            .expect("bind");
        let port = server.addrs()[0].port();
        let running = server.run();
        let handle = running.handle();
        actix_web::rt::spawn(running);
        let request = RequestBuilder {
            inner: awc::Client::new().get(format!("http://127.0.0.1:{port}/")),
            body: None,
        };
        (request, handle)
    }

    async fn events() -> HttpResponse {
        let chunks = CHUNKS.map(|chunk| Ok::<_, actix_web::Error>(Bytes::from_static(chunk.as_bytes())));
        HttpResponse::Ok()
            .content_type("text/event-stream")
            .streaming(futures_util::stream::iter(chunks))
    }

    #[actix_web::test]
    async fn the_stream_reader_reads_events_across_chunk_boundaries_and_line_endings() {
        let (request, handle) = serve(events);
        let mut stream = request.stream().await;
        assert_eq!(stream.status, 200);
        assert_eq!(stream.header("content-type"), Some("text/event-stream"));
        let wait = Duration::from_secs(5);
        let first = stream.next_event(wait).await.expect("the first event");
        assert_eq!(first.retry, Some(3000));
        assert_eq!(first.id.as_deref(), Some("7"));
        assert_eq!(first.event.as_deref(), Some("ready"));
        assert_eq!(first.json(), json!({"a": 1}));
        let second = stream.next_event(wait).await.expect("the second event");
        assert_eq!(second.comments, ["keep-alive"]);
        assert_eq!(second.id.as_deref(), Some("8"));
        assert_eq!(second.data, "one\ntwo");
        assert_eq!(
            stream.next_event(wait).await,
            None,
            "an event the body never ends is not one"
        );
        handle.stop(false).await;
    }

    #[actix_web::test]
    async fn the_stream_reader_gives_up_at_its_deadline() {
        async fn silent() -> HttpResponse {
            HttpResponse::Ok().streaming(futures_util::stream::pending::<Result<Bytes, actix_web::Error>>())
        }
        let (request, handle) = serve(silent);
        let mut stream = request.stream().await;
        let started = std::time::Instant::now();
        assert_eq!(stream.next_line(Duration::from_millis(200)).await, None);
        assert!(started.elapsed() < Duration::from_secs(3));
        handle.stop(false).await;
    }
}
