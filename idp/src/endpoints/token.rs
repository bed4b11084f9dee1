// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! `POST /token` (RFC 6749 §3.2): `authorization_code` (with PKCE), `refresh_token` (rotating),
//! `client_credentials` (confidential clients acting for themselves).

use crate::client_auth;
use crate::error::{OAuthError, no_store};
use crate::params::Params;
use crate::state::AppState;
use crate::tokens::{
    self, ACCESS_TOKEN_TYPE, AccessTokenClaims, ID_TOKEN_TYPE, IdTokenClaims, ProfileClaims, Subject,
};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use domain::oidc::client::Client;
use domain::oidc::grant::{self, Grant, Refusal};
use domain::oidc::{GrantType, Scope, Scopes, claims};
use http::HeaderMap;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use time::OffsetDateTime;

#[derive(Debug, Serialize)]
struct TokenResponse {
    access_token: String,
    token_type: &'static str,
    expires_in: i64,
    scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
}

pub async fn token(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    match exchange(&state, &headers, &body).await {
        Ok(response) => {
            let mut response = Json(response).into_response();
            no_store(&mut response);
            response
        }
        Err(error) => error.into_response(),
    }
}

async fn exchange(state: &AppState, headers: &HeaderMap, body: &[u8]) -> Result<TokenResponse, OAuthError> {
    let params = Params::parse(body).map_err(|e| OAuthError::invalid_request(e.to_string()))?;
    let grant_type =
        params.get("grant_type").ok_or_else(|| OAuthError::invalid_request("grant_type is missing"))?;
    let grant_type = GrantType::parse(grant_type).map_err(|_| OAuthError::unsupported_grant_type())?;
    let client = client_auth::authenticate(&state.pool, headers, &params).await?;
    if !client.allows_grant(grant_type) {
        return Err(OAuthError::unauthorized_client("this client may not use this grant type"));
    }
    match grant_type {
        GrantType::AuthorizationCode => authorization_code(state, &client, &params).await,
        GrantType::RefreshToken => refresh_token(state, &client, &params).await,
        GrantType::ClientCredentials => client_credentials(state, &client, &params).await,
    }
}

fn required<'a>(params: &'a Params, name: &'static str) -> Result<&'a str, OAuthError> {
    params.get(name).ok_or_else(|| OAuthError::invalid_request(format!("{name} is missing")))
}

fn refused(refusal: Refusal, client: &Client) -> OAuthError {
    tracing::info!(client = %client.id, ?refusal, "grant refused");
    if refusal == Refusal::ScopeNotGranted {
        // RFC 6749 §6: a refresh may narrow the scopes, never widen them.
        return OAuthError::invalid_scope("a refresh cannot add scopes");
    }
    OAuthError::invalid_grant(match refusal {
        Refusal::RedirectMismatch => "redirect_uri differs from the authorization request",
        Refusal::VerifierMismatch => "code_verifier does not match the code_challenge",
        _ => "the code or refresh token is invalid, expired, revoked or was used before",
    })
}

async fn authorization_code(
    state: &AppState,
    client: &Client,
    params: &Params,
) -> Result<TokenResponse, OAuthError> {
    let code = required(params, "code")?;
    let redirect_uri = required(params, "redirect_uri")?;
    let verifier = required(params, "code_verifier")?;
    let redeemed = grant::redeem_code(&state.pool, &client.id, code, redirect_uri, verifier)
        .await?
        .map_err(|refusal| refused(refusal, client))?;
    let refresh = if client.allows_grant(GrantType::RefreshToken) {
        Some(
            grant::issue_refresh_token(&state.pool, redeemed.grant.id, state.config.refresh_token_lifetime)
                .await?,
        )
    } else {
        None
    };
    let scopes = redeemed.grant.scopes.clone();
    issue_for_person(state, &redeemed.grant, &scopes, redeemed.nonce, refresh).await
}

async fn refresh_token(
    state: &AppState,
    client: &Client,
    params: &Params,
) -> Result<TokenResponse, OAuthError> {
    let token = required(params, "refresh_token")?;
    let requested = params
        .get("scope")
        .map(Scopes::parse)
        .transpose()
        .map_err(|_| OAuthError::invalid_scope("scope is malformed"))?;
    // The scopes are checked before the token is used: a request for more is refused and the
    // token keeps working (the grant carries the scopes of this response).
    let lifetime = state.config.refresh_token_lifetime;
    let (grant, next) =
        grant::rotate_refresh_token(&state.pool, &client.id, token, requested.as_ref(), lifetime)
            .await?
            .map_err(|refusal| refused(refusal, client))?;
    let scopes = grant.scopes.clone();
    issue_for_person(state, &grant, &scopes, None, Some(next)).await
}

async fn issue_for_person(
    state: &AppState,
    grant: &Grant,
    scopes: &Scopes,
    nonce: Option<String>,
    refresh: Option<SecretString>,
) -> Result<TokenResponse, OAuthError> {
    let person = claims::for_person(&state.pool, grant.person)
        .await?
        .ok_or_else(|| OAuthError::invalid_grant("the account is disabled"))?;
    let config = &state.config;
    let now = OffsetDateTime::now_utc();
    let groups = scopes.contains(Scope::GROUPS).then(|| person.groups.clone());
    let subject =
        Subject::Person { person: grant.person, grant: grant.id, auth_time: grant.auth_time, groups };
    let access = AccessTokenClaims::new(
        &config.issuer,
        &grant.client,
        scopes,
        config.access_token_lifetime,
        subject,
        now,
    );
    let access_token = tokens::sign(&state.keys, ACCESS_TOKEN_TYPE, &access)?;
    let id_token = if scopes.contains(Scope::OPENID) {
        let claims = IdTokenClaims {
            iss: config.issuer.clone(),
            sub: grant.person.to_string(),
            aud: grant.client.as_str().to_owned(),
            exp: (now + config.access_token_lifetime).unix_timestamp(),
            iat: now.unix_timestamp(),
            auth_time: grant.auth_time.unix_timestamp(),
            nonce,
            // The login session, so RP-initiated logout can tell this browser's session from
            // the person's others (OIDC Front-/Back-Channel Logout §2, `sid`).
            sid: grant.login_session,
            at_hash: Some(tokens::at_hash(&access_token)),
            profile: ProfileClaims::for_scopes(&person, scopes),
        };
        Some(tokens::sign(&state.keys, ID_TOKEN_TYPE, &claims)?)
    } else {
        None
    };
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: config.access_token_lifetime.whole_seconds(),
        scope: scopes.to_string(),
        id_token,
        refresh_token: refresh.map(|r| r.expose_secret().to_owned()),
    })
}

async fn client_credentials(
    state: &AppState,
    client: &Client,
    params: &Params,
) -> Result<TokenResponse, OAuthError> {
    if !client.is_confidential() {
        return Err(OAuthError::unauthorized_client("only confidential clients can act on their own behalf"));
    }
    let scopes = match params.get("scope") {
        Some(list) => Scopes::parse(list).map_err(|_| OAuthError::invalid_scope("scope is malformed"))?,
        None => client.spec.scopes.clone(),
    };
    if !scopes.is_subset_of(&client.spec.scopes) {
        return Err(OAuthError::invalid_scope("a requested scope is not allowed for this client"));
    }
    let config = &state.config;
    let access = AccessTokenClaims::new(
        &config.issuer,
        &client.id,
        &scopes,
        config.access_token_lifetime,
        Subject::Client,
        OffsetDateTime::now_utc(),
    );
    Ok(TokenResponse {
        access_token: tokens::sign(&state.keys, ACCESS_TOKEN_TYPE, &access)?,
        token_type: "Bearer",
        expires_in: config.access_token_lifetime.whole_seconds(),
        scope: scopes.to_string(),
        id_token: None,
        refresh_token: None,
    })
}
