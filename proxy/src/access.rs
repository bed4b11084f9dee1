// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Edge access rules: a protected path needs an access token from the idp (`typ: at+jwt`,
//! RFC 9068) whose `groups` claim shares a group with the rule, issued for `access.audience`.
//! Tokens are checked offline against the idp's JWKS, which is fetched at start, again every
//! `access.jwks_refresh_secs` (so a key the idp retired stops opening paths within that time),
//! and when an unknown `kid` appears (at most once every few seconds, so forged `kid`s cannot
//! make the proxy hammer the idp). When the idp cannot be reached the keys last fetched stay:
//! the proxy must keep serving during an idp outage.
//!
//! Offline checks cannot see a revocation: a revoked token opens paths until its `exp` (plus
//! 5 s leeway), at most the idp's access-token lifetime (10 minutes by default).

use crate::config::Access;
use bytes::Bytes;
use http::HeaderMap;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, RwLock};

const REFRESH_AT_MOST_EVERY: Duration = Duration::from_secs(5);
const ALLOWED: [Algorithm; 5] =
    [Algorithm::ES256, Algorithm::ES384, Algorithm::RS256, Algorithm::PS256, Algorithm::EdDSA];

/// Why a request to a protected path is refused; the text goes to the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denied {
    /// 401: no token, or one that is not valid (expired, forged, wrong issuer …).
    Unauthenticated(&'static str),
    /// 403: a valid token without any of the groups.
    Forbidden,
    /// 503: the idp's keys cannot be fetched and none are cached.
    KeysUnavailable,
}

#[derive(Deserialize)]
struct Claims {
    #[serde(default)]
    groups: Vec<String>,
}

type HttpsClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Empty<Bytes>>;

type Keys = HashMap<String, (DecodingKey, Option<Algorithm>)>;

pub struct Gate {
    settings: Access,
    keys: RwLock<Keys>,
    last_fetch: Mutex<Option<Instant>>,
    client: HttpsClient,
    /// The scheduled refresh (`spawn_refresh`); stops when the gate is dropped (reload).
    refresher: std::sync::Mutex<Option<tokio::task::AbortHandle>>,
}

impl Drop for Gate {
    fn drop(&mut self) {
        if let Some(task) = self.refresher.get_mut().ok().and_then(Option::take) {
            task.abort();
        }
    }
}

impl Gate {
    pub fn new(settings: Access) -> Result<Self, String> {
        let tls = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(crate::tls::provider())
            .map_err(|e| format!("access: no trusted roots for fetching the idp's keys: {e}"))?
            .https_or_http()
            .enable_http1()
            .build();
        let client = Client::builder(hyper_util::rt::TokioExecutor::new()).build(tls);
        Ok(Self {
            settings,
            keys: RwLock::new(HashMap::new()),
            last_fetch: Mutex::new(None),
            client,
            refresher: std::sync::Mutex::new(None),
        })
    }

    /// Fetches the keys now and then every `jwks_refresh_secs`, replacing the whole set, so
    /// keys the idp no longer publishes are forgotten. Once per gate; needs a tokio runtime.
    pub fn spawn_refresh(self: &Arc<Self>) {
        let mut refresher = self.refresher.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if refresher.is_some() {
            return;
        }
        let gate = Arc::downgrade(self);
        let every = Duration::from_secs(self.settings.jwks_refresh_secs);
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(gate) = gate.upgrade() else { return };
                gate.refresh().await;
            }
        });
        *refresher = Some(task.abort_handle());
    }

    async fn refresh(&self) {
        let mut last = self.last_fetch.lock().await;
        *last = Some(Instant::now());
        self.store(self.fetch().await).await;
    }

    /// Replaces the keys with a fetched set; on failure keeps the old ones and says so.
    async fn store(&self, fetched: Result<Keys, String>) {
        match fetched {
            Ok(keys) => *self.keys.write().await = keys,
            Err(error) => {
                tracing::warn!(url = %self.settings.jwks_url(), %error, "cannot fetch the idp's keys");
            }
        }
    }

    pub fn settings(&self) -> &Access {
        &self.settings
    }

    /// Checks the request's token against a rule's groups.
    pub async fn check(&self, headers: &HeaderMap, groups: &[String]) -> Result<(), Denied> {
        let token = self.token(headers).ok_or(Denied::Unauthenticated("an access token is required"))?;
        let header =
            jsonwebtoken::decode_header(token).map_err(|_| Denied::Unauthenticated("malformed token"))?;
        let typ_ok = header.typ.as_deref().is_some_and(|typ| {
            typ.eq_ignore_ascii_case("at+jwt") || typ.eq_ignore_ascii_case("application/at+jwt")
        });
        if !typ_ok {
            return Err(Denied::Unauthenticated("not an access token"));
        }
        if !ALLOWED.contains(&header.alg) {
            return Err(Denied::Unauthenticated("unsupported algorithm"));
        }
        let kid = header.kid.ok_or(Denied::Unauthenticated("token names no key"))?;
        let (key, alg) = self.key(&kid).await?;
        if alg.is_some_and(|alg| alg != header.alg) {
            return Err(Denied::Unauthenticated("algorithm does not match the key"));
        }
        let mut validation = Validation::new(header.alg);
        validation.leeway = 5;
        validation.set_issuer(&[self.settings.issuer.as_str()]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        match &self.settings.audience {
            Some(audience) => validation.set_audience(&[audience.as_str()]),
            // Only with `any_audience = true`: the settings refuse neither being set.
            None => validation.validate_aud = false,
        }
        let claims = jsonwebtoken::decode::<Claims>(token, &key, &validation).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind;
            Denied::Unauthenticated(match e.kind() {
                ErrorKind::ExpiredSignature => "token expired",
                ErrorKind::InvalidIssuer => "token from another issuer",
                ErrorKind::InvalidAudience => "token for another audience",
                ErrorKind::InvalidSignature => "token signature invalid",
                _ => "token invalid",
            })
        })?;
        if claims.claims.groups.iter().any(|g| groups.contains(g)) { Ok(()) } else { Err(Denied::Forbidden) }
    }

    fn token<'h>(&self, headers: &'h HeaderMap) -> Option<&'h str> {
        if let Some(value) = headers.get(http::header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
            let (scheme, token) = value.split_once(' ')?;
            return scheme.eq_ignore_ascii_case("bearer").then(|| token.trim());
        }
        let name = self.settings.cookie.as_deref()?;
        headers
            .get_all(http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v)
    }

    async fn key(&self, kid: &str) -> Result<(DecodingKey, Option<Algorithm>), Denied> {
        if let Some(found) = self.keys.read().await.get(kid) {
            return Ok(found.clone());
        }
        {
            let mut last = self.last_fetch.lock().await;
            // Another request may have fetched while this one waited.
            if let Some(found) = self.keys.read().await.get(kid) {
                return Ok(found.clone());
            }
            if last.is_some_and(|at| at.elapsed() < REFRESH_AT_MOST_EVERY) {
                return Err(Denied::Unauthenticated("unknown signing key"));
            }
            *last = Some(Instant::now());
            let fetched = self.fetch().await;
            let failed = fetched.is_err();
            self.store(fetched).await;
            if failed && self.keys.read().await.is_empty() {
                return Err(Denied::KeysUnavailable);
            }
        }
        self.keys.read().await.get(kid).cloned().ok_or(Denied::Unauthenticated("unknown signing key"))
    }

    async fn fetch(&self) -> Result<Keys, String> {
        let uri: http::Uri = self.settings.jwks_url().parse().map_err(|e| format!("{e}"))?;
        let request = http::Request::get(uri).body(Empty::new()).map_err(|e| e.to_string())?;
        let response = tokio::time::timeout(Duration::from_secs(5), self.client.request(request))
            .await
            .map_err(|_| "timed out".to_owned())?
            .map_err(|e| e.to_string())?;
        if !response.status().is_success() {
            return Err(format!("status {}", response.status()));
        }
        let body = Limited::new(response.into_body(), 1 << 20).collect().await.map_err(|e| e.to_string())?;
        let set: JwkSet = serde_json::from_slice(&body.to_bytes()).map_err(|e| e.to_string())?;
        let mut keys = HashMap::new();
        for jwk in &set.keys {
            let Some(kid) = jwk.common.key_id.clone() else { continue };
            let alg = jwk.common.key_algorithm.and_then(|a| a.to_string().parse::<Algorithm>().ok());
            if let Ok(key) = DecodingKey::from_jwk(jwk) {
                keys.insert(kid, (key, alg));
            }
        }
        Ok(keys)
    }
}
