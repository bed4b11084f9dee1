// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Token signing keys (ES256), kept in PostgreSQL so every idp instance signs with the same key.
//!
//! The newest key that is not retired signs. Rotation adds a key and retires the others; a
//! retired key stays published in the JWKS until every token it signed has expired, so clients
//! never meet a token they cannot verify.
//!
//! Private keys are stored sealed with a key-encryption key from a file ([`super::kek`]); every
//! function that writes one takes the KEKs. Rows from before sealing existed keep their plaintext
//! until [`seal_plaintext`] (called by the idp at start, before it serves) seals them.

use super::kek::{KekError, KeyEncryptionKeys, Sealed};
use crate::Result;
use crate::audit::{self, Action, Origin};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::pkcs8::EncodePrivateKey;
use rand_core::OsRng;
use secrecy::{ExposeSecret, SecretSlice};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sqlx::{PgExecutor, PgPool, Postgres, Transaction};
use time::{Duration, OffsetDateTime};

/// A stored private key: sealed, or (only until the idp's next start after the upgrade that
/// introduced sealing) plaintext PKCS#8 DER.
#[derive(Clone)]
pub enum StoredPrivateKey {
    Sealed(Sealed),
    Plaintext(SecretSlice<u8>),
}

/// A key pair as stored.
#[derive(Clone)]
pub struct SigningKey {
    pub kid: String,
    /// The private key as stored; [`SigningKey::private_der`] opens it.
    pub private_key: StoredPrivateKey,
    /// The public key as a JWK (`kty`, `crv`, `x`, `y`, `kid`, `use`, `alg`).
    pub public_jwk: Value,
    pub created_at: OffsetDateTime,
    pub retired_at: Option<OffsetDateTime>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("retired_at", &self.retired_at)
            .finish_non_exhaustive()
    }
}

struct Generated {
    kid: String,
    private_der: Vec<u8>,
    public_jwk: Value,
}

fn generate() -> Result<Generated> {
    let secret = p256::SecretKey::random(&mut OsRng);
    let private_der =
        secret.to_pkcs8_der().map_err(|_| crate::DomainError::KeyGeneration)?.as_bytes().to_vec();
    let point = secret.public_key().to_encoded_point(false);
    let (Some(x), Some(y)) = (point.x(), point.y()) else {
        return Err(crate::DomainError::KeyGeneration);
    };
    let (x, y) = (URL_SAFE_NO_PAD.encode(x), URL_SAFE_NO_PAD.encode(y));
    // RFC 7638 thumbprint: the required members in lexical order, no whitespace.
    let canonical = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
    let kid = URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()));
    let public_jwk =
        json!({ "kty": "EC", "crv": "P-256", "x": x, "y": y, "kid": kid, "use": "sig", "alg": "ES256" });
    Ok(Generated { kid, private_der, public_jwk })
}

/// Serialises key changes between idp instances and the CLI.
async fn lock(tx: &mut Transaction<'_, Postgres>) -> Result<()> {
    sqlx::query!("SELECT pg_advisory_xact_lock(hashtext('oidc_signing_key'))").execute(&mut **tx).await?;
    Ok(())
}

fn seal(keks: &KeyEncryptionKeys, kid: &str, private_der: &[u8]) -> Result<Sealed> {
    keks.seal(kid, private_der).map_err(|_| crate::DomainError::KeyGeneration)
}

async fn insert(tx: &mut Transaction<'_, Postgres>, keks: &KeyEncryptionKeys, key: &Generated) -> Result<()> {
    let sealed = seal(keks, &key.kid, &key.private_der)?;
    sqlx::query!(
        r#"INSERT INTO oidc_signing_key (kid, algorithm, sealed_private_key, kek_id, public_jwk)
           VALUES ($1, 'ES256', $2, $3, $4)"#,
        key.kid,
        sealed.bytes,
        sealed.kek_id,
        key.public_jwk,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Makes sure a signing key exists (the idp calls this at start). Returns whether it made one.
pub async fn ensure(pool: &PgPool, keks: &KeyEncryptionKeys) -> Result<bool> {
    let mut tx = pool.begin().await?;
    lock(&mut tx).await?;
    let exists = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM oidc_signing_key WHERE retired_at IS NULL) AS "exists!""#
    )
    .fetch_one(&mut *tx)
    .await?;
    if !exists {
        insert(&mut tx, keks, &generate()?).await?;
    }
    tx.commit().await?;
    Ok(!exists)
}

/// Adds a new signing key and retires the others. Returns the new key's id.
pub async fn rotate(
    tx: &mut Transaction<'_, Postgres>,
    origin: Origin<'_>,
    keks: &KeyEncryptionKeys,
) -> Result<String> {
    lock(tx).await?;
    let key = generate()?;
    sqlx::query!("UPDATE oidc_signing_key SET retired_at = now() WHERE retired_at IS NULL")
        .execute(&mut **tx)
        .await?;
    insert(tx, keks, &key).await?;
    audit::record(tx, origin, None, Action::SigningKeyRotated, json!({ "kid": key.kid })).await?;
    Ok(key.kid)
}

/// Keys to publish: the current one and those retired less than `token_lifetime` ago, newest
/// first (the first is the one that signs).
pub async fn published<'e>(
    executor: impl PgExecutor<'e>,
    token_lifetime: Duration,
) -> Result<Vec<SigningKey>> {
    let rows = sqlx::query!(
        r#"SELECT kid, private_der, sealed_private_key, kek_id, public_jwk, created_at, retired_at
           FROM oidc_signing_key
           WHERE retired_at IS NULL OR retired_at > now() - make_interval(secs => $1)
           ORDER BY retired_at IS NOT NULL, created_at DESC"#,
        token_lifetime.as_seconds_f64(),
    )
    .fetch_all(executor)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| SigningKey {
            private_key: stored(r.private_der, r.sealed_private_key, r.kek_id),
            kid: r.kid,
            public_jwk: r.public_jwk,
            created_at: r.created_at,
            retired_at: r.retired_at,
        })
        .collect())
}

/// Deletes keys retired longer than `token_lifetime` ago: nothing they signed is valid any more.
pub async fn prune<'e>(executor: impl PgExecutor<'e>, token_lifetime: Duration) -> Result<u64> {
    let deleted = sqlx::query!(
        "DELETE FROM oidc_signing_key WHERE retired_at <= now() - make_interval(secs => $1)",
        token_lifetime.as_seconds_f64(),
    )
    .execute(executor)
    .await?;
    Ok(deleted.rows_affected())
}

fn stored(plaintext: Option<Vec<u8>>, sealed: Option<Vec<u8>>, kek_id: Option<String>) -> StoredPrivateKey {
    match (sealed, kek_id, plaintext) {
        (Some(bytes), Some(kek_id), _) => StoredPrivateKey::Sealed(Sealed { kek_id, bytes }),
        // The table's CHECK allows only these two forms; an empty key opens as nothing usable.
        (_, _, plaintext) => StoredPrivateKey::Plaintext(SecretSlice::from(plaintext.unwrap_or_default())),
    }
}

impl SigningKey {
    /// The private key, PKCS#8 DER, for the signer only.
    pub fn private_der(&self, keks: &KeyEncryptionKeys) -> std::result::Result<SecretSlice<u8>, KekError> {
        match &self.private_key {
            StoredPrivateKey::Sealed(sealed) => keks.open(&self.kid, sealed),
            StoredPrivateKey::Plaintext(der) => Ok(SecretSlice::from(der.expose_secret().to_vec())),
        }
    }

    /// Whether the private key is still stored in the clear (written before sealing existed).
    pub fn is_plaintext(&self) -> bool {
        matches!(self.private_key, StoredPrivateKey::Plaintext(_))
    }
}

/// Why the stored keys cannot be used with the KEKs given.
#[derive(Debug, thiserror::Error)]
pub enum UnsealError {
    #[error("signing key {kid}: {reason}")]
    Key { kid: String, reason: KekError },
    #[error(transparent)]
    Domain(#[from] crate::DomainError),
}

/// What [`seal_plaintext`] found.
#[derive(Debug, Default)]
pub struct SealReport {
    /// Keys that were stored in the clear and are sealed now.
    pub sealed: u64,
    /// Sealed keys that do not open with the KEKs given: `(kid, why, retired)`.
    pub unopenable: Vec<(String, KekError, bool)>,
}

/// Seals every private key still stored in the clear and clears its plaintext, and tries to
/// open every sealed key with `keks` (a wrong KEK file must stop the idp at start, not at the
/// first rotation: the caller decides from the report).
pub async fn seal_plaintext(pool: &PgPool, keks: &KeyEncryptionKeys) -> Result<SealReport> {
    let mut tx = pool.begin().await?;
    lock(&mut tx).await?;
    let rows = sqlx::query!(
        r#"SELECT kid, private_der, sealed_private_key, kek_id, retired_at IS NOT NULL AS "retired!"
           FROM oidc_signing_key ORDER BY kid FOR UPDATE"#
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut report = SealReport::default();
    for row in rows {
        match (row.sealed_private_key, row.kek_id, row.private_der) {
            (Some(bytes), Some(kek_id), _) => {
                if let Err(reason) = keks.open(&row.kid, &Sealed { kek_id, bytes }) {
                    report.unopenable.push((row.kid, reason, row.retired));
                }
            }
            (_, _, Some(plaintext)) => {
                let sealed = seal(keks, &row.kid, &plaintext)?;
                write_sealed(&mut tx, &row.kid, &sealed).await?;
                report.sealed += 1;
            }
            _ => {}
        }
    }
    tx.commit().await?;
    Ok(report)
}

/// Retires the keys `kids` (they stay published for verification until they age out). For a
/// development idp that lost its throwaway KEK: [`ensure`] then makes a new key.
pub async fn retire(pool: &PgPool, kids: &[String]) -> Result<u64> {
    let retired = sqlx::query!(
        "UPDATE oidc_signing_key SET retired_at = now() WHERE kid = ANY($1) AND retired_at IS NULL",
        kids,
    )
    .execute(pool)
    .await?;
    Ok(retired.rows_affected())
}

async fn write_sealed(tx: &mut Transaction<'_, Postgres>, kid: &str, sealed: &Sealed) -> Result<()> {
    sqlx::query!(
        r#"UPDATE oidc_signing_key SET sealed_private_key = $2, kek_id = $3, private_der = NULL
           WHERE kid = $1"#,
        kid,
        sealed.bytes,
        sealed.kek_id,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Seals every private key again with the first KEK of `keys` (after a new KEK was put first
/// in the file), so the older KEKs can be removed. Every key must open with one of `keys`.
/// Returns how many keys were rewritten.
pub async fn rewrap(
    tx: &mut Transaction<'_, Postgres>,
    origin: Origin<'_>,
    keks: &KeyEncryptionKeys,
) -> std::result::Result<u64, UnsealError> {
    lock(tx).await?;
    let rows = sqlx::query!(
        "SELECT kid, private_der, sealed_private_key, kek_id FROM oidc_signing_key ORDER BY kid FOR UPDATE"
    )
    .fetch_all(&mut **tx)
    .await
    .map_err(crate::DomainError::from)?;
    let mut rewritten = Vec::new();
    for row in rows {
        let key = SigningKey {
            private_key: stored(row.private_der, row.sealed_private_key, row.kek_id),
            kid: row.kid.clone(),
            public_jwk: Value::Null,
            created_at: OffsetDateTime::UNIX_EPOCH,
            retired_at: None,
        };
        let der =
            key.private_der(keks).map_err(|reason| UnsealError::Key { kid: row.kid.clone(), reason })?;
        write_sealed(tx, &row.kid, &seal(keks, &row.kid, der.expose_secret())?).await?;
        rewritten.push(row.kid);
    }
    audit::record(
        tx,
        origin,
        None,
        Action::SigningKeysRewrapped,
        json!({ "kek": keks.sealing_id(), "kids": rewritten }),
    )
    .await?;
    Ok(rewritten.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_have_thumbprint_ids_and_public_jwks() {
        let a = generate().unwrap();
        let b = generate().unwrap();
        assert_ne!(a.kid, b.kid);
        assert_eq!(a.kid.len(), 43);
        assert_eq!(a.public_jwk["kid"], a.kid.as_str());
        assert_eq!(a.public_jwk["crv"], "P-256");
        assert!(a.public_jwk.get("d").is_none(), "the private part must never be in the JWK");
    }
}
