// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The outer layers every web binary wraps its routes in, outermost last.

use axum::Router;
use http::{HeaderName, StatusCode};
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// A request id (`x-request-id`, kept if the client or proxy sent one), a log span per request,
/// a timeout answered with 408, and panics turned into a 500 for that one request.
pub fn common<S: Clone + Send + Sync + 'static>(router: Router<S>, request_timeout: Duration) -> Router<S> {
    let request_id = HeaderName::from_static("x-request-id");
    router
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, request_timeout))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &http::Request<_>| {
            // Method, path and request id only: query strings may hold codes and tokens.
            let id = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("");
            tracing::info_span!("request", method = %request.method(), path = loggable_path(request.uri().path()), request_id = id)
        }))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        // A bug must cost one request a 500, not the connection (and every request queued on it).
        .layer(CatchPanicLayer::new())
}

/// The path as logs may show it: the token of a command link (`/c/{token}`) or an unsubscribe
/// link (`/u/{token}`) is a secret that acts for its person, so only the route is logged.
pub fn loggable_path(path: &str) -> &str {
    if path.starts_with("/c/") {
        "/c/{token}"
    } else if path.starts_with("/u/") {
        "/u/{token}"
    } else {
        path
    }
}

#[cfg(test)]
mod tests {
    use super::loggable_path;

    #[test]
    fn command_link_tokens_never_reach_the_logs() {
        assert_eq!(loggable_path("/c/WgR4yhmYVysjhI-VCaj3W9boOb40BIyqJ35ObVe-DiA"), "/c/{token}");
        assert_eq!(loggable_path("/u/WgR4yhmYVysjhI-VCaj3W9boOb40BIyqJ35ObVe-DiA"), "/u/{token}");
        assert_eq!(loggable_path("/register"), "/register");
    }
}
