// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! `/authorize` (OIDC Core §3.1.2): the authorization code flow only, PKCE S256 required, exact
//! redirect URIs, `prompt=none|login` (`consent` and `select_account` are answered with
//! `consent_required` and `account_selection_required`), `max_age`, `ui_locales`.
//!
//! Until the client and redirect URI are known to be genuine, errors are shown as a page: a
//! redirect would let anyone use us to send people to any address (RFC 6749 §4.1.2.1).

use super::SESSION_COOKIE;
use crate::locale;
use crate::pages::{self, Frame};
use crate::params::Params;
use crate::state::AppState;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use domain::oidc::client::{self, Client};
use domain::oidc::grant::{self, CodeRequest};
use domain::oidc::login_session::{self, LoginSession};
use domain::oidc::{ClientId, GrantType, Scope, Scopes};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use secrecy::ExposeSecret;
use time::OffsetDateTime;

/// A checked authorization request.
#[derive(Debug, Clone)]
pub struct AuthorizationRequest {
    pub client: Client,
    pub redirect_uri: String,
    pub scopes: Scopes,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: String,
    pub prompt_none: bool,
    pub prompt_login: bool,
    pub max_age: Option<i64>,
    pub ui_locales: Option<String>,
}

impl AuthorizationRequest {
    /// The parameters the login form sends back, so `POST /login` can check them again.
    pub fn hidden_fields(&self) -> Vec<(&'static str, String)> {
        let mut fields = vec![
            ("response_type", "code".to_owned()),
            ("client_id", self.client.id.as_str().to_owned()),
            ("redirect_uri", self.redirect_uri.clone()),
            ("scope", self.scopes.to_string()),
            ("code_challenge", self.code_challenge.clone()),
            ("code_challenge_method", "S256".to_owned()),
        ];
        for (name, value) in
            [("state", &self.state), ("nonce", &self.nonce), ("ui_locales", &self.ui_locales)]
        {
            if let Some(value) = value {
                fields.push((name, value.clone()));
            }
        }
        fields
    }

    /// Whether `session` is fresh enough for this request at `now`.
    pub fn accepts_session(&self, session: &LoginSession, now: OffsetDateTime) -> bool {
        let age = (now - session.authenticated_at).whole_seconds();
        !self.prompt_login && self.max_age.is_none_or(|max| age <= max)
    }
}

/// Why a request was refused.
#[derive(Debug, Clone)]
pub enum Invalid {
    /// The client or redirect URI is not trustworthy: show a page, redirect nowhere.
    Page(String),
    /// The database could not be asked: a 503 page, nobody's fault.
    Unavailable,
    /// Tell the client, at its registered redirect URI.
    Redirect { redirect_uri: String, state: Option<String>, error: &'static str, description: &'static str },
}

/// Checks an authorization request.
pub async fn validate(state: &AppState, params: &Params) -> Result<AuthorizationRequest, Invalid> {
    let page = |detail: &str| Invalid::Page(detail.to_owned());
    let client_id = params.get("client_id").ok_or_else(|| page("client_id is missing"))?;
    let client_id = ClientId::new(client_id).map_err(|_| page("client_id is not a registered client"))?;
    let client = match client::get(&state.pool, &client_id).await {
        Ok(Some(client)) => client,
        Ok(None) => return Err(page("client_id is not a registered client")),
        Err(e) => {
            tracing::error!(error = ?e, "loading a client failed");
            return Err(Invalid::Unavailable);
        }
    };
    let redirect_uri = params.get("redirect_uri").ok_or_else(|| page("redirect_uri is missing"))?;
    if !client.has_redirect_uri(redirect_uri) {
        return Err(page("redirect_uri is not registered for this client (it must match exactly)"));
    }
    let state_param = params.get("state").map(str::to_owned);
    let refuse = |error: &'static str, description: &'static str| Invalid::Redirect {
        redirect_uri: redirect_uri.to_owned(),
        state: state_param.clone(),
        error,
        description,
    };
    if params.get("request").is_some() {
        return Err(refuse("request_not_supported", "request objects are not supported"));
    }
    if params.get("request_uri").is_some() {
        return Err(refuse("request_uri_not_supported", "request_uri is not supported"));
    }
    if params.get("registration").is_some() {
        return Err(refuse("registration_not_supported", "registration is not supported"));
    }
    if params.get("response_type") != Some("code") {
        return Err(refuse("unsupported_response_type", "only response_type=code is supported"));
    }
    if let Some(mode) = params.get("response_mode")
        && mode != "query"
    {
        return Err(refuse("invalid_request", "only response_mode=query is supported"));
    }
    if !client.allows_grant(GrantType::AuthorizationCode) {
        return Err(refuse("unauthorized_client", "this client may not use the authorization code flow"));
    }
    let scopes = params
        .get("scope")
        .map(Scopes::parse)
        .transpose()
        .map_err(|_| refuse("invalid_scope", "scope is malformed"))?
        .unwrap_or_default();
    if !scopes.contains(Scope::OPENID) {
        return Err(refuse("invalid_scope", "scope must include openid"));
    }
    if !scopes.is_subset_of(&client.spec.scopes) {
        return Err(refuse("invalid_scope", "a requested scope is not allowed for this client"));
    }
    let challenge = params.get("code_challenge").unwrap_or_default();
    let well_formed = challenge.len() == 43
        && challenge.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if params.get("code_challenge_method") != Some("S256") || !well_formed {
        return Err(refuse(
            "invalid_request",
            "PKCE is required: code_challenge with code_challenge_method=S256",
        ));
    }
    let nonce = params.get("nonce").map(str::to_owned);
    if nonce.as_ref().is_some_and(|n| n.len() > 512) {
        return Err(refuse("invalid_request", "nonce is too long"));
    }
    let prompts: Vec<&str> =
        params.get("prompt").unwrap_or_default().split(' ').filter(|p| !p.is_empty()).collect();
    let prompt_none = prompts.contains(&"none");
    if prompt_none && prompts.len() > 1 {
        return Err(refuse("invalid_request", "prompt=none cannot be combined with other values"));
    }
    if prompts.iter().any(|p| !matches!(*p, "none" | "login" | "consent" | "select_account")) {
        return Err(refuse("invalid_request", "unknown prompt value"));
    }
    // Known values we cannot honour are answered with their own error (OIDC Core §3.1.2.6),
    // never silently ignored: the client asked for a screen that does not exist here. Consent
    // is given by registering the client; a browser holds one login session.
    if prompts.contains(&"consent") {
        return Err(refuse(
            "consent_required",
            "prompt=consent is not supported: there is no consent screen",
        ));
    }
    if prompts.contains(&"select_account") {
        return Err(refuse(
            "account_selection_required",
            "prompt=select_account is not supported: a browser holds one login session",
        ));
    }
    let max_age = match params.get("max_age") {
        None => None,
        Some(text) => match text.parse::<i64>() {
            Ok(seconds) if seconds >= 0 => Some(seconds),
            _ => return Err(refuse("invalid_request", "max_age must be a non-negative integer")),
        },
    };
    Ok(AuthorizationRequest {
        client,
        redirect_uri: redirect_uri.to_owned(),
        scopes,
        state: state_param.clone(),
        nonce,
        code_challenge: challenge.to_owned(),
        prompt_none,
        prompt_login: prompts.contains(&"login"),
        max_age,
        ui_locales: params.get("ui_locales").map(str::to_owned),
    })
}

/// A 303 to `uri` with `pairs` added to its query (an existing query is kept).
pub fn redirect_with(uri: &str, pairs: &[(&str, &str)]) -> Response {
    let Ok(mut url) = url::Url::parse(uri) else {
        return (StatusCode::BAD_REQUEST, "invalid redirect URI").into_response();
    };
    {
        let mut query = url.query_pairs_mut();
        for (name, value) in pairs {
            query.append_pair(name, value);
        }
    }
    match HeaderValue::from_str(url.as_str()) {
        Ok(location) => {
            let mut response = StatusCode::SEE_OTHER.into_response();
            response.headers_mut().insert(header::LOCATION, location);
            response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(_) => (StatusCode::BAD_REQUEST, "invalid redirect URI").into_response(),
    }
}

/// Answers an invalid request the way its kind requires.
pub fn refuse(state: &AppState, headers: &HeaderMap, params: &Params, invalid: Invalid) -> Response {
    match invalid {
        Invalid::Page(detail) => {
            let frame = Frame {
                locale: locale::choose(params.get("ui_locales"), headers),
                organisation: &state.config.organisation,
            };
            pages::request_error(frame, &detail)
        }
        Invalid::Unavailable => {
            let frame = Frame {
                locale: locale::choose(params.get("ui_locales"), headers),
                organisation: &state.config.organisation,
            };
            pages::unavailable(frame)
        }
        Invalid::Redirect { redirect_uri, state: client_state, error, description } => {
            let mut pairs = vec![
                ("error", error),
                ("error_description", description),
                ("iss", state.config.issuer.as_str()),
            ];
            if let Some(s) = client_state.as_deref() {
                pairs.push(("state", s));
            }
            redirect_with(&redirect_uri, &pairs)
        }
    }
}

/// Issues a code for a logged-in person and sends the browser back to the client.
pub async fn complete(state: &AppState, request: &AuthorizationRequest, session: &LoginSession) -> Response {
    let code_request = CodeRequest {
        client: &request.client.id,
        person: session.person,
        login_session: session.id,
        auth_time: session.authenticated_at,
        scopes: &request.scopes,
        redirect_uri: &request.redirect_uri,
        nonce: request.nonce.as_deref(),
        code_challenge: &request.code_challenge,
    };
    match grant::issue_code(&state.pool, &code_request).await {
        Ok(code) => {
            let mut pairs = vec![("code", code.expose_secret()), ("iss", state.config.issuer.as_str())];
            if let Some(s) = request.state.as_deref() {
                pairs.push(("state", s));
            }
            redirect_with(&request.redirect_uri, &pairs)
        }
        Err(e) => {
            tracing::error!(error = ?e, "issuing a code failed");
            let frame = Frame {
                locale: locale::choose(request.ui_locales.as_deref(), &HeaderMap::new()),
                organisation: &state.config.organisation,
            };
            pages::unavailable(frame)
        }
    }
}

/// `GET /authorize`.
pub async fn authorize(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    RawQuery(query): RawQuery,
) -> Response {
    let params = match Params::parse(query.unwrap_or_default().as_bytes()) {
        Ok(params) => params,
        Err(e) => return refuse(&state, &headers, &Params::default(), Invalid::Page(e.to_string())),
    };
    let request = match validate(&state, &params).await {
        Ok(request) => request,
        Err(invalid) => return refuse(&state, &headers, &params, invalid),
    };
    let session = match jar.get(SESSION_COOKIE) {
        Some(cookie) => login_session::find(&state.pool, cookie.value()).await.unwrap_or_else(|e| {
            tracing::error!(error = ?e, "reading the login session failed");
            None
        }),
        None => None,
    };
    match session {
        Some(session) if request.accepts_session(&session, OffsetDateTime::now_utc()) => {
            complete(&state, &request, &session).await
        }
        _ if request.prompt_none => refuse(
            &state,
            &headers,
            &params,
            Invalid::Redirect {
                redirect_uri: request.redirect_uri.clone(),
                state: request.state.clone(),
                error: "login_required",
                description: "the person is not logged in",
            },
        ),
        _ => {
            let frame = Frame {
                locale: locale::choose(request.ui_locales.as_deref(), &headers),
                organisation: &state.config.organisation,
            };
            pages::login(frame, &request.client.spec.name, request.hidden_fields(), "", None)
        }
    }
}
