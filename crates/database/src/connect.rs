//! Opening a connection to PostgreSQL with TLS as the URL's `sslmode` and
//! `sslrootcert` ask, by libpq's rules. Every connection the service opens
//! (the pool, the change listener, migrations, start-up checks) comes from
//! [`Target::connect`] or [`establish`], so those rules live here only.
//!
//! | `sslmode` | TLS | the server's certificate |
//! |---|---|---|
//! | `disable` | never | — |
//! | `allow` | only when the server refuses a plain connection | as `require` |
//! | `prefer` (the default) | when the server offers it, plain otherwise | as `require` |
//! | `require` | always | not checked, or its chain when roots are given (libpq's rule) |
//! | `verify-ca` | always | its chain up to a trusted root |
//! | `verify-full` | always | its chain, and the URL's host name |
//!
//! Trusted roots come from `sslrootcert` (a PEM file), else from
//! `~/.postgresql/root.crt` when that exists, as in libpq. `verify-ca` and
//! `verify-full` without either trust the system's roots (libpq refuses
//! instead); `sslrootcert=system` asks for them by name and, as in libpq,
//! makes `verify-full` the default and the only mode allowed.
//!
//! Over Unix sockets there is no TLS, whatever the mode, as in libpq.
//!
//! tokio-postgres' own parser knows only `disable`, `prefer` and `require`
//! and no `sslrootcert`: both are taken out of a URL here and the rest is
//! handed to it. A `key=value` connection string goes to it as it is.

use std::borrow::Cow;
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use diesel::ConnectionResult;
use diesel_async::AsyncPgConnection;
use futures_util::future::Either;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres::config::{Host, SslMode as WireMode};
use tokio_postgres::error::SqlState;
use tokio_postgres_rustls::MakeRustlsConnect;

/// Opens a connection to the database `database_url` names, honouring its
/// `sslmode` and `sslrootcert`: the drop-in for `AsyncPgConnection::establish`.
pub async fn establish(database_url: &str) -> ConnectionResult<AsyncPgConnection> {
    Ok(Target::parse(database_url)?.connect().await?)
}

/// How a connection uses TLS: libpq's `sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// Plain TCP only.
    Disable,
    /// Plain first; TLS when the server refuses a plain connection.
    Allow,
    /// TLS when the server offers it, plain otherwise (libpq's default).
    Prefer,
    /// TLS or nothing; the certificate is not checked unless roots are given.
    Require,
    /// TLS with the server's certificate chained to a trusted root.
    VerifyCa,
    /// As `VerifyCa`, and the certificate names the host connected to.
    VerifyFull,
}

impl SslMode {
    /// The mode libpq calls `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "disable" => Self::Disable,
            "allow" => Self::Allow,
            "prefer" => Self::Prefer,
            "require" => Self::Require,
            "verify-ca" => Self::VerifyCa,
            "verify-full" => Self::VerifyFull,
            _ => return None,
        })
    }

    /// libpq's name for the mode.
    pub fn name(self) -> &'static str {
        match self {
            Self::Disable => "disable",
            Self::Allow => "allow",
            Self::Prefer => "prefer",
            Self::Require => "require",
            Self::VerifyCa => "verify-ca",
            Self::VerifyFull => "verify-full",
        }
    }
}

impl fmt::Display for SslMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where trusted roots come from.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Roots {
    /// A PEM file of certificates.
    File(PathBuf),
    /// The system's trusted roots.
    System,
}

impl fmt::Display for Roots {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File(path) => write!(f, "the roots in {}", path.display()),
            Self::System => f.write_str("the system's trusted roots"),
        }
    }
}

/// Why a connection could not be opened. None of them shows the URL.
#[derive(Debug)]
pub enum ConnectError {
    /// The URL does not parse, or asks for what this client does not do.
    InvalidUrl(String),
    /// TLS could not be had as `sslmode` asks: the server does not offer it,
    /// its certificate did not verify, or the trusted roots could not be read.
    Tls {
        /// The mode asked for.
        mode: SslMode,
        /// What failed, in words.
        why: String,
    },
    /// The server, or the network, refused the connection.
    Postgres(tokio_postgres::Error),
    /// The connection opened, but could not be set up for diesel.
    Setup(diesel::ConnectionError),
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidUrl(why) => write!(f, "invalid database URL: {why}"),
            Self::Tls { mode, why } => write!(f, "TLS to PostgreSQL failed (sslmode={mode}): {why}"),
            Self::Postgres(error) => f.write_str(&with_causes(error)),
            Self::Setup(error) => write!(f, "setting up the connection: {error}"),
        }
    }
}

// The causes are part of each message, so none is returned as a source.
impl std::error::Error for ConnectError {}

impl From<ConnectError> for diesel::ConnectionError {
    fn from(error: ConnectError) -> Self {
        match error {
            ConnectError::InvalidUrl(_) => Self::InvalidConnectionUrl(error.to_string()),
            ConnectError::Setup(error) => error,
            error => Self::BadConnection(error.to_string()),
        }
    }
}

/// An error's message followed by each of its causes'.
pub(crate) fn with_causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        text = format!("{text}: {inner}");
        cause = inner.source();
    }
    text
}

/// A database to connect to: tokio-postgres' settings, and how to use TLS.
#[derive(Debug, Clone)]
pub struct Target {
    config: tokio_postgres::Config,
    ssl_mode: SslMode,
    /// Roots given by `sslrootcert` or libpq's default file.
    roots: Option<Roots>,
    /// Whether diesel-async's own set-up runs in a transaction: see
    /// [`Target::set_up_in_a_transaction`].
    set_up_in_a_transaction: bool,
}

impl Target {
    /// Reads a database URL (or a `key=value` connection string).
    pub fn parse(database_url: &str) -> Result<Self, ConnectError> {
        let is_url = ["postgres://", "postgresql://"]
            .iter()
            .any(|scheme| database_url.starts_with(scheme));
        let (rest, ssl_mode, root_cert) = if is_url {
            take_tls_parameters(database_url)?
        } else {
            (database_url.to_owned(), None, None)
        };
        let config: tokio_postgres::Config = rest
            .parse()
            .map_err(|error: tokio_postgres::Error| ConnectError::InvalidUrl(with_causes(&error)))?;
        let system = root_cert.as_deref() == Some("system");
        let ssl_mode = match ssl_mode {
            Some(mode) => mode,
            None if system => SslMode::VerifyFull,
            None => match config.get_ssl_mode() {
                WireMode::Disable => SslMode::Disable,
                WireMode::Require => SslMode::Require,
                _ => SslMode::Prefer,
            },
        };
        let roots = match root_cert {
            Some(_) if system => {
                if ssl_mode != SslMode::VerifyFull {
                    return Err(ConnectError::InvalidUrl(format!(
                        "sslrootcert=system needs sslmode=verify-full, not {ssl_mode}"
                    )));
                }
                Some(Roots::System)
            }
            Some(path) if !path.is_empty() => Some(Roots::File(PathBuf::from(path))),
            _ => default_root_file().map(Roots::File),
        };
        Ok(Self {
            config,
            ssl_mode,
            roots,
            set_up_in_a_transaction: false,
        })
    }

    /// Runs diesel-async's set-up of a new connection (two named prepared
    /// statements, `SET TIME ZONE` and `SET CLIENT_ENCODING`) in a
    /// transaction, so that a pooler in transaction mode keeps each
    /// statement's round trips on one server connection: for
    /// [`crate::Statements::Unpooled`].
    pub fn set_up_in_a_transaction(mut self) -> Self {
        self.set_up_in_a_transaction = true;
        self
    }

    /// The `sslmode` in force.
    pub fn ssl_mode(&self) -> SslMode {
        self.ssl_mode
    }

    /// tokio-postgres' settings, for a caller's own (timeouts, `application_name`).
    pub fn config_mut(&mut self) -> &mut tokio_postgres::Config {
        &mut self.config
    }

    /// tokio-postgres' settings, as read from the URL.
    pub fn config(&self) -> &tokio_postgres::Config {
        &self.config
    }

    /// Opens a connection, with TLS as [`SslMode`] says.
    pub async fn connect(&self) -> Result<AsyncPgConnection, ConnectError> {
        match self.ssl_mode {
            SslMode::Disable => self.connect_plain().await,
            // As libpq: no TLS over Unix sockets, whatever the mode.
            _ if self.only_unix_sockets() => self.connect_plain().await,
            SslMode::Allow => match self.connect_plain().await {
                Err(ConnectError::Postgres(error)) if refused_by_server(&error) => {
                    self.connect_tls(WireMode::Require).await
                }
                result => result,
            },
            // libpq tries again without TLS when the handshake fails, or when
            // the server refuses a TLS connection (`hostnossl`).
            SslMode::Prefer => match self.connect_tls(WireMode::Prefer).await {
                Err(ConnectError::Tls { .. }) => self.connect_plain().await,
                Err(ConnectError::Postgres(error)) if refused_by_server(&error) => self.connect_plain().await,
                result => result,
            },
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => self.connect_tls(WireMode::Require).await,
        }
    }

    fn only_unix_sockets(&self) -> bool {
        let hosts = self.config.get_hosts();
        !hosts.is_empty()
            && self.config.get_hostaddrs().is_empty()
            && hosts.iter().all(|host| matches!(host, Host::Unix(_)))
    }

    async fn connect_plain(&self) -> Result<AsyncPgConnection, ConnectError> {
        let mut config = self.config.clone();
        config.ssl_mode(WireMode::Disable);
        let (client, connection) = config
            .connect(tokio_postgres::NoTls)
            .await
            .map_err(ConnectError::Postgres)?;
        self.set_up(client, connection).await
    }

    async fn connect_tls(&self, wire_mode: WireMode) -> Result<AsyncPgConnection, ConnectError> {
        let tls = MakeRustlsConnect::new(self.client_config()?);
        let mut config = self.config.clone();
        config.ssl_mode(wire_mode);
        let (client, connection) = config.connect(tls).await.map_err(|error| self.explain(error))?;
        self.set_up(client, connection).await
    }

    /// Hands an open connection to diesel-async, which sets it up.
    async fn set_up<S>(
        &self,
        client: tokio_postgres::Client,
        connection: tokio_postgres::Connection<tokio_postgres::Socket, S>,
    ) -> Result<AsyncPgConnection, ConnectError>
    where
        S: tokio_postgres::tls::TlsStream + Unpin + Send + 'static,
    {
        if !self.set_up_in_a_transaction {
            return AsyncPgConnection::try_from_client_and_connection(client, connection)
                .await
                .map_err(ConnectError::Setup);
        }
        // `BEGIN` must reach the server before diesel-async's statements: the
        // connection is driven here until it is done, then handed over.
        let mut connection = connection;
        let setup_failed = |why: String| ConnectError::Setup(diesel::ConnectionError::BadConnection(why));
        {
            let begin = std::pin::pin!(client.batch_execute("BEGIN"));
            match futures_util::future::select(begin, &mut connection).await {
                Either::Left((Ok(()), _)) => {}
                Either::Left((Err(error), _)) | Either::Right((Err(error), _)) => {
                    return Err(setup_failed(with_causes(&error)))
                }
                Either::Right((Ok(()), _)) => return Err(setup_failed("the server closed the connection".to_owned())),
            }
        }
        let mut conn = AsyncPgConnection::try_from_client_and_connection(client, connection)
            .await
            .map_err(ConnectError::Setup)?;
        diesel_async::SimpleAsyncConnection::batch_execute(&mut conn, "COMMIT")
            .await
            .map_err(|error| ConnectError::Setup(diesel::ConnectionError::CouldntSetupConfiguration(error)))?;
        Ok(conn)
    }

    /// The certificate check the mode asks for: the roots to chain to, if
    /// any, and whether the host name is checked too.
    fn check(&self) -> (Option<Roots>, bool) {
        match self.ssl_mode {
            SslMode::VerifyFull => (Some(self.roots.clone().unwrap_or(Roots::System)), true),
            SslMode::VerifyCa => (Some(self.roots.clone().unwrap_or(Roots::System)), false),
            _ => (self.roots.clone(), false),
        }
    }

    fn client_config(&self) -> Result<ClientConfig, ConnectError> {
        let (roots, check_name) = self.check();
        let trusted = match &roots {
            Some(roots) => Some(load_roots(roots).map_err(|why| self.tls_error(why))?),
            None => None,
        };
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verifier = Verifier {
            roots: trusted,
            check_name,
            algorithms: provider.signature_verification_algorithms,
        };
        let mut config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|error| self.tls_error(error.to_string()))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth();
        // PostgreSQL's ALPN name; PostgreSQL 17 requires it for `sslnegotiation=direct`.
        config.alpn_protocols = vec![b"postgresql".to_vec()];
        Ok(config)
    }

    fn tls_error(&self, why: String) -> ConnectError {
        ConnectError::Tls {
            mode: self.ssl_mode,
            why,
        }
    }

    /// Names the cause of a failed TLS connection; other errors pass through.
    fn explain(&self, error: tokio_postgres::Error) -> ConnectError {
        // tokio-postgres says this (its "Tls" kind) for every TLS failure.
        if error.to_string() != "error performing TLS handshake" {
            return ConnectError::Postgres(error);
        }
        let Some(cause) = std::error::Error::source(&error) else {
            return ConnectError::Postgres(error);
        };
        let handshake = cause
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|inner| inner.downcast_ref::<rustls::Error>());
        let why = match handshake {
            Some(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => format!(
                "the server's certificate is not valid for the host name in the URL ({})",
                with_causes(cause)
            ),
            Some(rustls::Error::InvalidCertificate(_)) => {
                let roots = self
                    .check()
                    .0
                    .map_or_else(|| "no roots".to_owned(), |roots| roots.to_string());
                format!(
                    "the server's certificate does not verify against {roots} ({})",
                    with_causes(cause)
                )
            }
            Some(_) => format!("the TLS handshake failed ({})", with_causes(cause)),
            None if cause.to_string() == "server does not support TLS" => {
                "the server does not accept TLS connections (turn on `ssl` in its postgresql.conf, or lower sslmode)"
                    .to_owned()
            }
            None => format!("the TLS handshake failed ({})", with_causes(cause)),
        };
        self.tls_error(why)
    }
}

/// Whether the server answered with a refusal that another transport may
/// not meet (`pg_hba.conf`'s `hostssl` and `hostnossl`).
fn refused_by_server(error: &tokio_postgres::Error) -> bool {
    error.code() == Some(&SqlState::INVALID_AUTHORIZATION_SPECIFICATION)
}

/// Splits `sslmode` and `sslrootcert` off a URL's query; returns the rest of
/// the URL, the mode and the root file, each decoded. The last of a repeated
/// parameter counts, as in tokio-postgres.
fn take_tls_parameters(url: &str) -> Result<(String, Option<SslMode>, Option<String>), ConnectError> {
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_owned(), None, None));
    };
    let mut ssl_mode = None;
    let mut root_cert = None;
    let mut kept = Vec::new();
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match decoded(key)?.as_ref() {
            "sslmode" => {
                let value = decoded(value)?;
                ssl_mode = Some(SslMode::from_name(&value).ok_or_else(|| {
                    ConnectError::InvalidUrl(format!(
                        "sslmode must be disable, allow, prefer, require, verify-ca or verify-full, not {value:?}"
                    ))
                })?);
            }
            "sslrootcert" => root_cert = Some(decoded(value)?.into_owned()),
            _ => kept.push(pair),
        }
    }
    let rest = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok((rest, ssl_mode, root_cert))
}

fn decoded(text: &str) -> Result<Cow<'_, str>, ConnectError> {
    percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .map_err(|_| ConnectError::InvalidUrl("a query parameter is not UTF-8 once decoded".to_owned()))
}

/// libpq's default root file, `~/.postgresql/root.crt`, when it exists.
fn default_root_file() -> Option<PathBuf> {
    let home = std::env::var_os("HOME")?;
    let path = PathBuf::from(home).join(".postgresql").join("root.crt");
    path.is_file().then_some(path)
}

/// The trusted roots; the system's are read once per process.
fn load_roots(roots: &Roots) -> Result<Arc<RootCertStore>, String> {
    match roots {
        Roots::File(path) => {
            let shown = path.display();
            let mut store = RootCertStore::empty();
            let certificates = CertificateDer::pem_file_iter(path)
                .map_err(|error| format!("cannot read sslrootcert {shown}: {}", with_causes(&error)))?;
            for certificate in certificates {
                let certificate =
                    certificate.map_err(|error| format!("sslrootcert {shown} is not PEM: {}", with_causes(&error)))?;
                store
                    .add(certificate)
                    .map_err(|error| format!("sslrootcert {shown} holds a certificate rustls cannot use: {error}"))?;
            }
            if store.is_empty() {
                return Err(format!("sslrootcert {shown} holds no certificate"));
            }
            Ok(Arc::new(store))
        }
        Roots::System => {
            static SYSTEM: OnceLock<Result<Arc<RootCertStore>, String>> = OnceLock::new();
            SYSTEM
                .get_or_init(|| {
                    let found = rustls_native_certs::load_native_certs();
                    let mut store = RootCertStore::empty();
                    store.add_parsable_certificates(found.certs);
                    if store.is_empty() {
                        let errors: Vec<String> = found.errors.iter().map(ToString::to_string).collect();
                        return Err(format!(
                            "the system has no trusted roots ({}): install ca-certificates, or name a root file with sslrootcert",
                            errors.join("; ")
                        ));
                    }
                    Ok(Arc::new(store))
                })
                .clone()
        }
    }
}

/// Checks the server's certificate as the mode asks: nothing, its chain to
/// `roots`, or also its names. The handshake's signatures are always checked.
#[derive(Debug)]
struct Verifier {
    roots: Option<Arc<RootCertStore>>,
    check_name: bool,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Some(roots) = &self.roots {
            let certificate = ParsedCertificate::try_from(end_entity)?;
            rustls::client::verify_server_cert_signed_by_trust_anchor(
                &certificate,
                roots,
                intermediates,
                now,
                self.algorithms.all,
            )?;
            if self.check_name {
                rustls::client::verify_server_name(&certificate, server_name)?;
            }
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(url: &str) -> Target {
        Target::parse(url).unwrap_or_else(|error| panic!("{url}: {error}"))
    }

    #[test]
    fn every_libpq_mode_is_read_and_taken_out_of_the_url() {
        for mode in ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"] {
            let target = parsed(&format!("postgres://u:pw@db.internal:6432/palettes?sslmode={mode}"));
            assert_eq!(target.ssl_mode().name(), mode);
            assert_eq!(target.config().get_dbname(), Some("palettes"));
            assert_eq!(target.config().get_password(), Some(&b"pw"[..]));
        }
    }

    #[test]
    fn other_parameters_stay_and_sslrootcert_is_decoded() {
        let target =
            parsed("postgresql://u@h/db?application_name=a%20b&sslrootcert=%2Fetc%2Fca%20x.crt&sslmode=verify-ca");
        assert_eq!(target.config().get_application_name(), Some("a b"));
        assert_eq!(target.roots, Some(Roots::File(PathBuf::from("/etc/ca x.crt"))));
        assert_eq!(
            target.check(),
            (Some(Roots::File(PathBuf::from("/etc/ca x.crt"))), false)
        );
    }

    #[test]
    fn without_sslmode_the_mode_is_prefer() {
        assert_eq!(parsed("postgres://u@h/db").ssl_mode(), SslMode::Prefer);
        assert_eq!(
            parsed("postgres://u@h/db?connect_timeout=3").ssl_mode(),
            SslMode::Prefer
        );
        assert_eq!(parsed("host=h user=u sslmode=require").ssl_mode(), SslMode::Require);
    }

    #[test]
    fn the_verify_modes_trust_the_system_roots_without_sslrootcert() {
        let target = parsed("postgres://u@h/db?sslmode=verify-full");
        if target.roots.is_none() {
            assert_eq!(target.check(), (Some(Roots::System), true));
        }
    }

    #[test]
    fn require_checks_the_chain_only_when_roots_are_given() {
        let target = parsed("postgres://u@h/db?sslmode=require&sslrootcert=/ca.crt");
        assert_eq!(target.check(), (Some(Roots::File(PathBuf::from("/ca.crt"))), false));
    }

    #[test]
    fn sslrootcert_system_means_verify_full_and_nothing_weaker() {
        let target = parsed("postgres://u@h/db?sslrootcert=system");
        assert_eq!(target.ssl_mode(), SslMode::VerifyFull);
        assert_eq!(target.check(), (Some(Roots::System), true));
        let refused = Target::parse("postgres://u@h/db?sslrootcert=system&sslmode=require")
            .expect_err("a weaker mode with the system's roots");
        assert!(refused.to_string().contains("needs sslmode=verify-full"), "{refused}");
    }

    #[test]
    fn unix_sockets_go_without_tls_whatever_the_mode() {
        assert!(parsed("postgres://u@%2Fvar%2Frun%2Fpostgresql/db?sslmode=require").only_unix_sockets());
        assert!(!parsed("postgres://u@localhost/db?sslmode=require").only_unix_sockets());
    }

    #[test]
    fn an_unknown_mode_is_refused_without_the_url() {
        let refused = Target::parse("postgres://u:s3cr3t@h/db?sslmode=verify").expect_err("an unknown mode");
        let said = refused.to_string();
        assert!(said.contains("sslmode must be disable, allow"), "{said}");
        assert!(!said.contains("s3cr3t"), "{said}");
        assert!(matches!(
            diesel::ConnectionError::from(refused),
            diesel::ConnectionError::InvalidConnectionUrl(_)
        ));
    }

    #[test]
    fn an_unreadable_root_file_is_a_tls_error_that_names_it() {
        let target = parsed("postgres://u@h/db?sslmode=verify-full&sslrootcert=/nonexistent/ca.crt");
        let error = target.client_config().expect_err("no such file");
        let said = error.to_string();
        assert!(
            said.starts_with(
                "TLS to PostgreSQL failed (sslmode=verify-full): cannot read sslrootcert /nonexistent/ca.crt"
            ),
            "{said}"
        );
    }
}
