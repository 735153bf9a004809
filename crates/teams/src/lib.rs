//! Teams: who shares palettes with whom. Members have a role, `owner` or
//! `member`; only invited users join; a non-member sees nothing of a team.
//!
//! - [`service`] holds the rules and queries, also used by other domains
//!   (`member_team_ids`, `role_of`, `teams_with_members`, ...);
//! - [`routes`] the handlers of `/api/teams/...` and `/api/invitations/`;
//! - [`wire`] the response shapes of each API version;
//! - [`TeamCache`] each user's teams, cached for palette lists;
//! - [`Directory`] what accounts needs from teams.

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
