//! Logging through `tracing`, and OpenTelemetry trace export when an OTLP
//! endpoint is configured: request spans continue a caller's trace (W3C
//! `traceparent`).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::HeaderMap;
use actix_web::HttpMessage;
use opentelemetry::propagation::Extractor;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::Resource;
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RootSpanBuilder};
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::config::{LogFormat, Settings};

/// Flushes exported spans when dropped; keep it alive while the server runs.
#[must_use = "spans are flushed when the guard is dropped"]
pub struct TelemetryGuard {
    provider: Option<SdkTracerProvider>,
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Some(provider) = self.provider.take() {
            if let Err(error) = provider.shutdown() {
                eprintln!("flushing OpenTelemetry spans: {error}");
            }
        }
    }
}

/// The log filter of `LOG_LEVEL`, with the database driver held at `info`
/// whatever it says: at `debug` the driver logs every statement's
/// parameters, which hold password and token hashes.
fn log_filter(directives: &str) -> anyhow::Result<EnvFilter> {
    let directives = format!("{directives},tokio_postgres=info");
    EnvFilter::try_new(&directives).map_err(|e| anyhow::anyhow!("invalid log filter `{directives}`: {e}"))
}

/// Installs the global subscriber: text or JSON lines on stdout, filtered by
/// `LOG_LEVEL` (or `RUST_LOG`), plus OTLP/HTTP trace export when `OTEL_EXPORTER_OTLP_ENDPOINT`
/// (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set.
pub fn init(settings: &Settings) -> anyhow::Result<TelemetryGuard> {
    let filter = log_filter(&settings.log_filter())?;
    let fmt = match settings.log_format {
        LogFormat::Text => tracing_subscriber::fmt::layer().boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer().json().flatten_event(true).boxed(),
    }
    .with_filter(tracing_subscriber::filter::filter_fn(|meta| {
        !crate::http_faults::is_http_layer_error(meta)
    }));
    let provider = settings
        .otel_exporter_otlp_endpoint
        .as_ref()
        .map(|_| otlp_provider())
        .transpose()?;
    let otel = provider
        .as_ref()
        .map(|provider| tracing_opentelemetry::layer().with_tracer(provider.tracer("palette-api")));
    tracing_subscriber::registry()
        .with(filter)
        .with(fmt)
        .with(crate::http_faults::ClientFaults::new())
        .with(otel)
        .try_init()?;
    if provider.is_some() {
        // The endpoint is not logged: its URL may carry credentials.
        tracing::info!("exporting traces over OTLP/HTTP");
    }
    Ok(TelemetryGuard { provider })
}

fn otlp_provider() -> anyhow::Result<SdkTracerProvider> {
    // The exporter reads the endpoint and headers from the standard OTEL_* variables.
    let exporter = opentelemetry_otlp::SpanExporter::builder().with_http().build()?;
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource())
        .build();
    opentelemetry::global::set_tracer_provider(provider.clone());
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    Ok(provider)
}

/// The service's resource: the standard `OTEL_SERVICE_NAME` and
/// `OTEL_RESOURCE_ATTRIBUTES` when set (instances tell themselves apart by
/// `service.instance.id`), else the name `palette-api`.
fn resource() -> Resource {
    let builder = Resource::builder();
    let named = std::env::var("OTEL_SERVICE_NAME").is_ok_and(|name| !name.trim().is_empty());
    if named {
        builder.build()
    } else {
        builder.with_service_name("palette-api").build()
    }
}

/// Each request's span, as tracing-actix-web makes it, continuing the
/// caller's trace when the request carries a W3C `traceparent` and traces
/// are exported.
#[derive(Debug)]
pub struct RequestSpan;

/// The id of a request, echoed in `X-Request-Id` and named by its log
/// lines: the client's own when it sent a sane one, else the one generated
/// for the request's span.
#[derive(Debug, Clone)]
pub struct RequestIdValue(pub String);

/// When a request began, for the access log's latency.
#[derive(Debug, Clone, Copy)]
struct RequestStart(std::time::Instant);

/// The response header that carries a request's id.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Whether a client's `X-Request-Id` is one to keep: 1 to 128 characters of
/// letters, digits and `-_.:/+=` (a UUID, a ULID, a trace id, base64), so it
/// cannot forge log lines or headers.
fn sane_request_id(value: &str) -> bool {
    (1..=128).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':' | b'/' | b'+' | b'='))
}

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let generated = request
            .extensions()
            .get::<tracing_actix_web::RequestId>()
            .map(ToString::to_string)
            .unwrap_or_default();
        let request_id = request
            .headers()
            .get(REQUEST_ID_HEADER)
            .and_then(|value| value.to_str().ok())
            .map(str::trim)
            .filter(|value| sane_request_id(value))
            .map_or(generated, str::to_owned);
        request.extensions_mut().insert(RequestIdValue(request_id.clone()));
        request.extensions_mut().insert(RequestStart(std::time::Instant::now()));
        // Active until the request is dropped, however it ends.
        if let Some(metrics) = request.app_data::<actix_web::web::Data<crate::metrics::Metrics>>() {
            let active = metrics.clone().into_inner().begin();
            request.extensions_mut().insert(active);
        }
        let span = tracing_actix_web::root_span!(level = tracing::Level::INFO, request, x_request_id = %request_id);
        let parent = opentelemetry::global::get_text_map_propagator(|propagator| {
            propagator.extract(&RequestHeaders(request.headers()))
        });
        // Without export there is no OpenTelemetry layer, and nothing to continue.
        let _ = span.set_parent(parent);
        span
    }

    /// Records the outcome on the span, and writes the access log line: one
    /// per request, at `info`, inside the request's span (so it names the
    /// method, route, target and request id), with the status, latency,
    /// body size and the user when authenticated. The target is logged after
    /// `hide_ticket` took any ticket out of it; `Authorization` never is.
    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, actix_web::Error>) {
        DefaultRootSpanBuilder::on_request_end(span.clone(), outcome);
        let (status, bytes, request) = match outcome {
            Ok(response) => {
                let bytes = match response.response().body().size() {
                    actix_web::body::BodySize::Sized(n) => Some(n),
                    actix_web::body::BodySize::None => Some(0),
                    actix_web::body::BodySize::Stream => None,
                };
                (response.status().as_u16(), bytes, Some(response.request()))
            }
            Err(error) => (error.as_response_error().status_code().as_u16(), None, None),
        };
        let extensions = request.map(|request| request.extensions());
        let latency_ms = extensions.as_ref().and_then(|e| {
            e.get::<RequestStart>()
                .map(|start| start.0.elapsed().as_secs_f64() * 1000.0)
        });
        let user_id = extensions
            .as_ref()
            .and_then(|e| e.get::<kernel::RequestUser>().map(|user| user.0));
        drop(extensions);
        // Known once routed: the span was opened before, named by no route.
        let matched = request.and_then(actix_web::HttpRequest::match_pattern);
        if let (Some(route), Some(request)) = (&matched, request) {
            span.record("http.route", route.as_str());
            span.record("otel.name", format!("{} {route}", request.method()));
        }
        let route = matched.unwrap_or_else(|| "unmatched".to_owned());
        let metrics = request.and_then(|r| r.app_data::<actix_web::web::Data<crate::metrics::Metrics>>());
        if let (Some(metrics), Some(request), Some(ms)) = (metrics, request, latency_ms) {
            metrics.observe(request.method().as_str(), &route, status, ms / 1000.0);
        }
        span.in_scope(|| {
            tracing::info!(
                target: "palette_api::access",
                route,
                status,
                latency_ms = latency_ms.map(|ms| (ms * 1000.0).round() / 1000.0),
                bytes,
                user_id,
                "request"
            );
        });
    }
}

/// A request's headers as OpenTelemetry's propagators read them.
struct RequestHeaders<'a>(&'a HeaderMap);

impl Extractor for RequestHeaders<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|name| name.as_str()).collect()
    }
}

/// Middleware (inside the request logger, which names the id): echoes the
/// request's id in `X-Request-Id` on every response.
pub async fn echo_request_id(
    req: ServiceRequest,
    next: actix_web::middleware::Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let id = req.extensions().get::<RequestIdValue>().cloned();
    let mut response = next.call(req).await?.map_into_boxed_body();
    if let Some(value) = id.and_then(|id| actix_web::http::header::HeaderValue::from_str(&id.0).ok()) {
        response.headers_mut().insert(
            actix_web::http::header::HeaderName::from_static(REQUEST_ID_HEADER),
            value,
        );
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use opentelemetry::trace::TraceContextExt as _;
    use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
    use tracing_subscriber::layer::SubscriberExt;

    use super::*;

    #[test]
    fn the_database_driver_never_logs_below_info_whatever_the_level() {
        let lines = crate::test_log::Lines::default();
        let writer = lines.clone();
        let subscriber = tracing_subscriber::registry()
            .with(log_filter("debug").expect("a filter"))
            .with(tracing_subscriber::fmt::layer().with_writer(move || writer.clone()));
        tracing::subscriber::with_default(subscriber, || {
            tracing::debug!(target: "tokio_postgres::query", "executing statement s1 with parameters: [\"$argon2id$secret\"]");
            tracing::debug!(target: "palettes::service", "a debug line of our own");
        });
        let logged = lines.text();
        assert!(!logged.contains("argon2id"), "{logged}");
        assert!(logged.contains("a debug line of our own"), "{logged}");
    }

    #[actix_web::test]
    async fn a_request_span_continues_the_callers_traceparent() {
        let exporter = InMemorySpanExporter::default();
        let provider = SdkTracerProvider::builder()
            .with_simple_exporter(exporter.clone())
            .build();
        opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
        let subscriber =
            tracing_subscriber::registry().with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
        // The test runtime runs on this thread: the subscriber sees the request.
        let _subscriber = tracing::subscriber::set_default(subscriber);
        let app = actix_web::test::init_service(
            actix_web::App::new()
                .wrap(tracing_actix_web::TracingLogger::<RequestSpan>::new())
                .route(
                    "/things/{id}",
                    actix_web::web::get()
                        .to(|| async { Span::current().context().span().span_context().trace_id().to_string() }),
                ),
        )
        .await;
        let request = actix_web::test::TestRequest::get()
            .uri("/things/7")
            .insert_header(("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"))
            .to_request();
        let seen = actix_web::test::call_and_read_body(&app, request).await;
        assert_eq!(
            seen, "4bf92f3577b34da6a3ce929d0e0e4736",
            "the handler runs in the caller's trace"
        );
        let spans = exporter.get_finished_spans().expect("spans");
        let span = spans.first().expect("the request span was exported");
        assert_eq!(
            span.span_context.trace_id().to_string(),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
        assert_eq!(span.parent_span_id.to_string(), "00f067aa0ba902b7");
        assert_eq!(span.name, "GET /things/{id}", "named by its route, not its path");
    }
}
