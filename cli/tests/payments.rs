// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! `cdb-admin payments …` against a fresh database: a generated camt.053 statement imported
//! (and imported again), the unmatched entries listed and assigned, flags listed and resolved,
//! and files that must be refused (malformed XML, an entity bomb, a foreign namespace) refused
//! with a clear error and nothing stored. Needs `DATABASE_URL` (a server where tests may create
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
