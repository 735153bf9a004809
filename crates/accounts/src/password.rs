//! argon2id hashing, off the async executor and bounded by a semaphore so a
//! flood of logins cannot starve the rest of the service.

use std::sync::{Arc, OnceLock};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

/// OWASP's recommended argon2id parameters: 19 MiB, 2 passes, 1 lane.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A hash with the same parameters, verified for unknown usernames so that
/// they take as long as a wrong password.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        argon2()
            .hash_password(b"not a password of anyone", &salt)
            .map(|hash| hash.to_string())
            .unwrap_or_default()
    })
}

/// Hashes and verifies passwords with at most one hash per core at a time.
#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
}

impl PasswordHasher {
    /// A hasher running at most `concurrency` hashes at once.
    pub fn new(concurrency: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
        }
    }

    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> anyhow::Result<T> {
        let _permit = self.permits.acquire().await?;
        let span = tracing::Span::current();
        Ok(tokio::task::spawn_blocking(move || span.in_scope(work)).await?)
    }

    /// The PHC string of `password`, with a fresh salt.
    pub async fn hash(&self, password: String) -> anyhow::Result<String> {
        self.run(move || {
            let salt = SaltString::generate(&mut OsRng);
            argon2()
                .hash_password(password.as_bytes(), &salt)
                .map(|hash| hash.to_string())
                .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
        })
        .await?
    }

    /// Whether `password` matches `hash`; with no hash (unknown user) it
    /// verifies against a dummy hash and answers false.
    pub async fn verify(&self, hash: Option<String>, password: String) -> anyhow::Result<bool> {
        self.run(move || {
            let known = hash.is_some();
            let hash = hash.unwrap_or_else(|| dummy_hash().to_owned());
            let matches = PasswordHash::new(&hash)
                .map(|parsed| argon2().verify_password(password.as_bytes(), &parsed).is_ok())
                .unwrap_or(false);
            known && matches
        })
        .await
    }
}
