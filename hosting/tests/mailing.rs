// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The campaign sender against a real SMTP server (aiosmtpd) that refuses some mail, as a relay
//! does: a refused recipient fails and counts as a hard bounce, a full mailbox is retried, and
//! the others get their mail; a relay that refuses every mail for a reason that is not the
//! recipient's (the sender, the content) pauses the mailing with its answer and marks nobody's
//! address, and resuming after the cause is fixed sends to everyone.
//! Needs `DATABASE_URL` and python3 with aiosmtpd: `cargo test -p hosting --test mailing`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use domain::audit::{Actor, Origin};
use domain::consent::ListKey;
use domain::mailing::{Content, MailingKeys, MailingState, NewMailing, Segment, campaign};
use domain::types::Language;
use hosting::config::{MailTransport, Settings, SmtpSecurity};
use hosting::mailing::CampaignSender;
use hosting::testing::{SinkOptions, SmtpSink};
use sqlx::PgPool;
use std::sync::Arc;
use uuid::Uuid;

const ORIGIN: Origin<'static> = Origin { actor: &Actor::System, source: "test" };

/// `n` supporters s1@example.org … subscribed to the newsletter.
async fn subscribers(pool: &PgPool, n: i32) {
    for statement in [
        "INSERT INTO person (display_name, preferred_language, supporter_number)
         SELECT 'Supporter ' || i, 'en', i FROM generate_series(1, $1) i",
        "INSERT INTO email_address (person_id, address, is_primary, verified_at)
         SELECT id, 's' || supporter_number || '@example.org', true, now() FROM person",
        "WITH c AS (INSERT INTO consent (person_id, list, state, source, text_version)
                    SELECT id, 'newsletter', 'subscribed', 'test', 'newsletter-2026-11' FROM person RETURNING person_id)
         INSERT INTO subscription (list_key, person_id, since) SELECT 'newsletter', person_id, now() FROM c",
    ] {
        let query = sqlx::query(statement);
        let query = if statement.contains("$1") { query.bind(n) } else { query };
        query.execute(pool).await.unwrap();
    }
}

async fn started_mailing(pool: &PgPool) -> Uuid {
    let mut tx = pool.begin().await.unwrap();
    let new = NewMailing {
        title: "Refusals".into(),
        list: ListKey::parse("newsletter").unwrap(),
        segment: Segment::default(),
        fallback_language: Language::English,
    };
    let id = campaign::create(&mut tx, ORIGIN, &new).await.unwrap();
    let content =
        Content { language: Language::English, subject: "News".into(), body: "Hello {{ name }}.".into() };
    campaign::set_content(&mut tx, ORIGIN, id, &content).await.unwrap();
    campaign::start(&mut tx, ORIGIN, id).await.unwrap();
    tx.commit().await.unwrap();
    id
}

fn sender(sink: &SmtpSink) -> CampaignSender {
    let mut settings = Settings::default();
    settings.http.public_url = "https://my.example.org".into();
    settings.mail.from = "Friends <news@example.org>".into();
    settings.mail.transport = MailTransport::Smtp;
    settings.mail.smtp_host = "127.0.0.1".into();
    settings.mail.smtp_port = sink.port;
    settings.mail.smtp_security = SmtpSecurity::None;
    settings.mailing.messages_per_second = 0;
    settings.mailing.connections = 2;
    settings.mailing.hard_bounce_limit = 1;
    let keys = Arc::new(MailingKeys::parse(&MailingKeys::new_file_line("test")).unwrap());
    CampaignSender::from_settings(&settings, keys).unwrap()
}

/// Each recipient row's address, state, attempts and last error.
async fn rows(pool: &PgPool, id: Uuid) -> Vec<(String, String, i32, Option<String>)> {
    sqlx::query_as(
        "SELECT address, state::text, attempts, last_error FROM mailing_recipient WHERE mailing_id = $1 ORDER BY address",
    )
    .bind(id)
    .fetch_all(pool)
    .await
    .unwrap()
}

async fn undeliverable(pool: &PgPool) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT address FROM email_address WHERE undeliverable_since IS NOT NULL ORDER BY address",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_refused_recipient_bounces_a_full_mailbox_is_retried_and_the_others_get_their_mail(pool: PgPool) {
    subscribers(&pool, 4).await;
    let id = started_mailing(&pool).await;
    let refusals = [
        ("s2@example.org", "550 5.1.1 <s2@example.org>: Recipient address rejected: User unknown"),
        ("s3@example.org", "552 5.2.2 <s3@example.org>: Mailbox full"),
    ];
    let sink = SmtpSink::start(SinkOptions { refuse_rcpt: &refusals, ..SinkOptions::default() }).await;
    let pass = sender(&sink).send_mailing(&pool, id).await.unwrap();
    assert_eq!((pass.sent, pass.failed), (2, 2), "{pass:?}");
    let mails = sink.wait_for(2).await;
    assert!(
        mails.iter().any(|m| m.contains("To: s1@example.org"))
            && mails.iter().any(|m| m.contains("To: s4@example.org"))
    );
    let rows = rows(&pool, id).await;
    assert_eq!((rows[1].1.as_str(), rows[1].2), ("failed", 1), "s2 failed for good: {rows:?}");
    assert!(rows[1].3.as_deref().unwrap().starts_with("5.1.1"), "{rows:?}");
    assert_eq!((rows[2].1.as_str(), rows[2].2), ("queued", 1), "s3 is tried again later: {rows:?}");
    assert!(rows[2].3.as_deref().unwrap().contains("5.2.2"), "{rows:?}");
    assert_eq!(undeliverable(&pool).await, ["s2@example.org"], "only the unknown user's address");
    let mailing = campaign::get(&mut pool.acquire().await.unwrap(), id).await.unwrap().unwrap();
    assert_eq!(mailing.state, MailingState::Sending, "s3 is still queued");
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_relay_refusing_every_mail_pauses_the_mailing_and_marks_nobody(pool: PgPool) {
    subscribers(&pool, 6).await;
    let id = started_mailing(&pool).await;
    let reply = "554 5.7.1 <news@example.org>: Sender address rejected: not owned by user";
    let refusing = SmtpSink::start(SinkOptions { refuse_data: Some(reply), ..SinkOptions::default() }).await;
    let pass = sender(&refusing).send_mailing(&pool, id).await.unwrap();
    assert_eq!((pass.sent, pass.failed), (0, 0), "{pass:?}");
    assert_eq!(refusing.count(), 0);
    let mailing = campaign::get(&mut pool.acquire().await.unwrap(), id).await.unwrap().unwrap();
    assert_eq!(mailing.state, MailingState::Paused);
    let reason = mailing.paused_because.unwrap();
    assert!(reason.starts_with("5.7.1") && reason.contains("Sender address rejected"), "{reason}");
    // Nobody's address is charged, every row is queued with its attempt given back.
    assert!(undeliverable(&pool).await.is_empty());
    let bounces: i64 = sqlx::query_scalar("SELECT count(*) FROM bounce").fetch_one(&pool).await.unwrap();
    assert_eq!(bounces, 0);
    assert!(rows(&pool, id).await.iter().all(|r| r.1 == "queued" && r.2 == 0), "{:?}", rows(&pool, id).await);

    // Staff fix the relay's settings and resume: everyone gets the mail, once.
    let fixed = SmtpSink::start(SinkOptions::default()).await;
    let mut tx = pool.begin().await.unwrap();
    campaign::resume(&mut tx, ORIGIN, id).await.unwrap();
    tx.commit().await.unwrap();
    let pass = sender(&fixed).send_mailing(&pool, id).await.unwrap();
    assert_eq!(pass.sent, 6);
    assert_eq!(fixed.wait_for(6).await.len(), 6);
    let mailing = campaign::get(&mut pool.acquire().await.unwrap(), id).await.unwrap().unwrap();
    assert_eq!((mailing.state, mailing.paused_because), (MailingState::Sent, None));
}
