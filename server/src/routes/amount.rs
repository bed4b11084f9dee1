// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! `POST /amount`: keeps the monthly amount picked on the landing page in the visitor's session
//! and continues to `/register` (post, redirect, get: reloading never resubmits).

use axum::Form;
use axum::response::{IntoResponse, Redirect, Response};
use http::StatusCode;
use serde::Deserialize;
use tower_sessions::Session;

#[derive(Debug, Deserialize)]
pub struct AmountForm {
    amount: String,
}

pub async fn choose(session: Session, Form(form): Form<AmountForm>) -> Response {
    let Some(amount) = app::amount::from_form(&form.amount) else {
        return (StatusCode::BAD_REQUEST, "Please choose one of the amounts offered.\n").into_response();
    };
    if let Err(e) = session.insert(app::ssr::session_keys::CHOSEN_AMOUNT, amount).await {
        tracing::error!(error = %e, "could not store the chosen amount");
        return (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong; please try again.\n")
            .into_response();
    }
    Redirect::to("/register").into_response()
}
