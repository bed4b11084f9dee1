// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Logging in and out through the idp.
//!
//! - `GET /login?next=/settings`: keeps state, nonce and PKCE verifier in the session and sends
//!   the browser to the idp.
//! - `GET /auth/callback`: checks `state` (constant time, single use), exchanges the code,
//!   verifies the ID token, gives the browser a new session id and keeps the person's id in it,
//!   then returns to `next`.
//! - `POST /logout`: ends the local session, then sends the browser to the idp's end-session
//!   endpoint, which returns to `GET /logout?state=...` (the page checks the state).
//!
//! Every failure lands on `/login/problem?reason=...`, a page that says what happened in words
//! and offers to try again.

use crate::oidc_client::{LoginError, OidcClient, Pending};
use crate::routes::language::local_path;
use app::forms::LoginProblem;
use app::ssr::session_keys::{ID_TOKEN, LOGGED_IN_AT, LOGIN_PENDING, LOGOUT_STATE, PERSON};
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use domain::types::PersonId;
use serde::Deserialize;
use sqlx::PgPool;
use std::sync::Arc;
use subtle::ConstantTimeEq;
use tower_sessions::Session;

/// What the login routes need.
#[derive(Clone)]
pub struct LoginState {
    pub oidc: Arc<OidcClient>,
    pub pool: PgPool,
}

#[derive(Debug, Deserialize)]
pub struct StartQuery {
    next: Option<String>,
}

fn problem(reason: LoginProblem) -> Response {
    Redirect::to(&format!("/login/problem?reason={}", reason.as_str())).into_response()
}

fn problem_for(error: &LoginError) -> LoginProblem {
    match error {
        LoginError::NotConfigured => LoginProblem::NotConfigured,
        LoginError::Unreachable(_) => LoginProblem::Unreachable,
        LoginError::Refused(_) => LoginProblem::Refused,
        LoginError::InvalidToken(_) => LoginProblem::Invalid,
    }
}

/// The person logged in with this session, if any.
pub async fn person(session: &Session) -> Option<PersonId> {
    session.get::<uuid::Uuid>(PERSON).await.ok().flatten().map(PersonId::from)
}

pub async fn start(
    State(login): State<LoginState>,
    session: Session,
    headers: http::HeaderMap,
    Query(query): Query<StartQuery>,
) -> Response {
    let next = local_path(query.next.as_deref()).to_owned();
    // The language chosen here (the cookie the pages read) carries over to the idp's pages.
    let language = language_cookie(&headers);
    if person(&session).await.is_some() {
        return Redirect::to(&next).into_response();
    }
    match login.oidc.start(&next, language).await {
        Ok((url, pending)) => {
            if let Err(error) = session.insert(LOGIN_PENDING, &pending).await {
                tracing::error!(%error, "could not keep the login state");
                return problem(LoginProblem::Unreachable);
            }
            Redirect::to(&url).into_response()
        }
        Err(error) => {
            tracing::warn!(%error, "login could not start");
            problem(problem_for(&error))
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

pub async fn callback(
    State(login): State<LoginState>,
    session: Session,
    Query(query): Query<CallbackQuery>,
) -> Response {
    // Single use, whatever happens next: a replayed callback finds nothing.
    let pending: Option<Pending> = session.remove(LOGIN_PENDING).await.ok().flatten();
    let Some(pending) = pending else {
        tracing::info!("login callback without a login in progress (expired session, replay or forgery)");
        return problem(LoginProblem::Expired);
    };
    let state_matches =
        query.state.as_deref().is_some_and(|s| bool::from(s.as_bytes().ct_eq(pending.state.as_bytes())));
    if !state_matches {
        tracing::warn!("login callback with a wrong state refused");
        return problem(LoginProblem::Expired);
    }
    if let Some(error) = query.error {
        tracing::info!(error = %error.chars().take(64).collect::<String>(), "the idp refused the login");
        return problem(LoginProblem::Refused);
    }
    let Some(code) = query.code else { return problem(LoginProblem::Invalid) };
    let logged_in = match login.oidc.finish(&code, &pending).await {
        Ok(logged_in) => logged_in,
        Err(error) => {
            tracing::warn!(%error, "login refused");
            return problem(problem_for(&error));
        }
    };
    let Ok(id) = logged_in.subject.parse::<uuid::Uuid>() else {
        tracing::warn!("ID token subject is not a person id");
        return problem(LoginProblem::Invalid);
    };
    match domain::person::get(&login.pool, PersonId::from(id)).await {
        Ok(Some(_)) => {}
        Ok(None) => {
            tracing::warn!(person = %id, "login of a person unknown here");
            return problem(LoginProblem::Invalid);
        }
        Err(error) => {
            tracing::error!(?error, "could not look up the person logging in");
            return problem(LoginProblem::Unreachable);
        }
    }
    // A new session id at login, so an id planted or seen before cannot ride along.
    let stored = async {
        session.cycle_id().await?;
        session.insert(PERSON, id).await?;
        session.insert(LOGGED_IN_AT, time::OffsetDateTime::now_utc().unix_timestamp()).await?;
        session.insert(ID_TOKEN, &logged_in.id_token).await
    }
    .await;
    if let Err(error) = stored {
        tracing::error!(%error, "could not store the login in the session");
        return problem(LoginProblem::Unreachable);
    }
    tracing::info!(person = %id, "logged in");
    Redirect::to(local_path(Some(&pending.next))).into_response()
}

pub async fn logout(State(login): State<LoginState>, session: Session) -> Response {
    let id_token: Option<String> = session.get(ID_TOKEN).await.ok().flatten();
    let who = person(&session).await;
    if let Err(error) = session.flush().await {
        tracing::error!(%error, "could not end the session");
    }
    let state = domain::oidc::secret::generate();
    let state = secrecy::ExposeSecret::expose_secret(&state).to_owned();
    if let Err(error) = session.insert(LOGOUT_STATE, &state).await {
        tracing::warn!(%error, "could not keep the logout state");
    }
    if let Some(person) = who {
        tracing::info!(%person, "logged out");
    }
    match login.oidc.logout_url(id_token.as_deref(), &state).await {
        Some(url) => Redirect::to(&url).into_response(),
        // No idp session to end (or the idp is unreachable): the local logout is done.
        None => Redirect::to(&format!("/logout?state={state}")).into_response(),
    }
}

/// The language the reader chose on my.*, if any and if we speak it.
fn language_cookie(headers: &http::HeaderMap) -> Option<&'static str> {
    let prefix = format!("{}=", app::app::LANGUAGE_COOKIE);
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix(prefix.as_str()))
        .and_then(|code| domain::types::Language::try_from(code).ok())
        .map(domain::types::Language::code)
}
