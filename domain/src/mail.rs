// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The outgoing-mail queue. Whoever wants a mail sent queues it in the same transaction as the
//! change it reports (a login link exists exactly when its mail is queued); workers in any
//! binary and on any machine send it.
//!
//! A worker claims due jobs with `FOR UPDATE SKIP LOCKED` and leases them by moving their next
//! attempt past the lease, so two workers never send one job, and a worker that dies mid-send
//! leaves its jobs to be retried once the lease ends. A failed attempt is retried with growing
//! pauses; a permanent refusal (5xx from the server) or the last attempt gives up.

use crate::Result;
use crate::types::{Email, PersonId};
use sqlx::{PgPool, Postgres, Transaction};
use time::Duration;
use uuid::Uuid;

/// What a mail is for. Recorded with the job for logs and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKind {
    LoginLink,
    SetPasswordLink,
    ConfirmRegistration,
    AlreadyRegistered,
    ConfirmEmail,
    ConfirmDonation,
    ThankYou,
    RenewPledge,
    PaymentFailed,
    TransferReminder,
    StatementReady,
    ConfirmSubscription,
}

impl MailKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MailKind::LoginLink => "login_link",
            MailKind::SetPasswordLink => "set_password_link",
            MailKind::ConfirmRegistration => "confirm_registration",
            MailKind::AlreadyRegistered => "already_registered",
            MailKind::ConfirmEmail => "confirm_email",
            MailKind::ConfirmDonation => "confirm_donation",
            MailKind::ThankYou => "thank_you",
            MailKind::RenewPledge => "renew_pledge",
            MailKind::PaymentFailed => "payment_failed",
            MailKind::TransferReminder => "transfer_reminder",
            MailKind::StatementReady => "statement_ready",
            MailKind::ConfirmSubscription => "confirm_subscription",
        }
    }
}

/// A mail to queue: one recipient, a subject and a plain-text body.
#[derive(Debug, Clone)]
pub struct OutgoingMail {
    pub kind: MailKind,
    pub person: Option<PersonId>,
    pub to: Email,
    pub subject: String,
    pub body: String,
}

/// A claimed job, to be sent now.
#[derive(Clone)]
pub struct Job {
    pub id: Uuid,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    /// Attempts including this one.
    pub attempts: i32,
}

// The body may hold a one-time link: keep it out of logs.
impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job").field("id", &self.id).field("kind", &self.kind).finish_non_exhaustive()
    }
}

/// Why sending failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Worth another try later: connection refused, timeout, 4xx.
    Transient(String),
    /// The server refused for good (5xx) or the mail cannot be built: do not retry.
    Permanent(String),
}

/// After this many attempts a job is given up (the pauses add up to about a day).
pub const MAX_ATTEMPTS: i32 = 10;

/// Queues a mail; it goes out when a worker next looks (within a second by default).
#[tracing::instrument(name = "mail::enqueue", skip_all, fields(kind = mail.kind.as_str()))]
pub async fn enqueue(tx: &mut Transaction<'_, Postgres>, mail: &OutgoingMail) -> Result<Uuid> {
    // Header injection is impossible in lettre, but a line break in a subject is always our bug.
    let subject: String = mail.subject.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let id = sqlx::query_scalar!(
        r#"INSERT INTO mail_job (kind, person_id, recipient, subject, body)
           VALUES ($1, $2, $3, $4, $5) RETURNING id"#,
        mail.kind.as_str(),
        mail.person as Option<PersonId>,
        mail.to.as_str(),
        subject,
        mail.body,
    )
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

/// Claims up to `limit` due jobs for `lease`: no other worker sees them until then.
pub async fn claim(pool: &PgPool, limit: i64, lease: Duration) -> Result<Vec<Job>> {
    let jobs = sqlx::query_as!(
        Job,
        r#"UPDATE mail_job SET attempts = attempts + 1, next_attempt_at = now() + make_interval(secs => $2)
           WHERE id IN (SELECT id FROM mail_job
                        WHERE state = 'queued' AND next_attempt_at <= now()
                        ORDER BY next_attempt_at
                        LIMIT $1
                        FOR UPDATE SKIP LOCKED)
           RETURNING id, kind, recipient, subject, body, attempts"#,
        limit,
        lease.as_seconds_f64(),
    )
    .fetch_all(pool)
    .await?;
    Ok(jobs)
}

/// Records a delivered job and forgets its body.
pub async fn mark_sent(pool: &PgPool, id: Uuid) -> Result<()> {
    sqlx::query!(
        "UPDATE mail_job SET state = 'sent', sent_at = now(), body = '', last_error = NULL WHERE id = $1",
        id
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Records a failed attempt: retried after a pause that doubles each time (1 min, 2, 4, ... at
/// most 6 h), or given up when permanent or after [`MAX_ATTEMPTS`].
pub async fn mark_failed(pool: &PgPool, job: &Job, failure: &Failure) -> Result<()> {
    let (message, give_up) = match failure {
        Failure::Transient(message) => (message, job.attempts >= MAX_ATTEMPTS),
        Failure::Permanent(message) => (message, true),
    };
    let message: String = message.chars().take(1000).collect();
    let pause_minutes = 2_f64.powi((job.attempts - 1).clamp(0, 9)).min(360.0);
    sqlx::query!(
        r#"UPDATE mail_job SET
             state = CASE WHEN $3 THEN 'failed'::mail_state ELSE 'queued'::mail_state END,
             body = CASE WHEN $3 THEN '' ELSE body END,
             last_error = $2,
             next_attempt_at = now() + make_interval(mins => $4::float8::int)
           WHERE id = $1"#,
        job.id,
        message,
        give_up,
        pause_minutes,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Deletes sent and failed jobs older than `age`; returns how many.
pub async fn prune(pool: &PgPool, age: Duration) -> Result<u64> {
    let deleted = sqlx::query!(
        "DELETE FROM mail_job WHERE state <> 'queued' AND created_at < now() - make_interval(secs => $1)",
        age.as_seconds_f64()
    )
    .execute(pool)
    .await?;
    Ok(deleted.rows_affected())
}

/// How many jobs wait to be sent (for health pages and metrics).
pub async fn queued(pool: &PgPool) -> Result<i64> {
    Ok(sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM mail_job WHERE state = 'queued'"#)
        .fetch_one(pool)
        .await?)
}
