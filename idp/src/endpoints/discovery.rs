// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Provider metadata (OIDC Discovery §3, RFC 8414) and the JWKS. The metadata lists exactly what
//! is implemented, and says `false` where the specifications' defaults would promise more.

use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, header};
use serde_json::{Value, json};

pub fn metadata(state: &AppState) -> Value {
    let c = &state.config;
    json!({
        "issuer": c.issuer,
        "authorization_endpoint": c.endpoint("/authorize"),
        "token_endpoint": c.endpoint("/token"),
        "userinfo_endpoint": c.endpoint("/userinfo"),
        "jwks_uri": c.endpoint("/jwks"),
        "revocation_endpoint": c.endpoint("/revoke"),
        "introspection_endpoint": c.endpoint("/introspect"),
        "end_session_endpoint": c.endpoint("/logout"),
        "scopes_supported": ["openid", "profile", "email", "groups"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "userinfo_signing_alg_values_supported": [],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "introspection_signing_alg_values_supported": ["ES256"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "sid", "name",
            "preferred_username", "locale", "email", "email_verified", "groups"],
        "ui_locales_supported": ["en", "de"],
        "prompt_values_supported": ["none", "login"],
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "require_request_uri_registration": false,
        "authorization_response_iss_parameter_supported": true,
        "frontchannel_logout_supported": false,
        "backchannel_logout_supported": false,
    })
}

pub async fn configuration(State(state): State<AppState>) -> Response {
    cacheable(Json(metadata(&state)).into_response())
}

pub async fn jwks(State(state): State<AppState>) -> Response {
    let mut response = state.keys.jwks().to_string().into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    cacheable(response)
}

/// Five minutes: short enough that a rotated key is seen long before the old one retires.
fn cacheable(mut response: Response) -> Response {
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    response
}
