//! argon2id hashing, off the async executor on a fixed set of threads so a
//! flood of logins can neither starve the rest of the service nor grow memory.

use std::sync::{Arc, Mutex, OnceLock};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

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

type Job = Box<dyn FnOnce() + Send>;

/// Hashes and verifies passwords on a few dedicated threads, one per core by
/// default: at most that many hashes run at once, and since each thread
/// reuses its allocator arena, the 19 MiB of each hash is not retained once
/// per blocking-pool thread as it would be with `spawn_blocking`.
#[derive(Clone)]
pub struct PasswordHasher {
    jobs: std::sync::mpsc::Sender<Job>,
}

impl PasswordHasher {
    /// A hasher running at most `concurrency` hashes at once.
    pub fn new(concurrency: usize) -> Self {
        let (jobs, queue) = std::sync::mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..concurrency.max(1) {
            let queue = Arc::clone(&queue);
            let spawned = std::thread::Builder::new()
                .name(format!("argon2-{n}"))
                .spawn(move || loop {
                    // The lock is held only while taking the next job.
                    let job = match queue.lock() {
                        Ok(queue) => queue.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(job) => job(),
                        // Every hasher is gone: the thread ends.
                        Err(_) => return,
                    }
                });
            if let Err(error) = spawned {
                tracing::error!(%error, "could not start a password hashing thread");
            }
        }
        Self { jobs }
    }

    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> anyhow::Result<T> {
        let (reply, result) = tokio::sync::oneshot::channel();
        let span = tracing::Span::current();
        self.jobs
            .send(Box::new(move || {
                let _ = reply.send(span.in_scope(work));
            }))
            .map_err(|_| anyhow::anyhow!("the password hashing threads are gone"))?;
        result
            .await
            .map_err(|_| anyhow::anyhow!("a password hashing thread stopped"))
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
