//! Authentication of every protected request: HTTP Basic or a Bearer token.
//!
//! Basic verifications that succeed are cached for a short time under an
//! HMAC of the credentials with a per-process random key (never the password
//! itself), so a client sending Basic on every request pays argon2 once. The
//! cache forgets a user when their password changes or the account goes, and
//! everything when another instance reports such a change ([`Auth::forget_all`]).
//! Bearer lookups are cached the same way for a few seconds, and forgotten
//! when the token is revoked.
//!
//! A Basic login the cache cannot answer waits for its turn: one verification
//! per client address and username at a time (see [`crate::throttle`]). A
//! request that waited looks in the cache again, where the login it waited
//! for left its result, so a client firing many requests at once with its
//! right password pays one hash and none of them is refused; wrong guesses
//! queue behind each other and each sees the failures before it, so parallel
//! guesses cannot outrun the throttle.

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};
use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use chrono::{DateTime, Utc};
use database::Pool;
use hmac::{Hmac, KeyInit, Mac};
use kernel::ApiError;
use moka::sync::Cache;
use rand::Rng;
use sha2::{Digest, Sha256};

use crate::error::AccountError;
use crate::model::{CurrentUser, PASSWORD_BYTES, USERNAME_MAX_CHARS};
use crate::password::PasswordHasher;
use crate::service;
use crate::throttle::{Attempt, Refusal, Throttle, ThrottleSettings, Turn};

/// Settings of authentication.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// How long a successful Basic verification is cached; zero disables the cache.
    pub cache_ttl: Duration,
    /// Most cached verifications.
    pub cache_capacity: u64,
    /// How long a Bearer token lookup is cached; zero disables it.
    pub token_cache_ttl: Duration,
    /// Most argon2 hashes at once; defaults to the number of cores.
    pub hash_concurrency: usize,
    /// Limits on failed logins.
    pub throttle: ThrottleSettings,
    /// Take the client address from `Forwarded`/`X-Forwarded-For` (only behind a trusted proxy).
    pub trust_forwarded_for: bool,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            cache_ttl: Duration::from_secs(60),
            cache_capacity: 10_000,
            token_cache_ttl: Duration::from_secs(10),
            hash_concurrency: std::thread::available_parallelism().map_or(2, usize::from),
            throttle: ThrottleSettings::default(),
            trust_forwarded_for: false,
        }
    }
}

type Key = [u8; 32];

/// A token's user and expiry, as cached.
type TokenEntry = (CurrentUser, Option<DateTime<Utc>>);

/// Shared authentication state: hasher, caches, throttle.
pub struct Auth {
    hasher: PasswordHasher,
    key: Key,
    basic_cache: Option<Cache<Key, CurrentUser>>,
    token_cache: Option<Cache<Key, TokenEntry>>,
    throttle: Throttle,
    trust_forwarded_for: bool,
    /// Bumped whenever cached entries are dropped: a lookup that started
    /// before a drop must not cache what it read.
    epoch: AtomicU64,
    /// Logins and password checks the throttle refused (429).
    throttled: AtomicU64,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth").finish_non_exhaustive()
    }
}

fn cache<V: Clone + Send + Sync + 'static>(ttl: Duration, capacity: u64) -> Option<Cache<Key, V>> {
    (!ttl.is_zero()).then(|| {
        Cache::builder()
            .max_capacity(capacity)
            .time_to_live(ttl)
            .support_invalidation_closures()
            .build()
    })
}

impl Auth {
    /// Authentication with these settings and a fresh random cache key.
    pub fn new(settings: AuthSettings) -> Self {
        let mut key = [0_u8; 32];
        rand::rng().fill_bytes(&mut key);
        Self {
            hasher: PasswordHasher::new(settings.hash_concurrency),
            key,
            basic_cache: cache(settings.cache_ttl, settings.cache_capacity),
            token_cache: cache(settings.token_cache_ttl, settings.cache_capacity),
            throttle: Throttle::new(settings.throttle),
            trust_forwarded_for: settings.trust_forwarded_for,
            epoch: AtomicU64::new(0),
            throttled: AtomicU64::new(0),
        }
    }

    /// How many logins and password checks the throttle has refused.
    pub fn throttle_rejections(&self) -> u64 {
        self.throttled.load(AtomicOrdering::Relaxed)
    }

    /// Begins `turn`'s attempt, counting a refusal.
    async fn begin<'a>(&self, turn: &'a Turn<'a>) -> Result<Attempt<'a>, u64> {
        let begun = begin_when_free(turn).await;
        if begun.is_err() {
            self.throttled.fetch_add(1, AtomicOrdering::Relaxed);
        }
        begun
    }

    /// The password hasher.
    pub fn hasher(&self) -> &PasswordHasher {
        &self.hasher
    }

    /// Drops every cached verification of a user (password changed, account deleted).
    pub fn forget_user(&self, user_id: i64) {
        self.epoch.fetch_add(1, AtomicOrdering::SeqCst);
        if let Some(cache) = &self.basic_cache {
            // Only fails when closures are unsupported, which `cache` enables.
            let _ = cache.invalidate_entries_if(move |_, user| user.id == user_id);
        }
        if let Some(cache) = &self.token_cache {
            let _ = cache.invalidate_entries_if(move |_, (user, _)| user.id == user_id);
        }
    }

    /// Drops every cached Basic verification and Bearer lookup.
    ///
    /// For changes this instance cannot attribute to cache entries: another
    /// server instance changed a password, deleted an account or revoked a
    /// token (the server calls it when PostgreSQL notifies such a change).
    /// Lookups already running when it is called do not cache what they read.
    pub fn forget_all(&self) {
        self.epoch.fetch_add(1, AtomicOrdering::SeqCst);
        if let Some(cache) = &self.basic_cache {
            cache.invalidate_all();
        }
        if let Some(cache) = &self.token_cache {
            cache.invalidate_all();
        }
    }

    /// Caches `value` unless something was forgotten since `epoch` was read
    /// (before the lookup that produced `value`). The check is repeated after
    /// the insert, which is taken back if a forget ran in between: every
    /// forget moves the epoch before it drops entries, so none can slip
    /// between the check and the insert.
    fn cache_unless_forgotten<V>(&self, cache: &Cache<Key, V>, key: Key, value: V, epoch: u64)
    where
        V: Clone + Send + Sync + 'static,
    {
        if self.epoch.load(AtomicOrdering::SeqCst) != epoch {
            return;
        }
        cache.insert(key, value);
        if self.epoch.load(AtomicOrdering::SeqCst) != epoch {
            cache.invalidate(&key);
        }
    }

    /// Drops the cached lookup of a revoked token.
    pub fn forget_token(&self, token_hash: &[u8]) {
        self.epoch.fetch_add(1, AtomicOrdering::SeqCst);
        if let (Some(cache), Ok(key)) = (&self.token_cache, Key::try_from(token_hash)) {
            cache.invalidate(&key);
        }
    }

    fn credentials_key(&self, username: &str, password: &str) -> Key {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key).unwrap_or_else(|_| unreachable!());
        mac.update(username.to_lowercase().as_bytes());
        mac.update(&[0]);
        mac.update(password.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// The address a request comes from, as login throttling counts it: the
    /// peer, or the forwarded client when the settings trust a proxy.
    pub fn client_address(&self, req: &HttpRequest) -> Option<IpAddr> {
        if self.trust_forwarded_for {
            if let Some(ip) = req.connection_info().realip_remote_addr().and_then(|addr| {
                addr.parse::<std::net::SocketAddr>()
                    .map(|s| s.ip())
                    .ok()
                    .or_else(|| addr.parse().ok())
            }) {
                return Some(ip);
            }
        }
        req.peer_addr().map(|addr| addr.ip())
    }

    fn cached_login(&self, key: &Key) -> Option<CurrentUser> {
        self.basic_cache.as_ref().and_then(|cache| cache.get(key))
    }

    async fn basic(
        &self,
        req: &HttpRequest,
        pool: &Pool,
        username: &str,
        password: &str,
    ) -> Result<CurrentUser, ApiError> {
        let key = self.credentials_key(username, password);
        if let Some(user) = self.cached_login(&key) {
            return Ok(user);
        }
        let turn = self.throttle.turn(self.client_address(req), username).await;
        // The login this one waited for may have proved the same credentials.
        if let Some(user) = self.cached_login(&key) {
            return Ok(user);
        }
        let attempt = self.begin(&turn).await.map_err(ApiError::too_many_requests)?;
        let epoch = self.epoch.load(AtomicOrdering::SeqCst);
        match self.check_login(pool, username, password).await {
            Ok(Some(user)) => {
                attempt.succeeded();
                if let Some(cache) = &self.basic_cache {
                    // Before the turn ends, so that the requests waiting for it find the user here.
                    self.cache_unless_forgotten(cache, key, user.clone(), epoch);
                }
                Ok(user)
            }
            Ok(None) => {
                attempt.failed();
                Err(ApiError::unauthorized())
            }
            Err(error) => {
                attempt.release();
                Err(error)
            }
        }
    }

    /// The user whose username and password these are, checked against the database.
    async fn check_login(&self, pool: &Pool, username: &str, password: &str) -> Result<Option<CurrentUser>, ApiError> {
        // Such a user cannot exist (and PostgreSQL text cannot hold NUL): check the dummy hash.
        let impossible = password.len() > PASSWORD_BYTES.1
            || username.chars().count() > USERNAME_MAX_CHARS
            || username.contains('\0');
        let login = if impossible {
            None
        } else {
            let mut conn = pool.get().await?;
            service::find_login(&mut conn, username).await?
        };
        let (hash, user) = match login {
            Some(login) => (
                Some(login.password_hash),
                Some(CurrentUser {
                    id: login.id,
                    username: login.username,
                }),
            ),
            None => (None, None),
        };
        let verified = self.hasher.verify(hash, password.to_owned()).await?;
        Ok(user.filter(|_| verified))
    }

    async fn bearer(&self, pool: &Pool, token: &str) -> Result<CurrentUser, ApiError> {
        let hash: Key = Sha256::digest(token.as_bytes()).into();
        let now = Utc::now();
        let unexpired = |expires_at: &Option<DateTime<Utc>>| expires_at.is_none_or(|at| at > now);
        if let Some((user, expires_at)) = self.token_cache.as_ref().and_then(|cache| cache.get(&hash)) {
            if unexpired(&expires_at) {
                return Ok(user);
            }
        }
        let epoch = self.epoch.load(AtomicOrdering::SeqCst);
        let mut conn = pool.get().await?;
        match service::token_user(&mut conn, &hash).await? {
            Some((user, expires_at)) if unexpired(&expires_at) => {
                if let Some(cache) = &self.token_cache {
                    self.cache_unless_forgotten(cache, hash, (user.clone(), expires_at), epoch);
                }
                Ok(user)
            }
            _ => Err(ApiError::unauthorized()),
        }
    }

    /// Checks that `password` is the current one of `user` (whose hash is
    /// `stored`), throttled like a login attempt from `client` (see
    /// [`Auth::client_address`]): it waits for the turn of the client and
    /// username, counts only when wrong, and is refused unchecked once the
    /// client failed too often.
    pub async fn verify_current_password(
        &self,
        client: Option<IpAddr>,
        user: &CurrentUser,
        stored: String,
        password: String,
    ) -> Result<(), AccountError> {
        let turn = self.throttle.turn(client, &user.username).await;
        let attempt = self.begin(&turn).await.map_err(AccountError::TooManyAttempts)?;
        let verified = if password.len() > PASSWORD_BYTES.1 {
            Ok(false)
        } else {
            self.hasher.verify(Some(stored), password).await
        };
        match verified {
            Ok(true) => {
                attempt.succeeded();
                Ok(())
            }
            Ok(false) => {
                attempt.failed();
                Err(AccountError::WrongCurrentPassword)
            }
            Err(error) => {
                attempt.release();
                Err(AccountError::Hashing(error))
            }
        }
    }

    /// The user a request's `Authorization` header proves, or 401/429.
    pub async fn authenticate(&self, req: &HttpRequest, pool: &Pool) -> Result<CurrentUser, ApiError> {
        match parse_authorization(req)? {
            Credentials::Basic { username, password } => self.basic(req, pool, &username, &password).await,
            Credentials::Bearer(token) => self.bearer(pool, &token).await,
        }
    }

    /// The user a request's `Authorization` header proves, and the
    /// [`Credential`] that proved it, for what outlives the request.
    pub async fn authenticate_credential(&self, req: &HttpRequest, pool: &Pool) -> Result<Authenticated, ApiError> {
        match parse_authorization(req)? {
            Credentials::Basic { username, password } => {
                let user = self.basic(req, pool, &username, &password).await?;
                let mut conn = pool.get().await?;
                // The account may have gone since the login was cached.
                let fingerprint = service::password_fingerprint(&mut conn, user.id)
                    .await?
                    .ok_or_else(ApiError::unauthorized)?;
                Ok(Authenticated {
                    user,
                    credential: Credential::Password(fingerprint),
                })
            }
            Credentials::Bearer(token) => {
                let user = self.bearer(pool, &token).await?;
                Ok(Authenticated {
                    user,
                    credential: Credential::Token(Sha256::digest(token.as_bytes()).into()),
                })
            }
        }
    }
}

/// What proved a user, kept by what lives longer than one request (an open
/// event stream, a stream ticket) to notice when it stops holding: a token
/// revoked or expired, a password changed, an account deleted. It holds no
/// secret: a token's SHA-256 (as stored), or a fingerprint of the password
/// hash, which changes with the password.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Credential {
    /// HTTP Basic: SHA-256 of the stored password hash at the time.
    Password([u8; 32]),
    /// A Bearer token: its SHA-256.
    Token([u8; 32]),
}

/// A user and the credential that proved them: the extractor of routes
/// whose result outlives the request.
#[derive(Debug, Clone)]
pub struct Authenticated {
    /// Who.
    pub user: CurrentUser,
    /// With what.
    pub credential: Credential,
}

impl FromRequest for Authenticated {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let (auth, pool) = state_of(&req)?;
            let authenticated = auth.authenticate_credential(&req, pool).await?;
            req.extensions_mut().insert(kernel::RequestUser(authenticated.user.id));
            Ok(authenticated)
        })
    }
}

enum Credentials {
    Basic { username: String, password: String },
    Bearer(String),
}

/// Longest a login waits for one of its address' verification slots.
const BUSY_WAIT: Duration = Duration::from_secs(2);

/// Begins `turn`'s attempt, waiting while the address only has too many
/// verifications in flight (they end within milliseconds); `Err(seconds)`
/// when it must be refused: the failure window's rest, or 1 when the slots
/// stayed taken for [`BUSY_WAIT`], since a retry then soon works.
async fn begin_when_free<'a>(turn: &'a Turn<'a>) -> Result<Attempt<'a>, u64> {
    let deadline = tokio::time::Instant::now() + BUSY_WAIT;
    loop {
        match turn.begin() {
            Ok(attempt) => return Ok(attempt),
            Err(Refusal::Failures(wait)) => return Err(wait),
            Err(Refusal::Busy) if tokio::time::Instant::now() >= deadline => return Err(1),
            Err(Refusal::Busy) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

/// Reads `Authorization`; anything missing or malformed is a 401.
fn parse_authorization(req: &HttpRequest) -> Result<Credentials, ApiError> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(ApiError::unauthorized)?;
    let (scheme, rest) = value.trim().split_once(' ').ok_or_else(ApiError::unauthorized)?;
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = STANDARD.decode(rest).map_err(|_| ApiError::unauthorized())?;
        let decoded = String::from_utf8(decoded).map_err(|_| ApiError::unauthorized())?;
        let (username, password) = decoded.split_once(':').ok_or_else(ApiError::unauthorized)?;
        if username.is_empty() {
            return Err(ApiError::unauthorized());
        }
        Ok(Credentials::Basic {
            username: crate::model::normalize_username(username),
            password: password.to_owned(),
        })
    } else if scheme.eq_ignore_ascii_case("bearer") && !rest.is_empty() {
        Ok(Credentials::Bearer(rest.to_owned()))
    } else {
        Err(ApiError::unauthorized())
    }
}

/// A new token secret: a prefix and 32 random bytes in URL-safe base64, and its SHA-256.
pub fn new_token_secret() -> (String, [u8; 32]) {
    let mut bytes = [0_u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = format!("pal_{}", URL_SAFE_NO_PAD.encode(bytes));
    let hash = Sha256::digest(secret.as_bytes()).into();
    (secret, hash)
}

impl FromRequest for CurrentUser {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let (auth, pool) = state_of(&req)?;
            let user = auth.authenticate(&req, pool).await?;
            // For the access log.
            req.extensions_mut().insert(kernel::RequestUser(user.id));
            Ok(user)
        })
    }
}

/// The authentication state and pool the app registered.
fn state_of(req: &HttpRequest) -> Result<(&Auth, &Pool), ApiError> {
    match (req.app_data::<web::Data<Auth>>(), req.app_data::<web::Data<Pool>>()) {
        (Some(auth), Some(pool)) => Ok((auth, pool)),
        _ => Err(ApiError::internal("authentication state is not registered")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forget_all_drops_every_cached_login_and_token() {
        let auth = Auth::new(AuthSettings::default());
        let ada = CurrentUser {
            id: 1,
            username: "ada".to_owned(),
        };
        let key = auth.credentials_key("ada", "correct horse");
        let token: Key = Sha256::digest(b"pal_token").into();
        let (Some(basic), Some(tokens)) = (&auth.basic_cache, &auth.token_cache) else {
            panic!("the default settings cache both");
        };
        basic.insert(key, ada.clone());
        tokens.insert(token, (ada, None));
        let epoch = auth.epoch.load(AtomicOrdering::SeqCst);
        auth.forget_all();
        assert!(basic.get(&key).is_none());
        assert!(tokens.get(&token).is_none());
        assert!(
            auth.epoch.load(AtomicOrdering::SeqCst) > epoch,
            "lookups in flight do not cache"
        );
    }
}
