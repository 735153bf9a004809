//! Live events: every change, as it commits, to every client that may see it.
//!
//! - [`outbox::record`] is what other domains call: they write their
//!   [`NewEvent`]s in the transaction of the change, so a change that rolls
//!   back sends nothing and every committed change sends its events once.
//!   They know nothing of delivery.
//! - [`Hub`] is each instance's fan-out: one reader of the outbox hands every
//!   new event to every open stream that may see it;
//! - [`service`] reads the outbox (positions, replays), tickets, pruning;
//! - [`routes`] the stream (`GET /api/events/`, Server-Sent Events) and its
//!   tickets; [`wire`] their shapes; [`error`] why a stream is refused.
//!
//! # Commit order
//!
//! Two transactions can draw event ids 41 and 42 and commit 42 first; a
//! reader that went past 42 would never deliver 41. Here ids are drawn in
//! commit order instead: the outbox's insert trigger takes a
//! transaction-scoped advisory lock before it draws the id, and holds it
//! until its transaction ends (migration `events`). So every event with a
//! lower id has committed (or rolled back) before a higher one is drawn, the
//! committed events form an unbroken prefix at every moment, and a reader
//! that asks for `id > last seen` never skips one. Clients see ids that only
//! grow, in the order the changes committed, and resume from one number.
//!
//! We chose this over reading only below the oldest running transaction
//! (`pg_snapshot_xmin`) because that delivers in id order, not commit order,
//! holds every event back behind any long transaction, and needs a reader
//! that tracks holes in the ids. The cost of the lock is that writers of
//! events take turns for the last statement and the commit of their
//! transactions, the commit's WAL flush included, so commits that write
//! events are not grouped. Domains record events last, so that stretch is one
//! statement and a commit. Measured on a 2-core machine (`scripts/bench`,
//! 64 connections): `POST /api/palettes/` went from about 2,560 to 960
//! requests/s; at the database alone, a transaction that takes the lock (or
//! sends a NOTIFY, which PostgreSQL serialises at commit the same way) tops
//! out near 2,000 commits/s against 6,000 to 8,000 without. Reads are not
//! affected. Should writes ever need more, the way out is the other
//! mechanism: ids drawn without the lock (after the transaction's xid), a
//! reader that waits at a hole in the ids until every transaction that may
//! still fill it has ended, and the wake-up sent after the commit.
//!
//! # Fan-out across instances
//!
//! The trigger also sends a notice (`events`) on the change channel that
//! every instance already listens to (`database::listen`): a wake-up with no
//! payload. Each instance's hub then reads the new rows once, in one query,
//! and hands them to its streams: the cost grows with events, not with
//! events times streams. When the listener reconnects, the hub reads
//! whatever committed meanwhile; it also reads every second when nothing
//! wakes it.

#![warn(missing_docs)]

pub mod error;
pub mod hub;
pub mod model;
pub mod outbox;
pub mod routes;
pub mod service;
pub mod wire;

use utoipa::openapi::OpenApi;
use utoipa::{Modify, PartialSchema, ToSchema};

pub use error::EventError;
pub use hub::{Hub, HubSettings};
pub use model::{EventKind, NewEvent};
pub use routes::{configure, hide_ticket};

/// Adds each event type's `data` schema to the API document (the stream
/// itself is text; these say what its `data:` lines hold).
#[derive(Debug)]
pub struct EventSchemas;

impl Modify for EventSchemas {
    fn modify(&self, openapi: &mut OpenApi) {
        let mut schemas = Vec::new();
        wire::PaletteEventData::schemas(&mut schemas);
        let components = openapi.components.get_or_insert_with(Default::default);
        for (name, schema) in [
            (wire::PaletteEventData::name(), wire::PaletteEventData::schema()),
            (
                wire::PaletteDeletedEventData::name(),
                wire::PaletteDeletedEventData::schema(),
            ),
            (wire::TeamEventData::name(), wire::TeamEventData::schema()),
            (wire::TeamDeletedEventData::name(), wire::TeamDeletedEventData::schema()),
            (wire::MemberEventData::name(), wire::MemberEventData::schema()),
            (wire::MemberLeftEventData::name(), wire::MemberLeftEventData::schema()),
            (wire::InvitationEventData::name(), wire::InvitationEventData::schema()),
            (
                wire::InvitationRevokedEventData::name(),
                wire::InvitationRevokedEventData::schema(),
            ),
            (wire::PositionEventData::name(), wire::PositionEventData::schema()),
            (wire::EventGoneResource::name(), wire::EventGoneResource::schema()),
        ] {
            components.schemas.insert(name.into_owned(), schema);
        }
        for (name, schema) in schemas {
            components.schemas.entry(name).or_insert(schema);
        }
    }
}
