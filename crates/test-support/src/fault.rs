//! A fault proxy: a small TCP proxy between the app and PostgreSQL that a
//! test can cut (every connection closed, new ones refused), stall (bytes
//! held both ways, connections left open, as a database whose processes
//! are stopped) and heal.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// What the proxy does with traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Passes bytes through.
    None,
    /// Holds bytes both ways; connections stay open.
    Stall,
    /// Closes every connection and refuses new ones.
    Cut,
}

/// A running proxy to one address; it stops when dropped.
#[derive(Debug)]
pub struct FaultProxy {
    address: SocketAddr,
    fault: watch::Sender<Fault>,
    accept: tokio::task::JoinHandle<()>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.accept.abort();
        // Ends every connection's pumps.
        self.fault.send_replace(Fault::Cut);
    }
}

impl FaultProxy {
    /// A proxy on a free loopback port to `target` (inside a Tokio runtime).
    pub fn start(target: SocketAddr) -> Self {
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).expect("binding the fault proxy");
        listener.set_nonblocking(true).expect("a non-blocking listener");
        let address = listener.local_addr().expect("the proxy's address");
        let listener = TcpListener::from_std(listener).expect("a Tokio listener");
        let (fault, _) = watch::channel(Fault::None);
        let faults = fault.clone();
        let accept = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if *faults.borrow() == Fault::Cut {
                    continue;
                }
                tokio::spawn(relay(client, target, faults.subscribe()));
            }
        });
        Self { address, fault, accept }
    }

    /// A proxy to the PostgreSQL of `database_url`, and that URL through it.
    pub fn for_database(database_url: &str) -> (Self, String) {
        let (scheme, rest) = database_url.split_once("://").expect("a URL");
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let (credentials, host_port) = match authority.rsplit_once('@') {
            Some((credentials, host_port)) => (Some(credentials), host_port),
            None => (None, authority),
        };
        let (host, port) = host_port.rsplit_once(':').unwrap_or((host_port, "5432"));
        let host = if host == "localhost" { "127.0.0.1" } else { host };
        let target: SocketAddr = format!("{host}:{port}").parse().expect("a numeric database address");
        let proxy = Self::start(target);
        let credentials = credentials.map(|c| format!("{c}@")).unwrap_or_default();
        let url = format!("{scheme}://{credentials}127.0.0.1:{}/{path}", proxy.address.port());
        (proxy, url)
    }

    /// Where the proxy listens.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Closes every connection and refuses new ones until [`FaultProxy::heal`].
    pub fn cut(&self) {
        self.fault.send_replace(Fault::Cut);
    }

    /// Holds every byte until [`FaultProxy::heal`].
    pub fn stall(&self) {
        self.fault.send_replace(Fault::Stall);
    }

    /// Passes traffic again.
    pub fn heal(&self) {
        self.fault.send_replace(Fault::None);
    }
}

/// Relays one connection until either side closes or the proxy cuts it.
async fn relay(client: TcpStream, target: SocketAddr, faults: watch::Receiver<Fault>) {
    let Ok(server) = TcpStream::connect(target).await else {
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    tokio::select! {
        () = pump(client_read, server_write, faults.clone()) => {}
        () = pump(server_read, client_write, faults) => {}
    }
}

/// Copies one direction, holding bytes while stalled and stopping when cut.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    mut faults: watch::Receiver<Fault>,
) {
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        if !passing(&mut faults).await {
            return;
        }
        let read = tokio::select! {
            read = from.read(&mut buffer) => read,
            changed = faults.changed() => {
                if changed.is_err() {
                    return;
                }
                continue;
            }
        };
        let n = match read {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        // Bytes read just before a stall are held too.
        if !passing(&mut faults).await {
            return;
        }
        if to.write_all(&buffer[..n]).await.is_err() {
            return;
        }
    }
}

/// Waits out a stall: `true` once traffic passes, `false` on a cut.
async fn passing(faults: &mut watch::Receiver<Fault>) -> bool {
    loop {
        let fault = *faults.borrow_and_update();
        match fault {
            Fault::Cut => return false,
            Fault::None => return true,
            Fault::Stall => {
                if faults.changed().await.is_err() {
                    return false;
                }
            }
        }
    }
}
