// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Loads what pages need from the session (and, on `/c/{token}`, what the link would do) before
//! Leptos renders, so no page awaits anything while rendering (see `app::page_data` for why). A
//! visitor without a session cookie costs nothing here; one with a cookie costs one read of
//! `tower_sessions.session`, and a logged-in one a query that the login still stands
//! ([`still_logged_in`]).

use crate::routes::{command, donate, flash, login};
use app::amount::offered;
use app::forms::{Me, OfferView};
use app::page_data::SessionView;
use app::refusal::ssr::Answer;
use app::ssr::AppState;
use app::ssr::session_keys::{
    CHOSEN_AMOUNT, COMMAND_OUTCOME, LOGGED_IN_AT, LOGOUT_STATE, REGISTER_OUTCOME, SETTINGS_NOTICE,
};
use app::ssr::session_keys::{DONATE_OUTCOME, DONATIONS_NOTICE};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use domain::types::PersonId;
use subtle::ConstantTimeEq;
use tower_sessions::Session;

/// Pages only a logged-in person sees; others are sent to log in and brought back.
const PROTECTED: [&str; 2] = ["/settings", "/donations"];

pub async fn load(
    State(state): State<AppState>,
    session: Session,
    mut request: Request,
    next: Next,
) -> Response {
    let chosen_amount = match session.get::<u32>(CHOSEN_AMOUNT).await {
        Ok(amount) => offered(&OfferView::from(&*state.offer), amount),
        Err(e) => {
            // The page still renders, just without what the session held.
            tracing::warn!(error = %e, "could not read the session");
            None
        }
    };
    // Only GETs render pages; a POST must not consume what its redirect target is to show.
    let is_page = request.method() == http::Method::GET;
    let path = request.uri().path().to_owned();
    let register =
        if is_page && path == "/register" { flash::take(&session, REGISTER_OUTCOME).await } else { None };
    let command_outcome =
        if is_page && path.starts_with("/c/") { flash::take(&session, COMMAND_OUTCOME).await } else { None };
    if is_page && let Some(token) = path.strip_prefix("/c/") {
        request.extensions_mut().insert(command::view(&state, token).await);
    }
    let (person, me) = match login::person(&session).await {
        Some(id) => still_logged_in(&state, &session, id).await,
        None => (None, None),
    };
    if is_page && person.is_none() && PROTECTED.contains(&path.as_str()) {
        return Redirect::to(&format!("/login?next={path}")).into_response();
    }
    let my_data = match person {
        Some(id) if is_page && path == "/settings" => match app::ssr::my_data(&state.pool, id).await {
            Ok(data) => data,
            // The page apologises; nothing is lost.
            Err(error) => {
                tracing::error!(?error, "could not load the settings page data");
                None
            }
        },
        _ => None,
    };
    if let Some(data) = my_data {
        request.extensions_mut().insert(data);
    }
    if is_page && let Err(answer) = donation_pages(&state, &session, person, &path, &mut request).await {
        return answer;
    }
    let logged_out =
        is_page && path == "/logout" && returned_from_logout(&session, request.uri().query()).await;
    let settings_notice =
        if is_page && path == "/settings" { flash::take(&session, SETTINGS_NOTICE).await } else { None };
    request.extensions_mut().insert(SessionView {
        chosen_amount,
        register,
        command_outcome,
        me,
        logged_out,
        settings_notice,
        donate: if is_page && path == "/donate" { flash::take(&session, DONATE_OUTCOME).await } else { None },
        donations_notice: if is_page && path == "/donations" {
            flash::take(&session, DONATIONS_NOTICE).await
        } else {
            None
        },
    });
    next.run(request).await
}

/// The page data of `/donate/transfer/{id}` (refused with 404 to anyone but the session that
/// made the pledge and its owner) and of `/donations` (the logged-in person's own only).
async fn donation_pages(
    state: &AppState,
    session: &Session,
    person: Option<PersonId>,
    path: &str,
    request: &mut Request,
) -> Result<(), Response> {
    if let Some(id) = path.strip_prefix("/donate/transfer/") {
        match donate::transfer_data(state, session, person, id, request.headers()).await {
            Ok(view) => {
                request.extensions_mut().insert(view);
            }
            Err(refusal) => return Err(Answer::to(refusal, request.headers()).into_response()),
        }
    }
    if path == "/donations"
        && let Some(id) = person
    {
        match app::pages::donate_ssr::donations_view(&state.pool, id).await {
            Ok(view) => {
                request.extensions_mut().insert(view);
            }
            // The page apologises; nothing is lost.
            Err(error) => tracing::error!(?error, "could not load the donations page data"),
        }
    }
    Ok(())
}

/// The session's person if their login still stands, and how pages name them. A login ends
/// (the session is emptied, so every later request is logged out too) when it is older than
/// `session.absolute_hours`, when the person was erased, and when their account was disabled:
/// checked on every request of a logged-in session, with one query by primary keys
/// (`domain::person::for_session`). If the database cannot answer, the login stands for this
/// request (whatever it then asks of the database fails as unavailable) without a name.
async fn still_logged_in(
    state: &AppState,
    session: &Session,
    id: PersonId,
) -> (Option<PersonId>, Option<Me>) {
    let since: Option<i64> = session.get(LOGGED_IN_AT).await.ok().flatten();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let max = i64::try_from(state.session_lifetime.as_secs()).unwrap_or(i64::MAX);
    // A login without a start time (from before the limit existed, or forged) is too old.
    if since.is_none_or(|since| now.saturating_sub(since) >= max || since > now + 60) {
        tracing::info!(person = %id, "login too old: logged out");
        end(session).await;
        return (None, None);
    }
    match domain::person::for_session(&state.pool, id).await {
        Ok(Some(p)) => (
            Some(id),
            Some(Me {
                display_name: p.display_name.as_str().to_owned(),
                supporter_number: p.supporter_number.map(|n| n.get()),
            }),
        ),
        Ok(None) => {
            tracing::info!(person = %id, "person erased or account disabled: logged out");
            end(session).await;
            (None, None)
        }
        Err(error) => {
            tracing::error!(?error, "could not check the logged-in person");
            (Some(id), None)
        }
    }
}

async fn end(session: &Session) {
    if let Err(error) = session.flush().await {
        tracing::warn!(%error, "could not end the session");
    }
}

/// Whether the idp sent the browser back with the `state` of the logout we started (once).
async fn returned_from_logout(session: &Session, query: Option<&str>) -> bool {
    let Some(given) =
        query.and_then(|q| url::form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == "state"))
    else {
        return false;
    };
    let expected: Option<String> = flash::take(session, LOGOUT_STATE).await;
    expected.is_some_and(|expected| bool::from(expected.as_bytes().ct_eq(given.1.as_bytes())))
}
