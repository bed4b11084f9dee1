// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Command links: every action a mail offers ("confirm your registration", "confirm this
//! address") is a random token in a URL, good for one kind of action by one person.
//!
//! Only the token's SHA-256 is stored, with the command, its person, an expiry and the uses
//! left. Showing a link ([`peek`]) changes nothing, because mail scanners fetch links; using it
//! ([`redeem`]) takes one use in the same transaction as the action, so a failed action leaves
//! the link usable and two concurrent uses cannot both succeed. An expired link can be traded
//! once for a fresh one ([`renew`]): it proves its holder once received the mail, and the fresh
//! link goes to the same address, never to the holder.

use crate::Result;
use crate::oidc::secret::{self, SecretHash};
use crate::types::{Email, PersonId, PledgeId};
use secrecy::SecretString;
use sqlx::{PgExecutor, PgPool, Postgres, Transaction};
use time::{Duration, OffsetDateTime};

use crate::consent::ListKey;

/// What following a link does. Adding a kind means a variant here, its effect in
/// `registration::perform` (or the module it belongs to) and its texts in every locale; the
/// compiler points at each place.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Command {
    /// Confirms the address given at registration: verifies it, records the consents chosen in
    /// the form and assigns the supporter number.
    /// With a pledge (a visitor's donate form), the pledge joins the person too.
    ConfirmRegistration {
        lists: Vec<ListKey>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pledge: Option<PledgeId>,
    },
    /// Adds `address` to the person's verified addresses.
    ConfirmEmail { address: String },
    /// Gives a pledge made with a confirmed supporter's address (by someone not logged in) to
    /// that supporter.
    ConfirmDonation { pledge: PledgeId },
    /// Shows a pledge whose collection stopped (or whose payment failed) and lets its person
    /// choose a way to pay it again: `payment::renewal::perform`, which needs their choice
    /// (`registration::perform` refuses it).
    RenewPledge { pledge: PledgeId },
    /// Confirms a subscription to a double opt-in list asked for in the settings; the ledger
    /// records it only when the link is followed.
    ConfirmSubscription { list: ListKey },
}

impl Command {
    /// The stored kind (the serde tag).
    pub fn kind(&self) -> &'static str {
        match self {
            Command::ConfirmRegistration { .. } => "confirm_registration",
            Command::ConfirmEmail { .. } => "confirm_email",
            Command::ConfirmDonation { .. } => "confirm_donation",
            Command::RenewPledge { .. } => "renew_pledge",
            Command::ConfirmSubscription { .. } => "confirm_subscription",
        }
    }

    /// How long a link for this command works.
    pub fn lifetime(&self) -> Duration {
        match self {
            // People register and read the mail days later.
            Command::ConfirmRegistration { .. } => Duration::days(7),
            Command::ConfirmEmail { .. } => Duration::days(2),
            Command::ConfirmDonation { .. } => Duration::days(7),
            // Processors retry failed payments for weeks; the donor may be away.
            Command::RenewPledge { .. } => Duration::days(30),
            Command::ConfirmSubscription { .. } => Duration::days(7),
        }
    }

    /// Where the link is mailed: the address it confirms.
    pub fn address(&self) -> Option<Email> {
        match self {
            Command::ConfirmRegistration { .. }
            | Command::ConfirmDonation { .. }
            | Command::RenewPledge { .. }
            | Command::ConfirmSubscription { .. } => None,
            Command::ConfirmEmail { address } => Some(Email::from_db(address.clone())),
        }
    }
}

/// A usable link, as the page that shows it needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub person: PersonId,
    pub command: Command,
    pub expires_at: OffsetDateTime,
}

/// Why a link cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Never issued or tampered with (or its person was deleted).
    Unknown,
    /// Too old; [`renew`] can trade it for a fresh one.
    Expired { command: Command },
    /// Already used (or traded for a fresh one).
    Used { command: Command },
}

/// Creates a link; the caller mails the returned token in the same transaction.
pub async fn issue(
    tx: &mut Transaction<'_, Postgres>,
    person: PersonId,
    command: &Command,
) -> Result<SecretString> {
    let token = secret::generate();
    // Cannot fail: the commands hold only strings and lists of plain enums.
    let payload = serde_json::to_value(command).unwrap_or(serde_json::Value::Null);
    let hash = SecretHash::of_secret(&token);
    sqlx::query!(
        r#"INSERT INTO command_link (token_hash, kind, payload, person_id, expires_at, uses_left)
           VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5), 1)"#,
        hash.as_bytes(),
        command.kind(),
        payload,
        person as PersonId,
        command.lifetime().as_seconds_f64(),
    )
    .execute(&mut **tx)
    .await?;
    Ok(token)
}

struct Row {
    person: PersonId,
    payload: serde_json::Value,
    expires_at: OffsetDateTime,
    expired: bool,
    used: bool,
}

fn command(payload: serde_json::Value) -> Option<Command> {
    // A payload this version cannot read (a kind from a newer release) is treated as unknown.
    serde_json::from_value(payload).ok()
}

async fn lookup<'e>(executor: impl PgExecutor<'e>, token: &str) -> Result<Option<Row>> {
    let hash = SecretHash::of(token);
    let row = sqlx::query_as!(
        Row,
        r#"SELECT person_id AS "person: PersonId", payload, expires_at,
                  expires_at <= now() AS "expired!", uses_left = 0 AS "used!"
           FROM command_link WHERE token_hash = $1"#,
        hash.as_bytes(),
    )
    .fetch_optional(executor)
    .await?;
    Ok(row)
}

fn judge(row: Option<Row>) -> std::result::Result<Link, Refusal> {
    let row = row.ok_or(Refusal::Unknown)?;
    let command = command(row.payload).ok_or(Refusal::Unknown)?;
    if row.used {
        return Err(Refusal::Used { command });
    }
    if row.expired {
        return Err(Refusal::Expired { command });
    }
    Ok(Link { person: row.person, command, expires_at: row.expires_at })
}

/// What a link would do, without using it.
pub async fn peek<'e>(
    executor: impl PgExecutor<'e>,
    token: &str,
) -> Result<std::result::Result<Link, Refusal>> {
    if !secret::looks_like_secret(token) {
        return Ok(Err(Refusal::Unknown));
    }
    Ok(judge(lookup(executor, token).await?))
}

/// Takes one use of the link inside `tx`; the caller performs the command in the same
/// transaction and commits both or neither.
pub async fn redeem(
    tx: &mut Transaction<'_, Postgres>,
    token: &str,
) -> Result<std::result::Result<Link, Refusal>> {
    if !secret::looks_like_secret(token) {
        return Ok(Err(Refusal::Unknown));
    }
    let hash = SecretHash::of(token);
    let taken = sqlx::query!(
        r#"UPDATE command_link SET uses_left = uses_left - 1, used_at = now()
           WHERE token_hash = $1 AND uses_left > 0 AND expires_at > now()
           RETURNING person_id AS "person: PersonId", payload, expires_at"#,
        hash.as_bytes(),
    )
    .fetch_optional(&mut **tx)
    .await?;
    match taken {
        Some(row) => match command(row.payload) {
            Some(command) => Ok(Ok(Link { person: row.person, command, expires_at: row.expires_at })),
            None => Ok(Err(Refusal::Unknown)),
        },
        // Not taken: say why (the row cannot come back to life, so this answer is stable).
        None => Ok(judge(lookup(&mut **tx, token).await?).and(Err(Refusal::Unknown))),
    }
}

/// Trades an expired, unused link for a fresh one of the same command for the same person;
/// the old one is spent. `None` for links that are not expired-and-unused.
pub async fn renew(
    tx: &mut Transaction<'_, Postgres>,
    token: &str,
) -> Result<Option<(PersonId, Command, SecretString)>> {
    if !secret::looks_like_secret(token) {
        return Ok(None);
    }
    let hash = SecretHash::of(token);
    let old = sqlx::query!(
        r#"UPDATE command_link SET uses_left = 0, used_at = now()
           WHERE token_hash = $1 AND uses_left > 0 AND expires_at <= now()
           RETURNING person_id AS "person: PersonId", payload"#,
        hash.as_bytes(),
    )
    .fetch_optional(&mut **tx)
    .await?;
    let Some(old) = old else { return Ok(None) };
    let Some(command) = command(old.payload) else { return Ok(None) };
    let token = issue(tx, old.person, &command).await?;
    Ok(Some((old.person, command, token)))
}

/// Voids the unused links of one kind of a person (a newer link of that kind replaces them).
pub async fn void(tx: &mut Transaction<'_, Postgres>, person: PersonId, kind: &str) -> Result<()> {
    sqlx::query!(
        "UPDATE command_link SET uses_left = 0 WHERE person_id = $1 AND kind = $2 AND uses_left > 0",
        person as PersonId,
        kind,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Deletes links that expired more than 30 days ago (kept that long so "expired" can still be
/// told apart from "unknown").
pub async fn prune(pool: &PgPool) -> Result<u64> {
    let deleted = sqlx::query!("DELETE FROM command_link WHERE expires_at < now() - interval '30 days'")
        .execute(pool)
        .await?;
    Ok(deleted.rows_affected())
}
