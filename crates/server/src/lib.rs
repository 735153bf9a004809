//! The palette-api server: configuration, telemetry and the wiring of the
//! domain crates into one actix-web `App`. No handler or query lives here
//! beyond the ops endpoints.

pub mod app;
pub mod cli;
pub mod config;
pub mod error_reporting;
pub mod headers;
mod http_faults;
pub mod idle;
pub mod limits;
mod long_targets;
pub mod metrics;
mod ops;
pub mod serve;
pub mod spec;
pub mod telemetry;
#[cfg(test)]
mod test_log;

pub use app::{build_app, openapi, AppState, Application};
pub use config::{Cli, Command, Settings, DEFAULT_DATABASE_URL};
