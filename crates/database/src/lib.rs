//! The database of palette-api: the diesel schema of every table, the pooled
//! async connections, the embedded migrations, the change-notice listener
//! and start-up diagnostics. Every connection is opened by [`connect`], which
//! applies the URL's `sslmode` (TLS with rustls).
//!
//! The schema lives in one crate so that diesel's `table!` declarations can
//! see each other. Each table belongs to one domain crate (`users` and
//! `api_tokens` to accounts; `teams`, `team_members` and `invitations` to
//! teams; `palettes` to palettes; `events`, `events_pruned` and `event_tickets`
//! to events), and only that crate names it: another
//! domain composes what the owner exports in its `query` module (a subquery
//! such as teams' `member_team_ids`, which palettes puts in its own
//! statements) or calls the owner's service.

pub mod connect;
pub mod connection;
pub mod diagnose;
pub mod listen;
pub mod migrate;
pub mod pool;
pub mod schema;
pub mod secrets;
pub mod trace;

pub use connection::{PgConnection, Statements};
pub use diesel_async::AsyncPgConnection;
pub use pool::{Conn, Pool, PoolSettings};
