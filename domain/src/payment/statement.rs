// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Bank statements: importing a statement file's entries, matching incoming transfers to the
//! pledges their creditor reference names, and the staff work on what did not match
//! (`cdb-admin payments import | unmatched | assign | flagged | resolve`, docs/payments.md).
//!
//! The rules, in the order they are applied to each entry:
//! - a file is imported once: its SHA-256 is stored, and importing it again changes nothing;
//! - an entry whose bank reference (camt `AcctSvcrRef`) was imported before, from an
//!   overlapping statement (a daily and a monthly one), is `ignored` as a duplicate;
//! - only incoming transfers are donations: debits, returned transfers and provider payouts are
//!   `ignored` with a note (the donations in a payout are recorded from the provider's events);
//! - a credit's reference is its structured reference if that is a valid ISO 11649 reference,
//!   else the first valid one in its remittance text ([`CreditorReference::find_in`]); a
//!   mistyped reference (wrong check digits) is no reference;
//! - a reference naming a pledge whose currency or amount differs, or a cancelled pledge
//!   ([`payment::mismatch`]), and a credit in a currency the organisation does not accept that
//!   no pledge explains, are `flagged` for staff (as [`flag::raise`] does) and never applied;
//! - every other credit with the reference of a pledge is `matched`: registered as a bank
//!   payment of that pledge, keyed by the bank reference (so a booking seen in two statements
//!   is one payment) or else by `{file sha256}:{position}`, with the thank-you mail queued;
//! - what is left is `unmatched`, for staff to [`assign`] to a pledge or a person.
//!
//! A statement of a year (100,000 entries) is imported in one transaction in a few seconds: the
//! entries, the payments, the pledges' updates, the audit rows and the mails are written with
//! one `UNNEST` statement each instead of one round trip per row. That bulk path applies the
//! rules of [`payment::register`], which stays the one definition: assigning by hand uses it,
//! the import falls back to it where a refund is waiting for a payment's key (which only
//! `register` applies), and the tests run both paths on the same statement and compare.

use super::flag::{self, Flag, Reason};
use super::kinds::{Period, PledgeStatus, Provider};
use super::money::{Currency, Money};
use super::notice::{PaymentWriter, Thanks};
use super::payment::{self, NewPayment, Registered};
use super::pledge::{self, Pledge};
use super::reference::CreditorReference;
use super::{EndedBy, Method};
use crate::audit::{self, Action, Actor, Origin};
use crate::mail::MailKind;
use crate::types::{EntryId, FlagId, InvalidValue, Language, PaymentId, PersonId, PledgeId};
use crate::types::{Field, Problem};
use crate::{DomainError, Result};
use serde_json::{Value, json};
use sqlx::{PgExecutor, PgPool, Postgres, Transaction};
use std::collections::{HashMap, HashSet};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// The file format a statement was read from (`statement_format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, sqlx::Type)]
#[sqlx(type_name = "statement_format", rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum StatementFormat {
    Camt053,
    Csv,
}

/// The statement file as read from disk: its hash makes a second import of it a no-op.
#[derive(Debug, Clone)]
pub struct StatementFile {
    pub sha256: [u8; 32],
    /// The name it was imported from (shown to staff; at most 255 characters are kept).
    pub file_name: String,
    pub format: StatementFormat,
}

/// What kind of movement an entry is, as far as its file tells (the parser decides).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// An ordinary transfer: for a credit, possibly a donation.
    Transfer,
    /// A returned or reversed transfer: never a donation.
    Returned,
    /// A payment provider paying out what it collected: its donations are recorded already.
    Payout,
}

/// One entry of a statement, as parsed (`providers::bank::StatementEntry`).
#[derive(Debug, Clone)]
pub struct NewEntry {
    /// 1-based place in the file.
    pub position: u32,
    pub booking_date: Date,
    /// Positive; the direction is `is_credit`.
    pub amount: Money,
    pub is_credit: bool,
    /// The bank's own reference of the booking (camt `AcctSvcrRef`).
    pub bank_reference: Option<String>,
    pub remittance: Option<String>,
    pub structured_reference: Option<String>,
    pub counterparty_name: Option<String>,
    pub counterparty_iban: Option<String>,
    pub kind: EntryKind,
}

/// Where an entry stands (`entry_state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, sqlx::Type)]
#[sqlx(type_name = "entry_state", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum EntryState {
    /// Registered as a payment (`payment`).
    Matched,
    /// A credit that names no pledge: for staff to assign.
    Unmatched,
    /// Not a donation (debit, returned transfer, payout) or a duplicate; `note` says which.
    Ignored,
    /// Stored, not applied: a flag says why.
    Flagged,
}

impl EntryState {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryState::Matched => "matched",
            EntryState::Unmatched => "unmatched",
            EntryState::Ignored => "ignored",
            EntryState::Flagged => "flagged",
        }
    }
}

/// How many entries of an import ended in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub matched: usize,
    pub unmatched: usize,
    pub ignored: usize,
    pub flagged: usize,
    /// New payments (a matched entry whose booking was registered before adds none).
    pub payments: usize,
}

impl Counts {
    pub fn entries(&self) -> usize {
        self.matched + self.unmatched + self.ignored + self.flagged
    }

    fn add(&mut self, state: EntryState) {
        match state {
            EntryState::Matched => self.matched += 1,
            EntryState::Unmatched => self.unmatched += 1,
            EntryState::Ignored => self.ignored += 1,
            EntryState::Flagged => self.flagged += 1,
        }
    }
}

/// What [`import`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportOutcome {
    /// This file (by its SHA-256) was imported before: nothing changed.
    AlreadyImported {
        statement: Uuid,
        file_name: String,
        imported_at: OffsetDateTime,
    },
    Imported {
        statement: Uuid,
        counts: Counts,
    },
}

/// The longest texts the columns take; longer free texts are cut (they are for people to read).
const MAX_TEXT: usize = 255;
const MAX_REMITTANCE: usize = 2000;
const MAX_IBAN: usize = 64;

fn cut(text: Option<&str>, max: usize) -> Option<String> {
    let text = text?.trim();
    if text.is_empty() {
        return None;
    }
    Some(match text.char_indices().nth(max) {
        Some((at, _)) => text[..at].to_owned(),
        None => text.to_owned(),
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The name the statement, settled entries and resolved flags record as who did it.
fn actor_name(actor: &Actor) -> String {
    match actor {
        Actor::Staff(name) | Actor::Service(name) => name.clone(),
        Actor::Person(id) => id.to_string(),
        Actor::System => "system".into(),
    }
}

/// The bank reference, if usable as a payment key (a longer one cannot be; camt's are at most
/// 35 characters).
fn usable_bank_reference(reference: Option<&str>) -> Option<&str> {
    reference.map(str::trim).filter(|r| !r.is_empty() && r.chars().count() <= MAX_TEXT)
}

/// A bank payment's key: the bank's reference of the booking, so the same booking in two
/// overlapping statements is one payment; without one, the file and the entry's place in it.
pub fn payment_key(bank_reference: Option<&str>, sha256: &[u8], position: u32) -> String {
    match usable_bank_reference(bank_reference) {
        Some(reference) => reference.to_owned(),
        None => format!("{}:{position}", hex(sha256)),
    }
}

/// The creditor reference a credit carries: the structured one if it is valid, else the first
/// valid one in the remittance text.
pub fn reference_of(structured: Option<&str>, remittance: Option<&str>) -> Option<CreditorReference> {
    structured
        .and_then(|s| CreditorReference::parse(s).ok())
        .or_else(|| remittance.and_then(CreditorReference::find_in))
}

/// What the rules make of an entry before any pledge is looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Plan {
    Ignore(String),
    Credit(Option<CreditorReference>),
}

fn plan(entry: &NewEntry) -> Plan {
    if !entry.is_credit {
        return Plan::Ignore("debit".into());
    }
    match entry.kind {
        EntryKind::Returned => Plan::Ignore("returned transfer".into()),
        EntryKind::Payout => {
            Plan::Ignore("payout of a payment provider (its donations are recorded from the provider)".into())
        }
        EntryKind::Transfer => {
            Plan::Credit(reference_of(entry.structured_reference.as_deref(), entry.remittance.as_deref()))
        }
    }
}

/// The decision for one entry.
#[derive(Debug, Clone)]
struct Decision {
    state: EntryState,
    note: Option<String>,
    /// Matched: the pledge to register the payment for.
    pledge: Option<usize>,
    /// Flagged: why, and the pledge concerned.
    flag: Option<(Reason, Option<usize>)>,
    reference: Option<CreditorReference>,
}

impl Decision {
    fn of(state: EntryState, note: impl Into<String>) -> Self {
        Self { state, note: Some(note.into()), pledge: None, flag: None, reference: None }
    }
}

fn decide(
    entry: &NewEntry,
    plan: Plan,
    pledges: &[Pledge],
    by_reference: &HashMap<String, usize>,
    accepted: &[Currency],
) -> Decision {
    let reference = match plan {
        Plan::Ignore(note) => return Decision::of(EntryState::Ignored, note),
        Plan::Credit(reference) => reference,
    };
    let found = reference.as_ref().and_then(|r| by_reference.get(r.as_str()).copied());
    let mut decision = match found {
        Some(index) => match payment::mismatch(&pledges[index], entry.amount) {
            Some(reason) => Decision {
                state: EntryState::Flagged,
                note: Some(reason.as_str().to_owned()),
                pledge: None,
                flag: Some((reason, Some(index))),
                reference: None,
            },
            None => Decision {
                state: EntryState::Matched,
                note: None,
                pledge: Some(index),
                flag: None,
                reference: None,
            },
        },
        None if !accepted.is_empty() && !accepted.contains(&entry.amount.currency) => Decision {
            state: EntryState::Flagged,
            note: Some(format!("{} is not an accepted currency", entry.amount.currency)),
            pledge: None,
            flag: Some((Reason::CurrencyMismatch, None)),
            reference: None,
        },
        None => match &reference {
            Some(r) => {
                Decision::of(EntryState::Unmatched, format!("reference {} names no pledge", r.as_str()))
            }
            None => Decision::of(EntryState::Unmatched, "no valid creditor reference"),
        },
    };
    decision.reference = reference;
    decision
}

/// How matched entries are registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(not(feature = "testing"), allow(dead_code))]
enum Registration {
    /// One statement per table for the whole file.
    Bulk,
    /// [`payment::register`] for each entry (the reference the bulk path is tested against).
    OneByOne,
}

/// Imports a statement's entries in one transaction (see the module docs for the rules).
/// `accepted` are the organisation's currencies (`payments.currencies`): a credit in another
/// currency that no pledge explains is flagged; empty accepts any. Entries must have positive
/// amounts and distinct positions.
#[tracing::instrument(name = "statement::import", skip_all, fields(file = %file.file_name, entries = entries.len()))]
pub async fn import(
    pool: &PgPool,
    origin: Origin<'_>,
    file: &StatementFile,
    entries: &[NewEntry],
    accepted: &[Currency],
    writer: &dyn PaymentWriter,
) -> Result<ImportOutcome> {
    import_with(pool, origin, file, entries, accepted, writer, Registration::Bulk).await
}

/// [`import`], registering every matched entry with [`payment::register`] one by one: for tests
/// that check the bulk path against it.
#[cfg(feature = "testing")]
pub async fn import_one_by_one(
    pool: &PgPool,
    origin: Origin<'_>,
    file: &StatementFile,
    entries: &[NewEntry],
    accepted: &[Currency],
    writer: &dyn PaymentWriter,
) -> Result<ImportOutcome> {
    import_with(pool, origin, file, entries, accepted, writer, Registration::OneByOne).await
}

/// A matched entry on its way to a payment.
struct Match {
    entry: usize,
    pledge: usize,
    key: String,
}

async fn import_with(
    pool: &PgPool,
    origin: Origin<'_>,
    file: &StatementFile,
    entries: &[NewEntry],
    accepted: &[Currency],
    writer: &dyn PaymentWriter,
    registration: Registration,
) -> Result<ImportOutcome> {
    let mut positions = HashSet::with_capacity(entries.len());
    for entry in entries {
        if entry.amount.minor <= 0 {
            return Err(InvalidValue::new(Field::Amount, Problem::TooSmall).into());
        }
        if i32::try_from(entry.position).is_err() || !positions.insert(entry.position) {
            return Err(DomainError::Conflict("statement entry position"));
        }
    }
    let file_name = cut(Some(&file.file_name), MAX_TEXT).unwrap_or_else(|| "statement".into());
    let imported_by = actor_name(origin.actor);
    let mut tx = pool.begin().await?;
    // A concurrent import of the same file waits here for the other to commit, then finds it.
    let statement = sqlx::query_scalar!(
        r#"INSERT INTO bank_statement (sha256, file_name, format, imported_by) VALUES ($1, $2, $3, $4)
           ON CONFLICT (sha256) DO NOTHING RETURNING id"#,
        &file.sha256[..],
        file_name,
        file.format as StatementFormat,
        cut(Some(&imported_by), MAX_TEXT).unwrap_or_else(|| "unknown".into()),
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(statement) = statement else {
        let known = sqlx::query!(
            "SELECT id, file_name, imported_at FROM bank_statement WHERE sha256 = $1",
            &file.sha256[..]
        )
        .fetch_one(&mut *tx)
        .await?;
        return Ok(ImportOutcome::AlreadyImported {
            statement: known.id,
            file_name: known.file_name,
            imported_at: known.imported_at,
        });
    };

    // Bookings imported before from another statement, by bank reference.
    let bank_references: Vec<String> = entries
        .iter()
        .filter_map(|e| usable_bank_reference(e.bank_reference.as_deref()).map(str::to_owned))
        .collect();
    let earlier: HashMap<String, String> = sqlx::query!(
        r#"SELECT DISTINCT ON (e.bank_reference) e.bank_reference AS "reference!", s.file_name, e.position
           FROM UNNEST($1::text[]) AS r (reference)
           JOIN bank_statement_entry e ON e.bank_reference = r.reference
           JOIN bank_statement s ON s.id = e.statement_id
           ORDER BY e.bank_reference, s.imported_at, e.position"#,
        &bank_references,
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|r| (r.reference, format!("already imported from {} (entry {})", r.file_name, r.position)))
    .collect();

    let plans: Vec<Plan> = entries.iter().map(plan).collect();
    let references: Vec<String> = plans
        .iter()
        .filter_map(|p| match p {
            Plan::Credit(Some(reference)) => Some(reference.as_str().to_owned()),
            _ => None,
        })
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let pledges = lock_by_references(&mut tx, &references).await?;
    let by_reference: HashMap<String, usize> =
        pledges.iter().enumerate().map(|(i, p)| (p.reference.as_str().to_owned(), i)).collect();

    let mut seen_in_file: HashMap<&str, u32> = HashMap::new();
    let mut decisions = Vec::with_capacity(entries.len());
    let mut matches = Vec::new();
    for (index, (entry, plan)) in entries.iter().zip(plans).enumerate() {
        let bank_reference = usable_bank_reference(entry.bank_reference.as_deref());
        let duplicate = bank_reference.and_then(|r| match seen_in_file.get(r) {
            Some(first) => Some(format!("same bank reference as entry {first} of this file")),
            None => {
                seen_in_file.insert(r, entry.position);
                earlier.get(r).cloned()
            }
        });
        let decision = match duplicate {
            Some(note) => Decision::of(EntryState::Ignored, note),
            None => decide(entry, plan, &pledges, &by_reference, accepted),
        };
        if let Some(pledge) = decision.pledge {
            let key = payment_key(entry.bank_reference.as_deref(), &file.sha256, entry.position);
            matches.push(Match { entry: index, pledge, key });
        }
        decisions.push(decision);
    }

    let entry_ids: Vec<Uuid> = entries.iter().map(|_| Uuid::new_v4()).collect();
    let mut payment_of: Vec<Option<Uuid>> = vec![None; entries.len()];
    let new_payments = match registration {
        Registration::Bulk => {
            register_bulk(&mut tx, origin, entries, &pledges, &matches, &mut payment_of, writer).await?
        }
        Registration::OneByOne => {
            let mut new = 0;
            for m in &matches {
                let entry = &entries[m.entry];
                let registered =
                    register_entry(&mut tx, origin, &m.key, Some(pledges[m.pledge].id), entry, writer)
                        .await?;
                new += usize::from(matches!(registered, Registered::New(_)));
                payment_of[m.entry] = Some(registered.id().as_uuid());
            }
            new
        }
    };

    insert_entries(&mut tx, statement, entries, &entry_ids, &decisions, &payment_of).await?;

    let mut counts = Counts { payments: new_payments, ..Counts::default() };
    let mut flags = Flags::default();
    for (index, decision) in decisions.iter().enumerate() {
        counts.add(decision.state);
        let Some((reason, pledge)) = decision.flag else { continue };
        let entry = &entries[index];
        let pledge = pledge.map(|i| &pledges[i]);
        flags.reasons.push(reason.as_str());
        flags.entries.push(entry_ids[index]);
        flags.pledges.push(pledge.map(|p| p.id.as_uuid()));
        flags.details.push(json!({
            "file": file_name, "position": entry.position, "booking_date": entry.booking_date.to_string(),
            "amount_minor": entry.amount.minor, "currency": entry.amount.currency,
            "reference": decision.reference.as_ref().map(CreditorReference::as_str),
            "pledge_amount_minor": pledge.map(|p| p.amount.minor),
            "pledge_currency": pledge.map(|p| p.amount.currency),
            "counterparty": entry.counterparty_name,
        }));
    }
    raise_flags(&mut tx, &flags).await?;
    audit::record(
        &mut tx,
        origin,
        None,
        Action::StatementImported,
        json!({ "statement": statement, "file": file_name, "sha256": hex(&file.sha256), "format": file.format,
                "entries": counts.entries(), "matched": counts.matched, "unmatched": counts.unmatched,
                "ignored": counts.ignored, "flagged": counts.flagged, "payments": counts.payments }),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(?counts, "statement imported");
    Ok(ImportOutcome::Imported { statement, counts })
}

/// The flags of one import, column by column.
#[derive(Default)]
struct Flags {
    reasons: Vec<&'static str>,
    entries: Vec<Uuid>,
    pledges: Vec<Option<Uuid>>,
    details: Vec<Value>,
}

/// [`flag::raise`] for every flagged entry of a file, with one statement: a statement with
/// thousands of foreign-currency credits (one in twenty in the benchmark) would otherwise spend
/// a second on round trips. Same rows, and one log line for all of them.
async fn raise_flags(tx: &mut Transaction<'_, Postgres>, flags: &Flags) -> Result<()> {
    if flags.reasons.is_empty() {
        return Ok(());
    }
    tracing::warn!(
        count = flags.reasons.len(),
        provider = Provider::Bank.as_str(),
        "statement entries flagged for staff"
    );
    sqlx::query!(
        r#"INSERT INTO payment_flag (reason, provider, entry_id, pledge_id, details)
           SELECT reason, 'bank', entry, pledge, details
           FROM UNNEST($1::text[], $2::uuid[], $3::uuid[], $4::jsonb[]) AS t (reason, entry, pledge, details)"#,
        &flags.reasons as &[&str],
        &flags.entries,
        &flags.pledges as &[Option<Uuid>],
        &flags.details,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The pledges the references name, locked (as [`payment::register`] locks its pledge), in
/// id order so two imports cannot deadlock.
async fn lock_by_references(
    tx: &mut Transaction<'_, Postgres>,
    references: &[String],
) -> Result<Vec<Pledge>> {
    let rows = sqlx::query!(
        r#"SELECT id AS "id: PledgeId", person_id AS "person_id: PersonId", amount_minor, currency,
                  period AS "period: Period", method AS "method: Method", status AS "status: PledgeStatus",
                  reference, starts_on, next_expected_on, ended_by AS "ended_by: EndedBy", created_at
           FROM pledge WHERE reference = ANY($1) ORDER BY id FOR UPDATE"#,
        references,
    )
    .fetch_all(&mut **tx)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(Pledge {
                id: r.id,
                person: r.person_id,
                amount: Money::new(r.amount_minor, Currency::parse(&r.currency)?),
                period: r.period,
                method: r.method,
                status: r.status,
                reference: CreditorReference::from_db(r.reference),
                starts_on: r.starts_on,
                next_expected_on: r.next_expected_on,
                ended_by: r.ended_by,
                created_at: r.created_at,
            })
        })
        .collect()
}

/// Registers one entry's payment with [`payment::register`] (the rules' one definition).
async fn register_entry(
    tx: &mut Transaction<'_, Postgres>,
    origin: Origin<'_>,
    key: &str,
    pledge: Option<PledgeId>,
    entry: &NewEntry,
    writer: &dyn PaymentWriter,
) -> Result<Registered> {
    let new = NewPayment {
        provider: Provider::Bank,
        object_id: key,
        aliases: &[],
        pledge,
        amount: entry.amount,
        fee_minor: None,
        booked_on: entry.booking_date,
    };
    payment::register(tx, origin, &new, writer).await
}

/// [`payment::register`] for many entries at once, with the same effects: one payment per key
/// (a known key registers nothing and links the entry to the payment it names), the audit row
/// of each new payment, its pledge marked paid, and the thank-you mail to the pledge's person
/// at their confirmed primary address. Keys a refund or dispute waits for go through
/// `register` itself, which applies those. Returns how many payments are new.
async fn register_bulk(
    tx: &mut Transaction<'_, Postgres>,
    origin: Origin<'_>,
    entries: &[NewEntry],
    pledges: &[Pledge],
    matches: &[Match],
    payment_of: &mut [Option<Uuid>],
    writer: &dyn PaymentWriter,
) -> Result<usize> {
    if matches.is_empty() {
        return Ok(0);
    }
    let keys: Vec<String> = matches.iter().map(|m| m.key.clone()).collect();
    let waiting: HashSet<String> = sqlx::query_scalar!(
        r#"SELECT DISTINCT payment_key FROM payment_adjustment
           WHERE provider = 'bank' AND payment_key = ANY($1) AND applied_at IS NULL AND payment_id IS NULL"#,
        &keys,
    )
    .fetch_all(&mut **tx)
    .await?
    .into_iter()
    .collect();
    let mut new_count = 0;
    let (slow, bulk): (Vec<&Match>, Vec<&Match>) = matches.iter().partition(|m| waiting.contains(&m.key));
    for m in slow {
        let registered =
            register_entry(tx, origin, &m.key, Some(pledges[m.pledge].id), &entries[m.entry], writer).await?;
        new_count += usize::from(matches!(registered, Registered::New(_)));
        payment_of[m.entry] = Some(registered.id().as_uuid());
    }
    if bulk.is_empty() {
        return Ok(new_count);
    }

    let ids: Vec<Uuid> = bulk.iter().map(|_| Uuid::new_v4()).collect();
    let keys: Vec<String> = bulk.iter().map(|m| m.key.clone()).collect();
    let pledge_ids: Vec<Uuid> = bulk.iter().map(|m| pledges[m.pledge].id.as_uuid()).collect();
    let persons: Vec<Option<Uuid>> =
        bulk.iter().map(|m| pledges[m.pledge].person.map(PersonId::as_uuid)).collect();
    let amounts: Vec<i64> = bulk.iter().map(|m| entries[m.entry].amount.minor).collect();
    let currencies: Vec<String> =
        bulk.iter().map(|m| entries[m.entry].amount.currency.as_str().to_owned()).collect();
    let booked: Vec<Date> = bulk.iter().map(|m| entries[m.entry].booking_date).collect();
    let inserted: HashSet<Uuid> = sqlx::query_scalar!(
        r#"INSERT INTO payment (id, provider, provider_object_id, pledge_id, person_id, amount_minor, currency, booked_on)
           SELECT id, 'bank', key, pledge, person, amount, currency, booked
           FROM UNNEST($1::uuid[], $2::text[], $3::uuid[], $4::uuid[], $5::bigint[], $6::text[], $7::date[])
                AS t (id, key, pledge, person, amount, currency, booked)
           ON CONFLICT (provider, provider_object_id) DO NOTHING
           RETURNING id"#,
        &ids,
        &keys,
        &pledge_ids,
        &persons as &[Option<Uuid>],
        &amounts,
        &currencies,
        &booked,
    )
    .fetch_all(&mut **tx)
    .await?
    .into_iter()
    .collect();
    // Keys registered before (another import that overlapped, or a payment assigned by hand).
    let known_keys: Vec<String> =
        bulk.iter().zip(&ids).filter(|(_, id)| !inserted.contains(id)).map(|(m, _)| m.key.clone()).collect();
    let known: HashMap<String, Uuid> = if known_keys.is_empty() {
        HashMap::new()
    } else {
        sqlx::query!(
            r#"SELECT provider_object_id, id FROM payment WHERE provider = 'bank' AND provider_object_id = ANY($1)"#,
            &known_keys,
        )
        .fetch_all(&mut **tx)
        .await?
        .into_iter()
        .map(|r| (r.provider_object_id, r.id))
        .collect()
    };

    let mut new: Vec<(&Match, Uuid)> = Vec::with_capacity(inserted.len());
    for (m, id) in bulk.iter().zip(&ids) {
        if inserted.contains(id) {
            payment_of[m.entry] = Some(*id);
            new.push((m, *id));
        } else {
            let id = known.get(&m.key).copied().ok_or(DomainError::NotFound("payment"))?;
            payment_of[m.entry] = Some(id);
        }
    }
    new_count += new.len();
    if new.is_empty() {
        return Ok(new_count);
    }

    // The audit row of each new payment, as `register` writes it.
    let details: Vec<Value> = new
        .iter()
        .map(|(m, id)| {
            let amount = entries[m.entry].amount;
            json!({ "payment": id, "provider": Provider::Bank, "object": m.key, "pledge": pledges[m.pledge].id,
                    "amount_minor": amount.minor, "currency": amount.currency })
        })
        .collect();
    let subjects: Vec<Option<Uuid>> =
        new.iter().map(|(m, _)| pledges[m.pledge].person.map(PersonId::as_uuid)).collect();
    audit_many(tx, origin, Action::PaymentRegistered, &subjects, &details).await?;

    // Each pledge paid: `pledge::record_paid` once per payment comes to the latest due date
    // (the same rules, for many pledges in one statement).
    let mut next: HashMap<usize, Option<Date>> = HashMap::new();
    for (m, _) in &new {
        let due = pledges[m.pledge].period.next_after(entries[m.entry].booking_date);
        let slot = next.entry(m.pledge).or_insert(due);
        *slot = (*slot).max(due);
    }
    let (paid_ids, paid_next): (Vec<Uuid>, Vec<Option<Date>>) =
        next.into_iter().map(|(i, due)| (pledges[i].id.as_uuid(), due)).unzip();
    sqlx::query!(
        r#"UPDATE pledge SET
             status = CASE WHEN status = 'pending' THEN 'active'::pledge_status
                           WHEN status = 'needs_renewal' AND method = 'bank_transfer'
                                AND renewal_reason <> 'provider_dropped' THEN 'active'::pledge_status
                           ELSE status END,
             renewal_reason = CASE WHEN status = 'needs_renewal' AND method = 'bank_transfer'
                                        AND renewal_reason <> 'provider_dropped' THEN NULL ELSE renewal_reason END,
             failing_since = NULL,
             next_expected_on = CASE WHEN t.next IS NULL THEN NULL
                                     ELSE GREATEST(COALESCE(next_expected_on, t.next), t.next) END,
             updated_at = now()
           FROM UNNEST($1::uuid[], $2::date[]) AS t (id, next)
           WHERE pledge.id = t.id"#,
        &paid_ids,
        &paid_next as &[Option<Date>],
    )
    .execute(&mut **tx)
    .await?;

    let thanks: Vec<Thankful<'_>> = new
        .iter()
        .filter_map(|(m, _)| {
            let pledge = &pledges[m.pledge];
            let entry = &entries[m.entry];
            pledge.person.map(|person| Thankful {
                person,
                pledge,
                amount: entry.amount,
                booked_on: entry.booking_date,
            })
        })
        .collect();
    queue_thanks_many(tx, &thanks, writer).await?;
    Ok(new_count)
}

/// Audit rows for many changes of one kind, as [`audit::record`] writes each.
async fn audit_many(
    tx: &mut Transaction<'_, Postgres>,
    origin: Origin<'_>,
    action: Action,
    subjects: &[Option<Uuid>],
    details: &[Value],
) -> Result<()> {
    let (kind, person, name) = match origin.actor {
        Actor::Person(id) => ("person", Some(id.as_uuid()), None),
        Actor::Staff(name) => ("staff", None, Some(name.as_str())),
        Actor::Service(name) => ("service", None, Some(name.as_str())),
        Actor::System => ("system", None, None),
    };
    sqlx::query!(
        r#"INSERT INTO audit_log (actor_kind, actor_person_id, actor_name, subject_person_id, action, details, source)
           SELECT $1::text::actor_kind, $2, $3, subject, $4, details, $5
           FROM UNNEST($6::uuid[], $7::jsonb[]) AS t (subject, details)"#,
        kind,
        person,
        name,
        action.as_str(),
        origin.source,
        subjects as &[Option<Uuid>],
        details,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A payment to thank for.
struct Thankful<'a> {
    person: PersonId,
    pledge: &'a Pledge,
    amount: Money,
    booked_on: Date,
}

/// `payment::queue_thanks` for many payments: the mails are written here and queued with one
/// statement; a person without a confirmed primary address gets none.
async fn queue_thanks_many(
    tx: &mut Transaction<'_, Postgres>,
    thanks: &[Thankful<'_>],
    writer: &dyn PaymentWriter,
) -> Result<()> {
    if thanks.is_empty() {
        return Ok(());
    }
    let persons: Vec<Uuid> =
        thanks.iter().map(|t| t.person.as_uuid()).collect::<HashSet<_>>().into_iter().collect();
    let recipients: HashMap<Uuid, (String, String, String)> = sqlx::query!(
        r#"SELECT p.id, p.display_name, p.preferred_language, e.address
           FROM person p JOIN email_address e ON e.person_id = p.id AND e.is_primary AND e.verified_at IS NOT NULL
           WHERE p.id = ANY($1)"#,
        &persons,
    )
    .fetch_all(&mut **tx)
    .await?
    .into_iter()
    .map(|r| (r.id, (r.display_name, r.preferred_language, r.address)))
    .collect();
    let mut to_persons = Vec::new();
    let mut addresses = Vec::new();
    let mut subjects = Vec::new();
    let mut bodies = Vec::new();
    for t in thanks {
        let Some((name, language, address)) = recipients.get(&t.person.as_uuid()) else { continue };
        let language = Language::try_from(language.as_str()).unwrap_or(Language::English);
        let (subject, body) = writer.thank_you(
            language,
            &Thanks {
                name,
                amount: t.amount,
                booked_on: t.booked_on,
                period: t.pledge.period,
                reference: Some(&t.pledge.reference),
            },
        );
        // As `mail::enqueue` does: a line break in a subject is always our bug.
        to_persons.push(t.person.as_uuid());
        addresses.push(address.clone());
        subjects.push(subject.chars().map(|c| if c.is_control() { ' ' } else { c }).collect::<String>());
        bodies.push(body);
    }
    sqlx::query!(
        r#"INSERT INTO mail_job (kind, person_id, recipient, subject, body)
           SELECT $1, person, recipient, subject, body
           FROM UNNEST($2::uuid[], $3::text[], $4::text[], $5::text[]) AS t (person, recipient, subject, body)"#,
        MailKind::ThankYou.as_str(),
        &to_persons,
        &addresses,
        &subjects,
        &bodies,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn insert_entries(
    tx: &mut Transaction<'_, Postgres>,
    statement: Uuid,
    entries: &[NewEntry],
    ids: &[Uuid],
    decisions: &[Decision],
    payments: &[Option<Uuid>],
) -> Result<()> {
    let positions: Vec<i32> = entries.iter().map(|e| i32::try_from(e.position).unwrap_or(i32::MAX)).collect();
    let dates: Vec<Date> = entries.iter().map(|e| e.booking_date).collect();
    let amounts: Vec<i64> = entries.iter().map(|e| e.amount.minor).collect();
    let currencies: Vec<String> = entries.iter().map(|e| e.amount.currency.as_str().to_owned()).collect();
    let credits: Vec<bool> = entries.iter().map(|e| e.is_credit).collect();
    let bank_references: Vec<Option<String>> = entries
        .iter()
        .map(|e| usable_bank_reference(e.bank_reference.as_deref()).map(str::to_owned))
        .collect();
    let remittances: Vec<Option<String>> =
        entries.iter().map(|e| cut(e.remittance.as_deref(), MAX_REMITTANCE)).collect();
    let structured: Vec<Option<String>> =
        entries.iter().map(|e| cut(e.structured_reference.as_deref(), MAX_TEXT)).collect();
    let names: Vec<Option<String>> =
        entries.iter().map(|e| cut(e.counterparty_name.as_deref(), MAX_TEXT)).collect();
    let ibans: Vec<Option<String>> =
        entries.iter().map(|e| cut(e.counterparty_iban.as_deref(), MAX_IBAN)).collect();
    let states: Vec<String> = decisions.iter().map(|d| d.state.as_str().to_owned()).collect();
    let notes: Vec<Option<String>> = decisions.iter().map(|d| cut(d.note.as_deref(), MAX_TEXT)).collect();
    sqlx::query!(
        r#"INSERT INTO bank_statement_entry
             (id, statement_id, position, booking_date, amount_minor, currency, is_credit, bank_reference,
              remittance, structured_reference, counterparty_name, counterparty_iban, state, note, payment_id)
           SELECT id, $1, position, booking_date, amount_minor, currency, is_credit, bank_reference,
                  remittance, structured_reference, counterparty_name, counterparty_iban, state::entry_state, note, payment_id
           FROM UNNEST($2::uuid[], $3::int[], $4::date[], $5::bigint[], $6::text[], $7::bool[], $8::text[],
                       $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::uuid[])
                AS t (id, position, booking_date, amount_minor, currency, is_credit, bank_reference,
                      remittance, structured_reference, counterparty_name, counterparty_iban, state, note, payment_id)"#,
        statement,
        ids,
        &positions,
        &dates,
        &amounts,
        &currencies,
        &credits,
        &bank_references as &[Option<String>],
        &remittances as &[Option<String>],
        &structured as &[Option<String>],
        &names as &[Option<String>],
        &ibans as &[Option<String>],
        &states,
        &notes as &[Option<String>],
        payments as &[Option<Uuid>],
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A stored entry, as staff see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub id: EntryId,
    pub statement: Uuid,
    pub file_name: String,
    pub position: i32,
    pub booking_date: Date,
    pub amount: Money,
    pub is_credit: bool,
    pub bank_reference: Option<String>,
    pub remittance: Option<String>,
    pub structured_reference: Option<String>,
    pub counterparty_name: Option<String>,
    pub counterparty_iban: Option<String>,
    pub state: EntryState,
    pub note: Option<String>,
    pub payment: Option<PaymentId>,
    pub settled_at: Option<OffsetDateTime>,
    pub settled_by: Option<String>,
}

struct EntryRow {
    id: EntryId,
    statement_id: Uuid,
    file_name: String,
    position: i32,
    booking_date: Date,
    amount_minor: i64,
    currency: String,
    is_credit: bool,
    bank_reference: Option<String>,
    remittance: Option<String>,
    structured_reference: Option<String>,
    counterparty_name: Option<String>,
    counterparty_iban: Option<String>,
    state: EntryState,
    note: Option<String>,
    payment: Option<PaymentId>,
    settled_at: Option<OffsetDateTime>,
    settled_by: Option<String>,
}

impl EntryRow {
    fn into_entry(self) -> Result<Entry> {
        Ok(Entry {
            id: self.id,
            statement: self.statement_id,
            file_name: self.file_name,
            position: self.position,
            booking_date: self.booking_date,
            amount: Money::new(self.amount_minor, Currency::parse(&self.currency)?),
            is_credit: self.is_credit,
            bank_reference: self.bank_reference,
            remittance: self.remittance,
            structured_reference: self.structured_reference,
            counterparty_name: self.counterparty_name,
            counterparty_iban: self.counterparty_iban,
            state: self.state,
            note: self.note,
            payment: self.payment,
            settled_at: self.settled_at,
            settled_by: self.settled_by,
        })
    }
}

/// Credits no pledge was found for, oldest booking first.
pub async fn unmatched<'e>(executor: impl PgExecutor<'e>) -> Result<Vec<Entry>> {
    let rows = sqlx::query_as!(
        EntryRow,
        r#"SELECT e.id AS "id: EntryId", e.statement_id, s.file_name, e.position, e.booking_date, e.amount_minor,
                  e.currency, e.is_credit, e.bank_reference, e.remittance, e.structured_reference,
                  e.counterparty_name, e.counterparty_iban, e.state AS "state: EntryState", e.note,
                  e.payment_id AS "payment: PaymentId", e.settled_at, e.settled_by
           FROM bank_statement_entry e JOIN bank_statement s ON s.id = e.statement_id
           WHERE e.state = 'unmatched'
           ORDER BY e.booking_date, s.imported_at, e.position"#
    )
    .fetch_all(executor)
    .await?;
    rows.into_iter().map(EntryRow::into_entry).collect()
}

/// One entry.
pub async fn get<'e>(executor: impl PgExecutor<'e>, id: EntryId) -> Result<Option<Entry>> {
    let row = sqlx::query_as!(
        EntryRow,
        r#"SELECT e.id AS "id: EntryId", e.statement_id, s.file_name, e.position, e.booking_date, e.amount_minor,
                  e.currency, e.is_credit, e.bank_reference, e.remittance, e.structured_reference,
                  e.counterparty_name, e.counterparty_iban, e.state AS "state: EntryState", e.note,
                  e.payment_id AS "payment: PaymentId", e.settled_at, e.settled_by
           FROM bank_statement_entry e JOIN bank_statement s ON s.id = e.statement_id
           WHERE e.id = $1"#,
        id as EntryId,
    )
    .fetch_optional(executor)
    .await?;
    row.map(EntryRow::into_entry).transpose()
}

/// An open flag with the statement entry it concerns, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct Flagged {
    pub flag: Flag,
    pub entry: Option<Entry>,
}

/// Open flags (of statements and of webhooks alike), oldest first, with their entries (in
/// file order within one import).
pub async fn flagged(pool: &PgPool) -> Result<Vec<Flagged>> {
    let flags = flag::open(pool).await?;
    let mut out = Vec::with_capacity(flags.len());
    for flag in flags {
        let entry = match flag.entry {
            Some(id) => get(pool, id).await?,
            None => None,
        };
        out.push(Flagged { flag, entry });
    }
    // The flags of one import share their time: show them in file order.
    out.sort_by_key(|f| (f.flag.created_at, f.entry.as_ref().map(|e| (e.statement, e.position))));
    Ok(out)
}

/// Settles a flag with a note saying what staff did ([`flag::resolve`]); a flagged statement
/// entry is then settled too (it stays `flagged`: it was never applied). `false` if the flag
/// was unknown or settled.
pub async fn resolve(pool: &PgPool, origin: Origin<'_>, id: FlagId, note: &str) -> Result<bool> {
    let mut tx = pool.begin().await?;
    let done = flag::resolve(&mut tx, origin, id, note).await?;
    if done {
        sqlx::query!(
            r#"UPDATE bank_statement_entry SET settled_at = now(), settled_by = $2
               WHERE id = (SELECT entry_id FROM payment_flag WHERE id = $1) AND settled_at IS NULL"#,
            id as FlagId,
            cut(Some(&actor_name(origin.actor)), MAX_TEXT),
        )
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(done)
}

/// Whom staff give an entry's money to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A payment of this pledge.
    Pledge(PledgeId),
    /// A one-off gift of this person, without a pledge.
    Person(PersonId),
}

/// What [`assign`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Assigned {
    pub payment: PaymentId,
    /// `false` when the booking was registered before (from an overlapping statement): the entry
    /// now points at that payment and nothing else changed.
    pub new_payment: bool,
    /// Open flags of the entry that were resolved by the assignment.
    pub flags_resolved: usize,
}

/// Why [`assign`] refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AssignRefused {
    #[error("no such statement entry")]
    UnknownEntry,
    #[error("the entry is {}, only unmatched and flagged entries can be assigned", .0.as_str())]
    NotOpen(EntryState),
    #[error("no such pledge")]
    UnknownPledge,
    #[error("no such person")]
    UnknownPerson,
}

/// Registers an unmatched or flagged entry's payment by hand: for a pledge (as the import would
/// have, staff having checked what the rules could not) or as a one-off gift of a person. The
/// entry becomes `matched` and settled, its open flags are resolved, and the thank-you mail is
/// queued as for any payment.
#[tracing::instrument(name = "statement::assign", skip_all, fields(entry = %entry))]
pub async fn assign(
    pool: &PgPool,
    origin: Origin<'_>,
    entry: EntryId,
    target: Target,
    writer: &dyn PaymentWriter,
) -> Result<std::result::Result<Assigned, AssignRefused>> {
    let mut tx = pool.begin().await?;
    let row = sqlx::query!(
        r#"SELECT e.position, e.booking_date, e.amount_minor, e.currency, e.is_credit, e.bank_reference,
                  e.state AS "state: EntryState", e.payment_id, s.sha256
           FROM bank_statement_entry e JOIN bank_statement s ON s.id = e.statement_id
           WHERE e.id = $1 FOR UPDATE OF e"#,
        entry as EntryId,
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else { return Ok(Err(AssignRefused::UnknownEntry)) };
    if !matches!(row.state, EntryState::Unmatched | EntryState::Flagged) || row.payment_id.is_some() {
        return Ok(Err(AssignRefused::NotOpen(row.state)));
    }
    let position = u32::try_from(row.position).unwrap_or_default();
    let key = payment_key(row.bank_reference.as_deref(), &row.sha256, position);
    let new_entry = NewEntry {
        position,
        booking_date: row.booking_date,
        amount: Money::new(row.amount_minor, Currency::parse(&row.currency)?),
        is_credit: row.is_credit,
        bank_reference: row.bank_reference,
        remittance: None,
        structured_reference: None,
        counterparty_name: None,
        counterparty_iban: None,
        kind: EntryKind::Transfer,
    };
    let (registered, subject) = match target {
        Target::Pledge(id) => {
            let Some(pledge) = pledge::get(&mut *tx, id).await? else {
                return Ok(Err(AssignRefused::UnknownPledge));
            };
            (register_entry(&mut tx, origin, &key, Some(id), &new_entry, writer).await?, pledge.person)
        }
        Target::Person(person) => {
            let exists = sqlx::query_scalar!(
                r#"SELECT EXISTS (SELECT 1 FROM person WHERE id = $1) AS "exists!""#,
                person as PersonId
            )
            .fetch_one(&mut *tx)
            .await?;
            if !exists {
                return Ok(Err(AssignRefused::UnknownPerson));
            }
            let registered = register_entry(&mut tx, origin, &key, None, &new_entry, writer).await?;
            if let Registered::New(payment) = registered {
                // `register` knows a payment's person only through its pledge; a gift without
                // one is the person's directly.
                sqlx::query!(
                    "UPDATE payment SET person_id = $2, updated_at = now() WHERE id = $1",
                    payment as PaymentId,
                    person as PersonId,
                )
                .execute(&mut *tx)
                .await?;
                payment::queue_thanks(
                    &mut tx,
                    person,
                    Period::Once,
                    None,
                    new_entry.amount,
                    new_entry.booking_date,
                    writer,
                )
                .await?;
            }
            (registered, Some(person))
        }
    };
    let by = actor_name(origin.actor);
    sqlx::query!(
        r#"UPDATE bank_statement_entry SET state = 'matched', payment_id = $2, settled_at = now(), settled_by = $3,
                  note = 'assigned by hand'
           WHERE id = $1"#,
        entry as EntryId,
        registered.id() as PaymentId,
        cut(Some(&by), MAX_TEXT),
    )
    .execute(&mut *tx)
    .await?;
    let open = sqlx::query_scalar!(
        r#"SELECT id AS "id: FlagId" FROM payment_flag WHERE entry_id = $1 AND resolved_at IS NULL ORDER BY created_at, id"#,
        entry as EntryId,
    )
    .fetch_all(&mut *tx)
    .await?;
    let note = match target {
        Target::Pledge(id) => format!("entry assigned by hand to pledge {id}"),
        Target::Person(id) => format!("entry assigned by hand to person {id} as a one-off gift"),
    };
    let mut flags_resolved = 0;
    for flag in open {
        flags_resolved += usize::from(flag::resolve(&mut tx, origin, flag, &note).await?);
    }
    let (target_kind, target_id) = match target {
        Target::Pledge(id) => ("pledge", id.as_uuid()),
        Target::Person(id) => ("person", id.as_uuid()),
    };
    audit::record(
        &mut tx,
        origin,
        subject,
        Action::StatementEntryAssigned,
        json!({ "entry": entry, "payment": registered.id(), "target": target_kind, "id": target_id,
                "new_payment": matches!(registered, Registered::New(_)), "flags_resolved": flags_resolved }),
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(Assigned {
        payment: registered.id(),
        new_payment: matches!(registered, Registered::New(_)),
        flags_resolved,
    }))
}

/// The person a supporter number belongs to (for staff who assign by supporter number).
pub async fn person_by_supporter_number<'e>(
    executor: impl PgExecutor<'e>,
    number: i64,
) -> Result<Option<PersonId>> {
    Ok(sqlx::query_scalar!(r#"SELECT id AS "id: PersonId" FROM person WHERE supporter_number = $1"#, number)
        .fetch_optional(executor)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn credit(structured: Option<&str>, remittance: Option<&str>) -> NewEntry {
        NewEntry {
            position: 1,
            booking_date: date!(2026 - 12 - 01),
            amount: Money::new(2500, Currency::EUR),
            is_credit: true,
            bank_reference: None,
            remittance: remittance.map(str::to_owned),
            structured_reference: structured.map(str::to_owned),
            counterparty_name: None,
            counterparty_iban: None,
            kind: EntryKind::Transfer,
        }
    }

    fn reference(text: &str) -> Option<CreditorReference> {
        CreditorReference::parse(text).ok()
    }

    #[test]
    fn the_structured_reference_wins_and_a_wrong_one_falls_back_to_the_text() {
        let ours = "RF18539007547034";
        assert_eq!(plan(&credit(Some(ours), Some("RF712348231"))), Plan::Credit(reference(ours)));
        assert_eq!(plan(&credit(None, Some("Spende rf18 5390\n0754 7034"))), Plan::Credit(reference(ours)));
        assert_eq!(
            plan(&credit(Some("RF19539007547034"), Some("RF712348231"))),
            Plan::Credit(reference("RF712348231"))
        );
        assert_eq!(plan(&credit(Some("RF19539007547034"), None)), Plan::Credit(None));
        assert_eq!(plan(&credit(None, Some("Spende RF19 5390 0754 7034"))), Plan::Credit(None));
    }

    #[test]
    fn only_incoming_transfers_are_donations() {
        let mut debit = credit(Some("RF18539007547034"), None);
        debit.is_credit = false;
        assert!(matches!(plan(&debit), Plan::Ignore(note) if note == "debit"));
        for kind in [EntryKind::Returned, EntryKind::Payout] {
            let mut entry = credit(Some("RF18539007547034"), None);
            entry.kind = kind;
            assert!(matches!(plan(&entry), Plan::Ignore(_)), "{kind:?}");
        }
    }

    #[test]
    fn payment_keys_are_the_bank_reference_or_the_place_in_the_file() {
        let sha = [0xab_u8; 32];
        assert_eq!(payment_key(Some(" 2026000001 "), &sha, 7), "2026000001");
        assert_eq!(payment_key(None, &sha, 7), format!("{}:7", "ab".repeat(32)));
        assert_eq!(payment_key(Some(""), &sha, 7), format!("{}:7", "ab".repeat(32)));
        assert_eq!(payment_key(Some(&"x".repeat(256)), &sha, 7), format!("{}:7", "ab".repeat(32)));
    }

    #[test]
    fn long_texts_are_cut_at_a_character() {
        assert_eq!(cut(Some(&"ä".repeat(300)), MAX_TEXT).map(|t| t.chars().count()), Some(255));
        assert_eq!(cut(Some("  "), MAX_TEXT), None);
    }
}
