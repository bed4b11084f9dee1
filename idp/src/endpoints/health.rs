// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Liveness and readiness, and the shared stylesheet.

use crate::state::AppState;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};

pub async fn live() -> &'static str {
    "ok\n"
}

/// Ready when the database answers and its schema is what this binary expects.
pub async fn ready(State(state): State<AppState>) -> Response {
    if domain::db::is_ready(&state.pool).await {
        "ready\n".into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unavailable or schema outdated\n").into_response()
    }
}

/// my.*'s stylesheet, compiled in: the idp's pages look like the rest of the site.
pub async fn style() -> Response {
    const CSS: &str = include_str!("../../../style/main.css");
    let mut response = CSS.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    response
}
