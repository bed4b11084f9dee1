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

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub config: Arc<Config>,
    pub keys: Arc<KeyRing>,
    /// Where passwords are checked (built-in, or LDAP with built-in accounts kept).
    pub directory: Arc<dyn Directory>,
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
        }
    }

    pub fn endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }
}
