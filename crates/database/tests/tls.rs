//! TLS to PostgreSQL as the URL's `sslmode` asks, against private clusters:
//! one with `ssl` on and a certificate for `localhost` from a CA made here,
//! one with `ssl` off.

use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use database::connect::establish;
use database::listen::Notice;
use database::pool::{build_pool, PoolSettings};
use database::AsyncPgConnection;
use diesel::sql_types::Bool;
use diesel::QueryableByName;
use diesel_async::RunQueryDsl;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use test_support::cluster::Cluster;

/// A cluster with `ssl` on, and the roots a client may trust.
struct TlsServer {
    cluster: Cluster,
}

impl TlsServer {
    fn start() -> Self {
        let ca = certificate_authority("palette-api test CA");
        let other_ca = certificate_authority("another CA");
        let key = KeyPair::generate().expect("a server key");
        let mut params = CertificateParams::new(vec!["localhost".to_owned()]).expect("server parameters");
        params.distinguished_name.push(DnType::CommonName, "localhost");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let certificate = params.signed_by(&key, &ca).expect("a server certificate");
        let cluster = Cluster::builder()
            .file("server.crt", certificate.pem())
            .file("server.key", key.serialize_pem())
            // Not the server's: the roots clients are given below.
            .file("test-ca.crt", ca.pem())
            .file("other-ca.crt", other_ca.pem())
            .setting("ssl", "on")
            .setting("ssl_cert_file", "server.crt")
            .setting("ssl_key_file", "server.key")
            .start();
        Self { cluster }
    }

    /// A URL to `database` through `host` with `query`; the test CA's file
    /// is `{test_ca}` in it, the other CA's `{other_ca}`.
    fn url(&self, host: &str, database: &str, query: &str) -> String {
        let folder = self.cluster.data_dir().display().to_string();
        let query = query
            .replace("{test_ca}", &format!("{folder}/test-ca.crt"))
            .replace("{other_ca}", &format!("{folder}/other-ca.crt"));
        self.cluster.url(host, database, &query)
    }
}

fn certificate_authority(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    CertifiedIssuer::self_signed(params, KeyPair::generate().expect("a CA key")).expect("a CA certificate")
}

/// The TLS cluster, shared by the tests running at once; stopped when the
/// last of them ends.
fn tls_server() -> Arc<TlsServer> {
    static SHARED: Mutex<Weak<TlsServer>> = Mutex::new(Weak::new());
    let mut shared = SHARED.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(server) = shared.upgrade() {
        return server;
    }
    let server = Arc::new(TlsServer::start());
    *shared = Arc::downgrade(&server);
    server
}

#[derive(QueryableByName)]
struct Ssl {
    #[diesel(sql_type = Bool)]
    ssl: bool,
}

/// Whether the connection's own session is encrypted, as the server sees it.
async fn encrypted(conn: &mut impl diesel_async::AsyncConnection<Backend = diesel::pg::Pg>) -> bool {
    diesel::sql_query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .get_result::<Ssl>(conn)
        .await
        .expect("reading pg_stat_ssl")
        .ssl
}

async fn connect(url: &str) -> AsyncPgConnection {
    match establish(url).await {
        Ok(conn) => conn,
        Err(error) => panic!("connecting with {url}: {error}"),
    }
}

/// The error of a connection that must fail.
async fn refused(url: &str) -> String {
    match establish(url).await {
        Ok(_) => panic!("{url} connected"),
        Err(error) => error.to_string(),
    }
}

#[tokio::test]
async fn require_and_prefer_encrypt_without_a_root_to_check_against() {
    let server = tls_server();
    for query in ["sslmode=require", "sslmode=prefer", ""] {
        let mut conn = connect(&server.url("127.0.0.1", "postgres", query)).await;
        assert!(encrypted(&mut conn).await, "{query:?} is not encrypted");
    }
}

#[tokio::test]
async fn disable_is_plain_even_when_the_server_offers_tls() {
    let server = tls_server();
    let mut conn = connect(&server.url("localhost", "postgres", "sslmode=disable")).await;
    assert!(!encrypted(&mut conn).await);
}

#[tokio::test]
async fn verify_full_connects_to_the_host_its_certificate_names_under_the_trusted_ca() {
    let server = tls_server();
    let mut conn = connect(&server.url("localhost", "postgres", "sslmode=verify-full&sslrootcert={test_ca}")).await;
    assert!(encrypted(&mut conn).await);
}

#[tokio::test]
async fn verify_full_refuses_a_certificate_from_a_ca_it_does_not_trust() {
    let server = tls_server();
    let url = server
        .url("localhost", "postgres", "sslmode=verify-full&sslrootcert={other_ca}")
        .replace("postgres@", "postgres:s3cr3t-pw@");
    let said = refused(&url).await;
    assert!(
        said.starts_with("TLS to PostgreSQL failed (sslmode=verify-full): the server's certificate does not verify against the roots in "),
        "{said}"
    );
    assert!(
        said.contains("other-ca.crt") && said.contains("UnknownIssuer"),
        "{said}"
    );
    assert!(!said.contains("s3cr3t"), "{said}");
}

#[tokio::test]
async fn verify_full_refuses_a_host_the_certificate_does_not_name_and_verify_ca_accepts_it() {
    let server = tls_server();
    let said = refused(&server.url("127.0.0.1", "postgres", "sslmode=verify-full&sslrootcert={test_ca}")).await;
    assert!(
        said.contains("the server's certificate is not valid for the host name in the URL")
            && said.contains("127.0.0.1"),
        "{said}"
    );
    let mut conn = connect(&server.url("127.0.0.1", "postgres", "sslmode=verify-ca&sslrootcert={test_ca}")).await;
    assert!(encrypted(&mut conn).await);
    // verify-ca still checks the chain.
    let said = refused(&server.url("127.0.0.1", "postgres", "sslmode=verify-ca&sslrootcert={other_ca}")).await;
    assert!(said.contains("UnknownIssuer"), "{said}");
}

#[tokio::test]
async fn require_fails_against_a_server_without_tls_and_prefer_falls_back_to_plain() {
    let plain = Cluster::builder().setting("ssl", "off").start();
    let said = refused(&plain.url("127.0.0.1", "postgres", "sslmode=require")).await;
    assert!(
        said.starts_with("TLS to PostgreSQL failed (sslmode=require): the server does not accept TLS connections"),
        "{said}"
    );
    let mut conn = connect(&plain.url("127.0.0.1", "postgres", "sslmode=prefer")).await;
    assert!(!encrypted(&mut conn).await);
}

#[tokio::test]
async fn the_pool_connects_with_verify_full_and_fails_on_a_certificate_that_does_not_verify() {
    let server = tls_server();
    let settings = PoolSettings::default();
    let pool = build_pool(
        &server.url("localhost", "postgres", "sslmode=verify-full&sslrootcert={test_ca}"),
        &settings,
    )
    .expect("a pool");
    let mut conn = pool.get().await.expect("a pooled connection");
    assert!(encrypted(&mut conn).await);

    let untrusted = build_pool(
        &server.url("localhost", "postgres", "sslmode=verify-full&sslrootcert={other_ca}"),
        &settings,
    )
    .expect("a pool");
    let Err(error) = untrusted.get().await else {
        panic!("a pooled connection with an untrusted certificate");
    };
    let said = error.to_string();
    assert!(
        said.contains("does not verify") && said.contains("UnknownIssuer"),
        "{said}"
    );
}

#[tokio::test]
async fn the_change_listener_listens_over_verify_full() {
    let server = tls_server();
    let url = server.url("localhost", "postgres", "sslmode=verify-full&sslrootcert={test_ca}");
    let (notices, mut heard) = tokio::sync::mpsc::unbounded_channel();
    let listener = database::listen::spawn(url.clone(), move |notice| {
        let _ = notices.send(notice);
    });
    let first = tokio::time::timeout(Duration::from_secs(10), heard.recv()).await;
    assert_eq!(first.ok().flatten(), Some(Notice::Listening));
    let mut conn = connect(&url).await;
    let listener_encrypted = diesel::sql_query(
        "SELECT ssl FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) WHERE application_name = 'palette-api listener'",
    )
    .get_result::<Ssl>(&mut conn)
    .await
    .expect("the listener's session");
    assert!(listener_encrypted.ssl);
    listener.abort();
}

#[tokio::test]
async fn migrations_create_and_migrate_the_database_over_verify_full() {
    let server = tls_server();
    let url = server.url("localhost", "palettes", "sslmode=verify-full&sslrootcert={test_ca}");
    assert!(database::migrate::create_database_if_missing(&url)
        .await
        .expect("creating the database"));
    let applied = database::migrate::run_pending(&url).await.expect("migrating");
    assert!(!applied.is_empty());
    let mut conn = connect(&url).await;
    assert!(encrypted(&mut conn).await);
}
