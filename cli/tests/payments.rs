// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! `cdb-admin payments …` against a fresh database: a generated camt.053 statement imported
//! (and imported again), the unmatched entries listed and assigned, flags listed and resolved,
//! and files that must be refused (malformed XML, an entity bomb, a foreign namespace) refused
//! with a clear error and nothing stored; payments recorded by hand (once per receipt, thanked),
//! refunds within what is left, and the CSV export (exact amounts, formula cells neutralised,
//! 50,000 rows in the memory of a few). Needs `DATABASE_URL` (a server where tests may create
//! databases): `cargo test -p cli --test payments`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use domain::audit::{Actor, Origin};
use domain::email::{self, Verification};
use domain::payment::pledge::{self, NewPledge, Pledge};
use domain::payment::{Currency, Method, Money, Period};
use domain::person::{self, NewPerson};
use domain::types::{DisplayName, Email, Language, PersonId};
use serde_json::Value;
use sqlx::PgPool;
use std::path::Path;
use std::process::Command;

const ORIGIN: Origin<'static> = Origin { actor: &Actor::System, source: "test" };

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

/// Runs `cdb-admin payments …` with none of the caller's settings variables.
fn admin(pool: &PgPool, args: &[&str]) -> (bool, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cdb-admin"));
    for (name, _) in std::env::vars() {
        if name == "DATABASE_URL" || name.starts_with("CDB_") {
            command.env_remove(name);
        }
    }
    let output = command.env("DATABASE_URL", database_url(pool)).arg("payments").args(args).output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

async fn count(pool: &PgPool, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT count(*) FROM {table}")).fetch_one(pool).await.unwrap()
}

/// The amount the fixture gives entry `i` (see `providers::bank::testing::camt053_fixture`).
fn fixture_minor(i: usize) -> i64 {
    500 + ((i * 7919) % 20_000) as i64
}

async fn ada(pool: &PgPool) -> (PersonId, i64) {
    let mut tx = pool.begin().await.unwrap();
    let new = NewPerson {
        display_name: DisplayName::try_from("Ada").unwrap(),
        country: None,
        address: None,
        preferred_language: Language::English,
        referrer: None,
    };
    let person = person::create(&mut tx, ORIGIN, &new).await.unwrap();
    let address = Email::try_from("ada@example.org").unwrap();
    email::add(
        &mut tx,
        ORIGIN,
        person.id,
        &address,
        true,
        Verification::VerifiedAt(time::OffsetDateTime::now_utc()),
    )
    .await
    .unwrap();
    let number = person::assign_supporter_number(&mut tx, ORIGIN, person.id).await.unwrap();
    tx.commit().await.unwrap();
    (person.id, number.get())
}

async fn pledge(pool: &PgPool, person: Option<PersonId>, minor: i64) -> Pledge {
    let mut tx = pool.begin().await.unwrap();
    let new = NewPledge {
        person,
        amount: Money::new(minor, Currency::EUR),
        period: Period::Monthly,
        method: Method::BankTransfer,
        referrer: None,
    };
    let pledge = pledge::create(&mut tx, ORIGIN, &new).await.unwrap();
    tx.commit().await.unwrap();
    pledge
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.to_str().unwrap().to_owned()
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_statement_is_imported_once_and_its_leftovers_are_settled_by_hand(pool: PgPool) {
    let (ada, number) = ada(&pool).await;
    // One pledge per entry of a 40-entry statement, each for the amount its entry carries.
    let mut pledges = Vec::new();
    for i in 0..40 {
        pledges.push(pledge(&pool, (i == 0).then_some(ada), fixture_minor(i)).await);
    }
    let references: Vec<_> = pledges.iter().map(|p| p.reference.clone()).collect();
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "2026.xml", &providers::bank::testing::camt053_fixture(40, &references));

    let (ok, out, err) = admin(&pool, &["import", &file]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("40 entries"), "{out}");
    // Per twenty: twelve donations, two credits without reference, three debits, a payout, a
    // returned transfer, and a CHF credit naming an EUR pledge.
    for line in [
        "matched         24  (24 new payments",
        "unmatched        4",
        "ignored         10",
        "flagged          2",
    ] {
        assert!(out.contains(line), "{line:?} in {out}");
    }
    assert_eq!(count(&pool, "payment").await, 24);
    let thanks: i64 = sqlx::query_scalar("SELECT count(*) FROM mail_job WHERE kind = 'thank_you'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(thanks, 1, "only Ada's pledge has its person");

    let (ok, out, _) = admin(&pool, &["import", &file]);
    assert!(ok && out.contains("was imported before") && out.contains("nothing changed"), "{out}");
    assert_eq!(count(&pool, "bank_statement_entry").await, 40);

    // Unmatched: the credits without reference.
    let (ok, out, err) = admin(&pool, &["unmatched"]);
    assert!(ok && out.contains("Mitgliedsbeitrag 2026") && out.contains("4 unmatched"), "{out}{err}");
    let (ok, out, _) = admin(&pool, &["unmatched", "--json"]);
    assert!(ok);
    let unmatched: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(unmatched.len(), 4);
    assert!(
        unmatched.iter().all(|e| e["state"] == "unmatched" && e["note"] == "no valid creditor reference")
    );
    let entry = |i: usize| unmatched[i]["id"].as_str().unwrap().to_owned();

    // By a pledge's reference as people write it, by supporter number, by person id.
    let extra = pledge(&pool, Some(ada), 1234).await;
    let grouped = extra.reference.grouped().to_lowercase();
    let (ok, out, err) = admin(&pool, &["assign", &entry(0), &grouped]);
    assert!(ok && out.contains("new payment"), "{out}{err}");
    let (ok, out, err) = admin(&pool, &["assign", &entry(1), &number.to_string()]);
    assert!(ok && out.contains(&format!("supporter {number}")), "{out}{err}");
    let (ok, out, err) = admin(&pool, &["assign", &entry(2), &ada.to_string()]);
    assert!(ok && out.contains(&format!("person {ada}")), "{out}{err}");
    let (ok, _, err) = admin(&pool, &["assign", &entry(0), &ada.to_string()]);
    assert!(!ok && err.contains("only unmatched and flagged entries can be assigned"), "{err}");
    let (ok, _, err) = admin(&pool, &["assign", &entry(3), "RF19 5390 0754 7034"]);
    assert!(!ok && err.contains("not a valid creditor reference"), "{err}");
    let (ok, _, err) = admin(&pool, &["assign", &entry(3), "999999"]);
    assert!(!ok && err.contains("no person has the supporter number 999999"), "{err}");
    assert_eq!(count(&pool, "payment").await, 27);
    let (_, out, _) = admin(&pool, &["unmatched", "--json"]);
    assert_eq!(serde_json::from_str::<Vec<Value>>(&out).unwrap().len(), 1);

    // Flagged: the CHF credits.
    let (ok, out, err) = admin(&pool, &["flagged"]);
    assert!(ok && out.matches("currency_mismatch").count() == 2 && out.contains("CHF"), "{out}{err}");
    let (_, out, _) = admin(&pool, &["flagged", "--json"]);
    let flagged: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(flagged.len(), 2);
    assert_eq!(flagged[0]["entry"]["currency"], "CHF");
    let flag = flagged[0]["id"].as_str().unwrap();
    let (ok, _, err) = admin(&pool, &["resolve", flag]);
    assert!(!ok && err.contains("--note"), "a note is required: {err}");
    let (ok, out, err) = admin(&pool, &["resolve", flag, "--note", "sent back to the donor"]);
    assert!(ok && out.contains("resolved"), "{out}{err}");
    let (ok, _, err) = admin(&pool, &["resolve", flag, "--note", "again"]);
    assert!(!ok && err.contains("is not open"), "{err}");
    let (_, out, _) = admin(&pool, &["flagged", "--json"]);
    assert_eq!(serde_json::from_str::<Vec<Value>>(&out).unwrap().len(), 1);
    // A flagged entry can still be assigned by hand: its flag is resolved with it.
    let other = flagged[1]["entry"]["id"].as_str().unwrap();
    let (ok, out, err) = admin(&pool, &["assign", other, &ada.to_string()]);
    assert!(ok && out.contains("1 open flag(s) of the entry resolved"), "{out}{err}");
    let (_, out, _) = admin(&pool, &["flagged"]);
    assert!(out.contains("no open flags"), "{out}");
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn files_that_are_not_statements_are_refused_and_nothing_is_stored(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let good = String::from_utf8(providers::bank::testing::camt053_fixture(3, &[])).unwrap();
    let cut = &good[..good.len() / 2];
    let bomb = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>&lol3;</BkToCstmrStmt></Document>"#;
    let foreign = good.replace("camt.053.001.08", "camt.052.001.08");
    let cases = [
        ("cut.xml", cut.as_bytes(), "malformed XML"),
        (
            "mismatched.xml",
            b"<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08\"><A></B></Document>"
                .as_slice(),
            "malformed XML",
        ),
        ("bomb.xml", bomb.as_bytes(), "DOCTYPE"),
        ("camt052.xml", foreign.as_bytes(), "namespace"),
        ("empty.xml", b"".as_slice(), "empty"),
    ];
    for (name, bytes, expected) in cases {
        let path = write(dir.path(), name, bytes);
        let (ok, out, err) = admin(&pool, &["import", &path]);
        assert!(!ok, "{name}: {out}");
        assert!(err.contains(expected) && err.contains("Nothing was stored"), "{name}: {err}");
    }
    let (ok, _, err) = admin(&pool, &["import", &dir.path().join("missing.xml").to_string_lossy()]);
    assert!(!ok && err.contains("cannot read"), "{err}");
    for table in ["bank_statement", "bank_statement_entry", "payment", "payment_flag"] {
        assert_eq!(count(&pool, table).await, 0, "{table}");
    }
}

async fn mails(pool: &PgPool, kind: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM mail_job WHERE kind = $1")
        .bind(kind)
        .fetch_one(pool)
        .await
        .unwrap()
}

fn today() -> String {
    time::OffsetDateTime::now_utc().date().to_string()
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_payment_recorded_by_hand_is_listed_refunded_within_limits_and_counted_once(pool: PgPool) {
    let (ada, number) = ada(&pool).await;
    let pledge = pledge(&pool, Some(ada), 2500).await;
    let number = number.to_string();
    let day = today();
    let reference = pledge.reference.grouped();
    let record = [
        "record",
        &number,
        "--amount",
        "25.00",
        "--currency",
        "EUR",
        "--method",
        "cash",
        "--date",
        &day,
        "--pledge",
        &reference,
        "--receipt",
        "Q-2026-17",
        "--note",
        "at the stand",
    ];
    let (ok, out, err) = admin(&pool, &record);
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("recorded payment") && out.contains("25.00 EUR (cash)") && out.contains("Q-2026-17"),
        "{out}"
    );
    assert!(out.contains("thank-you mail queued"), "{out}");
    assert_eq!(mails(&pool, "thank_you").await, 1);
    let (ok, out, err) = admin(&pool, &record);
    assert!(ok && out.contains("was recorded before: nothing changed"), "{out}{err}");
    assert_eq!((count(&pool, "payment").await, mails(&pool, "thank_you").await), (1, 1));
    let status: String = sqlx::query_scalar("SELECT status::text FROM pledge WHERE id = $1")
        .bind(pledge.id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(status, "active");

    // A one-off gift by email address, without receipt number: the same command twice is one.
    let gift = ["record", "ADA@example.org", "--amount", "10", "--method", "cheque", "--date", &day];
    let (ok, out, err) = admin(&pool, &gift);
    assert!(ok && out.contains("as a one-off gift") && out.contains("10.00 EUR (cheque)"), "{out}{err}");
    let (ok, out, _) = admin(&pool, &gift);
    assert!(ok && out.contains("recorded before"), "{out}");
    assert_eq!((count(&pool, "payment").await, mails(&pool, "thank_you").await), (2, 2));

    // Listed, newest first, as a table and as JSON.
    let (ok, out, err) = admin(&pool, &["list", &number]);
    assert!(
        ok && out.contains(&format!("payments of {number} Ada")) && out.contains("2 payments"),
        "{out}{err}"
    );
    assert!(out.contains("manual") && out.contains("25.00 EUR") && out.contains("received"), "{out}");
    let (_, out, _) = admin(&pool, &["list", "ada@example.org", "--json"]);
    let listed: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(listed.len(), 2);
    let paid = listed.iter().find(|p| p["amount"] == "25.00").unwrap()["id"].as_str().unwrap().to_owned();

    // Refunds: part, too much (nothing stored), the rest, then nothing is left.
    let (ok, out, err) = admin(&pool, &["refund", &paid, "--amount", "5.00"]);
    assert!(ok && out.contains("5.00 EUR refunded in total, status partially_refunded"), "{out}{err}");
    let (ok, _, err) = admin(&pool, &["refund", &paid, "--amount", "20.01"]);
    assert!(!ok && err.contains("more than what is left of the payment (20.00 EUR of 25.00 EUR)"), "{err}");
    assert!(err.contains("nothing was recorded"), "{err}");
    let (ok, out, err) = admin(&pool, &["refund", &paid, "--id", "cash-back-1"]);
    assert!(ok && out.contains("20.00 EUR recorded") && out.contains("status refunded"), "{out}{err}");
    let (ok, out, _) = admin(&pool, &["refund", &paid, "--id", "cash-back-1"]);
    assert!(ok && out.contains("was recorded before"), "{out}");
    let (ok, _, err) = admin(&pool, &["refund", &paid, "--amount", "1"]);
    assert!(!ok && err.contains("nothing is left to refund"), "{err}");
    let (_, out, _) = admin(&pool, &["list", &number]);
    assert!(out.contains("25.00 EUR       25.00 EUR  refunded"), "{out}");
    assert_eq!(count(&pool, "payment_flag").await, 0);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn bad_payments_and_refunds_are_refused_with_a_clear_error(pool: PgPool) {
    let (ada, number) = ada(&pool).await;
    let number = number.to_string();
    let day = today();
    let other = pledge(&pool, None, 2500).await;
    let mine = pledge(&pool, Some(ada), 2500).await;
    let mine_id = mine.id.to_string();
    let other_id = other.id.to_string();
    let base = |amount: &'static str| {
        vec!["record", "PERSON", "--amount", amount, "--method", "cash", "--date", "DAY"]
    };
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (base("25.001"), "not an amount in EUR"),
        (base("-5"), "not an amount in EUR"),
        (base("1e3"), "not an amount in EUR"),
        (base("1.234,56"), "not an amount in EUR"),
        (base("0"), "more than zero"),
        ([base("25"), vec!["--currency", "XXX"]].concat(), "not a currency we know"),
        ([base("25"), vec!["--currency", "CHF"]].concat(), "does not take it"),
        ([base("25"), vec!["--pledge", &other_id]].concat(), "the pledge belongs to someone else"),
        ([base("20"), vec!["--pledge", &mine_id]].concat(), "the pledge is for 25.00 EUR, not 20.00 EUR"),
        ([base("25"), vec!["--pledge", "RF19 5390 0754 7034"]].concat(), "creditor reference"),
    ];
    for (args, expected) in cases {
        let args: Vec<&str> = args
            .iter()
            .map(|a| {
                if *a == "PERSON" {
                    number.as_str()
                } else if *a == "DAY" {
                    day.as_str()
                } else {
                    a
                }
            })
            .collect();
        let (ok, out, err) = admin(&pool, &args);
        assert!(!ok && err.contains(expected), "{args:?}: {out}{err}");
    }
    for (who, expected) in [
        ("999999", "no person has the supporter number 999999"),
        ("nobody@example.org", "nobody has the email address"),
        ("not-a-person", "give a supporter number"),
        ("00000000-0000-0000-0000-000000000000", "no person has the id"),
    ] {
        let (ok, _, err) =
            admin(&pool, &["record", who, "--amount", "5", "--method", "cash", "--date", &day]);
        assert!(!ok && err.contains(expected), "{who}: {err}");
    }
    let (ok, _, err) =
        admin(&pool, &["record", &number, "--amount", "5", "--method", "cash", "--date", "2099-01-01"]);
    assert!(!ok && err.contains("in the future"), "{err}");
    let (ok, _, err) =
        admin(&pool, &["record", &number, "--amount", "5", "--method", "card", "--date", &day]);
    assert!(!ok && err.contains("invalid value 'card'"), "{err}");
    let (ok, _, err) =
        admin(&pool, &["record", &number, "--amount", "5", "--method", "cash", "--date", "1.12.2026"]);
    assert!(!ok && err.contains("YYYY-MM-DD"), "{err}");
    let (ok, _, err) = admin(&pool, &["refund", "00000000-0000-0000-0000-000000000000"]);
    assert!(!ok && err.contains("no such payment"), "{err}");
    let (ok, _, err) = admin(&pool, &["refund", "42"]);
    assert!(!ok && err.contains("not a payment id"), "{err}");
    let (ok, _, err) = admin(&pool, &["export", "--from", "2026-12-31", "--to", "2026-01-01"]);
    assert!(!ok && err.contains("is after"), "{err}");
    let (ok, _, err) =
        admin(&pool, &["export", "--from", "2026-01-01", "--to", "2026-12-31", "--provider", "cash"]);
    assert!(!ok && err.contains("bank, stripe, paypal or manual"), "{err}");
    assert_eq!((count(&pool, "payment").await, count(&pool, "mail_job").await), (0, 0));
}

/// Runs `cdb-admin payments export …` under `/usr/bin/time -v`, stdout into `file`; returns
/// the peak resident set size in KiB (`None` without GNU time) and stderr.
fn export_measured(pool: &PgPool, args: &[&str], file: &Path) -> (Option<u64>, String) {
    let timed = Path::new("/usr/bin/time").exists();
    let mut command = if timed {
        let mut c = Command::new("/usr/bin/time");
        c.arg("-v").arg(env!("CARGO_BIN_EXE_cdb-admin"));
        c
    } else {
        Command::new(env!("CARGO_BIN_EXE_cdb-admin"))
    };
    for (name, _) in std::env::vars() {
        if name == "DATABASE_URL" || name.starts_with("CDB_") {
            command.env_remove(name);
        }
    }
    let out = std::fs::File::create(file).unwrap();
    let output = command
        .env("DATABASE_URL", database_url(pool))
        .args(["payments", "export"])
        .args(args)
        .stdout(out)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{err}");
    let peak = err
        .lines()
        .find_map(|l| l.trim().strip_prefix("Maximum resident set size (kbytes): "))
        .and_then(|kb| kb.trim().parse().ok());
    (peak, err)
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn the_export_is_exact_neutralises_formulas_and_streams_fifty_thousand_rows(pool: PgPool) {
    let (ada, number) = ada(&pool).await;
    let pledge = pledge(&pool, Some(ada), 1999).await;
    // Names a spreadsheet would run: the export must show them as text.
    for (name, key) in [
        ("=HYPERLINK(\"http://evil.example\",\"x\")", "a"),
        ("+1+2", "b"),
        ("-2+3", "c"),
        ("@SUM(A1)", "d"),
        ("\tTab", "e"),
    ] {
        let person: String = sqlx::query_scalar(
            "INSERT INTO person (display_name, preferred_language) VALUES ($1, 'en') RETURNING id::text",
        )
        .bind(name)
        .fetch_one(&pool)
        .await
        .unwrap();
        sqlx::query("INSERT INTO payment (provider, provider_object_id, person_id, amount_minor, currency, booked_on) VALUES ('bank', $1, $2::uuid, 1, 'EUR', DATE '2026-01-01')")
            .bind(key)
            .bind(person)
            .execute(&pool)
            .await
            .unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let small = dir.path().join("small.csv");
    let (small_peak, _) = export_measured(&pool, &["--from", "2026-01-01", "--to", "2026-12-31"], &small);
    let mut reader = csv::Reader::from_path(&small).unwrap();
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "booked_on",
            "provider",
            "payment",
            "provider_object",
            "amount",
            "currency",
            "refunded",
            "net",
            "fee",
            "status",
            "supporter_number",
            "name",
            "pledge_reference",
            "method"
        ]
    );
    let names: Vec<String> = reader.records().map(|r| r.unwrap()[11].to_owned()).collect();
    assert_eq!(
        names,
        ["'=HYPERLINK(\"http://evil.example\",\"x\")", "'+1+2", "'-2+3", "'@SUM(A1)", "'\tTab"],
        "every formula cell starts with '"
    );

    // 50,000 payments of Ada's pledge, amounts 0.01 to 999.99 EUR, every seventh half refunded.
    sqlx::query(
        "INSERT INTO payment (provider, provider_object_id, pledge_id, person_id, amount_minor, currency,
                              refunded_minor, fee_minor, status, booked_on)
         SELECT 'bank', 'acct-' || i, $1, $2, 1 + (i * 7919) % 99999, 'EUR',
                CASE WHEN i % 7 = 0 THEN (1 + (i * 7919) % 99999) / 2 ELSE 0 END,
                CASE WHEN i % 5 = 0 THEN 35 END,
                CASE WHEN i % 7 = 0 THEN 'partially_refunded'::payment_status ELSE 'received' END,
                DATE '2026-02-01' + (i % 300)
         FROM generate_series(1, 50000) AS i",
    )
    .bind(pledge.id)
    .bind(ada)
    .execute(&pool)
    .await
    .unwrap();
    let big_file = dir.path().join("big.csv");
    let (big_peak, err) = export_measured(
        &pool,
        &["--from", "2026-02-01", "--to", "2026-12-31", "--provider", "bank"],
        &big_file,
    );
    assert!(err.contains("50000 payments booked 2026-02-01 to 2026-12-31 written"), "{err}");
    let (expected, expected_refunded): (i64, i64) =
        sqlx::query_as("SELECT sum(amount_minor)::bigint, sum(refunded_minor)::bigint FROM payment WHERE booked_on >= '2026-02-01'")
            .fetch_one(&pool)
            .await
            .unwrap();
    // Parsed back: the decimal text is exactly the minor units.
    let minor = |text: &str| -> i64 {
        let (whole, cents) = text.split_once('.').unwrap();
        assert_eq!(cents.len(), 2, "{text}");
        whole.parse::<i64>().unwrap() * 100 + cents.parse::<i64>().unwrap()
    };
    let (mut rows, mut amount, mut refunded, mut net, mut fees) = (0, 0, 0, 0, 0);
    for record in csv::Reader::from_path(&big_file).unwrap().records() {
        let r = record.unwrap();
        rows += 1;
        amount += minor(&r[4]);
        refunded += minor(&r[6]);
        net += minor(&r[7]);
        if !r[8].is_empty() {
            fees += minor(&r[8]);
        }
        assert_eq!(minor(&r[7]), minor(&r[4]) - minor(&r[6]));
        assert_eq!(
            (&r[1], &r[5], &r[10], &r[13]),
            ("bank", "EUR", number.to_string().as_str(), "bank_transfer")
        );
        assert_eq!(&r[12], pledge.reference.as_str());
    }
    assert_eq!(rows, 50_000);
    assert_eq!(
        (amount, refunded, net, fees),
        (expected, expected_refunded, expected - expected_refunded, 10_000 * 35)
    );
    // Streaming: 50,000 rows (~6 MB of CSV) take no more memory than five.
    if let (Some(small), Some(big)) = (small_peak, big_peak) {
        let csv_kib = std::fs::metadata(&big_file).unwrap().len() / 1024;
        eprintln!("peak RSS: 5 rows {small} KiB, 50,000 rows {big} KiB, CSV {csv_kib} KiB");
        assert!(
            big < small + 4 * 1024,
            "peak RSS grew from {small} KiB to {big} KiB for a {csv_kib} KiB export"
        );
    }
}
