//! Secrets every server instance shares, kept in the database (migration
//! `server_secrets`), so that a deployment configures none of them.

use diesel::prelude::*;
use diesel::result::QueryResult;
use diesel_async::RunQueryDsl;

use crate::schema::server_secrets;

/// The key list cursors are signed with.
pub async fn cursor_key(conn: &mut crate::PgConnection) -> QueryResult<Vec<u8>> {
    server_secrets::table
        .find("cursor")
        .select(server_secrets::secret)
        .first(conn)
        .await
}
