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
