// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! `POST /register`: checks the form, registers through `domain::registration`, and redirects
//! back to `/register`, which shows the outcome kept in the session (post, redirect, get).
//! A known address gets the very same answer as a new one; only the mail differs.

use crate::routes::flash;
use app::forms::{RegisterForm, RegisterOutcome};
use app::mails::Writer;
use app::ssr::AppState;
use app::ssr::session_keys::REGISTER_OUTCOME;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;

/// What is kept of a field for showing the form again; the rules refuse far less already.
const KEEP_CHARS: usize = 300;

pub async fn submit(State(state): State<AppState>, session: Session, body: Bytes) -> Response {
    let form = parse(&body);
    let outcome = match form.check() {
        Err(errors) => {
            tracing::info!(fields = ?errors.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(), "registration refused");
            RegisterOutcome::Refused { form: kept(form), errors }
        }
        Ok(registration) => {
            let writer =
                Writer { organisation: state.site.organisation.clone(), origin: state.public_origin.clone() };
            match domain::registration::register(&state.pool, &registration, |language, notice| {
                writer.registration(language, notice)
            })
            .await
            {
                Ok(()) => RegisterOutcome::Sent,
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
