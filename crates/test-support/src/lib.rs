//! The test harness of palette-api.
//!
//! Each test gets its own database, cloned from a migrated template
//! (`CREATE DATABASE .. TEMPLATE`), and its own server built by the same
//! `Application` as `palette-api serve`, on a free port; the test talks to it
//! over HTTP. The database is dropped when the test's [`TestApp`] goes, and
//! databases left by crashed runs are swept the next time.
//!
//! Tests find PostgreSQL through `DATABASE_URL` (the server's default when
//! unset); the role must be allowed to create databases.

pub mod cluster;
pub mod db;
pub mod fault;
mod http;
pub mod process;
pub mod spec;

pub use http::{spawn_app, spawn_app_with, Event, EventStream, RequestBuilder, Response, TestApp, TestUser, V1, V2};
