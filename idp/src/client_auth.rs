// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Client authentication at the token, revocation and introspection endpoints: HTTP Basic
//! (`client_secret_basic`), form fields (`client_secret_post`), or, for public clients, only
//! `client_id` (`none`). Exactly one method per request (RFC 6749 §2.3).

use crate::error::OAuthError;
use crate::params::Params;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use domain::oidc::ClientId;
use domain::oidc::client::{self, Client};
use http::HeaderMap;
use sqlx::PgPool;

struct Presented {
    id: String,
    secret: Option<String>,
    basic: bool,
}

fn presented(headers: &HeaderMap, params: &Params) -> Result<Presented, OAuthError> {
    let basic = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic ").or_else(|| v.strip_prefix("basic ")));
    match (basic, params.get("client_secret")) {
        (Some(_), Some(_)) => {
            Err(OAuthError::invalid_request("use one client authentication method, not two"))
        }
        (Some(credentials), None) => {
            let decoded =
                STANDARD.decode(credentials.trim()).map_err(|_| OAuthError::invalid_client(true))?;
            let decoded = String::from_utf8(decoded).map_err(|_| OAuthError::invalid_client(true))?;
            let (id, secret) = decoded.split_once(':').ok_or(OAuthError::invalid_client(true))?;
            // RFC 6749 §2.3.1: both parts are form-urlencoded before joining.
            let decode = |s: &str| {
                url::form_urlencoded::parse(format!("x={s}").as_bytes()).next().map(|(_, v)| v.into_owned())
            };
            let (id, secret) = (decode(id).unwrap_or_default(), decode(secret).unwrap_or_default());
            if params.get("client_id").is_some_and(|body_id| body_id != id) {
                return Err(OAuthError::invalid_request("client_id differs from the authenticated client"));
            }
            Ok(Presented { id, secret: Some(secret), basic: true })
        }
        (None, secret) => {
            let id = params.get("client_id").ok_or(OAuthError::invalid_client(false))?;
            Ok(Presented { id: id.to_owned(), secret: secret.map(str::to_owned), basic: false })
        }
    }
}

/// The client a request authenticates as.
pub async fn authenticate(pool: &PgPool, headers: &HeaderMap, params: &Params) -> Result<Client, OAuthError> {
    let presented = presented(headers, params)?;
    let refused = || OAuthError::invalid_client(presented.basic);
    let id = ClientId::new(&presented.id).map_err(|_| refused())?;
    let client = client::get(pool, &id).await?.ok_or_else(refused)?;
    if !client.authenticates(presented.secret.as_deref()) {
        tracing::info!(client = %id, "client authentication failed");
        return Err(refused());
    }
    Ok(client)
}
