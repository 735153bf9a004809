//! Each user's teams, with their members, kept in process.
//!
//! Every palette list needs the teams whose palettes the caller may see and,
//! in 1.0, each of those teams with its members. [`TeamViews`] keeps them per
//! user, so that a list reads one statement (its palettes), not two.
//!
//! Staleness: any committed change to memberships, teams or usernames drops
//! every entry at once (an epoch bump), which keeps the rule simple and is
//! cheap, as such changes are rare next to reads and an entry reloads in one
//! statement:
//! - the instance that made the change calls [`TeamViews::changed`] after
//!   its transaction commits, so it never serves what it just changed;
//! - every instance hears of every change from PostgreSQL (`database::listen`,
//!   triggers of the `change_notices` migration) within milliseconds, and
//!   calls [`TeamViews::changed`] too.
//!
//! Entries are used only while that listener listens ([`TeamViews::set_live`]):
//! without it, every lookup reads the database. Entries also expire after ten
//! minutes, and the cache is bounded by the number of memberships it holds.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use diesel::result::QueryResult;
use diesel_async::AsyncPgConnection;
use moka::sync::Cache;

use crate::model::TeamWithMembers;
use crate::service;

/// How long an entry may live, even when no change is heard of.
const TIME_TO_LIVE: Duration = Duration::from_secs(600);

/// A user's teams, by id, each with its members by user id.
pub type UserTeams = Arc<[TeamWithMembers]>;

#[derive(Clone)]
struct Entry {
    /// The epoch when the load started: the entry is stale once it moved.
    epoch: u64,
    teams: UserTeams,
}

/// The cache of each user's teams; see the module docs.
pub struct TeamViews {
    cache: Option<Cache<i64, Entry>>,
    epoch: AtomicU64,
    live: AtomicBool,
}

impl std::fmt::Debug for TeamViews {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TeamViews")
            .field("enabled", &self.cache.is_some())
            .field("live", &self.live.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl TeamViews {
    /// A cache holding up to `capacity` memberships (0: no cache, every
    /// lookup reads the database). It is off until [`TeamViews::set_live`].
    pub fn new(capacity: u64) -> Self {
        let cache = (capacity > 0).then(|| {
            Cache::builder()
                .max_capacity(capacity)
                .weigher(|_, entry: &Entry| {
                    let memberships: usize = entry.teams.iter().map(|team| team.members.len()).sum();
                    u32::try_from(memberships + 1).unwrap_or(u32::MAX)
                })
                .time_to_live(TIME_TO_LIVE)
                .build()
        });
        Self {
            cache,
            epoch: AtomicU64::new(0),
            live: AtomicBool::new(false),
        }
    }

    /// The cache, while changes are heard of.
    fn live_cache(&self) -> Option<&Cache<i64, Entry>> {
        self.cache.as_ref().filter(|_| self.live.load(Ordering::SeqCst))
    }

    /// The teams of `user_id` if they are cached and fresh.
    pub fn cached(&self, user_id: i64) -> Option<UserTeams> {
        let entry = self.live_cache()?.get(&user_id)?;
        (entry.epoch == self.epoch.load(Ordering::SeqCst)).then_some(entry.teams)
    }

    /// The teams of `user_id`, from the cache or in one statement.
    pub async fn of_user(&self, conn: &mut AsyncPgConnection, user_id: i64) -> QueryResult<UserTeams> {
        let epoch = self.epoch.load(Ordering::SeqCst);
        if let Some(teams) = self.cached(user_id) {
            return Ok(teams);
        }
        let cache = self.live_cache();
        let teams: UserTeams = service::user_teams_with_members(conn, user_id).await?.into();
        if let Some(cache) = cache {
            // Tagged with the epoch read before the load: if a change
            // committed meanwhile, the entry is already stale and never served.
            cache.insert(
                user_id,
                Entry {
                    epoch,
                    teams: Arc::clone(&teams),
                },
            );
        }
        Ok(teams)
    }

    /// Whether entries are in use: changes are being heard of.
    pub fn is_live(&self) -> bool {
        self.cache.is_some() && self.live.load(Ordering::SeqCst)
    }

    /// Some membership, team or username changed (and committed): every
    /// entry is stale.
    pub fn changed(&self) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
    }

    /// Whether changes are being heard of; entries are used only while they are.
    /// Either way, what was cached before is dropped: changes may have been missed.
    pub fn set_live(&self, live: bool) {
        self.changed();
        self.live.store(live, Ordering::SeqCst);
        self.changed();
    }
}

/// The team `team_id` among `teams` (ordered by id, as [`TeamViews::of_user`] gives them).
pub fn find(teams: &[TeamWithMembers], team_id: i64) -> Option<&TeamWithMembers> {
    teams
        .binary_search_by_key(&team_id, |team| team.team.id)
        .ok()
        .map(|index| &teams[index])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_or_a_lost_listener_makes_every_entry_stale() {
        let views = TeamViews::new(10);
        let before = views.epoch.load(Ordering::SeqCst);
        views.changed();
        assert_ne!(views.epoch.load(Ordering::SeqCst), before);
        let before = views.epoch.load(Ordering::SeqCst);
        views.set_live(true);
        assert!(views.live.load(Ordering::SeqCst));
        assert_ne!(views.epoch.load(Ordering::SeqCst), before);
        views.set_live(false);
        assert!(!views.live.load(Ordering::SeqCst));
    }
}
