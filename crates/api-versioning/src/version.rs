//! `Accept` negotiation and the version extractor.

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::http::header::HeaderValue;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use kernel::{ApiError, ErrorKind};
use serde_json::Value;

/// The vendor media type of the API, without its `version` parameter.
pub const VENDOR_MEDIA_TYPE: &str = "application/vnd.photoroom+json";

/// The media type of API 1.0 JSON bodies: responses and their OpenAPI `content`.
pub const V1_MEDIA_TYPE: &str = "application/vnd.photoroom+json; version=1.0";

/// The media type of API 2.0 JSON bodies: responses and their OpenAPI `content`.
pub const V2_MEDIA_TYPE: &str = "application/vnd.photoroom+json; version=2.0";

/// The versions this server speaks.
pub const SUPPORTED_VERSIONS: [&str; 2] = ["1.0", "2.0"];

/// A version of the API, negotiated from `Accept`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ApiVersion {
    /// The Django seed's shapes, for existing clients.
    #[default]
    V1,
    /// The richer API for new clients.
    V2,
}

impl ApiVersion {
    /// `"1.0"` or `"2.0"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V1 => "1.0",
            Self::V2 => "2.0",
        }
    }

    /// The `Content-Type` of this version's JSON responses.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::V1 => V1_MEDIA_TYPE,
            Self::V2 => V2_MEDIA_TYPE,
        }
    }

    /// The default page size of lists: 1.0 returned everything, 2.0 pages by 50.
    pub fn default_limit(self) -> i64 {
        match self {
            Self::V1 => 1000,
            Self::V2 => 50,
        }
    }

    fn parse(version: &str) -> Option<Self> {
        match version.trim().trim_matches('"') {
            "1" | "1.0" => Some(Self::V1),
            "2" | "2.0" => Some(Self::V2),
            _ => None,
        }
    }
}

impl FromRequest for ApiVersion {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(req.extensions().get::<Self>().copied().unwrap_or_default()))
    }
}

fn not_acceptable(detail: &str) -> ApiError {
    ApiError::new(ErrorKind::NotAcceptable, detail).with_extra(
        "supported_versions",
        Value::from(SUPPORTED_VERSIONS.iter().map(|v| Value::from(*v)).collect::<Vec<_>>()),
    )
}

/// Picks the version an `Accept` header asks for, for a route whose
/// successful responses are JSON.
///
/// No header, `*/*`, `application/*`, `application/json` and the vendor type
/// without `version` give 1.0. A vendor type with an unknown version, or a
/// header that admits no JSON type, is a 406 listing the supported versions.
pub fn negotiate(accept: Option<&HeaderValue>) -> Result<ApiVersion, ApiError> {
    negotiate_for(accept, &[])
}

/// Picks the version for a route that also produces the media types
/// `produces` (`text/event-stream`, `text/css`, ...): an `Accept` that
/// admits one of them is served even if it admits no JSON type. The version
/// (of the JSON bodies, errors included) is the one a vendor type asks for,
/// else 1.0.
pub fn negotiate_for(accept: Option<&HeaderValue>, produces: &[String]) -> Result<ApiVersion, ApiError> {
    let Some(accept) = accept else {
        return Ok(ApiVersion::V1);
    };
    let accept = accept
        .to_str()
        .map_err(|_| not_acceptable("Could not satisfy the request Accept header."))?;
    if accept.trim().is_empty() {
        return Ok(ApiVersion::V1);
    }
    // (quality, version) of every acceptable JSON range; the best wins, ties by order.
    let mut best: Option<(f32, ApiVersion)> = None;
    let mut admits_produced = false;
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let media_type = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let mut quality = 1.0_f32;
        let mut version = None;
        for param in parts {
            let Some((name, value)) = param.split_once('=') else {
                continue;
            };
            match name.trim().to_ascii_lowercase().as_str() {
                "q" => quality = value.trim().parse().unwrap_or(0.0),
                "version" => version = Some(value.trim().to_owned()),
                _ => {}
            }
        }
        if quality <= 0.0 {
            continue;
        }
        let chosen = match media_type.as_str() {
            VENDOR_MEDIA_TYPE => match version {
                None => ApiVersion::V1,
                Some(v) => {
                    ApiVersion::parse(&v).ok_or_else(|| not_acceptable("Invalid version in \"Accept\" header."))?
                }
            },
            "application/json" | "application/*" | "*/*" => ApiVersion::V1,
            other => {
                admits_produced |= produces.iter().any(|produced| range_admits(other, produced));
                continue;
            }
        };
        if best.is_none_or(|(q, _)| quality > q) {
            best = Some((quality, chosen));
        }
    }
    match best {
        Some((_, version)) => Ok(version),
        None if admits_produced => Ok(ApiVersion::V1),
        None => Err(not_acceptable("Could not satisfy the request Accept header.")),
    }
}

/// Whether the media range `range` (`text/css`, `text/*`) admits `media_type`.
fn range_admits(range: &str, media_type: &str) -> bool {
    let media_type = media_type.split(';').next().unwrap_or("").trim();
    match range.strip_suffix("/*") {
        Some(kind) => media_type
            .split_once('/')
            .is_some_and(|(produced_kind, _)| produced_kind.eq_ignore_ascii_case(kind)),
        None => range.eq_ignore_ascii_case(media_type),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pick(accept: &str) -> Result<ApiVersion, ErrorKind> {
        negotiate(Some(&HeaderValue::from_str(accept).expect("header"))).map_err(|e| e.kind)
    }

    #[test]
    fn defaults_to_1_0() {
        assert_eq!(negotiate(None).ok(), Some(ApiVersion::V1));
        for accept in [
            "",
            "*/*",
            "application/json",
            "application/*",
            VENDOR_MEDIA_TYPE,
            "text/html, */*;q=0.8",
        ] {
            assert_eq!(pick(accept), Ok(ApiVersion::V1), "{accept}");
        }
    }

    #[test]
    fn vendor_type_selects_the_version() {
        assert_eq!(pick("application/vnd.photoroom+json; version=2.0"), Ok(ApiVersion::V2));
        assert_eq!(pick("application/vnd.photoroom+json;version=1.0"), Ok(ApiVersion::V1));
        assert_eq!(
            pick("application/json;q=0.5, application/vnd.photoroom+json; version=2.0"),
            Ok(ApiVersion::V2)
        );
    }

    #[test]
    fn a_route_that_produces_another_type_is_served_to_clients_that_accept_it() {
        let produces = ["text/event-stream".to_owned()];
        let pick_for = |accept: &str| {
            negotiate_for(Some(&HeaderValue::from_str(accept).expect("header")), &produces).map_err(|e| e.kind)
        };
        assert_eq!(pick_for("text/event-stream"), Ok(ApiVersion::V1));
        assert_eq!(pick_for("text/*"), Ok(ApiVersion::V1));
        assert_eq!(
            pick_for("text/event-stream, application/vnd.photoroom+json; version=2.0"),
            Ok(ApiVersion::V2),
            "errors keep the version a vendor type asks for"
        );
        assert_eq!(pick_for("text/css"), Err(ErrorKind::NotAcceptable));
        assert_eq!(pick_for("text/event-stream;q=0"), Err(ErrorKind::NotAcceptable));
        assert_eq!(
            pick_for("text/event-stream, application/vnd.photoroom+json; version=3.0"),
            Err(ErrorKind::NotAcceptable)
        );
        assert_eq!(
            pick("text/event-stream"),
            Err(ErrorKind::NotAcceptable),
            "JSON routes still refuse it"
        );
    }

    #[test]
    fn unknown_version_or_no_json_is_406() {
        assert_eq!(
            pick("application/vnd.photoroom+json; version=3.0"),
            Err(ErrorKind::NotAcceptable)
        );
        assert_eq!(pick("text/csv"), Err(ErrorKind::NotAcceptable));
        assert_eq!(pick("application/json;q=0"), Err(ErrorKind::NotAcceptable));
    }
}
