//! The load client of `scripts/bench events`: opens many event streams,
//! drives a writer, and measures every delivery.
//!
//! ```text
//! cargo run --release -p events --example stream_load -- \
//!     ADDRESS TOKENS_FILE WRITER_TOKEN PALETTE_IDS CHANGES_PER_SEC SECONDS [SERVER_PID]
//! ```
//!
//! `TOKENS_FILE` holds one Bearer token a line, one stream each (the
//! streams' users share the writer's team); `PALETTE_IDS` is a
//! comma-separated list of that team's palettes, which the writer updates in
//! turn at `CHANGES_PER_SEC` for `SECONDS`. For each delivery of an update
//! the client records the delay from the writer's 2xx to the event's arrival
//! (both seen in this process, on one clock); an update some stream never
//! received is lost. It prints one line of JSON with the figures.
//!
//! HTTP is spoken directly over TCP (HTTP/1.1, the stream chunked), which
//! keeps the client's own cost per delivery small next to the server's.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// One stream's deliveries: (palette id, revision, arrival).
type Deliveries = Vec<(i64, i64, Instant)>;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 7 {
        eprintln!(
            "usage: stream_load ADDRESS TOKENS_FILE WRITER_TOKEN PALETTE_IDS CHANGES_PER_SEC SECONDS [SERVER_PID]"
        );
        std::process::exit(2);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run(args));
}

async fn run(args: Vec<String>) {
    let address = args[1].clone();
    let tokens: Vec<String> = std::fs::read_to_string(&args[2])
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    let writer_token = args[3].clone();
    let palettes: Vec<i64> = args[4].split(',').map(|id| id.parse().unwrap()).collect();
    let rate: f64 = args[5].parse().unwrap();
    let seconds: u64 = args[6].parse().unwrap();
    let server_pid: Option<u32> = args.get(7).and_then(|pid| pid.parse().ok());

    // Open every stream (in batches, as clients arrive), each up to `ready`.
    let opened = Instant::now();
    let mut readers = Vec::new();
    for batch in tokens.chunks(250) {
        let mut ready = Vec::new();
        for token in batch {
            let (sender, receiver) = tokio::sync::oneshot::channel();
            let deliveries: Arc<Mutex<Deliveries>> = Arc::default();
            let task = tokio::spawn(read_stream(address.clone(), token.clone(), sender, deliveries.clone()));
            readers.push((task, deliveries));
            ready.push(receiver);
        }
        for receiver in ready {
            receiver.await.expect("a stream failed to open");
        }
    }
    let open_secs = opened.elapsed().as_secs_f64();
    let (cpu_before, measured_from) = (server_pid.map(cpu_seconds), Instant::now());

    // The writer: one update every 1/rate s, each 2xx timed.
    let written: Arc<Mutex<HashMap<(i64, i64), Instant>>> = Arc::default();
    let mut writer = Writer::connect(&address, &writer_token).await;
    let mut ticks = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut turn = 0;
    let mut failed = 0;
    while Instant::now() < deadline {
        ticks.tick().await;
        let id = palettes[turn % palettes.len()];
        turn += 1;
        match writer.update(id, turn).await {
            Some(revision) => {
                written.lock().unwrap().insert((id, revision), Instant::now());
            }
            None => failed += 1,
        }
    }
    let write_secs = measured_from.elapsed().as_secs_f64();
    let cpu = cpu_before
        .zip(server_pid)
        .map(|(before, pid)| (cpu_seconds(pid) - before) / write_secs);
    // Let the last deliveries arrive, then close.
    tokio::time::sleep(Duration::from_secs(2)).await;
    for (task, _) in &readers {
        task.abort();
    }
    let peak_rss_mib = server_pid.and_then(peak_rss_mib);

    let written = written.lock().unwrap().clone();
    let mut delays = Vec::new();
    let mut lost = 0_u64;
    let mut early = 0_u64;
    for (_, deliveries) in readers {
        let deliveries = std::mem::take(&mut *deliveries.lock().unwrap());
        let mut seen: HashMap<(i64, i64), Instant> = HashMap::with_capacity(deliveries.len());
        for (id, revision, at) in deliveries {
            seen.entry((id, revision)).or_insert(at);
        }
        for (key, acknowledged) in &written {
            match seen.get(key) {
                Some(at) if *at >= *acknowledged => delays.push(at.duration_since(*acknowledged)),
                // Delivered before the writer read its own 2xx.
                Some(_) => {
                    early += 1;
                    delays.push(Duration::ZERO);
                }
                None => lost += 1,
            }
        }
    }
    delays.sort();
    let quantile = |q: f64| {
        delays
            .get(((delays.len() as f64 * q) as usize).min(delays.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    let report = json!({
        "streams": tokens.len(),
        "open_seconds": round(open_secs),
        "changes": written.len(),
        "failed_writes": failed,
        "changes_per_sec": round(written.len() as f64 / write_secs),
        "deliveries": delays.len(),
        "deliveries_per_sec": round(delays.len() as f64 / write_secs),
        "delay_ms": {"p50": round(quantile(0.5)), "p99": round(quantile(0.99)), "max": round(quantile(1.0))},
        "delivered_before_the_writers_2xx": early,
        "lost": lost,
        "server_cpu_cores": cpu.map(round),
        "server_peak_rss_mib": peak_rss_mib.map(round),
    });
    println!("{report}");
}

fn round(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// Reads one stream for as long as it runs (the caller aborts it): every
/// `palette.updated`, with its arrival, into `deliveries`.
///
/// The frames are scanned, not parsed: the `data:` line of a
/// `palette.updated` holds `"palette":{"id":P,` and `"revision":R`.
async fn read_stream(
    address: String,
    token: String,
    ready: tokio::sync::oneshot::Sender<()>,
    deliveries: Arc<Mutex<Deliveries>>,
) {
    let mut socket = TcpStream::connect(&address).await.unwrap();
    let request = format!(
        "GET /api/events/ HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n"
    );
    socket.write_all(request.as_bytes()).await.unwrap();
    let mut ready = Some(ready);
    let mut buffer: Vec<u8> = Vec::with_capacity(16 * 1024);
    loop {
        if socket.read_buf(&mut buffer).await.unwrap_or(0) == 0 {
            return;
        }
        let at = Instant::now();
        // Whole lines only; a partial last line waits for the next read.
        let Some(end) = buffer.iter().rposition(|b| *b == b'\n') else {
            continue;
        };
        let lines = &buffer[..=end];
        if ready.is_some() && find(lines, b"event: ready").is_some() {
            if let Some(ready) = ready.take() {
                let _ = ready.send(());
            }
        }
        let mut found = Vec::new();
        let mut rest = lines;
        while let Some(start) = find(rest, b"event: palette.updated\ndata: ") {
            rest = &rest[start..];
            let data_end = rest
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .nth(1)
                .map_or(rest.len(), |(i, _)| i);
            let line = &rest[..data_end];
            let id = number_after(line, b"\"palette\":{\"id\":");
            if let (Some(id), Some(revision)) = (id, number_after(line, b"\"revision\":")) {
                found.push((id, revision, at));
            }
            rest = &rest[data_end..];
        }
        if !found.is_empty() {
            deliveries.lock().unwrap().extend(found);
        }
        buffer.drain(..=end);
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}

fn number_after(line: &[u8], key: &[u8]) -> Option<i64> {
    let start = find(line, key)? + key.len();
    let digits = line[start..].iter().take_while(|b| b.is_ascii_digit()).count();
    std::str::from_utf8(&line[start..start + digits]).ok()?.parse().ok()
}

/// One keep-alive connection that updates palettes.
struct Writer {
    socket: BufReader<TcpStream>,
    address: String,
    token: String,
}

impl Writer {
    async fn connect(address: &str, token: &str) -> Self {
        Self {
            socket: BufReader::new(TcpStream::connect(address).await.unwrap()),
            address: address.to_owned(),
            token: token.to_owned(),
        }
    }

    /// `PATCH`es palette `id`; its new revision on a 2xx.
    async fn update(&mut self, id: i64, turn: usize) -> Option<i64> {
        let body = json!({"description": format!("change {turn}")}).to_string();
        let request = format!(
            "PATCH /api/palettes/{id}/ HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\n\
             Accept: application/vnd.photoroom+json; version=2.0\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n{body}",
            self.address,
            self.token,
            body.len()
        );
        self.socket.get_mut().write_all(request.as_bytes()).await.ok()?;
        let mut status_line = String::new();
        self.socket.read_line(&mut status_line).await.ok()?;
        let mut length = 0;
        loop {
            let mut header = String::new();
            self.socket.read_line(&mut header).await.ok()?;
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut body = vec![0; length];
        self.socket.read_exact(&mut body).await.ok()?;
        if !status_line.starts_with("HTTP/1.1 2") {
            return None;
        }
        serde_json::from_slice::<Value>(&body).ok()?["revision"].as_i64()
    }
}

/// CPU seconds the process has used (user and system).
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // After the command's closing parenthesis: utime and stime are fields 12 and 13.
    (ticks(11) + ticks(12)) / 100.0
}

/// The process's peak resident memory, in MiB.
fn peak_rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}
