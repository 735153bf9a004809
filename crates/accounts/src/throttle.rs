//! Throttling of failed logins.
//!
//! Attempts are serialised per pair of client address and username (ignoring
//! case): [`Throttle::turn`] waits until no other attempt of that pair is
//! being verified, so parallel requests of one pair queue instead of being
//! refused. Within its turn, [`Turn::begin`] checks three counters, each over
//! a fixed window:
//! - failures from one address for one username;
//! - failures for one username, all addresses: once over its limit, every
//!   address is refused for that username (guesses spread over many
//!   addresses are bounded too), except the addresses that have logged in
//!   as that user before (a known-client allowance, as OWASP recommends), so
//!   an attacker cannot lock the owner out; the owner's cached credentials
//!   and tokens are never throttled either;
//! - attempts from one address, all usernames: its failures plus its
//!   verifications in flight. A slot is reserved atomically when an attempt
//!   begins and given back when the password proves right (or no verdict is
//!   reached), so one address cannot verify more guesses at once, across
//!   many usernames, than its limit. An address refused only for its
//!   verifications in flight, not for its failures, is [`Refusal::Busy`]:
//!   its caller waits for a slot (they free within milliseconds) rather than
//!   being told to come back when the failure window ends.
//!
//! A refused attempt gets 429 without its password being checked. Since the
//! attempts of a pair run one after another, each sees the failures of those
//! before it: parallel wrong guesses for one username from one address cannot
//! exceed the pair's limit, and failures are counted only once a password
//! has proved wrong, so a client sending many requests at once with the
//! right password is never refused for it.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use moka::sync::Cache;
use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

/// Limits of the throttle.
#[derive(Debug, Clone)]
pub struct ThrottleSettings {
    /// Length of a counting window.
    pub window: Duration,
    /// Failures plus verifications in flight from one address, all usernames, before it is refused.
    pub per_address: u32,
    /// Failures from one address for one username before that pair is refused.
    pub per_address_and_username: u32,
    /// Failures for one username, all addresses, before addresses that failed on it are refused.
    pub per_username: u32,
}

impl Default for ThrottleSettings {
    fn default() -> Self {
        Self {
            window: Duration::from_secs(300),
            per_address: 100,
            per_address_and_username: 10,
            per_username: 20,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    /// Failures plus verifications in flight.
    Address(IpAddr),
    /// Failures only.
    AddressFailures(IpAddr),
    AddressAndUsername(IpAddr, String),
    Username(String),
}

/// Why an attempt may not begin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Too many failures: refused for this many seconds (until the window ends).
    Failures(u64),
    /// The address has as many verifications in flight as it may: a slot
    /// frees as soon as one of them ends.
    Busy,
}

/// How long an address that logged in as a user stays a known client of it.
const KNOWN_CLIENT_TTL: Duration = Duration::from_secs(30 * 24 * 3600);

struct Window {
    started: Instant,
    count: AtomicU32,
}

/// A client address (when known) and a lowercased username.
type Pair = (Option<IpAddr>, String);

/// The lock of each pair that has an attempt running or waiting.
#[derive(Default)]
struct Turns {
    locks: HashMap<Pair, Arc<AsyncMutex<()>>>,
    /// Size at which locks nobody holds any more (left by waiters that were
    /// cancelled) are swept.
    sweep_at: usize,
}

/// Counts failed logins and serialises the attempts of each pair; see the module docs.
pub struct Throttle {
    settings: ThrottleSettings,
    windows: Cache<Key, Arc<Window>>,
    /// (address, lowercased username) pairs that have logged in.
    known_clients: Cache<(IpAddr, String), ()>,
    turns: Mutex<Turns>,
}

impl Throttle {
    /// A throttle with these limits.
    pub fn new(settings: ThrottleSettings) -> Self {
        let windows = Cache::builder()
            .max_capacity(100_000)
            .time_to_live(settings.window)
            .build();
        let known_clients = Cache::builder()
            .max_capacity(100_000)
            .time_to_live(KNOWN_CLIENT_TTL)
            .build();
        Self {
            settings,
            windows,
            known_clients,
            turns: Mutex::default(),
        }
    }

    fn turns(&self) -> MutexGuard<'_, Turns> {
        // The map stays consistent whatever panicked while holding it.
        self.turns.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits until no other attempt of this address and username is being
    /// verified; the turn lasts until it is dropped.
    pub async fn turn(&self, address: Option<IpAddr>, username: &str) -> Turn<'_> {
        let pair = (address, username.to_lowercase());
        let lock = {
            let mut turns = self.turns();
            if !turns.locks.contains_key(&pair) && turns.locks.len() >= turns.sweep_at {
                turns.locks.retain(|_, lock| Arc::strong_count(lock) > 1);
                turns.sweep_at = (turns.locks.len() * 2).max(64);
            }
            Arc::clone(turns.locks.entry(pair.clone()).or_default())
        };
        Turn {
            guard: Some(lock.lock_owned().await),
            throttle: self,
            pair,
        }
    }

    fn window(&self, key: Key) -> Arc<Window> {
        self.windows.get_with(key, || {
            Arc::new(Window {
                started: Instant::now(),
                count: AtomicU32::new(0),
            })
        })
    }

    fn seconds_left(&self, window: &Window) -> u64 {
        let left = self.settings.window.saturating_sub(window.started.elapsed());
        left.as_secs().max(1)
    }

    /// `Some(seconds to wait)` when `key` has reached `limit`.
    fn over(&self, key: &Key, limit: u32) -> Option<u64> {
        self.windows
            .get(key)
            .filter(|window| window.count.load(Ordering::Relaxed) >= limit)
            .map(|window| self.seconds_left(&window))
    }

    fn record_failure(&self, (address, username): &Pair) {
        let mut keys = vec![Key::Username(username.clone())];
        if let Some(address) = address {
            keys.push(Key::AddressAndUsername(*address, username.clone()));
            keys.push(Key::AddressFailures(*address));
        }
        for key in keys {
            self.window(key).count.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// The exclusive right of one address and username to verify a password; see [`Throttle::turn`].
pub struct Turn<'a> {
    /// Always `Some` until dropped.
    guard: Option<OwnedMutexGuard<()>>,
    throttle: &'a Throttle,
    pair: Pair,
}

impl Turn<'_> {
    /// Starts an attempt, or says why it must not be checked now.
    pub fn begin(&self) -> Result<Attempt<'_>, Refusal> {
        let throttle = self.throttle;
        let settings = &throttle.settings;
        let (address, username) = &self.pair;
        let Some(address) = *address else {
            return Ok(Attempt {
                turn: self,
                address_slot: None,
            });
        };
        let pair = Key::AddressAndUsername(address, username.clone());
        if let Some(wait) = throttle.over(&pair, settings.per_address_and_username) {
            return Err(Refusal::Failures(wait));
        }
        if let Some(wait) = throttle.over(&Key::Username(username.clone()), settings.per_username) {
            if !throttle.known_clients.contains_key(&(address, username.clone())) {
                return Err(Refusal::Failures(wait));
            }
        }
        // Reserved in one step, so attempts of many usernames at once cannot
        // all pass a check before any of them counts.
        let window = throttle.window(Key::Address(address));
        let reserved = window.count.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
            (n < settings.per_address).then_some(n + 1)
        });
        if reserved.is_err() {
            return Err(
                match throttle.over(&Key::AddressFailures(address), settings.per_address) {
                    Some(wait) => Refusal::Failures(wait),
                    None => Refusal::Busy,
                },
            );
        }
        Ok(Attempt {
            turn: self,
            address_slot: Some(window),
        })
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        let mut turns = self.throttle.turns();
        if let Some(guard) = self.guard.take() {
            // Held by the map and this guard only: nobody else waits for the pair.
            let unused = turns
                .locks
                .get(&self.pair)
                .is_some_and(|lock| Arc::ptr_eq(lock, OwnedMutexGuard::mutex(&guard)) && Arc::strong_count(lock) == 2);
            drop(guard);
            if unused {
                turns.locks.remove(&self.pair);
            }
        }
    }
}

/// One password verification, counted against its address until it ends.
///
/// End it with [`Attempt::failed`] or [`Attempt::release`]. One that is
/// dropped unended (the request was cancelled) stays counted as a failure of
/// its address, so that cancelled guesses cannot queue hashes for free.
#[must_use = "an attempt must be ended with `failed` or `release`"]
pub struct Attempt<'a> {
    turn: &'a Turn<'a>,
    address_slot: Option<Arc<Window>>,
}

impl Attempt<'_> {
    /// The password proved wrong: a failure of the address, the pair and the username.
    pub fn failed(self) {
        // The address' slot stays taken, now as a failure.
        self.turn.throttle.record_failure(&self.turn.pair);
    }

    /// The password proved right: the address gets its slot back and is
    /// from now on a known client of this user.
    pub fn succeeded(self) {
        if let (Some(address), username) = &self.turn.pair {
            self.turn
                .throttle
                .known_clients
                .insert((*address, username.clone()), ());
        }
        self.release();
    }

    /// No verdict was reached: the address gets its slot back.
    pub fn release(self) {
        if let Some(window) = self.address_slot {
            let _ = window
                .count
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn throttle() -> Throttle {
        Throttle::new(ThrottleSettings {
            window: Duration::from_secs(60),
            per_address: 5,
            per_address_and_username: 3,
            per_username: 4,
        })
    }

    const ATTACKER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1));
    const VICTIM: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2));

    async fn fail(t: &Throttle, address: IpAddr, username: &str) {
        let turn = t.turn(Some(address), username).await;
        turn.begin().expect("not refused yet").failed();
    }

    async fn refused(t: &Throttle, address: IpAddr, username: &str) -> Option<u64> {
        let turn = t.turn(Some(address), username).await;
        let result = turn.begin().map(Attempt::release);
        match result {
            Ok(()) => None,
            Err(Refusal::Failures(wait)) => Some(wait),
            Err(Refusal::Busy) => Some(0),
        }
    }

    async fn log_in(t: &Throttle, address: IpAddr, username: &str) {
        let turn = t.turn(Some(address), username).await;
        turn.begin().expect("not refused").succeeded();
    }

    #[tokio::test]
    async fn attacker_is_refused_after_its_limit() {
        let t = throttle();
        for _ in 0..3 {
            fail(&t, ATTACKER, "alice").await;
        }
        assert!(refused(&t, ATTACKER, "ALICE").await.is_some());
    }

    #[tokio::test]
    async fn guesses_from_many_addresses_are_bounded_but_a_known_client_gets_through() {
        let t = throttle();
        log_in(&t, VICTIM, "alice").await;
        for i in 0..4 {
            fail(&t, IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 1, i)), "Alice").await;
        }
        // A new address for every guess: refused once the username's limit is reached.
        let fresh = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 2, 1));
        assert!(matches!(refused(&t, fresh, "alice").await, Some(wait) if wait >= 1));
        // The owner, from where they logged in before, is still checked.
        assert_eq!(refused(&t, VICTIM, "alice").await, None);
        // Other usernames are untouched.
        assert_eq!(refused(&t, fresh, "bob").await, None);
    }

    #[tokio::test]
    async fn a_right_password_gives_its_slot_back() {
        let t = throttle();
        for _ in 0..10 {
            let turn = t.turn(Some(VICTIM), "alice").await;
            turn.begin().expect("never refused").release();
        }
        assert_eq!(refused(&t, VICTIM, "alice").await, None);
    }

    #[tokio::test]
    async fn address_limit_covers_all_usernames() {
        let t = throttle();
        for i in 0..5 {
            fail(&t, ATTACKER, &format!("user{i}")).await;
        }
        let wait = refused(&t, ATTACKER, "someone-else").await;
        assert!(matches!(wait, Some(seconds) if (1..=60).contains(&seconds)));
    }

    #[tokio::test]
    async fn verifications_in_flight_count_against_the_address_limit() {
        let t = throttle();
        let mut turns = Vec::new();
        for i in 0..5 {
            turns.push(t.turn(Some(ATTACKER), &format!("user{i}")).await);
        }
        let attempts: Vec<_> = turns
            .iter()
            .map(|turn| turn.begin().expect("within the limit"))
            .collect();
        assert_eq!(refused(&t, ATTACKER, "user5").await, Some(0), "busy, not failed");
        for attempt in attempts {
            attempt.release();
        }
        assert_eq!(refused(&t, ATTACKER, "user5").await, None);
    }

    #[tokio::test]
    async fn a_pair_waits_for_its_turn_and_other_pairs_do_not() {
        let t = throttle();
        let first = t.turn(Some(VICTIM), "alice").await;
        let wait = Duration::from_millis(50);
        assert!(tokio::time::timeout(wait, t.turn(Some(VICTIM), "ALICE")).await.is_err());
        assert!(tokio::time::timeout(wait, t.turn(Some(VICTIM), "bob")).await.is_ok());
        assert!(tokio::time::timeout(wait, t.turn(Some(ATTACKER), "alice"))
            .await
            .is_ok());
        let second = t.turn(Some(VICTIM), "alice");
        drop(first);
        drop(tokio::time::timeout(wait, second).await.expect("free again"));
        assert!(t.turns().locks.is_empty(), "locks nobody holds are dropped");
    }
}
