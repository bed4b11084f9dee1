// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Bank statement import (`domain::payment::statement`): matching credits to pledges by their
//! creditor reference, what is ignored, flagged or left unmatched, re-imports and overlapping
//! statements, thank-you mails, assigning by hand, and the bulk path against `payment::register`.
//! Run: `DATABASE_URL=postgres://… cargo test -p domain --test db statement`.

use crate::{SOURCE, add_email, new_person};
use domain::audit::{Actor, Origin};
use domain::email::Verification;
use domain::payment::flag;
use domain::payment::notice::PaymentWriter;
use domain::payment::payment;
use domain::payment::pledge::{self, NewPledge, Pledge};
use domain::payment::statement::{
    self, AssignRefused, Counts, EntryKind, EntryState, ImportOutcome, NewEntry, StatementFile,
    StatementFormat, Target,
};
use domain::payment::{Currency, Method, Money, Period, PledgeStatus, Provider, Thanks};
use domain::registration::Written;
use domain::types::{Language, PersonId};
use sqlx::PgPool;
use time::Date;
use time::macros::date;

const STAFF: &Actor = &Actor::System;
const ORIGIN: Origin<'static> = Origin { actor: STAFF, source: SOURCE };
const EUR: &[Currency] = &[Currency::EUR];

struct Words;

impl PaymentWriter for Words {
    fn thank_you(&self, language: Language, thanks: &Thanks<'_>) -> Written {
        (
            format!("thanks {}", thanks.name),
            format!(
                "{language:?} {} {} {:?} {}",
                thanks.amount.minor,
                thanks.booked_on,
                thanks.period,
                thanks.reference.map(|r| r.as_str()).unwrap_or("-")
            ),
        )
    }
    fn renewal(
        &self,
        language: Language,
        notice: &domain::payment::RenewalNotice<'_>,
    ) -> domain::registration::Written {
        domain::testing::PlainWords.renewal(language, notice)
    }
    fn payment_failed(
        &self,
        language: Language,
        notice: &domain::payment::PaymentFailedNotice<'_>,
    ) -> domain::registration::Written {
        domain::testing::PlainWords.payment_failed(language, notice)
    }
    fn transfer_reminder(
        &self,
        language: Language,
        notice: &domain::payment::ReminderNotice<'_>,
    ) -> domain::registration::Written {
        domain::testing::PlainWords.transfer_reminder(language, notice)
    }
    fn statement_ready(
        &self,
        language: Language,
        notice: &domain::payment::StatementNotice<'_>,
    ) -> domain::registration::Written {
        domain::testing::PlainWords.statement_ready(language, notice)
    }
}

fn eur(minor: i64) -> Money {
    Money::new(minor, Currency::EUR)
}

fn file(name: &str) -> StatementFile {
    use sha2::Digest;
    StatementFile {
        sha256: sha2::Sha256::digest(name.as_bytes()).into(),
        file_name: name.into(),
        format: StatementFormat::Camt053,
    }
}

/// A credit of `minor` EUR on 2026-12-01 with the bank reference `bank-{position}`.
fn credit(position: u32, minor: i64) -> NewEntry {
    NewEntry {
        position,
        booking_date: date!(2026 - 12 - 01),
        amount: eur(minor),
        is_credit: true,
        bank_reference: Some(format!("bank-{position}")),
        remittance: None,
        structured_reference: None,
        counterparty_name: Some("Erika Mustermann".into()),
        counterparty_iban: Some("DE89370400440532013000".into()),
        kind: EntryKind::Transfer,
    }
}

fn with_structured(mut entry: NewEntry, reference: &str) -> NewEntry {
    entry.structured_reference = Some(reference.into());
    entry
}

fn with_text(mut entry: NewEntry, text: &str) -> NewEntry {
    entry.remittance = Some(text.into());
    entry
}

async fn supporter(pool: &PgPool, name: &str, address: &str) -> PersonId {
    let person = new_person(pool, name).await;
    let mut tx = pool.begin().await.unwrap();
    add_email(&mut tx, person.id, address, true, Verification::VerifiedAt(time::OffsetDateTime::now_utc()))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    person.id
}

async fn new_pledge(pool: &PgPool, person: Option<PersonId>, minor: i64, period: Period) -> Pledge {
    let mut tx = pool.begin().await.unwrap();
    let new = NewPledge { person, amount: eur(minor), period, method: Method::BankTransfer, referrer: None };
    let pledge = pledge::create(&mut tx, ORIGIN, &new).await.unwrap();
    tx.commit().await.unwrap();
    pledge
}

async fn import(pool: &PgPool, name: &str, entries: &[NewEntry]) -> Counts {
    match statement::import(pool, ORIGIN, &file(name), entries, EUR, &Words).await.unwrap() {
        ImportOutcome::Imported { counts, .. } => counts,
        other => unreachable!("not imported: {other:?}"),
    }
}

async fn states(pool: &PgPool) -> Vec<(i32, String, Option<String>, bool)> {
    sqlx::query_as(
        "SELECT position, state::text, note, payment_id IS NOT NULL FROM bank_statement_entry ORDER BY position, id",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

async fn mails(pool: &PgPool) -> Vec<(String, String, String)> {
    sqlx::query_as(
        "SELECT recipient, subject, body FROM mail_job WHERE kind = 'thank_you' ORDER BY body, recipient",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn credits_match_by_structured_reference_or_by_reference_in_the_text(pool: PgPool) {
    let ada = supporter(&pool, "Ada", "ada@example.org").await;
    let first = new_pledge(&pool, Some(ada), 2500, Period::Monthly).await;
    let second = new_pledge(&pool, Some(ada), 1000, Period::Once).await;
    let third = new_pledge(&pool, Some(ada), 700, Period::Yearly).await;
    let spaced = third.reference.grouped().to_lowercase().replacen(' ', "\n", 1);
    let entries = [
        with_structured(credit(1, 2500), first.reference.as_str()),
        with_text(credit(2, 1000), &format!("Spende {} danke", second.reference.grouped())),
        with_text(credit(3, 700), &format!("Spende\n{spaced}")),
    ];
    let counts = import(&pool, "december.xml", &entries).await;
    assert_eq!(counts, Counts { matched: 3, payments: 3, ..Counts::default() });

    for (pledge, status) in
        [(&first, PledgeStatus::Active), (&second, PledgeStatus::Active), (&third, PledgeStatus::Active)]
    {
        let payments = payment::for_pledge(&pool, pledge.id).await.unwrap();
        assert_eq!(payments.len(), 1, "{:?}", pledge.reference);
        assert_eq!(payments[0].provider, Provider::Bank);
        assert_eq!(
            payments[0].provider_object_id,
            format!("bank-{}", [&first, &second, &third].iter().position(|p| p.id == pledge.id).unwrap() + 1)
        );
        assert_eq!(payments[0].person, Some(ada));
        assert_eq!(payments[0].booked_on, date!(2026 - 12 - 01));
        let stored = pledge::get(&pool, pledge.id).await.unwrap().unwrap();
        assert_eq!(stored.status, status);
    }
    assert_eq!(
        pledge::get(&pool, first.id).await.unwrap().unwrap().next_expected_on,
        Some(date!(2027 - 01 - 01))
    );
    assert_eq!(pledge::get(&pool, second.id).await.unwrap().unwrap().next_expected_on, None);
    assert_eq!(
        pledge::get(&pool, third.id).await.unwrap().unwrap().next_expected_on,
        Some(date!(2027 - 12 - 01))
    );
    let mails = mails(&pool).await;
    assert_eq!(mails.len(), 3);
    assert!(mails.iter().all(|(to, subject, _)| to == "ada@example.org" && subject == "thanks Ada"));
    assert!(
        mails.iter().any(|m| m.2.ends_with(&format!("Yearly {}", third.reference.as_str()))),
        "{mails:?}"
    );
    assert!(states(&pool).await.iter().all(|(_, state, _, paid)| state == "matched" && *paid));
    assert_eq!(count(&pool, "SELECT count(*) FROM audit_log WHERE action = 'payment.registered'").await, 3);
    assert_eq!(
        count(&pool, "SELECT count(*) FROM audit_log WHERE action = 'payment.statement_imported'").await,
        1
    );
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_wrong_check_digit_or_an_unknown_reference_leaves_the_credit_unmatched(pool: PgPool) {
    let pledge = new_pledge(&pool, None, 2500, Period::Once).await;
    // The last two digits swapped: the check digits catch it.
    let mut typo = pledge.reference.as_str().to_owned();
    let len = typo.len();
    let swapped: String = typo[len - 2..].chars().rev().collect();
    typo.replace_range(len - 2.., &swapped);
    if typo == pledge.reference.as_str() {
        typo.replace_range(len - 1.., if typo.ends_with('1') { "2" } else { "1" });
    }
    let entries = [
        with_structured(credit(1, 2500), &typo),
        with_text(credit(2, 2500), &format!("Spende {typo}")),
        with_text(credit(3, 2500), "Spende RF18 5390 0754 7034"),
        with_text(credit(4, 2500), "Mitgliedsbeitrag"),
    ];
    let counts = import(&pool, "typos.xml", &entries).await;
    assert_eq!(counts, Counts { unmatched: 4, ..Counts::default() });
    let states = states(&pool).await;
    assert_eq!(states[0].2.as_deref(), Some("no valid creditor reference"));
    assert_eq!(states[2].2.as_deref(), Some("reference RF18539007547034 names no pledge"));
    assert!(payment::for_pledge(&pool, pledge.id).await.unwrap().is_empty());
    let open = statement::unmatched(&pool).await.unwrap();
    assert_eq!(open.iter().map(|e| e.position).collect::<Vec<_>>(), [1, 2, 3, 4]);
    assert_eq!(open[1].remittance.as_deref(), Some(format!("Spende {typo}").as_str()));
    assert_eq!(open[0].file_name, "typos.xml");
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn debits_returns_and_payouts_are_ignored_with_a_note(pool: PgPool) {
    let pledge = new_pledge(&pool, None, 2500, Period::Once).await;
    let reference = pledge.reference.as_str();
    let mut debit = with_structured(credit(1, 2500), reference);
    debit.is_credit = false;
    let mut returned = with_structured(credit(2, 2500), reference);
    returned.kind = EntryKind::Returned;
    let mut payout = with_text(credit(3, 2500), &format!("STRIPE PAYOUT {reference}"));
    payout.kind = EntryKind::Payout;
    let counts = import(&pool, "out.xml", &[debit, returned, payout]).await;
    assert_eq!(counts, Counts { ignored: 3, ..Counts::default() });
    let notes: Vec<_> = states(&pool).await.into_iter().map(|s| (s.1, s.2.unwrap())).collect();
    assert_eq!(notes[0], ("ignored".into(), "debit".into()));
    assert_eq!(notes[1], ("ignored".into(), "returned transfer".into()));
    assert!(notes[2].1.starts_with("payout"), "{notes:?}");
    assert!(statement::unmatched(&pool).await.unwrap().is_empty());
    assert_eq!(count(&pool, "SELECT count(*) FROM payment").await, 0);
    assert_eq!(pledge::get(&pool, pledge.id).await.unwrap().unwrap().status, PledgeStatus::Pending);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn foreign_currencies_and_wrong_amounts_are_flagged_and_never_applied(pool: PgPool) {
    let ada = supporter(&pool, "Ada", "ada@example.org").await;
    let pledge = new_pledge(&pool, Some(ada), 2500, Period::Monthly).await;
    let reference = pledge.reference.as_str();
    let mut francs = with_structured(credit(1, 2500), reference);
    francs.amount = Money::new(2500, Currency::parse("CHF").unwrap());
    let wrong_amount = with_structured(credit(2, 2400), reference);
    let mut unreferenced_francs = with_text(credit(3, 900), "Spende");
    unreferenced_francs.amount = Money::new(900, Currency::parse("CHF").unwrap());
    let counts = import(&pool, "flags.xml", &[francs, wrong_amount, unreferenced_francs]).await;
    assert_eq!(counts, Counts { flagged: 3, ..Counts::default() });
    assert_eq!(count(&pool, "SELECT count(*) FROM payment").await, 0);
    assert!(mails(&pool).await.is_empty());
    assert_eq!(pledge::get(&pool, pledge.id).await.unwrap().unwrap().status, PledgeStatus::Pending);

    let flagged = statement::flagged(&pool).await.unwrap();
    let reasons: Vec<_> = flagged.iter().map(|f| f.flag.reason.as_str()).collect();
    assert_eq!(reasons, ["currency_mismatch", "amount_mismatch", "currency_mismatch"]);
    assert!(flagged.iter().all(|f| f.flag.provider == Provider::Bank));
    assert_eq!(flagged[0].flag.pledge, Some(pledge.id));
    assert_eq!(flagged[2].flag.pledge, None);
    assert_eq!(flagged[1].entry.as_ref().unwrap().state, EntryState::Flagged);
    assert_eq!(flagged[1].flag.details["pledge_amount_minor"], 2500);
    assert_eq!(flagged[1].flag.details["amount_minor"], 2400);
    assert_eq!(states(&pool).await[2].2.as_deref(), Some("CHF is not an accepted currency"));

    // Resolving says what staff did and settles the entry; it stays flagged (never applied).
    assert!(statement::resolve(&pool, ORIGIN, flagged[2].flag.id, "sent back to the donor").await.unwrap());
    assert!(!statement::resolve(&pool, ORIGIN, flagged[2].flag.id, "again").await.unwrap());
    let entry = statement::get(&pool, flagged[2].entry.as_ref().unwrap().id).await.unwrap().unwrap();
    assert_eq!(entry.state, EntryState::Flagged);
    assert!(entry.settled_at.is_some());
    assert_eq!(flag::open(&pool).await.unwrap().len(), 2);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_file_imported_twice_changes_nothing(pool: PgPool) {
    let pledge = new_pledge(&pool, None, 2500, Period::Monthly).await;
    let entries = [with_structured(credit(1, 2500), pledge.reference.as_str()), credit(2, 100)];
    let counts = import(&pool, "twice.xml", &entries).await;
    assert_eq!(counts, Counts { matched: 1, unmatched: 1, payments: 1, ..Counts::default() });
    let before = (
        count(&pool, "SELECT count(*) FROM bank_statement_entry").await,
        count(&pool, "SELECT count(*) FROM audit_log").await,
    );
    let again = statement::import(&pool, ORIGIN, &file("twice.xml"), &entries, EUR, &Words).await.unwrap();
    assert!(
        matches!(again, ImportOutcome::AlreadyImported { ref file_name, .. } if file_name == "twice.xml"),
        "{again:?}"
    );
    let after = (
        count(&pool, "SELECT count(*) FROM bank_statement_entry").await,
        count(&pool, "SELECT count(*) FROM audit_log").await,
    );
    assert_eq!(before, after);
    assert_eq!(count(&pool, "SELECT count(*) FROM payment").await, 1);
    assert_eq!(count(&pool, "SELECT count(*) FROM bank_statement").await, 1);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn overlapping_statements_register_a_booking_once(pool: PgPool) {
    let ada = supporter(&pool, "Ada", "ada@example.org").await;
    let pledge = new_pledge(&pool, Some(ada), 2500, Period::Monthly).await;
    let booking = with_structured(credit(1, 2500), pledge.reference.as_str());
    let daily = import(&pool, "daily.xml", std::slice::from_ref(&booking)).await;
    assert_eq!(daily, Counts { matched: 1, payments: 1, ..Counts::default() });
    // The monthly statement has the same booking (same bank reference) at another place.
    let mut again = booking.clone();
    again.position = 5;
    let monthly = import(&pool, "monthly.xml", &[credit(2, 300), again]).await;
    assert_eq!(monthly, Counts { unmatched: 1, ignored: 1, ..Counts::default() });
    assert_eq!(payment::for_pledge(&pool, pledge.id).await.unwrap().len(), 1);
    assert_eq!(mails(&pool).await.len(), 1);
    let notes = states(&pool).await;
    assert!(
        notes.iter().any(|(p, state, note, _)| *p == 5
            && state == "ignored"
            && note.as_deref() == Some("already imported from daily.xml (entry 1)")),
        "{notes:?}"
    );
    // The same bank reference twice in one file is one booking too.
    let mut twin = credit(2, 300);
    twin.bank_reference = Some("bank-x".into());
    let mut twin2 = credit(3, 300);
    twin2.bank_reference = Some("bank-x".into());
    let counts = import(&pool, "twins.xml", &[twin, twin2]).await;
    assert_eq!(counts, Counts { unmatched: 1, ignored: 1, ..Counts::default() });
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn thanks_go_only_to_a_pledge_with_its_person_and_early_payments_join_it(pool: PgPool) {
    let ada = supporter(&pool, "Ada", "ada@example.org").await;
    let visitor = new_person(&pool, "Visitor").await;
    let mine = new_pledge(&pool, Some(ada), 2500, Period::Monthly).await;
    let visitors = new_pledge(&pool, None, 1000, Period::Monthly).await;
    let entries = [
        with_structured(credit(1, 2500), mine.reference.as_str()),
        with_structured(credit(2, 1000), visitors.reference.as_str()),
    ];
    assert_eq!(
        import(&pool, "mixed.xml", &entries).await,
        Counts { matched: 2, payments: 2, ..Counts::default() }
    );
    let mails = mails(&pool).await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0].0, "ada@example.org");
    let early = payment::for_pledge(&pool, visitors.id).await.unwrap();
    assert_eq!(early.len(), 1);
    assert_eq!(early[0].person, None);
    assert_eq!(pledge::get(&pool, visitors.id).await.unwrap().unwrap().status, PledgeStatus::Active);

    // The visitor confirms their address: the pledge joins them, and the payment with it.
    let mut tx = pool.begin().await.unwrap();
    assert!(pledge::join(&mut tx, ORIGIN, visitors.id, visitor.id).await.unwrap());
    tx.commit().await.unwrap();
    let theirs = payment::for_person(&pool, visitor.id).await.unwrap();
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0].amount, eur(1000));
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn staff_assign_unmatched_and_flagged_entries_by_hand(pool: PgPool) {
    let ada = supporter(&pool, "Ada", "ada@example.org").await;
    let pledge = new_pledge(&pool, Some(ada), 2500, Period::Monthly).await;
    let entries = [
        with_text(credit(1, 2500), "Spende Ada"),
        with_structured(credit(2, 2000), pledge.reference.as_str()),
        with_text(credit(3, 5000), "Spende"),
        {
            let mut debit = credit(4, 99);
            debit.is_credit = false;
            debit
        },
    ];
    let counts = import(&pool, "assign.xml", &entries).await;
    assert_eq!(counts, Counts { unmatched: 2, flagged: 1, ignored: 1, ..Counts::default() });
    let all: Vec<_> = sqlx::query_as::<_, (uuid::Uuid, i32)>(
        "SELECT id, position FROM bank_statement_entry ORDER BY position",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let id =
        |position: i32| domain::types::EntryId::from(all.iter().find(|(_, p)| *p == position).unwrap().0);

    let assigned =
        statement::assign(&pool, ORIGIN, id(1), Target::Pledge(pledge.id), &Words).await.unwrap().unwrap();
    assert!(assigned.new_payment);
    assert_eq!(assigned.flags_resolved, 0);
    // The flagged one (2000 instead of 2500): staff checked, it counts for the pledge.
    let assigned =
        statement::assign(&pool, ORIGIN, id(2), Target::Pledge(pledge.id), &Words).await.unwrap().unwrap();
    assert_eq!(assigned.flags_resolved, 1);
    assert!(flag::open(&pool).await.unwrap().is_empty());
    // A one-off gift of a person, without a pledge.
    let gift = statement::assign(&pool, ORIGIN, id(3), Target::Person(ada), &Words).await.unwrap().unwrap();
    let payments = payment::for_person(&pool, ada).await.unwrap();
    assert_eq!(payments.len(), 3);
    let one_off = payments.iter().find(|p| p.id == gift.payment).unwrap();
    assert_eq!((one_off.pledge, one_off.person, one_off.amount), (None, Some(ada), eur(5000)));
    assert_eq!(one_off.provider_object_id, "bank-3");
    assert_eq!(mails(&pool).await.len(), 3);

    let refused = |r: Result<_, AssignRefused>| r.unwrap_err();
    let again = statement::assign(&pool, ORIGIN, id(1), Target::Person(ada), &Words).await.unwrap();
    assert_eq!(refused(again), AssignRefused::NotOpen(EntryState::Matched));
    let debit = statement::assign(&pool, ORIGIN, id(4), Target::Person(ada), &Words).await.unwrap();
    assert_eq!(refused(debit), AssignRefused::NotOpen(EntryState::Ignored));
    let nobody =
        statement::assign(&pool, ORIGIN, id(4), Target::Person(PersonId::from(uuid::Uuid::new_v4())), &Words)
            .await
            .unwrap();
    assert_eq!(refused(nobody), AssignRefused::NotOpen(EntryState::Ignored));
    assert!(statement::unmatched(&pool).await.unwrap().is_empty());
    let entry = statement::get(&pool, id(1)).await.unwrap().unwrap();
    assert_eq!((entry.state, entry.note.as_deref()), (EntryState::Matched, Some("assigned by hand")));
    assert!(entry.settled_at.is_some());
    assert_eq!(
        count(&pool, "SELECT count(*) FROM audit_log WHERE action = 'payment.statement_entry_assigned'")
            .await,
        3
    );
    assert_eq!(
        count(&pool, "SELECT count(*) FROM audit_log WHERE action = 'payment.flag_resolved'").await,
        1
    );
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn assigning_to_an_unknown_pledge_or_person_is_refused(pool: PgPool) {
    import(&pool, "one.xml", &[credit(1, 500)]).await;
    let entry = statement::unmatched(&pool).await.unwrap().remove(0);
    let unknown = uuid::Uuid::new_v4();
    let pledge =
        statement::assign(&pool, ORIGIN, entry.id, Target::Pledge(unknown.into()), &Words).await.unwrap();
    assert_eq!(pledge.unwrap_err(), AssignRefused::UnknownPledge);
    let person =
        statement::assign(&pool, ORIGIN, entry.id, Target::Person(unknown.into()), &Words).await.unwrap();
    assert_eq!(person.unwrap_err(), AssignRefused::UnknownPerson);
    assert_eq!(count(&pool, "SELECT count(*) FROM payment").await, 0);
    let unknown_entry =
        statement::assign(&pool, ORIGIN, unknown.into(), Target::Pledge(unknown.into()), &Words)
            .await
            .unwrap();
    assert_eq!(unknown_entry.unwrap_err(), AssignRefused::UnknownEntry);
}

/// What a set of pledges looks like after an import, normalised so two sets can be compared.
async fn outcome(
    pool: &PgPool,
    pledges: &[Pledge],
) -> Vec<(PledgeStatus, Option<Date>, Vec<(i64, Date, Option<PersonId>)>, i64, i64)> {
    let mut out = Vec::new();
    for pledge in pledges {
        let stored = pledge::get(pool, pledge.id).await.unwrap().unwrap();
        let mut payments: Vec<_> = payment::for_pledge(pool, pledge.id)
            .await
            .unwrap()
            .into_iter()
            .map(|p| (p.amount.minor, p.booked_on, p.person.map(|_| PersonId::from(uuid::Uuid::nil()))))
            .collect();
        payments.sort();
        let mails: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM mail_job WHERE kind = 'thank_you' AND body LIKE '%' || $1",
        )
        .bind(pledge.reference.as_str())
        .fetch_one(pool)
        .await
        .unwrap();
        let audits: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM audit_log WHERE action = 'payment.registered' AND details->>'pledge' = $1",
        )
        .bind(pledge.id.to_string())
        .fetch_one(pool)
        .await
        .unwrap();
        out.push((stored.status, stored.next_expected_on, payments, mails, audits));
    }
    out
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn the_bulk_path_agrees_with_register_one_by_one(pool: PgPool) {
    let ada = supporter(&pool, "Ada", "ada@example.org").await;
    let bob = new_person(&pool, "Bob (no confirmed address)").await.id;
    // Two identical sets of pledges, one imported in bulk, one through `payment::register`.
    let mut sets = Vec::new();
    for _ in 0..2 {
        sets.push(vec![
            new_pledge(&pool, Some(ada), 2500, Period::Monthly).await,
            new_pledge(&pool, Some(bob), 1000, Period::Yearly).await,
            new_pledge(&pool, None, 700, Period::Once).await,
            new_pledge(&pool, Some(ada), 300, Period::Once).await,
        ]);
    }
    // A cancelled pledge: flagged in both.
    for set in &sets {
        let mut tx = pool.begin().await.unwrap();
        pledge::end(&mut tx, ORIGIN, set[3].id, domain::payment::EndedBy::Supporter).await.unwrap();
        tx.commit().await.unwrap();
    }
    let statement_for = |set: &[Pledge], prefix: &str| -> Vec<NewEntry> {
        let mut entries = Vec::new();
        let dates = [date!(2026 - 01 - 31), date!(2026 - 03 - 15), date!(2026 - 02 - 28)];
        for (i, booked) in dates.into_iter().enumerate() {
            let mut entry =
                with_structured(credit(entries.len() as u32 + 1, 2500), set[0].reference.as_str());
            entry.booking_date = booked;
            entry.bank_reference = Some(format!("{prefix}-a{i}"));
            entries.push(entry);
        }
        let mut yearly = with_text(credit(entries.len() as u32 + 1, 1000), &set[1].reference.grouped());
        yearly.bank_reference = Some(format!("{prefix}-b"));
        entries.push(yearly);
        let mut once = with_structured(credit(entries.len() as u32 + 1, 700), set[2].reference.as_str());
        once.bank_reference = None;
        entries.push(once);
        let mut cancelled = with_structured(credit(entries.len() as u32 + 1, 300), set[3].reference.as_str());
        cancelled.bank_reference = Some(format!("{prefix}-d"));
        entries.push(cancelled);
        entries
    };
    let bulk =
        statement::import(&pool, ORIGIN, &file("bulk.xml"), &statement_for(&sets[0], "bulk"), EUR, &Words)
            .await
            .unwrap();
    let single = statement::import_one_by_one(
        &pool,
        ORIGIN,
        &file("single.xml"),
        &statement_for(&sets[1], "single"),
        EUR,
        &Words,
    )
    .await
    .unwrap();
    let counts = |o: ImportOutcome| match o {
        ImportOutcome::Imported { counts, .. } => counts,
        other => panic!("{other:?}"),
    };
    let expected = Counts { matched: 5, flagged: 1, payments: 5, ..Counts::default() };
    assert_eq!(counts(bulk), expected);
    assert_eq!(counts(single), expected);
    let (a, b) = (outcome(&pool, &sets[0]).await, outcome(&pool, &sets[1]).await);
    assert_eq!(a, b);
    // Spot checks of what both agree on.
    assert_eq!(a[0].1, Some(date!(2026 - 04 - 15)), "the latest payment sets the next due date");
    assert_eq!(a[0].3, 3, "three thanks to Ada");
    assert_eq!(a[1].3, 0, "Bob has no confirmed address");
    assert_eq!(a[2].2[0].2, None, "a visitor's pledge has no person yet");
    assert_eq!(a[3].0, PledgeStatus::Cancelled);
    assert!(a[3].2.is_empty());
    // Mails are word for word the same (but for the reference).
    let texts: Vec<(String, String)> = sqlx::query_as(
        "SELECT subject, regexp_replace(body, 'RF[0-9A-Z]+$', '') FROM mail_job WHERE kind = 'thank_you' ORDER BY 2, 1")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(texts.len(), 6);
    for pair in texts.chunks(2) {
        assert_eq!(pair[0], pair[1]);
    }
}
