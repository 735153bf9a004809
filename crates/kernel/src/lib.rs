//! What every domain crate of palette-api shares: the error type of the HTTP
//! edge, request body fields, `If-Match`, entity tags and keyset cursors.
//!
//! Queries return diesel's `QueryResult`, domain rules fail with each domain's
//! own error enum, and handlers return [`ApiError`], into which both convert.
//! `ApiError` does not know the API version: `api_versioning::render` renders
//! it, once, in the negotiated version's error format.

pub mod error;
pub mod etag;
pub mod input;
pub mod pagination;

pub use error::{ApiError, ErrorKind, FieldErrors};
pub use etag::IfMatch;
pub use input::Field;
pub use pagination::{Cursor, CursorKey};

/// Whether to believe the `X-Forwarded-Proto` (and `Forwarded: proto=`) of
/// the proxy in front (`TRUST_FORWARDED_PROTO`), as `web::Data`: HSTS and
/// the scheme of absolute URLs follow it. Without it, a request is HTTPS
/// only when it came over this server's own TLS.
#[derive(Debug, Clone, Copy)]
pub struct TrustForwardedProto(pub bool);

/// The user a request was authenticated as, left in the request's
/// extensions by the authentication extractors for the access log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestUser(pub i64);
