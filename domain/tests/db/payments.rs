// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Pledges, payments exactly once, refunds and disputes in any order, flags, and the donate
//! form's pledges of visitors (joined to their person by the command link).

use crate::{SOURCE, Words, supporter};
use domain::audit::{Actor, Origin};
use domain::command_link::Command;
use domain::payment::flag::{self, Reason};
use domain::payment::payment::{self, Adjusted, AdjustmentKind, NewAdjustment, NewPayment, Registered};
use domain::payment::pledge::{self, ChangeRefused, NewPledge, Pledge};
use domain::payment::{
    Currency, DonationNotice, EndedBy, Gift, Method, Money, PaymentStatus, Period, PledgeStatus, Provider,
    donation,
};
use domain::registration::{self, Done};
use domain::types::{DisplayName, Email, Language, PersonId};
use secrecy::ExposeSecret;
use sqlx::PgPool;
use time::macros::date;

const ORIGIN: Origin<'static> = Origin { actor: &Actor::System, source: SOURCE };

fn eur(minor: i64) -> Money {
    Money::new(minor, Currency::EUR)
}

async fn monthly(pool: &PgPool, person: Option<PersonId>, minor: i64) -> Pledge {
    let mut tx = pool.begin().await.unwrap();
    let new = NewPledge {
        person,
        amount: eur(minor),
        period: Period::Monthly,
        method: Method::Stripe,
        referrer: None,
    };
    let pledge = pledge::create(&mut tx, ORIGIN, &new).await.unwrap();
    tx.commit().await.unwrap();
    pledge
}

async fn pay(
    pool: &PgPool,
    pledge: &Pledge,
    key: &str,
    aliases: &[&str],
    booked_on: time::Date,
) -> Registered {
    let mut tx = pool.begin().await.unwrap();
    let new = NewPayment {
        provider: Provider::Stripe,
        object_id: key,
        aliases,
        pledge: Some(pledge.id),
        amount: pledge.amount,
        fee_minor: Some(45),
        booked_on,
    };
    let registered = payment::register(&mut tx, ORIGIN, &new, &Words).await.unwrap();
    tx.commit().await.unwrap();
    registered
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_payment_is_registered_once_and_thanked_once(pool: PgPool) {
    let ada = supporter(&pool, "Ada", "ada@example.org").await;
    let pledge = monthly(&pool, Some(ada), 2500).await;
    assert_eq!(pledge.status, PledgeStatus::Pending);
    assert!(pledge.reference.as_str().starts_with("RF"));

    let first = pay(&pool, &pledge, "in_1", &["pi_1", "ch_1"], date!(2026 - 12 - 02)).await;
    let second = pay(&pool, &pledge, "in_1", &[], date!(2026 - 12 - 02)).await;
    assert!(matches!(first, Registered::New(_)));
    assert_eq!(second, Registered::Known(first.id()));
    assert_eq!(count(&pool, "SELECT count(*) FROM payment").await, 1);
    assert_eq!(count(&pool, "SELECT count(*) FROM mail_job WHERE kind = 'thank_you'").await, 1);
    let body: String = sqlx::query_scalar("SELECT body FROM mail_job WHERE kind = 'thank_you'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(body, "German 25.00 EUR 2026-12-02");

    let pledge = pledge::get(&pool, pledge.id).await.unwrap().unwrap();
    assert_eq!(pledge.status, PledgeStatus::Active);
    assert_eq!(pledge.next_expected_on, Some(date!(2027 - 01 - 02)));
    let payments = payment::for_person(&pool, ada).await.unwrap();
    assert_eq!(payments.len(), 1);
    assert_eq!((payments[0].amount, payments[0].status), (eur(2500), PaymentStatus::Received));
    // Aliases find the payment.
    assert_eq!(payment::key_to_payment(&pool, Provider::Stripe, "ch_1").await.unwrap(), Some(first.id()));
    assert_eq!(payment::key_to_payment(&pool, Provider::Bank, "ch_1").await.unwrap(), None);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn concurrent_registrations_of_one_payment_make_one(pool: PgPool) {
    let ada = supporter(&pool, "Ada", "ada@example.org").await;
    let pledge = monthly(&pool, Some(ada), 1000).await;
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let (pool, pledge) = (pool.clone(), pledge.clone());
        tasks.push(tokio::spawn(
            async move { pay(&pool, &pledge, "in_same", &[], date!(2026 - 12 - 02)).await },
        ));
    }
    let mut new = 0;
    for task in tasks {
        if matches!(task.await.unwrap(), Registered::New(_)) {
            new += 1;
        }
    }
    assert_eq!(new, 1);
    assert_eq!(count(&pool, "SELECT count(*) FROM payment").await, 1);
    assert_eq!(count(&pool, "SELECT count(*) FROM mail_job").await, 1);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn refunds_and_disputes_find_their_payment_whatever_arrives_first(pool: PgPool) {
    let ada = supporter(&pool, "Ada", "ada@example.org").await;
    let pledge = monthly(&pool, Some(ada), 2500).await;
    let refund = |id: &'static str, key: &'static str, minor| NewAdjustment {
        provider: Provider::Stripe,
        provider_id: id,
        kind: AdjustmentKind::Refund,
        payment_key: key,
        amount: eur(minor),
    };
    // The refund names the Charge, before the invoice's payment is known.
    let mut tx = pool.begin().await.unwrap();
    assert_eq!(
        payment::adjust(&mut tx, ORIGIN, &refund("re_1", "ch_1", 1000)).await.unwrap(),
        Adjusted::Waiting
    );
    tx.commit().await.unwrap();
    let paid = pay(&pool, &pledge, "in_1", &["pi_1", "ch_1"], date!(2026 - 12 - 02)).await;
    let status = |pool: PgPool| async move {
        sqlx::query_as::<_, (i64, String)>("SELECT refunded_minor, status::text FROM payment")
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    assert_eq!(status(pool.clone()).await, (1000, "partially_refunded".into()));

    // The same refund again changes nothing; a second one completes the refund.
    let mut tx = pool.begin().await.unwrap();
    assert_eq!(
        payment::adjust(&mut tx, ORIGIN, &refund("re_1", "ch_1", 1000)).await.unwrap(),
        Adjusted::Repeated
    );
    assert_eq!(
        payment::adjust(&mut tx, ORIGIN, &refund("re_2", "pi_1", 1500)).await.unwrap(),
        Adjusted::Applied(paid.id())
    );
    tx.commit().await.unwrap();
    assert_eq!(status(pool.clone()).await, (2500, "refunded".into()));

    // More than is left: stored, flagged, not applied.
    let mut tx = pool.begin().await.unwrap();
    assert_eq!(
        payment::adjust(&mut tx, ORIGIN, &refund("re_3", "in_1", 1)).await.unwrap(),
        Adjusted::Flagged(Reason::RefundExceedsPayment)
    );
    let dispute = NewAdjustment { kind: AdjustmentKind::Dispute, ..refund("dp_1", "ch_1", 2500) };
    assert_eq!(payment::adjust(&mut tx, ORIGIN, &dispute).await.unwrap(), Adjusted::Applied(paid.id()));
    tx.commit().await.unwrap();
    assert_eq!(status(pool.clone()).await, (2500, "disputed".into()));
    let open = flag::open(&pool).await.unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].reason, "refund_exceeds_payment");

    let mut tx = pool.begin().await.unwrap();
    let staff = Actor::Staff("grace".into());
    assert!(
        flag::resolve(
            &mut tx,
            Origin { actor: &staff, source: SOURCE },
            open[0].id,
            "refunded twice by mistake; checked with Stripe"
        )
        .await
        .unwrap()
    );
    assert!(
        !flag::resolve(&mut tx, Origin { actor: &staff, source: SOURCE }, open[0].id, "again").await.unwrap()
    );
    tx.commit().await.unwrap();
    assert!(flag::open(&pool).await.unwrap().is_empty());
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_refund_larger_than_its_payment_is_flagged_even_when_it_came_first(pool: PgPool) {
    let ada = supporter(&pool, "Ada", "ada@example.org").await;
    let pledge = monthly(&pool, Some(ada), 2500).await;
    let mut tx = pool.begin().await.unwrap();
    let too_much = NewAdjustment {
        provider: Provider::Stripe,
        provider_id: "re_big",
        kind: AdjustmentKind::Refund,
        payment_key: "pi_9",
        amount: eur(2501),
    };
    assert_eq!(payment::adjust(&mut tx, ORIGIN, &too_much).await.unwrap(), Adjusted::Waiting);
    tx.commit().await.unwrap();
    pay(&pool, &pledge, "in_9", &["pi_9"], date!(2026 - 12 - 02)).await;
    assert_eq!(count(&pool, "SELECT refunded_minor FROM payment").await, 0);
    assert_eq!(flag::open(&pool).await.unwrap()[0].reason, "refund_exceeds_payment");
}

#[test]
fn payments_that_do_not_match_the_promise_are_named() {
    let pledge = Pledge {
        id: uuid::Uuid::nil().into(),
        person: None,
        amount: eur(2500),
        period: Period::Monthly,
        method: Method::Stripe,
        status: PledgeStatus::Active,
        reference: domain::payment::CreditorReference::parse("RF18539007547034").unwrap(),
        starts_on: date!(2026 - 12 - 01),
        next_expected_on: None,
        ended_by: None,
        created_at: time::OffsetDateTime::now_utc(),
    };
    assert_eq!(payment::mismatch(&pledge, eur(2500)), None);
    assert_eq!(payment::mismatch(&pledge, eur(2499)), Some(Reason::AmountMismatch));
    assert_eq!(
        payment::mismatch(&pledge, Money::new(2500, Currency::parse("CHF").unwrap())),
        Some(Reason::CurrencyMismatch)
    );
    let cancelled = Pledge { status: PledgeStatus::Cancelled, ..pledge };
    assert_eq!(payment::mismatch(&cancelled, eur(2500)), Some(Reason::PledgeCancelled));
}

fn gift(minor: i64, period: Period) -> Gift {
    Gift { amount: eur(minor), period, method: Method::BankTransfer }
}

/// A visitor's pledge; returns it and the token of the mail (and which mail it was).
async fn visitor_pledges(pool: &PgPool, name: &str, address: &str) -> (Pledge, String, &'static str) {
    let giver = donation::Giver::Visitor {
        display_name: DisplayName::try_from(name).unwrap(),
        email: Email::try_from(address).unwrap(),
        language: Language::English,
    };
    let mut mailed = None;
    let pledge = donation::pledge(pool, &gift(1500, Period::Monthly), &giver, None, |_, notice| {
        let (kind, token) = match notice {
            DonationNotice::ConfirmNew { token, pledge } => {
                assert_eq!(pledge.amount, eur(1500));
                ("new", token)
            }
            DonationNotice::ConfirmKnown { token, .. } => ("known", token),
        };
        mailed = Some((token.expose_secret().to_owned(), kind));
        (kind.into(), format!("/c/{}", token.expose_secret()))
    })
    .await
    .unwrap();
    let (token, kind) = mailed.unwrap();
    (pledge, token, kind)
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_visitors_pledge_joins_its_person_on_confirmation_with_the_payments_before(pool: PgPool) {
    let (pledge, token, kind) = visitor_pledges(&pool, "Grace", "grace@example.org").await;
    assert_eq!(kind, "new");
    assert_eq!(pledge.person, None, "no person before the address is confirmed");
    assert_eq!(count(&pool, "SELECT count(*) FROM person WHERE supporter_number IS NULL").await, 1);

    // The transfer arrives before the confirmation: kept with the pledge, nobody thanked yet.
    let mut tx = pool.begin().await.unwrap();
    let new = NewPayment {
        provider: Provider::Bank,
        object_id: "bank-ref-1",
        aliases: &[],
        pledge: Some(pledge.id),
        amount: eur(1500),
        fee_minor: None,
        booked_on: date!(2026 - 12 - 03),
    };
    payment::register(&mut tx, ORIGIN, &new, &Words).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(count(&pool, "SELECT count(*) FROM mail_job WHERE kind = 'thank_you'").await, 0);

    let (link, done) = registration::perform(&pool, &token, &crate::Words).await.unwrap().unwrap();
    assert!(matches!(done, Done::Registered { .. }), "{done:?}");
    let joined = pledge::get(&pool, pledge.id).await.unwrap().unwrap();
    assert_eq!(joined.person, Some(link.person));
    assert_eq!(joined.status, PledgeStatus::Active);
    let payments = payment::for_person(&pool, link.person).await.unwrap();
    assert_eq!(payments.len(), 1, "the early payment now counts for the person");
    // ... and is thanked for now that the address is confirmed.
    let thanked: Vec<(String, String)> =
        sqlx::query_as("SELECT recipient, body FROM mail_job WHERE kind = 'thank_you'")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(thanked, [("grace@example.org".to_owned(), "English 15.00 EUR 2026-12-03".to_owned())]);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_known_address_gets_no_second_person_and_the_owner_decides(pool: PgPool) {
    let ada = supporter(&pool, "Ada", "ada@example.org").await;
    sqlx::query("UPDATE person SET supporter_number = 4711 WHERE id = $1")
        .bind(ada.as_uuid())
        .execute(&pool)
        .await
        .unwrap();
    let (pledge, token, kind) = visitor_pledges(&pool, "Mallory", "ADA@example.org").await;
    assert_eq!(kind, "known");
    assert_eq!(count(&pool, "SELECT count(*) FROM person").await, 1, "no second person");
    let recipient: String =
        sqlx::query_scalar("SELECT recipient FROM mail_job").fetch_one(&pool).await.unwrap();
    assert_eq!(recipient, "ada@example.org", "to the owner's address as stored");
    let peeked = domain::command_link::peek(&pool, &token).await.unwrap().unwrap();
    assert_eq!(peeked.command, Command::ConfirmDonation { pledge: pledge.id });

    let (_, done) = registration::perform(&pool, &token, &crate::Words).await.unwrap().unwrap();
    assert_eq!(done, Done::DonationJoined);
    assert_eq!(pledge::for_person(&pool, ada).await.unwrap().len(), 1);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn pledges_change_and_end_by_the_rules(pool: PgPool) {
    let ada = supporter(&pool, "Ada", "ada@example.org").await;
    let other = supporter(&pool, "Eve", "eve@example.org").await;
    let pledge = monthly(&pool, Some(ada), 1000).await;
    let actor = Actor::Person(ada);
    let origin = Origin { actor: &actor, source: SOURCE };
    let mut tx = pool.begin().await.unwrap();
    assert_eq!(
        pledge::change(&mut tx, origin, other, pledge.id, eur(2000), Period::Yearly).await.unwrap(),
        Err(ChangeRefused::NotYours)
    );
    assert_eq!(
        pledge::change(&mut tx, origin, ada, pledge.id, eur(2000), Period::Once).await.unwrap(),
        Err(ChangeRefused::NotRecurring)
    );
    let changed =
        pledge::change(&mut tx, origin, ada, pledge.id, eur(12000), Period::Yearly).await.unwrap().unwrap();
    assert_eq!((changed.amount, changed.period), (eur(12000), Period::Yearly));
    // The provider losing the subscription leaves the promise standing.
    assert_eq!(
        pledge::end(&mut tx, origin, pledge.id, EndedBy::Provider).await.unwrap(),
        Some(PledgeStatus::NeedsRenewal)
    );
    assert_eq!(
        pledge::end(&mut tx, origin, pledge.id, EndedBy::Supporter).await.unwrap(),
        Some(PledgeStatus::Cancelled)
    );
    assert_eq!(
        pledge::end(&mut tx, origin, pledge.id, EndedBy::Provider).await.unwrap(),
        Some(PledgeStatus::Cancelled)
    );
    assert_eq!(
        pledge::change(&mut tx, origin, ada, pledge.id, eur(2000), Period::Monthly).await.unwrap(),
        Err(ChangeRefused::Ended)
    );
    tx.commit().await.unwrap();
    let audit: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_log WHERE action LIKE 'pledge.%' ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(audit, ["pledge.created", "pledge.changed", "pledge.ended", "pledge.ended"]);
}
