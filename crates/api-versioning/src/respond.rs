//! Responses shaped by version: single resources (2.0 `ETag`); lists are
//! answered by [`crate::paging::Page::respond`].

use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use serde::Serialize;

use crate::ApiVersion;

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
