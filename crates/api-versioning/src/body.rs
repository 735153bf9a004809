//! Extractor settings for request bodies, paths and query strings, so that
//! bad input gets the contract's status and the version's error body.

use actix_web::dev::Payload;
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::header::HeaderValue;
use actix_web::{mime, web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use kernel::{ApiError, ErrorKind, FieldErrors};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Largest request body accepted: 64 KiB.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Whether a request `Content-Type` is one the API reads.
pub fn is_json_media_type(essence: &str) -> bool {
    essence.eq_ignore_ascii_case("application/json") || essence.eq_ignore_ascii_case(crate::VENDOR_MEDIA_TYPE)
}

/// Whether a request's `Content-Type` is a JSON flavour the API refuses
/// (`text/json`, `application/merge-patch+json`, ...). actix's `Json` reads
/// any `*/json` and `*/*+json` body whatever [`json_config`] says, so the
/// versioning middleware answers these 415 before a handler runs.
pub fn is_refused_json_flavour(content_type: Option<&HeaderValue>) -> bool {
    let Some(mime) = content_type
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<mime::Mime>().ok())
    else {
        return false;
    };
    let json_like = mime.subtype() == mime::JSON || mime.suffix() == Some(mime::JSON);
    json_like && !is_json_media_type(mime.essence_str())
}

/// `web::Json` settings: JSON or the vendor type (else 415), at most 64 KiB
/// (else 413), well-formed (else 400).
pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(MAX_BODY_BYTES)
        .content_type_required(true)
        .content_type(|mime| is_json_media_type(mime.essence_str()))
        .error_handler(|error, _req| json_error(&error).into())
}

/// The API error for a body `web::Json` could not read.
pub fn json_error(error: &JsonPayloadError) -> ApiError {
    match error {
        JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => ApiError::new(
            ErrorKind::PayloadTooLarge,
            format!("Request body is larger than {MAX_BODY_BYTES} bytes."),
        ),
        JsonPayloadError::ContentType => ApiError::new(
            ErrorKind::UnsupportedMediaType,
            "Unsupported media type in request: send application/json.",
        ),
        JsonPayloadError::Deserialize(e) => ApiError::bad_request(format!("JSON parse error - {e}")),
        other => ApiError::bad_request(format!("Could not read the request body: {other}")),
    }
}

/// `web::Path` settings: a path that does not parse (`/api/teams/abc`) names
/// no resource: 404; unless it is a path of another route that does not take
/// this method (`GET /api/palettes/import`): 405.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|_error: PathError, req| {
        req.app_data::<web::Data<crate::RouteTable>>()
            .and_then(|routes| routes.method_not_allowed(req))
            .unwrap_or_else(ApiError::not_found)
            .into()
    })
}

/// A request body read whole as bytes (a file upload), with its media type:
/// at most [`MAX_BODY_BYTES`] (else 413). The handler decides which media
/// types it reads.
#[derive(Debug)]
pub struct RawBody {
    /// The essence of `Content-Type`, lowercase (`text/css`), if sent.
    pub media_type: Option<String>,
    /// The body.
    pub bytes: web::Bytes,
}

fn too_large() -> ApiError {
    ApiError::new(
        ErrorKind::PayloadTooLarge,
        format!("Request body is larger than {MAX_BODY_BYTES} bytes."),
    )
}

impl FromRequest for RawBody {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let media_type = req
            .headers()
            .get(actix_web::http::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(';').next())
            .map(|essence| essence.trim().to_ascii_lowercase())
            .filter(|essence| !essence.is_empty());
        let announced = req
            .headers()
            .get(actix_web::http::header::CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if announced.is_some_and(|length| length > MAX_BODY_BYTES) {
                return Err(too_large().into());
            }
            let mut body = web::BytesMut::new();
            while let Some(chunk) = futures_util::StreamExt::next(&mut payload).await {
                let chunk =
                    chunk.map_err(|e| ApiError::bad_request(format!("Could not read the request body: {e}")))?;
                if body.len() + chunk.len() > MAX_BODY_BYTES {
                    return Err(too_large().into());
                }
                body.extend_from_slice(&chunk);
            }
            Ok(Self {
                media_type,
                bytes: body.freeze(),
            })
        })
    }
}

/// `web::Query` settings: a query string that does not parse is a 400.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|error: QueryPayloadError, _req| {
        ApiError::bad_request(format!("Invalid query string: {error}")).into()
    })
}

/// A JSON object body read into a request type `T` made of
/// [`kernel::input::Field`]s (see there): the body limits and media types of
/// [`json_config`] apply, a body that is not an object is a 400 in the seed's
/// words, and `T` then checks each field itself.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

/// A JSON body like [`JsonBody`], but one that is not an object is left for
/// the handler to answer in its turn: for routes that answer 404 for a
/// resource the caller may not see before they look at the body, as the seed
/// did. Unreadable JSON, a wrong media type or size are still refused at once.
#[derive(Debug)]
pub struct DeferredJsonBody<T>(pub Result<T, FieldErrors>);

/// Reads a JSON body as `T` when it is an object.
fn read_object<T: DeserializeOwned>(value: Value) -> Result<Result<T, FieldErrors>, ApiError> {
    if let Err(errors) = kernel::input::object(&value) {
        return Ok(Err(errors));
    }
    T::deserialize(value)
        .map(Ok)
        .map_err(|e| ApiError::bad_request(format!("JSON parse error - {e}")))
}

impl<T: DeserializeOwned + 'static> FromRequest for DeferredJsonBody<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = web::Json::<Value>::from_request(req, payload);
        Box::pin(async move { Ok(Self(read_object(json.await?.into_inner())?)) })
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = web::Json::<Value>::from_request(req, payload);
        Box::pin(async move {
            let request = read_object(json.await?.into_inner())?.map_err(ApiError::validation)?;
            Ok(Self(request))
        })
    }
}
