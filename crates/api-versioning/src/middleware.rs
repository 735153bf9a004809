//! The versioning middleware; see the crate docs.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode, Uri};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse};
use kernel::{ApiError, ErrorKind};

use crate::version::{negotiate, ApiVersion};

/// Paths under `/api/` that serve documentation, not the versioned API.
fn is_docs(path: &str) -> bool {
    path == "/api/docs" || path.starts_with("/api/docs/") || path == "/api/openapi.json"
}

fn is_api(path: &str) -> bool {
    (path == "/api" || path.starts_with("/api/")) && !is_docs(path)
}

/// Serves `/x/` as `/x` (one slash only) and the seed's `/api/palletes` as `/api/palettes`,
/// without a redirect, for every method. Swagger UI keeps its own paths.
fn normalize_path(req: &mut ServiceRequest) {
    let path = req.path();
    if is_docs(path) || path == "/" {
        return;
    }
    // One trailing slash: `/x//` names no resource.
    let mut normalized = path.strip_suffix('/').unwrap_or(path).to_owned();
    if normalized.is_empty() {
        normalized.push('/');
    }
    if let Some(rest) = normalized.strip_prefix("/api/palletes") {
        if rest.is_empty() || rest.starts_with('/') {
            normalized = format!("/api/palettes{rest}");
        }
    }
    if normalized == path {
        return;
    }
    let path_and_query = match req.query_string() {
        "" => normalized,
        query => format!("{normalized}?{query}"),
    };
    let mut parts = req.head().uri.clone().into_parts();
    let Ok(pq) = path_and_query.parse() else {
        return;
    };
    parts.path_and_query = Some(pq);
    if let Ok(uri) = Uri::from_parts(parts) {
        req.match_info_mut().get_mut().update(&uri);
        req.head_mut().uri = uri;
    }
}

/// The middleware: wrap the whole `App` with `actix_web::middleware::from_fn(versioning)`.
pub async fn versioning(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    normalize_path(&mut req);
    // HEAD is GET without the body: routes answer it as GET, and the HTTP
    // layer, which saw a HEAD, sends the headers (length included) alone.
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    let api = is_api(req.path());
    let version = if api {
        match negotiate(req.headers().get(header::ACCEPT)) {
            Ok(version) => version,
            Err(error) => {
                let response = render_error(&error, None, &HttpResponse::new(StatusCode::OK));
                let mut response = req.into_response(response);
                response
                    .headers_mut()
                    .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
                add_vary(&mut response);
                return Ok(response);
            }
        }
    } else {
        ApiVersion::V1
    };
    let docs = is_docs(req.path());
    req.extensions_mut().insert(version);
    if api && crate::body::is_refused_json_flavour(req.headers().get(header::CONTENT_TYPE)) {
        let error = crate::body::json_error(&actix_web::error::JsonPayloadError::ContentType);
        let mut response = req.into_response(HttpResponse::from_error(error));
        finish(&mut response, version, api);
        return Ok(response);
    }
    let mut response = next.call(req).await?.map_into_boxed_body();
    finish(&mut response, version, api);
    if docs {
        add_vary(&mut response);
    }
    Ok(response)
}

fn add_vary(response: &mut ServiceResponse<BoxBody>) {
    response
        .headers_mut()
        .append(header::VARY, HeaderValue::from_static("Accept"));
}

fn finish(response: &mut ServiceResponse<BoxBody>, version: ApiVersion, api: bool) {
    let status = response.status();
    let is_error = status.is_client_error() || status.is_server_error();
    if is_error {
        let error = response
            .response()
            .error()
            .and_then(|e| e.as_error::<ApiError>())
            .cloned()
            .unwrap_or_else(|| error_for_status(status));
        let rendered = render_error(&error, Some(version), response.response());
        *response.response_mut() = rendered;
    } else if api {
        let is_json = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if is_json {
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(version.content_type()));
        }
    }
    if api {
        add_vary(response);
    }
}

/// An error for a response no `ApiError` produced (actix's own 404, 405, ...).
fn error_for_status(status: StatusCode) -> ApiError {
    let (kind, detail) = match status.as_u16() {
        400 => (ErrorKind::BadRequest, "Bad request."),
        401 => (
            ErrorKind::Unauthorized,
            "Authentication credentials were not provided or are invalid.",
        ),
        403 => (
            ErrorKind::Forbidden,
            "You do not have permission to perform this action.",
        ),
        404 => (ErrorKind::NotFound, "Not found."),
        405 => (ErrorKind::MethodNotAllowed, "Method not allowed."),
        406 => (ErrorKind::NotAcceptable, "Could not satisfy the request Accept header."),
        409 => (ErrorKind::Conflict, "Conflict."),
        412 => (ErrorKind::PreconditionFailed, "Precondition failed."),
        413 => (ErrorKind::PayloadTooLarge, "Request body is too large."),
        415 => (ErrorKind::UnsupportedMediaType, "Unsupported media type in request."),
        429 => (ErrorKind::TooManyRequests, "Request was throttled."),
        503 => (ErrorKind::ServiceUnavailable, "Service unavailable."),
        s if s < 500 => (ErrorKind::BadRequest, "Bad request."),
        _ => (ErrorKind::Internal, "A server error occurred."),
    };
    ApiError::new(kind, detail)
}

/// Renders `error` for `version` (1.0 when none was negotiated), keeping the
/// headers of `original` other than the body's.
fn render_error(error: &ApiError, version: Option<ApiVersion>, original: &HttpResponse) -> HttpResponse {
    let (status, body, content_type) = match version {
        Some(ApiVersion::V2) => (error.kind.status(), error.v2_body(), "application/problem+json"),
        Some(ApiVersion::V1) => (error.kind.status_v1(), error.v1_body(), ApiVersion::V1.content_type()),
        None => (error.kind.status_v1(), error.v1_body(), "application/json"),
    };
    let mut builder = HttpResponse::build(status);
    for (name, value) in original.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            builder.append_header((name.clone(), value.clone()));
        }
    }
    if error.kind == ErrorKind::Unauthorized && !original.headers().contains_key(header::WWW_AUTHENTICATE) {
        builder.insert_header((header::WWW_AUTHENTICATE, "Basic realm=\"api\""));
    }
    if let Some(seconds) = error.retry_after {
        builder.insert_header((header::RETRY_AFTER, seconds.to_string()));
    }
    if let Some(allow) = &error.allow {
        builder.insert_header((header::ALLOW, allow.clone()));
    }
    builder
        .insert_header((header::CONTENT_TYPE, content_type))
        .body(body.to_string())
}
