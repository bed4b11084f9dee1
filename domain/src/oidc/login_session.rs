// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Single sign-on at the idp: a browser that logged in once carries a cookie naming its login
//! session, so the next client it visits gets a code without another password.

use super::secret::{self, SecretHash};
use crate::Result;
use crate::types::PersonId;
use secrecy::SecretString;
use sqlx::{PgExecutor, PgPool, Postgres, Transaction};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// A live login session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginSession {
    pub id: Uuid,
    pub person: PersonId,
    pub authenticated_at: OffsetDateTime,
}

/// Starts a session for a person who just proved who they are. Returns the session and the
/// cookie value (shown once; only its hash is kept).
pub async fn start(
    pool: &PgPool,
    person: PersonId,
    lifetime: Duration,
) -> Result<(LoginSession, SecretString)> {
    let cookie = secret::generate();
    let cookie_hash = SecretHash::of_secret(&cookie);
    let row = sqlx::query!(
        r#"INSERT INTO oidc_login_session (id, cookie_hash, person_id, expires_at)
           VALUES ($1, $2, $3, now() + make_interval(secs => $4))
           RETURNING id, authenticated_at"#,
        Uuid::new_v4(),
        cookie_hash.as_bytes(),
        person as PersonId,
        lifetime.as_seconds_f64(),
    )
    .fetch_one(pool)
    .await?;
    Ok((LoginSession { id: row.id, person, authenticated_at: row.authenticated_at }, cookie))
}

/// The live session a cookie names, if any: not ended, not expired, and its account still
/// enabled.
pub async fn find<'e>(executor: impl PgExecutor<'e>, cookie: &str) -> Result<Option<LoginSession>> {
    if !secret::looks_like_secret(cookie) {
        return Ok(None);
    }
    let cookie_hash = SecretHash::of(cookie);
    let row = sqlx::query!(
        r#"SELECT s.id, s.person_id AS "person: PersonId", s.authenticated_at
           FROM oidc_login_session s JOIN account a ON a.person_id = s.person_id
           WHERE s.cookie_hash = $1 AND s.ended_at IS NULL AND s.expires_at > now() AND NOT a.disabled"#,
        cookie_hash.as_bytes(),
    )
    .fetch_optional(executor)
    .await?;
    Ok(row.map(|r| LoginSession { id: r.id, person: r.person, authenticated_at: r.authenticated_at }))
}

/// Ends a session (logout) and revokes the grants made in it, so the refresh tokens clients got
/// through this login stop working too.
pub async fn end(pool: &PgPool, id: Uuid) -> Result<()> {
    let mut tx = pool.begin().await?;
    sqlx::query!("UPDATE oidc_login_session SET ended_at = now() WHERE id = $1 AND ended_at IS NULL", id)
        .execute(&mut *tx)
        .await?;
    sqlx::query!(
        "UPDATE oidc_grant SET revoked_at = now() WHERE login_session_id = $1 AND revoked_at IS NULL",
        id
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Ends every live session of a person (their password changed). Returns how many.
pub async fn end_all_for_person(tx: &mut Transaction<'_, Postgres>, person: PersonId) -> Result<u64> {
    let ended = sqlx::query!(
        "UPDATE oidc_login_session SET ended_at = now() WHERE person_id = $1 AND ended_at IS NULL",
        person as PersonId,
    )
    .execute(&mut **tx)
    .await?;
    Ok(ended.rows_affected())
}
