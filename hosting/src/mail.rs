// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Sends the mail queue (`domain::mail`) with lettre: over SMTP (STARTTLS or TLS, with AUTH)
//! or, in the local default, into an outbox folder of `.eml` files.
//!
//! Any number of binaries may run the worker at once; the queue hands each job to one of them.

use crate::config::{MailSettings, MailTransport, SmtpSecurity};
use domain::mail::{self, Failure, Job};
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::AsyncSmtpTransportBuilder;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use sqlx::PgPool;
use std::path::PathBuf;
use std::time::Duration;

/// How many jobs one pass sends at most.
const BATCH: i64 = 20;
/// How long a claimed job stays hidden from other workers: longer than any SMTP timeout.
const LEASE: time::Duration = time::Duration::minutes(5);
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);
/// Sent and failed jobs are kept this long for questions like "did my mail go out?".
const KEEP_FINISHED: time::Duration = time::Duration::days(30);

/// A mail setting that cannot be used, naming the key.
#[derive(Debug, thiserror::Error)]
pub enum MailSetupError {
    #[error("mail.from {0:?} is not an address like \"Name <noreply@example.org>\"")]
    From(String),
    #[error("mail.outbox_dir {path}: {source}")]
    Outbox { path: PathBuf, source: std::io::Error },
    #[error("mail.smtp_password_file is required with mail.smtp_username")]
    MissingPassword,
    #[error("{key} {path}: {source}")]
    File { key: &'static str, path: PathBuf, source: std::io::Error },
    #[error("mail.smtp_ca_file: {0}")]
    Certificate(String),
    #[error("mail.smtp_host {host:?}: {reason}")]
    Tls { host: String, reason: String },
}

enum Transport {
    Outbox(AsyncFileTransport<Tokio1Executor>),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

/// Sends jobs through the configured transport.
pub struct Mailer {
    transport: Transport,
    from: Mailbox,
}

impl Mailer {
    pub fn from_settings(settings: &MailSettings) -> Result<Self, MailSetupError> {
        let from: Mailbox = settings.from.parse().map_err(|_| MailSetupError::From(settings.from.clone()))?;
        let transport = match settings.transport {
            MailTransport::Outbox => {
                let path = settings.outbox_dir.clone();
                std::fs::create_dir_all(&path)
                    .map_err(|source| MailSetupError::Outbox { path: path.clone(), source })?;
                Transport::Outbox(AsyncFileTransport::new(path))
            }
            MailTransport::Smtp => Transport::Smtp(smtp(settings)?),
        };
        Ok(Self { transport, from })
    }

    /// Sends one job.
    pub async fn send(&self, job: &Job) -> Result<(), Failure> {
        let to: Mailbox =
            job.recipient.parse().map_err(|_| Failure::Permanent("recipient is not an address".into()))?;
        let domain = self.from.email.domain().to_owned();
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(job.subject.clone())
            .message_id(Some(format!("<{}@{domain}>", job.id)))
            .header(ContentType::TEXT_PLAIN)
            .body(job.body.clone())
            .map_err(|e| Failure::Permanent(format!("building the message: {e}")))?;
        match &self.transport {
            Transport::Outbox(outbox) => {
                outbox.send(message).await.map(drop).map_err(|e| Failure::Transient(e.to_string()))
            }
            Transport::Smtp(smtp) => smtp.send(message).await.map(drop).map_err(|e| {
                if e.is_permanent() {
                    Failure::Permanent(e.to_string())
                } else {
                    Failure::Transient(e.to_string())
                }
            }),
        }
    }
}

fn smtp(settings: &MailSettings) -> Result<AsyncSmtpTransport<Tokio1Executor>, MailSetupError> {
    Ok(smtp_builder(settings)?.build())
}

/// The relay of `[mail]`, for a caller that sets its own pool (campaigns).
pub(crate) fn smtp_builder(settings: &MailSettings) -> Result<AsyncSmtpTransportBuilder, MailSetupError> {
    let host = settings.smtp_host.clone();
    let tls_error =
        |e: lettre::transport::smtp::Error| MailSetupError::Tls { host: host.clone(), reason: e.to_string() };
    let tls = || -> Result<TlsParameters, MailSetupError> {
        let mut builder = TlsParameters::builder(host.clone());
        if let Some(path) = &settings.smtp_ca_file {
            let pem = std::fs::read(path).map_err(|source| MailSetupError::File {
                key: "mail.smtp_ca_file",
                path: path.clone(),
                source,
            })?;
            let certificate =
                Certificate::from_pem(&pem).map_err(|e| MailSetupError::Certificate(e.to_string()))?;
            builder = builder.add_root_certificate(certificate);
        }
        builder.build_rustls().map_err(tls_error)
    };
    let tls = match settings.smtp_security {
        SmtpSecurity::Starttls => Tls::Required(tls()?),
        SmtpSecurity::Tls => Tls::Wrapper(tls()?),
        SmtpSecurity::None => Tls::None,
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host.clone())
        .port(settings.smtp_port)
        .tls(tls)
        .timeout(Some(SMTP_TIMEOUT));
    if !settings.smtp_username.is_empty() {
        let path = settings.smtp_password_file.as_ref().ok_or(MailSetupError::MissingPassword)?;
        let password = std::fs::read_to_string(path).map_err(|source| MailSetupError::File {
            key: "mail.smtp_password_file",
            path: path.clone(),
            source,
        })?;
        builder =
            builder.credentials(Credentials::new(settings.smtp_username.clone(), password.trim().to_owned()));
    }
    Ok(builder)
}

/// Sends every due job once; returns how many were delivered.
pub async fn deliver_due(pool: &PgPool, mailer: &Mailer) -> Result<usize, domain::DomainError> {
    let mut delivered = 0;
    loop {
        let jobs = mail::claim(pool, BATCH, LEASE).await?;
        if jobs.is_empty() {
            return Ok(delivered);
        }
        for job in &jobs {
            match mailer.send(job).await {
                Ok(()) => {
                    mail::mark_sent(pool, job.id).await?;
                    tracing::info!(job = %job.id, kind = job.kind, "mail sent");
                    delivered += 1;
                }
                Err(failure) => {
                    // The server's answer, never the body: it may hold a one-time link.
                    tracing::warn!(job = %job.id, kind = job.kind, attempt = job.attempts, ?failure, "sending mail failed");
                    mail::mark_failed(pool, job, &failure).await?;
                }
            }
        }
    }
}

/// Sends the queue until the task is dropped: looks every `poll_interval_ms`. Pruning finished
/// jobs is a scheduled job ([`prune_job`]).
pub async fn run_worker(pool: PgPool, mailer: Mailer, settings: MailSettings) {
    let mut poll = tokio::time::interval(Duration::from_millis(settings.poll_interval_ms.max(50)));
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        poll.tick().await;
        if let Err(e) = deliver_due(&pool, &mailer).await {
            tracing::warn!(error = ?e, "the mail queue could not be read");
        }
    }
}

/// Deletes finished mail jobs older than 30 days, once an hour across all instances (the idp's
/// and the supporter app's share it: one name, one schedule).
pub fn prune_job(pool: PgPool) -> crate::scheduler::Job {
    crate::scheduler::Job::new("mail_prune", Duration::from_secs(3600), move || {
        let pool = pool.clone();
        async move {
            let deleted = mail::prune(&pool, KEEP_FINISHED).await.map_err(|e| e.to_string())?;
            Ok(format!("{deleted} finished mail jobs deleted"))
        }
    })
}
