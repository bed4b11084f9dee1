// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Cross-site request forgery protection for every state-changing request.
//!
//! Browsers say where a request comes from: `Sec-Fetch-Site` (Fetch Metadata) in every current
//! browser, `Origin` on every cross-origin and every POST request. A request that is not a safe
//! method (GET, HEAD, OPTIONS) is refused with 403 when either header shows another site.
//! Requests with neither header come from programs, not browsers, and so cannot carry a
//! victim's cookies by accident; they pass. Paths in `exempt` (payment webhooks, later) carry
//! their own signatures and are not checked here.
//!
//! This replaces per-form tokens: it protects server functions and plain forms alike, with or
//! without JavaScript, and needs no state.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{Method, StatusCode, header};
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct SameOrigin {
    /// `scheme://host[:port]` of the public site.
    pub origin: Arc<str>,
    /// Path prefixes that are not checked.
    pub exempt: Arc<[&'static str]>,
}

impl SameOrigin {
    /// Whether a request with these headers may change state.
    pub fn allows(&self, method: &Method, path: &str, headers: &http::HeaderMap) -> bool {
        if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
            return true;
        }
        if self.exempt.iter().any(|prefix| path.starts_with(prefix)) {
            return true;
        }
        let fetch_site = headers.get("sec-fetch-site").map(|v| v.as_bytes());
        let origin = headers.get(header::ORIGIN).map(|v| v.as_bytes());
        match (fetch_site, origin) {
            // "none": typed into the address bar or opened from a bookmark, by the user.
            (Some(b"same-origin" | b"none"), None) => true,
            // A page with `Referrer-Policy: no-referrer` makes the browser send `Origin: null`
            // even on its own posts; Fetch Metadata still tells the truth then.
            (Some(b"same-origin"), Some(b"null")) => true,
            (Some(b"same-origin" | b"none") | None, Some(origin)) => origin == self.origin.as_bytes(),
            (Some(_), _) => false,
            (None, None) => true,
        }
    }
}

pub async fn same_origin_only(State(guard): State<SameOrigin>, request: Request, next: Next) -> Response {
    if guard.allows(request.method(), request.uri().path(), request.headers()) {
        next.run(request).await
    } else {
        tracing::warn!(method = %request.method(), path = request.uri().path(), "cross-site request refused");
        (StatusCode::FORBIDDEN, "This request came from another site and was refused.\n").into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderMap;

    fn guard() -> SameOrigin {
        SameOrigin { origin: "https://my.example.org".into(), exempt: Arc::new(["/webhooks/"]) }
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| (http::HeaderName::from_static(k), http::HeaderValue::from_static(v)))
            .collect()
    }

    #[test]
    fn same_origin_posts_pass() {
        let g = guard();
        assert!(g.allows(
            &Method::POST,
            "/language",
            &headers(&[("sec-fetch-site", "same-origin"), ("origin", "https://my.example.org")])
        ));
        assert!(g.allows(&Method::POST, "/language", &headers(&[("origin", "https://my.example.org")])));
        // A no-referrer page's own form: the browser hides the origin, Fetch Metadata does not.
        assert!(g.allows(
            &Method::POST,
            "/login",
            &headers(&[("sec-fetch-site", "same-origin"), ("origin", "null")])
        ));
        assert!(g.allows(&Method::POST, "/language", &headers(&[("sec-fetch-site", "same-origin")])));
    }

    #[test]
    fn cross_site_posts_are_refused() {
        let g = guard();
        for h in [
            headers(&[("sec-fetch-site", "cross-site"), ("origin", "https://evil.example")]),
            headers(&[("sec-fetch-site", "same-site"), ("origin", "https://evil.my.example.org")]),
            headers(&[("origin", "https://evil.example")]),
            headers(&[("origin", "null")]),
            headers(&[("sec-fetch-site", "cross-site"), ("origin", "null")]),
            headers(&[("sec-fetch-site", "same-site"), ("origin", "null")]),
            // A look-alike origin with the real one as a prefix.
            headers(&[("origin", "https://my.example.org.evil.example")]),
            headers(&[("origin", "http://my.example.org")]),
            headers(&[("sec-fetch-site", "cross-site")]),
        ] {
            assert!(!g.allows(&Method::POST, "/language", &h), "{h:?}");
            assert!(!g.allows(&Method::DELETE, "/api/x", &h), "{h:?}");
        }
    }

    #[test]
    fn safe_methods_and_exempt_paths_pass() {
        let g = guard();
        let evil = headers(&[("sec-fetch-site", "cross-site"), ("origin", "https://evil.example")]);
        assert!(g.allows(&Method::GET, "/", &evil));
        assert!(g.allows(&Method::POST, "/webhooks/stripe", &evil));
        assert!(!g.allows(&Method::POST, "/webhooksX", &evil));
    }
}
