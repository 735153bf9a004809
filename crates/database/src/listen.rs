//! Change notices from PostgreSQL, for the caches each instance keeps.
//!
//! Triggers (migration `change_notices`) send a notice on the channel
//! [`CHANNEL`] whenever a membership, a team, a username, a password or a
//! token changes. PostgreSQL delivers it at commit to every connection that
//! listens, so each server instance hears of every change, whichever instance
//! made it. [`spawn`] keeps one such connection open and hands each notice to
//! a callback; a cache that relies on notices must also hear when the
//! connection is lost (notices are missed until it listens again).

use std::time::Duration;

use futures_util::StreamExt;
use tokio::task::JoinHandle;
use tokio_postgres::{AsyncMessage, NoTls};

/// The channel the triggers notify.
pub const CHANNEL: &str = "palette_api_changes";

/// What the listener tells its callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice<'a> {
    /// Listening, first or again: any notice sent before now may have been missed.
    Listening,
    /// The connection is gone: notices are missed until the next `Listening`.
    Lost,
    /// A change, named by the trigger that sent it (`teams`, `user:<id>`).
    Changed(&'a str),
}

/// Longest pause between two attempts to connect.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Listens on [`CHANNEL`] in a background task for as long as the runtime
/// lives, reconnecting with a growing pause when the connection breaks.
pub fn spawn(database_url: String, on_notice: impl Fn(Notice<'_>) + Send + Sync + 'static) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut backoff = Duration::from_millis(100);
        let mut reported = false;
        loop {
            let result = listen(&database_url, &on_notice, &mut backoff).await;
            on_notice(Notice::Lost);
            match result {
                // Logged once per outage, not once per attempt.
                Err(error) if !reported => {
                    tracing::warn!(%error, "not listening for change notices; caches that rely on them are off");
                    reported = true;
                }
                Err(_) => {}
                Ok(()) => reported = false,
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    })
}

/// One connection's life: `LISTEN`, then every notice until it ends.
async fn listen(
    database_url: &str,
    on_notice: &(impl Fn(Notice<'_>) + Send + Sync),
    backoff: &mut Duration,
) -> Result<(), tokio_postgres::Error> {
    let mut config: tokio_postgres::Config = database_url.parse()?;
    config.application_name("palette-api listener");
    let (client, mut connection) = config.connect(NoTls).await?;
    // The connection delivers replies and notices; it must be polled while
    // `LISTEN` runs, and afterwards for the notices.
    let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
    let command = format!("LISTEN {CHANNEL}");
    let listening = client.batch_execute(&command);
    tokio::pin!(listening);
    loop {
        tokio::select! {
            result = &mut listening => {
                result?;
                break;
            }
            message = messages.next() => match message {
                Some(Ok(_)) => {}
                Some(Err(error)) => return Err(error),
                None => return Ok(()),
            },
        }
    }
    on_notice(Notice::Listening);
    *backoff = Duration::from_millis(100);
    while let Some(message) = messages.next().await {
        if let AsyncMessage::Notification(notice) = message? {
            on_notice(Notice::Changed(notice.payload()));
        }
    }
    Ok(())
}
