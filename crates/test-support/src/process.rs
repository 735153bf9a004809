//! The server binary as a process of its own, for what only the process
//! does (signals, its log): a free port to give it, and a guard that kills
//! it if the test ends first.

use std::net::SocketAddr;
use std::process::{Child, Command};

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
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
