//! The API version mechanism of palette-api, independent of any domain.
//!
//! - [`negotiate`] reads `Accept` and picks 1.0 or 2.0 (or refuses with 406);
//! - [`versioning`] is the middleware that negotiates for every `/api/` path
//!   (against what its route produces), makes paths trailing-slash-insensitive
//!   and resolves aliases, adds `Vary: Accept` and the
//!   versioned `Content-Type`, and renders every error in the negotiated
//!   version's format through [`render`] (1.0: the seed's `{"detail"}` /
//!   `{"field": [...]}`; 2.0: RFC 9457 problem documents);
//! - [`ApiVersion`] is the extractor handlers use to shape their responses;
//! - [`paging::Page`] reads and documents `?limit=`/`?cursor=` and answers a page;
//! - [`body`] holds the JSON, path and query extractor settings (415, 413, 400);
//! - [`RouteTable`] knows each route's methods and the media types it
//!   produces (negotiation is per route), the path aliases domains declare,
//!   and answers 405 or 404 for requests no route took.

pub mod body;
mod middleware;
pub mod paging;
pub mod render;
pub mod respond;
mod routes;
mod version;

pub use middleware::{versioning, MAX_URL_BYTES, TARGET_LENGTH_HEADER};
pub use routes::RouteTable;
pub use version::{
    negotiate, negotiate_for, ApiVersion, SUPPORTED_VERSIONS, V1_MEDIA_TYPE, V2_MEDIA_TYPE, VENDOR_MEDIA_TYPE,
};
