// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! `/userinfo` (OIDC Core §5.3): the person's claims, as far as the token's scopes allow.

use crate::error::{OAuthError, no_store};
use crate::state::AppState;
use crate::tokens::{self, AccessTokenClaims, ProfileClaims};
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use domain::oidc::{Scope, Scopes, claims, grant};
use domain::types::PersonId;
use http::HeaderMap;
use serde::Serialize;

/// The bearer token of a request (RFC 6750 §2.1), checked: signature, issuer, expiry, and not
/// revoked.
pub async fn bearer(state: &AppState, headers: &HeaderMap) -> Result<AccessTokenClaims, OAuthError> {
    let token = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .ok_or_else(OAuthError::invalid_token)?;
    let now = time::OffsetDateTime::now_utc();
    let claims = tokens::verify_access_token(&state.keys, &state.config.issuer, token.trim(), now)
        .await
        .map_err(|rejection| {
            tracing::info!(?rejection, "bearer token rejected");
            OAuthError::invalid_token()
        })?;
    if !grant::access_token_is_active(&state.pool, claims.jti, claims.gid).await? {
        return Err(OAuthError::invalid_token());
    }
    Ok(claims)
}

#[derive(Serialize)]
struct UserInfo {
    sub: String,
    #[serde(flatten)]
    profile: ProfileClaims,
}

pub async fn userinfo(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let result = async {
        let token = bearer(&state, &headers).await?;
        let scopes = Scopes::parse(&token.scope).map_err(|_| OAuthError::invalid_token())?;
        if !scopes.contains(Scope::OPENID) || token.gid.is_none() {
            return Err(OAuthError::insufficient_scope(
                "userinfo needs a person's token with the openid scope",
            ));
        }
        let person: PersonId = token.sub.parse().map_err(|_| OAuthError::invalid_token())?;
        let person = claims::for_person(&state.pool, person).await?.ok_or_else(OAuthError::invalid_token)?;
        Ok(UserInfo { sub: token.sub, profile: ProfileClaims::for_scopes(&person, &scopes) })
    }
    .await;
    match result {
        Ok(info) => {
            let mut response = Json(info).into_response();
            no_store(&mut response);
            response
        }
        Err(e) => e.into_response(),
    }
}
