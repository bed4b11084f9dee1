// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! `/healthz` (the process runs) and `/readyz` (it can serve: database reachable and migrated).
//! Load balancers route by `/readyz`; supervisors restart by `/healthz`.

use app::ssr::AppState;
use axum::extract::State;
use http::StatusCode;

pub async fn live() -> &'static str {
    "ok\n"
}

pub async fn ready(State(state): State<AppState>) -> (StatusCode, &'static str) {
    if domain::db::is_ready(&state.pool).await {
        (StatusCode::OK, "ready\n")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unavailable or not migrated\n")
    }
}
