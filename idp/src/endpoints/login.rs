// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! `POST /login`: the login form. The authorization request comes back in hidden fields and is
//! checked again in full (the form is just another way to send it).
//!
//! Order matters:
//! 1. A place in the login queue (`state::LoginQueue`): when every place is taken the form
//!    comes back at once with 503 and `Retry-After`, nothing counted, no password checked.
//! 2. The throttle counts the attempt before any password is checked, in one statement
//!    (`domain::throttle::take`), so concurrent guesses cannot all pass before the first failure
//!    is counted, and a blocked guesser costs one small query.
//! 3. The password check: every refusal (unknown name, wrong password, disabled account) gives
//!    the same page after the same work (`domain::login`). A success forgets the name's count
//!    and refunds the address's; an attempt that could not be judged (directory or database
//!    down) is refunded on both, so an outage locks nobody out.
//! 4. Success starts a new login session with a new cookie, never reusing one that existed
//!    before.
//!
//! The form's other buttons (`action=link`, `action=forgot`) ask for a mailed link instead
//! (`link.rs`).

use super::authorize::{self, Invalid};
use super::link;
use crate::locale;
use crate::pages::{self, Frame, LoginProblem};
use crate::params::Params;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use domain::login::Outcome;
use domain::oidc::login_link::Purpose;
use domain::password::Password;
use domain::throttle::{self, Attempt};
use hosting::client_address;
use http::HeaderMap;
use secrecy::SecretString;
use std::net::SocketAddr;

pub async fn submit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    jar: CookieJar,
    body: Bytes,
) -> Response {
    let params = match Params::parse(&body) {
        Ok(params) => params,
        Err(e) => {
            return authorize::refuse(&state, &headers, &Params::default(), Invalid::Page(e.to_string()));
        }
    };
    let request = match authorize::validate(&state, &params).await {
        Ok(request) => request,
        Err(invalid) => return authorize::refuse(&state, &headers, &params, invalid),
    };
    let frame = Frame {
        locale: locale::choose(request.ui_locales.as_deref(), &headers),
        organisation: &state.config.organisation,
    };
    let identifier = params.get("identifier").unwrap_or_default().trim();
    let address = client_address::resolve(peer, &headers, &state.config.trusted_proxies);
    match params.get("action") {
        Some("link") => {
            return link::request(&state, frame, &request, identifier, Purpose::Login, address).await;
        }
        Some("forgot") => {
            return link::request(&state, frame, &request, identifier, Purpose::SetPassword, address).await;
        }
        _ => {}
    }
    let show_form = |problem| {
        pages::login(frame, &request.client.spec.name, request.hidden_fields(), identifier, Some(problem))
    };
    let Some(password) = params.get("password") else { return show_form(LoginProblem::Missing) };
    if identifier.is_empty() || identifier.len() > 254 {
        return show_form(LoginProblem::Missing);
    }
    // No password that long can have been set (`Password::MAX_BYTES`): refused unhashed, and
    // uncounted, as it can be no guess. The answer depends on the length only, never on the name.
    if password.len() > Password::MAX_BYTES {
        return show_form(LoginProblem::Refused);
    }
    let password = SecretString::from(password.to_owned());

    let Some(_place) = state.logins.try_enter() else {
        tracing::warn!("login queue full; answering 503");
        return show_form(LoginProblem::Busy);
    };
    let attempt = Attempt::new(identifier, address);
    match throttle::take(&state.pool, &attempt, state.config.throttle).await {
        Ok(true) => {}
        Ok(false) => {
            tracing::info!(%address, "login throttled");
            return show_form(LoginProblem::Throttled);
        }
        Err(e) => {
            tracing::error!(error = ?e, "counting the login attempt failed");
            return pages::unavailable(frame);
        }
    }
    let outcome = state.directory.check_password(&state.pool, identifier, &password).await;
    if outcome.is_err() {
        // Not judged, so not counted: an outage must not lock anyone out.
        if let Err(e) = throttle::refund(&state.pool, &attempt).await {
            tracing::warn!(error = ?e, "refunding a login attempt that could not be judged failed");
        }
    }
    let person = match outcome {
        Ok(Outcome::Authenticated(person)) => person,
        // The attempt stays counted.
        Ok(Outcome::Refused) => return show_form(LoginProblem::Refused),
        Err(domain::DomainError::DirectoryUnavailable(reason)) => {
            tracing::error!(reason, "the LDAP directory is unavailable");
            return show_form(LoginProblem::DirectoryUnavailable);
        }
        Err(e) => {
            tracing::error!(error = ?e, "login failed for an internal reason");
            return pages::unavailable(frame);
        }
    };
    // The person is who they say; a counter we could not reset is no reason to refuse them.
    if let Err(e) = throttle::record_success(&state.pool, &attempt).await {
        tracing::warn!(error = ?e, "clearing the login throttle after a success failed");
    }
    let Some((session, cookie)) = super::start_login_session(&state, person).await else {
        return pages::unavailable(frame);
    };
    tracing::info!(person = %person, client = %request.client.id, "logged in");
    (jar.add(cookie), authorize::complete(&state, &request, &session).await).into_response()
}
