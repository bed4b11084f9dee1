// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! `POST /revoke` (RFC 7009). A refresh token takes its whole grant with it; an access token is
//! listed as revoked until it expires. A client can only revoke its own tokens; for anything
//! else the answer is the same 200, so the endpoint reveals nothing about foreign tokens.

use crate::client_auth;
use crate::error::OAuthError;
use crate::params::Params;
use crate::state::AppState;
use crate::tokens;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use domain::oidc::grant;
use http::{HeaderMap, StatusCode};
use time::OffsetDateTime;

pub async fn revoke(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let result = async {
        let params = Params::parse(&body).map_err(|e| OAuthError::invalid_request(e.to_string()))?;
        let client = client_auth::authenticate(&state.pool, &headers, &params).await?;
        let token = params.get("token").ok_or_else(|| OAuthError::invalid_request("token is missing"))?;
        if grant::revoke_by_refresh_token(&state.pool, &client.id, token).await? {
            return Ok(());
        }
        let now = OffsetDateTime::now_utc();
        if let Ok(claims) = tokens::verify_access_token(&state.keys, &state.config.issuer, token, now).await
            && claims.client_id == client.id.as_str()
        {
            let expires_at = OffsetDateTime::from_unix_timestamp(claims.exp).unwrap_or(now);
            grant::revoke_access_token(&state.pool, claims.jti, expires_at).await?;
        }
        Ok::<_, OAuthError>(())
    }
    .await;
    match result {
        Ok(()) => StatusCode::OK.into_response(),
        Err(e) => e.into_response(),
    }
}
