//! Bounds on what one request may cost the service: its time.
//!
//! Every request gets an answer within `REQUEST_TIMEOUT_MS` until its
//! response starts: a database that hangs (its processes stopped, a lock
//! held forever) costs a client a 503 with `Retry-After`, not a wait as long
//! as the hang; a body that has not all arrived by then (announced, then
//! sent slowly or not at all) is a 408, and the connection closes. The
//! handler's future is dropped, which gives its database connection back (a
//! connection dropped mid-query is not reused).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::InternalError;
use actix_web::http::header::{HeaderName, HeaderValue, CONTENT_LENGTH, TRANSFER_ENCODING, VARY};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpResponse};
use api_versioning::ApiVersion;
use kernel::{ApiError, ErrorKind};

/// Replaces the request's body with one that notes when it has all
/// arrived; the flag is set at once for a request without a body.
fn watch_body(req: &mut ServiceRequest) -> Arc<AtomicBool> {
    let headers = req.headers();
    let announced = headers
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok())
        .unwrap_or(0);
    let chunked = headers
        .get(TRANSFER_ENCODING)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.to_ascii_lowercase().contains("chunked"));
    let received = Arc::new(AtomicBool::new(announced == 0 && !chunked));
    if !received.load(Ordering::SeqCst) {
        let flag = Arc::clone(&received);
        let end = futures_util::stream::poll_fn(move |_| {
            flag.store(true, Ordering::SeqCst);
            std::task::Poll::Ready(None)
        });
        let body = futures_util::StreamExt::chain(req.take_payload(), end);
        req.set_payload(Payload::Stream {
            payload: Box::pin(body),
        });
    }
    received
}

/// How long a request may take until its response starts.
#[derive(Debug, Clone, Copy)]
pub struct RequestTimeout(pub Duration);

/// The middleware: wrap the `App` with `from_fn(request_timeout)`, inside
/// the versioning middleware, with a [`RequestTimeout`] as app data.
///
/// The request is gone with its dropped future, so the 503 leaves as an
/// error response rendered here, in the negotiated version's format.
pub async fn request_timeout(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(limit) = req.app_data::<web::Data<RequestTimeout>>().map(|timeout| timeout.0) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let version = req.extensions().get::<ApiVersion>().copied();
    let request_id = req.extensions().get::<crate::telemetry::RequestIdValue>().cloned();
    let body_received = watch_body(&mut req);
    match tokio::time::timeout(limit, next.call(req)).await {
        Ok(response) => Ok(response?.map_into_boxed_body()),
        Err(_) => {
            let millis = u64::try_from(limit.as_millis()).unwrap_or(u64::MAX);
            let error = if body_received.load(Ordering::SeqCst) {
                tracing::warn!(limit_ms = millis, "a request ran out of time; answering 503");
                ApiError::unavailable(format!("The request took longer than {millis} ms; retry shortly."))
            } else {
                // The client's fault: its body did not come in time.
                tracing::info!(
                    limit_ms = millis,
                    "a request body did not arrive in time; answering 408"
                );
                ApiError::new(
                    ErrorKind::RequestTimeout,
                    format!("The request body did not arrive within {millis} ms."),
                )
            };
            let mut response =
                api_versioning::render::error(&error, version, &HttpResponse::new(StatusCode::SERVICE_UNAVAILABLE));
            response.headers_mut().append(VARY, HeaderValue::from_static("Accept"));
            // The request's id middleware sees an error, not this response: echo it here.
            if let Some(value) = request_id.and_then(|id| HeaderValue::from_str(&id.0).ok()) {
                response
                    .headers_mut()
                    .insert(HeaderName::from_static(crate::telemetry::REQUEST_ID_HEADER), value);
            }
            Err(InternalError::from_response("the request ran out of time", response).into())
        }
    }
}
