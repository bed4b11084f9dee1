// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Accounts: how a person logs in. One per person at most; the directory decides where the
//! password is checked.

use crate::audit::{self, Action, Origin};
use crate::password::PasswordHash;
use crate::types::{LoginName, PersonId};
use crate::{DomainError, Result};
use serde_json::json;
use sqlx::{PgExecutor, Postgres, Transaction};

/// Where the password of an account is checked, with what that directory needs. An LDAP
/// account cannot hold a local password hash, and the other way round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// The built-in directory: an argon2id hash in PostgreSQL, or none yet (login by email link
    /// only until the person sets one).
    Builtin { password_hash: Option<PasswordHash> },
    /// An LDAP directory entry, by distinguished name.
    Ldap { dn: String },
}

/// An account as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub person: PersonId,
    pub login_name: Option<LoginName>,
    pub credential: Credential,
    pub disabled: bool,
    pub failed_logins: i32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "directory_kind", rename_all = "lowercase")]
enum DirectoryKind {
    Builtin,
    Ldap,
}

struct Row {
    person_id: PersonId,
    login_name: Option<String>,
    directory: DirectoryKind,
    password_hash: Option<String>,
    ldap_dn: Option<String>,
    disabled: bool,
    failed_logins: i32,
}

impl TryFrom<Row> for Account {
    type Error = DomainError;
    fn try_from(r: Row) -> Result<Self> {
        let credential = match (r.directory, r.ldap_dn) {
            (DirectoryKind::Builtin, _) => {
                Credential::Builtin { password_hash: r.password_hash.map(PasswordHash::from_db) }
            }
            (DirectoryKind::Ldap, Some(dn)) => Credential::Ldap { dn },
            // Excluded by the table's CHECK constraint.
            (DirectoryKind::Ldap, None) => return Err(DomainError::NotFound("LDAP entry of account")),
        };
        Ok(Account {
            person: r.person_id,
            login_name: r.login_name.map(LoginName::from_db),
            credential,
            disabled: r.disabled,
            failed_logins: r.failed_logins,
        })
    }
}

/// Opens an account for a person. Fails with `Conflict("login name")` when the name is taken.
#[tracing::instrument(name = "account::create", skip_all, fields(person = %person))]
pub async fn create(
    tx: &mut Transaction<'_, Postgres>,
    origin: Origin<'_>,
    person: PersonId,
    login_name: Option<&LoginName>,
    credential: &Credential,
) -> Result<Account> {
    let (directory, hash, dn) = match credential {
        Credential::Builtin { password_hash } => {
            (DirectoryKind::Builtin, password_hash.as_ref().map(PasswordHash::as_str), None)
        }
        Credential::Ldap { dn } => (DirectoryKind::Ldap, None, Some(dn.as_str())),
    };
    let row = sqlx::query_as!(
        Row,
        r#"INSERT INTO account (person_id, login_name, directory, password_hash, ldap_dn)
           VALUES ($1, $2, $3, $4, $5)
           RETURNING person_id AS "person_id: PersonId", login_name, directory AS "directory: DirectoryKind",
                     password_hash, ldap_dn, disabled, failed_logins"#,
        person as PersonId,
        login_name.map(LoginName::as_str),
        directory as DirectoryKind,
        hash,
        dn,
    )
    .fetch_one(&mut **tx)
    .await?;
    audit::record(tx, origin,
        Some(person),
        Action::AccountCreated,
        // The hash itself is never written to the log.
        json!({ "login_name": login_name.map(LoginName::as_str), "directory": match directory { DirectoryKind::Builtin => "builtin", DirectoryKind::Ldap => "ldap" }, "password_set": hash.is_some() }),
    )
    .await?;
    Account::try_from(row)
}

/// The account of a person, if they have one.
pub async fn get<'e>(executor: impl PgExecutor<'e>, person: PersonId) -> Result<Option<Account>> {
    sqlx::query_as!(
        Row,
        r#"SELECT person_id AS "person_id: PersonId", login_name, directory AS "directory: DirectoryKind",
                  password_hash, ldap_dn, disabled, failed_logins
           FROM account WHERE person_id = $1"#,
        person as PersonId,
    )
    .fetch_optional(executor)
    .await?
    .map(Account::try_from)
    .transpose()
}

/// The account someone means when they type `identifier` into a login form: a login name, or
/// any *verified* email address of the person (an unverified one proves nothing).
pub async fn find_for_login<'e>(executor: impl PgExecutor<'e>, identifier: &str) -> Result<Option<Account>> {
    let identifier = identifier.trim();
    // Bounded before it reaches the database; nothing longer can match.
    if identifier.is_empty() || identifier.len() > 254 {
        return Ok(None);
    }
    sqlx::query_as!(
        Row,
        r#"SELECT a.person_id AS "person_id: PersonId", a.login_name, a.directory AS "directory: DirectoryKind",
                  a.password_hash, a.ldap_dn, a.disabled, a.failed_logins
           FROM account a
           WHERE a.login_name = lower($1)
              OR a.person_id = (SELECT person_id FROM email_address
                                WHERE lower(address) = lower($1) AND verified_at IS NOT NULL)
           LIMIT 1"#,
        identifier,
    )
    .fetch_optional(executor)
    .await?
    .map(Account::try_from)
    .transpose()
}

/// Changes the password of a built-in account (reset link, settings, staff) and clears its
/// failed-login counter. A change means the old password may be known to someone else, so in
/// the same transaction it ends every idp login session of the person, revokes every grant (with
/// its refresh tokens; its access tokens turn inactive at `/userinfo` and `/introspect`) and
/// voids every unused login link. The caller starts a new session afterwards if it logs the
/// person in.
#[tracing::instrument(name = "account::set_password", skip_all, fields(person = %person))]
pub async fn set_password(
    tx: &mut Transaction<'_, Postgres>,
    origin: Origin<'_>,
    person: PersonId,
    hash: &PasswordHash,
) -> Result<()> {
    store_hash(tx, person, hash).await?;
    let sessions = crate::oidc::login_session::end_all_for_person(tx, person).await?;
    let grants = crate::oidc::grant::revoke_all_for_person(tx, person).await?;
    crate::oidc::login_link::void_for_person(tx, person).await?;
    audit::record(
        tx,
        origin,
        Some(person),
        Action::PasswordSet,
        json!({ "login_sessions_ended": sessions, "grants_revoked": grants }),
    )
    .await
}

/// Stores a fresh hash of the *same* password (new argon2 parameters, after a successful
/// login). Not a change: sessions and grants stay.
#[tracing::instrument(name = "account::rehash_password", skip_all, fields(person = %person))]
pub async fn rehash_password(
    tx: &mut Transaction<'_, Postgres>,
    origin: Origin<'_>,
    person: PersonId,
    hash: &PasswordHash,
) -> Result<()> {
    store_hash(tx, person, hash).await?;
    audit::record(tx, origin, Some(person), Action::PasswordSet, json!({ "rehash": true })).await
}

async fn store_hash(tx: &mut Transaction<'_, Postgres>, person: PersonId, hash: &PasswordHash) -> Result<()> {
    let updated = sqlx::query!(
        r#"UPDATE account SET password_hash = $2, failed_logins = 0, updated_at = now()
           WHERE person_id = $1 AND directory = 'builtin'"#,
        person as PersonId,
        hash.as_str(),
    )
    .execute(&mut **tx)
    .await?;
    if updated.rows_affected() == 0 {
        return Err(DomainError::NotFound("built-in account"));
    }
    Ok(())
}

/// Disables a person's account: the idp refuses its logins and grants, and my.* ends its
/// sessions at their next request (`person::for_session`). `NotFound` without an account.
#[tracing::instrument(name = "account::disable", skip_all, fields(person = %person))]
pub async fn disable(tx: &mut Transaction<'_, Postgres>, origin: Origin<'_>, person: PersonId) -> Result<()> {
    let updated = sqlx::query!(
        "UPDATE account SET disabled = true, updated_at = now() WHERE person_id = $1",
        person as PersonId,
    )
    .execute(&mut **tx)
    .await?;
    if updated.rows_affected() == 0 {
        return Err(DomainError::NotFound("account"));
    }
    audit::record(tx, origin, Some(person), Action::AccountDisabled, json!({})).await
}
