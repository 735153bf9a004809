//! The one thing other domains call: write events in the transaction of
//! their change. They know nothing of how events are delivered.
//!
//! Call [`record`] as the last statement of the change's transaction: the
//! outbox hands out ids in commit order by holding a lock from the insert to
//! the commit (see the crate's documentation), so the shorter that stretch,
//! the less writers of different teams wait for each other.

use database::schema::events;
use database::PgConnection;
use diesel::prelude::*;
use diesel::result::QueryResult;
use diesel_async::RunQueryDsl;

use crate::model::NewEvent;

/// Writes `events`, in order, in the caller's transaction: they are
/// delivered once it commits, and never if it rolls back.
pub async fn record(conn: &mut PgConnection, events: &[NewEvent]) -> QueryResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    let rows: Vec<_> = events
        .iter()
        .map(|event| {
            (
                events::team_id.eq(event.team_id),
                events::kind.eq(event.kind.as_str()),
                events::data.eq(event.data.to_string()),
                events::recipients.eq(&event.recipients),
            )
        })
        .collect();
    diesel::insert_into(events::table).values(rows).execute(conn).await?;
    Ok(())
}
