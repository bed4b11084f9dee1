// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! One-time links the idp mails: "email me a login link" and "forgot password" (which logs the
//! person in after they set a new password).
//!
//! Asking for a link never says whether the name exists: `request` finds who should get one and
//! queues the mail in one transaction, or quietly does nothing. A link is single use, expires
//! after [`LIFETIME`], is stored only as a hash, and stops working when the account is disabled.
//! Setting a password through a link voids every other unused link of the person.

use super::secret::{self, SecretHash};
use crate::account::{self, Credential};
use crate::mail::{self, MailKind, OutgoingMail};
use crate::types::{Email, Language, PersonId};
use crate::{Result, person};
use sqlx::{PgExecutor, PgPool, Postgres, Transaction};
use time::Duration;

/// How long a mailed link works: long enough for slow mail, short enough to be useless later.
pub const LIFETIME: Duration = Duration::minutes(15);

/// What following the link does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "oidc_login_link_purpose", rename_all = "snake_case")]
pub enum Purpose {
    /// Logs the person in.
    Login,
    /// Lets the person choose a new password, then logs them in.
    SetPassword,
}

impl Purpose {
    fn mail_kind(self) -> MailKind {
        match self {
            Purpose::Login => MailKind::LoginLink,
            Purpose::SetPassword => MailKind::SetPasswordLink,
        }
    }
}

/// Who a requested link goes to, handed to the caller to write the mail.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub person: PersonId,
    pub address: Email,
    pub language: Language,
    pub display_name: String,
}

/// A link as stored, for the page that follows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub person: PersonId,
    pub purpose: Purpose,
    /// The query string of the authorization request to finish afterwards.
    pub authorization_request: String,
}

/// Why a link cannot be used. The page says the same for each ("no longer valid"); an expired
/// or used link still knows where its login started, so the page can offer a fresh one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Never issued, tampered with, or the account is disabled.
    Unknown,
    Expired {
        authorization_request: String,
    },
    Used {
        authorization_request: String,
    },
}

/// Finds who should get a link when someone types `identifier` (login name or verified address).
/// `None` for unknown names, disabled accounts, accounts without a verified address, and (for
/// [`Purpose::SetPassword`]) accounts whose password lives in another directory.
pub async fn recipient<'e>(
    executor: impl PgExecutor<'e> + Copy,
    identifier: &str,
    purpose: Purpose,
) -> Result<Option<Recipient>> {
    let Some(account) = account::find_for_login(executor, identifier).await? else { return Ok(None) };
    if account.disabled {
        return Ok(None);
    }
    if purpose == Purpose::SetPassword && !matches!(account.credential, Credential::Builtin { .. }) {
        return Ok(None);
    }
    // The typed address if it is one of theirs (it is verified: find_for_login checked), else
    // their primary verified one.
    let row = sqlx::query!(
        r#"SELECT address FROM email_address
           WHERE person_id = $1 AND verified_at IS NOT NULL
           ORDER BY lower(address) = lower($2) DESC, is_primary DESC, created_at
           LIMIT 1"#,
        account.person as PersonId,
        identifier.trim(),
    )
    .fetch_optional(executor)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let Some(person) = person::get(executor, account.person).await? else { return Ok(None) };
    Ok(Some(Recipient {
        person: account.person,
        address: Email::from_db(row.address),
        language: person.preferred_language,
        display_name: person.display_name.as_str().to_owned(),
    }))
}

/// Issues a link and queues its mail in one transaction. `compose` gets the token (to build the
/// URL) and returns the subject and body.
pub async fn issue(
    tx: &mut Transaction<'_, Postgres>,
    recipient: &Recipient,
    purpose: Purpose,
    authorization_request: &str,
    compose: impl FnOnce(&str) -> (String, String),
) -> Result<()> {
    use secrecy::ExposeSecret;
    let token = secret::generate();
    let hash = SecretHash::of_secret(&token);
    sqlx::query!(
        r#"INSERT INTO oidc_login_link (token_hash, person_id, purpose, authorization_request, expires_at)
           VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))"#,
        hash.as_bytes(),
        recipient.person as PersonId,
        purpose as Purpose,
        authorization_request,
        LIFETIME.as_seconds_f64(),
    )
    .execute(&mut **tx)
    .await?;
    let (subject, body) = compose(token.expose_secret());
    let mail = OutgoingMail {
        kind: purpose.mail_kind(),
        person: Some(recipient.person),
        to: recipient.address.clone(),
        subject,
        body,
    };
    mail::enqueue(tx, &mail).await?;
    Ok(())
}

struct Row {
    person: PersonId,
    purpose: Purpose,
    authorization_request: String,
    expired: bool,
    used: bool,
    disabled: bool,
}

async fn lookup(pool: &PgPool, token: &str) -> Result<Option<Row>> {
    let hash = SecretHash::of(token);
    let row = sqlx::query_as!(
        Row,
        r#"SELECT l.person_id AS "person: PersonId", l.purpose AS "purpose: Purpose", l.authorization_request,
                  l.expires_at <= now() AS "expired!", l.used_at IS NOT NULL AS "used!",
                  coalesce(a.disabled, true) AS "disabled!"
           FROM oidc_login_link l LEFT JOIN account a ON a.person_id = l.person_id
           WHERE l.token_hash = $1"#,
        hash.as_bytes(),
    )
    .fetch_optional(pool)
    .await?;
    Ok(row)
}

fn judge(row: Option<Row>) -> std::result::Result<Link, Refusal> {
    let row = row.ok_or(Refusal::Unknown)?;
    if row.disabled {
        return Err(Refusal::Unknown);
    }
    if row.used {
        return Err(Refusal::Used { authorization_request: row.authorization_request });
    }
    if row.expired {
        return Err(Refusal::Expired { authorization_request: row.authorization_request });
    }
    Ok(Link { person: row.person, purpose: row.purpose, authorization_request: row.authorization_request })
}

/// What a link would do, without using it (for the page a GET shows; mail scanners fetch links).
pub async fn peek(pool: &PgPool, token: &str) -> Result<std::result::Result<Link, Refusal>> {
    if !secret::looks_like_secret(token) {
        return Ok(Err(Refusal::Unknown));
    }
    Ok(judge(lookup(pool, token).await?))
}

/// Uses a link: from now on it is spent. The caller commits `tx` together with what the link
/// did (a new password), so a failure leaves the link usable. One UPDATE takes it, so of two
/// concurrent uses only one succeeds; a refusal is then explained by [`peek`]'s query.
pub async fn redeem(
    pool: &PgPool,
    tx: &mut Transaction<'_, Postgres>,
    token: &str,
) -> Result<std::result::Result<Link, Refusal>> {
    if !secret::looks_like_secret(token) {
        return Ok(Err(Refusal::Unknown));
    }
    let hash = SecretHash::of(token);
    let taken = sqlx::query!(
        r#"UPDATE oidc_login_link l SET used_at = now()
           FROM account a
           WHERE l.token_hash = $1 AND l.used_at IS NULL AND l.expires_at > now()
             AND a.person_id = l.person_id AND NOT a.disabled
           RETURNING l.person_id AS "person: PersonId", l.purpose AS "purpose: Purpose", l.authorization_request"#,
        hash.as_bytes(),
    )
    .fetch_optional(&mut **tx)
    .await?;
    match taken {
        Some(r) => Ok(Ok(Link {
            person: r.person,
            purpose: r.purpose,
            authorization_request: r.authorization_request,
        })),
        // Looks usable yet was not taken: someone used it in the meantime.
        None => Ok(match judge(lookup(pool, token).await?) {
            Ok(link) => Err(Refusal::Used { authorization_request: link.authorization_request }),
            refused => refused,
        }),
    }
}

/// Voids every unused link of a person (after a password change through one of them).
pub async fn void_for_person(tx: &mut Transaction<'_, Postgres>, person: PersonId) -> Result<()> {
    sqlx::query!(
        "UPDATE oidc_login_link SET used_at = now() WHERE person_id = $1 AND used_at IS NULL",
        person as PersonId
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Deletes links that expired a day ago or more (kept a while so a late click is told "expired"
/// rather than "unknown" in the logs).
pub async fn prune(pool: &PgPool) -> Result<u64> {
    let deleted = sqlx::query!("DELETE FROM oidc_login_link WHERE expires_at < now() - interval '1 day'")
        .execute(pool)
        .await?;
    Ok(deleted.rows_affected())
}
