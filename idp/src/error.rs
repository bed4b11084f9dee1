// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Errors of the JSON endpoints, as the specifications name them (RFC 6749 §5.2, RFC 6750 §3),
//! and the one place where domain failures become HTTP answers.

use axum::Json;
use axum::response::{IntoResponse, Response};
use domain::DomainError;
use http::{HeaderValue, StatusCode, header};
use std::borrow::Cow;

/// An OAuth error response: `{"error": code, "error_description": ...}`.
#[derive(Debug, Clone)]
pub struct OAuthError {
    pub status: StatusCode,
    pub code: &'static str,
    pub description: Cow<'static, str>,
    /// `WWW-Authenticate` to send with a 401, if any.
    pub challenge: Option<&'static str>,
}

impl OAuthError {
    fn new(status: StatusCode, code: &'static str, description: impl Into<Cow<'static, str>>) -> Self {
        Self { status, code, description: description.into(), challenge: None }
    }

    pub fn invalid_request(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    /// Client authentication failed. With HTTP Basic the answer is a 401 with a challenge.
    pub fn invalid_client(used_basic: bool) -> Self {
        let mut e = Self::new(StatusCode::UNAUTHORIZED, "invalid_client", "client authentication failed");
        if used_basic {
            e.challenge = Some(r#"Basic realm="idp", charset="UTF-8""#);
        }
        e
    }

    pub fn invalid_grant(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_grant", description)
    }

    pub fn unauthorized_client(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "unauthorized_client", description)
    }

    pub fn unsupported_grant_type() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "supported: authorization_code, refresh_token, client_credentials",
        )
    }

    pub fn invalid_scope(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_scope", description)
    }

    /// A bearer token that is missing, malformed, expired, revoked or not ours (RFC 6750 §3.1).
    pub fn invalid_token() -> Self {
        let mut e = Self::new(StatusCode::UNAUTHORIZED, "invalid_token", "the access token is not valid");
        e.challenge = Some(r#"Bearer error="invalid_token""#);
        e
    }

    pub fn insufficient_scope(description: impl Into<Cow<'static, str>>) -> Self {
        let mut e = Self::new(StatusCode::FORBIDDEN, "insufficient_scope", description);
        e.challenge = Some(r#"Bearer error="insufficient_scope", scope="openid""#);
        e
    }

    pub fn unavailable() -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable", "please try again shortly")
    }

    pub fn server_error() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "server_error", "an internal error occurred")
    }
}

impl From<DomainError> for OAuthError {
    fn from(error: DomainError) -> Self {
        match error {
            DomainError::Database(_) | DomainError::DirectoryUnavailable(_) => {
                tracing::error!(error = ?error, "database or directory unavailable");
                Self::unavailable()
            }
            _ => {
                tracing::error!(error = ?error, "domain error");
                Self::server_error()
            }
        }
    }
}

impl From<crate::tokens::TokenError> for OAuthError {
    fn from(error: crate::tokens::TokenError) -> Self {
        tracing::error!(error = %error, "token signing failed");
        Self::server_error()
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.code, "error_description": self.description });
        let mut response = (self.status, Json(body)).into_response();
        no_store(&mut response);
        if let Some(challenge) = self.challenge {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
        }
        response
    }
}

/// Token responses must never be cached (RFC 6749 §5.1).
pub fn no_store(response: &mut Response) {
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response.headers_mut().insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}
