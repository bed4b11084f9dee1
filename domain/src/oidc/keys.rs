// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Token signing keys (ES256), kept in PostgreSQL so every idp instance signs with the same key.
//!
//! The newest key that is not retired signs. Rotation adds a key and retires the others; a
//! retired key stays published in the JWKS until every token it signed has expired, so clients
//! never meet a token they cannot verify.

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

/// A key pair as stored.
#[derive(Clone)]
pub struct SigningKey {
    pub kid: String,
    /// The private key, PKCS#8 DER.
    pub private_der: SecretSlice<u8>,
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

async fn insert(tx: &mut Transaction<'_, Postgres>, key: &Generated) -> Result<()> {
    sqlx::query!(
        "INSERT INTO oidc_signing_key (kid, algorithm, private_der, public_jwk) VALUES ($1, 'ES256', $2, $3)",
        key.kid,
        key.private_der,
        key.public_jwk,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Makes sure a signing key exists (the idp calls this at start). Returns whether it made one.
pub async fn ensure(pool: &PgPool) -> Result<bool> {
    let mut tx = pool.begin().await?;
    lock(&mut tx).await?;
    let exists = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM oidc_signing_key WHERE retired_at IS NULL) AS "exists!""#
    )
    .fetch_one(&mut *tx)
    .await?;
    if !exists {
        insert(&mut tx, &generate()?).await?;
    }
    tx.commit().await?;
    Ok(!exists)
}

/// Adds a new signing key and retires the others. Returns the new key's id.
pub async fn rotate(tx: &mut Transaction<'_, Postgres>, origin: Origin<'_>) -> Result<String> {
    lock(tx).await?;
    let key = generate()?;
    sqlx::query!("UPDATE oidc_signing_key SET retired_at = now() WHERE retired_at IS NULL")
        .execute(&mut **tx)
        .await?;
    insert(tx, &key).await?;
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
        r#"SELECT kid, private_der, public_jwk, created_at, retired_at FROM oidc_signing_key
           WHERE retired_at IS NULL OR retired_at > now() - make_interval(secs => $1)
           ORDER BY retired_at IS NOT NULL, created_at DESC"#,
        token_lifetime.as_seconds_f64(),
    )
    .fetch_all(executor)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| SigningKey {
            kid: r.kid,
            private_der: SecretSlice::from(r.private_der),
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

impl SigningKey {
    /// The private key bytes, for the signer only.
    pub fn private_der(&self) -> &[u8] {
        self.private_der.expose_secret()
    }
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
