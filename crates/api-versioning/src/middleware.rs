//! The versioning middleware; see the crate docs.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode, Uri};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpResponse};
use kernel::{ApiError, ErrorKind};

use crate::render;

use crate::version::{negotiate_for, ApiVersion};
use crate::RouteTable;

/// Paths under `/api/` that serve documentation, not the versioned API.
fn is_docs(path: &str) -> bool {
    path == "/api/docs" || path.starts_with("/api/docs/") || path == "/api/openapi.json"
}

/// The longest URL (path and query) read, in bytes: no route needs more,
/// and servers commonly stop at 8 KiB. (The HTTP layer itself refuses a
/// request line of 64 KiB and more before any route sees it.)
pub const MAX_URL_BYTES: usize = 8 * 1024;

/// The header the server's connection reader adds when it had to cut a
/// request line's target too long for the HTTP layer to hold (64 KiB and
/// more): the target's real length in bytes. The cut target is still
/// longer than [`MAX_URL_BYTES`], so such a request gets the same 414.
pub const TARGET_LENGTH_HEADER: &str = "x-palette-api-target-length";

fn is_api(path: &str) -> bool {
    (path == "/api" || path.starts_with("/api/")) && !is_docs(path)
}

/// Serves `/x/` as `/x` (one slash only) and an alias of the route table as
/// the path it stands for, without a redirect, for every method. Swagger UI
/// keeps its own paths.
fn normalize_path(req: &mut ServiceRequest, routes: Option<&RouteTable>) {
    let path = req.path();
    if is_docs(path) || path == "/" {
        return;
    }
    // One trailing slash: `/x//` names no resource.
    let mut normalized = path.strip_suffix('/').unwrap_or(path).to_owned();
    if normalized.is_empty() {
        normalized.push('/');
    }
    if let Some(resolved) = routes.and_then(|routes| routes.resolve_alias(&normalized)) {
        normalized = resolved;
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

/// The middleware: wrap the whole `App` with `actix_web::middleware::from_fn(versioning)`,
/// with the app's [`RouteTable`] as `web::Data` (without one, every route is JSON only
/// and no path has an alias).
pub async fn versioning(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let routes = req.app_data::<web::Data<RouteTable>>().cloned();
    let routes = routes.as_ref().map(|routes| routes.get_ref());
    let url_bytes = req.uri().path_and_query().map_or(0, |pq| pq.as_str().len());
    // A cut target says how long it was (a client that sends the header
    // itself only changes the length its own 414 names).
    let url_bytes = req
        .headers()
        .get(TARGET_LENGTH_HEADER)
        .and_then(|value| value.to_str().ok()?.parse::<usize>().ok())
        .filter(|&length| url_bytes > MAX_URL_BYTES && length > url_bytes)
        .unwrap_or(url_bytes);
    if url_bytes > MAX_URL_BYTES {
        // In the version asked for, when it can be told.
        let version = negotiate_for(req.headers().get(header::ACCEPT), &[]).ok();
        let error = ApiError::new(
            ErrorKind::UriTooLong,
            format!("The URL is {url_bytes} bytes long; the most this service reads is {MAX_URL_BYTES}."),
        );
        let response = render::error(&error, version, &HttpResponse::new(StatusCode::OK));
        let mut response = req.into_response(response);
        add_vary(&mut response);
        return Ok(response);
    }
    normalize_path(&mut req, routes);
    // HEAD is GET without the body: routes answer it as GET, and the HTTP
    // layer, which saw a HEAD, sends the headers (length included) alone.
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    let api = is_api(req.path());
    let version = if api {
        let accept = req.headers().get(header::ACCEPT);
        // The route's other media types matter only to an `Accept` that admits no JSON.
        let negotiated = negotiate_for(accept, &[]).or_else(|error| {
            match routes.map(|routes| routes.produces(req.path(), req.method())) {
                Some(produces) if !produces.is_empty() => negotiate_for(accept, produces),
                _ => Err(error),
            }
        });
        match negotiated {
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
    if api && names_an_id_non_canonically(req.path()) {
        let response = render::error(
            &ApiError::not_found(),
            Some(version),
            &HttpResponse::new(StatusCode::OK),
        );
        let mut response = req.into_response(response);
        add_vary(&mut response);
        return Ok(response);
    }
    let consumed = |content_type: Option<&HeaderValue>| {
        let essence = content_type
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(';').next())
            .unwrap_or("")
            .trim();
        routes.is_some_and(|routes| {
            routes.consumes(req.path(), req.method()).iter().any(|media_type| {
                media_type
                    .split(';')
                    .next()
                    .is_some_and(|t| t.trim().eq_ignore_ascii_case(essence))
            })
        })
    };
    let content_type = req.headers().get(header::CONTENT_TYPE);
    // A method the path does not take is a 405, whatever its body.
    let method_taken = routes.is_none_or(|routes| routes.allowed(req.path()).contains(req.method()));
    if api && method_taken && crate::body::is_refused_json_flavour(content_type) && !consumed(content_type) {
        // Worded as the seed's framework worded a 415 (the body reader's own is more specific).
        let error = render::for_status(StatusCode::UNSUPPORTED_MEDIA_TYPE);
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

/// Whether a segment of `path` is a whole number not written as the id it
/// parses to (`+1`, `01`, `-0`): only `/api/palettes/1/` names palette 1.
fn names_an_id_non_canonically(path: &str) -> bool {
    path.split('/').any(|segment| {
        let digits = segment.strip_prefix(['+', '-']).unwrap_or(segment);
        !digits.is_empty()
            && digits.bytes().all(|b| b.is_ascii_digit())
            && segment.parse::<i64>().map_or(true, |id| id.to_string() != segment)
    })
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

#[cfg(test)]
mod tests {
    use actix_web::middleware::from_fn;
    use actix_web::{test, App, HttpResponse};

    use super::*;

    #[actix_web::test]
    async fn only_canonical_ids_name_resources() {
        for path in [
            "/api/palettes/+1",
            "/api/palettes/01/copy",
            "/api/teams/-0",
            "/api/teams/007/members/1",
        ] {
            assert!(names_an_id_non_canonically(path), "{path}");
        }
        for path in [
            "/api/palettes/1",
            "/api/teams/-5",
            "/api/palettes/import",
            "/api/palettes/10/export/css",
            "/api/",
        ] {
            assert!(!names_an_id_non_canonically(path), "{path}");
        }
        // Too large for an id: the route answers 404 as for any unparsable one.
        assert!(names_an_id_non_canonically("/api/palettes/99999999999999999999"));
    }

    async fn feed() -> HttpResponse {
        HttpResponse::Ok()
            .content_type("text/event-stream")
            .body("retry: 3000\n\n")
    }

    async fn teams() -> HttpResponse {
        HttpResponse::Ok().json(serde_json::json!([]))
    }

    fn table() -> RouteTable {
        RouteTable::default()
            .with_route("/api/feed", &[Method::GET], &["text/event-stream"])
            .with("/api/teams", &[Method::GET])
            .with_alias("/api/tems", "/api/teams")
    }

    #[actix_web::test]
    async fn each_route_is_negotiated_against_what_it_produces() {
        let app = test::init_service(
            App::new()
                .app_data(web::Data::new(table()))
                .route("/api/feed", web::get().to(feed))
                .route("/api/teams", web::get().to(teams))
                .wrap(from_fn(versioning)),
        )
        .await;
        let get = |path: &str, accept: &str| {
            test::TestRequest::get()
                .uri(path)
                .insert_header((header::ACCEPT, accept.to_owned()))
                .to_request()
        };
        let stream = test::call_service(&app, get("/api/feed/", "text/event-stream")).await;
        assert_eq!(stream.status(), StatusCode::OK);
        assert_eq!(
            stream.headers().get(header::CONTENT_TYPE).expect("type"),
            "text/event-stream"
        );
        assert_eq!(stream.headers().get(header::VARY).expect("vary"), "Accept");

        let refused = test::call_service(&app, get("/api/teams", "text/event-stream")).await;
        assert_eq!(
            refused.status(),
            StatusCode::NOT_ACCEPTABLE,
            "a JSON route still refuses it"
        );

        let wrong_type = test::call_service(
            &app,
            get("/api/feed", "text/css, application/vnd.photoroom+json; version=2.0"),
        )
        .await;
        assert_eq!(
            wrong_type.status(),
            StatusCode::OK,
            "JSON is always acceptable: errors are JSON"
        );

        let aliased = test::call_service(&app, get("/api/tems", "application/json")).await;
        assert_eq!(
            aliased.status(),
            StatusCode::OK,
            "a declared alias is served as its path"
        );
        let unknown = test::call_service(&app, get("/api/feeds", "text/event-stream")).await;
        assert_eq!(unknown.status(), StatusCode::NOT_ACCEPTABLE);
    }

    #[actix_web::test]
    async fn errors_of_a_non_json_route_are_json_in_the_negotiated_version() {
        let app = test::init_service(
            App::new()
                .app_data(web::Data::new(table()))
                .route(
                    "/api/feed",
                    web::get().to(|| async { Err::<HttpResponse, _>(ApiError::unauthorized()) }),
                )
                .wrap(from_fn(versioning)),
        )
        .await;
        let request = test::TestRequest::get()
            .uri("/api/feed")
            .insert_header((
                header::ACCEPT,
                "text/event-stream, application/vnd.photoroom+json; version=2.0",
            ))
            .to_request();
        let response = test::call_service(&app, request).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            response.headers().get(header::CONTENT_TYPE).expect("type"),
            crate::render::PROBLEM_MEDIA_TYPE
        );
        assert!(response.headers().contains_key(header::WWW_AUTHENTICATE));
    }

    #[actix_web::test]
    async fn a_url_past_the_limit_is_414_in_the_version_asked_for() {
        let app = test::init_service(
            App::new()
                .app_data(web::Data::new(table()))
                .route("/api/teams", web::get().to(teams))
                .wrap(from_fn(versioning)),
        )
        .await;
        let get = |query_bytes: usize, accept: &str| {
            test::TestRequest::get()
                .uri(&format!("/api/teams?q={}", "a".repeat(query_bytes)))
                .insert_header((header::ACCEPT, accept.to_owned()))
                .to_request()
        };
        let at_limit = MAX_URL_BYTES - "/api/teams?q=".len();
        let fits = test::call_service(&app, get(at_limit, "application/json")).await;
        assert_eq!(fits.status(), StatusCode::OK);

        let v2 = test::call_service(&app, get(at_limit + 1, "application/vnd.photoroom+json; version=2.0")).await;
        assert_eq!(v2.status(), StatusCode::URI_TOO_LONG);
        assert_eq!(
            v2.headers().get(header::CONTENT_TYPE).expect("type"),
            crate::render::PROBLEM_MEDIA_TYPE
        );
        let body: serde_json::Value = test::read_body_json(v2).await;
        assert_eq!(body["status"], 414);
        assert!(body["detail"].as_str().is_some_and(|d| d.contains("8192")), "{body}");

        let v1 = test::call_service(&app, get(20_000, "application/json")).await;
        assert_eq!(v1.status(), StatusCode::URI_TOO_LONG);
        let body: serde_json::Value = test::read_body_json(v1).await;
        assert!(body["detail"].is_string(), "the 1.0 shape: {body}");

        // A target the connection reader cut names its real length; the
        // header alone refuses nothing.
        let cut = test::TestRequest::get()
            .uri(&format!("/api/teams?q={}", "a".repeat(2 * MAX_URL_BYTES)))
            .insert_header((TARGET_LENGTH_HEADER, "100000"))
            .to_request();
        let cut = test::call_service(&app, cut).await;
        assert_eq!(cut.status(), StatusCode::URI_TOO_LONG);
        let body: serde_json::Value = test::read_body_json(cut).await;
        assert!(
            body["detail"].as_str().is_some_and(|d| d.contains("100000 bytes")),
            "{body}"
        );
        let short = test::TestRequest::get()
            .uri("/api/teams?q=a")
            .insert_header((TARGET_LENGTH_HEADER, "100000"))
            .to_request();
        assert_eq!(test::call_service(&app, short).await.status(), StatusCode::OK);
    }
}
