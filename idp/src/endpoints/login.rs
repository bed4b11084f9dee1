// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! `POST /login`: the login form. The authorization request comes back in hidden fields and is
//! checked again in full (the form is just another way to send it).
//!
//! Order matters: the throttle is asked before any password is checked, so a blocked guesser
//! costs one small query; every refusal (unknown name, wrong password, disabled account) gives
//! the same page after the same work (`domain::login`); success starts a new login session with
//! a new cookie, never reusing one that existed before. The form's other buttons (`action=link`,
//! `action=forgot`) ask for a mailed link instead (`link.rs`).

use super::authorize::{self, Invalid};
use super::link;
use crate::client_address;
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
use domain::throttle::{self, Attempt};
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
    let password = SecretString::from(password.to_owned());

    let attempt = Attempt::new(identifier, address);
    let limits = state.config.throttle;
    let outcome = async {
        if !throttle::allows(&state.pool, &attempt, limits).await? {
            return Ok(None);
        }
        let outcome = state.directory.check_password(&state.pool, identifier, &password).await?;
        match outcome {
            Outcome::Refused => throttle::record_failure(&state.pool, &attempt, limits).await?,
            Outcome::Authenticated(_) => throttle::record_success(&state.pool, &attempt).await?,
        }
        Ok::<_, domain::DomainError>(Some(outcome))
    }
    .await;
    let person = match outcome {
        Ok(Some(Outcome::Authenticated(person))) => person,
        Ok(Some(Outcome::Refused)) => return show_form(LoginProblem::Refused),
        Ok(None) => {
            tracing::info!(%address, "login throttled");
            return show_form(LoginProblem::Throttled);
        }
        // No failure was counted: an outage must not lock anyone out.
        Err(domain::DomainError::DirectoryUnavailable(reason)) => {
            tracing::error!(reason, "the LDAP directory is unavailable");
            return show_form(LoginProblem::DirectoryUnavailable);
        }
        Err(e) => {
            tracing::error!(error = ?e, "login failed for an internal reason");
            return pages::unavailable(frame);
        }
    };
    let Some((session, cookie)) = super::start_login_session(&state, person).await else {
        return pages::unavailable(frame);
    };
    tracing::info!(person = %person, client = %request.client.id, "logged in");
    (jar.add(cookie), authorize::complete(&state, &request, &session).await).into_response()
}
