// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! `cdb-admin pledges …` against a fresh database: a supporter's pledges found by supporter
//! number and email address; `lapsed` listing a pledge that needs renewal and an overdue bank
//! transfer (and whether each was mailed); `migrate --from stripe` asking first, marking and
//! mailing, changing nothing on a second run, and picking up pledges that became active since.
//! Needs `DATABASE_URL` (a server where tests may create databases):
//! `cargo test -p cli --test pledges`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use domain::audit::{Actor, Origin};
use domain::email::{self, Verification};
use domain::payment::payment::{self, NewPayment};
use domain::payment::pledge::{self, NewPledge, Pledge};
use domain::payment::{Currency, Method, Money, Period, RenewalReason, renewal, subscription};
use domain::person::{self, NewPerson};
use domain::types::{DisplayName, Email, Language, PersonId};
use serde_json::Value;
use sqlx::PgPool;
use std::io::Write;
use std::process::{Command, Stdio};
use time::{Duration, OffsetDateTime};

const ORIGIN: Origin<'static> = Origin { actor: &Actor::System, source: "test" };

fn writer() -> mails::Writer {
    mails::Writer { organisation: "Friends".into(), origin: "https://my.example.org".into() }
}

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

/// Runs `cdb-admin pledges …` with none of the caller's settings variables, `stdin` as input.
fn admin_with(pool: &PgPool, args: &[&str], stdin: &str) -> (bool, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cdb-admin"));
    for (name, _) in std::env::vars() {
        if name == "DATABASE_URL" || name.starts_with("CDB_") {
            command.env_remove(name);
        }
    }
    let mut child = command
        .env("DATABASE_URL", database_url(pool))
        .arg("pledges")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn admin(pool: &PgPool, args: &[&str]) -> (bool, String, String) {
    admin_with(pool, args, "")
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

/// A person with a supporter number, and a confirmed address if `address` is given.
async fn person(pool: &PgPool, name: &str, address: Option<&str>) -> (PersonId, i64) {
    let mut tx = pool.begin().await.unwrap();
    let new = NewPerson {
        display_name: DisplayName::try_from(name).unwrap(),
        country: None,
        address: None,
        preferred_language: Language::English,
        referrer: None,
    };
    let person = person::create(&mut tx, ORIGIN, &new).await.unwrap();
    if let Some(address) = address {
        let address = Email::try_from(address).unwrap();
        email::add(
            &mut tx,
            ORIGIN,
            person.id,
            &address,
            true,
            Verification::VerifiedAt(OffsetDateTime::now_utc()),
        )
        .await
        .unwrap();
    }
    let number = person::assign_supporter_number(&mut tx, ORIGIN, person.id).await.unwrap();
    tx.commit().await.unwrap();
    (person.id, number.get())
}

/// A monthly pledge of 15.00 EUR, paid once on `paid_on` through its method's provider (so
/// it is active), with a provider subscription when it is not a bank transfer.
async fn paid_pledge(pool: &PgPool, person: PersonId, method: Method, paid_on: time::Date) -> Pledge {
    let mut tx = pool.begin().await.unwrap();
    let new = NewPledge {
        person: Some(person),
        amount: Money::new(1500, Currency::EUR),
        period: Period::Monthly,
        method,
        referrer: None,
    };
    let pledge = pledge::create(&mut tx, ORIGIN, &new).await.unwrap();
    let key = format!("first-{}", pledge.id);
    if method != Method::BankTransfer {
        subscription::upsert(
            &mut tx,
            pledge.id,
            method.provider(),
            &format!("sub-{}", pledge.id),
            "active",
            None,
        )
        .await
        .unwrap();
    }
    let payment = NewPayment {
        provider: method.provider(),
        object_id: &key,
        aliases: &[],
        pledge: Some(pledge.id),
        amount: pledge.amount,
        fee_minor: None,
        booked_on: paid_on,
    };
    payment::register(&mut tx, ORIGIN, &payment, &writer()).await.unwrap();
    tx.commit().await.unwrap();
    pledge
}

fn today() -> time::Date {
    OffsetDateTime::now_utc().date()
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_supporters_pledges_are_listed_by_number_or_address(pool: PgPool) {
    let (ada, number) = person(&pool, "Ada Lovelace", Some("ada@example.org")).await;
    let pledge = paid_pledge(&pool, ada, Method::BankTransfer, today()).await;
    let (ok, out, err) = admin(&pool, &["list", &number.to_string()]);
    assert!(ok, "{out}{err}");
    assert!(out.contains(&format!("pledges of {number} Ada Lovelace")), "{out}");
    assert!(
        out.contains(&pledge.reference.grouped()) && out.contains("15.00 EUR") && out.contains("monthly"),
        "{out}"
    );
    assert!(out.contains("bank_transfer") && out.contains("active") && out.contains("1 pledges"), "{out}");
    let (ok, out, _) = admin(&pool, &["list", "Ada@Example.org", "--json"]);
    let listed: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert!(ok && listed.len() == 1 && listed[0]["amount"] == "15.00" && listed[0]["status"] == "active");
    for (who, expected) in [
        ("4242", "no person has the supporter number 4242"),
        ("eve@example.org", "nobody has the email address"),
        ("not an email@", "not an email address"),
        ("'; DROP TABLE pledge; --", "give a supporter number"),
    ] {
        let (ok, _, err) = admin(&pool, &["list", who]);
        assert!(!ok && err.contains(expected), "{who}: {err}");
    }
    let (bob, bob_number) = person(&pool, "Bob", None).await;
    let _ = bob;
    let (ok, out, _) = admin(&pool, &["list", &bob_number.to_string()]);
    assert!(ok && out.contains("no pledges"), "{out}");
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn lapsed_lists_pledges_that_need_renewal_and_overdue_transfers(pool: PgPool) {
    let (ada, number) = person(&pool, "Ada", Some("ada@example.org")).await;
    let (ok, out, _) = admin(&pool, &["lapsed"]);
    assert!(ok && out.contains("no pledges need renewal and no transfers are overdue"), "{out}");

    // A card subscription the processor ended; a transfer 30 days overdue (grace: 14 days);
    // one due in 20 days, which is not listed.
    let card = paid_pledge(&pool, ada, Method::Stripe, today()).await;
    let mut tx = pool.begin().await.unwrap();
    renewal::lapse(&mut tx, ORIGIN, card.id, RenewalReason::ProviderEnded, &writer()).await.unwrap();
    tx.commit().await.unwrap();
    let late = paid_pledge(&pool, ada, Method::BankTransfer, today() - Duration::days(60)).await;
    let due_on = Period::Monthly.next_after(today() - Duration::days(60)).unwrap();
    let on_time = paid_pledge(&pool, ada, Method::BankTransfer, today() - Duration::days(10)).await;

    let (ok, out, err) = admin(&pool, &["lapsed"]);
    assert!(ok, "{out}{err}");
    let line = |reference: &str| out.lines().find(|l| l.starts_with(reference)).map(str::to_owned);
    let renewal = line(&card.reference.grouped()).expect("the card pledge is listed");
    assert!(renewal.contains(&format!("{number} Ada")) && renewal.contains("stripe"), "{renewal}");
    assert!(renewal.contains("subscription ended by the processor"), "{renewal}");
    assert!(
        renewal.contains(&format!("since {}", today())) && renewal.trim_end().ends_with("yes"),
        "{renewal}"
    );
    let overdue = line(&late.reference.grouped()).expect("the late transfer is listed");
    assert!(overdue.contains("transfer overdue") && overdue.contains(&format!("due {due_on}")), "{overdue}");
    assert!(overdue.trim_end().ends_with("no"), "not reminded yet: {overdue}");
    assert!(line(&on_time.reference.grouped()).is_none(), "{out}");
    assert!(out.contains("1 need renewal, 1 transfers overdue"), "{out}");

    // After the reminder job, the overdue transfer shows as mailed.
    renewal::send_reminders(&pool, today(), Duration::days(14), &writer()).await.unwrap();
    let (_, out, _) = admin(&pool, &["lapsed", "--json"]);
    let listed: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(listed.len(), 2);
    let late_json = listed.iter().find(|l| l["pledge"]["id"] == late.id.to_string()).unwrap();
    assert_eq!(
        (late_json["why"].as_str(), late_json["mailed"].as_bool()),
        (Some("transfer overdue"), Some(true))
    );
    assert_eq!(late_json["due_on"], due_on.to_string());
    assert_eq!(late_json["supporter_number"], number);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn migrate_asks_first_marks_and_mails_once_and_resumes_with_new_pledges(pool: PgPool) {
    let (ada, _) = person(&pool, "Ada", Some("ada@example.org")).await;
    let (bea, _) = person(&pool, "Bea", Some("bea@example.org")).await;
    let (cy, _) = person(&pool, "Cy", None).await;
    for who in [ada, bea, cy] {
        paid_pledge(&pool, who, Method::Stripe, today()).await;
    }
    // Not migrated: a bank transfer pledge, and a PayPal one.
    paid_pledge(&pool, ada, Method::BankTransfer, today()).await;
    paid_pledge(&pool, ada, Method::Paypal, today()).await;
    let renewal_mails = "SELECT count(*) FROM mail_job WHERE kind = 'renew_pledge'";
    let marked = "SELECT count(*) FROM pledge WHERE status = 'needs_renewal'";

    // Not confirmed: an answer other than yes, or no answer at all.
    for answer in ["n\n", "", "maybe\n"] {
        let (ok, out, err) = admin_with(&pool, &["migrate", "--from", "stripe"], answer);
        assert!(!ok && err.contains("not confirmed: nothing changed"), "{answer:?}: {out}{err}");
        assert!(out.contains("3 active recurring pledges are paid through stripe"), "{out}");
        assert!(out.contains("2 of their supporters will get the renewal mail"), "{out}");
        assert!(out.contains("go on? [y/N]"), "{out}");
    }
    assert_eq!((count(&pool, marked).await, count(&pool, renewal_mails).await), (0, 0));
    let (ok, _, err) = admin(&pool, &["migrate", "--from", "stripe", "--cancel-on", "2020-01-01", "--yes"]);
    assert!(!ok && err.contains("is in the past"), "{err}");
    let (ok, _, err) = admin(&pool, &["migrate", "--from", "bank_transfer", "--yes"]);
    assert!(!ok && err.contains("invalid value"), "{err}");
    let (ok, _, err) = admin(&pool, &["migrate", "--from", "stripe", "--cancel-on", "2026-02-30", "--yes"]);
    assert!(!ok && err.contains("not a day of the calendar"), "{err}");

    let cancel_on = (today() + Duration::days(30)).to_string();
    let (ok, out, err) =
        admin_with(&pool, &["migrate", "--from", "stripe", "--cancel-on", &cancel_on], "y\n");
    assert!(ok, "{out}{err}");
    assert!(out.contains(&format!("cancelled on {cancel_on}, or when the supporter renews")), "{out}");
    assert!(out.contains("marked 3 pledges as needing renewal, 2 renewal mails queued"), "{out}");
    assert_eq!((count(&pool, marked).await, count(&pool, renewal_mails).await), (3, 2));
    let to_cancel: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM provider_subscription WHERE provider = 'stripe' AND cancel_on = $1::text::date",
    )
    .bind(&cancel_on)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(to_cancel, 3);
    let paypal: String = sqlx::query_scalar("SELECT status::text FROM pledge WHERE method = 'paypal'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(paypal, "active");

    // Again: nothing to mark, nobody mailed twice.
    let (ok, out, err) = admin(&pool, &["migrate", "--from", "stripe", "--yes"]);
    assert!(ok && out.contains("0 active recurring pledges") && out.contains("nothing to do"), "{out}{err}");
    assert!(out.contains("3 pledges marked by an earlier run are still waiting"), "{out}");
    assert_eq!((count(&pool, marked).await, count(&pool, renewal_mails).await), (3, 2));

    // Pledges that became active since (a migration stopped half-way leaves the same state):
    // the next run marks those only.
    for who in [ada, cy] {
        paid_pledge(&pool, who, Method::Stripe, today()).await;
    }
    let (ok, out, err) = admin(&pool, &["migrate", "--from", "stripe", "--yes"]);
    assert!(ok && out.contains("marked 2 pledges as needing renewal, 1 renewal mails queued"), "{out}{err}");
    assert!(out.contains("3 pledges marked by an earlier run are still waiting"), "{out}");
    assert_eq!((count(&pool, marked).await, count(&pool, renewal_mails).await), (5, 3));
    let (_, out, _) = admin(&pool, &["lapsed"]);
    assert_eq!(out.matches("processor dropped (migrate)").count(), 5, "{out}");
    assert!(out.contains("5 need renewal, 0 transfers overdue"), "{out}");
}
