// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Sending a mailing, one recipient row at a time, by any number of senders at once.
//!
//! A sender claims a batch with `FOR UPDATE SKIP LOCKED` and leases it by moving the rows'
//! `next_attempt_at` past the lease in the same UPDATE, so two senders never claim one row; it
//! sends, then marks the batch sent. Should it die in between, its leased rows are claimed again
//! once the lease ends: the relay may then see those messages twice (the same `Message-ID`), and
//! no others. The repeats after a crash are thus at most the claimed batch.
//!
//! A row is skipped, not sent, when its person unsubscribed or was erased since the recipients
//! were chosen. A transient failure (4xx, connection lost) is retried with growing pauses; a
//! permanent refusal (5xx) or the last attempt fails the row, and a permanent refusal counts
//! as a hard bounce of the address.

use super::feedback;
use crate::Result;
use sqlx::PgPool;
use time::Duration;
use uuid::Uuid;

/// After this many attempts a recipient is given up (the pauses add up to about a day).
pub const MAX_ATTEMPTS: i32 = 8;

/// A claimed recipient, with what its mail needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    pub recipient: i64,
    pub person: Option<crate::types::PersonId>,
    pub address: String,
    pub display_name: String,
    pub supporter_number: Option<i64>,
    /// The person's preferred language code ("de").
    pub language: String,
    pub attempts: i32,
    /// Still subscribed to the mailing's list (else the row is to be skipped).
    pub subscribed: bool,
}

/// The mailings senders should work on now.
pub async fn sending(pool: &PgPool) -> Result<Vec<Uuid>> {
    Ok(sqlx::query_scalar!("SELECT id FROM mailing WHERE state = 'sending' ORDER BY started_at")
        .fetch_all(pool)
        .await?)
}

/// Claims up to `limit` due recipients of `mailing` for `lease`, if it is sending.
pub async fn claim(pool: &PgPool, mailing: Uuid, limit: i64, lease: Duration) -> Result<Vec<Claimed>> {
    let rows = sqlx::query!(
        r#"WITH claimed AS (
             UPDATE mailing_recipient SET attempts = attempts + 1,
                    next_attempt_at = now() + make_interval(secs => $3)
             WHERE id IN (SELECT r.id FROM mailing_recipient r JOIN mailing m ON m.id = r.mailing_id
                          WHERE r.mailing_id = $1 AND m.state = 'sending' AND r.state = 'queued'
                            AND r.next_attempt_at <= now()
                          ORDER BY r.next_attempt_at, r.id
                          LIMIT $2
                          FOR UPDATE OF r SKIP LOCKED)
             RETURNING id, person_id, address, attempts
           )
           SELECT c.id, c.person_id, c.address, c.attempts,
                  COALESCE(p.display_name, '') AS "display_name!", p.supporter_number,
                  COALESCE(p.preferred_language, 'en') AS "language!",
                  EXISTS (SELECT 1 FROM subscription s JOIN mailing m ON m.list_key = s.list_key
                          WHERE m.id = $1 AND s.person_id = c.person_id) AS "subscribed!"
           FROM claimed c LEFT JOIN person p ON p.id = c.person_id
           ORDER BY c.id"#,
        mailing,
        limit,
        lease.as_seconds_f64(),
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Claimed {
            recipient: r.id,
            person: r.person_id.map(Into::into),
            address: r.address,
            display_name: r.display_name,
            supporter_number: r.supporter_number,
            language: r.language,
            attempts: r.attempts,
            subscribed: r.subscribed,
        })
        .collect())
}

/// Records delivered recipients (one statement for a whole batch).
pub async fn mark_sent(pool: &PgPool, recipients: &[i64]) -> Result<()> {
    if recipients.is_empty() {
        return Ok(());
    }
    sqlx::query!(
        "UPDATE mailing_recipient SET state = 'sent', sent_at = now(), last_error = NULL
         WHERE id = ANY($1) AND state = 'queued'",
        recipients
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Records recipients not sent to, and why ("unsubscribed before sending").
pub async fn mark_skipped(pool: &PgPool, recipients: &[i64], reason: &str) -> Result<()> {
    if recipients.is_empty() {
        return Ok(());
    }
    sqlx::query!(
        "UPDATE mailing_recipient SET state = 'skipped', last_error = $2 WHERE id = ANY($1) AND state = 'queued'",
        recipients,
        reason,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Why sending to one recipient failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Worth another try later: connection refused, timeout, 4xx.
    Transient(String),
    /// Refused for good by the relay (5xx): `code` is the SMTP reply code or enhanced status.
    Refused { code: String, message: String },
    /// The mail cannot be built (an address lettre does not take): not the address's fault.
    Unsendable(String),
}

/// Records a failed attempt: a transient one is retried after a pause that doubles each time
/// (1 min, 2, 4, … at most 6 h) until [`MAX_ATTEMPTS`]; a refusal fails the row and counts as a
/// hard bounce of its address.
pub async fn mark_failed(
    pool: &PgPool,
    recipient: &Claimed,
    failure: &Failure,
    hard_bounce_limit: i32,
) -> Result<()> {
    let (message, give_up) = match failure {
        Failure::Transient(message) => (message.clone(), recipient.attempts >= MAX_ATTEMPTS),
        Failure::Refused { code, message } => (format!("{code} {message}"), true),
        Failure::Unsendable(message) => (message.clone(), true),
    };
    let message: String = message.chars().take(1000).collect();
    let pause_minutes = 2_f64.powi((recipient.attempts - 1).clamp(0, 9)).min(360.0);
    let mut tx = pool.begin().await?;
    sqlx::query!(
        r#"UPDATE mailing_recipient SET
             state = CASE WHEN $3 THEN 'failed'::recipient_state ELSE 'queued'::recipient_state END,
             last_error = $2,
             next_attempt_at = now() + make_interval(mins => $4::float8::int)
           WHERE id = $1 AND state = 'queued'"#,
        recipient.recipient,
        message,
        give_up,
        pause_minutes,
    )
    .execute(&mut *tx)
    .await?;
    if let Failure::Refused { code, message } = failure {
        let bounce = feedback::Bounce {
            address: &recipient.address,
            permanent: true,
            status: code,
            diagnostic: Some(message),
        };
        feedback::record_bounce(&mut tx, Some(recipient.recipient), &bounce, None, hard_bounce_limit).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Marks a sending mailing sent once no recipient is left queued. Returns whether it did.
pub async fn finish_if_done(pool: &PgPool, mailing: Uuid) -> Result<bool> {
    let finished = sqlx::query!(
        "UPDATE mailing SET state = 'sent', finished_at = now(), updated_at = now()
         WHERE id = $1 AND state = 'sending'
           AND NOT EXISTS (SELECT 1 FROM mailing_recipient WHERE mailing_id = $1 AND state = 'queued')",
        mailing
    )
    .execute(pool)
    .await?
    .rows_affected()
        == 1;
    Ok(finished)
}

/// What staff see of a mailing's delivery.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    pub recipients: i64,
    pub queued: i64,
    pub sent: i64,
    pub failed: i64,
    pub skipped: i64,
    /// Recipients with at least one hard bounce for this mailing.
    pub bounced_hard: i64,
    pub bounced_soft: i64,
    /// Unsubscribes through this mailing's links or address.
    pub unsubscribed: i64,
}

pub async fn progress(pool: &PgPool, mailing: Uuid) -> Result<Progress> {
    let row = sqlx::query!(
        r#"SELECT count(*) AS "recipients!",
                  count(*) FILTER (WHERE state = 'queued') AS "queued!",
                  count(*) FILTER (WHERE state = 'sent') AS "sent!",
                  count(*) FILTER (WHERE state = 'failed') AS "failed!",
                  count(*) FILTER (WHERE state = 'skipped') AS "skipped!",
                  count(*) FILTER (WHERE EXISTS (SELECT 1 FROM bounce b WHERE b.recipient_id = r.id AND b.permanent))
                      AS "bounced_hard!",
                  count(*) FILTER (WHERE EXISTS (SELECT 1 FROM bounce b WHERE b.recipient_id = r.id AND NOT b.permanent))
                      AS "bounced_soft!",
                  (SELECT count(*) FROM consent c WHERE c.mailing_id = $1 AND c.state = 'unsubscribed')
                      AS "unsubscribed!"
           FROM mailing_recipient r WHERE r.mailing_id = $1"#,
        mailing
    )
    .fetch_one(pool)
    .await?;
    Ok(Progress {
        recipients: row.recipients,
        queued: row.queued,
        sent: row.sent,
        failed: row.failed,
        skipped: row.skipped,
        bounced_hard: row.bounced_hard,
        bounced_soft: row.bounced_soft,
        unsubscribed: row.unsubscribed,
    })
}
