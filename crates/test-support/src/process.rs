//! The server binary as a process of its own, for what only the process
//! does (signals, its log): a free port to give it, and a guard that kills
//! it if the test ends first.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A loopback port free right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address: SocketAddr| address.port())
        .expect("a free port")
}

/// A running server process, killed and reaped when dropped.
#[derive(Debug)]
pub struct ServerProcess(pub Child);

impl ServerProcess {
    /// Starts `command` (the binary with its environment and output set).
    pub fn spawn(command: &mut Command) -> Self {
        Self(command.spawn().expect("starting the server"))
    }

    /// Sends SIGTERM, as an orchestrator stopping it would.
    pub fn terminate(&self) {
        let sent = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status()
            .expect("kill");
        assert!(sent.success(), "kill -TERM failed");
    }

    /// Waits for the process to exit, successfully, within `limit`.
    pub fn assert_exits_within(&mut self, limit: Duration) {
        let started = Instant::now();
        loop {
            if let Some(status) = self.0.try_wait().expect("waiting") {
                assert!(status.success(), "{status}");
                return;
            }
            assert!(started.elapsed() < limit, "the server is still running after {limit:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The server binary on a free port with its JSON log in a file of its own,
/// for tests that read what it logged.
#[derive(Debug)]
pub struct LoggedServer {
    /// The port it serves on.
    pub port: u16,
    log_path: PathBuf,
    process: Option<ServerProcess>,
}

impl LoggedServer {
    /// Starts `binary` on `database_url` with `LOG_FORMAT=json` and `envs`,
    /// and waits until `/healthz` answers 200.
    pub async fn start(binary: &str, database_url: &str, envs: &[(&str, &str)]) -> Self {
        let port = free_port();
        let log_path = std::env::temp_dir().join(format!("palette-api-{port}.log"));
        let log = std::fs::File::create(&log_path).expect("a log file");
        let mut command = Command::new(binary);
        command
            .env("DATABASE_URL", database_url)
            .env("BIND_ADDR", format!("127.0.0.1:{port}"))
            .env("LOG_FORMAT", "json")
            .envs(envs.iter().copied())
            .stdout(Stdio::from(log.try_clone().expect("the log file")))
            .stderr(Stdio::from(log));
        let server = Self {
            port,
            log_path,
            process: Some(ServerProcess::spawn(&mut command)),
        };
        let started = Instant::now();
        while !server.healthy() {
            assert!(started.elapsed() < Duration::from_secs(20), "the server did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        server
    }

    fn healthy(&self) -> bool {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
        let mut answer = Vec::new();
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            .and_then(|()| stream.read_to_end(&mut answer))
            .is_ok()
            && answer.starts_with(b"HTTP/1.1 200")
    }

    /// Stops the server and returns everything it logged.
    pub async fn stop(mut self) -> String {
        // What the last requests logged reaches the file first.
        tokio::time::sleep(Duration::from_millis(300)).await;
        drop(self.process.take());
        std::fs::read_to_string(&self.log_path).expect("the log")
    }
}

impl Drop for LoggedServer {
    fn drop(&mut self) {
        drop(self.process.take());
        let _ = std::fs::remove_file(&self.log_path);
    }
}
