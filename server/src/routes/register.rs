// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! `POST /register`: checks the form, registers through `domain::registration`, and redirects
//! back to `/register`, which shows the outcome kept in the session (post, redirect, get).
//! A known address gets the very same answer as a new one; only the mail differs. The lists the
//! form offers are rows: [`page`] loads them for the form, and the POST refuses any other key.

use crate::routes::flash;
use app::forms::{ListView, RegisterForm, RegisterOutcome};
use app::mails::Writer;
use app::pages::register::RegisterLists;
use app::refusal::Refusal;
use app::refusal::ssr::Answer;
use app::ssr::AppState;
use app::ssr::session_keys::REGISTER_OUTCOME;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use domain::throttle::{self, Attempt, Limits};
use hosting::client_address::ClientAddress;
use tower_sessions::Session;

/// What is kept of a field for showing the form again; the rules refuse far less already.
const KEEP_CHARS: usize = 300;

/// Longest body accepted (the form's fields are far shorter).
const MAX_BODY: usize = 64 * 1024;

/// Mails to one address and from one network are throttled (`Limits::LINKS`: 5 per address
/// and 50 per network in 15 minutes), counted whether the address is known or not, so the
/// answer (429, the same for both) tells nothing about it.
pub async fn submit(State(state): State<AppState>, session: Session, request: Request) -> Response {
    let client = ClientAddress::of(request.extensions());
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY).await else {
        return Answer::to(Refusal::BadInput, &parts.headers).into_response();
    };
    let form = parse(&body);
    let offered = match app::ssr::lists::offered_at_registration(&state.pool).await {
        Ok(lists) => lists.into_iter().map(|list| list.key).collect::<Vec<_>>(),
        Err(error) => return failure(&error, &parts.headers).into_response(),
    };
    let outcome = match form.check(&offered) {
        Err(errors) => {
            tracing::info!(fields = ?errors.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(), "registration refused");
            RegisterOutcome::Refused { form: kept(form), errors }
        }
        Ok(registration) => {
            let attempt = Attempt::keyed("register", registration.email.as_str(), client);
            match throttle::take(&state.pool, &attempt, Limits::LINKS).await {
                Ok(true) => {}
                Ok(false) => {
                    tracing::info!("registration mails throttled");
                    return Answer::to(Refusal::Throttled, &parts.headers).into_response();
                }
                Err(error) => return failure(&error, &parts.headers).into_response(),
            }
            let writer =
                Writer { organisation: state.site.organisation.clone(), origin: state.public_origin.clone() };
            match domain::registration::register(&state.pool, &registration, |language, notice| {
                writer.registration(language, notice)
            })
            .await
            {
                Ok(()) => RegisterOutcome::Sent,
                // Down: nothing could be kept in the session either, so say so at once.
                Err(error) if Refusal::of_domain(&error) == Refusal::Unavailable => {
                    return failure(&error, &parts.headers).into_response();
                }
                Err(error) => {
                    tracing::error!(?error, "registration failed");
                    RegisterOutcome::Failed { form: kept(form) }
                }
            }
        }
    };
    flash::keep(&session, REGISTER_OUTCOME, &outcome).await;
    Redirect::to("/register").into_response()
}

/// `GET /register`: the lists the form offers, for the page (a route layer of the Leptos pages).
/// Without them the form still works; it offers no lists.
pub async fn page(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    if request.method() != http::Method::GET || request.uri().path() != "/register" {
        return next.run(request).await;
    }
    match app::ssr::lists::offered_at_registration(&state.pool).await {
        Ok(lists) => {
            request.extensions_mut().insert(RegisterLists(lists.iter().map(ListView::from).collect()));
        }
        Err(error) => tracing::error!(?error, "could not load the lists of the registration form"),
    }
    next.run(request).await
}

fn failure(error: &domain::DomainError, headers: &http::HeaderMap) -> Answer {
    tracing::error!(?error, "registration impossible");
    Answer::to(Refusal::of_domain(error), headers)
}

/// The form from `application/x-www-form-urlencoded`; unknown fields are ignored, a repeated
/// field keeps its last value (except the list checkboxes, which repeat by design).
fn parse(body: &[u8]) -> RegisterForm {
    let mut form = RegisterForm::default();
    for (name, value) in url::form_urlencoded::parse(body) {
        let value = value.into_owned();
        match name.as_ref() {
            "name" => form.profile.name = value,
            "email" => form.email = value,
            "country" => form.profile.country = value,
            "language" => form.language = value,
            "street" => form.profile.street = value,
            "extra" => form.profile.extra = value,
            "postal_code" => form.profile.postal_code = value,
            "city" => form.profile.city = value,
            "region" => form.profile.region = value,
            "referrer" => form.referrer = value,
            "lists" if form.lists.len() < 10 => form.lists.push(value),
            _ => {}
        }
    }
    form
}

fn kept(form: RegisterForm) -> RegisterForm {
    let cut = |s: String| s.chars().take(KEEP_CHARS).collect::<String>();
    RegisterForm {
        profile: form.profile.cut(KEEP_CHARS),
        email: cut(form.email),
        language: cut(form.language),
        lists: form.lists.into_iter().map(cut).collect(),
        referrer: cut(form.referrer),
    }
}
