// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The idp's HTML pages: rendered once on the server with Leptos's `view!` (which escapes every
//! value), no scripts, no hydration. Every form works as plain HTML. They share my.*'s
//! stylesheet, served at `/style.css`.

use crate::i18n::*;
use crate::locale;
use axum::response::{Html, IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use leptos::prelude::*;

/// What every page needs to know.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    pub locale: Locale,
    pub organisation: &'a str,
}

fn document(frame: Frame<'_>, title: String, status: StatusCode, body: impl IntoView + 'static) -> Response {
    let locale = frame.locale;
    let organisation = frame.organisation.to_owned();
    let footer = td_string!(locale, footer_text, organisation = organisation.clone());
    let page = view! {
        <html lang=locale::tag(locale)>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                // Other sites never see these URLs (they hold authorization requests). Not
                // "no-referrer": with it, browsers send `Origin: null` on the page's own form
                // posts, which the CSRF guard must refuse.
                <meta name="referrer" content="same-origin" />
                <title>{format!("{title} – {organisation}")}</title>
                <link rel="stylesheet" href="/style.css" />
            </head>
            <body>
                <a class="skip-link" href="#content">{td_string!(locale, skip_to_content)}</a>
                <header class="site-header">
                    <span class="site-name">{organisation.clone()}</span>
                </header>
                <main id="content" tabindex="-1">{body}</main>
                <footer class="site-footer"><p>{footer}</p></footer>
            </body>
        </html>
    };
    let html = format!("<!DOCTYPE html>{}", page.to_html());
    let mut response = (status, Html(html)).into_response();
    let headers = response.headers_mut();
    // Pages can show who is logged in and carry request state: never cache, never frame.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self' http: https:; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    response
}

/// Why the last login attempt did not succeed, if it did not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginProblem {
    Missing,
    Refused,
    Throttled,
    /// A link was asked for without saying for whom.
    LinkMissing,
    /// The LDAP directory cannot be reached: a 503, and nobody's failure count goes up.
    DirectoryUnavailable,
    /// Every place in the login queue is taken: a 503 with `Retry-After`, nothing counted.
    Busy,
}

/// Seconds a login turned away as `Busy` is asked to wait: a full queue of 64 drains in well
/// under a second on two cores (one check takes about 15 ms in a release build).
pub const BUSY_RETRY_AFTER_SECS: u32 = 1;

/// The login form. `hidden` are the authorization request's parameters, sent back with it.
pub fn login(
    frame: Frame<'_>,
    client_name: &str,
    hidden: Vec<(&'static str, String)>,
    identifier: &str,
    problem: Option<LoginProblem>,
) -> Response {
    let locale = frame.locale;
    let status = match problem {
        None => StatusCode::OK,
        Some(LoginProblem::Throttled) => StatusCode::TOO_MANY_REQUESTS,
        Some(LoginProblem::Missing | LoginProblem::LinkMissing) => StatusCode::BAD_REQUEST,
        Some(LoginProblem::Refused) => StatusCode::UNAUTHORIZED,
        Some(LoginProblem::DirectoryUnavailable | LoginProblem::Busy) => StatusCode::SERVICE_UNAVAILABLE,
    };
    let message = problem.map(|p| match p {
        LoginProblem::Missing => td_string!(locale, login_missing),
        LoginProblem::Refused => td_string!(locale, login_refused),
        LoginProblem::Throttled => td_string!(locale, login_throttled),
        LoginProblem::LinkMissing => td_string!(locale, login_link_missing),
        LoginProblem::DirectoryUnavailable => td_string!(locale, login_directory_unavailable),
        LoginProblem::Busy => td_string!(locale, login_busy),
    });
    let invalid = problem.map(|_| "true");
    let described_by = problem.map(|_| "login-problem");
    let lead = td_string!(locale, login_lead, client = client_name.to_owned());
    let identifier = identifier.to_owned();
    let body = view! {
        <h1>{td_string!(locale, login_title)}</h1>
        <p class="aside">{lead}</p>
        {message.map(|m| view! { <p class="error-summary" id="login-problem" role="alert">{m}</p> })}
        <form class="form" method="post" action="/login">
            {hidden.into_iter().map(|(name, value)| view! { <input type="hidden" name=name value=value /> }).collect_view()}
            <div class="field">
                <label for="identifier">{td_string!(locale, login_identifier)}</label>
                <input id="identifier" name="identifier" type="text" autocomplete="username" autocapitalize="none"
                    spellcheck="false" required maxlength="254" value=identifier
                    aria-invalid=invalid aria-describedby=described_by />
            </div>
            <div class="field">
                <label for="password">{td_string!(locale, login_password)}</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required
                    maxlength="1024" aria-invalid=invalid aria-describedby=described_by />
            </div>
            <p><button class="button" type="submit">{td_string!(locale, login_submit)}</button></p>
            // The same form, so the typed name goes along; formnovalidate: no password needed.
            <h2>{td_string!(locale, login_other_ways)}</h2>
            <p class="actions">
                <button class="button secondary" type="submit" name="action" value="link" formnovalidate>
                    {td_string!(locale, login_link_submit)}
                </button>
                <button class="button secondary" type="submit" name="action" value="forgot" formnovalidate>
                    {td_string!(locale, login_forgot_submit)}
                </button>
            </p>
        </form>
    };
    let mut response = document(frame, td_string!(locale, login_title).to_string(), status, body);
    if problem == Some(LoginProblem::Busy) {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(BUSY_RETRY_AFTER_SECS));
    }
    response
}

/// After a link was asked for: the same page whether or not one was sent.
pub fn link_sent(frame: Frame<'_>, identifier: &str, back: String) -> Response {
    let locale = frame.locale;
    let text = td_string!(locale, link_sent_text, identifier = identifier.to_owned());
    let body = view! {
        <h1>{td_string!(locale, link_sent_title)}</h1>
        <p>{text}</p>
        <p class="aside">{td_string!(locale, link_sent_hint)}</p>
        <p><a href=back>{td_string!(locale, link_sent_back)}</a></p>
    };
    document(frame, td_string!(locale, link_sent_title).to_string(), StatusCode::OK, body)
}

/// What a login link will do, with the button that does it (mail scanners only GET).
pub fn link_login(frame: Frame<'_>, client_name: &str, token: &str) -> Response {
    let locale = frame.locale;
    let text = td_string!(locale, link_login_text, client = client_name.to_owned());
    let token = token.to_owned();
    let body = view! {
        <h1>{td_string!(locale, link_login_title)}</h1>
        <p>{text}</p>
        <form class="form" method="post" action="/link">
            <input type="hidden" name="t" value=token />
            <p><button class="button" type="submit">{td_string!(locale, link_login_submit)}</button></p>
        </form>
    };
    document(frame, td_string!(locale, link_login_title).to_string(), StatusCode::OK, body)
}

/// Why a new password was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordProblem {
    Mismatch,
    TooShort,
    TooLong,
}

/// The form behind a "forgot password" link.
pub fn link_password(
    frame: Frame<'_>,
    client_name: &str,
    token: &str,
    problem: Option<PasswordProblem>,
) -> Response {
    let locale = frame.locale;
    let text = td_string!(locale, link_password_text, client = client_name.to_owned());
    let message = problem.map(|p| match p {
        PasswordProblem::Mismatch => td_string!(locale, link_password_mismatch),
        PasswordProblem::TooShort => td_string!(locale, link_password_too_short),
        PasswordProblem::TooLong => td_string!(locale, link_password_too_long),
    });
    let invalid = problem.map(|_| "true");
    let described_by = if problem.is_some() { "password-problem password-hint" } else { "password-hint" };
    let token = token.to_owned();
    let status = if problem.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let body = view! {
        <h1>{td_string!(locale, link_password_title)}</h1>
        <p>{text}</p>
        {message.map(|m| view! { <p class="error-summary" id="password-problem" role="alert">{m}</p> })}
        <form class="form" method="post" action="/link">
            <input type="hidden" name="t" value=token />
            <div class="field">
                <label for="password">{td_string!(locale, link_password_new)}</label>
                <input id="password" name="password" type="password" autocomplete="new-password" required
                    minlength="10" maxlength="1024" aria-invalid=invalid aria-describedby=described_by />
                <p class="hint" id="password-hint">{td_string!(locale, link_password_hint)}</p>
            </div>
            <div class="field">
                <label for="password-repeat">{td_string!(locale, link_password_repeat)}</label>
                <input id="password-repeat" name="password_repeat" type="password" autocomplete="new-password"
                    required maxlength="1024" aria-invalid=invalid />
            </div>
            <p><button class="button" type="submit">{td_string!(locale, link_password_submit)}</button></p>
        </form>
    };
    document(frame, td_string!(locale, link_password_title).to_string(), status, body)
}

/// An unknown, expired or used link. `back` leads to the login it came from, when known.
pub fn link_invalid(frame: Frame<'_>, back: Option<String>) -> Response {
    let locale = frame.locale;
    let body = view! {
        <h1>{td_string!(locale, link_invalid_title)}</h1>
        <p>{td_string!(locale, link_invalid_text)}</p>
        {back.map(|href| view! { <p><a href=href>{td_string!(locale, link_invalid_back)}</a></p> })}
    };
    document(frame, td_string!(locale, link_invalid_title).to_string(), StatusCode::GONE, body)
}

/// Logged in by a link whose client request cannot be finished any more (the client changed).
pub fn logged_in(frame: Frame<'_>) -> Response {
    let locale = frame.locale;
    let text = td_string!(locale, logged_in_text, organisation = frame.organisation.to_owned());
    let body = view! {
        <h1>{td_string!(locale, logged_in_title)}</h1>
        <p>{text}</p>
    };
    document(frame, td_string!(locale, logged_in_title).to_string(), StatusCode::OK, body)
}

/// A request we cannot send back to the client (unknown client, unregistered redirect URI):
/// the person sees what happened, and the client's developers a hint.
pub fn request_error(frame: Frame<'_>, detail: &str) -> Response {
    let locale = frame.locale;
    let detail = td_string!(locale, error_detail, detail = detail.to_owned());
    let body = view! {
        <h1>{td_string!(locale, error_title)}</h1>
        <p>{td_string!(locale, error_lead)}</p>
        <p class="aside">{detail}</p>
    };
    document(frame, td_string!(locale, error_title).to_string(), StatusCode::BAD_REQUEST, body)
}

/// Asks before logging out when the request could have come from anyone (no valid
/// `id_token_hint`): a logout link on another site must not end a session by itself.
pub fn logout_confirm(frame: Frame<'_>, hidden: Vec<(&'static str, String)>) -> Response {
    let locale = frame.locale;
    let question = td_string!(locale, logout_question, organisation = frame.organisation.to_owned());
    let body = view! {
        <h1>{td_string!(locale, logout_title)}</h1>
        <p>{question}</p>
        <form class="form" method="post" action="/logout">
            <input type="hidden" name="confirm" value="yes" />
            {hidden.into_iter().map(|(name, value)| view! { <input type="hidden" name=name value=value /> }).collect_view()}
            <p><button class="button" type="submit">{td_string!(locale, logout_submit)}</button></p>
        </form>
    };
    document(frame, td_string!(locale, logout_title).to_string(), StatusCode::OK, body)
}

pub fn logged_out(frame: Frame<'_>) -> Response {
    let locale = frame.locale;
    let body = view! {
        <h1>{td_string!(locale, logged_out_title)}</h1>
        <p>{td_string!(locale, logged_out_text)}</p>
    };
    document(frame, td_string!(locale, logged_out_title).to_string(), StatusCode::OK, body)
}

/// The database (or, later, the directory) cannot be reached: nobody's fault, nobody locked out.
pub fn unavailable(frame: Frame<'_>) -> Response {
    let locale = frame.locale;
    let body = view! {
        <h1>{td_string!(locale, unavailable_title)}</h1>
        <p>{td_string!(locale, unavailable_text)}</p>
    };
    document(frame, td_string!(locale, unavailable_title).to_string(), StatusCode::SERVICE_UNAVAILABLE, body)
}
