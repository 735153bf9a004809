//! Responses shaped by version: lists (1.0 bare arrays with `Link`, 2.0
//! `items` and `next_cursor`) and single resources (2.0 `ETag`).

use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use kernel::pagination::next_link_header;
use kernel::Cursor;
use serde::Serialize;

use crate::ApiVersion;

/// A page of a list in the version's shape.
pub fn list<T: Serialize>(req: &HttpRequest, version: ApiVersion, items: &[T], next: Option<&Cursor>) -> HttpResponse {
    match version {
        ApiVersion::V1 => {
            let mut response = HttpResponse::Ok();
            if let Some(cursor) = next {
                response.insert_header((header::LINK, next_link_header(req, cursor)));
            }
            response.json(items)
        }
        // Serialized straight from the items, not through a `serde_json::Value`.
        ApiVersion::V2 => HttpResponse::Ok().json(Page {
            items,
            next_cursor: next.map(Cursor::encode),
        }),
    }
}

/// A 2.0 list's body.
#[derive(Serialize)]
struct Page<'a, T> {
    items: &'a [T],
    next_cursor: Option<String>,
}

/// A JSON body with a status.
pub fn json<T: Serialize>(status: StatusCode, body: &T) -> HttpResponse {
    HttpResponse::build(status).json(body)
}

/// A JSON body with a status and, in 2.0, an `ETag`.
pub fn json_with_etag<T: Serialize>(status: StatusCode, version: ApiVersion, etag: &str, body: &T) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    if version == ApiVersion::V2 {
        response.insert_header((header::ETAG, etag.to_owned()));
    }
    response.json(body)
}

/// An `If-Match` precondition, owned so it can travel into a transaction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IfMatch(pub Option<String>);

impl IfMatch {
    /// No precondition: every state is accepted.
    pub fn any() -> Self {
        Self(None)
    }

    /// The request's `If-Match`; a header that is not text matches no tag.
    pub fn from_request(req: &HttpRequest) -> Self {
        Self(
            req.headers()
                .get(header::IF_MATCH)
                .map(|value| value.to_str().unwrap_or_default().to_owned()),
        )
    }

    /// Whether the precondition admits `etag`: `*` or the tag itself, compared
    /// strongly as RFC 9110 asks (a weak `W/` tag never matches); no header
    /// admits everything.
    pub fn allows(&self, etag: &str) -> bool {
        match &self.0 {
            None => true,
            Some(value) => value.split(',').map(str::trim).any(|tag| tag == "*" || tag == etag),
        }
    }
}

/// Whether the request's `If-Match` admits `etag` (no header admits everything).
pub fn if_match_allows(req: &HttpRequest, etag: &str) -> bool {
    IfMatch::from_request(req).allows(etag)
}

#[cfg(test)]
mod tests {
    use super::IfMatch;

    #[test]
    fn if_match_accepts_star_and_the_tag_compared_strongly() {
        let etag = "\"t1\"";
        assert!(IfMatch::any().allows(etag));
        assert!(IfMatch(Some("*".to_owned())).allows(etag));
        assert!(IfMatch(Some("\"t0\", \"t1\"".to_owned())).allows(etag));
        assert!(!IfMatch(Some("W/\"t1\"".to_owned())).allows(etag));
        assert!(!IfMatch(Some("\"t0\"".to_owned())).allows(etag));
        assert!(!IfMatch(Some(String::new())).allows(etag));
    }
}
