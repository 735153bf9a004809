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

/// Prometheus metrics: requests by route and status, the pool, password
/// hashing, the login throttle, event streams, the process (see `crate::metrics`).
#[utoipa::path(tag = "ops", responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
#[get("/metrics")]
async fn metrics(metrics: web::Data<crate::metrics::Metrics>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(metrics.render())
}

/// Registers the ops endpoints.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(healthz).service(readyz).service(metrics);
}
