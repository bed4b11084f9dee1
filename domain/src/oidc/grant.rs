// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Grants and what they issue: authorization codes, refresh tokens, and the revocation list of
//! access tokens.
//!
//! Rules (RFC 6749 §4.1.2 and §10.5, RFC 9700 §2.2 and §4.14):
//! - a code is single use and lives 60 seconds; presenting a used code again revokes the grant
//!   it started, so a stolen code cannot yield tokens and the tokens already issued die too;
//! - the PKCE verifier must hash to the challenge (S256 only);
//! - refresh tokens rotate; presenting a used one revokes the whole grant (reuse detection);
//! - a refresh may narrow the scopes, never widen them (RFC 6749 §6); a request for more is
//!   refused before the token is used, so the same token still works for a proper request.

use super::secret::{self, SecretHash};
use super::types::{ClientId, Scopes};
use crate::Result;
use crate::types::PersonId;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use secrecy::SecretString;
use sha2::{Digest, Sha256};
use sqlx::{PgExecutor, PgPool, Postgres, Transaction};
use subtle::ConstantTimeEq;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// How long an authorization code is valid.
pub const CODE_LIFETIME: Duration = Duration::seconds(60);

/// What a person allowed a client, as recorded when the code was issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub id: Uuid,
    pub client: ClientId,
    pub person: PersonId,
    pub login_session: Option<Uuid>,
    pub scopes: Scopes,
    pub auth_time: OffsetDateTime,
}

/// What `/authorize` hands to `issue_code` once the person is known.
#[derive(Debug, Clone)]
pub struct CodeRequest<'a> {
    pub client: &'a ClientId,
    pub person: PersonId,
    pub login_session: Uuid,
    pub auth_time: OffsetDateTime,
    pub scopes: &'a Scopes,
    pub redirect_uri: &'a str,
    pub nonce: Option<&'a str>,
    /// The PKCE S256 challenge, base64url of a SHA-256 digest (43 characters).
    pub code_challenge: &'a str,
}

/// Starts a grant and returns its authorization code (shown once).
pub async fn issue_code(pool: &PgPool, request: &CodeRequest<'_>) -> Result<SecretString> {
    let code = secret::generate();
    let code_hash = SecretHash::of_secret(&code);
    let mut tx = pool.begin().await?;
    let grant = Uuid::new_v4();
    sqlx::query!(
        r#"INSERT INTO oidc_grant (id, client_id, person_id, login_session_id, scopes, auth_time)
           VALUES ($1, $2, $3, $4, $5, $6)"#,
        grant,
        request.client.as_str(),
        request.person as PersonId,
        request.login_session,
        &request.scopes.to_db(),
        request.auth_time,
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        r#"INSERT INTO oidc_authorization_code (code_hash, grant_id, redirect_uri, nonce, code_challenge, expires_at)
           VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6))"#,
        code_hash.as_bytes(),
        grant,
        request.redirect_uri,
        request.nonce,
        request.code_challenge,
        CODE_LIFETIME.as_seconds_f64(),
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(code)
}

/// A code exchanged successfully.
#[derive(Debug, Clone)]
pub struct Redeemed {
    pub grant: Grant,
    pub nonce: Option<String>,
}

/// Why a code or refresh token was refused. The token endpoint answers all of them with
/// `invalid_grant`; the variants exist for logs and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Unknown, or issued to another client.
    Unknown,
    Expired,
    /// Used before: the grant has now been revoked.
    Replayed,
    /// Revoked earlier (logout, revocation, an earlier replay).
    Revoked,
    /// The redirect URI differs from the one in the authorization request.
    RedirectMismatch,
    /// The PKCE verifier does not match the challenge (or is malformed).
    VerifierMismatch,
    /// The person's account has been disabled since.
    AccountDisabled,
    /// A refresh asked for scopes the grant does not have (`invalid_scope`, not
    /// `invalid_grant`); the refresh token was left unused.
    ScopeNotGranted,
}

/// Whether a PKCE verifier (RFC 7636 §4.1: 43–128 unreserved characters) hashes to `challenge`.
pub fn verifier_matches(verifier: &str, challenge: &str) -> bool {
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    well_formed && bool::from(computed.as_bytes().ct_eq(challenge.as_bytes()))
}

/// Exchanges a code. Every refusal leaves the code unusable.
pub async fn redeem_code(
    pool: &PgPool,
    client: &ClientId,
    code: &str,
    redirect_uri: &str,
    verifier: &str,
) -> Result<std::result::Result<Redeemed, Refusal>> {
    if !secret::looks_like_secret(code) {
        return Ok(Err(Refusal::Unknown));
    }
    let code_hash = SecretHash::of(code);
    let mut tx = pool.begin().await?;
    let row = sqlx::query!(
        r#"SELECT c.redirect_uri, c.nonce, c.code_challenge, c.expires_at < now() AS "expired!", c.used_at,
                  g.id AS grant_id, g.client_id, g.person_id AS "person: PersonId", g.login_session_id,
                  g.scopes, g.auth_time, g.revoked_at, a.disabled AS "disabled?"
           FROM oidc_authorization_code c JOIN oidc_grant g ON g.id = c.grant_id
           LEFT JOIN account a ON a.person_id = g.person_id
           WHERE c.code_hash = $1 FOR UPDATE OF c"#,
        code_hash.as_bytes(),
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else { return Ok(Err(Refusal::Unknown)) };
    if row.client_id != client.as_str() {
        return Ok(Err(Refusal::Unknown));
    }
    if row.used_at.is_some() {
        revoke_grant_in(&mut tx, row.grant_id).await?;
        tx.commit().await?;
        return Ok(Err(Refusal::Replayed));
    }
    sqlx::query!(
        "UPDATE oidc_authorization_code SET used_at = now() WHERE code_hash = $1",
        code_hash.as_bytes()
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    let refusal = if row.expired {
        Some(Refusal::Expired)
    } else if row.revoked_at.is_some() {
        Some(Refusal::Revoked)
    } else if row.redirect_uri != redirect_uri {
        Some(Refusal::RedirectMismatch)
    } else if !verifier_matches(verifier, &row.code_challenge) {
        Some(Refusal::VerifierMismatch)
    } else if row.disabled != Some(false) {
        Some(Refusal::AccountDisabled)
    } else {
        None
    };
    if let Some(refusal) = refusal {
        return Ok(Err(refusal));
    }
    let (Some(person), Some(_)) = (row.person, row.disabled) else { return Ok(Err(Refusal::Unknown)) };
    Ok(Ok(Redeemed {
        grant: Grant {
            id: row.grant_id,
            client: client.clone(),
            person,
            login_session: row.login_session_id,
            scopes: Scopes::from_db(row.scopes),
            auth_time: row.auth_time,
        },
        nonce: row.nonce,
    }))
}

/// Issues a refresh token in a grant.
pub async fn issue_refresh_token<'e>(
    executor: impl PgExecutor<'e>,
    grant: Uuid,
    lifetime: Duration,
) -> Result<SecretString> {
    let token = secret::generate();
    let token_hash = SecretHash::of_secret(&token);
    sqlx::query!(
        "INSERT INTO oidc_refresh_token (token_hash, grant_id, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))",
        token_hash.as_bytes(),
        grant,
        lifetime.as_seconds_f64(),
    )
    .execute(executor)
    .await?;
    Ok(token)
}

/// Uses a refresh token: marks it used and issues its successor in the same grant. With
/// `requested` scopes, the returned grant carries those (they must be a subset of the grant's);
/// asking for more is refused before anything changes.
pub async fn rotate_refresh_token(
    pool: &PgPool,
    client: &ClientId,
    token: &str,
    requested: Option<&Scopes>,
    lifetime: Duration,
) -> Result<std::result::Result<(Grant, SecretString), Refusal>> {
    if !secret::looks_like_secret(token) {
        return Ok(Err(Refusal::Unknown));
    }
    let token_hash = SecretHash::of(token);
    let mut tx = pool.begin().await?;
    let row = sqlx::query!(
        r#"SELECT t.expires_at < now() AS "expired!", t.used_at, g.id AS grant_id, g.client_id,
                  g.person_id AS "person: PersonId", g.login_session_id, g.scopes, g.auth_time, g.revoked_at,
                  a.disabled AS "disabled?"
           FROM oidc_refresh_token t JOIN oidc_grant g ON g.id = t.grant_id
           LEFT JOIN account a ON a.person_id = g.person_id
           WHERE t.token_hash = $1 FOR UPDATE OF t, g"#,
        token_hash.as_bytes(),
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else { return Ok(Err(Refusal::Unknown)) };
    if row.client_id != client.as_str() {
        return Ok(Err(Refusal::Unknown));
    }
    if row.revoked_at.is_some() {
        return Ok(Err(Refusal::Revoked));
    }
    if row.used_at.is_some() {
        revoke_grant_in(&mut tx, row.grant_id).await?;
        tx.commit().await?;
        return Ok(Err(Refusal::Replayed));
    }
    if row.expired {
        return Ok(Err(Refusal::Expired));
    }
    let (Some(person), Some(false)) = (row.person, row.disabled) else {
        return Ok(Err(Refusal::AccountDisabled));
    };
    let granted = Scopes::from_db(row.scopes);
    let scopes = match requested {
        Some(requested) if !requested.is_subset_of(&granted) => return Ok(Err(Refusal::ScopeNotGranted)),
        Some(requested) => requested.clone(),
        None => granted,
    };
    sqlx::query!(
        "UPDATE oidc_refresh_token SET used_at = now() WHERE token_hash = $1",
        token_hash.as_bytes()
    )
    .execute(&mut *tx)
    .await?;
    let next = issue_refresh_token(&mut *tx, row.grant_id, lifetime).await?;
    tx.commit().await?;
    let grant = Grant {
        id: row.grant_id,
        client: client.clone(),
        person,
        login_session: row.login_session_id,
        scopes,
        auth_time: row.auth_time,
    };
    Ok(Ok((grant, next)))
}

async fn revoke_grant_in(tx: &mut Transaction<'_, Postgres>, grant: Uuid) -> Result<()> {
    sqlx::query!("UPDATE oidc_grant SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL", grant)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Revokes every grant of a person (their password changed): their refresh tokens stop working
/// and their access tokens turn inactive. Returns how many grants were live.
pub async fn revoke_all_for_person(tx: &mut Transaction<'_, Postgres>, person: PersonId) -> Result<u64> {
    let revoked = sqlx::query!(
        "UPDATE oidc_grant SET revoked_at = now() WHERE person_id = $1 AND revoked_at IS NULL",
        person as PersonId,
    )
    .execute(&mut **tx)
    .await?;
    Ok(revoked.rows_affected())
}

/// Revokes the grant a refresh token belongs to, if `client` owns it (RFC 7009: a client can
/// only revoke its own tokens; anything else is silently ignored). Returns whether it did.
pub async fn revoke_by_refresh_token(pool: &PgPool, client: &ClientId, token: &str) -> Result<bool> {
    if !secret::looks_like_secret(token) {
        return Ok(false);
    }
    let token_hash = SecretHash::of(token);
    let revoked = sqlx::query!(
        r#"UPDATE oidc_grant g SET revoked_at = now() FROM oidc_refresh_token t
           WHERE t.token_hash = $1 AND t.grant_id = g.id AND g.client_id = $2 AND g.revoked_at IS NULL"#,
        token_hash.as_bytes(),
        client.as_str(),
    )
    .execute(pool)
    .await?;
    Ok(revoked.rows_affected() > 0)
}

/// Puts an access token on the revocation list until it expires.
pub async fn revoke_access_token<'e>(
    executor: impl PgExecutor<'e>,
    jti: Uuid,
    expires_at: OffsetDateTime,
) -> Result<()> {
    sqlx::query!(
        "INSERT INTO oidc_revoked_access_token (jti, expires_at) VALUES ($1, $2) ON CONFLICT (jti) DO NOTHING",
        jti,
        expires_at,
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// Whether a (validly signed, unexpired) access token is still active: not revoked itself, and
/// its grant, if it has one, neither revoked nor belonging to a now-disabled account.
pub async fn access_token_is_active<'e>(
    executor: impl PgExecutor<'e>,
    jti: Uuid,
    grant: Option<Uuid>,
) -> Result<bool> {
    let active = sqlx::query_scalar!(
        r#"SELECT NOT EXISTS (SELECT 1 FROM oidc_revoked_access_token WHERE jti = $1)
              AND ($2::uuid IS NULL OR EXISTS (
                  SELECT 1 FROM oidc_grant g LEFT JOIN account a ON a.person_id = g.person_id
                  WHERE g.id = $2 AND g.revoked_at IS NULL AND (g.person_id IS NULL OR a.disabled = false)))
              AS "active!""#,
        jti,
        grant,
    )
    .fetch_one(executor)
    .await?;
    Ok(active)
}

/// Deletes what can no longer be used: expired codes, expired refresh tokens and revocation
/// entries, expired login sessions. Run periodically by the idp.
pub async fn prune_expired(pool: &PgPool) -> Result<u64> {
    let mut removed = 0;
    removed +=
        sqlx::query!("DELETE FROM oidc_authorization_code WHERE expires_at < now() - interval '1 day'")
            .execute(pool)
            .await?
            .rows_affected();
    removed += sqlx::query!("DELETE FROM oidc_refresh_token WHERE expires_at < now() - interval '1 day'")
        .execute(pool)
        .await?
        .rows_affected();
    removed += sqlx::query!("DELETE FROM oidc_revoked_access_token WHERE expires_at < now()")
        .execute(pool)
        .await?
        .rows_affected();
    removed += sqlx::query!("DELETE FROM oidc_login_session WHERE expires_at < now() - interval '1 day'")
        .execute(pool)
        .await?
        .rows_affected();
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_matches_rfc_7636_appendix_b() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(verifier_matches(verifier, challenge));
        assert!(!verifier_matches("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXl", challenge));
        // A "plain" verifier equal to the challenge must not pass.
        assert!(!verifier_matches(challenge, challenge));
        assert!(!verifier_matches("short", challenge));
    }
}
