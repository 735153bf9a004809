//! actix-http logs a connection that ends in a protocol error (a malformed
//! request line or header, a head too large, a client that went away) at
//! `ERROR`. Those are the client's faults, not the service's: this layer
//! keeps them out of the log at that level and says them as a warning, at
//! most one every ten seconds with a count of the rest, so a flood of bad
//! requests cannot flood the log either.

use std::fmt::Write as _;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use tracing::dispatcher::WeakDispatch;
use tracing::field::{Field, Visit};
use tracing::{Dispatch, Event, Level, Metadata, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::Layer;

/// The least time between two warnings.
const QUIET: Duration = Duration::from_secs(10);

/// Whether `meta` is an error the HTTP layer logged about a connection.
pub fn is_http_layer_error(meta: &Metadata<'_>) -> bool {
    *meta.level() == Level::ERROR && meta.target().starts_with("actix_http")
}

/// The layer that says the HTTP layer's errors as warnings. A subscriber
/// ignores events raised while it handles one, so the warnings are said
/// from a thread of their own, through the subscriber this layer is in.
pub struct ClientFaults {
    faults: SyncSender<String>,
    dispatch: Arc<OnceLock<WeakDispatch>>,
}

impl ClientFaults {
    /// The layer, and the thread that says its warnings.
    pub fn new() -> Self {
        // Past a few waiting, a fault is counted, not kept.
        let (faults, received) = sync_channel(16);
        let dispatch = Arc::new(OnceLock::new());
        let warner = Arc::clone(&dispatch);
        let _ = std::thread::Builder::new()
            .name("client-faults".to_owned())
            .spawn(move || warn_of(&received, &warner));
        Self { faults, dispatch }
    }
}

/// Says each fault received, at most one every [`QUIET`], until the layer is gone.
fn warn_of(faults: &Receiver<String>, dispatch: &OnceLock<WeakDispatch>) {
    let mut last: Option<Instant> = None;
    let mut similar = 0_u64;
    while let Ok(fault) = faults.recv() {
        if last.is_some_and(|at| at.elapsed() < QUIET) {
            similar += 1;
            continue;
        }
        let Some(dispatch) = dispatch.get().and_then(WeakDispatch::upgrade) else {
            return;
        };
        tracing::dispatcher::with_default(&dispatch, || {
            tracing::warn!(
                target: "palette_api::http",
                fault,
                similar_since_last_warning = similar,
                "a client's connection ended in a protocol error"
            );
        });
        last = Some(Instant::now());
        similar = 0;
    }
}

#[derive(Default)]
struct Message(String);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        }
    }
}

impl<S: Subscriber> Layer<S> for ClientFaults {
    fn on_register_dispatch(&self, subscriber: &Dispatch) {
        let _ = self.dispatch.set(subscriber.downgrade());
    }

    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        if !is_http_layer_error(event.metadata()) {
            return;
        }
        let mut message = Message::default();
        event.record(&mut message);
        // Full: the thread is behind, and the fault is one of many.
        let _ = self.faults.try_send(message.0);
    }
}

#[cfg(test)]
mod tests {
    use tracing_subscriber::layer::SubscriberExt;

    use super::*;
    use crate::test_log::Lines;

    #[test]
    fn the_http_layers_errors_are_rate_limited_warnings() {
        let lines = Lines::default();
        let writer = lines.clone();
        let subscriber = tracing_subscriber::registry()
            .with(
                tracing_subscriber::fmt::layer()
                    .with_ansi(false)
                    .with_writer(move || writer.clone())
                    .with_filter(tracing_subscriber::filter::filter_fn(|meta| !is_http_layer_error(meta))),
            )
            .with(ClientFaults::new());
        // Kept until the end: the warnings are said through it, after the events.
        let dispatch = Dispatch::new(subscriber);
        tracing::dispatcher::with_default(&dispatch, || {
            for _ in 0..3 {
                tracing::error!(target: "actix_http::h1::dispatcher", "stream error: Request parse error: Invalid Header provided");
            }
            tracing::error!(target: "palettes::service", "an error of our own");
        });
        let said = || lines.text();
        let started = Instant::now();
        while !said().contains(" WARN ") && started.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(10));
        }
        std::thread::sleep(Duration::from_millis(50));
        let logged = said();
        assert_eq!(logged.matches("ERROR").count(), 1, "{logged}");
        assert!(logged.contains("an error of our own"), "{logged}");
        assert_eq!(
            logged.matches(" WARN ").count(),
            1,
            "one warning for the three: {logged}"
        );
        assert!(logged.contains("Invalid Header provided"), "{logged}");
    }
}
