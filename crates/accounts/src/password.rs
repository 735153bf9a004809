//! argon2id hashing, off the async executor on a fixed set of threads so a
//! flood of logins can neither starve the rest of the service nor grow memory.

use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};

/// OWASP's recommended argon2id parameters: 19 MiB, 2 passes, 1 lane.
fn params() -> Params {
    Params::new(19 * 1024, 2, 1, None).unwrap_or_default()
}

/// Runs argon2 in the calling thread's own memory, allocated on its first
/// hash and reused by every later one: a hashing thread holds one 19 MiB
/// block for its life, instead of the allocator keeping a freed block around
/// per thread as it pleases (measured: up to 19 MiB more per thread).
fn hash_into(argon: &Argon2<'_>, password: &[u8], salt: &[u8], out: &mut [u8]) -> argon2::Result<()> {
    thread_local! {
        static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
    }
    let blocks = argon.params().block_count();
    MEMORY.with(|memory| {
        let mut memory = memory.borrow_mut();
        if memory.len() < blocks {
            memory.resize(blocks, Block::default());
        }
        argon.hash_password_into_with_memory(password, salt, out, &mut memory[..blocks])
    })
}

/// The PHC string of `password` with `salt`, with [`params`].
fn hash_password(password: &[u8], salt: &SaltString) -> argon2::password_hash::Result<String> {
    let params = params();
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let salt = salt.as_salt();
    let mut salt_bytes = [0_u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_bytes)?;
    let output = Output::init_with(Params::DEFAULT_OUTPUT_LEN, |out| {
        Ok(hash_into(&argon, password, salt_bytes, out)?)
    })?;
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params)?,
        salt: Some(salt),
        hash: Some(output),
    };
    Ok(hash.to_string())
}

/// Whether `password` matches the PHC string `hash`, with the algorithm,
/// version and parameters the hash names; the outputs are compared in
/// constant time. A hash that does not parse matches nothing.
fn verify_password(password: &[u8], hash: &str) -> bool {
    let matches = || -> argon2::password_hash::Result<bool> {
        let parsed = PasswordHash::new(hash)?;
        let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
            return Ok(false);
        };
        let algorithm = Algorithm::try_from(parsed.algorithm)?;
        let version = parsed.version.map(Version::try_from).transpose()?.unwrap_or_default();
        let argon = Argon2::new(algorithm, version, Params::try_from(&parsed)?);
        let mut salt_bytes = [0_u8; 64];
        let salt_bytes = salt.decode_b64(&mut salt_bytes)?;
        let computed = Output::init_with(expected.len(), |out| Ok(hash_into(&argon, password, salt_bytes, out)?))?;
        // `Output` compares in constant time.
        Ok(computed == expected)
    };
    matches().unwrap_or(false)
}

/// A hash with the same parameters, verified for unknown usernames so that
/// they take as long as a wrong password.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        hash_password(b"not a password of anyone", &salt).unwrap_or_default()
    })
}

type Job = Box<dyn FnOnce() + Send>;

/// Hashes and verifies passwords on a few dedicated threads, one per core by
/// default: at most that many hashes run at once, and each thread reuses its
/// own 19 MiB of argon2 memory, so hashing holds at most that many blocks,
/// not one per blocking-pool thread as it would with `spawn_blocking`.
#[derive(Clone)]
pub struct PasswordHasher {
    jobs: std::sync::mpsc::Sender<Job>,
    /// Jobs sent and not yet begun.
    waiting: Arc<AtomicUsize>,
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
        Self {
            jobs,
            waiting: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Hashes and verifications waiting for a thread.
    pub fn queue_depth(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }

    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> anyhow::Result<T> {
        let (reply, result) = tokio::sync::oneshot::channel();
        let span = tracing::Span::current();
        let waiting = Arc::clone(&self.waiting);
        waiting.fetch_add(1, Ordering::Relaxed);
        let begun = Arc::clone(&waiting);
        self.jobs
            .send(Box::new(move || {
                begun.fetch_sub(1, Ordering::Relaxed);
                let _ = reply.send(span.in_scope(work));
            }))
            .map_err(|_| {
                waiting.fetch_sub(1, Ordering::Relaxed);
                anyhow::anyhow!("the password hashing threads are gone")
            })?;
        result
            .await
            .map_err(|_| anyhow::anyhow!("a password hashing thread stopped"))
    }

    /// The PHC string of `password`, with a fresh salt.
    pub async fn hash(&self, password: String) -> anyhow::Result<String> {
        self.run(move || {
            let salt = SaltString::generate(&mut OsRng);
            hash_password(password.as_bytes(), &salt).map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
        })
        .await?
    }

    /// Whether `password` matches `hash`; with no hash (unknown user) it
    /// verifies against a dummy hash and answers false.
    pub async fn verify(&self, hash: Option<String>, password: String) -> anyhow::Result<bool> {
        self.run(move || {
            let known = hash.is_some();
            let hash = hash.unwrap_or_else(|| dummy_hash().to_owned());
            let matches = verify_password(password.as_bytes(), &hash);
            known && matches
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};

    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let salt = SaltString::generate(&mut OsRng);
        let hash = hash_password(b"correct horse", &salt).expect("hash");
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(verify_password(b"correct horse", &hash));
        assert!(!verify_password(b"correct horse!", &hash));
        assert!(!verify_password(b"", &hash));
    }

    #[test]
    fn hashes_agree_with_the_argon2_crates_own_hasher_both_ways() {
        let salt = SaltString::generate(&mut OsRng);
        let reference = Argon2::new(Algorithm::Argon2id, Version::V0x13, params());
        let theirs = reference.hash_password(b"pa55word", &salt).expect("hash").to_string();
        assert!(verify_password(b"pa55word", &theirs));
        assert!(!verify_password(b"pa55worD", &theirs));
        let ours = hash_password(b"pa55word", &salt).expect("hash");
        assert_eq!(ours, theirs, "same salt, same parameters: the same string");
        let parsed = PasswordHash::new(&ours).expect("parses");
        assert!(reference.verify_password(b"pa55word", &parsed).is_ok());
    }

    #[test]
    fn other_parameters_named_by_a_hash_are_honoured() {
        let salt = SaltString::generate(&mut OsRng);
        let small = Params::new(1024, 1, 1, None).expect("params");
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, small);
        let hash = argon.hash_password(b"secret-1", &salt).expect("hash").to_string();
        assert!(verify_password(b"secret-1", &hash));
        assert!(!verify_password(b"secret-2", &hash));
    }

    #[test]
    fn a_malformed_hash_matches_nothing() {
        for hash in ["", "not a hash", "$argon2id$v=19$m=19456,t=2,p=1$", "$md5$abc$def"] {
            assert!(!verify_password(b"anything", hash), "{hash}");
        }
    }

    #[actix_web::test]
    async fn the_queue_depth_counts_jobs_waiting_for_a_thread() {
        let hasher = PasswordHasher::new(1);
        let (release, blocked) = std::sync::mpsc::channel::<()>();
        let busy = tokio::spawn({
            let hasher = hasher.clone();
            async move { hasher.run(move || blocked.recv().is_ok()).await }
        });
        let waiting: Vec<_> = (0..2)
            .map(|_| {
                let hasher = hasher.clone();
                tokio::spawn(async move { hasher.run(|| true).await })
            })
            .collect();
        let started = std::time::Instant::now();
        while hasher.queue_depth() != 2 {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(5),
                "{}",
                hasher.queue_depth()
            );
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        release.send(()).expect("the busy job");
        assert!(busy.await.expect("joined").expect("ran"));
        for job in waiting {
            assert!(job.await.expect("joined").expect("ran"));
        }
        assert_eq!(hasher.queue_depth(), 0);
    }
}
