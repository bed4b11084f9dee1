// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! One module per endpoint.

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

/// The login-session cookie for a session that was just started: HttpOnly, SameSite=Lax, Secure
/// on https, living as long as the session.
pub fn session_cookie(
    config: &crate::state::Config,
    value: &secrecy::SecretString,
) -> axum_extra::extract::cookie::Cookie<'static> {
    use secrecy::ExposeSecret;
    axum_extra::extract::cookie::Cookie::build((SESSION_COOKIE, value.expose_secret().to_owned()))
        .path("/")
        .http_only(true)
        .secure(config.secure_cookies)
        .same_site(axum_extra::extract::cookie::SameSite::Lax)
        .max_age(config.login_session_lifetime)
        .build()
}
