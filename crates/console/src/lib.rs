//! The web console: a client of the service's own 2.0 API, served at `/`.
//!
//! Its files (`assets/`) are HTML, CSS and JavaScript modules that need no
//! build step; they are embedded in the binary at build time (a debug build
//! reads them from disk, so edits show on reload).
//!
//! - `GET /` is the page, `index.html` with `%ASSETS%` replaced by the
//!   assets' prefix, revalidated on every visit (`no-cache` and an `ETag`);
//! - every other file is served under `/console/<version>/`, where the
//!   version is a hash of all the files: a release changes it, so the files
//!   are cached for a year and never go stale, and a page never loads a
//!   script of another release (a replica that has other files answers 404
//!   for a version not its own);
//! - both carry a strict Content-Security-Policy: scripts, styles and
//!   requests from this origin only, no inline script or style, no framing,
//!   so markup injected into the page could neither run nor read the token
//!   the console keeps in `sessionStorage`.

mod assets;
mod routes;

pub use routes::{configure, ASSETS_PATH, PAGE_PATH};
