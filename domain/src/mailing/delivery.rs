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
//! A row is skipped, not sent, when its person unsubscribed, was erased, or has no deliverable
//! address any more since the recipients were chosen, or when its list was archived; a person
//! who changed their primary address meanwhile gets the mail at the new one. A transient
//! failure (4xx, connection lost) is retried with growing pauses; the relay refusing the
//! recipient (5.1.1 and kin, see [`refusal`]) or the last attempt fails the row, and a
//! refusal of the recipient counts as a hard bounce of the address. A permanent refusal that
//! is not about the recipient (authentication, the sender, the content) would fail every row
//! alike: the sender pauses the mailing instead ([`super::campaign::pause_by_sender`]).

use super::feedback;
use crate::Result;
use sqlx::PgPool;
use time::Duration;
use uuid::Uuid;

/// After this many attempts a recipient is given up (the pauses, 1 min doubling, add up to
/// about two hours).
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
    /// Still subscribed to the mailing's list, and the list not archived (else the row is to
    /// be skipped).
    pub subscribed: bool,
    /// `address` is the person's verified primary address and not undeliverable (else the row
    /// is to be skipped).
    pub deliverable: bool,
}

impl Claimed {
    /// Why this recipient is to be skipped rather than sent to, if it is.
    pub fn skip_reason(&self) -> Option<&'static str> {
        if self.person.is_none() {
            Some("the person was erased")
        } else if !self.subscribed {
            Some("no longer subscribed (or the list archived) when its turn came")
        } else if !self.deliverable {
            Some("no verified, deliverable address when its turn came")
        } else {
            None
        }
    }
}

/// The mailings senders should work on now.
pub async fn sending(pool: &PgPool) -> Result<Vec<Uuid>> {
    Ok(sqlx::query_scalar!("SELECT id FROM mailing WHERE state = 'sending' ORDER BY started_at")
        .fetch_all(pool)
        .await?)
}

/// Claims up to `limit` due recipients of `mailing` for `lease`, if it is sending. Each
/// comes with the person's current primary address, if it is verified and deliverable (the
/// row's address is updated to it), and whether the person is still subscribed to a list that
/// is not archived.
pub async fn claim(pool: &PgPool, mailing: Uuid, limit: i64, lease: Duration) -> Result<Vec<Claimed>> {
    let rows = sqlx::query!(
        r#"WITH claimed AS (
             UPDATE mailing_recipient r SET attempts = r.attempts + 1,
                    next_attempt_at = now() + make_interval(secs => $3),
                    address = COALESCE((SELECT e.address FROM email_address e
                                        WHERE e.person_id = r.person_id AND e.is_primary
                                          AND e.verified_at IS NOT NULL AND e.undeliverable_since IS NULL),
                                       r.address)
             WHERE r.id IN (SELECT q.id FROM mailing_recipient q JOIN mailing m ON m.id = q.mailing_id
                            WHERE q.mailing_id = $1 AND m.state = 'sending' AND q.state = 'queued'
                              AND q.next_attempt_at <= now()
                            ORDER BY q.next_attempt_at, q.id
                            LIMIT $2
                            FOR UPDATE OF q SKIP LOCKED)
             RETURNING r.id, r.person_id, r.address, r.attempts
           )
           SELECT c.id, c.person_id, c.address, c.attempts,
                  COALESCE(p.display_name, '') AS "display_name!", p.supporter_number,
                  COALESCE(p.preferred_language, 'en') AS "language!",
                  EXISTS (SELECT 1 FROM subscription s JOIN mailing m ON m.list_key = s.list_key
                          JOIN info_list l ON l.key = m.list_key
                          WHERE m.id = $1 AND s.person_id = c.person_id AND l.archived_at IS NULL)
                      AS "subscribed!",
                  EXISTS (SELECT 1 FROM email_address e
                          WHERE e.person_id = c.person_id AND e.is_primary AND e.verified_at IS NOT NULL
                            AND e.undeliverable_since IS NULL AND lower(e.address) = lower(c.address))
                      AS "deliverable!"
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
            deliverable: r.deliverable,
        })
        .collect())
}

/// Gives claimed recipients back untried (their lease ran short, or the mailing was paused):
/// due again at once, the attempt not counted.
pub async fn release(pool: &PgPool, recipients: &[i64]) -> Result<()> {
    if recipients.is_empty() {
        return Ok(());
    }
    sqlx::query!(
        "UPDATE mailing_recipient SET attempts = greatest(attempts - 1, 0), next_attempt_at = now()
         WHERE id = ANY($1) AND state = 'queued'",
        recipients
    )
    .execute(pool)
    .await?;
    Ok(())
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
    /// Worth another try later: connection refused, timeout, 4xx, a full mailbox.
    Transient(String),
    /// The relay refused this recipient for good (5.1.1 and kin, see [`refusal`]): `code` is
    /// the enhanced status or the SMTP reply code. Counts as a hard bounce.
    Refused { code: String, message: String },
    /// The relay refused for good for a reason not about the recipient (authentication, the
    /// sender, the content, a policy): every other recipient would fail alike, so the mailing
    /// is paused and this row stays queued.
    Relay { code: String, message: String },
    /// The mail cannot be built (an address lettre does not take): not the address's fault.
    Unsendable(String),
}

/// Classifies a permanent (5xx) SMTP reply: `reply` is its code (550), `text` its text, whose
/// first word may be an enhanced status code (RFC 3463, "5.1.1"). Only statuses about the
/// recipient's mailbox or domain refuse the recipient; a full mailbox (5.2.2) is retried;
/// anything else, and a reply without an enhanced status other than 550 or 551, is about the
/// relay, the sender or the message.
pub fn refusal(reply: Option<u16>, text: &str) -> Failure {
    let enhanced = text.split_whitespace().find_map(|word| {
        let word = word.trim_matches(|c: char| !c.is_ascii_digit());
        let mut parts = word.split('.').map(|p| p.parse::<u16>().ok());
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some(Some(class @ (4 | 5))), Some(Some(subject)), Some(Some(detail)), None)
                if subject < 1000 && detail < 1000 =>
            {
                Some((class, subject, detail))
            }
            _ => None,
        }
    });
    let message: String = text.chars().take(1000).collect();
    let code = |fallback: &str| match enhanced {
        Some((class, subject, detail)) => format!("{class}.{subject}.{detail}"),
        None => reply.map_or_else(|| fallback.to_owned(), |r| r.to_string()),
    };
    match (enhanced, reply) {
        // Bad mailbox, bad domain, bad syntax, moved, null MX; disabled mailbox; list
        // expansion; no route to the domain, or refused by its directory (Microsoft's 5.4.1).
        (Some((5, 1, 1 | 2 | 3 | 6 | 10) | (5, 2, 1 | 4) | (5, 4, 1 | 4)), _) => {
            Failure::Refused { code: code("5.0.0"), message }
        }
        (Some((_, 2, 2)), _) => Failure::Transient(format!("{} {message}", code("5.2.2"))),
        (None, Some(550 | 551)) => Failure::Refused { code: code("550"), message },
        _ => Failure::Relay { code: code("5.0.0"), message },
    }
}

/// Records a failed attempt: a transient one is retried after a pause that doubles each time
/// (1 min, 2, 4, … at most 6 h) until [`MAX_ATTEMPTS`]; a refusal fails the row and counts as a
/// hard bounce of its address. A [`Failure::Relay`] is not the row's: see [`release`].
pub async fn mark_failed(
    pool: &PgPool,
    recipient: &Claimed,
    failure: &Failure,
    hard_bounce_limit: i32,
) -> Result<()> {
    let (message, give_up) = match failure {
        Failure::Transient(message) => (message.clone(), recipient.attempts >= MAX_ATTEMPTS),
        Failure::Refused { code, message } => (format!("{code} {message}"), true),
        Failure::Relay { code, message } => (format!("{code} {message}"), false),
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
            person: recipient.person,
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

#[cfg(test)]
mod tests {
    use super::{Failure, refusal};

    fn kind(reply: u16, text: &str) -> &'static str {
        match refusal(Some(reply), text) {
            Failure::Refused { .. } => "recipient",
            Failure::Relay { .. } => "relay",
            Failure::Transient(_) => "retry",
            Failure::Unsendable(_) => "unsendable",
        }
    }

    #[test]
    fn only_refusals_about_the_recipient_count_against_them() {
        for (reply, text, expected) in [
            (550, "5.1.1 <ada@example.org>: Recipient address rejected: User unknown", "recipient"),
            (550, "5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found", "recipient"),
            (550, "5.4.1 Recipient address rejected: Access denied. AS(201806281)", "recipient"),
            (554, "5.4.4 [example.invalid]: Host not found", "recipient"),
            (550, "5.2.1 The email account that you tried to reach is disabled.", "recipient"),
            (552, "5.2.2 The recipient's inbox is out of storage space.", "retry"),
            (550, "Requested action not taken: mailbox unavailable", "recipient"),
            (553, "5.1.8 <news@example.org>: Sender address rejected: Domain not found", "relay"),
            (535, "5.7.8 Username and Password not accepted", "relay"),
            (530, "Authentication required", "relay"),
            (554, "5.7.1 <x@example.org>: Relay access denied", "relay"),
            (550, "5.7.1 Message rejected as spam by Content Filtering [192.0.2.1]", "relay"),
            (552, "5.3.4 Message size exceeds fixed limit", "relay"),
            (554, "Transaction failed", "relay"),
        ] {
            assert_eq!(kind(reply, text), expected, "{reply} {text}");
        }
        assert_eq!(
            refusal(Some(550), "5.1.1 user unknown"),
            Failure::Refused { code: "5.1.1".into(), message: "5.1.1 user unknown".into() }
        );
        // An address in the text is not a status code; the reply code is kept instead.
        assert_eq!(
            refusal(Some(550), "mailbox 1.2.3.4 unavailable"),
            Failure::Refused { code: "550".into(), message: "mailbox 1.2.3.4 unavailable".into() }
        );
        let long = "5.7.1 ".to_owned() + &"x".repeat(5000);
        let Failure::Relay { message, .. } = refusal(None, &long) else { panic!("a relay refusal") };
        assert_eq!(message.chars().count(), 1000, "the stored text is bounded");
    }
}
