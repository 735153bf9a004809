//! Bounds on what one request may cost the service: its time.
//!
//! Every request gets an answer within `REQUEST_TIMEOUT_MS` until its
//! response starts: a database that hangs (its processes stopped, a lock
//! held forever) costs a client a 503 with `Retry-After`, not a wait as long
//! as the hang. The handler's future is dropped, which gives its database
//! connection back (a connection dropped mid-query is not reused).

use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::InternalError;
use actix_web::http::header::{HeaderValue, VARY};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpResponse};
use api_versioning::ApiVersion;
use kernel::ApiError;

/// How long a request may take until its response starts.
#[derive(Debug, Clone, Copy)]
pub struct RequestTimeout(pub Duration);

/// The middleware: wrap the `App` with `from_fn(request_timeout)`, inside
/// the versioning middleware, with a [`RequestTimeout`] as app data.
///
/// The request is gone with its dropped future, so the 503 leaves as an
/// error response rendered here, in the negotiated version's format.
pub async fn request_timeout(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(limit) = req.app_data::<web::Data<RequestTimeout>>().map(|timeout| timeout.0) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let version = req.extensions().get::<ApiVersion>().copied();
    match tokio::time::timeout(limit, next.call(req)).await {
        Ok(response) => Ok(response?.map_into_boxed_body()),
        Err(_) => {
            let millis = u64::try_from(limit.as_millis()).unwrap_or(u64::MAX);
            tracing::warn!(limit_ms = millis, "a request ran out of time; answering 503");
            let error = ApiError::unavailable(format!("The request took longer than {millis} ms; retry shortly."));
            let mut response =
                api_versioning::render::error(&error, version, &HttpResponse::new(StatusCode::SERVICE_UNAVAILABLE));
            response.headers_mut().append(VARY, HeaderValue::from_static("Accept"));
            Err(InternalError::from_response("the request ran out of time", response).into())
        }
    }
}
