//! What every domain crate of palette-api shares: the error type of the HTTP
//! edge and keyset pagination.
//!
//! Queries return diesel's `QueryResult`, domain rules fail with each domain's
//! own error enum, and handlers return [`ApiError`], into which both convert.
//! `ApiError` does not know the API version: the `api-versioning` middleware
//! renders it in the negotiated version's error format.

pub mod error;
pub mod etag;
pub mod input;
pub mod pagination;

pub use error::{ApiError, ErrorKind, FieldErrors};
pub use etag::IfMatch;
pub use input::Field;
pub use pagination::{Cursor, PageParams};
