// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The mail worker against a real SMTP server (aiosmtpd on loopback, with STARTTLS and AUTH) and
//! the outbox folder, with the queue in a fresh database per test.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use domain::mail::{self, MailKind, OutgoingMail};
use hosting::config::{MailSettings, MailTransport, SmtpSecurity};
use hosting::mail::{Mailer, deliver_due};
use hosting::testing::{SinkOptions, SmtpSink, body_text, test_certificates};
use sqlx::PgPool;

async fn queue(pool: &PgPool, to: &str, subject: &str, body: &str) -> uuid::Uuid {
    let mut tx = pool.begin().await.unwrap();
    let mail = OutgoingMail {
        kind: MailKind::LoginLink,
        person: None,
        to: to.parse().unwrap(),
        subject: subject.into(),
        body: body.into(),
    };
    let id = mail::enqueue(&mut tx, &mail).await.unwrap();
    tx.commit().await.unwrap();
    id
}

struct JobRow {
    state: String,
    attempts: i32,
    body: String,
    last_error: Option<String>,
    retry_later: bool,
}

async fn job(pool: &PgPool, id: uuid::Uuid) -> JobRow {
    let row: (String, i32, String, Option<String>, bool) = sqlx::query_as(
        "SELECT state::text, attempts, body, last_error, next_attempt_at > now() FROM mail_job WHERE id = $1",
    )
    .bind(id)
    .fetch_one(pool)
    .await
    .unwrap();
    JobRow { state: row.0, attempts: row.1, body: row.2, last_error: row.3, retry_later: row.4 }
}

fn smtp_settings(port: u16) -> MailSettings {
    MailSettings {
        from: "Test Supporters <noreply@example.org>".into(),
        transport: MailTransport::Smtp,
        smtp_host: "127.0.0.1".into(),
        smtp_port: port,
        smtp_security: SmtpSecurity::None,
        ..MailSettings::default()
    }
}

/// A server demanding STARTTLS (its CA configured) and AUTH as "mailer" with `server_password`,
/// and a mailer whose password file holds `our_password`.
async fn starttls_with_auth(
    dir: &std::path::Path,
    server_password: &str,
    our_password: &str,
) -> (SmtpSink, Mailer) {
    let certs = test_certificates(dir);
    let sink = SmtpSink::start(SinkOptions {
        tls: Some((&certs.cert, &certs.key)),
        auth: Some(("mailer", server_password)),
        ..SinkOptions::default()
    })
    .await;
    let password = dir.join("smtp-password");
    std::fs::write(&password, our_password).unwrap();
    let settings = MailSettings {
        smtp_security: SmtpSecurity::Starttls,
        smtp_username: "mailer".into(),
        smtp_password_file: Some(password),
        smtp_ca_file: Some(certs.ca.clone()),
        ..smtp_settings(sink.port)
    };
    (sink, Mailer::from_settings(&settings).unwrap())
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn mail_goes_out_over_starttls_with_auth_and_its_body_is_forgotten(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let (sink, mailer) =
        starttls_with_auth(dir.path(), "correct horse battery", "correct horse battery\n").await;
    let long_link = format!("https://id.example.org/link?t={}", "x".repeat(90));
    let id =
        queue(&pool, "ada@example.org", "Your login link – Grüße", &format!("Hello Ada,\n\n{long_link}\n"))
            .await;

    assert_eq!(deliver_due(&pool, &mailer).await.unwrap(), 1);
    let messages = sink.wait_for(1).await;
    assert_eq!(messages.len(), 1);
    let raw = &messages[0];
    assert!(raw.contains("To: ada@example.org"), "{raw}");
    assert!(raw.contains("From: \"Test Supporters\" <noreply@example.org>"), "{raw}");
    assert!(raw.contains(&format!("Message-ID: <{id}@example.org>")), "{raw}");
    assert!(body_text(raw).contains(&long_link), "the link survives encoding: {raw}");
    let job = job(&pool, id).await;
    assert_eq!(job.state, "sent");
    assert_eq!(job.body, "", "a sent mail's body (it may hold a link) is not kept");

    assert_eq!(deliver_due(&pool, &mailer).await.unwrap(), 0, "nothing is sent twice");
    assert_eq!(sink.messages().len(), 1);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_wrong_smtp_password_fails_the_job_for_good_without_sending(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let (sink, mailer) = starttls_with_auth(dir.path(), "right", "wrong").await;
    let id = queue(&pool, "ada@example.org", "Hello", "secret link").await;
    assert_eq!(deliver_due(&pool, &mailer).await.unwrap(), 0);
    let job = job(&pool, id).await;
    assert_eq!(job.state, "failed", "535 is permanent: {:?}", job.last_error);
    assert!(job.last_error.unwrap_or_default().contains("535"));
    assert_eq!(job.body, "", "a given-up mail's body is not kept either");
    assert!(sink.messages().is_empty());
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn an_untrusted_certificate_is_refused(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let certs = test_certificates(dir.path());
    let sink =
        SmtpSink::start(SinkOptions { tls: Some((&certs.cert, &certs.key)), ..SinkOptions::default() }).await;
    // No smtp_ca_file: the test CA is not among the public roots.
    let settings = MailSettings { smtp_security: SmtpSecurity::Starttls, ..smtp_settings(sink.port) };
    let mailer = Mailer::from_settings(&settings).unwrap();
    let id = queue(&pool, "ada@example.org", "Hello", "body").await;
    assert_eq!(deliver_due(&pool, &mailer).await.unwrap(), 0);
    let job = job(&pool, id).await;
    assert_eq!(job.state, "queued", "a TLS failure may be fixed by the operator: retried later");
    assert!(job.retry_later);
    assert!(sink.messages().is_empty());
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn an_unreachable_server_leaves_the_mail_queued_for_a_later_attempt(pool: PgPool) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mailer = Mailer::from_settings(&smtp_settings(port)).unwrap();
    let id = queue(&pool, "ada@example.org", "Hello", "keep me").await;
    assert_eq!(deliver_due(&pool, &mailer).await.unwrap(), 0);
    let job = job(&pool, id).await;
    assert_eq!((job.state.as_str(), job.attempts), ("queued", 1));
    assert!(job.retry_later, "not retried at once");
    assert_eq!(job.body, "keep me");
    assert_eq!(deliver_due(&pool, &mailer).await.unwrap(), 0, "not due yet");
    assert_eq!(mail::queued(&pool).await.unwrap(), 1);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn two_workers_send_each_mail_exactly_once(pool: PgPool) {
    let outbox = tempfile::tempdir().unwrap();
    let settings = MailSettings {
        transport: MailTransport::Outbox,
        outbox_dir: outbox.path().to_owned(),
        ..MailSettings::default()
    };
    for i in 0..60 {
        queue(&pool, &format!("person{i}@example.org"), "Hello", &format!("mail number {i}.")).await;
    }
    let (a, b) = (Mailer::from_settings(&settings).unwrap(), Mailer::from_settings(&settings).unwrap());
    let (sent_a, sent_b) = tokio::join!(deliver_due(&pool, &a), deliver_due(&pool, &b));
    assert_eq!(sent_a.unwrap() + sent_b.unwrap(), 60);
    let files: Vec<String> = std::fs::read_dir(outbox.path())
        .unwrap()
        .map(|f| std::fs::read_to_string(f.unwrap().path()).unwrap())
        .collect();
    assert_eq!(files.len(), 60, "one .eml file per mail");
    for i in 0..60 {
        let number = format!("mail number {i}.");
        assert_eq!(files.iter().filter(|f| f.contains(&number)).count(), 1, "mail {i}");
    }
    assert_eq!(mail::queued(&pool).await.unwrap(), 0);
}

#[test]
fn bad_mail_settings_name_the_key() {
    let settings = MailSettings { from: "not an address".into(), ..MailSettings::default() };
    let error = Mailer::from_settings(&settings).err().unwrap().to_string();
    assert!(error.starts_with("mail.from"), "{error}");
    let settings = MailSettings {
        transport: MailTransport::Smtp,
        smtp_username: "mailer".into(),
        ..MailSettings::default()
    };
    let error = Mailer::from_settings(&settings).err().unwrap().to_string();
    assert!(error.contains("mail.smtp_password_file"), "{error}");
    let settings = MailSettings {
        transport: MailTransport::Smtp,
        smtp_ca_file: Some("/nonexistent/ca.pem".into()),
        ..MailSettings::default()
    };
    let error = Mailer::from_settings(&settings).err().unwrap().to_string();
    assert!(error.starts_with("mail.smtp_ca_file /nonexistent/ca.pem"), "{error}");
}
