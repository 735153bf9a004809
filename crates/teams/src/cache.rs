//! Each user's teams, with their members, kept in process.
//!
//! Every palette list needs the teams whose palettes the caller may see and,
//! in 1.0, each of those teams with its members. [`TeamCache`] keeps them per
//! user, so that a list reads one statement (its palettes), not two; the
//! teams list and a team's page read them too.
//!
//! Staleness: a committed change drops exactly the entries it touches:
//! [`TeamCache::forget_team`] drops every entry that holds the team (a
//! rename, a member joining, leaving or changing role, a deletion), and
//! [`TeamCache::forget_user`] the user's own entry and every entry that
//! lists them as a member (they joined or left a team, or their account is
//! gone). Two sources call them:
//! - the instance that made the change, after its transaction commits, so it
//!   never serves what it just changed;
//! - every instance, on the change notices PostgreSQL sends at commit
//!   (`database::listen`, triggers of the `change_notices` migration), within
//!   milliseconds of the change, whichever instance made it.
//!
//! A load that overlaps a forget is not kept (an epoch, moved by every
//! forget, is compared before and after the insert). Entries are used only
//! while the listener listens ([`TeamCache::set_live`]): without it, every
//! lookup reads the database. Entries also expire after a minute, and the
//! cache is bounded by the number of memberships it holds.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use database::PgConnection;
use diesel::result::QueryResult;
use moka::sync::Cache;

use crate::model::TeamWithMembers;
use crate::service;

/// How long an entry may live, even when no change is heard of.
const TIME_TO_LIVE: Duration = Duration::from_secs(60);

/// A user's teams, by id, each with its members by user id.
pub type TeamsOfUser = Arc<[TeamWithMembers]>;

/// The cache of each user's teams; see the module docs.
pub struct TeamCache {
    cache: Option<Cache<i64, TeamsOfUser>>,
    /// Moved by every forget, before it drops entries.
    epoch: AtomicU64,
    live: AtomicBool,
}

impl std::fmt::Debug for TeamCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TeamCache")
            .field("enabled", &self.cache.is_some())
            .field("live", &self.live.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl TeamCache {
    /// A cache holding up to `capacity` memberships (0: no cache, every
    /// lookup reads the database). It is off until [`TeamCache::set_live`].
    pub fn new(capacity: u64) -> Self {
        let cache = (capacity > 0).then(|| {
            Cache::builder()
                .max_capacity(capacity)
                .weigher(|_, teams: &TeamsOfUser| {
                    let memberships: usize = teams.iter().map(|team| team.members.len()).sum();
                    u32::try_from(memberships + 1).unwrap_or(u32::MAX)
                })
                .time_to_live(TIME_TO_LIVE)
                .support_invalidation_closures()
                .build()
        });
        Self {
            cache,
            epoch: AtomicU64::new(0),
            live: AtomicBool::new(false),
        }
    }

    /// The cache, while changes are heard of.
    fn live_cache(&self) -> Option<&Cache<i64, TeamsOfUser>> {
        self.cache.as_ref().filter(|_| self.live.load(Ordering::SeqCst))
    }

    /// Whether entries are in use: changes are being heard of.
    pub fn is_live(&self) -> bool {
        self.live_cache().is_some()
    }

    /// The teams of `user_id` if they are cached.
    pub fn cached(&self, user_id: i64) -> Option<TeamsOfUser> {
        self.live_cache()?.get(&user_id)
    }

    /// The teams of `user_id`, from the cache or in one statement. Never call
    /// it inside a transaction: it would cache what may yet roll back.
    pub async fn of_user(&self, conn: &mut PgConnection, user_id: i64) -> QueryResult<TeamsOfUser> {
        if let Some(teams) = self.cached(user_id) {
            return Ok(teams);
        }
        let epoch = self.epoch.load(Ordering::SeqCst);
        let teams: TeamsOfUser = service::user_teams_with_members(conn, user_id).await?.into();
        if let Some(cache) = self.live_cache() {
            // A forget that ran during the load may have dropped nothing yet
            // (the entry was not there): the load's result is not kept.
            if self.epoch.load(Ordering::SeqCst) == epoch {
                cache.insert(user_id, Arc::clone(&teams));
                if self.epoch.load(Ordering::SeqCst) != epoch {
                    cache.invalidate(&user_id);
                }
            }
        }
        Ok(teams)
    }

    /// Team `team_id` changed (its name, its members or their roles) or is
    /// gone: drops every entry that holds it.
    pub fn forget_team(&self, team_id: i64) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        if let Some(cache) = &self.cache {
            // Fails only without `support_invalidation_closures`, which `new` sets.
            let _ = cache.invalidate_entries_if(move |_, teams| teams.iter().any(|team| team.team.id == team_id));
        }
    }

    /// User `user_id` joined or left a team, or is gone: drops their entry
    /// and every entry that lists them as a member.
    pub fn forget_user(&self, user_id: i64) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        if let Some(cache) = &self.cache {
            cache.invalidate(&user_id);
            let _ = cache.invalidate_entries_if(move |_, teams| {
                teams
                    .iter()
                    .any(|team| team.members.iter().any(|member| member.user_id == user_id))
            });
        }
    }

    /// Drops every entry.
    pub fn forget_all(&self) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        if let Some(cache) = &self.cache {
            cache.invalidate_all();
        }
    }

    /// Whether changes are being heard of; entries are used only while they
    /// are. Either way every entry is dropped: changes may have been missed.
    pub fn set_live(&self, live: bool) {
        self.live.store(live, Ordering::SeqCst);
        self.forget_all();
    }
}

/// The result of a committed change of teams, with what the change made
/// stale in [`TeamCache`]. The result is reached only through
/// [`Committed::forget_stale`], so no caller can skip the forgetting.
#[derive(Debug)]
#[must_use = "the cache still holds what the change made stale: call `forget_stale`"]
pub struct Committed<T> {
    value: T,
    team_id: Option<i64>,
    user_id: Option<i64>,
}

impl<T> Committed<T> {
    /// A change whose result is `value`, which made nothing stale yet.
    pub(crate) fn new(value: T) -> Self {
        Self {
            value,
            team_id: None,
            user_id: None,
        }
    }

    /// The change touched team `team_id` (see [`TeamCache::forget_team`]).
    pub(crate) fn team(mut self, team_id: i64) -> Self {
        self.team_id = Some(team_id);
        self
    }

    /// The change touched user `user_id`'s teams (see [`TeamCache::forget_user`]).
    pub(crate) fn user(mut self, user_id: i64) -> Self {
        self.user_id = Some(user_id);
        self
    }

    /// Drops from `cache` what the change made stale, and gives its result.
    pub fn forget_stale(self, cache: &TeamCache) -> T {
        if let Some(team_id) = self.team_id {
            cache.forget_team(team_id);
        }
        if let Some(user_id) = self.user_id {
            cache.forget_user(user_id);
        }
        self.value
    }
}

/// The team `team_id` among `teams` (ordered by id, as [`TeamCache::of_user`] gives them).
pub fn find(teams: &[TeamWithMembers], team_id: i64) -> Option<&TeamWithMembers> {
    teams
        .binary_search_by_key(&team_id, |team| team.team.id)
        .ok()
        .map(|index| &teams[index])
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::model::{Member, Role, Team};

    fn team(id: i64, members: &[i64]) -> TeamWithMembers {
        TeamWithMembers {
            team: Team {
                id,
                name: format!("team {id}"),
                personal: false,
                created_at: Utc::now(),
                updated_at: Utc::now(),
            },
            members: members
                .iter()
                .map(|&user_id| Member {
                    team_id: id,
                    user_id,
                    username: format!("user {user_id}"),
                    role: Role::Member,
                })
                .collect(),
        }
    }

    fn cached_users(cache: &TeamCache) -> Vec<i64> {
        (1..=4).filter(|user| cache.cached(*user).is_some()).collect()
    }

    fn filled() -> TeamCache {
        let cache = TeamCache::new(100);
        cache.set_live(true);
        let entries = cache.cache.as_ref().expect("a cache");
        entries.insert(1, vec![team(10, &[1, 2]), team(11, &[1])].into());
        entries.insert(2, vec![team(10, &[1, 2])].into());
        entries.insert(3, vec![team(12, &[3])].into());
        entries.insert(4, vec![team(13, &[4])].into());
        cache
    }

    #[test]
    fn forgetting_a_team_drops_the_entries_that_hold_it_only() {
        let cache = filled();
        cache.forget_team(10);
        assert_eq!(cached_users(&cache), [3, 4]);
        cache.forget_team(12);
        assert_eq!(cached_users(&cache), [4]);
    }

    #[test]
    fn forgetting_a_user_drops_their_entry_and_the_entries_listing_them() {
        let cache = filled();
        cache.forget_user(2);
        assert_eq!(cached_users(&cache), [3, 4]);
        let cache = filled();
        cache.forget_user(3);
        assert_eq!(cached_users(&cache), [1, 2, 4]);
    }

    #[test]
    fn a_committed_change_gives_its_result_once_it_forgot_what_it_made_stale() {
        let cache = filled();
        assert_eq!(Committed::new("renamed").team(12).forget_stale(&cache), "renamed");
        assert_eq!(cached_users(&cache), [1, 2, 4]);
        let cache = filled();
        Committed::new(()).team(13).user(2).forget_stale(&cache);
        assert_eq!(cached_users(&cache), [3]);
        let cache = filled();
        Committed::new(()).forget_stale(&cache);
        assert_eq!(cached_users(&cache), [1, 2, 3, 4]);
    }

    #[test]
    fn nothing_is_served_while_not_live_and_going_live_starts_empty() {
        let cache = filled();
        cache.set_live(false);
        assert!(!cache.is_live());
        assert_eq!(cached_users(&cache), Vec::<i64>::new());
        let cache = filled();
        cache.set_live(true);
        assert_eq!(cached_users(&cache), Vec::<i64>::new());
    }
}
