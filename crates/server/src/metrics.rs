//! Prometheus metrics, served at `/metrics` (the `prometheus-client`
//! crate, Prometheus' own Rust client, does the encoding).
//!
//! - the HTTP server metrics of the OpenTelemetry semantic conventions:
//!   `http_server_request_duration_seconds` (a histogram by method, route
//!   pattern and status; its `_count` is the request count) and
//!   `http_server_active_requests`;
//! - read at each scrape: the database pool, password hashes waiting for a
//!   thread, login throttle refusals, open event streams, the teams cache,
//!   SQL statements sent;
//! - the process: CPU seconds, resident memory, open and most file
//!   descriptors (from `/proc`, on Linux), and the build.
//!
//! The HTTP server metrics are also OpenTelemetry instruments of the global
//! meter provider, `http.server.request.duration` and
//! `http.server.active_requests`, exported over OTLP when it is configured
//! (see `telemetry`); without it they cost next to nothing.

use std::sync::atomic::AtomicI64;
use std::sync::Arc;

use actix_web::web;
use database::Pool;
use opentelemetry::metrics::{Histogram as OtelHistogram, UpDownCounter};
use opentelemetry::KeyValue;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::{Registry, Unit};

/// The boundaries the semantic conventions advise for request durations, in seconds.
const DURATION_BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];

/// A request's labels.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    http_request_method: String,
    http_route: String,
    http_response_status_code: u16,
}

/// The registry and the metrics requests update.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    durations: Family<RequestLabels, Histogram>,
    active: Gauge<i64, AtomicI64>,
    otel: HttpInstruments,
}

/// The OpenTelemetry instruments of the same requests.
#[derive(Debug)]
struct HttpInstruments {
    durations: OtelHistogram<f64>,
    active: UpDownCounter<i64>,
}

impl HttpInstruments {
    /// The instruments, from the global meter provider (a no-op one until
    /// telemetry installs its own).
    fn new() -> Self {
        let meter = opentelemetry::global::meter("palette-api");
        Self {
            durations: meter
                .f64_histogram("http.server.request.duration")
                .with_unit("s")
                .with_description("Duration of HTTP server requests.")
                .with_boundaries(DURATION_BUCKETS.to_vec())
                .build(),
            active: meter
                .i64_up_down_counter("http.server.active_requests")
                .with_unit("{request}")
                .with_description("Number of active HTTP server requests.")
                .build(),
        }
    }
}

/// A served request, as its metrics describe it.
#[derive(Debug, Clone, Copy)]
pub struct ServedRequest<'a> {
    /// Its method.
    pub method: &'a str,
    /// The pattern of the route that served it; `None` when none did.
    pub route: Option<&'a str>,
    /// The response's status.
    pub status: u16,
    /// `http` or `https`.
    pub scheme: &'static str,
}

/// A method as the semantic conventions name it (`http.request.method`):
/// one of HTTP's own, else `_OTHER`, so that made-up methods cannot make
/// a series each.
fn known_method(method: &str) -> &'static str {
    match method {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        "CONNECT" => "CONNECT",
        "TRACE" => "TRACE",
        _ => "_OTHER",
    }
}

/// What the service's parts say at each scrape.
struct ServiceState {
    pool: web::Data<Pool>,
    auth: web::Data<accounts::Auth>,
    hub: web::Data<events::Hub>,
    team_cache: web::Data<teams::TeamCache>,
    connections: Arc<crate::idle::Connections>,
}

impl std::fmt::Debug for ServiceState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceState").finish_non_exhaustive()
    }
}

/// The process, from `/proc/self`.
#[derive(Debug)]
struct ProcessState;

/// A request being served; dropped when it is done, however it ends.
#[derive(Debug)]
pub struct ActiveRequest {
    metrics: Arc<Metrics>,
    attributes: [KeyValue; 2],
}

impl Drop for ActiveRequest {
    fn drop(&mut self) {
        self.metrics.active.dec();
        self.metrics.otel.active.add(-1, &self.attributes);
    }
}

impl Metrics {
    /// The metrics of a service made of these parts.
    pub fn new(
        pool: web::Data<Pool>,
        auth: web::Data<accounts::Auth>,
        hub: web::Data<events::Hub>,
        team_cache: web::Data<teams::TeamCache>,
        connections: Arc<crate::idle::Connections>,
    ) -> Self {
        let mut registry = Registry::default();
        let durations = Family::<RequestLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(DURATION_BUCKETS.iter().copied())
        });
        registry.register_with_unit(
            "http_server_request_duration",
            "Time to the response's head, by method, route pattern and status",
            Unit::Seconds,
            durations.clone(),
        );
        let active = Gauge::<i64, AtomicI64>::default();
        registry.register("http_server_active_requests", "Requests being served", active.clone());
        registry.register(
            "palette_api_build",
            "The running build",
            Info::new(vec![("version", env!("CARGO_PKG_VERSION"))]),
        );
        registry.register_collector(Box::new(ServiceState {
            pool,
            auth,
            hub,
            team_cache,
            connections,
        }));
        registry.register_collector(Box::new(ProcessState));
        Self {
            registry,
            durations,
            active,
            otel: HttpInstruments::new(),
        }
    }

    /// Counts a request (its method, and `http` or `https`) as being served
    /// until the returned guard is dropped.
    pub fn begin(self: &Arc<Self>, method: &str, scheme: &'static str) -> ActiveRequest {
        self.active.inc();
        let attributes = [
            KeyValue::new("http.request.method", known_method(method)),
            KeyValue::new("url.scheme", scheme),
        ];
        self.otel.active.add(1, &attributes);
        ActiveRequest {
            metrics: Arc::clone(self),
            attributes,
        }
    }

    /// Records a served request that took `seconds` to its response's head.
    pub fn observe(&self, request: &ServedRequest<'_>, seconds: f64) {
        self.durations
            .get_or_create(&RequestLabels {
                http_request_method: known_method(request.method).to_owned(),
                http_route: request.route.unwrap_or("unmatched").to_owned(),
                http_response_status_code: request.status,
            })
            .observe(seconds);
        let mut attributes = vec![
            KeyValue::new("http.request.method", known_method(request.method)),
            KeyValue::new("http.response.status_code", i64::from(request.status)),
            KeyValue::new("url.scheme", request.scheme),
        ];
        if let Some(route) = request.route {
            attributes.push(KeyValue::new("http.route", route.to_owned()));
        }
        // A server's error is its status (the client's, 4xx, are not).
        if request.status >= 500 {
            attributes.push(KeyValue::new("error.type", request.status.to_string()));
        }
        self.otel.durations.record(seconds, &attributes);
    }

    /// The Prometheus text format (0.0.4) of every metric.
    pub fn render(&self) -> String {
        let mut text = String::new();
        if let Err(error) = prometheus_client::encoding::prometheus_text::encode(&mut text, &self.registry) {
            tracing::warn!(%error, "encoding the metrics failed");
        }
        text
    }
}

fn gauge(encoder: &mut DescriptorEncoder, name: &str, help: &str, value: i64) -> Result<(), std::fmt::Error> {
    let metric = ConstGauge::new(value);
    metric.encode(encoder.encode_descriptor(name, help, None, metric.metric_type())?)
}

fn counter(encoder: &mut DescriptorEncoder, name: &str, help: &str, value: u64) -> Result<(), std::fmt::Error> {
    let metric = ConstCounter::new(value);
    metric.encode(encoder.encode_descriptor(name, help, None, metric.metric_type())?)
}

fn count(value: usize) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

impl Collector for ServiceState {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let status = self.pool.status();
        let e = &mut encoder;
        gauge(
            e,
            "palette_api_http_connections",
            "Client connections open now",
            count(self.connections.count()),
        )?;
        counter(
            e,
            "palette_api_http_idle_connections_closed",
            "Idle client connections closed to make room for new ones (MAX_CONNECTIONS)",
            self.connections.closed_idle(),
        )?;
        gauge(
            e,
            "palette_api_db_pool_max_size",
            "Most connections the pool opens",
            count(status.max_size),
        )?;
        gauge(
            e,
            "palette_api_db_pool_size",
            "Connections open now",
            count(status.size),
        )?;
        gauge(
            e,
            "palette_api_db_pool_available",
            "Idle connections ready for use",
            count(status.available),
        )?;
        gauge(
            e,
            "palette_api_db_pool_waiting",
            "Requests waiting for a connection",
            count(status.waiting),
        )?;
        counter(
            e,
            "palette_api_db_statements",
            "SQL statements sent to PostgreSQL",
            database::pool::statements_executed(),
        )?;
        gauge(
            e,
            "palette_api_password_hash_queue",
            "Password hashes and verifications waiting for a hashing thread",
            count(self.auth.hasher().queue_depth()),
        )?;
        counter(
            e,
            "palette_api_login_throttle_rejections",
            "Logins and password checks refused by the login throttle (429)",
            self.auth.throttle_rejections(),
        )?;
        gauge(
            e,
            "palette_api_event_streams",
            "Live event streams open on this instance",
            count(self.hub.open_streams()),
        )?;
        gauge(
            e,
            "palette_api_team_cache_live",
            "1 while change notices are heard and the teams cache is in use, else 0",
            i64::from(self.team_cache.is_live()),
        )
    }
}

/// USER_HZ, the unit of `/proc`'s CPU times: 100 on every Linux ABI.
const CLOCK_TICKS_PER_SECOND: f64 = 100.0;

impl Collector for ProcessState {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let e = &mut encoder;
        // `stat`: the fields after the command's closing parenthesis; utime and stime are the 12th and 13th.
        let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map_or("", |(_, rest)| rest)
            .split_whitespace()
            .collect();
        let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok());
        if let (Some(user), Some(system)) = (ticks(11), ticks(12)) {
            let metric = ConstCounter::new((user + system) / CLOCK_TICKS_PER_SECOND);
            metric.encode(e.encode_descriptor(
                "process_cpu_seconds",
                "User and system CPU time spent",
                None,
                metric.metric_type(),
            )?)?;
        }
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let rss_kib = status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<i64>().ok());
        if let Some(kib) = rss_kib {
            gauge(
                e,
                "process_resident_memory_bytes",
                "Resident memory size in bytes",
                kib * 1024,
            )?;
        }
        if let Ok(entries) = std::fs::read_dir("/proc/self/fd") {
            gauge(e, "process_open_fds", "Open file descriptors", count(entries.count()))?;
        }
        let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
        let most = limits
            .lines()
            .find(|line| line.starts_with("Max open files"))
            .and_then(|line| line.split_whitespace().nth(3))
            .and_then(|soft| soft.parse::<i64>().ok());
        if let Some(most) = most {
            gauge(e, "process_max_fds", "Most open file descriptors", most)?;
        }
        Ok(())
    }
}
