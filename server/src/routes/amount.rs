// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! `POST /amount`: keeps the monthly amount picked on the landing page in the visitor's session
//! and continues to `/register` (post, redirect, get: reloading never resubmits). Only the
//! offer's presets (`[payments]`) are taken. The landing page itself now leads to `/donate`.

use app::refusal::Refusal;
use app::refusal::ssr::Answer;
use axum::Form;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;

#[derive(Debug, Deserialize)]
pub struct AmountForm {
    amount: String,
}

pub async fn choose(
    State(state): State<app::ssr::AppState>,
    session: Session,
    headers: http::HeaderMap,
    form: Result<Form<AmountForm>, FormRejection>,
) -> Response {
    // A missing field is refused like a wrong one (axum's own rejection text says more).
    let offer = app::forms::OfferView::from(&*state.offer);
    let Some(amount) = form.ok().and_then(|Form(form)| app::amount::from_form(&offer, &form.amount)) else {
        return Answer::to(Refusal::BadInput, &headers).into_response();
    };
    if let Err(e) = session.insert(app::ssr::session_keys::CHOSEN_AMOUNT, amount).await {
        // The session store is PostgreSQL: it failing means the database is unavailable.
        tracing::error!(error = %e, "could not store the chosen amount");
        return Answer::to(Refusal::Unavailable, &headers).into_response();
    }
    Redirect::to("/register").into_response()
}
