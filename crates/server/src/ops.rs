//! Endpoints for operators: liveness, readiness and metrics.

use std::time::Duration;

use actix_web::{get, web, HttpResponse};
use database::Pool;
use diesel_async::SimpleAsyncConnection;
use serde_json::json;

/// How long `/readyz` waits for the database.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// Liveness: 200 while the process serves requests.
#[utoipa::path(tag = "ops", responses((status = 200, description = "The process is serving")))]
#[get("/healthz")]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// Readiness: 200 when the database answers within two seconds, else 503.
#[utoipa::path(tag = "ops", responses(
    (status = 200, description = "The database answers"),
    (status = 503, description = "The database does not answer"),
))]
#[get("/readyz")]
async fn readyz(pool: web::Data<Pool>) -> HttpResponse {
    let check = async {
        let mut conn = pool.get().await.map_err(|e| e.to_string())?;
        conn.batch_execute("SELECT 1").await.map_err(|e| e.to_string())
    };
    match tokio::time::timeout(READY_TIMEOUT, check).await {
        Ok(Ok(())) => HttpResponse::Ok().json(json!({"status": "ok", "database": "ok"})),
        Ok(Err(error)) => {
            tracing::warn!(%error, "readiness check failed");
            unavailable()
        }
        Err(_) => {
            tracing::warn!("readiness check timed out");
            unavailable()
        }
    }
}

fn unavailable() -> HttpResponse {
    HttpResponse::ServiceUnavailable()
        .insert_header(("Retry-After", "1"))
        .json(json!({"status": "unavailable", "database": "unreachable"}))
}

/// Prometheus metrics of the process and its database pool.
#[utoipa::path(tag = "ops", responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
#[get("/metrics")]
async fn metrics(
    pool: web::Data<Pool>,
    team_cache: web::Data<teams::TeamCache>,
    hub: web::Data<events::Hub>,
) -> HttpResponse {
    let status = pool.status();
    let mut body = String::new();
    let mut gauge = |name: &str, help: &str, value: usize| {
        body.push_str(&format!("# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}\n"));
    };
    gauge(
        "palette_api_db_pool_max_size",
        "Most connections the pool opens.",
        status.max_size,
    );
    gauge("palette_api_db_pool_size", "Connections open now.", status.size);
    gauge(
        "palette_api_db_pool_available",
        "Idle connections ready for use.",
        status.available,
    );
    gauge(
        "palette_api_db_pool_waiting",
        "Requests waiting for a connection.",
        status.waiting,
    );
    gauge(
        "palette_api_team_cache_live",
        "1 while change notices are heard and the teams cache is in use, else 0.",
        usize::from(team_cache.is_live()),
    );
    gauge(
        "palette_api_event_streams",
        "Live event streams open on this instance.",
        hub.open_streams(),
    );
    let statements = database::pool::statements_executed();
    body.push_str(&format!(
        "# HELP palette_api_db_statements_total SQL statements sent to PostgreSQL.\n\
         # TYPE palette_api_db_statements_total counter\n\
         palette_api_db_statements_total {statements}\n"
    ));
    HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(body)
}

/// Registers the ops endpoints.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(healthz).service(readyz).service(metrics);
}
