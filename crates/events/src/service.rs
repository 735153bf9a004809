//! Queries of the events domain: the outbox's position, reading events in
//! order, what a new stream starts from, tickets, and pruning.

use std::collections::HashMap;
use std::time::Duration;

use accounts::{Credential, TeamDirectory};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use database::schema::{event_tickets, events, events_pruned};
use database::PgConnection;
use diesel::dsl::{max, now};
use diesel::prelude::*;
use diesel::result::QueryResult;
use diesel_async::{AsyncConnection, RunQueryDsl};
use rand::Rng;
use sha2::{Digest, Sha256};

use crate::error::EventError;
use crate::model::{Audience, EventKind, StoredEvent};

/// How long a ticket may wait to be used.
pub const TICKET_LIFETIME: Duration = Duration::from_secs(60);

/// Key of the transaction lock one pruning instance holds ("prune" in ASCII).
const PRUNE_LOCK_KEY: i64 = 0x70_72_75_6e_65;

/// The outbox's position: the highest id committed (or pruned), 0 when none.
pub async fn position(conn: &mut PgConnection) -> QueryResult<i64> {
    let (latest, pruned): (Option<i64>, i64) = events_pruned::table
        .select((
            events::table.select(max(events::id)).single_value(),
            events_pruned::through,
        ))
        .first(conn)
        .await?;
    Ok(latest.unwrap_or(0).max(pruned))
}

/// The outbox's [`position`] and the latest event id of each team that
/// has events, read in one snapshot.
pub async fn positions(conn: &mut PgConnection) -> QueryResult<(i64, HashMap<i64, i64>)> {
    conn.read_only_snapshot(async move |conn| {
        let position = position(conn).await?;
        let latest: Vec<(i64, Option<i64>)> = events::table
            .group_by(events::team_id)
            .select((events::team_id, max(events::id)))
            .load(conn)
            .await?;
        let latest = latest
            .into_iter()
            .filter_map(|(team_id, id)| Some((team_id, id?)))
            .collect();
        Ok((position, latest))
    })
    .await
}

/// Up to `limit` events after id `after` (and up to `until`), in order; with
/// an audience, only those of its teams or addressed to it (the audience
/// still decides, as membership events go by).
pub async fn events_after(
    conn: &mut PgConnection,
    after: i64,
    audience: Option<(&Audience, i64)>,
    limit: i64,
) -> QueryResult<Vec<StoredEvent>> {
    let mut query = events::table
        .filter(events::id.gt(after))
        .select(StoredEvent::as_select())
        .order(events::id)
        .limit(limit)
        .into_boxed();
    if let Some((audience, until)) = audience {
        query = query.filter(events::id.le(until));
        // A replay applies membership events as it goes, so it reads every
        // team's membership events of the user, and what it may see now.
        if let Some(team) = audience.only_team {
            query = query.filter(events::team_id.eq(team));
        }
    }
    query.load(conn).await
}

/// The membership events (`member.joined`, `member.left`, `team.deleted`)
/// after `after` up to `until`, newest first: what a replay undoes to know
/// a user's teams as of `after`.
pub async fn membership_changes(conn: &mut PgConnection, after: i64, until: i64) -> QueryResult<Vec<StoredEvent>> {
    let kinds = [EventKind::MemberJoined, EventKind::MemberLeft, EventKind::TeamDeleted].map(EventKind::as_str);
    events::table
        .filter(events::id.gt(after))
        .filter(events::id.le(until))
        .filter(events::kind.eq_any(kinds))
        .select(StoredEvent::as_select())
        .order(events::id.desc())
        .load(conn)
        .await
}

/// What a new stream starts from, read in one snapshot: the user's teams as
/// of outbox position `position`, and the highest id pruned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Start {
    /// The user's teams.
    pub team_ids: Vec<i64>,
    /// The outbox position the teams are read at.
    pub position: i64,
    /// Ids up to this one are pruned.
    pub pruned_through: i64,
}

/// Reads a new stream's [`Start`] for `user_id` in one repeatable-read
/// snapshot, so that the teams are exactly those after event `position`
/// (every membership change writes an event).
pub async fn start(conn: &mut PgConnection, directory: &dyn TeamDirectory, user_id: i64) -> QueryResult<Start> {
    conn.read_only_snapshot(async move |conn| {
        let pruned_through: i64 = events_pruned::table.select(events_pruned::through).first(conn).await?;
        let position = position(conn).await?;
        let teams = directory.user_teams(conn, user_id).await?;
        Ok(Start {
            team_ids: teams.team_ids,
            position,
            pruned_through,
        })
    })
    .await
}

/// A new ticket for `user_id`, proved by `credential`: the secret (shown
/// once, stored as its SHA-256) and when it expires. Expired tickets are
/// swept on the way.
pub async fn create_ticket(
    conn: &mut PgConnection,
    user_id: i64,
    credential: &Credential,
) -> QueryResult<(String, DateTime<Utc>)> {
    let mut bytes = [0_u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = format!("evt_{}", URL_SAFE_NO_PAD.encode(bytes));
    let hash: [u8; 32] = Sha256::digest(secret.as_bytes()).into();
    let expires_at = Utc::now() + TICKET_LIFETIME;
    let (token_hash, password_fingerprint) = match credential {
        Credential::Token(hash) => (Some(hash.to_vec()), None),
        Credential::Password(fingerprint) => (None, Some(fingerprint.to_vec())),
    };
    conn.transaction::<_, diesel::result::Error, _>(async move |conn| {
        diesel::delete(event_tickets::table.filter(event_tickets::expires_at.lt(now)))
            .execute(conn)
            .await?;
        diesel::insert_into(event_tickets::table)
            .values((
                event_tickets::ticket_hash.eq(hash.to_vec()),
                event_tickets::user_id.eq(user_id),
                event_tickets::token_hash.eq(token_hash),
                event_tickets::password_fingerprint.eq(password_fingerprint),
                event_tickets::expires_at.eq(expires_at),
            ))
            .execute(conn)
            .await
    })
    .await?;
    Ok((secret, expires_at))
}

type TicketRow = (i64, Option<Vec<u8>>, Option<Vec<u8>>, DateTime<Utc>);

/// Uses up the ticket `secret`: its user and the credential it was made
/// with, while unexpired and that credential still holds. A ticket works once.
pub async fn redeem_ticket(conn: &mut PgConnection, secret: &str) -> Result<(i64, Credential), EventError> {
    let hash: [u8; 32] = Sha256::digest(secret.as_bytes()).into();
    let row: Option<TicketRow> = diesel::delete(event_tickets::table.find(hash.to_vec()))
        .returning((
            event_tickets::user_id,
            event_tickets::token_hash,
            event_tickets::password_fingerprint,
            event_tickets::expires_at,
        ))
        .get_result(conn)
        .await
        .optional()?;
    let Some((user_id, token_hash, fingerprint, expires_at)) = row else {
        return Err(EventError::InvalidTicket);
    };
    let bytes = |bytes: Vec<u8>| <[u8; 32]>::try_from(bytes.as_slice()).ok();
    let credential = match (token_hash.and_then(bytes), fingerprint.and_then(bytes)) {
        (Some(hash), _) => Credential::Token(hash),
        (None, Some(fingerprint)) => Credential::Password(fingerprint),
        (None, None) => return Err(EventError::InvalidTicket),
    };
    if expires_at <= Utc::now() || !accounts::service::credential_holds(conn, user_id, &credential).await? {
        return Err(EventError::InvalidTicket);
    }
    Ok((user_id, credential))
}

diesel::define_sql_function! {
    /// PostgreSQL's `pg_try_advisory_xact_lock`.
    fn pg_try_advisory_xact_lock(key: diesel::sql_types::BigInt) -> diesel::sql_types::Bool;
}

/// Deletes events older than `retention`, unless another instance is doing
/// it; how many went.
pub async fn prune(conn: &mut PgConnection, retention: Duration) -> QueryResult<usize> {
    let cutoff = Utc::now() - chrono::Duration::from_std(retention).unwrap_or(chrono::Duration::days(7));
    conn.transaction::<_, diesel::result::Error, _>(async move |conn| {
        let mine: bool = diesel::select(pg_try_advisory_xact_lock(PRUNE_LOCK_KEY))
            .get_result(conn)
            .await?;
        if !mine {
            return Ok(0);
        }
        let gone: Vec<i64> = diesel::delete(events::table.filter(events::created_at.lt(cutoff)))
            .returning(events::id)
            .get_results(conn)
            .await?;
        if let Some(through) = gone.iter().max() {
            diesel::update(events_pruned::table.filter(events_pruned::through.lt(*through)))
                .set(events_pruned::through.eq(*through))
                .execute(conn)
                .await?;
        }
        Ok(gone.len())
    })
    .await
}
