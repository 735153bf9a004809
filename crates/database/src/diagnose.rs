//! Why a database URL cannot be used, said plainly and without its password,
//! so that a first run on a machine whose PostgreSQL wants a password, or
//! has no such database, or is not running, says which.

use std::time::Duration;

use tokio_postgres::error::SqlState;

use crate::connect::{ConnectError, Target};

/// What went wrong connecting to the database a URL names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The URL does not parse.
    InvalidUrl(String),
    /// Nothing answered at the address, or not in time.
    Unreachable(String),
    /// The server refused the user (wrong or missing password, no `pg_hba.conf` entry).
    AuthenticationFailed(String),
    /// The server answered but has no database of that name.
    DatabaseMissing,
    /// TLS could not be had as the URL's `sslmode` asks (see [`crate::connect`]).
    Tls(String),
    /// Anything else the server said.
    Other(String),
}

/// Where a URL points, without its password: `user@host:port/database`.
pub fn describe(database_url: &str) -> String {
    let Ok(target) = Target::parse(database_url) else {
        return "the configured database".to_owned();
    };
    let config = target.config();
    let host = config
        .get_hosts()
        .first()
        .map(|host| match host {
            tokio_postgres::config::Host::Tcp(name) => name.clone(),
            tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .unwrap_or_else(|| "localhost".to_owned());
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let user = config.get_user().unwrap_or("(default user)");
    let database = config.get_dbname().unwrap_or(user);
    format!("{user}@{host}:{port}/{database}")
}

/// Connects once to the database `database_url` names; `None` when that works.
pub async fn probe(database_url: &str, timeout: Duration) -> Option<Problem> {
    // Set up as behind a pooler in transaction mode, which the URL may name:
    // it costs a round trip and works everywhere.
    let mut target = match Target::parse(database_url) {
        Ok(target) => target.set_up_in_a_transaction(),
        Err(ConnectError::InvalidUrl(why)) => return Some(Problem::InvalidUrl(why)),
        Err(error) => return Some(Problem::InvalidUrl(error.to_string())),
    };
    target.config_mut().connect_timeout(timeout);
    match tokio::time::timeout(timeout, target.connect()).await {
        Err(_) => Some(Problem::Unreachable(format!("no answer within {timeout:?}"))),
        Ok(Ok(_)) => None,
        Ok(Err(ConnectError::Postgres(error))) => Some(classify(&error)),
        Ok(Err(error @ ConnectError::Tls { .. })) => Some(Problem::Tls(error.to_string())),
        Ok(Err(error)) => Some(Problem::Other(error.to_string())),
    }
}

fn classify(error: &tokio_postgres::Error) -> Problem {
    let text = match error.as_db_error() {
        Some(db) => db.message().to_owned(),
        // "invalid configuration: password missing": the cause is in the chain.
        None => crate::connect::with_causes(error),
    };
    match error.code() {
        Some(code) if *code == SqlState::INVALID_CATALOG_NAME => Problem::DatabaseMissing,
        Some(code) if *code == SqlState::INVALID_PASSWORD || *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION => {
            Problem::AuthenticationFailed(text)
        }
        Some(_) => Problem::Other(text),
        // tokio-postgres says so itself when the server asks for a password the URL lacks.
        None if text.contains("password missing") => Problem::AuthenticationFailed(text),
        None => Problem::Unreachable(text),
    }
}

impl Problem {
    /// A sentence naming the problem at `target` (see [`describe`]) and what to do.
    pub fn explain(&self, target: &str) -> String {
        match self {
            Self::InvalidUrl(why) => format!("DATABASE_URL is not a valid PostgreSQL URL: {why}"),
            Self::Unreachable(why) => format!(
                "cannot reach PostgreSQL for {target} ({why}): is the server running and DATABASE_URL's host and port right?"
            ),
            Self::AuthenticationFailed(why) => format!(
                "PostgreSQL refused {target}: authentication failed ({why}); put the right password in DATABASE_URL, \
                 or let this user in through pg_hba.conf"
            ),
            Self::DatabaseMissing => format!(
                "the database of {target} does not exist, and it could not be created: create it, or give the user CREATEDB"
            ),
            Self::Tls(why) => format!("cannot connect to {target}: {why}"),
            Self::Other(why) => format!("PostgreSQL refused {target}: {why}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_never_show_the_password() {
        let described = describe("postgres://alice:s3cr3t-pw@db.internal:6432/palettes?sslmode=disable");
        assert_eq!(described, "alice@db.internal:6432/palettes");
        assert!(!described.contains("s3cr3t"));
        assert_eq!(describe("not a url"), "the configured database");
    }

    /// A server that asks for a password, as a stock Debian PostgreSQL does
    /// over TCP: it answers the startup message with `AuthenticationCleartextPassword`.
    /// It offers no TLS: the `SSLRequest` that `sslmode=prefer` sends first gets an `N`.
    async fn password_wanting_server() -> u16 {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        const SSL_REQUEST: [u8; 8] = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        tokio::spawn(async move {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let mut first = [0_u8; 8];
            if socket.read_exact(&mut first).await.is_err() {
                return;
            }
            let mut startup = [0_u8; 512];
            if first == SSL_REQUEST {
                let _ = socket.write_all(b"N").await;
                let _ = socket.read(&mut startup).await;
            }
            let _ = socket.write_all(&[b'R', 0, 0, 0, 8, 0, 0, 0, 3]).await;
            let _ = socket.read(&mut startup).await;
        });
        port
    }

    #[tokio::test]
    async fn a_server_that_wants_a_password_the_url_lacks_is_an_authentication_failure() {
        let port = password_wanting_server().await;
        let url = format!("postgres://alice@127.0.0.1:{port}/palettes");
        let problem = probe(&url, Duration::from_secs(5)).await;
        assert!(
            matches!(&problem, Some(Problem::AuthenticationFailed(why)) if why.contains("password missing")),
            "{problem:?}"
        );
        let said = problem.expect("a problem").explain(&describe(&url));
        assert!(said.starts_with("PostgreSQL refused alice@127.0.0.1:"), "{said}");
    }

    #[tokio::test]
    async fn a_closed_port_is_unreachable() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map(|address| address.port())
            .expect("a free port");
        let problem = probe(&format!("postgres://u@127.0.0.1:{port}/x"), Duration::from_secs(2)).await;
        assert!(matches!(problem, Some(Problem::Unreachable(_))), "{problem:?}");
    }
}
