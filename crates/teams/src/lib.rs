//! Teams: who shares palettes with whom. Members have a role, `owner` or
//! `member`; only invited users join; a non-member sees nothing of a team.

pub mod directory;
pub mod model;
pub mod service;

pub use directory::Directory;

/// Registers the routes of teams (under `/api`).
pub fn configure(_cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {}
