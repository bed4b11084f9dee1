// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The signing keys in memory: the current key signs, every published key verifies.
//!
//! Keys live in PostgreSQL (`domain::oidc::keys`). Each instance reloads them every minute, and
//! at once (at most every few seconds) when it meets a `kid` it does not know, so a rotation by
//! `cdb-admin keys rotate` reaches every instance without a restart.

use arc_swap::ArcSwap;
use domain::oidc::keys;
use jsonwebtoken::DecodingKey;
use jsonwebtoken::jwk::Jwk;
use p256::ecdsa::SigningKey;
use p256::pkcs8::DecodePrivateKey;
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// How often keys are reloaded from the database.
pub const RELOAD_EVERY: Duration = Duration::from_secs(60);
/// Least time between two reloads caused by unknown key ids (a flood of forged `kid`s must not
/// become a flood of queries).
const UNKNOWN_KID_RELOAD_GAP: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("no signing key in the database")]
    NoKey,
    #[error("stored key {kid} cannot be used: {reason}")]
    Unusable { kid: String, reason: String },
    #[error(transparent)]
    Domain(#[from] domain::DomainError),
}

/// The current signing key, parsed once per load: parsing derives the public key, which costs
/// as much as a signature (see `tokens::sign`).
pub struct Signer {
    pub kid: String,
    pub key: SigningKey,
}

struct Loaded {
    signer: Signer,
    verifiers: HashMap<String, DecodingKey>,
    /// The JWKS document, serialised once per load.
    jwks: Arc<str>,
}

pub struct KeyRing {
    pool: PgPool,
    token_lifetime: time::Duration,
    loaded: ArcSwap<Loaded>,
    last_reload: Mutex<Instant>,
}

impl KeyRing {
    pub async fn load(pool: PgPool, token_lifetime: time::Duration) -> Result<Self, KeyError> {
        let loaded = fetch(&pool, token_lifetime).await?;
        Ok(Self {
            pool,
            token_lifetime,
            loaded: ArcSwap::from_pointee(loaded),
            last_reload: Mutex::new(Instant::now()),
        })
    }

    pub async fn reload(&self) -> Result<(), KeyError> {
        let loaded = fetch(&self.pool, self.token_lifetime).await?;
        self.loaded.store(Arc::new(loaded));
        *self.last_reload.lock().await = Instant::now();
        Ok(())
    }

    /// Calls `f` with the current signing key.
    pub fn with_signer<T>(&self, f: impl FnOnce(&Signer) -> T) -> T {
        f(&self.loaded.load().signer)
    }

    pub fn jwks(&self) -> Arc<str> {
        self.loaded.load().jwks.clone()
    }

    /// The verification key for `kid`, reloading once if it is unknown.
    pub async fn verifier(&self, kid: &str) -> Option<DecodingKey> {
        if let Some(key) = self.loaded.load().verifiers.get(kid) {
            return Some(key.clone());
        }
        {
            let mut last = self.last_reload.lock().await;
            if last.elapsed() < UNKNOWN_KID_RELOAD_GAP {
                return None;
            }
            *last = Instant::now();
        }
        if let Err(e) = self.reload().await {
            tracing::warn!(error = %e, "reloading signing keys failed");
        }
        self.loaded.load().verifiers.get(kid).cloned()
    }
}

async fn fetch(pool: &PgPool, token_lifetime: time::Duration) -> Result<Loaded, KeyError> {
    let published = keys::published(pool, token_lifetime).await?;
    let current = published.first().ok_or(KeyError::NoKey)?;
    let unusable = |kid: &str, reason: String| KeyError::Unusable { kid: kid.to_owned(), reason };
    let key = SigningKey::from_pkcs8_der(current.private_der())
        .map_err(|e| unusable(&current.kid, e.to_string()))?;
    let signer = Signer { kid: current.kid.clone(), key };
    let mut verifiers = HashMap::new();
    let mut jwks = Vec::new();
    for key in &published {
        let jwk: Jwk =
            serde_json::from_value(key.public_jwk.clone()).map_err(|e| unusable(&key.kid, e.to_string()))?;
        let decoding = DecodingKey::from_jwk(&jwk).map_err(|e| unusable(&key.kid, e.to_string()))?;
        verifiers.insert(key.kid.clone(), decoding);
        jwks.push(key.public_jwk.clone());
    }
    let jwks = serde_json::json!({ "keys": jwks }).to_string();
    Ok(Loaded { signer, verifiers, jwks: Arc::from(jwks) })
}
