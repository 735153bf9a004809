//! Teams: who shares palettes with whom. Members have a role, `owner` or
//! `member`; only invited users join; a non-member sees nothing of a team.
//!
//! - [`service`] holds the rules, queries and transactions (teams, members,
//!   invitations), some also used by other domains;
//! - [`query`] what other domains compose from teams' tables;
//! - [`error`] why an operation was refused ([`TeamError`]);
//! - [`routes`] the handlers of `/api/teams/...` and `/api/invitations/`;
//! - [`wire`] the response shapes of each API version and the request types;
//! - [`TeamCache`] each user's teams, cached for palette lists;
//! - [`Directory`] what accounts needs from teams.

#![warn(missing_docs)]

pub mod cache;
pub mod directory;
pub mod error;
pub mod model;
pub mod query;
pub mod routes;
pub mod service;
pub mod wire;

pub use cache::TeamCache;
pub use directory::Directory;
pub use error::TeamError;
pub use routes::configure;
