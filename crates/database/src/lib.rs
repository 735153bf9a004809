//! The database of palette-api: the diesel schema of every table, the pooled
//! async connections and the embedded migrations.
//!
//! The schema lives in one crate so that diesel's `table!` declarations and
//! the joins between them can see each other; each domain crate reads its own
//! tables and reaches another domain's data through that domain's service.

pub mod diagnose;
pub mod listen;
pub mod migrate;
pub mod pool;
pub mod schema;
pub mod secrets;

pub use diesel_async::AsyncPgConnection;
pub use pool::{Conn, Pool, PoolSettings};
