//! Pages of a list: `?limit=` and `?cursor=` read for the negotiated version,
//! documented once for every list ([`Page`] is both the extractor and its
//! OpenAPI parameters), and the page answered in the version's shape (1.0
//! a bare array with `Link`, 2.0 `items` and `next_cursor`).

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest, HttpResponse};
use kernel::pagination::{next_page_url, CursorKey, LIMIT_RANGE};
use kernel::{ApiError, Cursor};
use serde::Serialize;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::{ObjectBuilder, Required, Type};

use crate::ApiVersion;

/// `?limit=` and `?cursor=` of a list request, and what answering it needs.
#[derive(Debug, Clone)]
pub struct Page {
    /// The negotiated version.
    pub version: ApiVersion,
    /// How many items to return: 1 to 1000, by default 1000 in 1.0 (which
    /// returned everything) and 50 in 2.0.
    pub limit: i64,
    /// Where the previous page ended, if this is not the first page.
    pub cursor: Option<Cursor>,
    key: web::Data<CursorKey>,
}

impl Page {
    /// Where the previous page ended, for a list ordered by id alone: the id
    /// its cursor holds (a 400 naming `cursor` if it holds something else).
    pub fn after_id(&self) -> Result<Option<i64>, ApiError> {
        self.cursor.as_ref().map(|cursor| cursor.int(0)).transpose()
    }

    /// How many rows to fetch: one more than the limit tells whether a next page exists.
    pub fn fetch_limit(&self) -> i64 {
        self.limit + 1
    }

    /// Cuts the extra row of [`Page::fetch_limit`]; returns the page and the
    /// cursor of the next one, made from the last item kept.
    pub fn split<T>(&self, rows: Vec<T>, cursor_of: impl Fn(&T) -> Cursor) -> (Vec<T>, Option<Cursor>) {
        kernel::pagination::split_page(rows, self.limit, cursor_of)
    }

    /// The page in the version's shape.
    pub fn respond<T: Serialize>(&self, req: &HttpRequest, items: &[T], next: Option<&Cursor>) -> HttpResponse {
        // The key is known: this request's cursor, if any, was read with it.
        let next = next.and_then(|cursor| cursor.sign(&self.key));
        match self.version {
            ApiVersion::V1 => {
                let mut response = HttpResponse::Ok();
                if let Some(cursor) = &next {
                    response.insert_header((header::LINK, format!("<{}>; rel=\"next\"", next_page_url(req, cursor))));
                }
                response.json(items)
            }
            // Serialized straight from the items, not through a `serde_json::Value`.
            ApiVersion::V2 => HttpResponse::Ok().json(PageBody {
                items,
                next_cursor: next,
            }),
        }
    }

    fn read(req: &HttpRequest) -> Result<Self, ApiError> {
        let version = req.extensions().get::<ApiVersion>().copied().unwrap_or_default();
        let key = req
            .app_data::<web::Data<CursorKey>>()
            .cloned()
            .ok_or_else(|| ApiError::internal("no cursor key in the app data"))?;
        if key.get().is_none() {
            // Read from the database at start; it did not answer then, nor since.
            return Err(ApiError::database_unavailable());
        }
        let mut limit = version.default_limit();
        let mut cursor = None;
        for (name, value) in url::form_urlencoded::parse(req.query_string().as_bytes()) {
            match name.as_ref() {
                "limit" => {
                    limit = value
                        .trim()
                        .parse::<i64>()
                        .ok()
                        .filter(|n| LIMIT_RANGE.contains(n))
                        .ok_or_else(|| {
                            ApiError::field("limit", "Ensure this value is a whole number from 1 to 1000.")
                        })?;
                }
                "cursor" => cursor = Some(Cursor::verify(&value, &key)?),
                _ => {}
            }
        }
        Ok(Self {
            version,
            limit,
            cursor,
            key,
        })
    }
}

/// Take it after `CurrentUser`, so that a request without credentials is a
/// 401 whatever its query; a handler that checks other parameters first
/// takes `Result<Page, ApiError>` and answers its error in its turn.
impl FromRequest for Page {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Self::read(req))
    }
}

impl utoipa::IntoParams for Page {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let limit = ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::Int64,
            )))
            .minimum(Some(*LIMIT_RANGE.start()))
            .maximum(Some(*LIMIT_RANGE.end()));
        vec![
            ParameterBuilder::new()
                .name("limit")
                .parameter_in(ParameterIn::Query)
                .description(Some("Page size, 1 to 1000 (default 1000 in 1.0, 50 in 2.0)"))
                .required(Required::False)
                .schema(Some(limit))
                .build(),
            ParameterBuilder::new()
                .name("cursor")
                .parameter_in(ParameterIn::Query)
                .description(Some(
                    "The cursor of the next page (from `Link` in 1.0, `next_cursor` in 2.0), with the same \
                     filters and ordering",
                ))
                .required(Required::False)
                .schema(Some(ObjectBuilder::new().schema_type(Type::String).min_length(Some(1))))
                .build(),
        ]
    }
}

/// A 2.0 list's body.
#[derive(Serialize)]
struct PageBody<'a, T> {
    items: &'a [T],
    next_cursor: Option<String>,
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;
    use kernel::ErrorKind;
    use serde_json::{json, Value};
    use utoipa::IntoParams;

    use super::*;

    fn request(query: &str, version: ApiVersion, key: &web::Data<CursorKey>) -> HttpRequest {
        let req = TestRequest::get()
            .uri(&format!("/api/tokens?{query}"))
            .app_data(key.clone())
            .to_http_request();
        req.extensions_mut().insert(version);
        req
    }

    #[test]
    fn limits_default_by_version_and_outside_1_to_1000_are_refused() {
        let key = web::Data::new(CursorKey::with(b"a key for tests"));
        let read = |query: &str, version| Page::read(&request(query, version, &key));
        assert_eq!(read("", ApiVersion::V1).map(|p| p.limit).ok(), Some(1000));
        assert_eq!(read("", ApiVersion::V2).map(|p| p.limit).ok(), Some(50));
        assert_eq!(
            read("limit=1000&other=x", ApiVersion::V2).map(|p| p.limit).ok(),
            Some(1000)
        );
        for bad in ["0", "1001", "abc", "-1", ""] {
            let error = read(&format!("limit={bad}"), ApiVersion::V1).expect_err(bad);
            assert_eq!(error.kind, ErrorKind::Validation, "{bad}");
            assert!(
                error.fields.is_some_and(|f| f.to_nested().get("limit").is_some()),
                "{bad}"
            );
        }
    }

    #[test]
    fn cursors_read_only_when_signed_with_the_apps_key() {
        let key = web::Data::new(CursorKey::with(b"a key for tests"));
        let other = CursorKey::with(b"another instance's key");
        let cursor = Cursor(vec![Value::from(42)]);
        let token = cursor.sign(&key).expect("signed");
        let read = |token: &str| Page::read(&request(&format!("cursor={token}"), ApiVersion::V2, &key));
        assert_eq!(read(&token).ok().and_then(|p| p.cursor), Some(cursor.clone()));
        let forged = cursor.sign(&other).expect("signed");
        assert!(read(&forged).is_err(), "a cursor signed with another key");
        assert!(read("not-a-cursor").is_err());
    }

    #[test]
    fn lists_are_503_until_the_key_is_read() {
        let key = web::Data::new(CursorKey::new());
        let error = Page::read(&request("", ApiVersion::V1, &key)).expect_err("no key yet");
        assert_eq!(error.kind, ErrorKind::ServiceUnavailable);
        key.set(b"read now");
        assert!(Page::read(&request("", ApiVersion::V1, &key)).is_ok());
    }

    #[test]
    fn limit_and_cursor_are_documented_with_their_bounds() {
        let params = serde_json::to_value(Page::into_params(|| None)).expect("json");
        assert_eq!(
            params[0],
            json!({"name": "limit", "in": "query", "description": "Page size, 1 to 1000 (default 1000 in 1.0, 50 in 2.0)",
                "required": false, "schema": {"type": "integer", "format": "int64", "minimum": 1, "maximum": 1000}})
        );
        assert_eq!(params[1]["name"], "cursor");
        assert_eq!(params[1]["schema"], json!({"type": "string", "minLength": 1}));
    }
}
