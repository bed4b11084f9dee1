// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Security headers on every answer of my.*, as the idp sends them (`idp/src/pages.rs`):
//!
//! - `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY`;
//! - `Referrer-Policy: same-origin`: our own pages still send `Referer` to us, which the
//!   no-JavaScript form posts of server functions need to come back to their page (and
//!   `no-referrer` would make browsers send `Origin: null`); nothing leaves for other sites;
//! - `Content-Security-Policy`: pages set theirs with the render's nonce
//!   (`app::security_headers`); every other answer gets the strict one;
//! - `Cache-Control: no-store` on everything but static files: any page may name who is
//!   logged in, and server function answers carry personal data.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use http::{HeaderValue, header};

/// Whether `path` is one of the static files (the bundle, the stylesheet, `public/`), which
/// hold nothing personal and may be cached.
pub fn is_static(path: &str) -> bool {
    path.starts_with("/pkg/")
        || (path.matches('/').count() == 1
            && [".svg", ".png", ".ico", ".txt", ".webmanifest", ".css", ".js", ".wasm"]
                .iter()
                .any(|ext| path.ends_with(ext)))
}

pub async fn add(request: Request, next: Next) -> Response {
    let cacheable = is_static(request.uri().path());
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers
            .insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(app::security_headers::STRICT));
    }
    // A static-looking path that turned out to be a page (the 404 page) is a page.
    let is_html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if !cacheable || is_html {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::is_static;

    #[test]
    fn only_static_files_may_be_cached() {
        for path in ["/pkg/community.js", "/pkg/community_bg.wasm", "/pkg/community.css", "/favicon.svg"] {
            assert!(is_static(path), "{path}");
        }
        for path in [
            "/",
            "/settings",
            "/api/settings/profile",
            "/c/abc.svg",
            "/settings/x.js",
            "/register",
            "/pkgs/x",
        ] {
            assert!(!is_static(path), "{path}");
        }
    }
}
