// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Pledges that outlive their collector: lapsing (with its one mail), renewal links, switching
//! to bank transfer, adopting a provider's new subscription, superseded subscriptions,
//! failed-payment episodes, transfer reminders, and a processor's migration.

use crate::{SOURCE, supporter};
use domain::audit::{Actor, Origin};
use domain::command_link::Refusal;
use domain::payment::payment::{self, NewPayment};
use domain::payment::pledge::{self, NewPledge, Pledge};
use domain::payment::renewal::{self, Choice, LinkRefused, RenewRefused, Renewed};
use domain::payment::{
    Currency, EndedBy, Method, Money, Period, PledgeStatus, Provider, RenewalReason, stripe_sync,
    subscription,
};
use domain::testing::PlainWords;
use domain::types::PersonId;
use sqlx::PgPool;
use time::macros::date;

const ORIGIN: Origin<'static> = Origin { actor: &Actor::System, source: SOURCE };

async fn pledge_of(pool: &PgPool, person: PersonId, method: Method, period: Period) -> Pledge {
    let mut tx = pool.begin().await.unwrap();
    let new = NewPledge {
        person: Some(person),
        amount: Money::new(1000, Currency::EUR),
        period,
        method,
        referrer: None,
    };
    let pledge = pledge::create(&mut tx, ORIGIN, &new).await.unwrap();
    tx.commit().await.unwrap();
    pledge
}

/// An active monthly card pledge collected by subscription `sub`.
async fn card_donor(pool: &PgPool, address: &str, sub: &str) -> (PersonId, Pledge) {
    let person = supporter(pool, "Grace", address).await;
    let pledge = pledge_of(pool, person, Method::Stripe, Period::Monthly).await;
    let mut tx = pool.begin().await.unwrap();
    stripe_sync::link_subscription(&mut tx, pledge.id, Provider::Stripe, sub, Some("cus_1")).await.unwrap();
    payment::register(
        &mut tx,
        ORIGIN,
        &NewPayment {
            provider: Provider::Stripe,
            object_id: &format!("in_{sub}_1"),
            aliases: &[],
            pledge: Some(pledge.id),
            amount: pledge.amount,
            fee_minor: None,
            booked_on: date!(2026 - 10 - 01),
        },
        &PlainWords,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    (person, pledge::get(pool, pledge.id).await.unwrap().unwrap())
}

async fn lapse(pool: &PgPool, pledge: &Pledge, reason: RenewalReason) -> Option<PledgeStatus> {
    let mut tx = pool.begin().await.unwrap();
    let status = renewal::lapse(&mut tx, ORIGIN, pledge.id, reason, &PlainWords).await.unwrap();
    tx.commit().await.unwrap();
    status
}

async fn mails(pool: &PgPool, kind: &str) -> Vec<String> {
    sqlx::query_scalar("SELECT body FROM mail_job WHERE kind = $1 ORDER BY created_at")
        .bind(kind)
        .fetch_all(pool)
        .await
        .unwrap()
}

/// The renewal link's token in a PlainWords mail body (`… /c/<token>`).
fn token(body: &str) -> String {
    body.rsplit("/c/").next().unwrap().trim().to_owned()
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_lapsed_pledge_needs_renewal_and_mails_its_supporter_once(pool: PgPool) {
    let (_, pledge) = card_donor(&pool, "grace@example.org", "sub_1").await;
    assert_eq!(lapse(&pool, &pledge, RenewalReason::ProviderEnded).await, Some(PledgeStatus::NeedsRenewal));
    // A second report (a redelivered or later event) mails nothing more.
    assert_eq!(lapse(&pool, &pledge, RenewalReason::PaymentFailed).await, Some(PledgeStatus::NeedsRenewal));
    let sent = mails(&pool, "renew_pledge").await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].contains("provider_ended"), "{sent:?}");
    let after = pledge::get(&pool, pledge.id).await.unwrap().unwrap();
    assert_eq!(
        (after.status, after.reference.clone(), after.id),
        (PledgeStatus::NeedsRenewal, pledge.reference, pledge.id)
    );
    assert_eq!(payment::for_pledge(&pool, pledge.id).await.unwrap().len(), 1, "history kept");
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn cancelled_and_one_off_pledges_do_not_lapse(pool: PgPool) {
    let person = supporter(&pool, "Ada", "ada@example.org").await;
    let once = pledge_of(&pool, person, Method::Stripe, Period::Once).await;
    assert_eq!(lapse(&pool, &once, RenewalReason::ProviderEnded).await, Some(PledgeStatus::Pending));
    let monthly = pledge_of(&pool, person, Method::Stripe, Period::Monthly).await;
    let mut tx = pool.begin().await.unwrap();
    pledge::end(&mut tx, ORIGIN, monthly.id, EndedBy::Supporter).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(lapse(&pool, &monthly, RenewalReason::ProviderEnded).await, Some(PledgeStatus::Cancelled));
    assert!(mails(&pool, "renew_pledge").await.is_empty());
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn the_renewal_link_shows_without_acting_and_switches_to_bank_transfer_once(pool: PgPool) {
    let (person, pledge) = card_donor(&pool, "grace@example.org", "sub_1").await;
    lapse(&pool, &pledge, RenewalReason::ProviderEnded).await;
    let link = token(&mails(&pool, "renew_pledge").await[0]);

    // GET: shows, changes nothing, however often.
    for _ in 0..3 {
        let (shown_person, shown) = renewal::show(&pool, &link).await.unwrap().unwrap();
        assert_eq!((shown_person, shown.id, shown.status), (person, pledge.id, PledgeStatus::NeedsRenewal));
    }
    // A provider choice changes nothing either (the checkout's confirmation will).
    let checkout = renewal::perform(&pool, &link, Choice::Provider(Method::Stripe)).await.unwrap().unwrap();
    assert!(matches!(checkout, Renewed::Checkout { .. }));
    assert_eq!(pledge::get(&pool, pledge.id).await.unwrap().unwrap().status, PledgeStatus::NeedsRenewal);

    let Renewed::BankTransfer { pledge: renewed, superseded, .. } =
        renewal::perform(&pool, &link, Choice::BankTransfer).await.unwrap().unwrap()
    else {
        panic!("bank transfer renews at once")
    };
    assert_eq!(
        (renewed.id, renewed.method, renewed.status),
        (pledge.id, Method::BankTransfer, PledgeStatus::Active)
    );
    assert_eq!(renewed.reference, pledge.reference, "same reference: a standing order can name it");
    assert!(renewed.next_expected_on.is_some());
    assert_eq!(superseded.iter().map(|s| s.provider_id.as_str()).collect::<Vec<_>>(), ["sub_1"]);
    assert!(renewal::is_superseded(&pool, Provider::Stripe, "sub_1").await.unwrap());
    let due = renewal::due_cancellations(&pool, Provider::Stripe, time::OffsetDateTime::now_utc().date(), 10)
        .await
        .unwrap();
    assert_eq!(due.len(), 1);

    // Used: a second POST, or a replay, changes nothing.
    let again = renewal::perform(&pool, &link, Choice::BankTransfer).await.unwrap();
    assert!(matches!(again, Err(LinkRefused::Link(Refusal::Used { .. }))), "{again:?}");
    assert!(renewal::cancelled(&pool, Provider::Stripe, "sub_1").await.unwrap());
    assert!(!renewal::cancelled(&pool, Provider::Stripe, "sub_1").await.unwrap(), "recorded once");
    assert!(
        renewal::due_cancellations(&pool, Provider::Stripe, date!(2100 - 01 - 01), 10)
            .await
            .unwrap()
            .is_empty()
    );
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn renewal_links_are_refused_for_expired_cancelled_and_other_peoples_pledges(pool: PgPool) {
    let (grace, pledge) = card_donor(&pool, "grace@example.org", "sub_1").await;
    lapse(&pool, &pledge, RenewalReason::ProviderEnded).await;
    let link = token(&mails(&pool, "renew_pledge").await[0]);

    // Another person's pledge: a link of Ada's naming Grace's pledge.
    let ada = supporter(&pool, "Ada", "ada@example.org").await;
    let mut tx = pool.begin().await.unwrap();
    let foreign = domain::command_link::issue(
        &mut tx,
        ada,
        &domain::command_link::Command::RenewPledge { pledge: pledge.id },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let foreign = secrecy::ExposeSecret::expose_secret(&foreign).to_owned();
    assert_eq!(
        renewal::show(&pool, &foreign).await.unwrap().err(),
        Some(LinkRefused::Pledge(RenewRefused::NotYours))
    );
    assert_eq!(
        renewal::perform(&pool, &foreign, Choice::BankTransfer).await.unwrap().err(),
        Some(LinkRefused::Pledge(RenewRefused::NotYours))
    );
    assert_eq!(
        pledge::get(&pool, pledge.id).await.unwrap().unwrap().method,
        Method::Stripe,
        "nothing changed"
    );

    // Hostile and unknown tokens.
    for bad in ["", "x", "../../etc/passwd", &"A".repeat(5000), "%00"] {
        assert_eq!(renewal::show(&pool, bad).await.unwrap().err(), Some(LinkRefused::Link(Refusal::Unknown)));
    }

    // Cancelled since the mail: refused, and the link stays unused.
    let mut tx = pool.begin().await.unwrap();
    pledge::end(&mut tx, ORIGIN, pledge.id, EndedBy::Supporter).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        renewal::perform(&pool, &link, Choice::BankTransfer).await.unwrap().err(),
        Some(LinkRefused::Pledge(RenewRefused::Cancelled))
    );

    // Expired.
    domain::testing::expire_command_links(&pool).await.unwrap();
    assert!(matches!(
        renewal::show(&pool, &link).await.unwrap(),
        Err(LinkRefused::Link(Refusal::Expired { .. }))
    ));
    let _ = grace;
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_new_subscription_adopts_the_pledge_and_supersedes_the_old_one(pool: PgPool) {
    let (person, pledge) = card_donor(&pool, "grace@example.org", "sub_old").await;
    lapse(&pool, &pledge, RenewalReason::ProviderEnded).await;
    let link = token(&mails(&pool, "renew_pledge").await[0]);
    let mut tx = pool.begin().await.unwrap();
    stripe_sync::link_subscription(&mut tx, pledge.id, Provider::Stripe, "sub_new", Some("cus_1"))
        .await
        .unwrap();
    let superseded = renewal::adopt(&mut tx, ORIGIN, pledge.id, Method::Stripe, "sub_new").await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(superseded.iter().map(|s| s.provider_id.as_str()).collect::<Vec<_>>(), ["sub_old"]);
    let after = pledge::get(&pool, pledge.id).await.unwrap().unwrap();
    assert_eq!((after.status, after.person), (PledgeStatus::Active, Some(person)));
    assert!(!renewal::is_superseded(&pool, Provider::Stripe, "sub_new").await.unwrap());
    assert!(renewal::is_superseded(&pool, Provider::Stripe, "sub_old").await.unwrap());
    // The renewal link is spent: the pledge is renewed.
    assert!(matches!(
        renewal::show(&pool, &link).await.unwrap(),
        Err(LinkRefused::Link(Refusal::Used { .. }))
    ));
    assert_eq!(subscription::for_pledge(&pool, pledge.id).await.unwrap().unwrap().provider_id, "sub_new");
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn one_mail_per_failed_payment_episode(pool: PgPool) {
    let (_, pledge) = card_donor(&pool, "grace@example.org", "sub_1").await;
    let fail = || async {
        let mut tx = pool.begin().await.unwrap();
        let mailed = renewal::payment_failed(&mut tx, ORIGIN, pledge.id, &PlainWords).await.unwrap();
        tx.commit().await.unwrap();
        mailed
    };
    assert!(fail().await);
    assert!(!fail().await, "the same episode");
    assert!(!fail().await);
    // A payment ends the episode; the next failure starts a new one.
    let mut tx = pool.begin().await.unwrap();
    payment::register(
        &mut tx,
        ORIGIN,
        &NewPayment {
            provider: Provider::Stripe,
            object_id: "in_retry",
            aliases: &[],
            pledge: Some(pledge.id),
            amount: pledge.amount,
            fee_minor: None,
            booked_on: date!(2026 - 11 - 03),
        },
        &PlainWords,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert!(fail().await);
    assert_eq!(mails(&pool, "payment_failed").await.len(), 2);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn an_overdue_transfer_gets_one_reminder_per_due_date(pool: PgPool) {
    let person = supporter(&pool, "Ada", "ada@example.org").await;
    let pledge = pledge_of(&pool, person, Method::BankTransfer, Period::Monthly).await;
    let mut tx = pool.begin().await.unwrap();
    payment::register(
        &mut tx,
        ORIGIN,
        &NewPayment {
            provider: Provider::Bank,
            object_id: "bank-1",
            aliases: &[],
            pledge: Some(pledge.id),
            amount: pledge.amount,
            fee_minor: None,
            booked_on: date!(2026 - 09 - 01),
        },
        &PlainWords,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let grace = time::Duration::days(14);
    // Due 2026-10-01: not yet overdue by the grace period on the 10th.
    assert_eq!(renewal::send_reminders(&pool, date!(2026 - 10 - 10), grace, &PlainWords).await.unwrap(), 0);
    assert_eq!(renewal::send_reminders(&pool, date!(2026 - 10 - 20), grace, &PlainWords).await.unwrap(), 1);
    for day in [date!(2026 - 10 - 21), date!(2026 - 11 - 01), date!(2026 - 11 - 13)] {
        assert_eq!(
            renewal::send_reminders(&pool, day, grace, &PlainWords).await.unwrap(),
            0,
            "never a stream"
        );
    }
    let lapsed = renewal::lapsed(&pool, date!(2026 - 10 - 20), grace).await.unwrap();
    assert_eq!(lapsed.iter().map(|l| (l.pledge.id, l.reason)).collect::<Vec<_>>(), [(pledge.id, None)]);
    let sent = mails(&pool, "transfer_reminder").await;
    assert!(sent[0].contains(pledge.reference.as_str()) && sent[0].contains("2026-10-01"), "{sent:?}");
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn migrating_off_a_processor_is_resumable_and_marks_nobody_twice(pool: PgPool) {
    let mut pledges = Vec::new();
    for i in 0..3 {
        pledges.push(card_donor(&pool, &format!("donor{i}@example.org"), &format!("sub_{i}")).await.1);
    }
    let bank = pledge_of(
        &pool,
        supporter(&pool, "Ada", "ada@example.org").await,
        Method::BankTransfer,
        Period::Monthly,
    )
    .await;
    let first = renewal::migrate(&pool, ORIGIN, Method::Stripe, Some(date!(2027 - 01 - 31)), &PlainWords)
        .await
        .unwrap();
    assert_eq!((first.marked, first.mailed, first.waiting), (3, 3, 0));
    // A donor who joins later is marked by the next run; the others are not marked again.
    pledges.push(card_donor(&pool, "late@example.org", "sub_late").await.1);
    let second = renewal::migrate(&pool, ORIGIN, Method::Stripe, Some(date!(2027 - 01 - 31)), &PlainWords)
        .await
        .unwrap();
    assert_eq!((second.marked, second.waiting), (1, 3));
    let third = renewal::migrate(&pool, ORIGIN, Method::Stripe, None, &PlainWords).await.unwrap();
    assert_eq!((third.marked, third.waiting), (0, 4));
    assert_eq!(mails(&pool, "renew_pledge").await.len(), 4);
    assert_eq!(
        pledge::get(&pool, bank.id).await.unwrap().unwrap().status,
        PledgeStatus::Pending,
        "other methods untouched"
    );
    // Cancelled on the chosen date, not before.
    assert!(
        renewal::due_cancellations(&pool, Provider::Stripe, date!(2027 - 01 - 30), 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        renewal::due_cancellations(&pool, Provider::Stripe, date!(2027 - 01 - 31), 10).await.unwrap().len(),
        4
    );
    // A charge of the old processor before that date is money received, but the pledge still
    // needs a new way to pay.
    let mut tx = pool.begin().await.unwrap();
    payment::register(
        &mut tx,
        ORIGIN,
        &NewPayment {
            provider: Provider::Stripe,
            object_id: "in_before_cutoff",
            aliases: &[],
            pledge: Some(pledges[0].id),
            amount: pledges[0].amount,
            fee_minor: None,
            booked_on: date!(2026 - 12 - 01),
        },
        &PlainWords,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(pledge::get(&pool, pledges[0].id).await.unwrap().unwrap().status, PledgeStatus::NeedsRenewal);
    let lapsed = renewal::lapsed(&pool, date!(2026 - 12 - 01), time::Duration::days(14)).await.unwrap();
    assert_eq!(lapsed.iter().filter(|l| l.reason == Some(RenewalReason::ProviderDropped)).count(), 4);
}
