//! Logging through `tracing`, and OpenTelemetry export over OTLP/HTTP when
//! an OTLP endpoint is configured: traces (request spans continue a
//! caller's W3C `traceparent`; the database's statements are spans under
//! them), the HTTP server metrics of the semantic conventions, and every
//! log line, with the trace and span it was written in.

use std::sync::atomic::{AtomicBool, Ordering};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::HeaderMap;
use actix_web::HttpMessage;
use opentelemetry::propagation::Extractor;
use opentelemetry::trace::{TraceContextExt as _, TracerProvider as _};
use opentelemetry_appender_tracing::layer::OpenTelemetryTracingBridge;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::logs::{LogBatch, LogExporter, SdkLoggerProvider};
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider, Temporality};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanData, SpanExporter};
use opentelemetry_sdk::Resource;
use tracing::{Metadata, Span};
use tracing_actix_web::{DefaultRootSpanBuilder, RootSpanBuilder};
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::config::{LogFormat, Settings};

/// The target of what the server says about its own telemetry.
const TARGET: &str = "palette_api::telemetry";

/// The OpenTelemetry providers, one per signal exported.
#[derive(Debug, Default)]
struct Providers {
    traces: Option<SdkTracerProvider>,
    metrics: Option<SdkMeterProvider>,
    logs: Option<SdkLoggerProvider>,
}

/// Flushes what is left to export (spans, metrics, log records) and stops
/// the exporters when dropped; keep it alive until the server stopped.
#[must_use = "telemetry is flushed when the guard is dropped"]
pub struct TelemetryGuard {
    providers: Providers,
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        let Providers { traces, metrics, logs } = std::mem::take(&mut self.providers);
        // Side by side, so that an unreachable collector delays the exit by
        // one export timeout, not three.
        std::thread::scope(|scope| {
            if let Some(provider) = traces {
                scope.spawn(move || stopped("traces", provider.shutdown()));
            }
            if let Some(provider) = metrics {
                scope.spawn(move || stopped("metrics", provider.shutdown()));
            }
            if let Some(provider) = logs {
                scope.spawn(move || stopped("logs", provider.shutdown()));
            }
        });
    }
}

/// Says when a signal's last export did not finish in time; a failed one
/// was said by [`ExportHealth`].
fn stopped(signal: &'static str, result: OTelSdkResult) {
    match result {
        Ok(()) => {}
        Err(OTelSdkError::Timeout(waited)) => tracing::warn!(
            target: TARGET,
            signal,
            ?waited,
            "the last OpenTelemetry export did not finish before the exit"
        ),
        Err(error) => tracing::debug!(target: TARGET, signal, %error, "stopping the OpenTelemetry export"),
    }
}

/// The log filter of `LOG_LEVEL`, with the database driver held at `info`
/// whatever it says: at `debug` the driver logs every statement's
/// parameters, which hold password and token hashes.
fn log_filter(directives: &str) -> anyhow::Result<EnvFilter> {
    let directives = format!("{directives},tokio_postgres=info");
    EnvFilter::try_new(&directives).map_err(|e| anyhow::anyhow!("invalid log filter `{directives}`: {e}"))
}

/// Whether `meta` comes from the crates that export telemetry (the
/// OpenTelemetry SDK and its HTTP client): exporting their spans and log
/// lines would make more of them, without end.
fn is_from_the_exporter(meta: &Metadata<'_>) -> bool {
    let krate = meta.target().split("::").next().unwrap_or_default();
    krate.starts_with("opentelemetry")
        || ["reqwest", "hyper", "h2", "tower"]
            .iter()
            .any(|name| krate == *name || krate.strip_prefix(name).is_some_and(|rest| rest.starts_with('_')))
}

/// Installs the global subscriber: text or JSON lines on stdout, filtered by
/// `LOG_LEVEL` (or `RUST_LOG`), plus OTLP/HTTP export of traces, metrics and
/// logs when `OTEL_EXPORTER_OTLP_ENDPOINT` is set (the exporters read the
/// other standard `OTEL_*` variables themselves; `OTEL_TRACES_EXPORTER`,
/// `OTEL_METRICS_EXPORTER` or `OTEL_LOGS_EXPORTER` set to `none` leaves
/// that signal out).
pub fn init(settings: &Settings) -> anyhow::Result<TelemetryGuard> {
    let filter = log_filter(&settings.log_filter())?;
    let fmt = match settings.log_format {
        LogFormat::Text => tracing_subscriber::fmt::layer().boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer().json().flatten_event(true).boxed(),
    }
    .with_filter(filter_fn(|meta| !crate::http_faults::is_http_layer_error(meta)));
    let providers = match settings.otel_exporter_otlp_endpoint {
        Some(_) => otlp_providers()?,
        None => Providers::default(),
    };
    let traces = providers.traces.as_ref().map(|provider| {
        tracing_opentelemetry::layer()
            .with_tracer(provider.tracer("palette-api"))
            // Entering a span makes its context current: log records and
            // the database's statement spans find their trace through it.
            .with_context_activation(true)
            .with_filter(filter_fn(|meta| !is_from_the_exporter(meta)))
    });
    // The same lines as stdout's, less the exporter's own.
    let logs = providers.logs.as_ref().map(|provider| {
        OpenTelemetryTracingBridge::new(provider).with_filter(filter_fn(|meta| {
            !crate::http_faults::is_http_layer_error(meta) && !is_from_the_exporter(meta)
        }))
    });
    tracing_subscriber::registry()
        .with(filter)
        .with(fmt)
        .with(crate::http_faults::ClientFaults::new())
        // A request's logged errors, for its Sentry report if it ends in a 500.
        .with(crate::error_reporting::RequestErrors)
        .with(traces)
        .with(logs)
        .try_init()?;
    let signals: Vec<&str> = [
        providers.traces.as_ref().map(|_| "traces"),
        providers.metrics.as_ref().map(|_| "metrics"),
        providers.logs.as_ref().map(|_| "logs"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !signals.is_empty() {
        // The endpoint is not logged: its URL may carry credentials.
        tracing::info!(target: TARGET, signals = signals.join(", "), "exporting over OTLP/HTTP");
    }
    Ok(TelemetryGuard { providers })
}

/// Whether a signal is exported: unless `OTEL_<SIGNAL>_EXPORTER` says `none`.
fn exported(variable: &str) -> bool {
    std::env::var(variable).map_or(true, |value| !value.trim().eq_ignore_ascii_case("none"))
}

/// The error of an exporter that cannot be built: said without the
/// exporter's own message, which quotes the endpoint's URL (and any
/// credentials in it).
fn unusable_endpoint(signal: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "cannot export {signal} over OTLP/HTTP: OTEL_EXPORTER_OTLP_ENDPOINT (or its per-signal variable) \
         is not a usable URL, or an OTEL_EXPORTER_OTLP_* setting is invalid"
    )
}

/// A provider per exported signal, each sending to its OTLP/HTTP exporter
/// through an [`ExportHealth`] watch; the tracer and meter providers become
/// the global ones (the database's statement spans and the request metrics
/// use them).
fn otlp_providers() -> anyhow::Result<Providers> {
    // The exporters read the endpoint, headers, timeout and compression from
    // the standard OTEL_* variables; the processors and the reader read their
    // delays and intervals (OTEL_BSP_*, OTEL_BLRP_*, OTEL_METRIC_EXPORT_*).
    let resource = resource();
    let mut providers = Providers::default();
    if exported("OTEL_TRACES_EXPORTER") {
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .build()
            .map_err(|_| unusable_endpoint("traces"))?;
        let provider = SdkTracerProvider::builder()
            .with_batch_exporter(Watched::new("traces", exporter))
            .with_resource(resource.clone())
            .build();
        opentelemetry::global::set_tracer_provider(provider.clone());
        opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
        providers.traces = Some(provider);
    }
    if exported("OTEL_METRICS_EXPORTER") {
        let exporter = opentelemetry_otlp::MetricExporter::builder()
            .with_http()
            .build()
            .map_err(|_| unusable_endpoint("metrics"))?;
        let provider = SdkMeterProvider::builder()
            .with_reader(PeriodicReader::builder(Watched::new("metrics", exporter)).build())
            .with_resource(resource.clone())
            .build();
        opentelemetry::global::set_meter_provider(provider.clone());
        providers.metrics = Some(provider);
    }
    if exported("OTEL_LOGS_EXPORTER") {
        let exporter = opentelemetry_otlp::LogExporter::builder()
            .with_http()
            .build()
            .map_err(|_| unusable_endpoint("logs"))?;
        let provider = SdkLoggerProvider::builder()
            .with_batch_exporter(Watched::new("logs", exporter))
            .with_resource(resource)
            .build();
        providers.logs = Some(provider);
    }
    Ok(providers)
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

/// Whether one signal's exports work, so that an outage is logged once: a
/// warning when exports start failing, a line at `info` when one succeeds
/// again, and nothing for the exports in between. The error names what
/// failed (a status, a refused connection), never the endpoint or its
/// headers, which may carry credentials.
#[derive(Debug)]
struct ExportHealth {
    signal: &'static str,
    failing: AtomicBool,
}

impl ExportHealth {
    fn new(signal: &'static str) -> Self {
        Self {
            signal,
            failing: AtomicBool::new(false),
        }
    }

    /// Notes an export's result, and says when it changes the state.
    fn record(&self, result: &OTelSdkResult) {
        let signal = self.signal;
        match result {
            Ok(()) => {
                if self.failing.swap(false, Ordering::Relaxed) {
                    tracing::info!(target: TARGET, signal, "OpenTelemetry export works again");
                }
            }
            Err(error) => {
                if !self.failing.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        target: TARGET,
                        signal,
                        %error,
                        "OpenTelemetry export failing; this signal's data is dropped until it works again"
                    );
                }
            }
        }
    }
}

/// An exporter whose results an [`ExportHealth`] watches; it is the same
/// for the three signals.
#[derive(Debug)]
struct Watched<E> {
    inner: E,
    health: ExportHealth,
}

impl<E> Watched<E> {
    fn new(signal: &'static str, inner: E) -> Self {
        Self {
            inner,
            health: ExportHealth::new(signal),
        }
    }
}

impl<E: SpanExporter> SpanExporter for Watched<E> {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let result = self.inner.export(batch).await;
        self.health.record(&result);
        result
    }

    fn shutdown_with_timeout(&self, timeout: std::time::Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

impl<E: PushMetricExporter> PushMetricExporter for Watched<E> {
    async fn export(&self, metrics: &ResourceMetrics) -> OTelSdkResult {
        let result = self.inner.export(metrics).await;
        self.health.record(&result);
        result
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: std::time::Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn temporality(&self) -> Temporality {
        self.inner.temporality()
    }
}

impl<E: LogExporter> LogExporter for Watched<E> {
    async fn export(&self, batch: LogBatch<'_>) -> OTelSdkResult {
        let result = self.inner.export(batch).await;
        self.health.record(&result);
        result
    }

    fn shutdown_with_timeout(&self, timeout: std::time::Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn event_enabled(&self, level: opentelemetry::logs::Severity, target: &str, name: Option<&str>) -> bool {
        self.inner.event_enabled(level, target, name)
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
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

/// When a request began, for the access log's latency, and the route its
/// path matched as it came (the span is named by it until the request is
/// routed).
#[derive(Debug, Clone)]
struct RequestStart {
    at: std::time::Instant,
    route: Option<String>,
}

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
        // A path with a trailing slash, or an alias, matches no route yet: the
        // versioning middleware, inside this span, rewrites it before routing.
        let route = request.match_pattern();
        request.extensions_mut().insert(RequestStart {
            at: std::time::Instant::now(),
            route: route.clone(),
        });
        // Active until the request is dropped, however it ends.
        if let Some(metrics) = request.app_data::<actix_web::web::Data<crate::metrics::Metrics>>() {
            let active = metrics
                .clone()
                .into_inner()
                .begin(request.method().as_str(), scheme(request.app_config()));
            request.extensions_mut().insert(active);
        }
        let span = root_span(request, route.as_deref(), &request_id);
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
                .map(|start| start.at.elapsed().as_secs_f64() * 1000.0)
        });
        let route_at_start = extensions
            .as_ref()
            .and_then(|e| e.get::<RequestStart>().and_then(|start| start.route.clone()));
        let user_id = extensions
            .as_ref()
            .and_then(|e| e.get::<kernel::RequestUser>().map(|user| user.0));
        drop(extensions);
        // Known once routed; the span was named by the route the path
        // matched as it came, if any.
        let matched = request.and_then(actix_web::HttpRequest::match_pattern);
        if let (Some(route), Some(request)) = (&matched, request) {
            if route_at_start.as_ref() != Some(route) {
                span.record("http.route", route.as_str());
                // The OpenTelemetry span started when the request's span was
                // first entered; from then on `otel.name` no longer renames it.
                span.context()
                    .span()
                    .update_name(format!("{} {route}", request.method()));
            }
        }
        let metrics = request.and_then(|r| r.app_data::<actix_web::web::Data<crate::metrics::Metrics>>());
        if let (Some(metrics), Some(request), Some(ms)) = (metrics, request, latency_ms) {
            metrics.observe(
                &crate::metrics::ServedRequest {
                    method: request.method().as_str(),
                    route: matched.as_deref(),
                    status,
                    scheme: scheme(request.app_config()),
                },
                ms / 1000.0,
            );
        }
        let route = matched.unwrap_or_else(|| "unmatched".to_owned());
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

/// The longest method or target a log line or span keeps (a client's
/// URL can be 8 KiB and more, its method anything): the rest is cut, with `…`.
const LOGGED_BYTES: usize = 2048;

/// `value`, cut to [`LOGGED_BYTES`] at a character boundary.
fn bounded(value: &str) -> std::borrow::Cow<'_, str> {
    if value.len() <= LOGGED_BYTES {
        return value.into();
    }
    let mut end = LOGGED_BYTES;
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &value[..end]).into()
}

/// A request's span: tracing-actix-web's fields (its `root_span!`, which
/// would name an unmatched route `default`: a span attribute is added, not
/// replaced, when recorded again), named `METHOD route`, or `METHOD` while
/// the path matches no route.
fn root_span(request: &ServiceRequest, route: Option<&str>, request_id: &str) -> Span {
    let method = request.method().as_str();
    let name = match route {
        Some(route) => format!("{} {route}", bounded(method)),
        None => bounded(method).into_owned(),
    };
    let connection_info = request.connection_info();
    let user_agent = request
        .headers()
        .get(actix_web::http::header::USER_AGENT)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let flavor = match request.version() {
        actix_web::http::Version::HTTP_09 => "0.9",
        actix_web::http::Version::HTTP_10 => "1.0",
        actix_web::http::Version::HTTP_11 => "1.1",
        actix_web::http::Version::HTTP_2 => "2.0",
        actix_web::http::Version::HTTP_3 => "3.0",
        _ => "",
    };
    let generated = request
        .extensions()
        .get::<tracing_actix_web::RequestId>()
        .map(ToString::to_string)
        .unwrap_or_default();
    tracing::info_span!(
        "HTTP request",
        http.method = &*bounded(method),
        http.route = route,
        http.flavor = flavor,
        http.scheme = connection_info.scheme(),
        http.host = connection_info.host(),
        http.client_ip = connection_info.realip_remote_addr().unwrap_or_default(),
        http.user_agent = user_agent,
        http.target = &*bounded(request.uri().path_and_query().map_or("", |target| target.as_str())),
        http.status_code = tracing::field::Empty,
        otel.name = name,
        otel.kind = "server",
        otel.status_code = tracing::field::Empty,
        request_id = generated,
        exception.message = tracing::field::Empty,
        exception.details = tracing::field::Empty,
        x_request_id = request_id,
    )
}

/// The scheme a request came in with (`url.scheme`): `https` on a TLS listener.
fn scheme(config: &actix_web::dev::AppConfig) -> &'static str {
    if config.secure() {
        "https"
    } else {
        "http"
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
    fn a_clients_method_and_target_are_logged_bounded() {
        assert_eq!(bounded("/api/teams/?limit=2"), "/api/teams/?limit=2");
        let long = "é".repeat(LOGGED_BYTES);
        let cut = bounded(&long);
        assert!(
            cut.len() <= LOGGED_BYTES + "…".len() && cut.ends_with('…'),
            "{}",
            cut.len()
        );
    }

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

    #[actix_web::test]
    async fn a_path_routed_without_its_trailing_slash_is_named_by_the_route() {
        let exporter = InMemorySpanExporter::default();
        let provider = SdkTracerProvider::builder()
            .with_simple_exporter(exporter.clone())
            .build();
        let subscriber = tracing_subscriber::registry().with(
            tracing_opentelemetry::layer()
                .with_tracer(provider.tracer("test"))
                .with_context_activation(true),
        );
        let _subscriber = tracing::subscriber::set_default(subscriber);
        let app = actix_web::test::init_service(
            actix_web::App::new()
                // Inside the span, as the versioning middleware is in the app.
                .wrap(actix_web::middleware::NormalizePath::trim())
                .wrap(tracing_actix_web::TracingLogger::<RequestSpan>::new())
                .route("/things/{id}", actix_web::web::get().to(|| async { "a thing" })),
        )
        .await;
        let request = actix_web::test::TestRequest::get().uri("/things/7/").to_request();
        let _ = actix_web::test::call_and_read_body(&app, request).await;
        let request = actix_web::test::TestRequest::get().uri("/nothing/here").to_request();
        let _ = actix_web::test::call_and_read_body(&app, request).await;
        let names: Vec<_> = exporter
            .get_finished_spans()
            .expect("spans")
            .into_iter()
            .map(|span| span.name)
            .collect();
        assert_eq!(names, ["GET /things/{id}", "GET"], "no route: the method alone");
    }

    #[test]
    fn an_outage_is_said_once_when_it_starts_and_once_when_it_ends() {
        let lines = crate::test_log::Lines::default();
        let writer = lines.clone();
        let subscriber = tracing_subscriber::registry().with(
            tracing_subscriber::fmt::layer()
                .json()
                .flatten_event(true)
                .with_writer(move || writer.clone()),
        );
        let health = ExportHealth::new("traces");
        let refused = || {
            Err(OTelSdkError::InternalFailure(
                "HTTP export failed with status code: 503".into(),
            ))
        };
        tracing::subscriber::with_default(subscriber, || {
            health.record(&Ok(()));
            for _ in 0..3 {
                health.record(&refused());
            }
            for _ in 0..2 {
                health.record(&Ok(()));
            }
            health.record(&refused());
        });
        let said: Vec<serde_json::Value> = lines
            .text()
            .lines()
            .map(|line| serde_json::from_str(line).expect("a JSON line"))
            .collect();
        let levels: Vec<&str> = said.iter().filter_map(|line| line["level"].as_str()).collect();
        assert_eq!(levels, ["WARN", "INFO", "WARN"], "{said:#?}");
        assert!(said
            .iter()
            .all(|line| line["signal"] == "traces" && line["target"] == TARGET));
        assert_eq!(
            said[0]["error"], "Operation failed: HTTP export failed with status code: 503",
            "{said:#?}"
        );
    }

    #[test]
    fn the_exporters_own_lines_are_not_exported() {
        let lines = crate::test_log::Lines::default();
        let writer = lines.clone();
        let subscriber = tracing_subscriber::registry().with(
            tracing_subscriber::fmt::layer()
                .with_writer(move || writer.clone())
                .with_filter(filter_fn(|meta| !is_from_the_exporter(meta))),
        );
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(target: "opentelemetry_sdk", "from the sdk");
            tracing::info!(target: "opentelemetry-otlp", "from the exporter");
            tracing::info!(target: "reqwest::connect", "from reqwest");
            tracing::info!(target: "hyper_util::client::legacy", "from hyper-util");
            tracing::info!(target: "h2::codec", "from h2");
            tracing::info!(target: "tower::buffer", "from tower");
            tracing::info!(target: "palette_api::access", "a request");
            tracing::info!(target: "hyperlinks", "not hyper's");
        });
        let logged = lines.text();
        assert!(!logged.contains("from "), "{logged}");
        assert!(
            logged.contains("a request") && logged.contains("not hyper's"),
            "{logged}"
        );
    }
}
