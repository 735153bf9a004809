//! The one place an error becomes a response: each version's status, body
//! and media type, and the headers that go with the error
//! (`WWW-Authenticate`, `Retry-After`, `Allow`).
//!
//! Handlers and extractors return [`ApiError`]; its `ResponseError` answer is
//! a bare status that keeps the error, and the versioning middleware calls
//! [`error`] with the negotiated version. Responses no `ApiError` made
//! (actix's own 404 or 405) get [`for_status`]'s error first.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use kernel::{ApiError, ErrorKind};
use serde_json::{Map, Value};

use crate::ApiVersion;

/// The media type of 2.0 errors (RFC 9457).
pub const PROBLEM_MEDIA_TYPE: &str = "application/problem+json";

/// The status `kind` gets in `version`: 1.0 answers conflicts with 400, as the seed did.
pub fn status(kind: ErrorKind, version: ApiVersion) -> StatusCode {
    match (kind, version) {
        (ErrorKind::Conflict, ApiVersion::V1) => StatusCode::BAD_REQUEST,
        (kind, _) => kind.status(),
    }
}

/// The 1.0 body: messages by field for validation errors and conflicts on a
/// field, otherwise `{"detail": ...}` and the error's extra members.
pub fn v1_body(error: &ApiError) -> Value {
    match &error.fields {
        Some(fields) if matches!(error.kind, ErrorKind::Validation | ErrorKind::Conflict) => fields.to_nested(),
        _ => {
            let mut body = Map::new();
            body.insert("detail".to_owned(), Value::String(error.detail.clone()));
            body.extend(error.extra.iter().flat_map(|extra| extra.as_ref().clone()));
            Value::Object(body)
        }
    }
}

/// The 2.0 body: an RFC 9457 problem document, with `errors` by field.
pub fn v2_body(error: &ApiError) -> Value {
    let status = error.kind.status();
    let mut body = Map::new();
    body.insert("type".to_owned(), Value::String("about:blank".to_owned()));
    body.insert(
        "title".to_owned(),
        Value::String(status.canonical_reason().unwrap_or("Error").to_owned()),
    );
    body.insert("status".to_owned(), Value::from(status.as_u16()));
    body.insert("detail".to_owned(), Value::String(error.detail.clone()));
    if let Some(fields) = &error.fields {
        body.insert("errors".to_owned(), fields.to_flat());
    }
    body.extend(error.extra.iter().flat_map(|extra| extra.as_ref().clone()));
    Value::Object(body)
}

/// The response for `error` in `version` (`None`: no version could be
/// negotiated, so a 1.0 body as plain JSON), keeping the headers of
/// `original` other than its body's.
pub fn error(error: &ApiError, version: Option<ApiVersion>, original: &HttpResponse) -> HttpResponse {
    let (body, content_type) = match version {
        Some(ApiVersion::V2) => (v2_body(error), PROBLEM_MEDIA_TYPE),
        Some(ApiVersion::V1) => (v1_body(error), ApiVersion::V1.content_type()),
        None => (v1_body(error), "application/json"),
    };
    let mut builder = HttpResponse::build(status(error.kind, version.unwrap_or_default()));
    for (name, value) in original.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            builder.append_header((name.clone(), value.clone()));
        }
    }
    if error.kind == ErrorKind::Unauthorized && !original.headers().contains_key(header::WWW_AUTHENTICATE) {
        builder.insert_header((
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"api\""),
        ));
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

/// The error for a response no `ApiError` produced (actix's own 404, 405, ...).
pub fn for_status(status: StatusCode) -> ApiError {
    let (kind, detail) = match status.as_u16() {
        401 => return ApiError::unauthorized(),
        404 => return ApiError::not_found(),
        400 => (ErrorKind::BadRequest, "Bad request."),
        403 => (
            ErrorKind::Forbidden,
            "You do not have permission to perform this action.",
        ),
        405 => (ErrorKind::MethodNotAllowed, "Method not allowed."),
        406 => (ErrorKind::NotAcceptable, "Could not satisfy the request Accept header."),
        408 => (ErrorKind::RequestTimeout, "The request did not arrive in time."),
        409 => (ErrorKind::Conflict, "Conflict."),
        412 => (ErrorKind::PreconditionFailed, "Precondition failed."),
        413 => (ErrorKind::PayloadTooLarge, "Request body is too large."),
        414 => (ErrorKind::UriTooLong, "The URL is too long."),
        415 => (ErrorKind::UnsupportedMediaType, "Unsupported media type in request."),
        429 => (ErrorKind::TooManyRequests, "Request was throttled."),
        503 => (ErrorKind::ServiceUnavailable, "Service unavailable."),
        s if s < 500 => (ErrorKind::BadRequest, "Bad request."),
        _ => (ErrorKind::Internal, "A server error occurred."),
    };
    ApiError::new(kind, detail)
}

#[cfg(test)]
mod tests {
    use kernel::FieldErrors;
    use serde_json::json;

    use super::*;

    #[test]
    fn a_conflict_on_a_field_is_400_with_field_messages_in_1_0_and_a_409_problem_in_2_0() {
        let conflict = ApiError::conflict(Some("name"), "Taken.");
        let v1 = error(&conflict, Some(ApiVersion::V1), &HttpResponse::new(StatusCode::OK));
        assert_eq!(v1.status(), StatusCode::BAD_REQUEST);
        assert_eq!(v1_body(&conflict), json!({"name": ["Taken."]}));
        let v2 = error(&conflict, Some(ApiVersion::V2), &HttpResponse::new(StatusCode::OK));
        assert_eq!(v2.status(), StatusCode::CONFLICT);
        assert_eq!(
            v2.headers().get(header::CONTENT_TYPE).expect("header"),
            PROBLEM_MEDIA_TYPE
        );
        assert_eq!(
            v2_body(&conflict),
            json!({"type": "about:blank", "title": "Conflict", "status": 409, "detail": "Taken.", "errors": {"name": ["Taken."]}})
        );
    }

    #[test]
    fn list_item_messages_nest_in_1_0_and_flatten_in_2_0() {
        let mut fields = FieldErrors::new();
        fields.add_item("colors", 2, "Bad.");
        let invalid = ApiError::validation(fields);
        assert_eq!(v1_body(&invalid), json!({"colors": {"2": ["Bad."]}}));
        assert_eq!(v2_body(&invalid)["errors"], json!({"colors.2": ["Bad."]}));
    }

    #[test]
    fn headers_that_go_with_an_error_are_set_here() {
        let ok = HttpResponse::new(StatusCode::OK);
        let unauthorized = error(&ApiError::unauthorized(), Some(ApiVersion::V1), &ok);
        assert_eq!(
            unauthorized.headers().get(header::WWW_AUTHENTICATE).expect("header"),
            "Basic realm=\"api\""
        );
        let throttled = error(&ApiError::too_many_requests(30), Some(ApiVersion::V2), &ok);
        assert_eq!(throttled.headers().get(header::RETRY_AFTER).expect("header"), "30");
        let mut not_allowed = ApiError::new(ErrorKind::MethodNotAllowed, "No.");
        not_allowed.allow = Some("GET, OPTIONS".to_owned());
        assert_eq!(
            error(&not_allowed, None, &ok)
                .headers()
                .get(header::ALLOW)
                .expect("header"),
            "GET, OPTIONS"
        );
    }
}
