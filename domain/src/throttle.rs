// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Login throttling: after too many failed attempts for one name or from one address within a
//! window, further attempts are refused until the window ends, before any password is checked.
//!
//! Counts are keyed by what was typed, not by account, so an unknown name is throttled exactly
//! like a real one and the throttle reveals nothing. Keys are stored hashed.

use crate::Result;
use crate::oidc::secret::SecretHash;
use sqlx::PgPool;
use std::net::IpAddr;
use time::Duration;

/// How many failures a key may have in one window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub per_account: i32,
    pub per_address: i32,
    pub window: Duration,
}

impl Default for Limits {
    /// 10 failures per name and 100 per IP address in 15 minutes: a person who mistypes is
    /// never stopped, a guesser gets 960 tries a day per name at most.
    fn default() -> Self {
        Self { per_account: 10, per_address: 100, window: Duration::minutes(15) }
    }
}

/// The two counters one login attempt touches.
#[derive(Debug, Clone)]
pub struct Attempt {
    account: SecretHash,
    address: SecretHash,
}

impl Attempt {
    pub fn new(identifier: &str, address: IpAddr) -> Self {
        let identifier = identifier.trim().to_lowercase();
        Self {
            account: SecretHash::of(&format!("account:{identifier}")),
            address: SecretHash::of(&format!("ip:{address}")),
        }
    }

    /// A request for a mailed link: counted apart from password failures, so asking for links
    /// never blocks a password login, and the other way round.
    pub fn link_request(identifier: &str, address: IpAddr) -> Self {
        let identifier = identifier.trim().to_lowercase();
        Self {
            account: SecretHash::of(&format!("link:{identifier}")),
            address: SecretHash::of(&format!("link-ip:{address}")),
        }
    }
}

impl Limits {
    /// Mailed links: 5 per name and 50 per address in 15 minutes, every request counted. Enough
    /// for a person whose mail is slow; too few to flood anyone's mailbox.
    pub const LINKS: Limits = Limits { per_account: 5, per_address: 50, window: Duration::minutes(15) };
}

/// Whether the attempt may go ahead.
pub async fn allows(pool: &PgPool, attempt: &Attempt, limits: Limits) -> Result<bool> {
    let blocked = sqlx::query_scalar!(
        r#"SELECT EXISTS (
               SELECT 1 FROM login_throttle
               WHERE window_start > now() - make_interval(secs => $3)
                 AND ((key_hash = $1 AND failures >= $4) OR (key_hash = $2 AND failures >= $5))) AS "blocked!""#,
        attempt.account.as_bytes(),
        attempt.address.as_bytes(),
        limits.window.as_seconds_f64(),
        limits.per_account,
        limits.per_address,
    )
    .fetch_one(pool)
    .await?;
    Ok(!blocked)
}

/// Counts a failed attempt against both keys.
pub async fn record_failure(pool: &PgPool, attempt: &Attempt, limits: Limits) -> Result<()> {
    for key in [&attempt.account, &attempt.address] {
        sqlx::query!(
            r#"INSERT INTO login_throttle (key_hash, failures, window_start) VALUES ($1, 1, now())
               ON CONFLICT (key_hash) DO UPDATE SET
                 failures = CASE WHEN login_throttle.window_start > now() - make_interval(secs => $2)
                                 THEN login_throttle.failures + 1 ELSE 1 END,
                 window_start = CASE WHEN login_throttle.window_start > now() - make_interval(secs => $2)
                                     THEN login_throttle.window_start ELSE now() END"#,
            key.as_bytes(),
            limits.window.as_seconds_f64(),
        )
        .execute(pool)
        .await?;
    }
    Ok(())
}

/// Forgets the name's failures after a successful login (the address keeps its count).
pub async fn record_success(pool: &PgPool, attempt: &Attempt) -> Result<()> {
    sqlx::query!("DELETE FROM login_throttle WHERE key_hash = $1", attempt.account.as_bytes())
        .execute(pool)
        .await?;
    Ok(())
}

/// Deletes counters whose window has ended.
pub async fn prune(pool: &PgPool, limits: Limits) -> Result<u64> {
    let deleted = sqlx::query!(
        "DELETE FROM login_throttle WHERE window_start <= now() - make_interval(secs => $1)",
        limits.window.as_seconds_f64()
    )
    .execute(pool)
    .await?;
    Ok(deleted.rows_affected())
}
