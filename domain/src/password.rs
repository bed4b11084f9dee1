// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Passwords of the built-in directory: argon2id, computed off the async runtime.
//!
//! Parameters follow OWASP's password storage cheat sheet (argon2id, 19 MiB, 2 passes, 1 lane).
//! A hash made with other parameters still verifies; `needs_rehash` tells the caller to store a
//! fresh one after a successful login.
//!
//! **At most one computation per core at a time, in the whole process** ([`workers`]): argon2
//! is CPU-bound, so more at once only add 19 MiB each and make every one slower; a burst of
//! logins used to start hundreds. Computations run on that many fixed threads; the rest wait in
//! their queue (asynchronously, holding no runtime thread and no 19 MiB). A computation whose
//! caller gave up still runs to its end on its thread, so it cannot make room for an extra one.
//! How many may *wait* is the caller's business: the idp turns logins away past
//! `idp.login_queue` (`idp::state::LoginQueue`). The threads are process-wide on purpose, as
//! the cores they share are.

use crate::types::{Field, InvalidValue, Problem};
use crate::{DomainError, Result};
use argon2::password_hash::{PasswordHash as PhcHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use password_hash::rand_core::OsRng;
use secrecy::{ExposeSecret, SecretString};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, LazyLock, Mutex};

/// How many argon2 computations run at once: the cores this process may use.
pub fn workers() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

type Job = Box<dyn FnOnce() + Send>;

/// Runs `f` on one of the `workers()` hashing threads (see the module header) and waits for it
/// without holding a runtime thread. Fixed threads, not `spawn_blocking`: tokio's blocking
/// pool starts a fresh thread whenever none is idle, and every thread keeps its own malloc
/// arena with a 19 MiB block in it (460 MB after a burst of 2,000 logins, BENCHMARKS.md).
async fn on_worker<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    static JOBS: LazyLock<Mutex<Sender<Job>>> = LazyLock::new(|| {
        let (jobs, queue) = channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..workers() {
            let queue = queue.clone();
            // A thread that cannot start leaves the others; with none, callers get errors.
            let _ = std::thread::Builder::new().name(format!("argon2-{n}")).spawn(move || work(&queue));
        }
        Mutex::new(jobs)
    });
    let (done, result) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = done.send(f());
    });
    JOBS.lock().map_err(|_| DomainError::PasswordHash)?.send(job).map_err(|_| DomainError::PasswordHash)?;
    // A panicking job drops `done`: an error here, and the thread lives on.
    result.await.map_err(|_| DomainError::PasswordHash)
}

fn work(queue: &Mutex<Receiver<Job>>) {
    loop {
        let job = match queue.lock() {
            Ok(queue) => queue.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else { return };
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
    }
}

/// A password as typed: at least 10 characters, and at most 1024 bytes so that a huge input
/// cannot tie up a hashing thread. Its `Debug` shows nothing.
pub struct Password(SecretString);

impl Password {
    pub const MIN_CHARS: usize = 10;
    pub const MAX_BYTES: usize = 1024;

    pub fn new(password: SecretString) -> std::result::Result<Self, InvalidValue> {
        let text = password.expose_secret();
        if text.len() > Self::MAX_BYTES {
            return Err(InvalidValue::new(Field::Password, Problem::TooLong { max: Self::MAX_BYTES }));
        }
        if text.chars().count() < Self::MIN_CHARS {
            return Err(InvalidValue::new(Field::Password, Problem::TooShort { min: Self::MIN_CHARS }));
        }
        Ok(Self(password))
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(..)")
    }
}

/// A PHC-format password hash, e.g. `$argon2id$v=19$m=19456,t=2,p=1$...`.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn from_db(phc: String) -> Self {
        Self(phc)
    }

    /// True when the hash was made with other parameters than today's.
    pub fn needs_rehash(&self) -> bool {
        let Ok(parsed) = PhcHash::new(&self.0) else { return true };
        parsed.algorithm != Algorithm::Argon2id.ident()
            || Params::try_from(&parsed).map_or(true, |p| {
                let want = params();
                (p.m_cost(), p.t_cost(), p.p_cost()) != (want.m_cost(), want.t_cost(), want.p_cost())
            })
    }
}

impl std::fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordHash(..)")
    }
}

fn params() -> Params {
    // Constant, valid parameters: the fallback is unreachable but keeps this free of panics.
    Params::new(19 * 1024, 2, 1, None).unwrap_or_default()
}

fn hasher() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params())
}

/// Hashes a password with a fresh random salt, on a hashing thread.
pub async fn hash(password: &Password) -> Result<PasswordHash> {
    let secret = password.0.clone();
    on_worker(move || {
        #[cfg(test)]
        let _running = running::enter();
        let salt = SaltString::generate(&mut OsRng);
        hasher()
            .hash_password(secret.expose_secret().as_bytes(), &salt)
            .map(|h| PasswordHash(h.to_string()))
            .map_err(|_| DomainError::PasswordHash)
    })
    .await?
}

/// Checks a password against a stored hash, on a hashing thread. `Ok(false)` for a wrong
/// password; the comparison inside argon2 is constant-time.
pub async fn verify(password: &SecretString, hash: &PasswordHash) -> Result<bool> {
    let secret = password.clone();
    let phc = hash.0.clone();
    on_worker(move || {
        #[cfg(test)]
        let _running = running::enter();
        let parsed = PhcHash::new(&phc).map_err(|_| DomainError::PasswordHash)?;
        if parsed.salt.is_none() || parsed.hash.is_none() {
            return Err(DomainError::PasswordHash);
        }
        // Verify with the parameters stored in the hash, so older hashes keep working.
        match Argon2::default().verify_password(secret.expose_secret().as_bytes(), &parsed) {
            Ok(()) => Ok(true),
            Err(password_hash::Error::Password) => Ok(false),
            // A stored hash we cannot use is a fault to report, never a silent "wrong password".
            Err(_) => Err(DomainError::PasswordHash),
        }
    })
    .await?
}

/// Counts computations running at once, for the test that they never exceed `workers()`.
#[cfg(test)]
mod running {
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    static NOW: AtomicUsize = AtomicUsize::new(0);
    pub static MOST: AtomicUsize = AtomicUsize::new(0);
    pub struct Guard;
    pub fn enter() -> Guard {
        MOST.fetch_max(NOW.fetch_add(1, SeqCst) + 1, SeqCst);
        Guard
    }
    impl Drop for Guard {
        fn drop(&mut self) {
            NOW.fetch_sub(1, SeqCst);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn password(s: &str) -> Password {
        Password::new(SecretString::from(s)).unwrap()
    }

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let hash = hash(&password("correct horse battery")).await.unwrap();
        assert!(hash.as_str().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify(&"correct horse battery".into(), &hash).await.unwrap());
        assert!(!verify(&"correct horse batterY".into(), &hash).await.unwrap());
        assert!(!hash.needs_rehash());
    }

    #[tokio::test]
    async fn the_same_password_hashes_differently_each_time() {
        let a = hash(&password("correct horse battery")).await.unwrap();
        let b = hash(&password("correct horse battery")).await.unwrap();
        assert_ne!(a, b);
    }

    #[tokio::test]
    async fn older_parameters_still_verify_but_ask_for_a_rehash() {
        let weak =
            Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(8 * 1024, 1, 1, None).unwrap());
        let salt = SaltString::generate(&mut OsRng);
        let old = PasswordHash(weak.hash_password(b"correct horse battery", &salt).unwrap().to_string());
        assert!(verify(&"correct horse battery".into(), &old).await.unwrap());
        assert!(old.needs_rehash());
    }

    #[test]
    fn length_limits_hold_and_debug_hides_the_secret() {
        assert!(Password::new("short".into()).is_err());
        assert!(Password::new("x".repeat(Password::MAX_BYTES + 1).into()).is_err());
        assert_eq!(format!("{:?}", password("correct horse battery")), "Password(..)");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn no_more_computations_run_at_once_than_there_are_cores() {
        let hash = hash(&password("correct horse battery")).await.unwrap();
        let tasks: Vec<_> = (0..4 * workers() + 4)
            .map(|_| {
                let hash = hash.clone();
                tokio::spawn(async move { verify(&"correct horse battery".into(), &hash).await.unwrap() })
            })
            .collect();
        for task in tasks {
            assert!(task.await.unwrap());
        }
        let most = running::MOST.load(std::sync::atomic::Ordering::SeqCst);
        assert!((1..=workers()).contains(&most), "{most} at once on {} cores", workers());
    }

    #[tokio::test]
    async fn a_corrupt_hash_is_an_error_not_a_match() {
        let corrupt = PasswordHash::from_db("$argon2id$garbage".into());
        assert!(verify(&"anything at all".into(), &corrupt).await.is_err());
    }
}
