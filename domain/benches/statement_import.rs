// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Bank statement import, end to end in one process: a generated camt.053 file of 100,000
//! entries (`providers::bank::testing::camt053_fixture`, about 90 MB) parsed and imported into
//! a real PostgreSQL database where most credits name a pledge created beforehand (every
//! entry has its own pledge, for the amount it carries; half the pledges have a person with a
//! confirmed address, so half the matched payments queue a thank-you mail written by
//! `mails::Writer`).
//!
//! Run (release build; the server must let the bench create databases):
//!
//! ```sh
//! BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5603/postgres \
//!   cargo bench -p domain --bench statement_import
//! ```
//!
//! `BENCH_ENTRIES` (default 100000) and `BENCH_RUNS` (default 3) change the size and the
//! number of timed imports; each run imports into a fresh copy of a template database.
//! `BENCH_FIXTURE=path` also writes the generated file there (for timing `cdb-admin payments
//! import` itself). Without `BENCH_DATABASE_URL` the bench says so and does nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::print_stdout)]

use domain::audit::{Actor, Origin};
use domain::payment::CreditorReference;
use domain::payment::statement::{self, EntryKind, ImportOutcome, NewEntry, StatementFile, StatementFormat};
use sha2::Digest;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgConnection};
use std::str::FromStr;
use std::time::{Duration, Instant};

const TEMPLATE: &str = "statement_bench_template";

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The amount the fixture gives entry `i`.
fn fixture_minor(i: usize) -> i64 {
    500 + i64::try_from((i * 7919) % 20_000).unwrap()
}

fn new_entry(entry: providers::bank::StatementEntry) -> NewEntry {
    NewEntry {
        position: entry.position,
        booking_date: entry.booking_date,
        amount: entry.amount,
        is_credit: entry.is_credit,
        bank_reference: entry.bank_reference,
        remittance: entry.remittance,
        structured_reference: entry.structured_reference,
        counterparty_name: entry.counterparty_name,
        counterparty_iban: entry.counterparty_iban,
        kind: match entry.kind {
            providers::bank::EntryKind::Transfer => EntryKind::Transfer,
            providers::bank::EntryKind::Returned => EntryKind::Returned,
            providers::bank::EntryKind::Payout => EntryKind::Payout,
        },
    }
}

/// The template: migrated, with one pledge per entry and a person for every other pledge.
async fn prepare_template(admin: &PgConnectOptions, references: &[CreditorReference]) {
    let mut connection = PgConnection::connect_with(admin).await.unwrap();
    sqlx::query(&format!("DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)"))
        .execute(&mut connection)
        .await
        .unwrap();
    sqlx::query(&format!("CREATE DATABASE {TEMPLATE}")).execute(&mut connection).await.unwrap();
    let mut db = PgConnection::connect_with(&admin.clone().database(TEMPLATE)).await.unwrap();
    domain::MIGRATOR.run(&mut db).await.unwrap();
    let count = i64::try_from(references.len()).unwrap();
    let texts: Vec<String> = references.iter().map(|r| r.as_str().to_owned()).collect();
    let amounts: Vec<i64> = (0..references.len()).map(fixture_minor).collect();
    sqlx::query(
        r#"WITH people AS (
             INSERT INTO person (display_name, preferred_language)
             SELECT 'Supporter ' || n, CASE WHEN n % 4 = 0 THEN 'de' ELSE 'en' END
             FROM generate_series(0, $1 - 1, 2) AS n
             RETURNING id, (regexp_replace(display_name, '\D', '', 'g'))::bigint AS n
           ), addresses AS (
             INSERT INTO email_address (person_id, address, is_primary, verified_at)
             SELECT id, 'supporter' || n || '@example.org', true, now() FROM people
           )
           INSERT INTO pledge (person_id, amount_minor, currency, period, method, reference, status)
           SELECT people.id, t.amount, 'EUR', 'monthly', 'bank_transfer', t.reference, 'active'
           FROM UNNEST($2::text[], $3::bigint[]) WITH ORDINALITY AS t (reference, amount, i)
           LEFT JOIN people ON people.n = t.i - 1"#,
    )
    .bind(count)
    .bind(&texts)
    .bind(&amounts)
    .execute(&mut db)
    .await
    .unwrap();
    sqlx::query("VACUUM ANALYZE").execute(&mut db).await.unwrap();
    db.close().await.unwrap();
}

fn main() {
    let Ok(url) = std::env::var("BENCH_DATABASE_URL") else {
        println!(
            "statement_import: set BENCH_DATABASE_URL to a PostgreSQL server where the bench may create databases"
        );
        return;
    };
    let entries = env_number("BENCH_ENTRIES", 100_000);
    let runs = env_number("BENCH_RUNS", 3).max(1);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let admin = PgConnectOptions::from_str(&url).unwrap().disable_statement_logging();
        let references: Vec<CreditorReference> =
            (0..entries).map(|i| CreditorReference::from_our_part(&format!("{i:012}")).unwrap()).collect();
        let started = Instant::now();
        let bytes = providers::bank::testing::camt053_fixture(entries, &references);
        println!("generated {} entries, {:.1} MB, in {:.2?}", entries, bytes.len() as f64 / 1e6, started.elapsed());
        if let Ok(path) = std::env::var("BENCH_FIXTURE") {
            std::fs::write(&path, &bytes).unwrap();
            println!("wrote {path}");
        }
        let started = Instant::now();
        prepare_template(&admin, &references).await;
        println!("template database with {entries} pledges prepared in {:.2?}", started.elapsed());
        let writer = mails::Writer { organisation: "Community e.V.".into(), origin: "https://my.example.org".into() };
        let actor = Actor::Staff("bench".into());
        let origin = Origin { actor: &actor, source: "bench" };
        let mut totals = Vec::new();
        for run in 0..runs {
            let name = format!("statement_bench_{run}");
            let mut connection = PgConnection::connect_with(&admin).await.unwrap();
            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut connection).await.unwrap();
            sqlx::query(&format!("CREATE DATABASE {name} TEMPLATE {TEMPLATE}")).execute(&mut connection).await.unwrap();
            let pool = PgPoolOptions::new().max_connections(2).connect_with(admin.clone().database(&name)).await.unwrap();

            let started = Instant::now();
            let sha256: [u8; 32] = sha2::Sha256::digest(&bytes).into();
            let parsed = providers::bank::parse(&bytes).unwrap();
            let new: Vec<NewEntry> = parsed.entries.into_iter().map(new_entry).collect();
            let parse = started.elapsed();
            let file = StatementFile { sha256, file_name: "bench.xml".into(), format: StatementFormat::Camt053 };
            let outcome = statement::import(&pool, origin, &file, &new, &[domain::payment::Currency::EUR], &writer)
                .await
                .unwrap();
            let total = started.elapsed();
            let ImportOutcome::Imported { counts, .. } = outcome else { panic!("{outcome:?}") };
            let mails: i64 = sqlx::query_scalar("SELECT count(*) FROM mail_job").fetch_one(&pool).await.unwrap();
            println!(
                "run {run}: parse+hash {:.2?}, import {:.2?}, total {:.2?}  ({counts:?}, {mails} mails)",
                parse,
                total - parse,
                total
            );
            totals.push(total);
            pool.close().await;
            sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)")).execute(&mut connection).await.unwrap();
        }
        totals.sort();
        let median: Duration = totals[totals.len() / 2];
        println!(
            "statement_import {entries} entries: median {median:.2?}, min {:.2?}, max {:.2?} over {runs} runs",
            totals[0],
            totals[totals.len() - 1]
        );
        let mut connection = PgConnection::connect_with(&admin).await.unwrap();
        sqlx::query(&format!("DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)")).execute(&mut connection).await.unwrap();
    });
}
