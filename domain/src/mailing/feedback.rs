// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! What comes back from a mailing: bounces (from the bounce Maildir, or a refusal while
//! sending) and unsubscribes (the one-click link, the `mailto:` address).
//!
//! A hard bounce counts against the address; after `hard_bounce_limit` of them the address is
//! undeliverable and no mailing goes to it (a soft bounce only counts, for staff). A DSN file is
//! taken once, by its SHA-256, however often the folder is imported. A DSN whose envelope is not
//! one of our signed bounce addresses changes nothing: nobody can mark someone else's address
//! undeliverable by mailing us a made-up bounce.

use super::token::{AddressKind, MailingKeys, UnverifiedToken};
use crate::audit::{self, Action, Actor, Origin};
use crate::consent::{self, ListKey, State};
use crate::types::PersonId;
use crate::{DomainError, Result};
use serde_json::json;
use sqlx::{PgPool, Postgres, Transaction};
use uuid::Uuid;

/// One bounce of one address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bounce<'a> {
    pub address: &'a str,
    /// The person the mail went to: the bounce counts against the address only while it is
    /// still theirs (an address removed and taken by someone else since is not charged).
    pub person: Option<PersonId>,
    pub permanent: bool,
    /// "5.1.1", or an SMTP reply code.
    pub status: &'a str,
    pub diagnostic: Option<&'a str>,
}

/// Records a bounce and counts it against the address; marks the address undeliverable at the
/// limit. `file` is the SHA-256 of the DSN file (None for a refusal while sending). Returns
/// false when this file's bounce of this address was recorded before.
pub(super) async fn record_bounce(
    tx: &mut Transaction<'_, Postgres>,
    recipient: Option<i64>,
    bounce: &Bounce<'_>,
    file: Option<&[u8; 32]>,
    hard_bounce_limit: i32,
) -> Result<bool> {
    let status: String = bounce.status.chars().take(20).collect();
    let diagnostic: Option<String> = bounce.diagnostic.map(|d| d.chars().take(1000).collect());
    let inserted = sqlx::query!(
        "INSERT INTO bounce (recipient_id, address, permanent, status, diagnostic, source, file_sha256)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (file_sha256, address) DO NOTHING",
        recipient,
        bounce.address,
        bounce.permanent,
        status,
        diagnostic,
        if file.is_some() { "dsn" } else { "smtp" },
        file.map(|f| f.as_slice()),
    )
    .execute(&mut **tx)
    .await?
    .rows_affected()
        == 1;
    if !inserted {
        return Ok(false);
    }
    // `before` is the row as it was: the audit entry is written by the bounce that crossed the
    // limit, whatever the limit is now.
    let marked = sqlx::query!(
        r#"UPDATE email_address e SET
             hard_bounces = e.hard_bounces + CASE WHEN $2 THEN 1 ELSE 0 END,
             soft_bounces = e.soft_bounces + CASE WHEN $2 THEN 0 ELSE 1 END,
             undeliverable_since = CASE
               WHEN e.undeliverable_since IS NULL AND $2 AND e.hard_bounces + 1 >= $3 THEN now()
               ELSE e.undeliverable_since END
           FROM (SELECT id, undeliverable_since FROM email_address
                 WHERE lower(address) = lower($1) AND ($4::uuid IS NULL OR person_id = $4)) before
           WHERE e.id = before.id
           RETURNING e.person_id,
                     before.undeliverable_since IS NULL AND e.undeliverable_since IS NOT NULL AS "now_undeliverable!""#,
        bounce.address,
        bounce.permanent,
        hard_bounce_limit.max(1),
        bounce.person.map(PersonId::as_uuid),
    )
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(row) = marked
        && row.now_undeliverable
    {
        let system = Actor::System;
        let origin = Origin { actor: &system, source: "bounce" };
        let details = json!({ "hard_bounces": hard_bounce_limit, "status": status });
        audit::record(tx, origin, Some(row.person_id.into()), Action::AddressUndeliverable, details).await?;
    }
    Ok(true)
}

/// A bounce mail as the caller parsed it (`providers::bounce`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Report {
    /// A delivery status notification: each recipient's status.
    Dsn(Vec<RecipientStatus>),
    /// Any other mail: an unsubscribe by mail, an auto-reply.
    Other,
}

/// One recipient block of a DSN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipientStatus {
    /// `Final-Recipient`, if given.
    pub address: Option<String>,
    /// `Action: failed` with a 5.x.x status.
    pub permanent: bool,
    /// `Action: failed` or `delayed` with a 4.x.x status.
    pub transient: bool,
    pub status: String,
    pub diagnostic: Option<String>,
}

/// What taking in one mail did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Taken {
    /// Bounces recorded (hard, soft).
    Bounces { hard: usize, soft: usize },
    /// This file was taken in before.
    Duplicate,
    /// A person unsubscribed by mail (or was already unsubscribed).
    Unsubscribed,
    /// Addressed to none of our signed addresses, or about no failure: nothing done.
    Ignored(&'static str),
}

/// Takes in one mail of the bounce Maildir, addressed to `addressed_to` (from its delivery
/// headers), with our addresses made from `base` (`mailing.bounce_address`).
pub async fn take(
    pool: &PgPool,
    keys: &MailingKeys,
    base: &str,
    file_sha256: &[u8; 32],
    addressed_to: &[String],
    report: &Report,
    hard_bounce_limit: i32,
) -> Result<Taken> {
    let ours = addressed_to.iter().find_map(|address| keys.read_address(address, base));
    let Some((kind, recipient)) = ours else {
        return Ok(Taken::Ignored("not addressed to a signed address of ours"));
    };
    let Some(row) = sqlx::query!(
        "SELECT r.mailing_id, r.person_id, r.address, m.list_key FROM mailing_recipient r
         JOIN mailing m ON m.id = r.mailing_id WHERE r.id = $1",
        recipient
    )
    .fetch_optional(pool)
    .await?
    else {
        return Ok(Taken::Ignored("the mailing or recipient no longer exists"));
    };
    match (kind, report) {
        (AddressKind::Unsubscribe, _) => {
            let (Some(person), Some(list)) = (row.person_id, ListKey::parse(&row.list_key)) else {
                return Ok(Taken::Ignored("the person was erased"));
            };
            unsubscribe(pool, person.into(), &list, row.mailing_id, "unsubscribe by mail").await?;
            Ok(Taken::Unsubscribed)
        }
        (AddressKind::Bounce, Report::Other) => Ok(Taken::Ignored("not a delivery status notification")),
        (AddressKind::Bounce, Report::Dsn(statuses)) => {
            let mut tx = pool.begin().await?;
            let (mut hard, mut soft, mut duplicate) = (0, 0, false);
            // One address per envelope: the first failure block decides.
            if let Some(status) = statuses.iter().find(|s| s.permanent || s.transient) {
                // The envelope names the recipient; a Final-Recipient that differs (a forward)
                // still counts against the address we sent to.
                let bounce = Bounce {
                    address: &row.address,
                    person: row.person_id.map(Into::into),
                    permanent: status.permanent,
                    status: &status.status,
                    diagnostic: status.diagnostic.as_deref(),
                };
                if record_bounce(&mut tx, Some(recipient), &bounce, Some(file_sha256), hard_bounce_limit)
                    .await?
                {
                    if status.permanent {
                        hard += 1;
                    } else {
                        soft += 1;
                    }
                } else {
                    duplicate = true;
                }
            }
            tx.commit().await?;
            match (hard + soft, duplicate) {
                (0, true) => Ok(Taken::Duplicate),
                (0, false) => Ok(Taken::Ignored("the notification reports no failure")),
                _ => Ok(Taken::Bounces { hard, soft }),
            }
        }
    }
}

/// What following an unsubscribe link did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsubscribed {
    pub person: PersonId,
    pub list: ListKey,
    /// False when they were not subscribed (any more): nothing was written.
    pub changed: bool,
}

/// The person and list an unsubscribe token names, if it verifies and its mailing exists.
pub async fn check_link(
    pool: &PgPool,
    keys: &MailingKeys,
    token: &str,
) -> Result<Option<(UnverifiedToken, ListKey)>> {
    let Some(token) = keys.read_unsubscribe_token(token) else { return Ok(None) };
    let Some(list) = sqlx::query_scalar!(
        "SELECT m.list_key FROM mailing m JOIN info_list l ON l.key = m.list_key WHERE m.id = $1",
        token.mailing
    )
    .fetch_optional(pool)
    .await?
    else {
        return Ok(None);
    };
    if !keys.verify_unsubscribe(&token, &list) {
        return Ok(None);
    }
    Ok(ListKey::parse(&list).map(|list| (token, list)))
}

/// Unsubscribes through a link's token: `None` when it is not one of ours (forged, truncated,
/// its mailing deleted). It only ever unsubscribes.
pub async fn unsubscribe_by_link(
    pool: &PgPool,
    keys: &MailingKeys,
    token: &str,
) -> Result<Option<Unsubscribed>> {
    let Some((token, list)) = check_link(pool, keys, token).await? else { return Ok(None) };
    match unsubscribe(pool, token.person, &list, token.mailing, "one-click unsubscribe").await {
        Ok(changed) => Ok(Some(Unsubscribed { person: token.person, list, changed })),
        // The person was erased since: nothing is left to unsubscribe.
        Err(DomainError::NotFound("person")) => Ok(None),
        Err(error) => Err(error),
    }
}

async fn unsubscribe(
    pool: &PgPool,
    person: PersonId,
    list: &ListKey,
    mailing: Uuid,
    source: &str,
) -> Result<bool> {
    let mut tx = pool.begin().await?;
    let actor = Actor::Person(person);
    let origin = Origin { actor: &actor, source };
    let changed =
        consent::record_from(&mut tx, origin, person, list, State::Unsubscribed, Some(mailing)).await?;
    tx.commit().await?;
    Ok(changed)
}
