//! The `App` factory shared by `serve` and the tests, and the server around it.

use std::net::TcpListener;
use std::sync::{Arc, OnceLock};

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::from_fn;
use actix_web::{web, App};
use anyhow::Context;
use api_versioning::{body, versioning, RouteTable};
use database::listen::{Change, Notice};
use database::Pool;
use events::EventSchemas;
use kernel::pagination::CursorKey;
use palettes::VersionedSchemas;
use secrecy::ExposeSecret;
use tracing_actix_web::TracingLogger;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::config::Settings;
use crate::ops;
use crate::telemetry::RequestSpan;

/// What every worker's `App` shares.
#[derive(Clone)]
pub struct AppState {
    pool: web::Data<Pool>,
    auth: web::Data<accounts::Auth>,
    directory: web::Data<dyn accounts::TeamDirectory>,
    team_cache: web::Data<teams::TeamCache>,
    cursor_key: web::Data<CursorKey>,
    hub: web::Data<events::Hub>,
    request_timeout: web::Data<crate::limits::RequestTimeout>,
    trust_forwarded_proto: web::Data<crate::headers::TrustForwardedProto>,
    cors_allowed_origins: Arc<Vec<String>>,
    metrics: web::Data<crate::metrics::Metrics>,
    connections: Arc<crate::idle::Connections>,
}

impl AppState {
    /// State for `settings` over `pool`.
    pub fn new(settings: &Settings, pool: Pool) -> Self {
        let auth = accounts::Auth::new(accounts::AuthSettings {
            cache_ttl: settings.auth_cache_ttl,
            cache_capacity: settings.auth_cache_capacity,
            trust_forwarded_for: settings.trust_forwarded_for,
            throttle: accounts::throttle::ThrottleSettings {
                window: settings.login_failure_window,
                per_address: settings.login_failures_per_address,
                per_address_and_username: settings.login_failures_per_address_and_username,
                per_username: settings.login_failures_per_username,
            },
            ..accounts::AuthSettings::default()
        });
        let team_cache = Arc::new(teams::TeamCache::new(settings.team_cache_capacity));
        let directory: Arc<dyn accounts::TeamDirectory> = Arc::new(teams::Directory::new(Arc::clone(&team_cache)));
        let pool = web::Data::new(pool);
        let auth = web::Data::new(auth);
        let team_cache = web::Data::from(team_cache);
        let hub = web::Data::from(events::Hub::new(settings.hub_settings()));
        let connections = crate::idle::Connections::new(settings.connection_limit());
        let metrics = crate::metrics::Metrics::new(
            pool.clone(),
            auth.clone(),
            hub.clone(),
            team_cache.clone(),
            Arc::clone(&connections),
        );
        Self {
            pool,
            auth,
            directory: web::Data::from(directory),
            team_cache,
            cursor_key: web::Data::new(CursorKey::new()),
            hub,
            metrics: web::Data::new(metrics),
            connections,
            request_timeout: web::Data::new(crate::limits::RequestTimeout(settings.request_timeout)),
            trust_forwarded_proto: web::Data::new(crate::headers::TrustForwardedProto(settings.trust_forwarded_proto)),
            cors_allowed_origins: Arc::new(settings.cors_allowed_origins.clone()),
        }
    }

    /// Keeps the caches fresh from PostgreSQL's change notices, in a
    /// background task (see `database::listen`).
    fn listen_for_changes(&self, database_url: String) -> tokio::task::JoinHandle<()> {
        let auth = self.auth.clone();
        let team_cache = self.team_cache.clone();
        let hub = self.hub.clone();
        let pool = self.pool.clone();
        // Streams whose credentials may have stopped holding are checked off the listener's task.
        let recheck = move |user_id: Option<i64>| {
            let (hub, pool) = (hub.clone(), pool.clone());
            tokio::spawn(async move {
                // A notice comes once: a check that fails is tried again, then
                // left to the periodic one.
                let mut delay = std::time::Duration::from_millis(250);
                for attempt in 1..=6 {
                    match hub.recheck(&pool, user_id).await {
                        Ok(()) => return,
                        Err(error) if attempt == 6 => tracing::warn!(
                            error = format!("{error:#}"),
                            "checking event streams' credentials failed; the periodic check will"
                        ),
                        Err(_) => {
                            tokio::time::sleep(delay).await;
                            delay *= 2;
                        }
                    }
                }
                hub.recheck_later();
            });
        };
        let hub = self.hub.clone();
        database::listen::spawn(database_url, move |notice| match notice {
            // Changes made while not listening were missed.
            Notice::Listening => {
                team_cache.set_live(true);
                auth.forget_all();
                hub.set_listening(true);
                hub.wake();
                recheck(None);
            }
            // Logins and tokens stay cached, each for its own short time.
            Notice::Lost => {
                team_cache.set_live(false);
                hub.set_listening(false);
            }
            Notice::Changed(Change::Team(team_id)) => team_cache.forget_team(team_id),
            Notice::Changed(Change::Member(user_id)) => team_cache.forget_user(user_id),
            Notice::Changed(Change::Login(user_id)) => {
                auth.forget_user(user_id);
                recheck(Some(user_id));
            }
            Notice::Changed(Change::All) => {
                team_cache.forget_all();
                auth.forget_all();
                recheck(None);
            }
            Notice::Changed(Change::Events) => hub.wake(),
        })
    }

    /// The live events' fan-out.
    pub fn hub(&self) -> &events::Hub {
        &self.hub
    }

    /// The client connections open, closed when idle to make room.
    pub fn connections(&self) -> &Arc<crate::idle::Connections> {
        &self.connections
    }

    /// The database pool.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// The cache of each user's teams.
    pub fn team_cache(&self) -> &teams::TeamCache {
        &self.team_cache
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "palette-api",
        description = "Teams keep and share colour palettes.\n\n\
            Pick the API version with `Accept: application/vnd.photoroom+json; version=1.0` \
            (the default, compatible with the original service) or `version=2.0`. \
            Every path works with and without its trailing slash, and `/api/palletes/...` \
            is an alias of `/api/palettes/...`. `HEAD` is served wherever `GET` is (the same \
            headers, no body); `OPTIONS` answers 204 with the path's methods in `Allow`, as \
            does a 405 for a method the path does not take. Every resource with an `ETag` (sent in \
            2.0) honours `If-Match` on its writes and deletes in both versions: `*` or the tag, \
            compared strongly; a stale one gets 412.",
    ),
    modifiers(&SecuritySchemes, &EventSchemas, &VersionedSchemas),
    tags(
        (name = "accounts", description = "Users, passwords and API tokens"),
        (name = "teams", description = "Teams, members and invitations"),
        (name = "palettes", description = "Colour palettes"),
        (name = "events", description = "Live events (Server-Sent Events) and their tickets"),
        (name = "ops", description = "Liveness, readiness and metrics"),
    )
)]
struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("basic", SecurityScheme::Http(Http::new(HttpAuthScheme::Basic)));
        components.add_security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
    }
}

/// The OpenAPI document of every route, as served at `/api/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    static DOC: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();
    DOC.get_or_init(|| routes_of(App::new().into_utoipa_app()).split_for_parts().1)
        .clone()
}

/// Every route, its methods and media types (from the document), the docs'
/// own paths, and the path aliases the domains declare.
fn route_table() -> RouteTable {
    static TABLE: OnceLock<RouteTable> = OnceLock::new();
    TABLE
        .get_or_init(|| {
            let table = RouteTable::from_openapi(&openapi())
                .with("/api/openapi.json", &[Method::GET])
                .with("/api/docs", &[Method::GET])
                .with("/api/docs/{file:.*}", &[Method::GET])
                .with(console::PAGE_PATH, &[Method::GET])
                .with(console::ASSETS_PATH, &[Method::GET]);
            palettes::PATH_ALIASES
                .iter()
                .fold(table, |table, (alias, path)| table.with_alias(alias, path))
        })
        .clone()
}

fn routes_of<T>(app: utoipa_actix_web::UtoipaApp<T>) -> utoipa_actix_web::UtoipaApp<T>
where
    T: ServiceFactory<ServiceRequest, Config = (), Error = actix_web::Error, InitError = ()>,
{
    app.openapi(ApiDoc::openapi())
        .service(
            utoipa_actix_web::scope("/api")
                .configure(accounts::configure)
                .configure(teams::configure)
                .configure(palettes::configure)
                .configure(events::configure),
        )
        .configure(ops::configure)
}

/// The application: every route, the versioning middleware, request tracing,
/// the API docs, and 405/404 for what no route takes.
pub fn build_app(
    state: &AppState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let routes = web::Data::new(route_table());
    // The docs come first: the `/api` scope would otherwise take their paths.
    let app = App::new()
        .service(SwaggerUi::new("/api/docs/{_:.*}").config(docs_config()))
        .route("/api/docs", web::get().to(docs_without_slash))
        .route("/api/openapi.json", web::get().to(crate::spec::serve))
        .configure(console::configure)
        .into_utoipa_app()
        .app_data(body::json_config())
        .app_data(body::path_config())
        .app_data(body::query_config())
        .app_data(state.pool.clone())
        .app_data(state.auth.clone())
        .app_data(state.directory.clone())
        .app_data(state.team_cache.clone())
        .app_data(state.cursor_key.clone())
        .app_data(state.hub.clone())
        .app_data(state.request_timeout.clone())
        .app_data(state.trust_forwarded_proto.clone())
        .app_data(state.metrics.clone())
        .app_data(routes.clone());
    routes_of(app)
        .into_app()
        .default_service(web::to(routes.into_inner().fallback()))
        // Inside versioning, so that its 503 is in the negotiated version's format.
        .wrap(from_fn(crate::limits::request_timeout))
        .wrap(from_fn(versioning))
        .wrap(from_fn(crate::headers::security_headers))
        .wrap(from_fn(crate::telemetry::echo_request_id))
        // gzip or brotli when the client asks; event streams say `identity`.
        .wrap(actix_web::middleware::Compress::default())
        // Inside the request logger (the request's id and span), outside all that sets the status.
        .wrap(from_fn(crate::error_reporting::report_server_errors))
        .wrap(TracingLogger::<RequestSpan>::new())
        // An event stream's ticket leaves the URL before anything logs it.
        .wrap(from_fn(events::hide_ticket))
        // A preflight is answered before anything else runs.
        .wrap(crate::headers::cors(&state.cors_allowed_origins))
        // Outermost: the connection is not idle until the response's body is done.
        .wrap(from_fn(crate::idle::track_requests))
}

/// Swagger UI's settings: the document, and no outside validator (Swagger
/// UI otherwise sends the document to validator.swagger.io from any host
/// name but localhost).
fn docs_config<'a>() -> utoipa_swagger_ui::Config<'a> {
    utoipa_swagger_ui::Config::from("/api/openapi.json").validator_url("none")
}

/// `/api/docs` without its slash, served directly (no redirect) like every
/// path: Swagger UI's page with a `<base>` so its assets resolve under `/api/docs/`.
async fn docs_without_slash() -> actix_web::HttpResponse {
    let config = Arc::new(docs_config());
    match utoipa_swagger_ui::serve("index.html", config) {
        Ok(Some(file)) => {
            let page = String::from_utf8_lossy(&file.bytes).replacen("<head>", "<head><base href=\"/api/docs/\">", 1);
            actix_web::HttpResponse::Ok().content_type(file.content_type).body(page)
        }
        _ => actix_web::HttpResponse::NotFound().finish(),
    }
}

/// A bound, not yet running server.
pub struct Application {
    port: u16,
    server: Server,
    state: AppState,
    listener_task: tokio::task::JoinHandle<()>,
}

impl Application {
    /// Prepares the database (unless disabled), opens the pool and binds the listener.
    pub async fn build(settings: &Settings) -> anyhow::Result<Self> {
        // A certificate that cannot serve stops the start before the database is touched.
        let tls = match (&settings.tls_cert_file, &settings.tls_key_file) {
            (Some(cert), Some(key)) => Some(Arc::new(crate::serve::tls_config(cert, key)?)),
            _ => None,
        };
        let url = settings.database_url.expose_secret();
        // Migrations and the listener need a session: not a pooler in transaction mode.
        let direct_url = settings.direct_database_url();
        if settings.migrate_on_start {
            migrate(direct_url).await?;
        }
        let pool = database::pool::build_pool(url, &settings.pool_settings())?;
        if !settings.db_statement_cache {
            tracing::info!(
                "DB_STATEMENT_CACHE=false: statements are not kept, each outside a transaction runs in \
                 one of its own, and statement_timeout is left to the pooler or the database role"
            );
        }
        let state = AppState::new(settings, pool.clone());
        load_cursor_key(pool.clone(), state.cursor_key.clone()).await;
        // Streams start once the outbox's position is known; without a
        // database now, the hub's reader reads it when it can.
        let _ = tokio::time::timeout(std::time::Duration::from_secs(1), state.hub.prime(&pool)).await;
        let listener =
            TcpListener::bind(settings.bind_addr).with_context(|| format!("binding {}", settings.bind_addr))?;
        let address = listener.local_addr()?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        let serving = crate::serve::ServeSettings {
            workers: settings
                .workers
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from)),
            max_connections: settings.connection_limit(),
            shutdown_timeout: settings.shutdown_timeout,
            tls,
        };
        let server = crate::serve::server(listener, &serving, state.clone())?;
        tracing::info!(
            connections = serving.max_connections,
            "at most this many client connections at once"
        );
        tracing::info!(%address, "listening on {scheme}://{address}");
        state.hub.spawn(pool.clone());
        let listener_task = state.listen_for_changes(direct_url.to_owned());
        Ok(Self {
            port: address.port(),
            server,
            state,
            listener_task,
        })
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The shared state (the pool, for tests that look into the database).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until SIGINT or SIGTERM; in-flight requests finish first.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        // Event streams never finish on their own: end them when the server
        // is told to stop, so the grace period goes to ordinary requests.
        let hub = self.state.hub.clone();
        tokio::spawn(async move {
            stopping().await;
            hub.close_all();
        });
        let result = self.server.await;
        self.listener_task.abort();
        result
    }

    /// The server future, for callers that spawn it and stop it through its
    /// handle. The change listener stops with the runtime.
    pub fn into_server(self) -> Server {
        self.server
    }
}

/// Resolves on SIGINT or SIGTERM (the signals the HTTP server stops on).
async fn stopping() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(signal) => signal,
            Err(_) => {
                let _ = interrupt.await;
                return;
            }
        };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}

/// Reads the key list cursors are signed with, before the server accepts
/// requests when the database answers within a second, else in the
/// background, retrying every second (lists answer 503 meanwhile, as they
/// would without a database).
async fn load_cursor_key(pool: Pool, cursor_key: web::Data<CursorKey>) {
    async fn read(pool: &Pool) -> anyhow::Result<Vec<u8>> {
        let mut conn = pool.get().await?;
        Ok(database::secrets::cursor_key(&mut conn).await?)
    }
    let first = tokio::time::timeout(std::time::Duration::from_secs(1), read(&pool)).await;
    if let Ok(Ok(key)) = first {
        cursor_key.set(&key);
        return;
    }
    tokio::spawn(async move {
        let mut reported = false;
        loop {
            match read(&pool).await {
                Ok(key) => {
                    cursor_key.set(&key);
                    return;
                }
                Err(error) if !reported => {
                    tracing::warn!(error = format!("{error:#}"), "cannot read the cursor key yet; retrying");
                    reported = true;
                }
                Err(_) => {}
            }
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
    });
}

/// Creates the database when missing, then applies pending migrations under an advisory lock.
pub async fn migrate(database_url: &str) -> anyhow::Result<()> {
    database::migrate::create_database_if_missing(database_url).await?;
    let applied = database::migrate::run_pending(database_url).await?;
    if applied.is_empty() {
        tracing::info!("database schema is up to date");
    } else {
        tracing::info!(?applied, "applied migrations");
    }
    // Data a migration could not compute in SQL.
    let mut conn = <database::PgConnection as diesel_async::AsyncConnection>::establish(database_url)
        .await
        .context("connecting to fill in usernames' skeletons")?;
    let filled = accounts::service::backfill_skeletons(&mut conn)
        .await
        .context("filling in usernames' skeletons")?;
    if filled > 0 {
        tracing::info!(filled, "gave existing usernames their confusable skeletons");
    }
    Ok(())
}
