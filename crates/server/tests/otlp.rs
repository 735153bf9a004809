//! OpenTelemetry over OTLP/HTTP, checked against a receiver of its own that
//! decodes what the binary sends with the official OTLP definitions: a
//! request's span tree (the server span named by its route, its statements
//! under it), the HTTP server metrics and the log records with the
//! request's trace id arrive; an outage of the collector is logged once and
//! its end once; SIGTERM flushes what was waiting.

use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpResponse, HttpServer};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use opentelemetry_proto::tonic::collector::logs::v1::{ExportLogsServiceRequest, ExportLogsServiceResponse};
use opentelemetry_proto::tonic::collector::metrics::v1::{ExportMetricsServiceRequest, ExportMetricsServiceResponse};
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse};
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::logs::v1::LogRecord;
use opentelemetry_proto::tonic::metrics::v1::{metric, Metric};
use opentelemetry_proto::tonic::trace::v1::{span::SpanKind, Span};
use prost::Message;
use serde_json::{json, Value};
use test_support::process::{free_port, LoggedServer, ServerProcess};

/// The signals, by the path each is posted to.
const SIGNALS: [&str; 3] = ["traces", "metrics", "logs"];

/// What the receiver was sent, decoded.
#[derive(Debug, Default)]
struct Received {
    spans: Vec<Span>,
    metrics: Vec<Metric>,
    logs: Vec<LogRecord>,
}

impl Received {
    /// What was received, a line each: spans (name, trace, id, parent),
    /// metrics (name) and log records (trace, body).
    fn summary(&self) -> String {
        let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
        let spans = self.spans.iter().map(|s| {
            format!(
                "span {} {} {} <- {}",
                s.name,
                hex(&s.trace_id),
                hex(&s.span_id),
                hex(&s.parent_span_id)
            )
        });
        let metrics = self.metrics.iter().map(|m| format!("metric {}", m.name));
        let logs = self
            .logs
            .iter()
            .map(|r| format!("log {} {:?}", hex(&r.trace_id), body_text(r)));
        spans.chain(metrics).chain(logs).collect::<Vec<_>>().join("\n")
    }
}

/// The receiver's state, shared with its handlers.
#[derive(Debug, Default)]
struct Shared {
    received: Mutex<Received>,
    /// Answer 503 to every export while set.
    failing: AtomicBool,
    /// Exports answered 503, by signal (in [`SIGNALS`]' order).
    refused: [AtomicUsize; 3],
    /// Exports accepted, by signal.
    accepted: [AtomicUsize; 3],
}

/// A small OTLP/HTTP receiver (`POST /v1/traces`, `/v1/metrics`, `/v1/logs`,
/// binary protobuf) on a free port.
struct Receiver {
    port: u16,
    shared: Arc<Shared>,
}

impl Receiver {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a port for the receiver");
        let port = listener.local_addr().expect("its address").port();
        let shared = Arc::new(Shared::default());
        let data = web::Data::from(Arc::clone(&shared));
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .app_data(web::PayloadConfig::new(64 * 1024 * 1024))
                .route("/v1/{signal}", web::post().to(export))
        })
        .workers(1)
        .listen(listener)
        .expect("listening")
        .run();
        actix_web::rt::spawn(server);
        Self { port, shared }
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Waits up to 20 s for `done` to hold of what was received.
    async fn wait_for(&self, what: &str, done: impl Fn(&Received) -> bool) {
        let started = Instant::now();
        loop {
            if done(&self.shared.received.lock().expect("the receiver's state")) {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "never received {what}: {}",
                self.shared.received.lock().expect("the receiver's state").summary()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn count(counts: &[AtomicUsize; 3], signal: &str) -> usize {
        SIGNALS
            .iter()
            .position(|name| *name == signal)
            .map_or(0, |i| counts[i].load(Ordering::SeqCst))
    }
}

/// Decodes one export, or refuses it while the receiver is failing.
async fn export(signal: web::Path<String>, body: web::Bytes, shared: web::Data<Shared>) -> HttpResponse {
    let Some(index) = SIGNALS.iter().position(|name| *name == signal.as_str()) else {
        return HttpResponse::NotFound().finish();
    };
    if shared.failing.load(Ordering::SeqCst) {
        shared.refused[index].fetch_add(1, Ordering::SeqCst);
        return HttpResponse::ServiceUnavailable().finish();
    }
    let mut received = shared.received.lock().expect("the receiver's state");
    let response = match index {
        0 => {
            let request = ExportTraceServiceRequest::decode(body.as_ref()).expect("an OTLP trace export");
            received.spans.extend(
                request
                    .resource_spans
                    .into_iter()
                    .flat_map(|r| r.scope_spans)
                    .flat_map(|s| s.spans),
            );
            ExportTraceServiceResponse::default().encode_to_vec()
        }
        1 => {
            let request = ExportMetricsServiceRequest::decode(body.as_ref()).expect("an OTLP metrics export");
            received.metrics.extend(
                request
                    .resource_metrics
                    .into_iter()
                    .flat_map(|r| r.scope_metrics)
                    .flat_map(|s| s.metrics),
            );
            ExportMetricsServiceResponse::default().encode_to_vec()
        }
        _ => {
            let request = ExportLogsServiceRequest::decode(body.as_ref()).expect("an OTLP logs export");
            received.logs.extend(
                request
                    .resource_logs
                    .into_iter()
                    .flat_map(|r| r.scope_logs)
                    .flat_map(|s| s.log_records),
            );
            ExportLogsServiceResponse::default().encode_to_vec()
        }
    };
    shared.accepted[index].fetch_add(1, Ordering::SeqCst);
    HttpResponse::Ok().content_type("application/x-protobuf").body(response)
}

/// An attribute's value as text (strings as they are, numbers in decimal).
fn attribute(attributes: &[KeyValue], key: &str) -> Option<String> {
    let value = attributes
        .iter()
        .find(|kv| kv.key == key)?
        .value
        .as_ref()?
        .value
        .as_ref()?;
    Some(match value {
        any_value::Value::StringValue(text) => text.clone(),
        any_value::Value::IntValue(n) => n.to_string(),
        any_value::Value::BoolValue(b) => b.to_string(),
        any_value::Value::DoubleValue(x) => x.to_string(),
        other => format!("{other:?}"),
    })
}

fn body_text(record: &LogRecord) -> Option<&str> {
    match record.body.as_ref() {
        Some(AnyValue {
            value: Some(any_value::Value::StringValue(text)),
        }) => Some(text),
        _ => None,
    }
}

/// The exporters' settings: short delays, so that the test waits little.
fn quick_export(endpoint: &str) -> Vec<(&'static str, String)> {
    vec![
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.to_owned()),
        ("OTEL_BSP_SCHEDULE_DELAY", "100".to_owned()),
        ("OTEL_BLRP_SCHEDULE_DELAY", "100".to_owned()),
        ("OTEL_METRIC_EXPORT_INTERVAL", "200".to_owned()),
    ]
}

fn envs<'a>(pairs: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    pairs.iter().map(|(key, value)| (*key, value.as_str())).collect()
}

fn client() -> awc::Client {
    awc::Client::builder().timeout(Duration::from_secs(10)).finish()
}

/// Registers `username` and returns its Basic credentials.
async fn register(api: &str, username: &str) -> String {
    let password = "correct horse battery staple";
    let registered = client()
        .post(format!("{api}/api/users/"))
        .send_json(&json!({"username": username, "password": password}))
        .await
        .expect("registering");
    assert_eq!(registered.status(), 201);
    format!("Basic {}", STANDARD.encode(format!("{username}:{password}")))
}

#[actix_web::test]
async fn a_requests_span_tree_metrics_and_log_line_reach_the_collector() {
    let receiver = Receiver::start();
    let database = test_support::db::create_database().await;
    let settings = quick_export(&receiver.endpoint());
    let server = LoggedServer::start(env!("CARGO_BIN_EXE_palette-api"), &database.url, &envs(&settings)).await;
    let api = format!("http://127.0.0.1:{}", server.port);
    let basic = register(&api, "ada").await;
    // A path with a trailing slash: the span is named by the route's pattern all the same.
    let listed = client()
        .get(format!("{api}/api/teams/"))
        .insert_header(("Authorization", basic.as_str()))
        .send()
        .await
        .expect("the teams");
    assert_eq!(listed.status(), 200);

    let is_teams_span = |span: &Span| span.name == "GET /api/teams";
    receiver
        .wait_for("the request's span and a statement under it", |received| {
            received.spans.iter().filter(|s| is_teams_span(s)).any(|request| {
                received
                    .spans
                    .iter()
                    .any(|s| s.trace_id == request.trace_id && s.parent_span_id == request.span_id)
            })
        })
        .await;
    let (request, trace_id) = {
        let received = receiver.shared.received.lock().expect("the receiver's state");
        let request = received
            .spans
            .iter()
            .find(|s| is_teams_span(s))
            .cloned()
            .expect("the span");
        (request.clone(), request.trace_id)
    };
    assert_eq!(request.kind, SpanKind::Server as i32);
    let routes: Vec<_> = request.attributes.iter().filter(|kv| kv.key == "http.route").collect();
    assert_eq!(routes.len(), 1, "one route: {routes:?}");
    assert_eq!(
        attribute(&request.attributes, "http.route").as_deref(),
        Some("/api/teams")
    );
    receiver
        .wait_for(
            "the duration of GET /api/teams and the log line of the request",
            |received| {
                let duration = received.metrics.iter().any(|metric| {
                    metric.name == "http.server.request.duration"
                        && matches!(&metric.data, Some(metric::Data::Histogram(histogram))
                        if histogram.data_points.iter().any(|point| {
                            attribute(&point.attributes, "http.route").as_deref() == Some("/api/teams")
                                && attribute(&point.attributes, "http.request.method").as_deref() == Some("GET")
                                && attribute(&point.attributes, "http.response.status_code").as_deref() == Some("200")
                                && attribute(&point.attributes, "url.scheme").as_deref() == Some("http")
                                && point.count == 1
                                && point.explicit_bounds.first() == Some(&0.005)
                        }))
                });
                let logged = received
                    .logs
                    .iter()
                    .any(|record| record.trace_id == trace_id && body_text(record) == Some("request"));
                duration && logged
            },
        )
        .await;

    let received = receiver.shared.received.lock().expect("the receiver's state");
    let statements: Vec<&Span> = received
        .spans
        .iter()
        .filter(|s| s.trace_id == trace_id && s.parent_span_id == request.span_id)
        .collect();
    for statement in &statements {
        assert_eq!(statement.kind, SpanKind::Client as i32, "{statement:?}");
        assert_eq!(
            attribute(&statement.attributes, "db.system.name").as_deref(),
            Some("postgresql")
        );
        let sql = attribute(&statement.attributes, "db.query.text").expect("the statement's SQL");
        assert!(sql.contains("SELECT") || sql.contains("SET"), "{sql}");
    }
    assert!(
        statements.iter().any(|s| s.name.starts_with("SELECT ")),
        "{statements:#?}"
    );
    assert!(
        received
            .metrics
            .iter()
            .any(|metric| metric.name == "http.server.active_requests"
                && matches!(&metric.data, Some(metric::Data::Sum(sum)) if !sum.is_monotonic)),
        "the active requests"
    );
    // The registration's statements bound the password's hash: no span holds it.
    let spans = format!("{:?}", received.spans);
    assert!(!spans.contains("$argon2"), "a password hash reached a span");
    assert!(!spans.contains("correct horse"), "a password reached a span");
}

/// The telemetry lines of a JSON log: (level, signal, the whole line).
fn telemetry_lines(log: &str) -> Vec<(String, String, String)> {
    log.lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line["target"] == "palette_api::telemetry" && line["signal"].is_string())
        .map(|line| {
            (
                line["level"].as_str().unwrap_or_default().to_owned(),
                line["signal"].as_str().unwrap_or_default().to_owned(),
                line.to_string(),
            )
        })
        .collect()
}

#[actix_web::test]
async fn an_outage_of_the_collector_is_one_warning_and_its_end_one_line() {
    let receiver = Receiver::start();
    receiver.shared.failing.store(true, Ordering::SeqCst);
    let database = test_support::db::create_database().await;
    let mut settings = quick_export(&receiver.endpoint());
    settings.push((
        "OTEL_EXPORTER_OTLP_HEADERS",
        "authorization=Bearer collector-secret".to_owned(),
    ));
    let server = LoggedServer::start(env!("CARGO_BIN_EXE_palette-api"), &database.url, &envs(&settings)).await;
    let api = format!("http://127.0.0.1:{}", server.port);
    // Each failed export is tried four times: eight refusals are two exports.
    let started = Instant::now();
    while SIGNALS
        .iter()
        .any(|signal| Receiver::count(&receiver.shared.refused, signal) < 8)
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the exports were not retried: {:?}",
            receiver.shared.refused
        );
        let _ = client().get(format!("{api}/healthz")).send().await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    receiver.shared.failing.store(false, Ordering::SeqCst);
    let started = Instant::now();
    while SIGNALS
        .iter()
        .any(|signal| Receiver::count(&receiver.shared.accepted, signal) < 1)
    {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "exports did not resume: {:?}",
            receiver.shared.accepted
        );
        let _ = client().get(format!("{api}/healthz")).send().await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let log = server.stop().await;
    let lines = telemetry_lines(&log);
    for signal in SIGNALS {
        let of = |level: &str| {
            lines
                .iter()
                .filter(|(l, s, _)| l == level && s == signal)
                .collect::<Vec<_>>()
        };
        assert_eq!(of("WARN").len(), 1, "one warning for {signal}'s outage: {lines:#?}");
        assert_eq!(of("INFO").len(), 1, "one line when {signal} works again: {lines:#?}");
        assert!(
            of("WARN")[0].2.contains("503"),
            "the warning names the error: {lines:#?}"
        );
    }
    assert!(
        !log.contains("collector-secret"),
        "the exporter's headers reached the log"
    );
    assert!(
        !log.contains(&format!("127.0.0.1:{}", receiver.port)),
        "the endpoint reached the log"
    );
}

#[actix_web::test]
async fn sigterm_flushes_what_waits_to_be_exported() {
    let receiver = Receiver::start();
    let database = test_support::db::create_database().await;
    let port = free_port();
    // Nothing would leave before a minute: what arrives, the shutdown sent.
    let mut server = ServerProcess::spawn(
        Command::new(env!("CARGO_BIN_EXE_palette-api"))
            .env("DATABASE_URL", &database.url)
            .env("BIND_ADDR", format!("127.0.0.1:{port}"))
            .env("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint())
            .env("OTEL_BSP_SCHEDULE_DELAY", "60000")
            .env("OTEL_BLRP_SCHEDULE_DELAY", "60000")
            .env("OTEL_METRIC_EXPORT_INTERVAL", "60000")
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    );
    let api = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    while !client()
        .get(format!("{api}/healthz"))
        .send()
        .await
        .is_ok_and(|response| response.status() == 200)
    {
        assert!(started.elapsed() < Duration::from_secs(20), "the server did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let trace = "5af7183fb1d4cf5f4b4e2d6c3a1b9e07";
    let answered = client()
        .get(format!("{api}/healthz"))
        .insert_header(("traceparent", format!("00-{trace}-00f067aa0ba902b7-01")))
        .send()
        .await
        .expect("a request");
    assert_eq!(answered.status(), 200);
    let trace_id: Vec<u8> = (0..trace.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&trace[i..i + 2], 16).expect("hex"))
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    {
        let received = receiver.shared.received.lock().expect("the receiver's state");
        assert!(
            received.spans.is_empty() && received.logs.is_empty() && received.metrics.is_empty(),
            "exported before the shutdown: {received:#?}"
        );
    }

    server.terminate();
    server.assert_exits_within(Duration::from_secs(15));
    let received = receiver.shared.received.lock().expect("the receiver's state");
    assert!(
        received
            .spans
            .iter()
            .any(|span| span.trace_id == trace_id && span.name == "GET /healthz"),
        "the request's span was flushed: {:#?}",
        received.spans
    );
    assert!(
        received
            .logs
            .iter()
            .any(|record| record.trace_id == trace_id && body_text(record) == Some("request")),
        "the request's log line was flushed"
    );
    assert!(
        received
            .metrics
            .iter()
            .any(|metric| metric.name == "http.server.request.duration"),
        "the metrics were flushed"
    );
}
