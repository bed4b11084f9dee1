// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! What staff do by hand: payments recorded once per receipt (and thanked), the refusals that
//! store nothing, refunds limited to what is left of a payment (and not counted twice when the
//! provider reports the same refund), the migration preview, and the accountant's export read
//! row by row from a stream of 50,000 payments.

use crate::{SOURCE, Words, new_person, supporter};
use domain::audit::{Actor, Origin};
use domain::payment::export::{self, ExportRow};
use domain::payment::manual::{self, NewManualPayment, RecordRefused, RefundRefused};
use domain::payment::payment::{self, Adjusted, AdjustmentKind, NewAdjustment, NewPayment};
use domain::payment::pledge::{self, NewPledge, Pledge};
use domain::payment::{
    Currency, EndedBy, ManualMethod, Method, Money, PaymentStatus, Period, PledgeStatus, Provider,
};
use domain::types::{PaymentId, PersonId, PledgeId};
use futures_util::TryStreamExt;
use sqlx::PgPool;
use time::macros::date;

const ORIGIN: Origin<'static> = Origin { actor: &Actor::Staff(String::new()), source: SOURCE };
const TODAY: time::Date = date!(2026 - 12 - 02);

fn eur(minor: i64) -> Money {
    Money::new(minor, Currency::EUR)
}

async fn pledge_of(pool: &PgPool, person: PersonId, minor: i64, method: Method) -> Pledge {
    let mut tx = pool.begin().await.unwrap();
    let new = NewPledge {
        person: Some(person),
        amount: eur(minor),
        period: Period::Monthly,
        method,
        referrer: None,
    };
    let pledge = pledge::create(&mut tx, ORIGIN, &new).await.unwrap();
    tx.commit().await.unwrap();
    pledge
}

fn cash<'a>(
    person: PersonId,
    pledge: Option<PledgeId>,
    minor: i64,
    receipt: Option<&'a str>,
) -> NewManualPayment<'a> {
    NewManualPayment {
        person,
        pledge,
        amount: eur(minor),
        method: ManualMethod::Cash,
        booked_on: date!(2026 - 11 - 30),
        receipt,
        note: Some("handed over at the stand"),
    }
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_payment_recorded_by_hand_counts_once_per_receipt_and_is_thanked(pool: PgPool) {
    let ada = supporter(&pool, "Ada", "ada@example.org").await;
    let pledge = pledge_of(&pool, ada, 2500, Method::BankTransfer).await;

    let first = manual::record(&pool, ORIGIN, TODAY, &cash(ada, Some(pledge.id), 2500, Some("Q-17")), &Words)
        .await
        .unwrap()
        .unwrap();
    assert!(first.new && first.thanked);
    assert_eq!(first.receipt, "Q-17");
    // The pledge rules of any payment: active, next payment a month later.
    let after = pledge::get(&pool, pledge.id).await.unwrap().unwrap();
    assert_eq!(after.status, PledgeStatus::Active);
    assert_eq!(after.next_expected_on, Some(date!(2026 - 12 - 30)));
    let row: (String, Option<String>, Option<String>, Option<i64>) = sqlx::query_as(
        "SELECT provider::text, manual_method::text, note, fee_minor FROM payment WHERE id = $1",
    )
    .bind(first.payment)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(row, ("manual".into(), Some("cash".into()), Some("handed over at the stand".into()), Some(0)));
    let body: String = sqlx::query_scalar("SELECT body FROM mail_job WHERE kind = 'thank_you'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(body.contains("25.00 EUR") && body.contains("2026-11-30"), "{body}");

    // The same command again: nothing new, no second mail.
    let again =
        manual::record(&pool, ORIGIN, TODAY, &cash(ada, Some(pledge.id), 2500, Some(" Q-17 ")), &Words)
            .await
            .unwrap()
            .unwrap();
    assert_eq!((again.payment, again.new), (first.payment, false));
    assert_eq!(count(&pool, "SELECT count(*) FROM payment").await, 1);
    assert_eq!(count(&pool, "SELECT count(*) FROM mail_job WHERE kind = 'thank_you'").await, 1);
    assert_eq!(
        count(&pool, "SELECT count(*) FROM audit_log WHERE action = 'payment.recorded_by_hand'").await,
        1
    );

    // The same receipt for another gift is a mistake staff must see.
    let reused =
        manual::record(&pool, ORIGIN, TODAY, &cash(ada, None, 1000, Some("Q-17")), &Words).await.unwrap();
    assert_eq!(reused, Err(RecordRefused::ReceiptUsed { receipt: "Q-17".into(), payment: first.payment }));

    // Without a receipt number the gift itself is the key: twice is once, another amount is new.
    let gift =
        manual::record(&pool, ORIGIN, TODAY, &cash(ada, None, 1000, None), &Words).await.unwrap().unwrap();
    let twice =
        manual::record(&pool, ORIGIN, TODAY, &cash(ada, None, 1000, None), &Words).await.unwrap().unwrap();
    assert!(gift.new && !twice.new && gift.payment == twice.payment && gift.receipt.len() == 16);
    let other =
        manual::record(&pool, ORIGIN, TODAY, &cash(ada, None, 1001, None), &Words).await.unwrap().unwrap();
    assert!(other.new);
    assert_eq!(count(&pool, "SELECT count(*) FROM payment").await, 3);
    assert_eq!(count(&pool, "SELECT count(*) FROM mail_job WHERE kind = 'thank_you'").await, 3);
    // A gift without pledge is the person's, listed with their payments.
    let listed = payment::for_person(&pool, ada).await.unwrap();
    assert_eq!(listed.len(), 3);
    assert!(listed.iter().all(|p| p.provider == Provider::Manual && p.person == Some(ada)));
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn payments_that_do_not_fit_are_refused_and_nothing_is_stored(pool: PgPool) {
    let ada = supporter(&pool, "Ada", "ada@example.org").await;
    let bob = supporter(&pool, "Bob", "bob@example.org").await;
    let adas = pledge_of(&pool, ada, 2500, Method::BankTransfer).await;
    let cancelled = pledge_of(&pool, ada, 2500, Method::BankTransfer).await;
    let mut tx = pool.begin().await.unwrap();
    pledge::end(&mut tx, ORIGIN, cancelled.id, EndedBy::Supporter).await.unwrap();
    tx.commit().await.unwrap();
    let nobody = PersonId::from(uuid::Uuid::new_v4());
    let long_note = "n".repeat(501);
    let cases: Vec<(NewManualPayment<'_>, RecordRefused)> = vec![
        (cash(nobody, None, 2500, None), RecordRefused::UnknownPerson),
        (cash(ada, Some(PledgeId::from(uuid::Uuid::new_v4())), 2500, None), RecordRefused::UnknownPledge),
        (cash(bob, Some(adas.id), 2500, None), RecordRefused::OtherPersonsPledge),
        (cash(ada, Some(cancelled.id), 2500, None), RecordRefused::PledgeCancelled),
        (
            cash(ada, Some(adas.id), 2000, None),
            RecordRefused::PledgeMismatch { promised: eur(2500), given: eur(2000) },
        ),
        (cash(ada, None, 0, None), RecordRefused::NotPositive),
        (cash(ada, None, -500, None), RecordRefused::NotPositive),
        (
            NewManualPayment { booked_on: date!(2026 - 12 - 03), ..cash(ada, None, 2500, None) },
            RecordRefused::FutureDate(date!(2026 - 12 - 03)),
        ),
        (NewManualPayment { note: Some(&long_note), ..cash(ada, None, 2500, None) }, RecordRefused::BadNote),
        (NewManualPayment { note: Some("bell\u{7}"), ..cash(ada, None, 2500, None) }, RecordRefused::BadNote),
        (cash(ada, None, 2500, Some("two\nlines")), RecordRefused::BadReceipt),
    ];
    for (new, expected) in cases {
        let got = manual::record(&pool, ORIGIN, TODAY, &new, &Words).await.unwrap();
        assert_eq!(got, Err(expected.clone()), "{expected}");
    }
    // A currency other than the pledge's.
    let chf = NewManualPayment {
        amount: Money::new(2500, Currency::parse("CHF").unwrap()),
        ..cash(ada, Some(adas.id), 2500, None)
    };
    assert!(matches!(
        manual::record(&pool, ORIGIN, TODAY, &chf, &Words).await.unwrap(),
        Err(RecordRefused::PledgeMismatch { .. })
    ));
    assert_eq!(count(&pool, "SELECT count(*) FROM payment").await, 0);
    assert_eq!(count(&pool, "SELECT count(*) FROM mail_job WHERE kind = 'thank_you'").await, 0);
    assert_eq!(pledge::get(&pool, adas.id).await.unwrap().unwrap().status, PledgeStatus::Pending);
}

async fn stripe_payment(pool: &PgPool, pledge: &Pledge, key: &str) -> PaymentId {
    let mut tx = pool.begin().await.unwrap();
    let new = NewPayment {
        provider: Provider::Stripe,
        object_id: key,
        aliases: &[],
        pledge: Some(pledge.id),
        amount: pledge.amount,
        fee_minor: Some(45),
        booked_on: date!(2026 - 11 - 01),
    };
    let id = payment::register(&mut tx, ORIGIN, &new, &Words).await.unwrap().id();
    tx.commit().await.unwrap();
    id
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn refunds_are_limited_to_what_is_left_and_never_counted_twice(pool: PgPool) {
    let ada = supporter(&pool, "Ada", "ada@example.org").await;
    let paid = manual::record(&pool, ORIGIN, TODAY, &cash(ada, None, 2500, Some("R-1")), &Words)
        .await
        .unwrap()
        .unwrap()
        .payment;

    let part = manual::refund(&pool, ORIGIN, paid, Some("5.00"), None).await.unwrap().unwrap();
    assert_eq!(
        (part.amount, part.refunded, part.status),
        (eur(500), eur(500), PaymentStatus::PartiallyRefunded)
    );
    assert!(part.id.starts_with("staff-") && !part.repeated);

    let too_much = manual::refund(&pool, ORIGIN, paid, Some("20.01"), None).await.unwrap();
    assert_eq!(
        too_much,
        Err(RefundRefused::ExceedsRemaining { asked: eur(2001), left: eur(2000), amount: eur(2500) })
    );
    for (bad, expected) in [
        ("abc", "not valid"),
        ("-1", "not valid"),
        ("5.001", "not valid"),
        ("1e3", "not valid"),
        ("0", "more than zero"),
        ("0.00", "more than zero"),
    ] {
        let refused = manual::refund(&pool, ORIGIN, paid, Some(bad), None).await.unwrap().unwrap_err();
        assert!(refused.to_string().contains(expected), "{bad}: {refused}");
    }
    let unknown =
        manual::refund(&pool, ORIGIN, PaymentId::from(uuid::Uuid::new_v4()), None, None).await.unwrap();
    assert_eq!(unknown, Err(RefundRefused::UnknownPayment));
    assert_eq!(
        manual::refund(&pool, ORIGIN, paid, None, Some("has space")).await.unwrap(),
        Err(RefundRefused::BadId)
    );

    // A given id makes a retry safe; the rest of it, then nothing left.
    let rest = manual::refund(&pool, ORIGIN, paid, None, Some("back-to-ada")).await.unwrap().unwrap();
    assert_eq!((rest.amount, rest.refunded, rest.status), (eur(2000), eur(2500), PaymentStatus::Refunded));
    let retry = manual::refund(&pool, ORIGIN, paid, None, Some("back-to-ada")).await.unwrap().unwrap();
    assert!(retry.repeated && retry.refunded == eur(2500));
    assert!(matches!(
        manual::refund(&pool, ORIGIN, paid, Some("1.00"), None).await.unwrap(),
        Err(RefundRefused::NothingLeft { .. })
    ));
    assert_eq!(count(&pool, "SELECT count(*) FROM payment_adjustment").await, 2);
    assert_eq!(count(&pool, "SELECT count(*) FROM payment_flag").await, 0);
    assert_eq!(
        count(&pool, "SELECT count(*) FROM audit_log WHERE action = 'payment.refunded_by_staff'").await,
        2
    );

    // A Stripe payment: only with Stripe's refund id, which its webhook then reports again.
    let pledge = pledge_of(&pool, ada, 1500, Method::Stripe).await;
    let card = stripe_payment(&pool, &pledge, "in_1").await;
    assert_eq!(
        manual::refund(&pool, ORIGIN, card, None, None).await.unwrap(),
        Err(RefundRefused::ProviderIdNeeded(Provider::Stripe))
    );
    let staff = manual::refund(&pool, ORIGIN, card, Some("15.00"), Some("re_123")).await.unwrap().unwrap();
    assert_eq!(staff.status, PaymentStatus::Refunded);
    let mut tx = pool.begin().await.unwrap();
    let webhook = NewAdjustment {
        provider: Provider::Stripe,
        provider_id: "re_123",
        kind: AdjustmentKind::Refund,
        payment_key: "in_1",
        amount: eur(1500),
    };
    assert_eq!(payment::adjust(&mut tx, ORIGIN, &webhook).await.unwrap(), Adjusted::Repeated);
    tx.commit().await.unwrap();
    let refunded: i64 = sqlx::query_scalar("SELECT refunded_minor FROM payment WHERE id = $1")
        .bind(card)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(refunded, 1500);
    // The refund id of one payment cannot be reused for another.
    let other = stripe_payment(&pool, &pledge, "in_2").await;
    assert_eq!(
        manual::refund(&pool, ORIGIN, other, None, Some("re_123")).await.unwrap(),
        Err(RefundRefused::IdUsed("re_123".into()))
    );
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn the_migration_preview_counts_what_migrate_will_mark(pool: PgPool) {
    let ada = supporter(&pool, "Ada", "ada@example.org").await;
    let visitor = new_person(&pool, "Visitor").await.id;
    for person in [ada, ada, visitor] {
        let p = pledge_of(&pool, person, 1500, Method::Stripe).await;
        stripe_payment(&pool, &p, &format!("in_{}", p.id)).await;
    }
    // Pending (never paid) and bank-transfer pledges are not migrated.
    pledge_of(&pool, ada, 1500, Method::Stripe).await;
    let bank = pledge_of(&pool, ada, 1500, Method::BankTransfer).await;
    manual::record(&pool, ORIGIN, TODAY, &cash(ada, Some(bank.id), 1500, None), &Words)
        .await
        .unwrap()
        .unwrap();

    let preview = manual::migration_preview(&pool, Method::Stripe).await.unwrap();
    assert_eq!((preview.to_mark, preview.to_mail, preview.waiting), (3, 2, 0));
    let done = domain::payment::renewal::migrate(&pool, ORIGIN, Method::Stripe, None, &Words).await.unwrap();
    assert_eq!((done.marked, done.mailed), (3, 2));
    let after = manual::migration_preview(&pool, Method::Stripe).await.unwrap();
    assert_eq!((after.to_mark, after.to_mail, after.waiting), (0, 0, 3));
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn the_export_streams_fifty_thousand_payments_row_by_row_with_exact_amounts(pool: PgPool) {
    let ada = supporter(&pool, "=HYPERLINK(\"http://evil\")", "ada@example.org").await;
    let pledge = pledge_of(&pool, ada, 1999, Method::BankTransfer).await;
    // 50,000 bank payments over two months, amounts 0.01 to 999.99, every seventh partly
    // refunded; one more outside the range, one of another provider.
    sqlx::query(
        "INSERT INTO payment (provider, provider_object_id, pledge_id, person_id, amount_minor, currency,
                              refunded_minor, status, booked_on)
         SELECT 'bank', 'acct-' || i, $1, $2, 1 + (i * 7919) % 99999, 'EUR',
                CASE WHEN i % 7 = 0 THEN (1 + (i * 7919) % 99999) / 2 ELSE 0 END,
                CASE WHEN i % 7 = 0 THEN 'partially_refunded'::payment_status ELSE 'received' END,
                DATE '2026-01-01' + (i % 59)
         FROM generate_series(1, 50000) AS i",
    )
    .bind(pledge.id)
    .bind(ada)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("INSERT INTO payment (provider, provider_object_id, amount_minor, currency, booked_on) VALUES ('bank', 'late', 100, 'EUR', DATE '2026-03-01')")
        .execute(&pool)
        .await
        .unwrap();
    manual::record(
        &pool,
        ORIGIN,
        TODAY,
        &NewManualPayment { booked_on: date!(2026 - 02 - 01), ..cash(ada, None, 4200, None) },
        &Words,
    )
    .await
    .unwrap()
    .unwrap();

    let (expected_amount, expected_refunded): (i64, i64) = sqlx::query_as(
        "SELECT sum(amount_minor)::bigint, sum(refunded_minor)::bigint FROM payment
         WHERE provider = 'bank' AND booked_on BETWEEN '2026-01-01' AND '2026-02-28'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let mut rows = std::pin::pin!(export::stream(
        &pool,
        date!(2026 - 01 - 01),
        date!(2026 - 02 - 28),
        Some(Provider::Bank)
    ));
    let (mut n, mut amount, mut refunded, mut net) = (0_i64, 0_i64, 0_i64, 0_i64);
    let mut last_day = date!(2026 - 01 - 01);
    let mut first: Option<ExportRow> = None;
    // One row at a time: nothing but the current row is held.
    while let Some(row) = rows.try_next().await.unwrap() {
        assert!(row.booked_on >= last_day, "in booking order");
        last_day = row.booked_on;
        assert_eq!(row.provider, Provider::Bank);
        assert_eq!(row.net().minor, row.amount.minor - row.refunded.minor);
        n += 1;
        amount += row.amount.minor;
        refunded += row.refunded.minor;
        net += row.net().minor;
        if first.is_none() {
            first = Some(row);
        }
    }
    assert_eq!(n, 50_000);
    assert_eq!(
        (amount, refunded, net),
        (expected_amount, expected_refunded, expected_amount - expected_refunded)
    );
    assert!(last_day <= date!(2026 - 02 - 28));
    let first = first.unwrap();
    assert_eq!(
        first.name.as_deref(),
        Some("=HYPERLINK(\"http://evil\")"),
        "neutralising is the writer's job"
    );
    assert_eq!(first.pledge_reference.as_deref(), Some(pledge.reference.as_str()));
    assert_eq!(first.method.as_deref(), Some("bank_transfer"));

    // All providers: the manual payment is there, with its method.
    let all: Vec<ExportRow> = export::stream(&pool, date!(2026 - 02 - 01), date!(2026 - 02 - 01), None)
        .try_collect()
        .await
        .unwrap();
    let by_hand: Vec<_> = all.iter().filter(|r| r.provider == Provider::Manual).collect();
    assert_eq!(by_hand.len(), 1);
    assert_eq!(
        (by_hand[0].amount, by_hand[0].method.as_deref(), by_hand[0].fee),
        (eur(4200), Some("cash"), Some(eur(0)))
    );
    // An empty range is an empty stream, not an error.
    let none: Vec<ExportRow> = export::stream(&pool, date!(2025 - 01 - 01), date!(2025 - 12 - 31), None)
        .try_collect()
        .await
        .unwrap();
    assert!(none.is_empty());
}
