//! Throttling of failed logins.
//!
//! Three counters, each over a fixed window: failures from one address (all
//! usernames), failures from one address for one username, and failures for
//! one username (all addresses). An address over its limit, or with failures
//! for a username that is over its limit, gets 429 without its password being
//! checked. An address with no failures for that username is still checked,
//! so the owner of a username that is being hammered from elsewhere can log in.

use std::net::IpAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use moka::sync::Cache;

/// Limits of the throttle.
#[derive(Debug, Clone)]
pub struct ThrottleSettings {
    /// Length of a counting window.
    pub window: Duration,
    /// Failures from one address, all usernames, before it is refused.
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
    Address(IpAddr),
    AddressAndUsername(IpAddr, String),
    Username(String),
}

struct Window {
    started: Instant,
    failures: AtomicU32,
}

/// Counts failed logins; see the module docs.
pub struct Throttle {
    settings: ThrottleSettings,
    windows: Cache<Key, Arc<Window>>,
}

impl Throttle {
    /// A throttle with these limits.
    pub fn new(settings: ThrottleSettings) -> Self {
        let windows = Cache::builder()
            .max_capacity(100_000)
            .time_to_live(settings.window)
            .build();
        Self { settings, windows }
    }

    fn failures(&self, key: &Key) -> Option<(u32, Duration)> {
        self.windows.get(key).map(|window| {
            let left = self.settings.window.saturating_sub(window.started.elapsed());
            (window.failures.load(Ordering::Relaxed), left)
        })
    }

    /// `Err(seconds to wait)` when this attempt must be refused unchecked.
    pub fn check(&self, address: Option<IpAddr>, username: &str) -> Result<(), u64> {
        let username = username.to_lowercase();
        let over = |key: Key, limit: u32| -> Option<Duration> {
            self.failures(&key).filter(|(n, _)| *n >= limit).map(|(_, left)| left)
        };
        let mut wait: Option<Duration> = None;
        if let Some(address) = address {
            let pair = Key::AddressAndUsername(address, username.clone());
            wait = over(Key::Address(address), self.settings.per_address)
                .or_else(|| over(pair.clone(), self.settings.per_address_and_username));
            if wait.is_none() && self.failures(&pair).is_some() {
                wait = over(Key::Username(username), self.settings.per_username);
            }
        }
        match wait {
            Some(left) => Err(left.as_secs().max(1)),
            None => Ok(()),
        }
    }

    /// Takes back an attempt counted by [`Throttle::record_failure`] before
    /// its password was checked, now that it proved right.
    pub fn record_success(&self, address: Option<IpAddr>, username: &str) {
        let username = username.to_lowercase();
        let mut keys = vec![Key::Username(username.clone())];
        if let Some(address) = address {
            keys.push(Key::Address(address));
            keys.push(Key::AddressAndUsername(address, username));
        }
        for key in keys {
            if let Some(window) = self.windows.get(&key) {
                let _ = window
                    .failures
                    .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1));
            }
        }
    }

    /// Records a failed attempt (or one about to be checked: see `record_success`).
    pub fn record_failure(&self, address: Option<IpAddr>, username: &str) {
        let username = username.to_lowercase();
        let mut keys = vec![Key::Username(username.clone())];
        if let Some(address) = address {
            keys.push(Key::Address(address));
            keys.push(Key::AddressAndUsername(address, username));
        }
        for key in keys {
            let window = self.windows.get_with(key, || {
                Arc::new(Window {
                    started: Instant::now(),
                    failures: AtomicU32::new(0),
                })
            });
            window.failures.fetch_add(1, Ordering::Relaxed);
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

    #[test]
    fn attacker_is_refused_after_its_limit() {
        let t = throttle();
        for _ in 0..3 {
            assert!(t.check(Some(ATTACKER), "alice").is_ok());
            t.record_failure(Some(ATTACKER), "alice");
        }
        assert!(t.check(Some(ATTACKER), "alice").is_err());
    }

    #[test]
    fn victim_still_gets_checked_while_username_is_hammered() {
        let t = throttle();
        for i in 0..10 {
            let address = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 1, i));
            t.record_failure(Some(address), "Alice");
        }
        assert!(t.check(Some(VICTIM), "alice").is_ok());
        assert!(t
            .check(Some(IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 1, 3))), "alice")
            .is_err());
    }

    #[test]
    fn an_attempt_counted_before_checking_is_taken_back_on_success() {
        let t = throttle();
        for _ in 0..10 {
            t.record_failure(Some(VICTIM), "alice");
            t.record_success(Some(VICTIM), "alice");
        }
        assert!(t.check(Some(VICTIM), "alice").is_ok());
    }

    #[test]
    fn address_limit_covers_all_usernames() {
        let t = throttle();
        for i in 0..5 {
            t.record_failure(Some(ATTACKER), &format!("user{i}"));
        }
        let wait = t.check(Some(ATTACKER), "someone-else");
        assert!(matches!(wait, Err(seconds) if (1..=60).contains(&seconds)));
    }
}
