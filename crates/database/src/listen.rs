//! Change notices from PostgreSQL, for the caches each instance keeps.
//!
//! Triggers (migration `change_notices`) send a notice on the channel
//! [`CHANNEL`] whenever a membership, a team, a username, a password or a
//! token changes, and when live events are written (`events`). PostgreSQL
//! delivers it at commit to every connection that listens, so each server
//! instance hears of every change, whichever instance made it. [`spawn`]
//! keeps one such connection open and hands each change to a callback; a
//! cache that relies on notices must also hear when the connection is lost
//! (notices are missed until it listens again).
//!
//! A connection can die without a word (a dropped NAT mapping, a failover),
//! and a pooler in transaction mode accepts `LISTEN` but delivers nothing.
//! So the listener also sends itself a notice every [`HEARTBEAT`]; when none
//! comes back within the next one, it reports the connection lost and opens
//! a new one. The heartbeat also keeps the session from idling out.

use std::time::Duration;

use anyhow::Context;
use diesel_async::SimpleAsyncConnection;
use futures_util::StreamExt;
use tokio::task::JoinHandle;

use crate::connect::Target;

/// The channel the triggers notify.
pub const CHANNEL: &str = "palette_api_changes";

/// How often the listener checks that notices still reach it.
pub const HEARTBEAT: Duration = Duration::from_secs(10);

/// Longest pause between two attempts to connect.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// A change, as a notice names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// A team's name or members changed, or it was deleted.
    Team(i64),
    /// A user joined or left a team, or changed role.
    Member(i64),
    /// A user's password changed, a token of theirs was revoked, or the account is gone.
    Login(i64),
    /// A table was truncated: everything may have changed.
    All,
    /// New live events were committed to the outbox.
    Events,
}

impl Change {
    /// The change a notice's payload names; `None` for the heartbeat and for
    /// payloads this version does not know.
    pub fn parse(payload: &str) -> Option<Self> {
        match payload {
            "all" => return Some(Self::All),
            "events" => return Some(Self::Events),
            _ => {}
        }
        let (kind, id) = payload.split_once(':')?;
        let id = id.parse().ok()?;
        match kind {
            "team" => Some(Self::Team(id)),
            "member" => Some(Self::Member(id)),
            "login" => Some(Self::Login(id)),
            _ => None,
        }
    }
}

/// What the listener tells its callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// Listening, first or again: any notice sent before now may have been missed.
    Listening,
    /// The connection is gone: notices are missed until the next `Listening`.
    Lost,
    /// A change committed.
    Changed(Change),
}

/// Listens on [`CHANNEL`] in a background task for as long as the runtime
/// lives, reconnecting with a growing pause when the connection breaks.
pub fn spawn(database_url: String, on_notice: impl Fn(Notice) + Send + Sync + 'static) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut backoff = Duration::from_millis(100);
        // Whether the current outage was logged.
        let mut reported = false;
        loop {
            let mut listening = false;
            let result = listen(&database_url, &on_notice, &mut listening).await;
            if listening {
                backoff = Duration::from_millis(100);
                reported = false;
            }
            on_notice(Notice::Lost);
            if !reported {
                let error = match result {
                    Ok(()) => "the server closed the connection".to_owned(),
                    Err(error) => format!("{error:#}"),
                };
                tracing::warn!(%error, "not listening for change notices; the teams cache is off until it is back");
                reported = true;
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    })
}

/// One connection's life: `LISTEN`, then every notice until it ends.
/// `listening` is set once `LISTEN` succeeded.
///
/// Notices arrive through diesel-async's notification stream, which ends
/// when the connection closes and yields its error when it breaks. The
/// stream borrows the connection, so it is set aside for each heartbeat
/// query and taken up again after it; the channel behind it keeps whatever
/// arrives meanwhile.
async fn listen(database_url: &str, on_notice: &impl Fn(Notice), listening: &mut bool) -> anyhow::Result<()> {
    let mut target = Target::parse(database_url).context("reading the database URL")?;
    target
        .config_mut()
        .application_name("palette-api listener")
        .connect_timeout(HEARTBEAT)
        .keepalives_idle(HEARTBEAT);
    let mut conn = target.connect().await.context("connecting")?;
    conn.batch_execute(&format!("LISTEN {CHANNEL}"))
        .await
        .context("LISTEN")?;
    *listening = true;
    on_notice(Notice::Listening);
    tracing::info!("listening for change notices");
    let ping = format!("SELECT pg_notify('{CHANNEL}', 'ping')");
    let mut heartbeat = tokio::time::interval(HEARTBEAT);
    heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut heard_since_ping = true;
    loop {
        let received = {
            let mut notices = std::pin::pin!(conn.notifications_stream());
            tokio::select! {
                notice = notices.next() => Some(notice),
                _ = heartbeat.tick() => None,
            }
        };
        match received {
            Some(Some(Ok(notice))) => {
                heard_since_ping = true;
                if let Some(change) = Change::parse(&notice.payload) {
                    on_notice(Notice::Changed(change));
                }
            }
            Some(Some(Err(error))) => return Err(error).context("receiving notices"),
            Some(None) => return Ok(()),
            None => {
                anyhow::ensure!(heard_since_ping, "no notice came back within {HEARTBEAT:?}");
                heard_since_ping = false;
                tokio::time::timeout(HEARTBEAT, conn.batch_execute(&ping))
                    .await
                    .context("the heartbeat timed out")?
                    .context("the heartbeat")?;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_name_their_change() {
        assert_eq!(Change::parse("team:12"), Some(Change::Team(12)));
        assert_eq!(Change::parse("member:7"), Some(Change::Member(7)));
        assert_eq!(Change::parse("login:3"), Some(Change::Login(3)));
        assert_eq!(Change::parse("all"), Some(Change::All));
        assert_eq!(Change::parse("events"), Some(Change::Events));
        for ignored in ["ping", "team:", "team:x", "colour:4", ""] {
            assert_eq!(Change::parse(ignored), None, "{ignored}");
        }
    }
}
