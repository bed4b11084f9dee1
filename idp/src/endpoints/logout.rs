// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! `/logout`, the `end_session_endpoint` (OIDC RP-Initiated Logout 1.0).
//!
//! With an `id_token_hint` we signed for this very login session (its `sid`, the session id ID
//! tokens carry), the session ends at once; otherwise the person is asked first (a POST,
//! CSRF-protected), so a link on another site cannot log anyone out. A hint from another
//! session of the same person (an old ID token, another browser) is asked about too: it proves
//! that a client once logged the person in, not that this browser's session is the one meant. `post_logout_redirect_uri` must be registered for the client, exactly,
//! and the client must be known from the hint or `client_id`.

use super::SESSION_COOKIE;
use crate::locale;
use crate::pages::{self, Frame};
use crate::params::Params;
use crate::state::AppState;
use crate::tokens::{self, IdTokenClaims};
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::Cookie;
use domain::oidc::ClientId;
use domain::oidc::client;
use domain::oidc::login_session::{self, LoginSession};
use http::{HeaderMap, Method};

pub async fn logout_get(
    state: State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    RawQuery(query): RawQuery,
) -> Response {
    end_session(state, Method::GET, headers, jar, query.unwrap_or_default().into_bytes()).await
}

pub async fn logout_post(
    state: State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    body: Bytes,
) -> Response {
    end_session(state, Method::POST, headers, jar, body.to_vec()).await
}

async fn end_session(
    State(state): State<AppState>,
    method: Method,
    headers: HeaderMap,
    jar: CookieJar,
    raw: Vec<u8>,
) -> Response {
    let params = Params::parse(&raw).unwrap_or_default();
    let frame = Frame {
        locale: locale::choose(params.get("ui_locales"), &headers),
        organisation: &state.config.organisation,
    };
    let fail = |detail: &str| pages::request_error(frame, detail);

    let hint = match params.get("id_token_hint") {
        Some(token) => match tokens::verify_id_token_hint(&state.keys, &state.config.issuer, token).await {
            Ok(claims) => Some(claims),
            Err(_) => return fail("id_token_hint is not an ID token issued here"),
        },
        None => None,
    };
    let client_id = match (params.get("client_id"), &hint) {
        (Some(id), Some(hint)) if id != hint.aud => {
            return fail("client_id does not match the id_token_hint");
        }
        (Some(id), _) => Some(id.to_owned()),
        (None, Some(hint)) => Some(hint.aud.clone()),
        (None, None) => None,
    };
    let redirect = params.get("post_logout_redirect_uri");
    if let Some(uri) = redirect {
        let Some(id) = client_id.as_deref() else {
            return fail("post_logout_redirect_uri needs client_id or id_token_hint");
        };
        let registered = match ClientId::new(id) {
            Ok(id) => client::get(&state.pool, &id)
                .await
                .ok()
                .flatten()
                .is_some_and(|c| c.has_post_logout_redirect_uri(uri)),
            Err(_) => false,
        };
        if !registered {
            return fail(
                "post_logout_redirect_uri is not registered for this client (it must match exactly)",
            );
        }
    }

    let session: Option<LoginSession> = match jar.get(SESSION_COOKIE) {
        Some(cookie) => login_session::find(&state.pool, cookie.value()).await.ok().flatten(),
        None => None,
    };
    let hint_matches = hint.as_ref().is_some_and(|h| session.is_none_or(|s| hint_names_session(h, &s)));
    let confirmed = method == Method::POST && params.get("confirm") == Some("yes");
    if session.is_some() && !hint_matches && !confirmed {
        let mut hidden = Vec::new();
        for (name, value) in [
            ("client_id", client_id.as_deref()),
            ("post_logout_redirect_uri", redirect),
            ("state", params.get("state")),
            ("ui_locales", params.get("ui_locales")),
        ] {
            if let Some(value) = value {
                hidden.push((name, value.to_owned()));
            }
        }
        return pages::logout_confirm(frame, hidden);
    }
    if let Some(session) = session
        && let Err(e) = login_session::end(&state.pool, session.id).await
    {
        tracing::error!(error = ?e, "ending a login session failed");
        return pages::unavailable(frame);
    }
    let jar = jar.remove(Cookie::build(SESSION_COOKIE).path("/"));
    let answer = match redirect {
        Some(uri) => {
            let pairs: Vec<(&str, &str)> = params.get("state").map(|s| ("state", s)).into_iter().collect();
            super::authorize::redirect_with(uri, &pairs)
        }
        None => pages::logged_out(frame),
    };
    (jar, answer).into_response()
}

/// Whether an ID token hint was issued in `session`: its person and its `sid`.
fn hint_names_session(hint: &IdTokenClaims, session: &LoginSession) -> bool {
    hint.sid == Some(session.id) && hint.sub == session.person.to_string()
}
