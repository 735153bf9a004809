//! The HTTP server around the application: actix-server accepts
//! connections, actix-http speaks HTTP/1.1 on them, or HTTP/2 when TLS
//! negotiated it (ALPN), with rustls when a certificate is configured.
//!
//! actix-web's `HttpServer` does the same, but hands the socket to
//! actix-http directly; here every HTTP/1.1 connection is read through
//! [`LongTargets`], so a URL too long for the HTTP layer gets the API's 414
//! instead of a bodyless 400. The settings are `HttpServer`'s defaults.

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_http::{HttpService, KeepAlive, Protocol};
use actix_server::Server;
use actix_service::{fn_service, map_config, IntoServiceFactory, ServiceFactoryExt};
use actix_web::dev::AppConfig;
use anyhow::Context as _;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

use crate::app::{build_app, AppState};
use crate::idle::Opened;
use crate::long_targets::LongTargets;

/// How long a client has to finish its TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(3);

/// How the server takes connections.
#[derive(Debug, Clone)]
pub struct ServeSettings {
    /// Worker threads.
    pub workers: usize,
    /// Connections open at once, all workers together.
    pub max_connections: usize,
    /// Time in-flight requests get to finish on SIGINT or SIGTERM.
    pub shutdown_timeout: Duration,
    /// HTTPS with this configuration, else plain HTTP.
    pub tls: Option<Arc<rustls::ServerConfig>>,
}

/// The TLS configuration of a PEM certificate chain and its private key:
/// TLS 1.2 and 1.3, HTTP/2 then HTTP/1.1 by ALPN.
pub fn tls_config(cert_file: &Path, key_file: &Path) -> anyhow::Result<rustls::ServerConfig> {
    let chain = CertificateDer::pem_file_iter(cert_file)
        .and_then(Iterator::collect::<Result<Vec<_>, _>>)
        .with_context(|| format!("reading the certificates in {}", cert_file.display()))?;
    anyhow::ensure!(!chain.is_empty(), "{} holds no certificate", cert_file.display());
    let key = PrivateKeyDer::from_pem_file(key_file)
        .with_context(|| format!("reading the private key in {}", key_file.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("choosing TLS versions")?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .context("the TLS certificate and key do not make a pair")?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// The server on `listener`, each worker running the application of `state`.
pub fn server(listener: TcpListener, settings: &ServeSettings, state: AppState) -> io::Result<Server> {
    let address = listener.local_addr()?;
    let builder = Server::build()
        .workers(settings.workers)
        // actix counts connections per worker.
        .max_concurrent_connections((settings.max_connections / settings.workers.max(1)).max(1))
        .shutdown_timeout(settings.shutdown_timeout.as_secs());
    let shutdown = builder.graceful_shutdown_signal();
    let connections = Arc::clone(state.connections());
    let acceptor = settings.tls.clone().map(TlsAcceptor::from);
    let secure = acceptor.is_some();
    builder
        .listen("palette-api", listener, move || {
            let state = state.clone();
            let shutdown = shutdown.clone();
            let mut http = HttpService::build()
                .keep_alive(KeepAlive::default())
                .client_request_timeout(Duration::from_secs(5))
                .client_disconnect_timeout(Duration::from_secs(1))
                .local_addr(address)
                // What the requests on a connection tell its idle tracking.
                .on_connect_ext(|io: &LongTargets<Transport>, extensions| {
                    if let Some(activity) = io.activity() {
                        extensions.insert(activity);
                    }
                })
                // Keep-alive connections close when the server stops.
                .graceful_shutdown_signal(move || {
                    let shutdown = shutdown.clone();
                    async move { shutdown.notified().await }
                });
            if secure {
                http = http.secure();
            }
            let app = build_app(&state).into_factory().map_err(|error| error.error_response());
            // What `HttpServer` gives each app (`https` when served over
            // TLS, this address): its constructor is crate-private, and this
            // one, which actix-web's own test server uses, is the way to it
            // from outside; Cargo.lock pins the release it was checked with.
            let config = AppConfig::__priv_test_new(secure, address.to_string(), address);
            let http = http.finish(map_config(app, move |()| config.clone()));
            let acceptor = acceptor.clone();
            let connections = Arc::clone(&connections);
            fn_service(move |stream: TcpStream| accept(stream, acceptor.clone(), connections.open()))
                .map_err(actix_http::error::DispatchError::Io)
                .and_then(http)
        })
        .map(actix_server::ServerBuilder::run)
}

/// A connection, with its TLS handshake done: the stream actix-http reads,
/// its protocol, and the client's address.
async fn accept(
    stream: TcpStream,
    acceptor: Option<TlsAcceptor>,
    connection: Opened,
) -> io::Result<(LongTargets<Transport>, Protocol, Option<SocketAddr>)> {
    let peer = stream.peer_addr().ok();
    // Event streams write small frames that must leave at once, not wait
    // for the client's delayed ACK (Nagle's algorithm).
    stream.set_nodelay(true)?;
    let Some(acceptor) = acceptor else {
        return Ok((
            LongTargets::new(Transport::Plain(stream), Some(connection)),
            Protocol::Http1,
            peer,
        ));
    };
    let stream = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream))
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "TLS handshake timed out"))??;
    let http2 = stream.get_ref().1.alpn_protocol() == Some(b"h2");
    let transport = Transport::Tls(Box::new(stream));
    Ok(if http2 {
        (LongTargets::through(transport, Some(connection)), Protocol::Http2, peer)
    } else {
        (LongTargets::new(transport, Some(connection)), Protocol::Http1, peer)
    })
}

/// A client connection, plain or over TLS.
#[derive(Debug)]
pub enum Transport {
    /// Plain TCP.
    Plain(TcpStream),
    /// TLS over TCP.
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for Transport {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(stream) => Pin::new(stream).poll_read(cx, buf),
            Self::Tls(stream) => Pin::new(stream.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Transport {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(stream) => Pin::new(stream).poll_write(cx, buf),
            Self::Tls(stream) => Pin::new(stream.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(stream) => Pin::new(stream).poll_write_vectored(cx, bufs),
            Self::Tls(stream) => Pin::new(stream.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Self::Plain(stream) => stream.is_write_vectored(),
            Self::Tls(stream) => stream.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(stream) => Pin::new(stream).poll_flush(cx),
            Self::Tls(stream) => Pin::new(stream.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(stream) => Pin::new(stream).poll_shutdown(cx),
            Self::Tls(stream) => Pin::new(stream.as_mut()).poll_shutdown(cx),
        }
    }
}
