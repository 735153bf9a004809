//! Each instance's fan-out: one reader of the outbox, many streams.
//!
//! The [`Hub`] reads new outbox rows once per wake-up (a notice on the
//! change channel, or at the latest every [`POLL`]) and hands each event to
//! every open stream that may see it, as bytes rendered once. What a stream
//! may see is its [`Audience`], which the hub keeps current from the
//! membership events themselves, in commit order: a user who joins a team
//! gets its events from their own `member.joined` on, a member who leaves
//! gets their `member.left` and nothing after, a deleted team's members get
//! its `team.deleted` and nothing after. No query per event or per stream.
//!
//! Each stream has a bounded buffer; a stream that lets it fill (a client
//! too slow to read) is closed, and resumes with `Last-Event-ID`. Streams
//! also close when their credential stops holding ([`Hub::recheck_user`]),
//! and all at once on shutdown ([`Hub::close_all`]).

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use accounts::Credential;
use actix_web::web::Bytes;
use database::Pool;
use serde_json::Value;
use tokio::sync::{mpsc, Notify};

use crate::error::EventError;
use crate::model::{Audience, EventKind, StoredEvent};
use crate::service;

/// The longest a committed event waits for the reader when no notice comes
/// (the change listener is reconnecting).
pub const POLL: Duration = Duration::from_secs(1);

/// How often an idle stream gets a comment, so proxies and clients see it alive.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// How often streams' credentials are checked while no change notice can say
/// that one stopped holding.
const RECHECK_UNHEARD: Duration = Duration::from_secs(30);

/// Longest a local write keeps its team out of conditional lists: the
/// reader reads at least every [`POLL`].
const PENDING: Duration = Duration::from_secs(3);

/// How often events past the retention are deleted (by one instance at a time).
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

async fn prune(pool: &Pool, retention: Duration) -> Result<(), EventError> {
    let mut conn = pool.get().await?;
    let pruned = service::prune(&mut conn, retention).await?;
    if pruned > 0 {
        tracing::info!(pruned, "pruned events past the retention");
    }
    Ok(())
}

/// Most events read in one query: well under a stream's buffer, so that a
/// burst of commits is handed out in steps a reader keeps up with.
const BATCH: i64 = 200;

/// Limits of the hub.
#[derive(Debug, Clone)]
pub struct HubSettings {
    /// Most open streams per user.
    pub per_user: usize,
    /// Most open streams on this instance.
    pub max_streams: usize,
    /// Frames a stream may have waiting before it counts as too slow.
    pub buffer: usize,
    /// Recent events kept in memory, for streams that start while the
    /// reader is ahead of the position they read.
    pub recent: usize,
    /// How long events are kept for resuming streams.
    pub retention: Duration,
}

impl Default for HubSettings {
    fn default() -> Self {
        Self {
            per_user: 8,
            max_streams: 20_000,
            buffer: 1024,
            recent: 4096,
            retention: Duration::from_secs(7 * 24 * 3600),
        }
    }
}

/// How a membership event changes who sees a team.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MembershipChange {
    /// The user sees the team from this event on.
    Joined(i64),
    /// The user sees this event (about them), then nothing more of the team.
    Left(i64),
    /// Nobody sees the team after this event.
    TeamGone,
}

/// An event as the hub hands it out: its frame rendered once (twice more
/// for a team's own shape, which names the recipient's role).
#[derive(Debug)]
pub(crate) struct Dispatched {
    pub(crate) id: i64,
    pub(crate) team_id: i64,
    pub(crate) recipients: Vec<i64>,
    frames: Frames,
    membership: Option<MembershipChange>,
}

#[derive(Debug)]
enum Frames {
    Same(Bytes),
    /// `team.role` is the recipient's own role: `owner`, `member`, or null
    /// for a recipient who is not in the team's member list.
    ByRole {
        roles: HashMap<i64, bool>,
        owner: Bytes,
        member: Bytes,
        other: Bytes,
    },
}

/// One SSE frame: `id`, `event`, one `data` line, a blank line.
pub(crate) fn frame(id: i64, kind: &str, data: &str) -> Bytes {
    Bytes::from(format!("id: {id}\nevent: {kind}\ndata: {data}\n\n"))
}

impl Dispatched {
    /// Reads what the hub needs of a stored event.
    pub(crate) fn new(event: StoredEvent) -> Self {
        let kind = EventKind::parse(&event.kind);
        let data: Value = serde_json::from_str(&event.data).unwrap_or(Value::Null);
        let member_id = || data["member"]["id"].as_i64();
        let membership = match kind {
            Some(EventKind::MemberJoined) => member_id().map(MembershipChange::Joined),
            Some(EventKind::MemberLeft) => member_id().map(MembershipChange::Left),
            Some(EventKind::TeamDeleted) => Some(MembershipChange::TeamGone),
            _ => None,
        };
        let frames = match (kind, data["team"]["members"].as_array()) {
            (Some(EventKind::TeamUpdated), Some(members)) => {
                let roles = members
                    .iter()
                    .filter_map(|m| Some((m["id"].as_i64()?, m["role"].as_str()? == "owner")))
                    .collect();
                let with_role = |role: Value| {
                    let mut data = data.clone();
                    data["team"]["role"] = role;
                    frame(event.id, &event.kind, &data.to_string())
                };
                Frames::ByRole {
                    roles,
                    owner: with_role("owner".into()),
                    member: with_role("member".into()),
                    other: with_role(Value::Null),
                }
            }
            _ => Frames::Same(frame(event.id, &event.kind, &event.data)),
        };
        Self {
            id: event.id,
            team_id: event.team_id,
            recipients: event.recipients,
            frames,
            membership,
        }
    }

    /// The frame `user_id` receives.
    pub(crate) fn frame_for(&self, user_id: i64) -> Bytes {
        match &self.frames {
            Frames::Same(bytes) => bytes.clone(),
            Frames::ByRole {
                roles,
                owner,
                member,
                other,
            } => match roles.get(&user_id) {
                Some(true) => owner.clone(),
                Some(false) => member.clone(),
                None => other.clone(),
            },
        }
    }

    /// Applies what must change before the event is handed out (a user who
    /// joins sees their own `member.joined`).
    fn admit(&self, audience: &mut Audience) {
        if self.membership == Some(MembershipChange::Joined(audience.user_id)) {
            audience.teams.insert(self.team_id);
        }
    }

    /// Applies what changes after the event was handed out.
    fn dismiss(&self, audience: &mut Audience) {
        match self.membership {
            Some(MembershipChange::Left(user_id)) if user_id == audience.user_id => {
                audience.teams.remove(&self.team_id);
            }
            Some(MembershipChange::TeamGone) => {
                audience.teams.remove(&self.team_id);
            }
            _ => {}
        }
    }

    /// Undoes this event's membership change on `audience`, for reading
    /// back in time: a replay starts from the user's teams as of where it
    /// starts, not as of now.
    pub(crate) fn undo(&self, audience: &mut Audience) {
        match self.membership {
            Some(MembershipChange::Joined(user_id)) if user_id == audience.user_id => {
                audience.teams.remove(&self.team_id);
            }
            Some(MembershipChange::Left(user_id)) if user_id == audience.user_id => {
                audience.teams.insert(self.team_id);
            }
            Some(MembershipChange::TeamGone) if self.recipients.contains(&audience.user_id) => {
                audience.teams.insert(self.team_id);
            }
            _ => {}
        }
    }

    /// Whether `audience` sees this event, applying its membership change.
    pub(crate) fn deliver_to(&self, audience: &mut Audience) -> bool {
        self.admit(audience);
        let sees = audience.sees(self.team_id, &self.recipients);
        self.dismiss(audience);
        sees
    }
}

/// An open stream as the hub holds it.
struct Subscriber {
    audience: Audience,
    credential: Credential,
    sender: mpsc::Sender<Bytes>,
    /// Set when the hub ends the stream: its body stops at once, queued frames unsent.
    closed: Arc<AtomicBool>,
    /// Events up to this id reach the stream another way (its replay).
    after: i64,
}

struct State {
    /// The last event handed out; `None` until the outbox's position is read.
    position: Option<i64>,
    recent: VecDeque<Arc<Dispatched>>,
    /// `recent` holds every event after this id (up to `position`).
    recent_after: i64,
    /// Streams the hub delivers to.
    streams: HashMap<u64, Subscriber>,
    /// Streams whose connections are open (a stream the hub ended counts
    /// until its body is dropped), in all and per user: what the limits count.
    open: usize,
    per_user: HashMap<i64, usize>,
    next_stream: u64,
    closed: bool,
    /// The id of each team's latest event read (teams with events retained).
    latest: HashMap<i64, i64>,
    /// Teams written through this instance whose event the reader may not
    /// have read yet: the team's latest id then, and when.
    pending: HashMap<i64, (i64, Instant)>,
}

/// The fan-out of one instance. Cheap to share (`Arc`).
pub struct Hub {
    settings: HubSettings,
    state: Mutex<State>,
    wake: Notify,
    /// Whether change notices are heard (then credentials are rechecked when one names them).
    listening: AtomicBool,
    /// A check a notice asked for failed: the periodic check runs next time even while notices are heard.
    recheck_owed: AtomicBool,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub").finish_non_exhaustive()
    }
}

/// A stream registered with the hub: its live frames, and where its replay
/// ends. Dropping it unregisters the stream.
pub struct Subscription {
    hub: Arc<Hub>,
    id: u64,
    closed: Arc<AtomicBool>,
    /// When the credential that opened the stream stops holding (a token's expiry), if ever.
    pub expires_at: Option<tokio::time::Instant>,
    /// Live frames, after [`Subscription::replay_until`].
    pub receiver: mpsc::Receiver<Bytes>,
    /// Events up to here come from the replay (or are covered by `ready`);
    /// later ones arrive through `receiver`.
    pub replay_until: i64,
    /// Who the stream is for, as of `replay_until`.
    pub audience: Audience,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.hub.release(self.id, self.audience.user_id);
    }
}

impl Subscription {
    /// Whether the hub ended the stream (cut off, credential gone, shutdown).
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("id", &self.id)
            .field("replay_until", &self.replay_until)
            .finish_non_exhaustive()
    }
}

impl Hub {
    /// A hub with these limits; it reads nothing until [`Hub::run`].
    pub fn new(settings: HubSettings) -> Arc<Self> {
        Arc::new(Self {
            settings,
            state: Mutex::new(State {
                position: None,
                recent: VecDeque::new(),
                recent_after: 0,
                streams: HashMap::new(),
                open: 0,
                per_user: HashMap::new(),
                next_stream: 0,
                closed: false,
                latest: HashMap::new(),
                pending: HashMap::new(),
            }),
            wake: Notify::new(),
            listening: AtomicBool::new(false),
            recheck_owed: AtomicBool::new(false),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves consistent enough state: keep serving.
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Reads the outbox whenever [`Hub::wake`] is called, or every [`POLL`],
    /// and sends keep-alives, for as long as the runtime lives.
    pub fn spawn(self: &Arc<Self>, pool: Pool) -> tokio::task::JoinHandle<()> {
        let hub = Arc::clone(self);
        tokio::spawn(async move {
            let keep_alive = hub.clone();
            tokio::spawn(async move {
                let mut ticks = tokio::time::interval(KEEP_ALIVE);
                ticks.tick().await;
                loop {
                    ticks.tick().await;
                    keep_alive.keep_alive();
                }
            });
            // Without change notices (a pooler in transaction mode, an outage), nothing
            // says when a credential stops holding: check every stream's now and then.
            let (recheck_hub, recheck_pool) = (hub.clone(), pool.clone());
            tokio::spawn(async move {
                let mut ticks = tokio::time::interval(RECHECK_UNHEARD);
                ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    ticks.tick().await;
                    let owed = recheck_hub.recheck_owed.swap(false, Ordering::SeqCst);
                    if owed || !recheck_hub.listening.load(Ordering::SeqCst) {
                        if let Err(error) = recheck_hub.recheck(&recheck_pool, None).await {
                            recheck_hub.recheck_later();
                            tracing::warn!(
                                error = format!("{error:#}"),
                                "checking event streams' credentials failed"
                            );
                        }
                    }
                }
            });
            let (prune_pool, retention) = (pool.clone(), hub.settings.retention);
            tokio::spawn(async move {
                let mut ticks = tokio::time::interval(PRUNE_EVERY);
                loop {
                    ticks.tick().await;
                    if let Err(error) = prune(&prune_pool, retention).await {
                        tracing::warn!(error = format!("{error:#}"), "pruning old events failed");
                    }
                }
            });
            let mut reported = false;
            loop {
                match hub.read(&pool).await {
                    Ok(()) => reported = false,
                    Err(error) if !reported => {
                        tracing::warn!(error = format!("{error:#}"), "cannot read live events; retrying");
                        reported = true;
                    }
                    Err(_) => {}
                }
                let _ = tokio::time::timeout(POLL, hub.wake.notified()).await;
            }
        })
    }

    /// Reads the outbox's position, so that streams can start: the server
    /// calls it before it accepts requests (the reader does it too, when
    /// the database was not there yet).
    pub async fn prime(&self, pool: &Pool) -> Result<(), EventError> {
        let mut conn = pool.get().await?;
        let (position, latest) = service::positions(&mut conn).await?;
        let mut state = self.lock();
        if state.position.is_none() {
            state.position = Some(position);
            state.recent_after = position;
            state.latest = latest;
        }
        Ok(())
    }

    /// Whether change notices are heard: while they are not, every stream's
    /// credential is checked every [`RECHECK_UNHEARD`].
    pub fn set_listening(&self, listening: bool) {
        self.listening.store(listening, Ordering::SeqCst);
    }

    /// Asks the periodic check to check every stream's credential at its
    /// next turn: a check a change notice asked for could not be made.
    pub fn recheck_later(&self) {
        self.recheck_owed.store(true, Ordering::SeqCst);
    }

    /// Tells the reader that new events were committed.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Reads and hands out every event after the position.
    async fn read(&self, pool: &Pool) -> Result<(), EventError> {
        let mut conn = pool.get().await?;
        let known = self.lock().position;
        let mut position = match known {
            Some(position) => position,
            None => {
                drop(conn);
                self.prime(pool).await?;
                return Box::pin(self.read(pool)).await;
            }
        };
        loop {
            let batch = service::events_after(&mut conn, position, None, BATCH).await?;
            let Some(last) = batch.last() else {
                return Ok(());
            };
            position = last.id;
            let full = batch.len() as i64 == BATCH;
            let dispatched: Vec<Arc<Dispatched>> = batch.into_iter().map(|e| Arc::new(Dispatched::new(e))).collect();
            self.dispatch(dispatched);
            if !full {
                return Ok(());
            }
        }
    }

    fn dispatch(&self, events: Vec<Arc<Dispatched>>) {
        let mut state = self.lock();
        let mut gone = Vec::new();
        for event in events {
            for (id, subscriber) in &mut state.streams {
                if event.id <= subscriber.after {
                    continue;
                }
                subscriber.after = event.id;
                if !event.deliver_to(&mut subscriber.audience) {
                    continue;
                }
                if let Err(error) = subscriber.sender.try_send(event.frame_for(subscriber.audience.user_id)) {
                    if matches!(error, mpsc::error::TrySendError::Full(_)) {
                        tracing::info!(
                            user_id = subscriber.audience.user_id,
                            "closing an event stream that reads too slowly"
                        );
                    }
                    gone.push(*id);
                }
            }
            state.position = Some(event.id);
            state.latest.insert(event.team_id, event.id);
            state.recent.push_back(event);
            if state.recent.len() > self.settings.recent {
                if let Some(oldest) = state.recent.pop_front() {
                    state.recent_after = oldest.id;
                }
            }
        }
        for id in gone {
            Self::remove_locked(&mut state, id);
        }
    }

    fn keep_alive(&self) {
        let frame = Bytes::from_static(b": keep-alive\n\n");
        let mut state = self.lock();
        let gone: Vec<u64> = state
            .streams
            .iter()
            .filter(|(_, s)| s.sender.try_send(frame.clone()).is_err())
            .map(|(id, _)| *id)
            .collect();
        for id in gone {
            Self::remove_locked(&mut state, id);
        }
    }

    /// Registers a stream for `audience` (as of outbox position `read_at`)
    /// proved by `credential`. Events after the later of `read_at` and the
    /// hub's position arrive through the subscription; the membership
    /// events between the two are applied to the audience first.
    pub fn subscribe(
        self: &Arc<Self>,
        mut audience: Audience,
        credential: Credential,
        read_at: i64,
    ) -> Result<Subscription, EventError> {
        let mut state = self.lock();
        let position = state.position.ok_or(EventError::NotReady)?;
        if state.closed {
            return Err(EventError::NotReady);
        }
        if state.open >= self.settings.max_streams {
            return Err(EventError::ServerFull);
        }
        let open = state.per_user.get(&audience.user_id).copied().unwrap_or(0);
        if open >= self.settings.per_user {
            return Err(EventError::TooManyStreams {
                limit: self.settings.per_user,
            });
        }
        if position > read_at {
            // The reader is ahead: apply what the stream's read did not see.
            if read_at < state.recent_after {
                // Older than what is kept: the caller reads again.
                return Err(EventError::Behind);
            }
            for event in state.recent.iter().filter(|e| e.id > read_at) {
                event.deliver_to(&mut audience);
            }
        }
        let replay_until = position.max(read_at);
        let (sender, receiver) = mpsc::channel(self.settings.buffer);
        let id = state.next_stream;
        state.next_stream += 1;
        state.open += 1;
        *state.per_user.entry(audience.user_id).or_default() += 1;
        let closed = Arc::new(AtomicBool::new(false));
        state.streams.insert(
            id,
            Subscriber {
                audience: audience.clone(),
                credential,
                sender,
                closed: Arc::clone(&closed),
                after: replay_until,
            },
        );
        Ok(Subscription {
            hub: Arc::clone(self),
            id,
            closed,
            expires_at: None,
            receiver,
            replay_until,
            audience,
        })
    }

    /// A stream's body is gone: it no longer counts against the limits.
    fn release(&self, id: u64, user_id: i64) {
        let mut state = self.lock();
        state.streams.remove(&id);
        state.open = state.open.saturating_sub(1);
        if let Some(count) = state.per_user.get_mut(&user_id) {
            *count -= 1;
            if *count == 0 {
                state.per_user.remove(&user_id);
            }
        }
    }

    /// Ends a stream: nothing more is delivered to it, and its body stops
    /// at once. It counts against the limits until its body is dropped.
    fn remove_locked(state: &mut State, id: u64) {
        if let Some(subscriber) = state.streams.remove(&id) {
            subscriber.closed.store(true, Ordering::SeqCst);
        }
    }

    /// Notes that a change of `team_id` committed through this instance:
    /// until the reader has read its event (at most [`PENDING`]),
    /// [`Hub::team_positions`] does not vouch for the team, so a client
    /// never revalidates what it just changed against an older position.
    pub fn touch(&self, team_id: i64) {
        let mut state = self.lock();
        let latest = state.latest.get(&team_id).copied().unwrap_or(0);
        if state.pending.len() >= 10_000 {
            state.pending.retain(|_, (_, at)| at.elapsed() < PENDING);
        }
        state.pending.insert(team_id, (latest, Instant::now()));
    }

    /// The latest event id of each of `team_ids` (0 for a team with none
    /// retained), in order: what a conditional list's `ETag` is made of.
    /// `None` while the outbox's position is unknown, or a team was just
    /// written through this instance and its event is not read yet.
    pub fn team_positions(&self, team_ids: impl IntoIterator<Item = i64>) -> Option<Vec<i64>> {
        let state = self.lock();
        state.position?;
        team_ids
            .into_iter()
            .map(|team_id| {
                let latest = state.latest.get(&team_id).copied().unwrap_or(0);
                match state.pending.get(&team_id) {
                    Some((before, at)) if *before == latest && at.elapsed() < PENDING => None,
                    _ => Some(latest),
                }
            })
            .collect()
    }

    /// Open streams, on this instance: what the limits count, until each
    /// connection ends.
    pub fn open_streams(&self) -> usize {
        self.lock().open
    }

    /// Streams events are delivered to (open ones the hub has not ended).
    pub fn delivering_streams(&self) -> usize {
        self.lock().streams.len()
    }

    /// Checks the credentials of `user_id`'s streams (the user's password
    /// changed, a token was revoked, the account went) and closes those that
    /// no longer hold; `None` checks every stream.
    pub async fn recheck(&self, pool: &Pool, user_id: Option<i64>) -> Result<(), EventError> {
        let streams: Vec<(u64, i64, Credential)> = self
            .lock()
            .streams
            .iter()
            .filter(|(_, s)| user_id.is_none_or(|u| u == s.audience.user_id))
            .map(|(id, s)| (*id, s.audience.user_id, s.credential))
            .collect();
        if streams.is_empty() {
            return Ok(());
        }
        let mut conn = pool.get().await?;
        let mut checked: HashMap<(i64, Credential), bool> = HashMap::new();
        let mut gone = HashSet::new();
        for (id, user_id, credential) in streams {
            let holds = match checked.get(&(user_id, credential)) {
                Some(holds) => *holds,
                None => {
                    let holds = accounts::service::credential_holds(&mut conn, user_id, &credential).await?;
                    checked.insert((user_id, credential), holds);
                    holds
                }
            };
            if !holds {
                gone.insert(id);
            }
        }
        let mut state = self.lock();
        for id in gone {
            Self::remove_locked(&mut state, id);
        }
        Ok(())
    }

    /// Ends every stream and refuses new ones: the server is stopping.
    pub fn close_all(&self) {
        let mut state = self.lock();
        state.closed = true;
        for (_, subscriber) in state.streams.drain() {
            subscriber.closed.store(true, Ordering::SeqCst);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn stored(id: i64, team_id: i64, kind: EventKind, data: &str, recipients: Vec<i64>) -> StoredEvent {
        StoredEvent {
            id,
            team_id,
            kind: kind.as_str().to_owned(),
            data: data.to_owned(),
            recipients,
            created_at: Utc::now(),
        }
    }

    fn audience(user_id: i64, teams: &[i64]) -> Audience {
        Audience {
            user_id,
            teams: teams.iter().copied().collect(),
            only_team: None,
        }
    }

    #[test]
    fn a_joining_user_sees_their_join_and_a_leaving_one_their_departure_then_nothing() {
        let mut ada = audience(1, &[]);
        let joined = Dispatched::new(stored(
            1,
            5,
            EventKind::MemberJoined,
            r#"{"team_id":5,"member":{"id":1}}"#,
            vec![],
        ));
        assert!(joined.deliver_to(&mut ada));
        let update = Dispatched::new(stored(2, 5, EventKind::PaletteUpdated, r#"{"team_id":5}"#, vec![]));
        assert!(update.deliver_to(&mut ada));
        let left = Dispatched::new(stored(
            3,
            5,
            EventKind::MemberLeft,
            r#"{"team_id":5,"member":{"id":1}}"#,
            vec![1],
        ));
        assert!(left.deliver_to(&mut ada));
        let after = Dispatched::new(stored(4, 5, EventKind::PaletteUpdated, r#"{"team_id":5}"#, vec![]));
        assert!(!after.deliver_to(&mut ada));
    }

    #[test]
    fn another_members_departure_keeps_the_team() {
        let mut ada = audience(1, &[5]);
        let left = Dispatched::new(stored(
            3,
            5,
            EventKind::MemberLeft,
            r#"{"team_id":5,"member":{"id":2}}"#,
            vec![2],
        ));
        assert!(left.deliver_to(&mut ada));
        assert!(ada.teams.contains(&5));
    }

    #[test]
    fn a_deleted_team_is_seen_once_then_never() {
        let mut ada = audience(1, &[5, 6]);
        let gone = Dispatched::new(stored(
            3,
            5,
            EventKind::TeamDeleted,
            r#"{"team_id":5,"team":{"id":5}}"#,
            vec![],
        ));
        assert!(gone.deliver_to(&mut ada));
        assert_eq!(ada.teams, HashSet::from([6]));
    }

    #[test]
    fn a_team_update_names_each_recipients_own_role() {
        let data =
            r#"{"team_id":5,"team":{"id":5,"role":null,"members":[{"id":1,"role":"owner"},{"id":2,"role":"member"}]}}"#;
        let event = Dispatched::new(stored(9, 5, EventKind::TeamUpdated, data, vec![]));
        let role = |user_id| {
            let frame = event.frame_for(user_id);
            let text = String::from_utf8_lossy(&frame).into_owned();
            let line = text
                .lines()
                .find_map(|l| l.strip_prefix("data: "))
                .unwrap_or_default()
                .to_owned();
            serde_json::from_str::<Value>(&line).unwrap_or_default()["team"]["role"].clone()
        };
        assert_eq!(role(1), "owner");
        assert_eq!(role(2), "member");
        assert_eq!(role(3), Value::Null);
    }

    #[test]
    fn frames_are_server_sent_events() {
        assert_eq!(
            frame(4, "palette.deleted", r#"{"team_id":1}"#),
            Bytes::from_static(b"id: 4\nevent: palette.deleted\ndata: {\"team_id\":1}\n\n")
        );
    }
}
