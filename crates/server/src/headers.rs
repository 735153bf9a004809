//! Security headers on every response.
//!
//! - `X-Content-Type-Options: nosniff` and `Referrer-Policy: no-referrer`
//!   everywhere;
//! - `Cache-Control: no-store` on responses to authenticated requests that
//!   set no caching of their own (exports and event streams say theirs), so
//!   no shared or browser cache keeps a user's data;
//! - a `Content-Security-Policy` on the API docs (Swagger UI is served from
//!   the binary: scripts and styles from this origin only, no framing) and
//!   `default-src 'none'` on everything else, which is data, not pages;
//! - `Strict-Transport-Security` when the request came over HTTPS: served
//!   with TLS here (`TLS_CERT_FILE`), or as a trusted proxy says
//!   (`TRUST_FORWARDED_PROTO`);
//! - CORS for the origins of `CORS_ALLOWED_ORIGINS` only ([`cors`]).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web;

pub use kernel::TrustForwardedProto;

/// The docs page's policy: Swagger UI's own files, its inline styles, data
/// images, the document fetched from this origin.
const DOCS_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'none'";
/// Everything else is data.
const DATA_POLICY: &str = "default-src 'none'; frame-ancestors 'none'";
/// One year, with subdomains.
const HSTS: &str = "max-age=31536000; includeSubDomains";

/// The middleware: wrap the `App` with `from_fn(security_headers)`.
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let authenticated = req.headers().contains_key(header::AUTHORIZATION) || req.query_string().contains("ticket=");
    let docs = req.path() == "/api/docs" || req.path().starts_with("/api/docs/");
    let trust_proto = req
        .app_data::<web::Data<TrustForwardedProto>>()
        .is_some_and(|trust| trust.0);
    // Served over TLS here, or by a trusted proxy that says so.
    let over_https = req.app_config().secure() || (trust_proto && req.connection_info().scheme() == "https");
    let mut response = next.call(req).await?;
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        let policy = if docs { DOCS_POLICY } else { DATA_POLICY };
        headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(policy));
    }
    if authenticated && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if over_https {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(HSTS));
    }
    Ok(response)
}

/// CORS for `origins` (none: no cross-origin access, the middleware passes
/// every request through untouched). The methods and headers the API reads,
/// and the response headers clients need (`ETag`, `Link`, `Location`,
/// `Retry-After`, `X-Request-Id`, `Content-Disposition`) exposed.
pub fn cors(origins: &[String]) -> actix_web::middleware::Condition<actix_cors::Cors> {
    let origins: Vec<&str> = origins.iter().map(|o| o.trim()).filter(|o| !o.is_empty()).collect();
    let mut cors = actix_cors::Cors::default()
        .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
        .allowed_headers([
            header::AUTHORIZATION,
            header::ACCEPT,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            header::HeaderName::from_static("last-event-id"),
            header::HeaderName::from_static("x-request-id"),
        ])
        .expose_headers([
            header::ETAG,
            header::LINK,
            header::LOCATION,
            header::RETRY_AFTER,
            header::CONTENT_DISPOSITION,
            header::HeaderName::from_static("x-request-id"),
        ])
        .max_age(600);
    for origin in &origins {
        cors = cors.allowed_origin(origin);
    }
    actix_web::middleware::Condition::new(!origins.is_empty(), cors)
}
