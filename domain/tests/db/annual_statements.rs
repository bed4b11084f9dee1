// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Annual statements: one per supporter and year, net of refunds, never changed once issued
//! (a correction replaces it), kept after erasure, mailed once. The renderer here writes the
//! document as text, so the tests read what a PDF would show; the `statements` crate's tests
//! check the PDF itself.

use crate::{SOURCE, Words, add_email, new_person};
use domain::audit::{Actor, Origin};
use domain::email::Verification;
use domain::payment::annual_statement::{
    self, Document, Generated, Render, RenderError, Sent, StatementError,
};
use domain::payment::payment::{self, AdjustmentKind, NewAdjustment, NewPayment};
use domain::payment::pledge::{self, NewPledge, Pledge};
use domain::payment::{Currency, Method, Money, Period, Provider};
use domain::types::PersonId;
use sqlx::PgPool;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use time::macros::date;

const ORIGIN: Origin<'static> = Origin { actor: &Actor::System, source: SOURCE };
const ISSUED: time::Date = date!(2027 - 01 - 15);

/// "Renders" a document as its debug text, and counts the documents it was given.
#[derive(Default)]
struct TextRender {
    rendered: AtomicUsize,
}

impl Render for TextRender {
    fn render(&self, documents: &[Document]) -> Vec<Result<Vec<u8>, RenderError>> {
        self.rendered.fetch_add(documents.len(), Ordering::SeqCst);
        documents.iter().map(|d| Ok(format!("{d:?}").into_bytes())).collect()
    }
}

/// Fails on a donor of this name, renders the others.
struct FailOn(&'static str);

impl Render for FailOn {
    fn render(&self, documents: &[Document]) -> Vec<Result<Vec<u8>, RenderError>> {
        documents
            .iter()
            .map(|d| {
                if d.donor.name == self.0 {
                    Err(RenderError { number: d.number.clone(), message: "broken".into() })
                } else {
                    Ok(b"%PDF".to_vec())
                }
            })
            .collect()
    }
}

fn eur(minor: i64) -> Money {
    Money::new(minor, Currency::EUR)
}

async fn supporter(pool: &PgPool, name: &str, address: Option<&str>) -> PersonId {
    let person = new_person(pool, name).await;
    if let Some(address) = address {
        let mut tx = pool.begin().await.unwrap();
        add_email(
            &mut tx,
            person.id,
            address,
            true,
            Verification::VerifiedAt(time::OffsetDateTime::now_utc()),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    person.id
}

async fn pledge_of(pool: &PgPool, person: PersonId, money: Money) -> Pledge {
    let mut tx = pool.begin().await.unwrap();
    let new = NewPledge {
        person: Some(person),
        amount: money,
        period: Period::Monthly,
        method: Method::Stripe,
        referrer: None,
    };
    let pledge = pledge::create(&mut tx, ORIGIN, &new).await.unwrap();
    tx.commit().await.unwrap();
    pledge
}

async fn pay(pool: &PgPool, pledge: &Pledge, key: &str, booked_on: time::Date) {
    let mut tx = pool.begin().await.unwrap();
    let new = NewPayment {
        provider: Provider::Stripe,
        object_id: key,
        aliases: &[],
        pledge: Some(pledge.id),
        amount: pledge.amount,
        fee_minor: None,
        booked_on,
    };
    payment::register(&mut tx, ORIGIN, &new, &Words).await.unwrap();
    tx.commit().await.unwrap();
}

async fn refund(pool: &PgPool, id: &str, key: &str, money: Money) {
    let mut tx = pool.begin().await.unwrap();
    let new = NewAdjustment {
        provider: Provider::Stripe,
        provider_id: id,
        kind: AdjustmentKind::Refund,
        payment_key: key,
        amount: money,
    };
    payment::adjust(&mut tx, ORIGIN, &new).await.unwrap();
    tx.commit().await.unwrap();
}

async fn generate(pool: &PgPool, year: i32, render: &Arc<TextRender>) -> Generated {
    let render: Arc<dyn Render> = render.clone();
    annual_statement::generate(pool, ORIGIN, year, ISSUED, render, &|_, _| {}).await.unwrap()
}

async fn pdf_text(pool: &PgPool, number: &str) -> String {
    let pdf = annual_statement::pdf_by_number(pool, number).await.unwrap().expect("the statement exists");
    String::from_utf8(pdf.bytes).unwrap()
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_year_without_payments_makes_no_statement(pool: PgPool) {
    let ada = supporter(&pool, "Ada", Some("ada@example.org")).await;
    let pledge = pledge_of(&pool, ada, eur(2500)).await;
    pay(&pool, &pledge, "in_2025", date!(2025 - 12 - 31)).await;
    pay(&pool, &pledge, "in_2027", date!(2027 - 01 - 01)).await;
    let render = Arc::new(TextRender::default());
    assert_eq!(generate(&pool, 2026, &render).await, Generated::default());
    assert_eq!(count(&pool, "SELECT count(*) FROM annual_statement").await, 0);
    assert_eq!(render.rendered.load(Ordering::SeqCst), 0);
    // The year's edges belong to their year.
    assert_eq!(generate(&pool, 2025, &render).await.issued, 1);
    assert_eq!(generate(&pool, 2027, &render).await.issued, 1);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn one_statement_per_supporter_with_every_payment_and_the_total(pool: PgPool) {
    let ada = supporter(&pool, "Ada", Some("ada@example.org")).await;
    let bob = supporter(&pool, "Bob", None).await;
    let ada_pledge = pledge_of(&pool, ada, eur(2500)).await;
    let bob_pledge = pledge_of(&pool, bob, Money::new(1000, Currency::parse("CHF").unwrap())).await;
    pay(&pool, &ada_pledge, "in_a1", date!(2026 - 01 - 05)).await;
    pay(&pool, &ada_pledge, "in_a2", date!(2026 - 02 - 05)).await;
    pay(&pool, &bob_pledge, "in_b1", date!(2026 - 03 - 01)).await;
    let render = Arc::new(TextRender::default());
    let done = generate(&pool, 2026, &render).await;
    assert_eq!(done, Generated { issued: 2, corrected: 0, unchanged: 0 });

    let list = annual_statement::list(&pool, 2026).await.unwrap();
    assert_eq!(list.len(), 2);
    let numbers: Vec<&str> = list.iter().map(|s| s.number.as_str()).collect();
    assert_eq!(numbers, ["2026-000001", "2026-000002"]);
    let ada_statement = list.iter().find(|s| s.donor_name == "Ada").unwrap();
    assert_eq!(ada_statement.totals, [eur(5000)]);
    let text = pdf_text(&pool, &ada_statement.number).await;
    assert!(text.contains("name: \"Ada\""), "{text}");
    assert!(text.contains("booked_on: 2026-01-05") && text.contains("booked_on: 2026-02-05"), "{text}");
    assert!(text.contains(&ada_pledge.reference.grouped()), "the reference is printed: {text}");
    assert!(text.contains("language: German"), "in the supporter's language: {text}");
    let bob_statement = list.iter().find(|s| s.donor_name == "Bob").unwrap();
    assert_eq!(bob_statement.totals, [Money::new(1000, Currency::parse("CHF").unwrap())]);

    // The supporter sees their own current statement only.
    let mine = annual_statement::for_person(&pool, ada).await.unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].number, ada_statement.number);
    assert!(annual_statement::pdf(&pool, ada_statement.id, ada).await.unwrap().is_some());
    assert!(annual_statement::pdf(&pool, ada_statement.id, bob).await.unwrap().is_none(), "not Bob's");
    assert!(annual_statement::pdf(&pool, uuid::Uuid::new_v4(), ada).await.unwrap().is_none());
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn running_generate_again_changes_nothing(pool: PgPool) {
    let ada = supporter(&pool, "Ada", None).await;
    let pledge = pledge_of(&pool, ada, eur(2500)).await;
    pay(&pool, &pledge, "in_1", date!(2026 - 05 - 01)).await;
    let render = Arc::new(TextRender::default());
    assert_eq!(generate(&pool, 2026, &render).await.issued, 1);
    let before: Vec<u8> = annual_statement::pdf_by_number(&pool, "2026-000001").await.unwrap().unwrap().bytes;
    // The person changes name and language: an issued statement records what was printed.
    sqlx::query("UPDATE person SET display_name = 'Ada Byron', preferred_language = 'en' WHERE id = $1")
        .bind(ada.as_uuid())
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(generate(&pool, 2026, &render).await, Generated { issued: 0, corrected: 0, unchanged: 1 });
    assert_eq!(render.rendered.load(Ordering::SeqCst), 1, "nothing rendered the second time");
    assert_eq!(count(&pool, "SELECT count(*) FROM annual_statement").await, 1);
    let after = annual_statement::pdf_by_number(&pool, "2026-000001").await.unwrap().unwrap().bytes;
    assert_eq!(before, after);
    assert_eq!(count(&pool, "SELECT count(*) FROM audit_log WHERE action = 'statement.issued'").await, 1);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_refunded_payment_counts_net(pool: PgPool) {
    let ada = supporter(&pool, "Ada", None).await;
    let pledge = pledge_of(&pool, ada, eur(2500)).await;
    pay(&pool, &pledge, "in_1", date!(2026 - 05 - 01)).await;
    pay(&pool, &pledge, "in_2", date!(2026 - 06 - 01)).await;
    pay(&pool, &pledge, "in_3", date!(2026 - 07 - 01)).await;
    refund(&pool, "re_1", "in_1", eur(1000)).await; // partly
    refund(&pool, "re_2", "in_2", eur(2500)).await; // wholly
    let render = Arc::new(TextRender::default());
    generate(&pool, 2026, &render).await;
    let list = annual_statement::list(&pool, 2026).await.unwrap();
    assert_eq!(list[0].totals, [eur(1500 + 2500)]);
    let text = pdf_text(&pool, "2026-000001").await;
    assert!(text.contains("minor: 1500"), "{text}");
    assert!(!text.contains("2026-06-01"), "a wholly refunded payment is not listed: {text}");
    assert_eq!(count(&pool, "SELECT count(*) FROM annual_statement_line").await, 2);

    // Everything refunded before any statement: none.
    let bob = supporter(&pool, "Bob", None).await;
    let bob_pledge = pledge_of(&pool, bob, eur(500)).await;
    pay(&pool, &bob_pledge, "in_b", date!(2026 - 08 - 01)).await;
    refund(&pool, "re_b", "in_b", eur(500)).await;
    assert_eq!(generate(&pool, 2026, &render).await, Generated { issued: 0, corrected: 0, unchanged: 1 });
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_later_refund_issues_a_correction_that_replaces_the_statement(pool: PgPool) {
    let ada = supporter(&pool, "Ada", Some("ada@example.org")).await;
    let pledge = pledge_of(&pool, ada, eur(2500)).await;
    pay(&pool, &pledge, "in_1", date!(2026 - 05 - 01)).await;
    pay(&pool, &pledge, "in_2", date!(2026 - 06 - 01)).await;
    let render = Arc::new(TextRender::default());
    generate(&pool, 2026, &render).await;
    let first = annual_statement::for_person(&pool, ada).await.unwrap().remove(0);
    let first_pdf = annual_statement::pdf_by_number(&pool, &first.number).await.unwrap().unwrap().bytes;

    refund(&pool, "re_1", "in_2", eur(2500)).await;
    assert_eq!(generate(&pool, 2026, &render).await, Generated { issued: 0, corrected: 1, unchanged: 0 });
    let current = annual_statement::for_person(&pool, ada).await.unwrap();
    assert_eq!(current.len(), 1, "only the correction is current");
    let corrected = &current[0];
    assert_eq!(corrected.number, "2026-000001-2");
    assert!(corrected.corrected);
    assert_eq!(corrected.totals, [eur(2500)]);
    let text = pdf_text(&pool, &corrected.number).await;
    assert!(text.contains("corrects: Some(\"2026-000001\")"), "{text}");

    // The old one stays as it was, marked replaced; its download is gone for the supporter.
    let all = annual_statement::list(&pool, 2026).await.unwrap();
    assert_eq!(all.len(), 2);
    assert!(all.iter().any(|s| s.number == "2026-000001" && s.replaced));
    assert_eq!(
        annual_statement::pdf_by_number(&pool, "2026-000001").await.unwrap().unwrap().bytes,
        first_pdf
    );
    assert!(annual_statement::pdf(&pool, first.id, ada).await.unwrap().is_none());
    // A further run changes nothing; another refund makes revision 3, totally refunded says so.
    assert_eq!(generate(&pool, 2026, &render).await.unchanged, 1);
    refund(&pool, "re_2", "in_1", eur(2500)).await;
    assert_eq!(generate(&pool, 2026, &render).await.corrected, 1);
    let last = annual_statement::for_person(&pool, ada).await.unwrap().remove(0);
    assert_eq!(last.number, "2026-000001-3");
    assert_eq!(last.totals, []);
    assert!(pdf_text(&pool, &last.number).await.contains("corrects: Some(\"2026-000001-2\")"));
    // A late payment of the year (booked before, registered after) also corrects.
    pay(&pool, &pledge, "in_late", date!(2026 - 12 - 30)).await;
    assert_eq!(generate(&pool, 2026, &render).await.corrected, 1);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_payment_is_on_one_current_statement_only(pool: PgPool) {
    let ada = supporter(&pool, "Ada", None).await;
    let pledge = pledge_of(&pool, ada, eur(2500)).await;
    pay(&pool, &pledge, "in_1", date!(2026 - 05 - 01)).await;
    pay(&pool, &pledge, "in_2", date!(2026 - 06 - 01)).await;
    let render = Arc::new(TextRender::default());
    generate(&pool, 2026, &render).await;
    refund(&pool, "re_1", "in_2", eur(100)).await;
    generate(&pool, 2026, &render).await;
    assert_eq!(
        count(&pool, "SELECT count(*) FROM annual_statement_line WHERE current").await,
        2,
        "the correction's two lines; the replaced statement's lines are not current"
    );
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM (SELECT payment_id FROM annual_statement_line WHERE current GROUP BY payment_id HAVING count(*) > 1) x"
        )
        .await,
        0
    );
    // The database refuses a second current line for a payment, whoever writes it.
    let err = sqlx::query(
        "INSERT INTO annual_statement_line (statement_id, position, payment_id, booked_on, net_minor, currency)
         SELECT statement_id, 99, payment_id, booked_on, net_minor, currency FROM annual_statement_line WHERE current LIMIT 1",
    )
    .execute(&pool)
    .await
    .unwrap_err();
    assert!(err.as_database_error().is_some_and(|e| e.is_unique_violation()), "{err}");
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn concurrent_runs_issue_each_statement_once(pool: PgPool) {
    for i in 0..5 {
        let person = supporter(&pool, &format!("Donor {i}"), None).await;
        let pledge = pledge_of(&pool, person, eur(1000)).await;
        pay(&pool, &pledge, &format!("in_{i}"), date!(2026 - 04 - 01)).await;
    }
    let render = Arc::new(TextRender::default());
    let (a, b) = tokio::join!(generate(&pool, 2026, &render), generate(&pool, 2026, &render));
    assert_eq!(a.issued + b.issued, 5);
    assert_eq!(count(&pool, "SELECT count(*) FROM annual_statement").await, 5);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn an_erased_person_keeps_the_issued_statement_and_gets_no_new_one(pool: PgPool) {
    let ada = supporter(&pool, "Ada Lovelace", Some("ada@example.org")).await;
    sqlx::query("UPDATE person SET address_street = 'Analytical Row 12', address_city = 'London', country = 'GB' WHERE id = $1")
        .bind(ada.as_uuid())
        .execute(&pool)
        .await
        .unwrap();
    let pledge = pledge_of(&pool, ada, eur(2500)).await;
    pay(&pool, &pledge, "in_1", date!(2026 - 05 - 01)).await;
    let render = Arc::new(TextRender::default());
    generate(&pool, 2026, &render).await;
    let statement = annual_statement::for_person(&pool, ada).await.unwrap().remove(0);

    sqlx::query("DELETE FROM person WHERE id = $1").bind(ada.as_uuid()).execute(&pool).await.unwrap();
    // A refund after erasure cannot reach a person any more; the record stays as issued.
    refund(&pool, "re_1", "in_1", eur(2500)).await;
    assert_eq!(generate(&pool, 2026, &render).await, Generated::default());
    let list = annual_statement::list(&pool, 2026).await.unwrap();
    assert_eq!(list.len(), 1);
    assert!(!list[0].has_person && !list[0].replaced);
    assert_eq!(list[0].donor_name, "Ada Lovelace");
    let row: (Option<uuid::Uuid>, String, String) =
        sqlx::query_as("SELECT person_id, donor_name, donor_address FROM annual_statement WHERE id = $1")
            .bind(statement.id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(row, (None, "Ada Lovelace".into(), "Analytical Row 12\nLondon\nGB".into()));
    // Nothing but the name and address as printed: no email, no supporter number, no language link.
    assert!(pdf_text(&pool, &statement.number).await.contains("Analytical Row 12"));
    // A later year gives the erased person nothing (their payments have no person).
    assert_eq!(generate(&pool, 2027, &render).await, Generated::default());
    // Sending skips it: there is nobody to mail.
    let sent = annual_statement::send(&pool, ORIGIN, 2026, &Words).await.unwrap();
    assert_eq!(sent, Sent::default());
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn send_mails_each_current_statement_once(pool: PgPool) {
    let ada = supporter(&pool, "Ada", Some("ada@example.org")).await;
    let bob = supporter(&pool, "Bob", None).await; // no confirmed address
    for (person, key) in [(ada, "in_a"), (bob, "in_b")] {
        let pledge = pledge_of(&pool, person, eur(2500)).await;
        pay(&pool, &pledge, key, date!(2026 - 05 - 01)).await;
    }
    let render = Arc::new(TextRender::default());
    generate(&pool, 2026, &render).await;
    let before = count(&pool, "SELECT count(*) FROM mail_job WHERE kind = 'statement_ready'").await;
    assert_eq!(before, 0);
    let sent = annual_statement::send(&pool, ORIGIN, 2026, &Words).await.unwrap();
    assert_eq!(sent, Sent { mailed: 1, no_address: 1 });
    let again = annual_statement::send(&pool, ORIGIN, 2026, &Words).await.unwrap();
    assert_eq!(again, Sent { mailed: 0, no_address: 1 });
    let (recipient, body): (String, String) =
        sqlx::query_as("SELECT recipient, body FROM mail_job WHERE kind = 'statement_ready'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(recipient, "ada@example.org");
    // The link leads to the statements page (which asks a logged-out supporter to log in).
    assert_eq!(body, "German corrected=false /donations/statements");

    // A correction is mailed again, saying it is one.
    refund(&pool, "re_a", "in_a", eur(500)).await;
    generate(&pool, 2026, &render).await;
    assert_eq!(annual_statement::send(&pool, ORIGIN, 2026, &Words).await.unwrap().mailed, 1);
    let bodies: Vec<String> =
        sqlx::query_scalar("SELECT body FROM mail_job WHERE kind = 'statement_ready' ORDER BY created_at")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(bodies.len(), 2);
    assert!(bodies[1].contains("corrected=true"));
    assert_eq!(count(&pool, "SELECT count(*) FROM audit_log WHERE action = 'statement.sent'").await, 2);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_render_failure_issues_nothing_of_its_batch(pool: PgPool) {
    for name in ["Ada", "Broken"] {
        let person = supporter(&pool, name, None).await;
        let pledge = pledge_of(&pool, person, eur(1000)).await;
        pay(&pool, &pledge, &format!("in_{name}"), date!(2026 - 04 - 01)).await;
    }
    let render: Arc<dyn Render> = Arc::new(FailOn("Broken"));
    let err = annual_statement::generate(&pool, ORIGIN, 2026, ISSUED, render, &|_, _| {}).await.unwrap_err();
    assert!(matches!(err, StatementError::Render(ref e) if e.message == "broken"), "{err:?}");
    assert_eq!(count(&pool, "SELECT count(*) FROM annual_statement").await, 0);
    // The serial counter rolled back with it: the next good run starts at 1.
    let render = Arc::new(TextRender::default());
    generate(&pool, 2026, &render).await;
    assert_eq!(annual_statement::list(&pool, 2026).await.unwrap()[0].number, "2026-000001");
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn years_outside_the_range_are_refused(pool: PgPool) {
    let render: Arc<dyn Render> = Arc::new(TextRender::default());
    for year in [0, 1999, 3000, -5] {
        let err = annual_statement::generate(&pool, ORIGIN, year, ISSUED, render.clone(), &|_, _| {})
            .await
            .unwrap_err();
        assert!(matches!(err, StatementError::Year(y) if y == year));
        assert!(matches!(
            annual_statement::send(&pool, ORIGIN, year, &Words).await,
            Err(StatementError::Year(_))
        ));
    }
    assert!(
        annual_statement::pdf_by_number(&pool, "'; DROP TABLE annual_statement; --").await.unwrap().is_none()
    );
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn many_batches_are_numbered_densely_and_reported(pool: PgPool) {
    // 600 supporters: three batches, rendered while the one before is stored.
    sqlx::query(
        r#"WITH people AS (
             INSERT INTO person (display_name, preferred_language)
             SELECT 'Supporter ' || n, 'en' FROM generate_series(1, 600) AS n RETURNING id),
           pledges AS (
             INSERT INTO pledge (person_id, amount_minor, currency, period, method, status, reference)
             SELECT id, 1000, 'EUR', 'monthly', 'bank_transfer', 'active',
                    'RF00' || lpad((row_number() OVER ())::text, 12, '0')
             FROM people RETURNING id, person_id)
           INSERT INTO payment (provider, provider_object_id, pledge_id, person_id, amount_minor, currency, booked_on)
           SELECT 'bank', p.id::text, p.id, p.person_id, 1000, 'EUR', DATE '2026-03-01' FROM pledges p"#,
    )
    .execute(&pool)
    .await
    .unwrap();
    let seen = std::sync::Mutex::new(Vec::new());
    let progress = |done: usize, all: usize| seen.lock().unwrap().push((done, all));
    let render: Arc<dyn Render> = Arc::new(TextRender::default());
    let done =
        annual_statement::generate(&pool, ORIGIN, 2026, ISSUED, render.clone(), &progress).await.unwrap();
    assert_eq!(done, Generated { issued: 600, corrected: 0, unchanged: 0 });
    let seen = seen.into_inner().unwrap();
    assert_eq!(seen, [(250, 600), (500, 600), (600, 600)]);
    let numbers: Vec<String> = sqlx::query_scalar("SELECT number FROM annual_statement ORDER BY serial")
        .fetch_all(&pool)
        .await
        .unwrap();
    let expected: Vec<String> = (1..=600).map(|n| format!("2026-{n:06}")).collect();
    assert_eq!(numbers, expected);
    assert_eq!(count(&pool, "SELECT last::bigint FROM annual_statement_serial WHERE year = 2026").await, 600);
    // A new supporter later in the year continues the numbering.
    let late = supporter(&pool, "Late", None).await;
    let pledge = pledge_of(&pool, late, eur(700)).await;
    pay(&pool, &pledge, "in_late", date!(2026 - 11 - 30)).await;
    let done = annual_statement::generate(&pool, ORIGIN, 2026, ISSUED, render, &|_, _| {}).await.unwrap();
    assert_eq!(done, Generated { issued: 1, corrected: 0, unchanged: 600 });
    assert!(annual_statement::pdf_by_number(&pool, "2026-000601").await.unwrap().is_some());
}
