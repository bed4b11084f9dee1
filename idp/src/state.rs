// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! What every handler can reach.

use crate::keyring::KeyRing;
use domain::directory::Directory;
use domain::throttle::Limits;
use sqlx::PgPool;
use std::net::IpAddr;
use std::sync::Arc;
use time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub config: Arc<Config>,
    pub keys: Arc<KeyRing>,
    /// Where passwords are checked (built-in, or LDAP with built-in accounts kept).
    pub directory: Arc<dyn Directory>,
    /// Admission to password checks (`POST /login`).
    pub logins: LoginQueue,
}

/// How many logins may be inside a password check at once: one running per core
/// (`domain::password::workers`, which bounds the argon2 computations themselves) plus
/// `idp.login_queue` waiting. A login that finds no place is answered 503 with `Retry-After`
/// at once, before the throttle counts it: a crowd must not make anyone's memory or anyone's
/// login limit grow. Per instance, as memory is.
#[derive(Debug, Clone)]
pub struct LoginQueue {
    places: Arc<Semaphore>,
}

impl LoginQueue {
    pub fn new(waiting: usize) -> Self {
        let places = domain::password::workers().saturating_add(waiting).min(Semaphore::MAX_PERMITS);
        Self { places: Arc::new(Semaphore::new(places)) }
    }

    /// A place until the permit is dropped, or `None` when every place is taken.
    pub fn try_enter(&self) -> Option<OwnedSemaphorePermit> {
        self.places.clone().try_acquire_owned().ok()
    }
}

/// The idp's settings, resolved once at start.
#[derive(Debug, Clone)]
pub struct Config {
    /// `iss` of every token, e.g. `https://id.example.org`.
    pub issuer: String,
    pub organisation: String,
    pub access_token_lifetime: Duration,
    pub refresh_token_lifetime: Duration,
    pub login_session_lifetime: Duration,
    pub secure_cookies: bool,
    pub throttle: Limits,
    pub trusted_proxies: Vec<IpAddr>,
    /// `idp.login_queue`: logins that may wait for a password check.
    pub login_queue: usize,
}

impl Config {
    pub fn from_settings(settings: &hosting::config::Settings) -> Self {
        let idp = &settings.idp;
        Self {
            issuer: idp.issuer().to_owned(),
            organisation: settings.site.organisation.clone(),
            access_token_lifetime: Duration::minutes(idp.access_token_minutes),
            refresh_token_lifetime: Duration::days(idp.refresh_token_days),
            login_session_lifetime: Duration::hours(idp.login_session_hours),
            secure_cookies: idp.secure_cookies(),
            throttle: Limits::default(),
            trusted_proxies: idp.trusted_proxies.clone(),
            login_queue: usize::try_from(idp.login_queue).unwrap_or(usize::MAX),
        }
    }

    pub fn endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }
}
