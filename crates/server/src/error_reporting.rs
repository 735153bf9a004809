//! Error tracking with Sentry, when `SENTRY_DSN` is set: a panic anywhere in
//! the process, and every response that is the service's bug (a 5xx other
//! than the 503 or 504 of a database or a request that ran out of time),
//! become Sentry events. An event made during a request names its route
//! pattern, method, request id and trace id (the OpenTelemetry trace when
//! traces are exported, else the request id), with the release and the
//! environment; it never holds credentials, cookies, a header outside a
//! short allow-list, a query string or a body.
//!
//! - [`init`] binds the client for the life of `main`; its guard flushes
//!   what is still queued when dropped. Events leave from a thread of their
//!   own (a bounded queue): a request never waits for Sentry.
//! - [`report_server_errors`] is the middleware: it runs each request with
//!   a Sentry hub of its own whose scope names the request (so a panic
//!   while the request runs carries it too), and reports the response when
//!   its status says the service failed.
//! - [`RequestErrors`] is the `tracing` layer that, in the subscriber, gives
//!   a request's report the errors the request logged (the cause a 500
//!   hides from its client); without it a report names the status alone.
//! - Every event passes [`scrub_event`] before it leaves: no user, no
//!   breadcrumbs, allow-listed headers only, and any value that looks like a
//!   credential (`Basic`/`Bearer` tokens, `password=`, `ticket=`, URL
//!   userinfo, the DSN's key) redacted from every string.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::HttpMessage;
use anyhow::Context as _;
use opentelemetry::trace::TraceContextExt as _;
use secrecy::ExposeSecret;
use sentry::protocol::{
    Context, Event, Exception, Level, Mechanism, Request, ResponseContext, SpanId, TraceContext, TraceId, Value,
};
use sentry::types::Dsn;
use sentry::{ClientOptions, Hub, Scope, SentryFutureExt, Transport, TransportFactory, TransportOptions};
use tracing::field::{Field, Visit};
use tracing_opentelemetry::OpenTelemetrySpanExt as _;
use tracing_subscriber::layer::Context as LayerContext;
use tracing_subscriber::Layer;

use crate::config::Settings;
use crate::telemetry::RequestIdValue;

/// The release events are filed under: the binary and its version.
pub const RELEASE: &str = concat!("palette-api@", env!("CARGO_PKG_VERSION"));

/// Request headers an event may carry: they say what the client was and
/// what it asked for, never who it is.
const ALLOWED_HEADERS: [&str; 5] = [
    "accept",
    "accept-encoding",
    "accept-language",
    "content-type",
    "user-agent",
];

/// Words whose value (after `=` or `:`) is redacted wherever it appears.
const SECRET_KEYS: [&str; 11] = [
    "authorization",
    "cookie",
    "password",
    "passwd",
    "secret",
    "token",
    "ticket",
    "api_key",
    "api-key",
    "apikey",
    "credential",
];

/// Authorization schemes whose next word is a credential.
const SECRET_SCHEMES: [&str; 2] = ["basic ", "bearer "];

/// What a redacted value becomes.
const REDACTED: &str = "[redacted]";

/// The most errors one request's report keeps from its log.
const MAX_LOGGED_ERRORS: usize = 8;

/// How long the guard waits for queued events when the process stops, and
/// a panic for its own event to leave.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(2);

/// How long one delivery to Sentry may take.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// Keeps the Sentry client bound; dropping it flushes the queued events
/// (for at most two seconds). Keep it alive for the whole of `main`.
#[must_use = "queued events are flushed, and reporting stops, when the guard is dropped"]
pub struct ErrorReporting {
    client: Option<sentry::ClientInitGuard>,
}

impl ErrorReporting {
    /// Whether events are sent anywhere (`SENTRY_DSN` was set).
    pub fn is_enabled(&self) -> bool {
        self.client.as_ref().is_some_and(|guard| guard.is_enabled())
    }
}

/// Starts reporting to the DSN of `settings`, if it names one; nothing
/// happens without one.
pub fn init(settings: &Settings) -> anyhow::Result<ErrorReporting> {
    let Some(dsn) = &settings.sentry_dsn else {
        return Ok(ErrorReporting { client: None });
    };
    // The parser's message would quote the DSN, and its key with it.
    let dsn = dsn
        .expose_secret()
        .parse::<Dsn>()
        .ok()
        .context("SENTRY_DSN is not a Sentry DSN (https://<key>@<host>/<project>)")?;
    let host = dsn.host().to_owned();
    let guard = sentry::init(client_options(
        dsn,
        settings.sentry_environment.clone(),
        Arc::new(UreqTransport),
    ));
    let environment = guard.options().environment.as_deref().unwrap_or_default().to_owned();
    // The DSN is not logged: its key lets anyone file events.
    tracing::info!(%host, environment, release = RELEASE, "reporting panics and server errors to Sentry");
    Ok(ErrorReporting { client: Some(guard) })
}

/// The client's options: ours, whatever the transport.
fn client_options(dsn: Dsn, environment: Option<String>, transport: Arc<dyn TransportFactory>) -> ClientOptions {
    let secrets: Vec<String> = [Some(dsn.public_key()), dsn.secret_key()]
        .into_iter()
        .flatten()
        .filter(|key| !key.is_empty())
        .map(str::to_owned)
        .collect();
    let mut options = ClientOptions::new();
    options.dsn = Some(dsn);
    options.release = Some(RELEASE.into());
    // Unset: sentry reads SENTRY_ENVIRONMENT, else `production` in release builds.
    options.environment = environment.filter(|name| !name.trim().is_empty()).map(Into::into);
    options.send_default_pii = false;
    // Breadcrumbs would be whatever code recorded before an error: none are kept.
    options.max_breadcrumbs = 0;
    options.before_breadcrumb = Some(Arc::new(|_| None));
    options.before_send = Some(Arc::new(move |event| Some(scrub_event(event, &secrets))));
    options.shutdown_timeout = FLUSH_TIMEOUT;
    options.transport = Some(transport);
    options
}

/// Sentry's ureq transport (a thread of its own and a bounded queue) on an
/// agent with rustls over ring and the system's trusted roots, for
/// `https://` DSNs; `http://` ones are sent as they are.
struct UreqTransport;

impl TransportFactory for UreqTransport {
    fn create_transport_with_options(&self, options: TransportOptions) -> Arc<dyn Transport> {
        let system = rustls_native_certs::load_native_certs();
        if system.certs.is_empty() {
            tracing::warn!(
                errors = system.errors.len(),
                "no trusted root certificates found: events to an https:// DSN will not leave"
            );
        }
        let roots = system
            .certs
            .iter()
            .map(|der| ureq::tls::Certificate::from_der(der).to_owned());
        let tls = ureq::tls::TlsConfig::builder()
            .provider(ureq::tls::TlsProvider::Rustls)
            .root_certs(ureq::tls::RootCerts::from(roots))
            .unversioned_rustls_crypto_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .build();
        let agent = ureq::Agent::config_builder()
            .tls_config(tls)
            .timeout_global(Some(SEND_TIMEOUT))
            .build()
            .new_agent();
        Arc::new(
            sentry::transports::UreqHttpTransportOptions::from(options)
                .with_agent(agent)
                .build(),
        )
    }
}

/// What an event made during a request says about the request.
#[derive(Debug, Clone)]
struct RequestFacts {
    method: String,
    route: String,
    request_id: Option<String>,
    /// The OpenTelemetry trace id in hex when traces are exported, else the request id.
    trace_id: Option<String>,
    /// Sentry's trace context: the OpenTelemetry trace and span, else a
    /// trace id that is the request id when that is a UUID.
    trace: Option<TraceContext>,
    headers: Vec<(String, String)>,
}

impl RequestFacts {
    /// The facts of `req`, as the request's span and extensions know them
    /// when the request comes in.
    fn of(req: &ServiceRequest) -> Self {
        let request_id = req.extensions().get::<RequestIdValue>().map(|id| id.0.clone());
        let context = tracing::Span::current().context();
        let span = context.span();
        let otel = span.span_context();
        let (trace_id, trace) = if otel.is_valid() {
            let trace = TraceContext {
                trace_id: TraceId::from(otel.trace_id().to_bytes()),
                span_id: SpanId::from(otel.span_id().to_bytes()),
                ..TraceContext::default()
            };
            (Some(otel.trace_id().to_string()), Some(trace))
        } else {
            let trace = request_id.as_deref().and_then(uuid_bytes).map(|bytes| TraceContext {
                trace_id: TraceId::from(bytes),
                ..TraceContext::default()
            });
            (request_id.clone(), trace)
        };
        let headers = req
            .headers()
            .iter()
            .filter(|(name, _)| ALLOWED_HEADERS.contains(&name.as_str()))
            .filter_map(|(name, value)| Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned())))
            .collect();
        Self {
            method: req.method().as_str().to_owned(),
            route: route_of(req),
            request_id,
            trace_id,
            trace,
            headers,
        }
    }

    /// Names the request on `scope`: tags, transaction and trace.
    fn tag(&self, scope: &mut Scope) {
        scope.set_tag("http.route", &self.route);
        scope.set_tag("http.method", &self.method);
        if let Some(id) = &self.request_id {
            scope.set_tag("request_id", id);
        }
        if let Some(id) = &self.trace_id {
            scope.set_tag("trace_id", id);
        }
        if let Some(trace) = &self.trace {
            scope.set_context("trace", Context::Trace(Box::new(trace.clone())));
        }
        scope.set_transaction(Some(&format!("{} {}", self.method, self.route)));
    }

    /// Names the request on `scope`, with its method and allowed headers
    /// on each event.
    fn apply(&self, scope: &mut Scope) {
        self.tag(scope);
        let request = Request {
            method: Some(self.method.clone()),
            headers: self.headers.iter().cloned().collect(),
            ..Request::default()
        };
        scope.add_event_processor(move |mut event| {
            event.request.get_or_insert_with(|| request.clone());
            Some(event)
        });
    }
}

/// The route pattern of a request not yet routed: as the versioning
/// middleware will route it (one trailing slash dropped), else `unmatched`.
fn route_of(req: &ServiceRequest) -> String {
    req.match_pattern()
        .or_else(|| {
            let path = req.path().strip_suffix('/').filter(|path| !path.is_empty())?;
            req.resource_map().match_pattern(path)
        })
        .unwrap_or_else(|| "unmatched".to_owned())
}

/// The 16 bytes of a UUID written with or without its hyphens.
fn uuid_bytes(id: &str) -> Option<[u8; 16]> {
    let hex: Vec<u8> = id.bytes().filter(|b| *b != b'-').collect();
    if hex.len() != 32 || id.len() > 36 {
        return None;
    }
    let mut bytes = [0_u8; 16];
    for (byte, pair) in bytes.iter_mut().zip(hex.chunks(2)) {
        let pair = std::str::from_utf8(pair).ok()?;
        *byte = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(bytes)
}

/// Whether a response with `status` is the service's bug: a 5xx, except a
/// 503 (the database is unavailable, or the request ran out of time) and a
/// 504, which say "retry", not "fix me".
pub fn is_reported(status: StatusCode) -> bool {
    status.is_server_error() && status != StatusCode::SERVICE_UNAVAILABLE && status != StatusCode::GATEWAY_TIMEOUT
}

/// An error a request logged, as [`RequestErrors`] saw it.
#[derive(Debug, Clone, Default)]
struct LoggedError {
    message: String,
    error: Option<String>,
}

tokio::task_local! {
    /// The errors logged by the request being polled.
    static LOGGED: Rc<RefCell<Vec<LoggedError>>>;
}

/// The `tracing` layer that collects the errors (`ERROR` events: their
/// message and `error` field, nothing else) logged while a request runs,
/// for the report of that request if it ends in a 500. Add it to the
/// subscriber; outside [`report_server_errors`] it does nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestErrors;

impl<S: tracing::Subscriber> Layer<S> for RequestErrors {
    fn on_event(&self, event: &tracing::Event<'_>, _context: LayerContext<'_, S>) {
        if *event.metadata().level() != tracing::Level::ERROR {
            return;
        }
        let _ = LOGGED.try_with(|logged| {
            let Ok(mut logged) = logged.try_borrow_mut() else {
                return;
            };
            if logged.len() < MAX_LOGGED_ERRORS {
                let mut fields = LoggedError::default();
                event.record(&mut fields);
                logged.push(fields);
            }
        });
    }
}

impl Visit for LoggedError {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "message" => self.message = value.to_owned(),
            "error" => self.error = Some(value.to_owned()),
            _ => {}
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        match field.name() {
            "message" => self.message = format!("{value:?}"),
            "error" => self.error = Some(format!("{value:?}")),
            _ => {}
        }
    }
}

/// The middleware: wrap the `App` with `from_fn(report_server_errors)`
/// inside the request logger (which sets the request id and enters the
/// request's span) and outside everything that can change the status.
/// Without a Sentry client it only calls the next service.
pub async fn report_server_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let parent = Hub::current();
    if !parent.client().is_some_and(|client| client.is_enabled()) {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let mut facts = RequestFacts::of(&req);
    let hub = Arc::new(Hub::new_from_top(parent));
    hub.configure_scope(|scope| facts.apply(scope));
    let logged = Rc::new(RefCell::new(Vec::new()));
    let outcome = LOGGED
        .scope(Rc::clone(&logged), next.call(req))
        .bind_hub(Arc::clone(&hub))
        .await;
    let (status, cause) = match &outcome {
        Ok(response) => (response.status(), response.response().error().map(ToString::to_string)),
        Err(error) => (error.as_response_error().status_code(), Some(error.to_string())),
    };
    if is_reported(status) {
        // Routed by now, on the path the versioning middleware settled on.
        if let Some(route) = outcome.as_ref().ok().and_then(|r| r.request().match_pattern()) {
            facts.route = route;
            hub.configure_scope(|scope| facts.tag(scope));
        }
        let logged = logged.take();
        hub.capture_event(server_error_event(&facts, status, cause, logged));
    }
    Ok(outcome?.map_into_boxed_body())
}

/// The event of a response that failed with `status`: the errors the
/// request logged as its exceptions (oldest first), else the response's
/// own error, else its status.
fn server_error_event(
    facts: &RequestFacts,
    status: StatusCode,
    cause: Option<String>,
    logged: Vec<LoggedError>,
) -> Event<'static> {
    let summary = format!("{} {} answered {status}", facts.method, facts.route);
    let mechanism = || {
        Some(Mechanism {
            ty: "http_server_error".to_owned(),
            handled: Some(true),
            ..Mechanism::default()
        })
    };
    let mut exceptions: Vec<Exception> = logged
        .into_iter()
        .map(|error| Exception {
            ty: if error.message.is_empty() {
                "error".to_owned()
            } else {
                error.message
            },
            value: error.error,
            mechanism: mechanism(),
            ..Exception::default()
        })
        .collect();
    if exceptions.is_empty() {
        exceptions.push(Exception {
            ty: format!("HTTP {}", status.as_u16()),
            value: Some(cause.unwrap_or_else(|| summary.clone())),
            mechanism: mechanism(),
            ..Exception::default()
        });
    }
    let response = ResponseContext {
        status_code: Some(u64::from(status.as_u16())),
        ..ResponseContext::default()
    };
    let mut event = Event {
        level: Level::Error,
        message: Some(summary),
        exception: exceptions.into(),
        ..Event::default()
    };
    event
        .contexts
        .insert("response".to_owned(), Context::Response(Box::new(response)));
    event
        .tags
        .insert("http.status_code".to_owned(), status.as_u16().to_string());
    event
}

/// The last check before an event leaves: nothing about the user, no
/// breadcrumbs, a request with its method and allowed headers only, and
/// every string with credentials (and `secrets`, the DSN's keys) redacted.
pub fn scrub_event(mut event: Event<'static>, secrets: &[String]) -> Event<'static> {
    let scrub = |text: &str| scrub_text(text, secrets);
    event.user = None;
    event.breadcrumbs = Default::default();
    event.request = event.request.map(|request| Request {
        method: request.method,
        headers: request
            .headers
            .into_iter()
            .filter(|(name, _)| ALLOWED_HEADERS.contains(&name.to_ascii_lowercase().as_str()))
            .map(|(name, value)| (name, scrub(&value)))
            .collect(),
        ..Request::default()
    });
    event.message = event.message.as_deref().map(scrub);
    if let Some(entry) = event.logentry.as_mut() {
        entry.message = scrub(&entry.message);
        entry.params.iter_mut().for_each(|param| scrub_value(param, secrets));
    }
    event.culprit = event.culprit.as_deref().map(scrub);
    event.transaction = event.transaction.as_deref().map(scrub);
    for exception in event.exception.values.iter_mut() {
        exception.ty = scrub(&exception.ty);
        exception.value = exception.value.as_deref().map(scrub);
        for stacktrace in [exception.stacktrace.as_mut(), exception.raw_stacktrace.as_mut()]
            .into_iter()
            .flatten()
        {
            stacktrace.frames.iter_mut().for_each(|frame| frame.vars.clear());
        }
    }
    for thread in event.threads.values.iter_mut() {
        if let Some(stacktrace) = thread.stacktrace.as_mut() {
            stacktrace.frames.iter_mut().for_each(|frame| frame.vars.clear());
        }
    }
    event.tags.values_mut().for_each(|value| *value = scrub(value));
    event.extra.values_mut().for_each(|value| scrub_value(value, secrets));
    for context in event.contexts.values_mut() {
        match context {
            Context::Response(response) => {
                response.cookies = None;
                response.headers.clear();
                response.data = None;
            }
            Context::Other(map) => map.values_mut().for_each(|value| scrub_value(value, secrets)),
            _ => {}
        }
    }
    event
}

/// Scrubs every string inside a JSON value.
fn scrub_value(value: &mut Value, secrets: &[String]) {
    match value {
        Value::String(text) => *text = scrub_text(text, secrets),
        Value::Array(items) => items.iter_mut().for_each(|item| scrub_value(item, secrets)),
        Value::Object(map) => map.values_mut().for_each(|item| scrub_value(item, secrets)),
        _ => {}
    }
}

/// `text` with credentials redacted: each of `secrets`, the word after an
/// authorization scheme (`Basic`, `Bearer`), the value after a secret's
/// name and `=` or `:` (`password=..`, `"token": ".."`, `?ticket=..`), and
/// the userinfo of a URL (`scheme://user:pass@host`).
pub fn scrub_text(text: &str, secrets: &[String]) -> String {
    let mut text = text.to_owned();
    for secret in secrets.iter().filter(|secret| !secret.is_empty()) {
        if text.contains(secret.as_str()) {
            text = text.replace(secret.as_str(), REDACTED);
        }
    }
    let lower = text.to_ascii_lowercase();
    let bytes = text.as_bytes();
    let mut ranges = Vec::new();
    for scheme in SECRET_SCHEMES {
        for (at, _) in lower.match_indices(scheme) {
            let start = skip(bytes, at + scheme.len(), |b| b == b' ');
            ranges.push((start, value_end(bytes, start)));
        }
    }
    for key in SECRET_KEYS {
        for (at, _) in lower.match_indices(key) {
            // The rest of the name (`passwords`, `token_hash`), its closing quote, spaces.
            let mut i = skip(bytes, at + key.len(), |b| {
                b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
            });
            i = skip(bytes, i, |b| matches!(b, b'"' | b'\'' | b'\\' | b' ' | b'\t'));
            if i < bytes.len() && matches!(bytes[i], b'=' | b':') {
                let start = skip(bytes, i + 1, |b| matches!(b, b'"' | b'\'' | b'\\' | b' ' | b'\t'));
                ranges.push((start, value_end(bytes, start)));
            }
        }
    }
    for (at, _) in lower.match_indices("://") {
        let start = at + 3;
        let end = skip(bytes, start, |b| {
            !matches!(b, b'/' | b'?' | b'#' | b'@') && !b.is_ascii_whitespace()
        });
        if end < bytes.len() && bytes[end] == b'@' {
            ranges.push((start, end));
        }
    }
    redact(&text, ranges)
}

/// The first index from `from` whose byte does not satisfy `skipped`.
fn skip(bytes: &[u8], from: usize, skipped: impl Fn(u8) -> bool) -> usize {
    let mut i = from.min(bytes.len());
    while i < bytes.len() && skipped(bytes[i]) {
        i += 1;
    }
    i
}

/// Where a value that starts at `start` ends: at whitespace, a quote or a
/// separator of query strings, headers, JSON and lists.
fn value_end(bytes: &[u8], start: usize) -> usize {
    skip(bytes, start, |b| {
        !b.is_ascii_whitespace()
            && !matches!(
                b,
                b'&' | b',' | b';' | b'"' | b'\'' | b'\\' | b'}' | b')' | b']' | b'<' | b'>'
            )
    })
}

/// `text` with each non-empty byte range replaced by [`REDACTED`]; the
/// ranges start and end at ASCII bytes or the ends, so on char boundaries.
fn redact(text: &str, mut ranges: Vec<(usize, usize)>) -> String {
    ranges.retain(|(start, end)| start < end);
    if ranges.is_empty() {
        return text.to_owned();
    }
    ranges.sort_unstable();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for (start, end) in ranges {
        if end <= copied {
            continue;
        }
        let start = start.max(copied);
        out.push_str(&text[copied..start]);
        out.push_str(REDACTED);
        copied = end;
    }
    out.push_str(&text[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use actix_web::middleware::from_fn;
    use actix_web::test as http;
    use actix_web::{web, App, HttpResponse};
    use futures_util::FutureExt as _;
    use kernel::ApiError;
    use sentry::Envelope;
    use tracing_actix_web::TracingLogger;
    use tracing_subscriber::layer::SubscriberExt as _;

    use super::*;
    use crate::telemetry::RequestSpan;

    /// A transport that keeps what it is given.
    #[derive(Default)]
    struct Kept(Mutex<Vec<Envelope>>);

    impl Transport for Kept {
        fn send_envelope(&self, envelope: Envelope) {
            self.0.lock().expect("the envelopes").push(envelope);
        }
    }

    impl Kept {
        fn events(&self) -> Vec<Event<'static>> {
            self.0
                .lock()
                .expect("the envelopes")
                .iter()
                .filter_map(|envelope| envelope.event().cloned())
                .collect()
        }

        fn bytes(&self) -> String {
            let envelopes = self.0.lock().expect("the envelopes");
            let mut bytes = Vec::new();
            for envelope in envelopes.iter() {
                envelope.to_writer(&mut bytes).expect("an envelope");
            }
            String::from_utf8_lossy(&bytes).into_owned()
        }
    }

    const DSN: &str = "https://d5b1c0ffee0000000000000000000000@errors.example/42";

    /// A hub with a client of our options over a [`Kept`] transport.
    fn hub() -> (Arc<Hub>, Arc<Kept>) {
        let kept = Arc::new(Kept::default());
        let mut options = client_options(
            DSN.parse().expect("a DSN"),
            Some("test".to_owned()),
            Arc::new(Arc::clone(&kept)),
        );
        options
            .integrations
            .push(Arc::new(sentry::integrations::panic::PanicIntegration::new()));
        let client = Arc::new(sentry::Client::from(options));
        (Arc::new(Hub::new(Some(client), Arc::new(Scope::default()))), kept)
    }

    async fn broken(_id: web::Path<u32>) -> Result<HttpResponse, ApiError> {
        Err(ApiError::internal("relation \"palettes\" is frozen"))
    }

    async fn busy() -> Result<HttpResponse, ApiError> {
        Err(ApiError::database_unavailable())
    }

    async fn panicking() -> HttpResponse {
        panic!("the handler gave up")
    }

    /// The middleware where `build_app` puts it, over a broken, a busy
    /// and a panicking handler.
    macro_rules! app {
        () => {
            http::init_service(
                App::new()
                    .route("/things/{id}", web::post().to(broken))
                    .route("/busy", web::get().to(busy))
                    .route("/panics", web::get().to(panicking))
                    .wrap(from_fn(report_server_errors))
                    .wrap(TracingLogger::<RequestSpan>::new()),
            )
            .await
        };
    }

    #[actix_web::test]
    async fn a_500_is_reported_with_its_route_request_id_and_logged_cause_and_no_secret() {
        let (hub, kept) = hub();
        let subscriber = tracing_subscriber::registry().with(RequestErrors);
        let _subscriber = tracing::subscriber::set_default(subscriber);
        let app = app!();
        let request = http::TestRequest::post()
            .uri("/things/7?ticket=tkt-do-not-report")
            .insert_header(("Authorization", "Basic YWRhOmhvcnNlIGJhdHRlcnk="))
            .insert_header(("Cookie", "session=cookie-do-not-report"))
            .insert_header(("User-Agent", "checker/1.0"))
            .insert_header(("X-Request-Id", "7d444840-9dc0-11d1-b245-5ffdce74fad2"))
            .set_payload(r#"{"name": "body-do-not-report"}"#)
            .to_request();
        let response = http::call_service(&app, request).bind_hub(hub).await;
        assert_eq!(response.status(), 500);
        let events = kept.events();
        assert_eq!(events.len(), 1, "{events:?}");
        let event = &events[0];
        assert_eq!(event.tags["http.route"], "/things/{id}", "{event:?}");
        assert_eq!(event.tags["http.method"], "POST");
        assert_eq!(event.tags["request_id"], "7d444840-9dc0-11d1-b245-5ffdce74fad2");
        assert_eq!(event.tags["trace_id"], "7d444840-9dc0-11d1-b245-5ffdce74fad2");
        assert_eq!(event.tags["http.status_code"], "500");
        let Some(Context::Trace(trace)) = event.contexts.get("trace") else {
            panic!("no trace context: {event:?}");
        };
        assert_eq!(trace.trace_id.to_string(), "7d4448409dc011d1b2455ffdce74fad2");
        assert_eq!(event.release.as_deref(), Some(RELEASE));
        assert_eq!(event.environment.as_deref(), Some("test"));
        let exception = event.exception.values.last().expect("an exception");
        assert_eq!(exception.ty, "internal error");
        assert_eq!(exception.value.as_deref(), Some("relation \"palettes\" is frozen"));
        let request = event.request.as_ref().expect("the request");
        assert_eq!(
            request.headers.get("user-agent").map(String::as_str),
            Some("checker/1.0")
        );
        assert!(request.query_string.is_none() && request.data.is_none() && request.cookies.is_none());
        let bytes = kept.bytes();
        for secret in [
            "tkt-do-not-report",
            "YWRhOmhvcnNlIGJhdHRlcnk=",
            "cookie-do-not-report",
            "body-do-not-report",
            "d5b1c0ffee",
        ] {
            assert!(!bytes.contains(secret), "the envelope holds {secret}: {bytes}");
        }
    }

    #[actix_web::test]
    async fn with_traces_exported_the_trace_id_is_the_request_spans() {
        use opentelemetry::trace::TracerProvider as _;
        let (hub, kept) = hub();
        let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
            .with_simple_exporter(opentelemetry_sdk::trace::InMemorySpanExporter::default())
            .build();
        opentelemetry::global::set_text_map_propagator(opentelemetry_sdk::propagation::TraceContextPropagator::new());
        let subscriber = tracing_subscriber::registry()
            .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")))
            .with(RequestErrors);
        let _subscriber = tracing::subscriber::set_default(subscriber);
        let app = app!();
        let request = http::TestRequest::post()
            .uri("/things/3")
            .insert_header(("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"))
            .insert_header(("X-Request-Id", "traced-request"))
            .to_request();
        let response = http::call_service(&app, request).bind_hub(hub).await;
        assert_eq!(response.status(), 500);
        let events = kept.events();
        let event = events.first().expect("an event");
        assert_eq!(event.tags["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(event.tags["request_id"], "traced-request");
        let Some(Context::Trace(trace)) = event.contexts.get("trace") else {
            panic!("no trace context: {event:?}");
        };
        assert_eq!(trace.trace_id.to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
    }

    #[actix_web::test]
    async fn a_503_and_a_404_are_not_reported() {
        let (hub, kept) = hub();
        let app = app!();
        let busy = http::call_service(&app, http::TestRequest::get().uri("/busy").to_request())
            .bind_hub(Arc::clone(&hub))
            .await;
        assert_eq!(busy.status(), 503);
        let missing = http::call_service(&app, http::TestRequest::get().uri("/nothing").to_request())
            .bind_hub(hub)
            .await;
        assert_eq!(missing.status(), 404);
        assert!(kept.events().is_empty(), "{:?}", kept.events());
    }

    #[actix_web::test]
    async fn a_panic_in_a_handler_is_reported_with_its_request() {
        let (hub, kept) = hub();
        let app = app!();
        let request = http::TestRequest::get()
            .uri("/panics")
            .insert_header(("X-Request-Id", "panicking-request"))
            .to_request();
        let outcome = std::panic::AssertUnwindSafe(http::call_service(&app, request).bind_hub(hub))
            .catch_unwind()
            .await;
        assert!(outcome.is_err(), "the handler panicked");
        let events = kept.events();
        assert_eq!(events.len(), 1, "{events:?}");
        let event = &events[0];
        assert_eq!(event.level, Level::Fatal);
        assert_eq!(event.exception.values[0].value.as_deref(), Some("the handler gave up"));
        assert_eq!(event.tags["http.route"], "/panics");
        assert_eq!(event.tags["request_id"], "panicking-request");
        assert_eq!(event.tags["trace_id"], "panicking-request");
    }

    #[test]
    fn without_a_client_the_middleware_reports_nothing_and_costs_nothing() {
        actix_web::rt::System::new().block_on(async {
            let app = app!();
            let response = http::call_service(&app, http::TestRequest::post().uri("/things/1").to_request()).await;
            assert_eq!(response.status(), 500);
        });
    }

    #[test]
    fn an_https_dsn_is_reached_over_tls() {
        use std::io::Read as _;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
        let port = listener.local_addr().expect("its address").port();
        let mut options = ClientOptions::new();
        options.dsn = Some(format!("https://0123abcd@127.0.0.1:{port}/1").parse().expect("a DSN"));
        let options = TransportOptions::try_from_client_options(&options).expect("transport options");
        let transport = UreqTransport.create_transport_with_options(options);
        transport.send_envelope(Envelope::from(Event::default()));
        let (mut stream, _) = listener.accept().expect("the transport connects");
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("a timeout");
        let mut hello = [0_u8; 2];
        stream.read_exact(&mut hello).expect("the first bytes");
        assert_eq!(hello, [0x16, 0x03], "a TLS handshake record opens the connection");
    }

    #[test]
    fn credentials_are_redacted_from_any_text() {
        let secrets = ["d5b1c0ffee".to_owned()];
        for (text, kept, gone) in [
            ("Authorization: Basic YWRhOnB3", "Authorization: ", "YWRhOnB3"),
            ("authorization=Bearer abc.def", "authorization=", "abc.def"),
            ("GET /api/events/?ticket=t1ck3t&x=1", "&x=1", "t1ck3t"),
            (r#"{"password": "hunter2", "name": "ok"}"#, r#""name": "ok""#, "hunter2"),
            (r#"{\"new_password\":\"hunter2\"}"#, "new_password", "hunter2"),
            ("postgres://app:pgs3cret@db/palettes", "@db/palettes", "pgs3cret"),
            ("key d5b1c0ffee leaked", "key ", "d5b1c0ffee"),
            ("api_key: abc123; next", "; next", "abc123"),
            ("x-api-key: k3yv4lue; next", "; next", "k3yv4lue"),
            ("tokens table is missing", "tokens table is missing", "[redacted]"),
        ] {
            let scrubbed = scrub_text(text, &secrets);
            assert!(scrubbed.contains(kept), "{text} -> {scrubbed}");
            assert!(!scrubbed.contains(gone), "{text} -> {scrubbed}");
        }
        assert_eq!(
            scrub_text("Grüße, password=ünïcode! ok", &[]),
            "Grüße, password=[redacted] ok"
        );
    }

    #[test]
    fn only_bugs_are_reported() {
        assert!(is_reported(StatusCode::INTERNAL_SERVER_ERROR));
        assert!(is_reported(StatusCode::NOT_IMPLEMENTED));
        assert!(!is_reported(StatusCode::SERVICE_UNAVAILABLE));
        assert!(!is_reported(StatusCode::GATEWAY_TIMEOUT));
        assert!(!is_reported(StatusCode::NOT_FOUND));
        assert!(!is_reported(StatusCode::OK));
    }

    #[test]
    fn a_uuid_request_id_is_a_trace_id() {
        assert!(uuid_bytes("7d444840-9dc0-11d1-b245-5ffdce74fad2").is_some());
        assert!(uuid_bytes("7d4448409dc011d1b2455ffdce74fad2").is_some());
        assert!(uuid_bytes("not-a-uuid").is_none());
        assert!(uuid_bytes("7d444840-9dc0-11d1-b245-5ffdce74fazz").is_none());
    }
}
