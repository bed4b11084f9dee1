// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Time to generate a year's annual statements, end to end: `domain::payment::annual_statement::
//! generate` against a real PostgreSQL database holding `BENCH_STATEMENTS` supporters (default
//! 10,000; half German with the Sammelbestätigung layout, half English), each with twelve
//! monthly payments in 2026, rendered by `statements::Renderer` on every core while the batches
//! are stored. A second run (idempotence: nothing changes) is timed too.
//!
//! ```sh
//! scripts/pg.sh start bench 5603
//! BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5603/postgres \
//!   cargo bench -p statements --bench annual_statements
//! ```
//!
//! `BENCH_THREADS` sets the rendering threads (default: every core). Without
//! `BENCH_DATABASE_URL` the bench only measures rendering.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::print_stdout)]

use domain::audit::{Actor, Origin};
use domain::payment::annual_statement::{self, Document, Donor, Line, Render};
use domain::payment::{Currency, Money};
use domain::types::Language;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgConnection};
use statements::{GermanReceipt, Renderer, Template};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Instant;
use time::macros::date;

const DATABASE: &str = "annual_statement_bench";

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn template() -> Template {
    Template {
        organisation_name: "Free Software Friends e.V.".into(),
        organisation_address: vec!["Beispielweg 5".into(), "10115 Berlin".into()],
        legal_text_en: None,
        legal_text_de: None,
        german_receipt: Some(GermanReceipt::default()),
    }
}

fn sample(language: Language) -> Document {
    Document {
        number: "2026-000001".into(),
        year: 2026,
        language,
        issued_on: date!(2027 - 01 - 15),
        donor: Donor {
            name: "Supporter 1".into(),
            address: vec!["Street 1".into(), "10115 Berlin".into(), "DE".into()],
        },
        lines: (1..=12)
            .map(|m| Line {
                booked_on: time::Date::from_calendar_date(2026, time::Month::try_from(m).unwrap(), 1)
                    .unwrap(),
                amount: Money::new(1000, Currency::EUR),
                reference: Some("RF00 0000 0000 0001".into()),
            })
            .collect(),
        totals: vec![Money::new(12_000, Currency::EUR)],
        corrects: None,
    }
}

fn render_only(renderer: &Renderer) {
    // Warm up (fonts, template) and then time one thread and all threads. Every document
    // differs (number, name, amounts), as in a real run: typst memoises identical inputs.
    let docs: Vec<Document> = (0..400)
        .map(|i| {
            let mut doc = sample(if i % 2 == 0 { Language::German } else { Language::English });
            doc.number = format!("2026-{:06}", i + 1);
            doc.donor.name = format!("Supporter {i}");
            doc.lines[0].amount = Money::new(1000 + i64::from(i), Currency::EUR);
            doc
        })
        .collect();
    let (first, second) = docs.split_at(200);
    let one_thread = renderer.clone().with_threads(1).unwrap();
    one_thread.render(&[sample(Language::German), sample(Language::English)]);
    let started = Instant::now();
    let one = one_thread.render(first);
    let single = started.elapsed();
    // Other documents than the single-threaded run's, so nothing comes from typst's memo cache.
    let started = Instant::now();
    let all = renderer.render(second);
    let parallel = started.elapsed();
    let bytes: usize =
        one.iter().chain(all.iter()).map(|r| r.as_ref().map_or(0, Vec::len)).sum::<usize>() / 2;
    println!(
        "render only, 200 statements: one thread {:.1} ms each; all threads {:.1} statements/s; {:.1} KB per PDF",
        single.as_secs_f64() * 1000.0 / 200.0,
        200.0 / parallel.as_secs_f64(),
        bytes as f64 / 200.0 / 1024.0
    );
}

/// Returns the same stored bytes for every document: what storing costs without rendering.
struct FixedPdf(Vec<u8>);

impl Render for FixedPdf {
    fn render(&self, documents: &[Document]) -> Vec<Result<Vec<u8>, annual_statement::RenderError>> {
        documents.iter().map(|_| Ok(self.0.clone())).collect()
    }
}

#[tokio::main]
async fn main() {
    let threads = env_number("BENCH_THREADS", std::thread::available_parallelism().map_or(1, |n| n.get()));
    let renderer = Renderer::new(template())
        .unwrap()
        .with_threads(threads)
        .unwrap()
        .with_tagged(std::env::var("BENCH_UNTAGGED").is_err());
    render_only(&renderer);
    let Ok(url) = std::env::var("BENCH_DATABASE_URL") else {
        println!("BENCH_DATABASE_URL is not set: skipping the database part");
        return;
    };
    let count = env_number("BENCH_STATEMENTS", 10_000);
    let admin = PgConnectOptions::from_str(&url).unwrap().disable_statement_logging();
    let mut connection = PgConnection::connect_with(&admin).await.unwrap();
    sqlx::query(&format!("DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
        .execute(&mut connection)
        .await
        .unwrap();
    sqlx::query(&format!("CREATE DATABASE {DATABASE}")).execute(&mut connection).await.unwrap();
    let pool =
        PgPoolOptions::new().max_connections(4).connect_with(admin.clone().database(DATABASE)).await.unwrap();
    domain::MIGRATOR.run(&pool).await.unwrap();
    let seeded = Instant::now();
    sqlx::query(
        r#"WITH people AS (
             INSERT INTO person (display_name, preferred_language, address_street, address_postal_code, address_city, country)
             SELECT 'Supporter ' || n, CASE WHEN n % 2 = 0 THEN 'de' ELSE 'en' END, 'Street ' || n, '10115', 'Berlin', 'DE'
             FROM generate_series(1, $1) AS n
             RETURNING id),
           pledges AS (
             INSERT INTO pledge (person_id, amount_minor, currency, period, method, status, reference)
             SELECT id, 1000, 'EUR', 'monthly', 'bank_transfer', 'active',
                    'RF00' || lpad((row_number() OVER ())::text, 12, '0')
             FROM people
             RETURNING id, person_id)
           INSERT INTO payment (provider, provider_object_id, pledge_id, person_id, amount_minor, currency, booked_on)
           SELECT 'bank', p.id::text || '-' || m, p.id, p.person_id, 1000, 'EUR', make_date(2026, m, 1)
           FROM pledges p, generate_series(1, 12) AS m"#,
    )
    .bind(i32::try_from(count).unwrap())
    .execute(&pool)
    .await
    .unwrap();
    println!("seeded {count} supporters with 12 payments each in {:.1} s", seeded.elapsed().as_secs_f64());

    let origin = Origin { actor: &Actor::System, source: "bench" };
    if std::env::var("BENCH_STORE_ONLY").is_ok() {
        // The database part alone: PDFs of the real size, not rendered.
        let pdf = renderer.render_one(&sample(Language::German)).unwrap();
        let started = Instant::now();
        let done = annual_statement::generate(
            &pool,
            origin,
            2026,
            date!(2027 - 01 - 15),
            Arc::new(FixedPdf(pdf)),
            &|_, _| {},
        )
        .await
        .unwrap();
        assert_eq!(done.issued, count);
        println!(
            "generate with a stand-in renderer (store only): {count} statements in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        return;
    }
    let render: Arc<dyn Render> = Arc::new(renderer);
    let started = Instant::now();
    let done = annual_statement::generate(
        &pool,
        origin,
        2026,
        date!(2027 - 01 - 15),
        Arc::clone(&render),
        &|_, _| {},
    )
    .await
    .unwrap();
    let first = started.elapsed();
    assert_eq!(done.issued, count);
    let size: i64 = sqlx::query_scalar("SELECT sum(octet_length(pdf))::bigint FROM annual_statement")
        .fetch_one(&pool)
        .await
        .unwrap();
    println!(
        "generate: {count} statements in {:.1} s ({:.0} per second, {threads} rendering threads, {:.0} MB of PDF stored)",
        first.as_secs_f64(),
        count as f64 / first.as_secs_f64(),
        size as f64 / 1_048_576.0
    );
    let started = Instant::now();
    let again = annual_statement::generate(&pool, origin, 2026, date!(2027 - 01 - 15), render, &|_, _| {})
        .await
        .unwrap();
    assert_eq!(again.unchanged, count);
    println!("generate again (nothing to do): {:.1} s", started.elapsed().as_secs_f64());
}
