// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Checking a password against the built-in directory.
//!
//! Every refusal looks the same to the caller, and costs the same work: an unknown name, a
//! wrong password, a disabled account, an account without a password and an LDAP account (its
//! directory checks it) all run one argon2 verification (against a dummy hash where there is no
//! real one) and return `Refused`. Nobody can tell from the answer or its timing whether a name
//! exists. A successful login clears the failed-login counter and, when the stored hash was made
//! with older parameters, stores a fresh one.

use crate::Result;
use crate::account::{self, Credential};
use crate::audit::{Actor, Origin};
use crate::password::{self, Password, PasswordHash};
use crate::types::PersonId;
use secrecy::SecretString;
use sqlx::PgPool;
use tokio::sync::OnceCell;

/// The answer to a login attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Authenticated(PersonId),
    /// Unknown name, wrong password, disabled account, no password set: deliberately one case.
    Refused,
}

/// A hash of a random password with today's parameters, verified when there is no real hash, so
/// that a refusal takes as long as a real check.
async fn dummy_hash() -> Result<&'static PasswordHash> {
    static DUMMY: OnceCell<PasswordHash> = OnceCell::const_new();
    DUMMY
        .get_or_try_init(|| async {
            let random = uuid::Uuid::new_v4().to_string();
            password::hash(&Password::new(SecretString::from(random))?).await
        })
        .await
}

/// Checks `password` for the person `identifier` names (login name or verified email address).
#[tracing::instrument(name = "login::check_password", skip_all)]
pub async fn check_password(pool: &PgPool, identifier: &str, password: &SecretString) -> Result<Outcome> {
    let account = account::find_for_login(pool, identifier).await?;
    let usable = account.as_ref().and_then(|a| match &a.credential {
        Credential::Builtin { password_hash: Some(hash) } if !a.disabled => Some((a.person, hash.clone())),
        _ => None,
    });
    let Some((person, hash)) = usable else {
        // Same work as a real check; the result does not matter.
        let _ = password::verify(password, dummy_hash().await?).await;
        if let Some(account) = account {
            record_failure(pool, account.person).await?;
        }
        return Ok(Outcome::Refused);
    };
    if !password::verify(password, &hash).await? {
        record_failure(pool, person).await?;
        return Ok(Outcome::Refused);
    }
    sqlx::query!(
        "UPDATE account SET failed_logins = 0, last_failed_at = NULL WHERE person_id = $1 AND failed_logins > 0",
        person as PersonId,
    )
    .execute(pool)
    .await?;
    if hash.needs_rehash() {
        rehash(pool, person, password).await?;
    }
    Ok(Outcome::Authenticated(person))
}

async fn record_failure(pool: &PgPool, person: PersonId) -> Result<()> {
    sqlx::query!(
        "UPDATE account SET failed_logins = failed_logins + 1, last_failed_at = now() WHERE person_id = $1",
        person as PersonId,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Stores a hash with today's parameters for a password that was just verified.
async fn rehash(pool: &PgPool, person: PersonId, password: &SecretString) -> Result<()> {
    // A password accepted before may not meet today's length rules; keep its old hash then.
    let Ok(password) = Password::new(password.clone()) else { return Ok(()) };
    let fresh = password::hash(&password).await?;
    // Audited by rehash_password, with "login" as the source.
    let mut tx = pool.begin().await?;
    account::rehash_password(&mut tx, Origin { actor: &Actor::System, source: "login" }, person, &fresh)
        .await?;
    tx.commit().await?;
    Ok(())
}
