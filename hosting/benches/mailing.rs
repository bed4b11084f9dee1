// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! A mailing to 100,000 recipients into a local SMTP sink (Postfix's `smtp-sink`), and the
//! segment count over 1,000,000 persons (BENCHMARKS.md, "Information emails").
//!
//! ```sh
//! scripts/pg.sh start bench 5603
//! BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5603/postgres cargo bench -p hosting --bench mailing
//! ```
//!
//! `BENCH_RECIPIENTS` (default 100000), `BENCH_PERSONS` for the count (default 1000000),
//! `BENCH_CONNECTIONS` (10), `BENCH_SINK` (the smtp-sink binary, default /usr/sbin/smtp-sink).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::print_stdout)]

use domain::audit::{Actor, Origin};
use domain::consent::ListKey;
use domain::mailing::{Content, MailingKeys, NewMailing, Segment, campaign, segment};
use domain::types::Language;
use hosting::config::{MailTransport, Settings, SmtpSecurity};
use hosting::mailing::CampaignSender;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool};
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

const ORIGIN: Origin<'static> = Origin { actor: &Actor::System, source: "bench" };

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

async fn fresh_database(url: &str, name: &str) -> PgPool {
    let admin = PgConnectOptions::from_str(url).unwrap().disable_statement_logging();
    let mut connection = PgConnection::connect_with(&admin).await.unwrap();
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut connection)
        .await
        .unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut connection).await.unwrap();
    let pool = PgPoolOptions::new().max_connections(8).connect_with(admin.database(name)).await.unwrap();
    domain::MIGRATOR.run(&pool).await.unwrap();
    pool
}

/// `n` persons, every one with a verified address; every other one subscribed to the
/// newsletter; a mix of countries, languages and donors.
async fn seed(pool: &PgPool, n: usize) {
    let statements = [
        "INSERT INTO person (display_name, preferred_language, country, supporter_number, referrer, created_at)
         SELECT 'Person ' || i, (ARRAY['en','de','de'])[1 + i % 3], (ARRAY['DE','FR','GB','AT','IT'])[1 + i % 5],
                i, CASE WHEN i % 7 = 0 THEN 'fosdem' END, now() - make_interval(days => (i % 1000)::int)
         FROM generate_series(1, $1) i",
        "INSERT INTO email_address (person_id, address, is_primary, verified_at)
         SELECT id, 'p' || supporter_number || '@example.org', true, now() FROM person",
        "INSERT INTO subscription (list_key, person_id, since)
         SELECT 'newsletter', id, now() FROM person WHERE supporter_number % 2 = 0",
        "INSERT INTO pledge (person_id, amount_minor, currency, period, method, status, reference)
         SELECT id, 1000, 'EUR', 'monthly', 'bank_transfer', 'active', 'RF' || lpad((supporter_number % 97)::text, 2, '0') || supporter_number
         FROM person WHERE supporter_number % 10 = 0",
        "ANALYZE",
    ];
    for statement in statements {
        let query = sqlx::query(statement);
        let query = if statement.contains("$1") { query.bind(n as i64) } else { query };
        query.execute(pool).await.unwrap();
    }
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

async fn database_work(pool: &PgPool) -> (i64, i64) {
    sqlx::query_as("SELECT xact_commit, tup_updated FROM pg_stat_database WHERE datname = current_database()")
        .fetch_one(pool)
        .await
        .unwrap()
}

fn cpu_seconds_of(pid: &str) -> f64 {
    // utime + stime of /proc/PID/stat, in clock ticks (100 per second here).
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or_default().split_whitespace().collect();
    let ticks: f64 = fields.get(11..13).map_or(0.0, |f| f.iter().filter_map(|v| v.parse::<f64>().ok()).sum());
    ticks / 100.0
}

/// CPU seconds of every postgres process so far.
fn postgres_cpu() -> f64 {
    let Ok(dir) = std::fs::read_dir("/proc") else { return 0.0 };
    dir.flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|pid| pid.bytes().all(|b| b.is_ascii_digit()))
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.starts_with("postgres"))
        })
        .map(|pid| cpu_seconds_of(&pid))
        .sum()
}

async fn send(url: &str) {
    let recipients = env_number("BENCH_RECIPIENTS", 100_000);
    let pool = fresh_database(url, "mailing_bench").await;
    let seeded = Instant::now();
    seed(&pool, recipients * 2).await;
    println!("seeded {} persons in {:.1} s", recipients * 2, seeded.elapsed().as_secs_f64());

    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let sink_binary = std::env::var("BENCH_SINK").unwrap_or_else(|_| "/usr/sbin/smtp-sink".into());
    let mut sink = std::process::Command::new(&sink_binary)
        .args(["-c", "-u", "nobody", &format!("127.0.0.1:{port}"), "256"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{sink_binary}: {e} (apt-get install postfix)"));
    std::thread::sleep(Duration::from_millis(300));

    let mut settings = Settings::default();
    settings.http.public_url = "https://my.example.org".into();
    settings.mail.from = "Friends <news@example.org>".into();
    settings.mail.transport = MailTransport::Smtp;
    settings.mail.smtp_host = "127.0.0.1".into();
    settings.mail.smtp_port = port;
    settings.mail.smtp_security = SmtpSecurity::None;
    settings.mailing.bounce_address = "bounces@example.org".into();
    settings.mailing.messages_per_second = 0;
    settings.mailing.connections = env_number("BENCH_CONNECTIONS", 10) as u32;
    let keys = Arc::new(MailingKeys::parse(&MailingKeys::new_file_line("bench")).unwrap());
    let sender = CampaignSender::from_settings(&settings, keys).unwrap();

    let mut tx = pool.begin().await.unwrap();
    let new = NewMailing {
        title: "Bench".into(),
        list: ListKey::parse("newsletter").unwrap(),
        segment: Segment::default(),
        fallback_language: Language::English,
    };
    let id = campaign::create(&mut tx, ORIGIN, &new).await.unwrap();
    let body = "Hello {{ name }},\n\nthis is **supporter number {{ supporter_number }}**. ".to_owned()
        + &"A paragraph of news with a [link](https://example.org/news) and some *emphasis*. ".repeat(20);
    for (language, subject) in
        [(Language::English, "News for {{ name }}"), (Language::German, "Neues für {{ name }}")]
    {
        let content = Content { language, subject: subject.into(), body: body.clone() };
        campaign::set_content(&mut tx, ORIGIN, id, &content).await.unwrap();
    }
    let chosen_at = Instant::now();
    let chosen = campaign::start(&mut tx, ORIGIN, id).await.unwrap();
    tx.commit().await.unwrap();
    println!("recipients chosen: {chosen} in {:.2} s", chosen_at.elapsed().as_secs_f64());

    let (commits, updates) = database_work(&pool).await;
    let postgres_before = postgres_cpu();
    let own_before = cpu_seconds_of("self");
    let started = Instant::now();
    let pass = sender.send_mailing(&pool, id).await.unwrap();
    let elapsed = started.elapsed().as_secs_f64();
    let (commits_after, updates_after) = database_work(&pool).await;
    println!(
        "sent {} (failed {}, skipped {}) in {elapsed:.1} s: {:.0} messages/s with {} connections",
        pass.sent,
        pass.failed,
        pass.skipped,
        pass.sent as f64 / elapsed,
        settings.mailing.connections
    );
    println!(
        "sender CPU {:.1} s, PostgreSQL CPU {:.1} s, {} commits, {} rows updated, peak RSS {:.0} MB",
        cpu_seconds_of("self") - own_before,
        postgres_cpu() - postgres_before,
        commits_after - commits,
        updates_after - updates,
        peak_rss_mb()
    );
    let _ = sink.kill();
    let _ = sink.wait();
    pool.close().await;
}

async fn count(url: &str) {
    let persons = env_number("BENCH_PERSONS", 1_000_000);
    let pool = fresh_database(url, "mailing_count_bench").await;
    let seeded = Instant::now();
    seed(&pool, persons).await;
    println!("seeded {persons} persons in {:.1} s", seeded.elapsed().as_secs_f64());
    let list = ListKey::parse("newsletter").unwrap();
    let segments = [
        ("everyone", Segment::default()),
        (
            "country DE, language de",
            Segment { countries: vec!["DE".into()], languages: vec!["de".into()], ..Segment::default() },
        ),
        (
            "never gave",
            Segment { donor: Some(domain::mailing::DonorStatus::NeverGave), ..Segment::default() },
        ),
        (
            "monthly pledges, referrer fosdem",
            Segment {
                pledge_periods: vec![domain::payment::Period::Monthly],
                referrers: vec!["fosdem".into()],
                ..Segment::default()
            },
        ),
    ];
    for (name, segment) in segments {
        let mut times = Vec::new();
        let mut n = 0;
        for _ in 0..5 {
            let started = Instant::now();
            n = segment::count(&pool, &list, &segment).await.unwrap();
            times.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        println!(
            "count \"{name}\": {n} persons, median {:.0} ms (best {:.0}, worst {:.0})",
            times[2], times[0], times[4]
        );
    }
    pool.close().await;
}

#[tokio::main]
async fn main() {
    let Ok(url) = std::env::var("BENCH_DATABASE_URL") else {
        println!("BENCH_DATABASE_URL is not set: nothing to measure");
        return;
    };
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    if only != "count" {
        send(&url).await;
    }
    if only != "send" {
        count(&url).await;
    }
}
