// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Information emails in the database: lists as data, segments, choosing recipients once,
//! leases that survive a dead sender, and what bounces and unsubscribes do.

use crate::{SOURCE, add_email, supporter};
use domain::audit::{Actor, Origin};
use domain::consent::{self, ListKey, State};
use domain::email::Verification;
use domain::mailing::delivery::{self, Failure};
use domain::mailing::feedback::{self, RecipientStatus, Report, Taken};
use domain::mailing::list::{self, ListInput};
use domain::mailing::token::AddressKind;
use domain::mailing::{
    Content, DonorStatus, MailingError, MailingKeys, MailingState, NewMailing, Segment, campaign,
};
use domain::mailing::{ListText, Visibility};
use domain::types::{Language, PersonId};
use sqlx::PgPool;
use time::Duration;
use uuid::Uuid;

const STAFF: Origin<'static> = Origin { actor: &Actor::System, source: SOURCE };

fn key(name: &str) -> ListKey {
    ListKey::parse(name).unwrap()
}

async fn subscribe(pool: &PgPool, person: PersonId, list: &str) {
    let mut tx = pool.begin().await.unwrap();
    consent::record(&mut tx, STAFF, person, &key(list), State::Subscribed).await.unwrap();
    tx.commit().await.unwrap();
}

async fn draft(pool: &PgPool, list: &str, segment: Segment) -> Uuid {
    let mut tx = pool.begin().await.unwrap();
    let new = NewMailing {
        title: "November news".into(),
        list: key(list),
        segment,
        fallback_language: Language::English,
    };
    let id = campaign::create(&mut tx, STAFF, &new).await.unwrap();
    for (language, subject) in [(Language::English, "News"), (Language::German, "Neuigkeiten")] {
        let content = Content { language, subject: subject.into(), body: "Hello {{ name }}".into() };
        campaign::set_content(&mut tx, STAFF, id, &content).await.unwrap();
    }
    tx.commit().await.unwrap();
    id
}

async fn start(pool: &PgPool, id: Uuid) -> Result<u64, MailingError> {
    let mut tx = pool.begin().await.unwrap();
    let started = campaign::start(&mut tx, STAFF, id).await;
    tx.commit().await.unwrap();
    started
}

fn new_keys() -> MailingKeys {
    MailingKeys::parse(&MailingKeys::new_file_line("test")).unwrap()
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn the_migrated_lists_keep_their_texts_and_new_lists_are_rows(pool: PgPool) {
    let lists = list::all(&mut pool.acquire().await.unwrap(), false).await.unwrap();
    let keys: Vec<&str> = lists.iter().map(|l| l.key.as_str()).collect();
    assert_eq!(keys, ["newsletter", "campaigns"]);
    assert_eq!(lists[1].name(Language::German), "Kampagnen");
    let mut tx = pool.begin().await.unwrap();
    let volunteers = ListInput {
        key: key("volunteers"),
        double_opt_in: false,
        visibility: Visibility::Staff,
        text_version: "volunteers-1".into(),
        position: 3,
        texts: vec![ListText {
            language: Language::English,
            name: "Volunteers".into(),
            description: String::new(),
        }],
    };
    list::save(&mut tx, STAFF, &volunteers).await.unwrap();
    tx.commit().await.unwrap();
    let saved = list::get(&mut pool.acquire().await.unwrap(), &key("volunteers")).await.unwrap().unwrap();
    assert_eq!(saved.name(Language::German), "Volunteers", "English is the fallback text");
    // Staff-only lists are not offered at registration.
    let offered = list::offered_at_registration(&mut pool.acquire().await.unwrap()).await.unwrap();
    assert!(offered.iter().all(|l| l.key.as_str() != "volunteers"));
    // Two texts in one language are refused.
    let mut tx = pool.begin().await.unwrap();
    let twice =
        ListInput { texts: vec![volunteers.texts[0].clone(), volunteers.texts[0].clone()], ..volunteers };
    assert!(matches!(list::save(&mut tx, STAFF, &twice).await, Err(MailingError::InvalidList(_))));
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn the_ledger_and_the_current_subscriptions_agree(pool: PgPool) {
    let ada = supporter(&pool, "Ada", "ada@example.org").await;
    subscribe(&pool, ada, "newsletter").await;
    subscribe(&pool, ada, "newsletter").await;
    assert_eq!(consent::subscribed(&pool, ada).await.unwrap(), [key("newsletter")]);
    assert_eq!(
        consent::history(&pool, ada).await.unwrap().len(),
        1,
        "ticking a ticked box is no new consent"
    );
    let mut tx = pool.begin().await.unwrap();
    let unknown = consent::record(&mut tx, STAFF, ada, &key("nonexistent"), State::Subscribed).await;
    assert!(matches!(unknown, Err(domain::DomainError::NotFound("list"))));
    drop(tx);
    let mut tx = pool.begin().await.unwrap();
    consent::record(&mut tx, STAFF, ada, &key("newsletter"), State::Unsubscribed).await.unwrap();
    tx.commit().await.unwrap();
    assert!(consent::subscribed(&pool, ada).await.unwrap().is_empty());
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn segments_count_what_they_will_send_to(pool: PgPool) {
    let ada = supporter(&pool, "Ada", "ada@example.org").await;
    let grace = supporter(&pool, "Grace", "grace@example.org").await;
    let linus = supporter(&pool, "Linus", "linus@example.org").await;
    for person in [ada, grace, linus] {
        subscribe(&pool, person, "newsletter").await;
    }
    sqlx::query!("UPDATE person SET country = 'DE', preferred_language = 'en' WHERE id = $1", ada.as_uuid())
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query!("UPDATE person SET referrer = 'fosdem' WHERE id = $1", grace.as_uuid())
        .execute(&pool)
        .await
        .unwrap();
    let count = |segment: Segment| {
        let pool = pool.clone();
        async move { domain::mailing::segment::count(&pool, &key("newsletter"), &segment).await.unwrap() }
    };
    assert_eq!(count(Segment::default()).await, 3);
    assert_eq!(count(Segment { countries: vec!["DE".into()], ..Segment::default() }).await, 1);
    assert_eq!(count(Segment { languages: vec!["de".into()], ..Segment::default() }).await, 2);
    assert_eq!(count(Segment { referrers: vec!["fosdem".into()], ..Segment::default() }).await, 1);
    assert_eq!(count(Segment { donor: Some(DonorStatus::NeverGave), ..Segment::default() }).await, 3);
    assert_eq!(count(Segment { donor: Some(DonorStatus::EverGave), ..Segment::default() }).await, 0);
    let today = time::OffsetDateTime::now_utc().date();
    assert_eq!(count(Segment { registered_from: Some(today), ..Segment::default() }).await, 3);
    assert_eq!(count(Segment { registered_until: today.previous_day(), ..Segment::default() }).await, 0);
    // Another list's subscribers are not counted; an undeliverable address is not either.
    assert_eq!(
        domain::mailing::segment::count(&pool, &key("campaigns"), &Segment::default()).await.unwrap(),
        0
    );
    sqlx::query!(
        "UPDATE email_address SET undeliverable_since = now() WHERE person_id = $1",
        linus.as_uuid()
    )
    .execute(&pool)
    .await
    .unwrap();
    assert_eq!(count(Segment::default()).await, 2);
    // A segment with an unknown filter is refused when read, not taken as "everyone".
    assert!(serde_json::from_str::<Segment>(r#"{"countrys": ["DE"]}"#).is_err());
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_mailing_moves_through_its_states_and_refuses_what_does_not_fit(pool: PgPool) {
    let ada = supporter(&pool, "Ada", "ada@example.org").await;
    let id = draft(&pool, "newsletter", Segment::default()).await;
    // Nobody is subscribed yet: an empty segment does not start.
    assert!(matches!(start(&pool, id).await, Err(MailingError::EmptySegment)));
    subscribe(&pool, ada, "newsletter").await;
    let mut tx = pool.begin().await.unwrap();
    let soon = time::OffsetDateTime::now_utc() + Duration::hours(1);
    campaign::schedule(&mut tx, STAFF, id, soon).await.unwrap();
    tx.commit().await.unwrap();
    // Not due yet.
    assert!(campaign::start_due(&pool, STAFF).await.unwrap().is_empty());
    sqlx::query!("UPDATE mailing SET scheduled_for = now() - interval '1 minute' WHERE id = $1", id)
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(campaign::start_due(&pool, STAFF).await.unwrap(), [id]);
    let mailing = campaign::get(&mut pool.acquire().await.unwrap(), id).await.unwrap().unwrap();
    assert_eq!(mailing.state, MailingState::Sending);
    // Sending: the content and segment are fixed.
    let mut tx = pool.begin().await.unwrap();
    let content = Content { language: Language::English, subject: "Changed".into(), body: "x".into() };
    let refused = campaign::set_content(&mut tx, STAFF, id, &content).await;
    assert!(matches!(refused, Err(MailingError::WrongState { state: "sending", .. })));
    drop(tx);
    let mut tx = pool.begin().await.unwrap();
    campaign::pause(&mut tx, STAFF, id).await.unwrap();
    tx.commit().await.unwrap();
    assert!(
        delivery::claim(&pool, id, 10, Duration::minutes(5)).await.unwrap().is_empty(),
        "paused: nothing claimed"
    );
    let mut tx = pool.begin().await.unwrap();
    campaign::resume(&mut tx, STAFF, id).await.unwrap();
    tx.commit().await.unwrap();
    let claimed = delivery::claim(&pool, id, 10, Duration::minutes(5)).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].display_name, "Ada");
    delivery::mark_sent(&pool, &[claimed[0].recipient]).await.unwrap();
    assert!(delivery::finish_if_done(&pool, id).await.unwrap());
    assert_eq!(
        campaign::get(&mut pool.acquire().await.unwrap(), id).await.unwrap().unwrap().state,
        MailingState::Sent
    );
    // A mailing without content in its fallback language cannot be scheduled.
    let mut tx = pool.begin().await.unwrap();
    let new = NewMailing {
        title: "Empty".into(),
        list: key("newsletter"),
        segment: Segment::default(),
        fallback_language: Language::German,
    };
    let empty = campaign::create(&mut tx, STAFF, &new).await.unwrap();
    let refused = campaign::schedule(&mut tx, STAFF, empty, soon).await;
    assert!(matches!(refused, Err(MailingError::NoFallbackContent("de"))));
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn two_senders_share_a_mailing_and_a_dead_one_leaves_its_lease_to_the_other(pool: PgPool) {
    for n in 0..30 {
        let person = supporter(&pool, &format!("Person {n}"), &format!("p{n}@example.org")).await;
        subscribe(&pool, person, "newsletter").await;
    }
    let id = draft(&pool, "newsletter", Segment::default()).await;
    assert_eq!(start(&pool, id).await.unwrap(), 30);
    let lease = Duration::minutes(5);
    let (first, second) =
        tokio::join!(delivery::claim(&pool, id, 20, lease), delivery::claim(&pool, id, 20, lease));
    let (first, second) = (first.unwrap(), second.unwrap());
    assert_eq!(first.len() + second.len(), 30);
    let mut all: Vec<i64> = first.iter().chain(&second).map(|r| r.recipient).collect();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), 30, "no recipient claimed twice");
    // The first sender dies; the second finishes its own.
    delivery::mark_sent(&pool, &second.iter().map(|r| r.recipient).collect::<Vec<_>>()).await.unwrap();
    assert!(
        delivery::claim(&pool, id, 100, lease).await.unwrap().is_empty(),
        "the dead sender's rows are leased"
    );
    assert!(!delivery::finish_if_done(&pool, id).await.unwrap());
    sqlx::query!("UPDATE mailing_recipient SET next_attempt_at = now() WHERE state = 'queued'")
        .execute(&pool)
        .await
        .unwrap();
    let again = delivery::claim(&pool, id, 100, lease).await.unwrap();
    assert_eq!(again.len(), first.len(), "after the lease, exactly the dead sender's rows come back");
    assert!(again.iter().all(|r| r.attempts == 2));
    delivery::mark_sent(&pool, &again.iter().map(|r| r.recipient).collect::<Vec<_>>()).await.unwrap();
    assert!(delivery::finish_if_done(&pool, id).await.unwrap());
    let progress = delivery::progress(&pool, id).await.unwrap();
    assert_eq!((progress.sent, progress.queued), (30, 0));
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn who_unsubscribed_after_the_start_is_skipped_and_refusals_count_as_bounces(pool: PgPool) {
    let ada = supporter(&pool, "Ada", "ada@example.org").await;
    let grace = supporter(&pool, "Grace", "grace@example.org").await;
    for person in [ada, grace] {
        subscribe(&pool, person, "newsletter").await;
    }
    let id = draft(&pool, "newsletter", Segment::default()).await;
    start(&pool, id).await.unwrap();
    let mut tx = pool.begin().await.unwrap();
    consent::record(&mut tx, STAFF, grace, &key("newsletter"), State::Unsubscribed).await.unwrap();
    tx.commit().await.unwrap();
    let claimed = delivery::claim(&pool, id, 10, Duration::minutes(5)).await.unwrap();
    let (still, gone): (Vec<_>, Vec<_>) = claimed.into_iter().partition(|r| r.subscribed);
    assert_eq!((still.len(), gone.len()), (1, 1));
    assert_eq!(gone[0].person, Some(grace));
    // A permanent refusal: failed, and one hard bounce of the address; the limit (1) makes it
    // undeliverable.
    let refused = Failure::Refused { code: "5.1.1".into(), message: "550 no such user".into() };
    delivery::mark_failed(&pool, &still[0], &refused, 1).await.unwrap();
    let undeliverable = sqlx::query_scalar!(
        "SELECT undeliverable_since IS NOT NULL FROM email_address WHERE person_id = $1",
        ada.as_uuid()
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(undeliverable, Some(true));
    let progress = delivery::progress(&pool, id).await.unwrap();
    assert_eq!((progress.failed, progress.bounced_hard, progress.queued), (1, 1, 1));
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn links_and_mailed_unsubscribes_only_ever_unsubscribe_their_person(pool: PgPool) {
    let ada = supporter(&pool, "Ada", "ada@example.org").await;
    let grace = supporter(&pool, "Grace", "grace@example.org").await;
    for person in [ada, grace] {
        subscribe(&pool, person, "newsletter").await;
        subscribe(&pool, person, "campaigns").await;
    }
    let id = draft(&pool, "newsletter", Segment::default()).await;
    start(&pool, id).await.unwrap();
    let keys = new_keys();
    let token = keys.unsubscribe_token(ada, id, "newsletter");
    // A token minted for another list does not verify for this mailing.
    let wrong_list = keys.unsubscribe_token(ada, id, "campaigns");
    assert_eq!(feedback::unsubscribe_by_link(&pool, &keys, &wrong_list).await.unwrap(), None);
    assert_eq!(feedback::unsubscribe_by_link(&pool, &keys, &token[..60]).await.unwrap(), None);
    assert_eq!(feedback::unsubscribe_by_link(&pool, &new_keys(), &token).await.unwrap(), None, "another key");
    let done = feedback::unsubscribe_by_link(&pool, &keys, &token).await.unwrap().unwrap();
    assert_eq!((done.person, done.list.as_str(), done.changed), (ada, "newsletter", true));
    let replay = feedback::unsubscribe_by_link(&pool, &keys, &token).await.unwrap().unwrap();
    assert!(!replay.changed, "a replay writes nothing");
    assert_eq!(consent::subscribed(&pool, ada).await.unwrap(), [key("campaigns")], "only that list");
    assert_eq!(consent::subscribed(&pool, grace).await.unwrap().len(), 2, "only that person");
    let last = consent::history(&pool, ada).await.unwrap().pop().unwrap();
    assert_eq!((last.source.as_str(), last.state), ("one-click unsubscribe", State::Unsubscribed));
    assert_eq!(delivery::progress(&pool, id).await.unwrap().unsubscribed, 1);

    // Unsubscribing by mail: the mailto address names Grace's recipient row.
    let base = "bounces@lists.example.org";
    let row = sqlx::query_scalar!("SELECT id FROM mailing_recipient WHERE person_id = $1", grace.as_uuid())
        .fetch_one(&pool)
        .await
        .unwrap();
    let address = keys.address(AddressKind::Unsubscribe, row, base).unwrap();
    let taken =
        feedback::take(&pool, &keys, base, &[1; 32], std::slice::from_ref(&address), &Report::Other, 2)
            .await
            .unwrap();
    assert_eq!(taken, Taken::Unsubscribed);
    assert_eq!(consent::subscribed(&pool, grace).await.unwrap(), [key("campaigns")]);
    // A made-up address changes nothing.
    let forged = address.replace(&row.to_string(), &(row + 1).to_string());
    let taken = feedback::take(&pool, &keys, base, &[2; 32], &[forged], &Report::Other, 2).await.unwrap();
    assert!(matches!(taken, Taken::Ignored(_)));
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn bounces_count_once_per_file_and_only_for_our_envelopes(pool: PgPool) {
    let ada = supporter(&pool, "Ada", "ada@example.org").await;
    subscribe(&pool, ada, "newsletter").await;
    let id = draft(&pool, "newsletter", Segment::default()).await;
    start(&pool, id).await.unwrap();
    let keys = new_keys();
    let base = "bounces@lists.example.org";
    let row = sqlx::query_scalar!("SELECT id FROM mailing_recipient").fetch_one(&pool).await.unwrap();
    let envelope = keys.address(AddressKind::Bounce, row, base).unwrap();
    let hard = |status: &str| {
        Report::Dsn(vec![RecipientStatus {
            address: Some("ada@example.org".into()),
            permanent: status.starts_with('5'),
            transient: status.starts_with('4'),
            status: status.into(),
            diagnostic: Some("smtp; 550 5.1.1 user unknown".into()),
        }])
    };
    let take = |file: u8, report: Report, to: String| {
        let (pool, keys) = (pool.clone(), &keys);
        async move { feedback::take(&pool, keys, base, &[file; 32], &[to], &report, 2).await.unwrap() }
    };
    assert_eq!(take(1, hard("5.1.1"), envelope.clone()).await, Taken::Bounces { hard: 1, soft: 0 });
    assert_eq!(take(1, hard("5.1.1"), envelope.clone()).await, Taken::Duplicate, "the same file again");
    assert_eq!(take(2, hard("4.2.2"), envelope.clone()).await, Taken::Bounces { hard: 0, soft: 1 });
    let counts = sqlx::query!(
        "SELECT hard_bounces, soft_bounces, undeliverable_since FROM email_address WHERE person_id = $1",
        ada.as_uuid()
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((counts.hard_bounces, counts.soft_bounces), (1, 1));
    assert!(counts.undeliverable_since.is_none(), "one hard bounce is below the limit of 2");
    assert_eq!(take(3, hard("5.1.1"), envelope.clone()).await, Taken::Bounces { hard: 1, soft: 0 });
    let undeliverable = sqlx::query_scalar!(
        "SELECT undeliverable_since IS NOT NULL FROM email_address WHERE person_id = $1",
        ada.as_uuid()
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(undeliverable, Some(true));
    // Not our envelope, or not a DSN: nothing.
    assert!(matches!(take(4, hard("5.1.1"), "bounces@lists.example.org".into()).await, Taken::Ignored(_)));
    assert!(matches!(take(5, Report::Other, envelope.clone()).await, Taken::Ignored(_)));
    assert!(matches!(take(6, Report::Dsn(vec![]), envelope).await, Taken::Ignored(_)));
    // An undeliverable address is no recipient of the next mailing.
    let next = draft(&pool, "newsletter", Segment::default()).await;
    assert!(matches!(start(&pool, next).await, Err(MailingError::EmptySegment)));
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_recipient_gets_the_address_they_have_when_their_turn_comes(pool: PgPool) {
    let ada = supporter(&pool, "Ada", "ada@example.org").await;
    let grace = supporter(&pool, "Grace", "grace@example.org").await;
    let linus = supporter(&pool, "Linus", "linus@example.org").await;
    for person in [ada, grace, linus] {
        subscribe(&pool, person, "newsletter").await;
    }
    let id = draft(&pool, "newsletter", Segment::default()).await;
    start(&pool, id).await.unwrap();
    // After the start: Ada makes a new, confirmed address her primary one; Grace's address
    // bounced for good; Linus's new primary address is not confirmed yet.
    let mut tx = pool.begin().await.unwrap();
    add_email(
        &mut tx,
        ada,
        "ada@lovelace.example",
        true,
        Verification::VerifiedAt(time::OffsetDateTime::now_utc()),
    )
    .await
    .unwrap();
    add_email(&mut tx, linus, "linus@new.example", true, Verification::Unverified).await.unwrap();
    tx.commit().await.unwrap();
    sqlx::query!(
        "UPDATE email_address SET undeliverable_since = now(), hard_bounces = 3 WHERE person_id = $1",
        grace.as_uuid()
    )
    .execute(&pool)
    .await
    .unwrap();
    let claimed = delivery::claim(&pool, id, 10, Duration::minutes(5)).await.unwrap();
    let of = |person| claimed.iter().find(|r| r.person == Some(person)).unwrap();
    assert_eq!(of(ada).address, "ada@lovelace.example", "the mail goes to Ada's current address");
    assert_eq!(of(ada).skip_reason(), None);
    assert!(of(grace).skip_reason().unwrap().contains("deliverable"), "{:?}", of(grace));
    assert!(of(linus).skip_reason().unwrap().contains("deliverable"), "an unconfirmed address gets nothing");
    // The row keeps the address the mail went to: a bounce of it is charged to that address.
    let stored =
        sqlx::query_scalar!("SELECT address FROM mailing_recipient WHERE person_id = $1", ada.as_uuid())
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(stored, "ada@lovelace.example");
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn an_archived_list_gets_no_more_mail(pool: PgPool) {
    let ada = supporter(&pool, "Ada", "ada@example.org").await;
    subscribe(&pool, ada, "newsletter").await;
    let before_start = draft(&pool, "newsletter", Segment::default()).await;
    let while_sending = draft(&pool, "newsletter", Segment::default()).await;
    start(&pool, while_sending).await.unwrap();
    let mut tx = pool.begin().await.unwrap();
    assert!(list::archive(&mut tx, STAFF, &key("newsletter")).await.unwrap());
    tx.commit().await.unwrap();
    assert!(matches!(start(&pool, before_start).await, Err(MailingError::NoSuchList)));
    let claimed = delivery::claim(&pool, while_sending, 10, Duration::minutes(5)).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert!(claimed[0].skip_reason().unwrap().contains("archived"), "{:?}", claimed[0]);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_scheduled_mailing_that_cannot_start_does_not_hold_up_the_others(pool: PgPool) {
    let ada = supporter(&pool, "Ada", "ada@example.org").await;
    subscribe(&pool, ada, "newsletter").await;
    subscribe(&pool, ada, "campaigns").await;
    let past = time::OffsetDateTime::now_utc() - Duration::minutes(1);
    // The first due is to a list archived since; the second is fine.
    let doomed = draft(&pool, "campaigns", Segment::default()).await;
    let fine = draft(&pool, "newsletter", Segment::default()).await;
    let mut tx = pool.begin().await.unwrap();
    campaign::schedule(&mut tx, STAFF, doomed, past - Duration::minutes(1)).await.unwrap();
    campaign::schedule(&mut tx, STAFF, fine, past).await.unwrap();
    assert!(list::archive(&mut tx, STAFF, &key("campaigns")).await.unwrap());
    tx.commit().await.unwrap();
    let started = campaign::start_due(&pool, STAFF).await.unwrap();
    assert_eq!(started, [fine]);
    let state = |id| {
        let pool = pool.clone();
        async move { campaign::get(&mut pool.acquire().await.unwrap(), id).await.unwrap().unwrap().state }
    };
    assert_eq!(state(doomed).await, MailingState::Draft, "back to draft, with the reason in the audit log");
    assert_eq!(state(fine).await, MailingState::Sending);
    let reason = sqlx::query_scalar!(
        "SELECT details->>'reason' FROM audit_log WHERE details->>'mailing' = $1 AND details->>'to' = 'draft'",
        doomed.to_string()
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(reason.unwrap().contains("archived"));
    assert!(campaign::start_due(&pool, STAFF).await.unwrap().is_empty(), "and it is not tried again");
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn only_refusals_of_the_recipient_count_as_bounces_and_confirming_again_clears_them(pool: PgPool) {
    let ada = supporter(&pool, "Ada", "ada@example.org").await;
    subscribe(&pool, ada, "newsletter").await;
    let id = draft(&pool, "newsletter", Segment::default()).await;
    start(&pool, id).await.unwrap();
    let claimed = delivery::claim(&pool, id, 10, Duration::minutes(5)).await.unwrap().pop().unwrap();
    // The relay refusing its sender or content is not the recipient's fault.
    let relay = delivery::refusal(Some(554), "5.7.1 Message rejected as spam");
    assert!(matches!(relay, Failure::Relay { .. }), "{relay:?}");
    let unknown = delivery::refusal(Some(550), "5.1.1 <ada@example.org>: Recipient address rejected");
    assert_eq!(
        unknown,
        Failure::Refused {
            code: "5.1.1".into(),
            message: "5.1.1 <ada@example.org>: Recipient address rejected".into()
        }
    );
    // A limit of 2: the first bounce counts, the second makes the address undeliverable, once.
    delivery::mark_failed(&pool, &claimed, &unknown, 2).await.unwrap();
    let bounces = || {
        let pool = pool.clone();
        async move {
            sqlx::query!(
                r#"SELECT hard_bounces, undeliverable_since IS NOT NULL AS "undeliverable!" FROM email_address WHERE person_id = $1"#,
                ada.as_uuid()
            )
            .fetch_one(&pool)
            .await
            .map(|r| (r.hard_bounces, r.undeliverable))
            .unwrap()
        }
    };
    assert_eq!(bounces().await, (1, false));
    // The limit lowered to 1 meanwhile: the next bounce crosses it and is audited.
    let second = delivery::claim(&pool, draft_started(&pool).await, 10, Duration::minutes(5)).await.unwrap();
    delivery::mark_failed(&pool, &second[0], &unknown, 1).await.unwrap();
    assert_eq!(bounces().await, (2, true));
    let audited = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM audit_log WHERE action = 'email.undeliverable' AND subject_person_id = $1"#,
        ada.as_uuid()
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(audited, 1);
    // Following a link mailed to the address proves it works again.
    let mut tx = pool.begin().await.unwrap();
    let address = domain::types::Email::try_from("ada@example.org").unwrap();
    assert!(domain::email::mark_verified(&mut tx, STAFF, ada, &address).await.unwrap());
    tx.commit().await.unwrap();
    assert_eq!(bounces().await, (0, false));
}

/// A second mailing to the newsletter, started; its id.
async fn draft_started(pool: &PgPool) -> Uuid {
    let id = draft(pool, "newsletter", Segment::default()).await;
    start(pool, id).await.unwrap();
    id
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_bounce_is_not_charged_to_the_next_owner_of_an_address(pool: PgPool) {
    let ada = supporter(&pool, "Ada", "ada@example.org").await;
    subscribe(&pool, ada, "newsletter").await;
    let id = draft_started(&pool).await;
    let claimed = delivery::claim(&pool, id, 10, Duration::minutes(5)).await.unwrap().pop().unwrap();
    // Ada gives the address up; Grace takes it; then the bounce of Ada's mail arrives.
    sqlx::query!("DELETE FROM email_address WHERE person_id = $1", ada.as_uuid())
        .execute(&pool)
        .await
        .unwrap();
    let grace = supporter(&pool, "Grace", "ada@example.org").await;
    let unknown = delivery::refusal(Some(550), "5.1.1 no such user");
    delivery::mark_failed(&pool, &claimed, &unknown, 1).await.unwrap();
    let grace_bounces =
        sqlx::query_scalar!("SELECT hard_bounces FROM email_address WHERE person_id = $1", grace.as_uuid())
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(grace_bounces, 0);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn the_sender_pauses_a_mailing_the_relay_refuses_and_resuming_clears_the_reason(pool: PgPool) {
    let ada = supporter(&pool, "Ada", "ada@example.org").await;
    subscribe(&pool, ada, "newsletter").await;
    let id = draft_started(&pool).await;
    let claimed = delivery::claim(&pool, id, 10, Duration::minutes(5)).await.unwrap();
    delivery::release(&pool, &[claimed[0].recipient]).await.unwrap();
    assert!(campaign::pause_by_sender(&pool, id, "535 5.7.8 authentication failed").await.unwrap());
    assert!(!campaign::pause_by_sender(&pool, id, "again").await.unwrap(), "paused once");
    let mailing = campaign::get(&mut pool.acquire().await.unwrap(), id).await.unwrap().unwrap();
    assert_eq!(mailing.state, MailingState::Paused);
    assert_eq!(mailing.paused_because.as_deref(), Some("535 5.7.8 authentication failed"));
    let mut tx = pool.begin().await.unwrap();
    campaign::resume(&mut tx, STAFF, id).await.unwrap();
    tx.commit().await.unwrap();
    let mailing = campaign::get(&mut pool.acquire().await.unwrap(), id).await.unwrap().unwrap();
    assert_eq!((mailing.state, mailing.paused_because), (MailingState::Sending, None));
    // The released row is due at once, its attempt not counted.
    let again = delivery::claim(&pool, id, 10, Duration::minutes(5)).await.unwrap();
    assert_eq!((again.len(), again[0].attempts), (1, 1));
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn registration_days_are_utc_days_whatever_the_sessions_time_zone(pool: PgPool) {
    let ada = supporter(&pool, "Ada", "ada@example.org").await;
    subscribe(&pool, ada, "newsletter").await;
    sqlx::query!("UPDATE person SET created_at = '2026-11-30 23:30:00+00' WHERE id = $1", ada.as_uuid())
        .execute(&pool)
        .await
        .unwrap();
    let mut conn = pool.acquire().await.unwrap();
    // 13:30 on 1 December there.
    sqlx::query!("SET TIME ZONE 'Pacific/Kiritimati'").execute(&mut *conn).await.unwrap();
    let (nov30, dec1) = (time::macros::date!(2026 - 11 - 30), time::macros::date!(2026 - 12 - 01));
    for (segment, expected) in [
        (Segment { registered_from: Some(dec1), ..Segment::default() }, 0),
        (Segment { registered_until: Some(nov30), ..Segment::default() }, 1),
        (Segment { registered_from: Some(nov30), registered_until: Some(nov30), ..Segment::default() }, 1),
    ] {
        let counted =
            domain::mailing::segment::count(&mut *conn, &key("newsletter"), &segment).await.unwrap();
        assert_eq!(counted, expected, "{}", segment.describe());
    }
}
