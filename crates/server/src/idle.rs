//! Room for new clients when connections run short: idle connections are
//! closed, oldest idle first, as nginx does with its keep-alive ones.
//!
//! `MAX_CONNECTIONS` bounds the connections open at once, so that a flood
//! cannot exhaust the file descriptors; past it, new connections wait in
//! the listen backlog. Alone, that lets whoever holds the connections idle
//! (a flood of keep-alive connections, or of connections that never send a
//! byte) keep every other client waiting until their timeouts. So from
//! seven eighths of the limit on, each new connection closes connections
//! that sit idle between requests, the longest idle first, until the count
//! is back under that mark: the service keeps answering new clients while
//! the cap is reached.
//!
//! A connection is idle when no request on it is being answered (an event
//! stream is answered for as long as it is open: [`track_requests`]) and
//! its reader waits at a request's boundary with nothing of the next
//! request read ([`Opened::park`]). Closing one
//! ends its reading (the HTTP layer sees the client close, and finishes
//! any response it is writing); a client that was just sending a request
//! on it retries it on a new connection, as after any keep-alive timeout.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;

/// The open connections, and how to find the idle ones.
#[derive(Debug)]
pub struct Connections {
    open: AtomicUsize,
    /// From this many open connections on, idle ones are closed.
    mark: usize,
    slots: Mutex<Vec<Weak<Slot>>>,
    started: Instant,
    closed: AtomicU64,
}

impl Connections {
    /// Connections of which at most `limit` are open at once.
    pub fn new(limit: usize) -> Arc<Self> {
        Arc::new(Self {
            open: AtomicUsize::new(0),
            mark: (limit - limit / 8).max(1),
            slots: Mutex::new(Vec::new()),
            started: Instant::now(),
            closed: AtomicU64::new(0),
        })
    }

    /// Counts a new connection, making room first when connections run short.
    pub fn open(self: &Arc<Self>) -> Opened {
        let open = self.open.fetch_add(1, Ordering::Relaxed) + 1;
        let slot = Arc::new(Slot::default());
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        slots.push(Arc::downgrade(&slot));
        if open > self.mark {
            // Down to a little under the mark, so that the next connections
            // do not each look through every slot again.
            let excess = open - self.mark + self.mark / 32;
            self.close_idle(&mut slots, excess);
        } else if slots.len() > 2 * open + 64 {
            slots.retain(|slot| slot.strong_count() > 0);
        }
        Opened {
            connections: Arc::clone(self),
            slot,
        }
    }

    /// Connections open now.
    pub fn count(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }

    /// Idle connections closed to make room, since the start.
    pub fn closed_idle(&self) -> u64 {
        self.closed.load(Ordering::Relaxed)
    }

    /// Closes up to `count` idle connections, the longest idle first.
    fn close_idle(&self, slots: &mut Vec<Weak<Slot>>, count: usize) {
        slots.retain(|slot| slot.strong_count() > 0);
        let mut idle: Vec<(u64, Arc<Slot>)> = slots
            .iter()
            .filter_map(Weak::upgrade)
            .filter_map(|slot| {
                let since = slot.idle_since.load(Ordering::Acquire);
                let answering = slot.requests.load(Ordering::Acquire) > 0;
                (since != BUSY && !answering && !slot.close.load(Ordering::Acquire)).then_some((since, slot))
            })
            .collect();
        idle.sort_unstable_by_key(|(since, _)| *since);
        for (_, slot) in idle.into_iter().take(count) {
            slot.close.store(true, Ordering::Release);
            let waker = slot.waker.lock().unwrap_or_else(PoisonError::into_inner).take();
            if let Some(waker) = waker {
                waker.wake();
            }
            self.closed.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn now(&self) -> u64 {
        // Never `BUSY`: one microsecond past the start is the earliest.
        u64::try_from(self.started.elapsed().as_micros()).unwrap_or(u64::MAX - 1) + 1
    }
}

/// `idle_since` of a connection that is not idle.
const BUSY: u64 = 0;

/// One connection's part: whether it is idle, and since when.
#[derive(Debug, Default)]
pub struct Slot {
    /// Microseconds since [`Connections::started`] (plus one), or [`BUSY`].
    idle_since: AtomicU64,
    close: AtomicBool,
    waker: Mutex<Option<Waker>>,
    /// Requests being answered (until their response body is done).
    requests: AtomicUsize,
}

/// A connection's part, in its extensions for the requests on it.
#[derive(Debug, Clone)]
pub struct Activity(Arc<Slot>);

/// A request being answered on its connection, until dropped.
#[derive(Debug)]
struct Answering(Arc<Slot>);

impl Drop for Answering {
    fn drop(&mut self) {
        self.0.requests.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Middleware (outermost): a connection is not idle while a request on it
/// is being answered, to the end of the response's body (an event stream's
/// included), whatever its reader is waiting for.
pub async fn track_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<Answered>, actix_web::Error> {
    let answering = req.conn_data::<Activity>().map(|activity| {
        activity.0.requests.fetch_add(1, Ordering::AcqRel);
        Answering(Arc::clone(&activity.0))
    });
    let response = next.call(req).await?;
    Ok(response.map_body(|_, body| Answered {
        body: body.boxed(),
        _answering: answering,
    }))
}

/// A response's body, holding its request's place until it is done.
#[derive(Debug)]
pub struct Answered {
    body: BoxBody,
    _answering: Option<Answering>,
}

impl MessageBody for Answered {
    type Error = Box<dyn std::error::Error>;

    fn size(&self) -> BodySize {
        self.body.size()
    }

    fn poll_next(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<actix_web::web::Bytes, Self::Error>>> {
        Pin::new(&mut self.body).poll_next(cx)
    }
}

/// A connection counted as open until dropped.
#[derive(Debug)]
pub struct Opened {
    connections: Arc<Connections>,
    slot: Arc<Slot>,
}

impl Opened {
    /// The reader waits at a request's boundary with nothing read: idle
    /// from now (or since it already was), woken by `waker` to be closed.
    pub fn park(&self, waker: &Waker) {
        *self.slot.waker.lock().unwrap_or_else(PoisonError::into_inner) = Some(waker.clone());
        let now = self.connections.now();
        let _ = self
            .slot
            .idle_since
            .compare_exchange(BUSY, now, Ordering::AcqRel, Ordering::Acquire);
    }

    /// Bytes of a request came: no longer idle.
    pub fn busy(&self) {
        self.slot.idle_since.store(BUSY, Ordering::Release);
    }

    /// Whether the connection was closed to make room (asked once it is idle).
    pub fn closing(&self) -> bool {
        self.slot.close.load(Ordering::Acquire)
    }

    /// The part the requests on this connection hold while answered.
    pub fn activity(&self) -> Activity {
        Activity(Arc::clone(&self.slot))
    }
}

impl Drop for Opened {
    fn drop(&mut self) {
        self.connections.open.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use std::task::Wake;

    use super::*;

    #[derive(Default)]
    struct Woken(AtomicBool);

    impl Wake for Woken {
        fn wake(self: Arc<Self>) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    #[test]
    fn past_the_mark_the_longest_idle_connections_are_closed_and_busy_ones_kept() {
        let connections = Connections::new(16); // the mark: 14
        let woken: Vec<Arc<Woken>> = (0..13).map(|_| Arc::new(Woken::default())).collect();
        let opened: Vec<Opened> = woken
            .iter()
            .map(|woken| {
                let opened = connections.open();
                opened.park(&Waker::from(Arc::clone(woken)));
                std::thread::sleep(std::time::Duration::from_micros(50));
                opened
            })
            .collect();
        opened[0].busy();
        let answering = opened[1].activity();
        answering.0.requests.fetch_add(1, Ordering::AcqRel);
        let busy = connections.open();
        assert_eq!(connections.count(), 14);
        assert!(
            opened.iter().all(|opened| !opened.closing()),
            "under the mark, nothing closes"
        );

        let _new = connections.open();
        assert!(!opened[0].closing(), "a busy connection stays");
        assert!(!busy.closing());
        assert!(!opened[1].closing(), "one answering a request (an event stream) stays");
        assert!(opened[2].closing(), "the longest idle goes first");
        assert!(woken[2].0.load(Ordering::SeqCst), "and is woken to see it");
        assert!(!opened[3].closing(), "only as many as needed");
        assert_eq!(connections.closed_idle(), 1);
        drop(opened);
        assert_eq!(connections.count(), 2);
    }
}
