// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The supporter app as the idp's OpenID Connect client (openidconnect crate): discovery, the
//! authorization request (code + PKCE S256, state, nonce), the code exchange and the ID-token
//! check (signature by the idp's JWKS, issuer, audience, expiry, nonce), and the RP-initiated
//! logout URL.
//!
//! Discovery happens at the first login, not at start-up, so my.* starts even while id.* is
//! down; the result is kept for an hour. An ID token signed by a key we have not seen (the idp
//! rotated its keys) makes us discover again once before refusing it.

use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreIdToken};
use openidconnect::{
    AdditionalProviderMetadata, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndSessionUrl,
    EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl, LogoutRequest, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, PostLogoutRedirectUrl, ProviderMetadata, RedirectUrl, Scope, TokenResponse,
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::RwLock;

type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// `end_session_endpoint` (RP-Initiated Logout 1.0) besides the core metadata.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct LogoutMetadata {
    end_session_endpoint: Option<EndSessionUrl>,
}
impl AdditionalProviderMetadata for LogoutMetadata {}

type Metadata = ProviderMetadata<
    LogoutMetadata,
    openidconnect::core::CoreAuthDisplay,
    openidconnect::core::CoreClientAuthMethod,
    openidconnect::core::CoreClaimName,
    openidconnect::core::CoreClaimType,
    openidconnect::core::CoreGrantType,
    openidconnect::core::CoreJweContentEncryptionAlgorithm,
    openidconnect::core::CoreJweKeyManagementAlgorithm,
    openidconnect::core::CoreJsonWebKey,
    openidconnect::core::CoreResponseMode,
    openidconnect::core::CoreResponseType,
    openidconnect::core::CoreSubjectIdentifierType,
>;

/// How long discovered metadata and keys are trusted before asking again.
const DISCOVERY_TTL: Duration = Duration::from_secs(3600);

/// Why a login could not be completed. Each has its own text on the login-problem page.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error("login is not set up (login.client_secret_file)")]
    NotConfigured,
    #[error("the identity provider cannot be reached: {0}")]
    Unreachable(String),
    #[error("the identity provider refused: {0}")]
    Refused(String),
    #[error("the ID token is not valid: {0}")]
    InvalidToken(String),
}

struct Discovered {
    client: Client,
    end_session: Option<EndSessionUrl>,
    at: Instant,
}

/// What must survive the trip to the idp and back, kept in the session.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pending {
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
    /// The local path to return to.
    pub next: String,
}

/// A verified login.
#[derive(Debug, Clone)]
pub struct LoggedIn {
    /// The `sub` claim: the person's id at the idp (and here).
    pub subject: String,
    /// The raw ID token, kept for `id_token_hint` at logout.
    pub id_token: String,
}

pub struct OidcClient {
    issuer: String,
    client_id: String,
    secret: Option<SecretString>,
    redirect_url: String,
    post_logout_url: String,
    http: openidconnect::reqwest::Client,
    discovered: RwLock<Option<Arc<Discovered>>>,
}

impl OidcClient {
    pub fn new(
        issuer: &str,
        client_id: &str,
        secret: Option<SecretString>,
        public_origin: &str,
    ) -> Result<Self, String> {
        // No redirects: a discovery or token response that redirects is an error (SSRF guard).
        let http = openidconnect::reqwest::Client::builder()
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| format!("HTTP client for login: {e}"))?;
        Ok(Self {
            issuer: issuer.trim_end_matches('/').to_owned(),
            client_id: client_id.to_owned(),
            secret,
            redirect_url: format!("{public_origin}/auth/callback"),
            post_logout_url: format!("{public_origin}/logout"),
            http,
            discovered: RwLock::new(None),
        })
    }

    async fn discovered(&self, refresh: bool) -> Result<Arc<Discovered>, LoginError> {
        if !refresh
            && let Some(d) = self.discovered.read().await.as_ref()
            && d.at.elapsed() < DISCOVERY_TTL
        {
            return Ok(d.clone());
        }
        let Some(secret) = &self.secret else { return Err(LoginError::NotConfigured) };
        let issuer =
            IssuerUrl::new(self.issuer.clone()).map_err(|e| LoginError::Unreachable(e.to_string()))?;
        let metadata = Metadata::discover_async(issuer, &self.http)
            .await
            .map_err(|e| LoginError::Unreachable(hosting::shutdown::innermost_cause(&e)))?;
        let end_session = metadata.additional_metadata().end_session_endpoint.clone();
        let redirect = RedirectUrl::new(self.redirect_url.clone())
            .map_err(|e| LoginError::Unreachable(e.to_string()))?;
        let client = CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(self.client_id.clone()),
            Some(ClientSecret::new(secret.expose_secret().to_owned())),
        )
        .set_redirect_uri(redirect);
        let fresh = Arc::new(Discovered { client, end_session, at: Instant::now() });
        *self.discovered.write().await = Some(fresh.clone());
        Ok(fresh)
    }

    /// The idp's authorization URL for a new login, and what to keep until the person returns.
    /// `language` (a tag such as `de`) asks the idp to show its pages in it.
    pub async fn start(&self, next: &str, language: Option<&str>) -> Result<(String, Pending), LoginError> {
        let discovered = self.discovered(false).await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = discovered
            .client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("profile".into()))
            .add_scope(Scope::new("email".into()))
            .set_pkce_challenge(challenge);
        if let Some(language) = language {
            request = request.add_ui_locale(openidconnect::LanguageTag::new(language.to_owned()));
        }
        let (url, state, nonce) = request.url();
        let pending = Pending {
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
            next: next.to_owned(),
        };
        Ok((url.to_string(), pending))
    }

    /// Exchanges the code and verifies the ID token against what was kept.
    pub async fn finish(&self, code: &str, pending: &Pending) -> Result<LoggedIn, LoginError> {
        let discovered = self.discovered(false).await?;
        let response = discovered
            .client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| LoginError::Unreachable(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|e| match e {
                openidconnect::RequestTokenError::ServerResponse(r) => {
                    LoginError::Refused(r.error().to_string())
                }
                other => LoginError::Unreachable(hosting::shutdown::innermost_cause(&other)),
            })?;
        let id_token = response.id_token().ok_or_else(|| LoginError::InvalidToken("no ID token".into()))?;
        let nonce = Nonce::new(pending.nonce.clone());
        let subject = match id_token.claims(&discovered.client.id_token_verifier(), &nonce) {
            Ok(claims) => claims.subject().to_string(),
            Err(openidconnect::ClaimsVerificationError::SignatureVerification(_)) => {
                // Perhaps a key we do not know yet: look again once.
                let again = self.discovered(true).await?;
                id_token
                    .claims(&again.client.id_token_verifier(), &nonce)
                    .map_err(|e| LoginError::InvalidToken(e.to_string()))?
                    .subject()
                    .to_string()
            }
            Err(e) => return Err(LoginError::InvalidToken(e.to_string())),
        };
        Ok(LoggedIn { subject, id_token: id_token.to_string() })
    }

    /// Where to send the browser to end the idp's session too; `None` when the idp offers no
    /// end-session endpoint (or cannot be reached: the local session is gone regardless).
    pub async fn logout_url(&self, id_token: Option<&str>, state: &str) -> Option<String> {
        let discovered = self.discovered(false).await.ok()?;
        let endpoint = discovered.end_session.clone()?;
        let mut request = LogoutRequest::from(endpoint)
            .set_client_id(ClientId::new(self.client_id.clone()))
            .set_state(CsrfToken::new(state.to_owned()));
        if let Ok(url) = PostLogoutRedirectUrl::new(self.post_logout_url.clone()) {
            request = request.set_post_logout_redirect_uri(url);
        }
        if let Some(token) = id_token.and_then(|t| t.parse::<CoreIdToken>().ok()) {
            request = request.set_id_token_hint(&token);
        }
        Some(request.http_get_url().to_string())
    }
}
