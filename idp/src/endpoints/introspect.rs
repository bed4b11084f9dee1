// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! `POST /introspect` (RFC 7662) for confidential clients, answered as JSON or, when the client
//! asks with `Accept: application/token-introspection+jwt`, as a signed JWT (RFC 9701).
//!
//! Access tokens are introspected; anything else (refresh tokens included) is reported
//! inactive, which RFC 7662 §2.2 allows for tokens a server chooses not to describe.
//!
//! A client learns only about tokens meant for it: a token whose `aud` does not name the asking
//! client is reported `{"active": false}`, exactly like a forged one (RFC 7662 §4 lets the
//! server decide which tokens a caller may ask about; RFC 9701 §5 names the same concern). So a
//! resource server holding a stolen token of another client learns nothing from us.

use crate::client_auth;
use crate::error::{OAuthError, no_store};
use crate::params::Params;
use crate::state::AppState;
use crate::tokens::{self, INTROSPECTION_TYPE};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use domain::oidc::grant;
use http::{HeaderMap, HeaderValue, header};
use serde_json::{Value, json};
use time::OffsetDateTime;

pub async fn introspect(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    match answer(&state, &headers, &body).await {
        Ok(response) => response,
        Err(e) => e.into_response(),
    }
}

async fn answer(state: &AppState, headers: &HeaderMap, body: &[u8]) -> Result<Response, OAuthError> {
    let params = Params::parse(body).map_err(|e| OAuthError::invalid_request(e.to_string()))?;
    let client = client_auth::authenticate(&state.pool, headers, &params).await?;
    if !client.is_confidential() {
        return Err(OAuthError::invalid_client(false));
    }
    let token = params.get("token").ok_or_else(|| OAuthError::invalid_request("token is missing"))?;
    let now = OffsetDateTime::now_utc();
    let info = describe(state, client.id.as_str(), token, now).await?;
    let wants_jwt = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|accept| {
        accept.split(',').any(|t| t.trim().starts_with("application/token-introspection+jwt"))
    });
    let mut response = if wants_jwt {
        let claims = json!({
            "iss": state.config.issuer,
            "aud": client.id.as_str(),
            "iat": now.unix_timestamp(),
            "token_introspection": info,
        });
        let jwt = tokens::sign(&state.keys, INTROSPECTION_TYPE, &claims)?;
        let mut response = jwt.into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/token-introspection+jwt"));
        response
    } else {
        Json(info).into_response()
    };
    no_store(&mut response);
    Ok(response)
}

async fn describe(
    state: &AppState,
    asking: &str,
    token: &str,
    now: OffsetDateTime,
) -> Result<Value, OAuthError> {
    let Ok(claims) = tokens::verify_access_token(&state.keys, &state.config.issuer, token, now).await else {
        return Ok(json!({ "active": false }));
    };
    if claims.aud != asking {
        tracing::info!(client = asking, "introspection of a token meant for another client");
        return Ok(json!({ "active": false }));
    }
    if !grant::access_token_is_active(&state.pool, claims.jti, claims.gid).await? {
        return Ok(json!({ "active": false }));
    }
    let mut info = json!({
        "active": true,
        "scope": claims.scope,
        "client_id": claims.client_id,
        "token_type": "Bearer",
        "exp": claims.exp,
        "iat": claims.iat,
        "sub": claims.sub,
        "aud": claims.aud,
        "iss": claims.iss,
        "jti": claims.jti,
    });
    if let Some(groups) = claims.groups {
        info["groups"] = json!(groups);
    }
    Ok(info)
}
