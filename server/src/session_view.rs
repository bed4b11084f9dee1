// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Loads what pages need from the session (and, on `/c/{token}`, what the link would do) before
//! Leptos renders, so no page awaits anything while rendering (see `app::page_data` for why). A
//! visitor without a session cookie costs nothing here; one with a cookie costs one read of
//! `tower_sessions.session`.

use crate::routes::{command, flash};
use app::amount::offered;
use app::page_data::SessionView;
use app::ssr::AppState;
use app::ssr::session_keys::{CHOSEN_AMOUNT, COMMAND_OUTCOME, REGISTER_OUTCOME};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use tower_sessions::Session;

pub async fn load(
    State(state): State<AppState>,
    session: Session,
    mut request: Request,
    next: Next,
) -> Response {
    let chosen_amount = match session.get::<u32>(CHOSEN_AMOUNT).await {
        Ok(amount) => offered(amount),
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
    request.extensions_mut().insert(SessionView { chosen_amount, register, command_outcome });
    next.run(request).await
}
