// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Loads what pages need from the session before Leptos renders, so no page awaits the session
//! store while rendering (see `app::page_data` for why). A visitor without a session
//! cookie costs nothing here; one with a cookie costs one read of `tower_sessions.session`.

use app::amount::offered;
use app::page_data::SessionView;
use app::ssr::session_keys::CHOSEN_AMOUNT;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use tower_sessions::Session;

pub async fn load(session: Session, mut request: Request, next: Next) -> Response {
    let chosen_amount = match session.get::<u32>(CHOSEN_AMOUNT).await {
        Ok(amount) => offered(amount),
        Err(e) => {
            // The page still renders, just without what the session held.
            tracing::warn!(error = %e, "could not read the session");
            None
        }
    };
    request.extensions_mut().insert(SessionView { chosen_amount });
    next.run(request).await
}
