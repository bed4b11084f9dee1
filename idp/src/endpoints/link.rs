// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Login by a link sent by email, and "forgot password", which is the same link leading to a
//! new password first.
//!
//! - Asking (the login form's other buttons) answers at once with the same page whether or not
//!   the name exists; finding the person and queuing the mail happen afterwards in a task, so the
//!   answer's timing says nothing either. Requests are throttled per name and address.
//! - `GET /link?t=...` only shows what the link will do: mail scanners fetch links.
//! - `POST /link` uses it (single use, 15 minutes), starts a login session with a new cookie
//!   and finishes the authorization request the person was in when they asked.
//!
//! The token travels in the query string, which request logs leave out.

use super::authorize::{self, AuthorizationRequest};
use crate::i18n::*;
use crate::locale;
use crate::pages::{self, Frame, LoginProblem, PasswordProblem};
use crate::params::Params;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use domain::audit::{Actor, Origin};
use domain::oidc::login_link::{self, Link, Purpose, Recipient, Refusal};
use domain::password::{self, Password};
use domain::throttle::{self, Attempt, Limits};
use domain::types::{Language, Problem};
use http::HeaderMap;
use secrecy::SecretString;
use std::net::IpAddr;

/// Answers a request for a link from the login form.
pub async fn request(
    state: &AppState,
    frame: Frame<'_>,
    request: &AuthorizationRequest,
    identifier: &str,
    purpose: Purpose,
    address: IpAddr,
) -> Response {
    if identifier.is_empty() || identifier.len() > 254 {
        return pages::login(
            frame,
            &request.client.spec.name,
            request.hidden_fields(),
            identifier,
            Some(LoginProblem::LinkMissing),
        );
    }
    let attempt = Attempt::link_request(identifier, address);
    // Every request counts, sent or not: the limit protects mailboxes, not passwords.
    match throttle::take(&state.pool, &attempt, Limits::LINKS).await {
        Ok(true) => {}
        Ok(false) => {
            tracing::info!(%address, "link request throttled");
            return pages::login(
                frame,
                &request.client.spec.name,
                request.hidden_fields(),
                identifier,
                Some(LoginProblem::Throttled),
            );
        }
        Err(e) => {
            tracing::error!(error = ?e, "checking the link throttle failed");
            return pages::unavailable(frame);
        }
    }
    let authorization_request = encode(&request.hidden_fields());
    let back = format!("/authorize?{authorization_request}");
    let task_state = state.clone();
    let client_name = request.client.spec.name.clone();
    let typed = identifier.to_owned();
    tokio::spawn(async move {
        if let Err(e) = send_link(&task_state, &typed, purpose, &authorization_request, &client_name).await {
            tracing::error!(error = ?e, "queuing a login link failed");
        }
    });
    pages::link_sent(frame, identifier, back)
}

async fn send_link(
    state: &AppState,
    identifier: &str,
    purpose: Purpose,
    authorization_request: &str,
    client_name: &str,
) -> Result<(), domain::DomainError> {
    let Some(recipient) = login_link::recipient(&state.pool, identifier, purpose).await? else {
        tracing::info!(?purpose, "link asked for a name without a usable account; nothing sent");
        return Ok(());
    };
    let mut tx = state.pool.begin().await?;
    login_link::issue(&mut tx, &recipient, purpose, authorization_request, |token| {
        compose(state, &recipient, purpose, client_name, token)
    })
    .await?;
    tx.commit().await?;
    tracing::info!(person = %recipient.person, ?purpose, "login link queued");
    Ok(())
}

/// The mail, in the person's own language.
fn compose(
    state: &AppState,
    recipient: &Recipient,
    purpose: Purpose,
    client: &str,
    token: &str,
) -> (String, String) {
    let locale = match recipient.language {
        Language::English => Locale::en,
        Language::German => Locale::de,
    };
    let organisation = state.config.organisation.clone();
    let url = format!("{}/link?t={token}", state.config.issuer);
    let name = recipient.display_name.clone();
    match purpose {
        Purpose::Login => (
            td_string!(locale, mail_login_subject, organisation = organisation.clone()).to_string(),
            td_string!(locale, mail_login_body, name, client = client.to_owned(), url, organisation)
                .to_string(),
        ),
        Purpose::SetPassword => (
            td_string!(locale, mail_password_subject, organisation = organisation.clone()).to_string(),
            td_string!(locale, mail_password_body, name, url, organisation).to_string(),
        ),
    }
}

fn encode(fields: &[(&'static str, String)]) -> String {
    url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish()
}

/// The stored authorization request, checked again: the client may have changed since.
async fn resume(state: &AppState, authorization_request: &str) -> Option<AuthorizationRequest> {
    let params = Params::parse(authorization_request.as_bytes()).ok()?;
    authorize::validate(state, &params).await.ok()
}

fn frame<'a>(state: &'a AppState, request: Option<&AuthorizationRequest>, headers: &HeaderMap) -> Frame<'a> {
    Frame {
        locale: locale::choose(request.and_then(|r| r.ui_locales.as_deref()), headers),
        organisation: &state.config.organisation,
    }
}

/// Who the person is logging in to: the client, or the organisation when the request is gone.
fn client_name<'a>(frame: &Frame<'a>, request: Option<&'a AuthorizationRequest>) -> &'a str {
    request.map_or(frame.organisation, |r| r.client.spec.name.as_str())
}

fn refused(state: &AppState, headers: &HeaderMap, refusal: Refusal) -> Response {
    let back = match &refusal {
        Refusal::Unknown => None,
        Refusal::Expired { authorization_request } | Refusal::Used { authorization_request } => {
            Some(format!("/authorize?{authorization_request}"))
        }
    };
    tracing::info!(reason = refusal_name(&refusal), "a login link was refused");
    pages::link_invalid(frame(state, None, headers), back)
}

fn refusal_name(refusal: &Refusal) -> &'static str {
    match refusal {
        Refusal::Unknown => "unknown",
        Refusal::Expired { .. } => "expired",
        Refusal::Used { .. } => "used",
    }
}

/// `GET /link?t=...`: what the link will do, and the button that does it.
pub async fn show(State(state): State<AppState>, headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
    let params = Params::parse(query.unwrap_or_default().as_bytes()).unwrap_or_default();
    let token = params.get("t").unwrap_or_default();
    let link = match login_link::peek(&state.pool, token).await {
        Ok(Ok(link)) => link,
        Ok(Err(refusal)) => return refused(&state, &headers, refusal),
        Err(e) => {
            tracing::error!(error = ?e, "reading a login link failed");
            return pages::unavailable(frame(&state, None, &headers));
        }
    };
    let request = resume(&state, &link.authorization_request).await;
    let frame = frame(&state, request.as_ref(), &headers);
    let client = client_name(&frame, request.as_ref());
    match link.purpose {
        Purpose::Login => pages::link_login(frame, client, token),
        Purpose::SetPassword => pages::link_password(frame, client, token, None),
    }
}

/// What the person typed into the new-password form, checked.
fn new_password(params: &Params) -> Result<Password, PasswordProblem> {
    let password = params.get("password").unwrap_or_default();
    if params.get("password_repeat").unwrap_or_default() != password {
        return Err(PasswordProblem::Mismatch);
    }
    Password::new(SecretString::from(password.to_owned())).map_err(|invalid| match invalid.problem {
        Problem::TooLong { .. } => PasswordProblem::TooLong,
        _ => PasswordProblem::TooShort,
    })
}

/// `POST /link`: uses the link.
pub async fn redeem(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    body: Bytes,
) -> Response {
    let params = match Params::parse(&body) {
        Ok(params) => params,
        Err(_) => return refused(&state, &headers, Refusal::Unknown),
    };
    let token = params.get("t").unwrap_or_default();
    let outcome = use_link(&state, token, &params).await;
    let link = match outcome {
        Ok(Used::Done(link)) => link,
        Ok(Used::Refused(refusal)) => return refused(&state, &headers, refusal),
        Ok(Used::BadPassword(link, problem)) => {
            let request = resume(&state, &link.authorization_request).await;
            let frame = frame(&state, request.as_ref(), &headers);
            return pages::link_password(frame, client_name(&frame, request.as_ref()), token, Some(problem));
        }
        Err(e) => {
            tracing::error!(error = ?e, "using a login link failed");
            return pages::unavailable(frame(&state, None, &headers));
        }
    };
    let request = resume(&state, &link.authorization_request).await;
    let frame = frame(&state, request.as_ref(), &headers);
    let Some((session, cookie)) = super::start_login_session(&state, link.person).await else {
        return pages::unavailable(frame);
    };
    tracing::info!(person = %link.person, purpose = ?link.purpose, "logged in by a link");
    let response = match request {
        Some(request) => authorize::complete(&state, &request, &session).await,
        None => pages::logged_in(frame),
    };
    (jar.add(cookie), response).into_response()
}

enum Used {
    Done(Link),
    Refused(Refusal),
    /// The new password was not accepted; the link stays usable.
    BadPassword(Link, PasswordProblem),
}

async fn use_link(state: &AppState, token: &str, params: &Params) -> Result<Used, domain::DomainError> {
    let mut tx = state.pool.begin().await?;
    let link = match login_link::redeem(&state.pool, &mut tx, token).await? {
        Ok(link) => link,
        Err(refusal) => return Ok(Used::Refused(refusal)),
    };
    if link.purpose == Purpose::SetPassword {
        let password = match new_password(params) {
            Ok(password) => password,
            // Dropping the transaction rolls the redemption back.
            Err(problem) => return Ok(Used::BadPassword(link, problem)),
        };
        let hash = password::hash(&password).await?;
        let actor = Actor::Person(link.person);
        let origin = Origin { actor: &actor, source: "password reset link" };
        // Ends every login session of the person, revokes their grants and voids their other
        // links, in this transaction: whoever knew the old password is out.
        domain::account::set_password(&mut tx, origin, link.person, &hash).await?;
    }
    tx.commit().await?;
    Ok(Used::Done(link))
}
