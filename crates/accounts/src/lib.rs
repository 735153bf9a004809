//! Accounts: users, how they prove who they are, and their API tokens.
//!
//! - [`CurrentUser`] is the one extractor every protected route uses: HTTP
//!   Basic (argon2id, verified off the executor, cached briefly under a keyed
//!   hash) or a Bearer token (stored as SHA-256), with failed attempts
//!   throttled per address and per username;
//! - [`TeamDirectory`] is what accounts needs from teams (a personal team at
//!   registration, the user's teams, the check before an account goes); the
//!   teams crate implements it and `server` wires it in, so the crates do
//!   not depend on each other both ways.

#![warn(missing_docs)]

pub mod auth;
pub mod directory;
pub mod error;
pub mod model;
pub mod password;
pub mod query;
pub mod routes;
pub mod service;
pub mod throttle;
pub mod wire;

pub use auth::{Auth, AuthSettings, Authenticated, Credential};
pub use directory::TeamDirectory;
pub use error::AccountError;
pub use model::{CurrentUser, Memberships};
pub use routes::configure;
