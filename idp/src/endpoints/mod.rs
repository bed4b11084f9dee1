// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! One module per endpoint.

use crate::state::AppState;
use axum_extra::extract::cookie::{Cookie, SameSite};
use domain::oidc::login_session::{self, LoginSession};
use domain::types::PersonId;
use secrecy::ExposeSecret;

pub mod authorize;
pub mod discovery;
pub mod health;
pub mod introspect;
pub mod link;
pub mod login;
pub mod logout;
pub mod revoke;
pub mod token;
pub mod userinfo;

/// The cookie naming the browser's login session at the idp.
pub const SESSION_COOKIE: &str = "cdb_idp";

/// Starts a login session for a person who just proved who they are (password or mailed link)
/// and makes its cookie: always a new one, HttpOnly, SameSite=Lax, Secure on https, living as
/// long as the session. `None` (logged) when the database fails.
pub async fn start_login_session(
    state: &AppState,
    person: PersonId,
) -> Option<(LoginSession, Cookie<'static>)> {
    let config = &state.config;
    let (session, value) =
        match login_session::start(&state.pool, person, config.login_session_lifetime).await {
            Ok(started) => started,
            Err(e) => {
                tracing::error!(error = ?e, "starting a login session failed");
                return None;
            }
        };
    let cookie = Cookie::build((SESSION_COOKIE, value.expose_secret().to_owned()))
        .path("/")
        .http_only(true)
        .secure(config.secure_cookies)
        .same_site(SameSite::Lax)
        .max_age(config.login_session_lifetime)
        .build();
    Some((session, cookie))
}
