// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! `cdb-admin statements …` against a fresh database: payments recorded by hand, statements
//! generated (and generated again: nothing changes), a refund corrected, the PDF written by
//! `show` read back (the donor, the German receipt wording, the net sum), mails queued once,
//! and bad input (a year out of range, an unknown number, the sample's placeholders) refused.
//! Needs `DATABASE_URL` (a server where tests may create databases):
//! `cargo test -p cli --test statements`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use domain::audit::{Actor, Origin};
use domain::email::{self, Verification};
use domain::payment::payment;
use domain::person::{self, NewPerson};
use domain::types::{DisplayName, Email, Language, PersonId};
use sqlx::PgPool;
use std::path::{Path, PathBuf};
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

/// Runs `cdb-admin [--config FILE] ARGS…` with none of the caller's settings variables.
fn admin(pool: &PgPool, config: Option<&Path>, args: &[&str]) -> (bool, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cdb-admin"));
    for (name, _) in std::env::vars() {
        if name == "DATABASE_URL" || name.starts_with("CDB_") {
            command.env_remove(name);
        }
    }
    command.env("DATABASE_URL", database_url(pool));
    if let Some(config) = config {
        command.arg("--config").arg(config);
    }
    let output = command.args(args).output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Settings with the receipt wording filled in, as an organisation would.
fn config(dir: &Path) -> PathBuf {
    let path = dir.join("community.toml");
    std::fs::write(
        &path,
        r#"
[site]
organisation = "Free Software Friends e.V."

[statements]
organisation_address = ["Beispielweg 5", "10115 Berlin"]
tax_office = "Wir sind wegen Förderung der Volksbildung nach dem Freistellungsbescheid des Finanzamtes Berlin, StNr. 27/000/00000, vom 01.02.2025 befreit."
confirmations = ["Es wird bestätigt, dass die Zuwendung nur zur Förderung der Volksbildung verwendet wird."]
signer = "Berlin, Erika Kassenwartin"
"#,
    )
    .unwrap();
    path
}

async fn supporter(pool: &PgPool, name: &str, address: &str, language: Language) -> PersonId {
    let mut tx = pool.begin().await.unwrap();
    let new = NewPerson {
        display_name: DisplayName::try_from(name).unwrap(),
        country: None,
        address: None,
        preferred_language: language,
        referrer: None,
    };
    let person = person::create(&mut tx, ORIGIN, &new).await.unwrap();
    email::add(
        &mut tx,
        ORIGIN,
        person.id,
        &Email::try_from(address).unwrap(),
        true,
        Verification::VerifiedAt(time::OffsetDateTime::now_utc()),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    person.id
}

fn pdf_text(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    let text = pdf_extract::extract_text_from_mem(&bytes).unwrap();
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn statements_are_generated_corrected_shown_and_sent_once(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
    let erika = supporter(&pool, "Erika Mustermann", "erika@example.org", Language::German).await;
    supporter(&pool, "Ada Lovelace", "ada@example.org", Language::English).await;
    for (who, amount, day) in [
        ("erika@example.org", "25.00", "2026-03-01"),
        ("erika@example.org", "100", "2026-04-01"),
        ("ada@example.org", "10", "2026-05-01"),
    ] {
        let (ok, out, err) = admin(
            &pool,
            Some(&config),
            &["payments", "record", who, "--amount", amount, "--method", "cash", "--date", day],
        );
        assert!(ok, "{out}{err}");
    }

    // Nothing for a year without payments.
    let (ok, out, err) = admin(&pool, Some(&config), &["statements", "generate", "--year", "2025"]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("2025: 0 statements issued, 0 corrected, 0 unchanged"), "{out}");

    let (ok, out, err) = admin(&pool, Some(&config), &["statements", "generate", "--year", "2026"]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("2026: 2 statements issued, 0 corrected, 0 unchanged"), "{out}");
    assert!(err.contains("2026: 2/2 supporters looked at"), "progress on stderr: {err}");
    let (ok, out, _) = admin(&pool, Some(&config), &["statements", "generate", "--year", "2026"]);
    assert!(ok && out.contains("0 statements issued, 0 corrected, 2 unchanged"), "{out}");

    let (ok, out, _) = admin(&pool, None, &["statements", "list", "--year", "2026"]);
    assert!(ok, "{out}");
    assert!(out.contains("2026-000001") && out.contains("2026-000002"), "{out}");
    assert!(out.contains("125.00 EUR") && out.contains("Erika Mustermann"), "{out}");

    // The German PDF is a Sammelbestätigung with the configured wording and the sum.
    let list: serde_json::Value =
        serde_json::from_str(&admin(&pool, None, &["statements", "list", "--year", "2026", "--json"]).1)
            .unwrap();
    let erika_number =
        list.as_array().unwrap().iter().find(|s| s["donor"] == "Erika Mustermann").unwrap()["number"]
            .as_str()
            .unwrap()
            .to_owned();
    let file = dir.path().join("erika.pdf");
    let (ok, out, err) =
        admin(&pool, None, &["statements", "show", &erika_number, "--out", file.to_str().unwrap()]);
    assert!(ok && out.contains("written to"), "{out}{err}");
    let text = pdf_text(&file);
    for expected in [
        "Sammelbestätigung über Geldzuwendungen",
        "Erika Mustermann",
        "125,00 EUR",
        "Free Software Friends e.V.",
        "StNr. 27/000/00000",
        "Berlin, Erika Kassenwartin",
    ] {
        assert!(text.contains(expected), "{expected:?} missing: {text}");
    }

    // Send: one mail each, not again.
    let (ok, out, err) = admin(&pool, None, &["statements", "send", "--year", "2026"]);
    assert!(
        ok && out.contains("2026: 2 mails queued, 0 supporters without a confirmed address"),
        "{out}{err}"
    );
    let (ok, out, _) = admin(&pool, None, &["statements", "send", "--year", "2026"]);
    assert!(ok && out.contains("0 mails queued"), "{out}");
    assert_eq!(count(&pool, "SELECT count(*) FROM mail_job WHERE kind = 'statement_ready'").await, 2);

    // A refund of Erika's 100: a corrected statement replaces hers; its PDF says so.
    let payments = payment::for_person(&pool, erika).await.unwrap();
    let hundred = payments.iter().find(|p| p.amount.minor == 10_000).unwrap();
    let (ok, out, err) =
        admin(&pool, None, &["payments", "refund", &hundred.id.to_string(), "--amount", "40"]);
    assert!(ok, "{out}{err}");
    let (ok, out, _) = admin(&pool, Some(&config), &["statements", "generate", "--year", "2026"]);
    assert!(ok && out.contains("0 statements issued, 1 corrected, 1 unchanged"), "{out}");
    let corrected = format!("{erika_number}-2");
    let file = dir.path().join("corrected.pdf");
    let (ok, _, err) =
        admin(&pool, None, &["statements", "show", &corrected, "--out", file.to_str().unwrap()]);
    assert!(ok, "{err}");
    let text = pdf_text(&file);
    assert!(text.contains("85,00 EUR"), "net of the refund: {text}");
    assert!(text.contains(&format!("ersetzt die Bescheinigung {erika_number}")), "{text}");
    let (_, out, _) = admin(&pool, None, &["statements", "list", "--year", "2026"]);
    assert!(out.contains("replaced") && out.contains("corrected"), "{out}");
    let (ok, out, _) = admin(&pool, None, &["statements", "send", "--year", "2026"]);
    assert!(ok && out.contains("1 mails queued"), "the correction is mailed: {out}");
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn bad_input_is_refused_with_a_clear_error(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
    // The sample wording's placeholders must not reach a donor.
    let (ok, _, err) = admin(&pool, None, &["statements", "generate", "--year", "2026"]);
    assert!(!ok && err.contains("[placeholders]") && err.contains("statements.tax_office"), "{err}");
    assert_eq!(count(&pool, "SELECT count(*) FROM annual_statement").await, 0);
    for year in ["--year=1999", "--year=3000", "--year=-1"] {
        let (ok, _, err) = admin(&pool, Some(&config), &["statements", "generate", year]);
        assert!(!ok && err.contains("outside 2000..=2999"), "{year}: {err}");
    }
    let (ok, _, err) = admin(&pool, None, &["statements", "generate", "--year", "twenty"]);
    assert!(!ok && err.contains("invalid value"), "{err}");
    let file = dir.path().join("x.pdf");
    let (ok, _, err) =
        admin(&pool, None, &["statements", "show", "2026-999999", "--out", file.to_str().unwrap()]);
    assert!(!ok && err.contains("no statement numbered"), "{err}");
    assert!(!file.exists());
    let (ok, out, _) = admin(&pool, None, &["statements", "list", "--year", "2026"]);
    assert!(ok && out.contains("no statements for 2026"), "{out}");
    let (ok, out, _) = admin(&pool, None, &["statements", "--help"]);
    assert!(ok && out.contains("generate") && out.contains("send") && out.contains("show"), "{out}");
}
