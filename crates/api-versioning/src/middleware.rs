//! The versioning middleware; see the crate docs.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode, Uri};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse};
use kernel::ApiError;

use crate::render;

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
                let response = render::error(&error, None, &HttpResponse::new(StatusCode::OK));
                let mut response = req.into_response(response);
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
        let response = render::error(&error, Some(version), &HttpResponse::new(StatusCode::OK));
        let mut response = req.into_response(response);
        add_vary(&mut response);
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
        let original = response.response();
        let rendered = match original.error().and_then(|e| e.as_error::<ApiError>()) {
            Some(error) => render::error(error, Some(version), original),
            None => render::error(&render::for_status(status), Some(version), original),
        };
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
