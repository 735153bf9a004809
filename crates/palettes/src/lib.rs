//! Palettes: named, ordered lists of colours owned by a team.

/// Registers the routes of palettes (under `/api`).
pub fn configure(_cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {}
