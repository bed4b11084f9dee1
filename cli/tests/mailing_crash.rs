// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! A mailing survives its sender: `cdb-admin mailing send --wait` is killed (SIGKILL) in the
//! middle of a mailing of 5,000 recipients into a real SMTP server (aiosmtpd) and started again.
//! Every recipient gets the mail; the repeats all carry the `Message-ID` of the first copy, and
//! there are no more of them than the sender had leased but not yet marked. Two senders at once
//! send each recipient exactly one mail.
//! Needs `DATABASE_URL` and python3 with aiosmtpd: `cargo test -p cli --test mailing_crash`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use domain::audit::{Actor, Origin};
use domain::consent::ListKey;
use domain::mailing::{Content, MailingKeys, MailingState, NewMailing, Segment, campaign};
use domain::types::Language;
use hosting::testing::{SinkOptions, SmtpSink};
use sqlx::PgPool;
use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use uuid::Uuid;

const ORIGIN: Origin<'static> = Origin { actor: &Actor::System, source: "test" };
/// The sender's batch: the bound on repeats after a crash.
const BATCH: usize = 100;

fn database_url(pool: &PgPool) -> String {
    let options = pool.connect_options();
    format!(
        "postgres://{}@{}:{}/{}",
        options.get_username(),
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap()
    )
}

/// `n` supporters subscribed to the newsletter, made in three statements.
async fn subscribers(pool: &PgPool, n: i32) {
    sqlx::query(
        "INSERT INTO person (display_name, preferred_language, supporter_number)
         SELECT 'Supporter ' || i, CASE WHEN i % 2 = 0 THEN 'de' ELSE 'en' END, i FROM generate_series(1, $1) i",
    )
    .bind(n)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO email_address (person_id, address, is_primary, verified_at)
         SELECT id, 's' || supporter_number || '@example.org', true, now() FROM person",
    )
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "WITH c AS (INSERT INTO consent (person_id, list, state, source, text_version)
                    SELECT id, 'newsletter', 'subscribed', 'test', 'newsletter-2026-11' FROM person RETURNING person_id)
         INSERT INTO subscription (list_key, person_id, since) SELECT 'newsletter', person_id, now() FROM c",
    )
    .execute(pool)
    .await
    .unwrap();
}

async fn started_mailing(pool: &PgPool) -> Uuid {
    let mut tx = pool.begin().await.unwrap();
    let new = NewMailing {
        title: "Crash test".into(),
        list: ListKey::parse("newsletter").unwrap(),
        segment: Segment::default(),
        fallback_language: Language::English,
    };
    let id = campaign::create(&mut tx, ORIGIN, &new).await.unwrap();
    for (language, subject, body) in [
        (
            Language::English,
            "News for {{ name }}",
            "Hello {{ name }}, this is **number {{ supporter_number }}**.",
        ),
        (
            Language::German,
            "Neues für {{ name }}",
            "Hallo {{ name }}, das ist **Nummer {{ supporter_number }}**.",
        ),
    ] {
        campaign::set_content(
            &mut tx,
            ORIGIN,
            id,
            &Content { language, subject: subject.into(), body: body.into() },
        )
        .await
        .unwrap();
    }
    campaign::start(&mut tx, ORIGIN, id).await.unwrap();
    tx.commit().await.unwrap();
    id
}

struct Setup {
    url: String,
    sink_port: u16,
    key_file: tempfile::NamedTempFile,
}

fn sender(setup: &Setup, mailing: Uuid) -> Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cdb-admin"));
    for (name, _) in std::env::vars() {
        if name == "DATABASE_URL" || name.starts_with("CDB_") {
            command.env_remove(name);
        }
    }
    command
        .env("DATABASE_URL", &setup.url)
        .env("CDB_HTTP__PUBLIC_URL", "https://my.example.org")
        .env("CDB_MAIL__FROM", "Friends <news@example.org>")
        .env("CDB_MAIL__TRANSPORT", "smtp")
        .env("CDB_MAIL__SMTP_HOST", "127.0.0.1")
        .env("CDB_MAIL__SMTP_PORT", setup.sink_port.to_string())
        .env("CDB_MAIL__SMTP_SECURITY", "none")
        .env("CDB_MAILING__KEY_FILE", setup.key_file.path())
        .env("CDB_MAILING__BOUNCE_ADDRESS", "bounces@example.org")
        .env("CDB_MAILING__MESSAGES_PER_SECOND", "0")
        .env("CDB_MAILING__BATCH", BATCH.to_string())
        .env("CDB_MAILING__LEASE_SECS", "2")
        .args(["mailing", "send", &mailing.to_string(), "--wait"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

async fn setup(pool: &PgPool) -> (Setup, SmtpSink) {
    let sink = SmtpSink::start(SinkOptions::default()).await;
    let mut key_file = tempfile::NamedTempFile::new().unwrap();
    std::io::Write::write_all(&mut key_file, MailingKeys::new_file_line("t").as_bytes()).unwrap();
    (Setup { url: database_url(pool), sink_port: sink.port, key_file }, sink)
}

fn header<'a>(raw: &'a str, name: &str) -> &'a str {
    raw.lines()
        .take_while(|line| !line.is_empty())
        .find_map(|line| line.strip_prefix(name).and_then(|rest| rest.strip_prefix(": ")))
        .unwrap_or_else(|| panic!("no {name} header"))
        .trim()
}

/// Message-IDs per recipient address.
fn received(sink: &SmtpSink) -> HashMap<String, Vec<String>> {
    let mut by_address: HashMap<String, Vec<String>> = HashMap::new();
    for raw in sink.messages() {
        let raw = raw.replace("\r\n", "\n");
        by_address
            .entry(header(&raw, "To").to_owned())
            .or_default()
            .push(header(&raw, "Message-ID").to_owned());
    }
    by_address
}

async fn wait_until_sent(pool: &PgPool, mailing: Uuid, limit: Duration) {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        let state = campaign::get(&mut pool.acquire().await.unwrap(), mailing).await.unwrap().unwrap().state;
        if state == MailingState::Sent {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("the mailing was not sent within {limit:?}");
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_killed_sender_resumes_and_repeats_no_more_than_it_had_in_flight(pool: PgPool) {
    const RECIPIENTS: usize = 5000;
    subscribers(&pool, RECIPIENTS as i32).await;
    let mailing = started_mailing(&pool).await;
    let (setup, sink) = setup(&pool).await;

    let mut first = sender(&setup, mailing);
    let deadline = Instant::now() + Duration::from_secs(240);
    while sink.count() < RECIPIENTS / 4 {
        assert!(Instant::now() < deadline, "the first sender sent {} mails in 4 minutes", sink.count());
        assert!(first.try_wait().unwrap().is_none(), "the sender stopped by itself");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.kill().unwrap();
    first.wait().unwrap();
    let at_kill = sink.count();
    assert!(at_kill < RECIPIENTS, "killed in the middle");

    let mut second = sender(&setup, mailing);
    wait_until_sent(&pool, mailing, Duration::from_secs(600)).await;
    assert!(second.wait().unwrap().success(), "the second sender ends once the mailing is sent");

    let by_address = received(&sink);
    assert_eq!(by_address.len(), RECIPIENTS, "every recipient got the mail");
    let mut repeats = 0;
    for (address, ids) in &by_address {
        repeats += ids.len() - 1;
        assert!(ids.iter().all(|id| id == &ids[0]), "{address}: a repeat has the first copy's Message-ID");
    }
    let ids: std::collections::HashSet<&String> = by_address.values().map(|ids| &ids[0]).collect();
    assert_eq!(ids.len(), RECIPIENTS, "one Message-ID per recipient");
    assert!(repeats <= BATCH, "{repeats} repeats, more than the {BATCH} a sender leases at a time");
    let progress = domain::mailing::delivery::progress(&pool, mailing).await.unwrap();
    assert_eq!((progress.sent, progress.queued, progress.failed), (RECIPIENTS as i64, 0, 0));
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn two_senders_at_once_send_each_recipient_one_mail(pool: PgPool) {
    const RECIPIENTS: usize = 2000;
    subscribers(&pool, RECIPIENTS as i32).await;
    let mailing = started_mailing(&pool).await;
    let (setup, sink) = setup(&pool).await;
    let (mut a, mut b) = (sender(&setup, mailing), sender(&setup, mailing));
    wait_until_sent(&pool, mailing, Duration::from_secs(600)).await;
    assert!(a.wait().unwrap().success() && b.wait().unwrap().success());
    let by_address = received(&sink);
    assert_eq!(by_address.len(), RECIPIENTS);
    assert!(by_address.values().all(|ids| ids.len() == 1), "nobody got two");
    // Personalised, in their language.
    let sample = sink.messages().into_iter().find(|m| m.contains("s2@example.org")).unwrap();
    assert!(sample.contains("Subject: =?utf-8?") || sample.contains("Neues"), "German subject for s2");
    assert!(sample.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
}
