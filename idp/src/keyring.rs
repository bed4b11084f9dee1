// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The signing keys in memory: the current key signs, every published key verifies.
//!
//! Keys live in PostgreSQL (`domain::oidc::keys`). Each instance reloads them every minute, and
//! at once (at most every few seconds) when it meets a `kid` it does not know, so a rotation by
//! `cdb-admin keys rotate` reaches every instance without a restart.
//!
//! The private keys are sealed in the database with the key-encryption keys (KEKs) of
//! `idp.key_encryption_key_file` (`domain::oidc::kek`). At start, before serving, the ring seals
//! any key still stored in the clear (rows from before sealing existed) and refuses to start when
//! a stored key does not open with the file, naming the setting. Only the current signing key is
//! opened, once per load; verifying needs the public keys only.

use arc_swap::ArcSwap;
use domain::oidc::kek::KeyEncryptionKeys;
use domain::oidc::keys;
use hosting::config::IdpSettings;
use jsonwebtoken::DecodingKey;
use jsonwebtoken::jwk::Jwk;
use p256::ecdsa::SigningKey;
use p256::pkcs8::DecodePrivateKey;
use secrecy::ExposeSecret;
use sqlx::PgPool;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// How often keys are reloaded from the database.
pub const RELOAD_EVERY: Duration = Duration::from_secs(60);
/// Least time between two reloads caused by unknown key ids (a flood of forged `kid`s must not
/// become a flood of queries).
const UNKNOWN_KID_RELOAD_GAP: Duration = Duration::from_secs(5);

/// The setting every KEK problem names.
const KEK_SETTING: &str = "idp.key_encryption_key_file / CDB_IDP__KEY_ENCRYPTION_KEY_FILE";

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("no signing key in the database")]
    NoKey,
    /// The KEK file is missing, unreadable or malformed, or does not open the stored keys.
    #[error("{KEK_SETTING}: {0}")]
    Kek(String),
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
    keks: KeyEncryptionKeys,
    token_lifetime: time::Duration,
    loaded: ArcSwap<Loaded>,
    last_reload: Mutex<Instant>,
}

impl KeyRing {
    /// Reads the KEKs named by `settings`, seals what is stored in the clear, makes the first
    /// signing key if there is none, and loads the keys. Called once at start.
    pub async fn start(
        pool: PgPool,
        settings: &IdpSettings,
        token_lifetime: time::Duration,
    ) -> Result<Self, KeyError> {
        let (keks, throwaway) = read_keks(settings)?;
        let report = keys::seal_plaintext(&pool, &keks).await?;
        if report.sealed > 0 {
            tracing::info!(keys = report.sealed, "sealed signing keys that were stored in the clear");
        }
        if !report.unopenable.is_empty() {
            if !throwaway {
                let (kid, reason, _) = &report.unopenable[0];
                let file = settings.key_encryption_key_file.as_deref().unwrap_or(Path::new(""));
                return Err(KeyError::Kek(format!(
                    "{}: stored signing key {kid} does not open ({reason}); is this the file the \
                     database was sealed with?",
                    file.display()
                )));
            }
            // Development without a file: the keys of an earlier start are lost with its
            // throwaway KEK. Retired, they still verify what they signed; a new key signs.
            let kids: Vec<String> = report.unopenable.into_iter().map(|(kid, _, _)| kid).collect();
            keys::retire(&pool, &kids).await?;
            tracing::warn!(keys = kids.len(), "retired signing keys sealed with an earlier throwaway KEK");
        }
        if keys::ensure(&pool, &keks).await? {
            tracing::info!("created the first token signing key");
        }
        Self::load(pool, keks, token_lifetime).await
    }

    pub async fn load(
        pool: PgPool,
        keks: KeyEncryptionKeys,
        token_lifetime: time::Duration,
    ) -> Result<Self, KeyError> {
        let loaded = fetch(&pool, &keks, token_lifetime).await?;
        Ok(Self {
            pool,
            keks,
            token_lifetime,
            loaded: ArcSwap::from_pointee(loaded),
            last_reload: Mutex::new(Instant::now()),
        })
    }

    pub async fn reload(&self) -> Result<(), KeyError> {
        let loaded = fetch(&self.pool, &self.keks, self.token_lifetime).await?;
        self.loaded.store(Arc::new(loaded));
        *self.last_reload.lock().await = Instant::now();
        Ok(())
    }

    /// Calls `f` with the current signing key.
    pub fn with_signer<T>(&self, f: impl FnOnce(&Signer) -> T) -> T {
        f(&self.loaded.load().signer)
    }

    /// The key-encryption keys this ring opens with (what `keys::rotate` must seal with).
    pub fn key_encryption_keys(&self) -> &KeyEncryptionKeys {
        &self.keks
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

async fn fetch(
    pool: &PgPool,
    keks: &KeyEncryptionKeys,
    token_lifetime: time::Duration,
) -> Result<Loaded, KeyError> {
    let published = keys::published(pool, token_lifetime).await?;
    let current = published.first().ok_or(KeyError::NoKey)?;
    let unusable = |kid: &str, reason: String| KeyError::Unusable { kid: kid.to_owned(), reason };
    let der =
        current.private_der(keks).map_err(|e| KeyError::Kek(format!("signing key {}: {e}", current.kid)))?;
    let key =
        SigningKey::from_pkcs8_der(der.expose_secret()).map_err(|e| unusable(&current.kid, e.to_string()))?;
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

/// The KEKs of `idp.key_encryption_key_file`, and whether they are a throwaway key (development
/// without a file). In development (a loopback `http://` issuer) a configured file that does not
/// exist yet is created with one new key (mode 600); anywhere else the file must exist.
pub fn read_keks(settings: &IdpSettings) -> Result<(KeyEncryptionKeys, bool), KeyError> {
    let development = settings.is_local_development();
    let Some(path) = settings.key_encryption_key_file.as_deref() else {
        if !development {
            return Err(KeyError::Kek(
                "not set; it is required unless idp.public_url is a loopback http:// address".into(),
            ));
        }
        tracing::warn!(
            "idp.key_encryption_key_file is not set: signing keys are sealed with a throwaway key \
             and replaced at the next start (development only)"
        );
        let keks = KeyEncryptionKeys::parse(&KeyEncryptionKeys::new_file_line("throwaway"))
            .map_err(|e| KeyError::Kek(e.to_string()))?;
        return Ok((keks, true));
    };
    let named = |problem: String| KeyError::Kek(format!("{}: {problem}", path.display()));
    if development && !path.exists() {
        create_file(path).map_err(|e| named(format!("cannot create it: {e}")))?;
        tracing::info!(file = %path.display(), "created a key-encryption key file (development)");
    }
    let text = std::fs::read_to_string(path).map_err(|e| named(format!("cannot read it: {e}")))?;
    let keks = KeyEncryptionKeys::parse(&text).map_err(|e| named(e.to_string()))?;
    Ok((keks, false))
}

fn create_file(path: &Path) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    let id = format!("local-{}", time::OffsetDateTime::now_utc().date());
    file.write_all(
        format!(
            "# Key-encryption keys of the idp's signing keys (idp.key_encryption_key_file).\n\
             # The first line seals, every line opens; see docs/idp.md before changing it.\n{}",
            KeyEncryptionKeys::new_file_line(&id)
        )
        .as_bytes(),
    )?;
    file.sync_all()
}
