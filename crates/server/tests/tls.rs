//! HTTPS with rustls (`TLS_CERT_FILE`/`TLS_KEY_FILE`): HTTP/2 and HTTP/1.1
//! by ALPN, HSTS on every response, and the API's own errors over both.

use std::sync::Arc;

use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

/// A self-signed certificate for `localhost`, written where the server reads it.
struct Certificate {
    der: CertificateDer<'static>,
    cert_file: std::path::PathBuf,
    key_file: std::path::PathBuf,
}

impl Certificate {
    fn new() -> Self {
        let key = rcgen::KeyPair::generate().expect("a key");
        let params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).expect("parameters");
        let cert = params.self_signed(&key).expect("a certificate");
        let dir = std::env::temp_dir().join(format!("palette-api-tls-{}", test_support::process::free_port()));
        std::fs::create_dir_all(&dir).expect("a directory");
        let cert_file = dir.join("cert.pem");
        let key_file = dir.join("key.pem");
        std::fs::write(&cert_file, cert.pem()).expect("the certificate");
        std::fs::write(&key_file, key.serialize_pem()).expect("the key");
        Self {
            der: cert.der().clone(),
            cert_file,
            key_file,
        }
    }
}

impl Drop for Certificate {
    fn drop(&mut self) {
        if let Some(dir) = self.cert_file.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// A TLS connection to `port` that trusts `certificate` and offers `alpn`.
async fn connect(port: u16, certificate: &Certificate, alpn: &[u8]) -> TlsStream<TcpStream> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(certificate.der.clone()).expect("a root");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![alpn.to_vec()];
    let tcp = TcpStream::connect(("127.0.0.1", port)).await.expect("a connection");
    let name = ServerName::try_from("localhost").expect("a name");
    TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .expect("a TLS handshake")
}

/// Sends `request` over HTTP/1.1 (with `Connection: close`) and returns the answer.
async fn http1(stream: &mut TlsStream<TcpStream>, request: &str) -> String {
    stream.write_all(request.as_bytes()).await.expect("a request");
    let mut answer = Vec::new();
    // The server closes without a TLS close_notify when it is done.
    let _ = stream.read_to_end(&mut answer).await;
    String::from_utf8_lossy(&answer).into_owned()
}

#[actix_web::test]
async fn https_speaks_http2_and_http1_by_alpn_with_hsts() {
    let certificate = Certificate::new();
    let app = test_support::spawn_app_with(|settings| {
        settings.tls_cert_file = Some(certificate.cert_file.clone());
        settings.tls_key_file = Some(certificate.key_file.clone());
    })
    .await;
    let port: u16 = app
        .address
        .rsplit(':')
        .next()
        .and_then(|port| port.parse().ok())
        .expect("a port");

    // HTTP/2.
    let stream = connect(port, &certificate, b"h2").await;
    assert_eq!(stream.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let (client, connection) = h2::client::handshake(stream).await.expect("an HTTP/2 connection");
    tokio::spawn(connection);
    let mut client = client.ready().await.expect("ready");
    for (path, status) in [("/healthz", 200), ("/api/teams/", 401)] {
        let request = http::Request::get(format!("https://localhost:{port}{path}"))
            .header("accept", "application/vnd.photoroom+json; version=2.0")
            .body(())
            .expect("a request");
        let (response, _) = client.send_request(request, true).expect("sent");
        let response = response.await.expect("a response");
        assert_eq!(response.status().as_u16(), status, "{path}");
        assert_eq!(
            response
                .headers()
                .get("strict-transport-security")
                .map(|v| v.as_bytes()),
            Some(&b"max-age=31536000; includeSubDomains"[..]),
            "{path}"
        );
    }

    // HTTP/1.1, the API's errors included: a URL too long for the HTTP layer is a 414.
    let mut stream = connect(port, &certificate, b"http/1.1").await;
    assert_eq!(stream.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));
    let answer = http1(
        &mut stream,
        &format!(
            "GET /api/teams/?q={} HTTP/1.1\r\nHost: localhost\r\nAccept: application/vnd.photoroom+json; version=2.0\r\nConnection: close\r\n\r\n",
            "q".repeat(100_000)
        ),
    )
    .await;
    assert!(
        answer.starts_with("HTTP/1.1 414"),
        "{}",
        &answer[..answer.len().min(300)]
    );
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("strict-transport-security: max-age=31536000"),
        "{answer}"
    );
    assert!(answer.contains("application/problem+json"), "{answer}");

    // Plain HTTP is not spoken on the TLS port.
    let mut plain = TcpStream::connect(("127.0.0.1", port)).await.expect("a connection");
    plain
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        .await
        .expect("a request");
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), plain.read_to_end(&mut answer)).await;
    assert!(
        !answer.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
}

#[test]
fn a_key_that_is_not_the_certificates_refuses_to_start() {
    let certificate = Certificate::new();
    let other = Certificate::new();
    let error = server::serve::tls_config(&certificate.cert_file, &other.key_file).expect_err("a mismatch");
    assert!(format!("{error:#}").contains("do not make a pair"), "{error:#}");
    let error = server::serve::tls_config(&certificate.key_file, &certificate.key_file).expect_err("no certificate");
    assert!(format!("{error:#}").contains("holds no certificate"), "{error:#}");
}
