// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Annual donation statements: once a year, one PDF per supporter with every payment of that
//! year, net of refunds (a German "Sammelbestätigung über Geldzuwendungen" where the
//! organisation issues those).
//!
//! The rules:
//! - [`generate`] issues one statement per person whose payments of the year add up to more
//!   than nothing; running it again changes nothing;
//! - an issued statement is never changed: when a payment on it was refunded since (or a new
//!   payment of that year arrived), `generate` issues a *corrected* statement with the same
//!   serial and the next revision (`2026-000042-2`) that names the number it corrects, and
//!   marks the old one replaced (the row stays);
//! - a payment is on at most one statement that has not been replaced (a unique index);
//! - a person erased since keeps what was issued (the row, without the link to them) and gets
//!   nothing new: their payments have no person any more.
//!
//! Rendering is the caller's ([`Render`], implemented by the `statements` crate), so this crate
//! does not depend on a PDF engine; it runs on blocking threads while the database waits.

use super::money::{Currency, Money};
use crate::audit::{self, Action, Origin};
use crate::mail::{self, MailKind, OutgoingMail};
use crate::payment::notice::{PaymentWriter, StatementNotice};
use crate::types::{Email, Language, PersonId};
use crate::{DomainError, Result};
use serde_json::json;
use sqlx::PgPool;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use time::{Date, Month, OffsetDateTime};
use uuid::Uuid;

/// How many supporters one transaction handles: large enough that the database round trips
/// do not dominate, small enough that a failure loses little work and locks stay short.
const BATCH: usize = 250;

/// The donor as printed on a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Donor {
    pub name: String,
    /// The postal address lines as printed (street, extra line, postal code and city, region,
    /// country); empty when the person gave none.
    pub address: Vec<String>,
}

/// One payment as printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub booked_on: Date,
    /// Net of refunds at the time of issue; always positive.
    pub amount: Money,
    /// The pledge's creditor reference, grouped for people (`RF18 5390 0754 7034`).
    pub reference: Option<String>,
}

/// Everything a renderer needs to draw one statement; no database ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub number: String,
    pub year: i32,
    pub language: Language,
    pub issued_on: Date,
    pub donor: Donor,
    /// By date.
    pub lines: Vec<Line>,
    /// Per currency, in the order of [`Currency::as_str`]; zero only on a correction whose
    /// payments were all refunded.
    pub totals: Vec<Money>,
    /// The number of the statement this one corrects and replaces.
    pub corrects: Option<String>,
}

/// Why a statement could not be drawn.
#[derive(Debug, Clone, thiserror::Error)]
#[error("statement {number} could not be rendered: {message}")]
pub struct RenderError {
    pub number: String,
    pub message: String,
}

/// Draws statements as PDF. Called on a blocking thread with a batch at a time, so an
/// implementation may spread the batch over every core; it returns one result per document,
/// in order.
pub trait Render: Send + Sync {
    fn render(&self, documents: &[Document]) -> Vec<std::result::Result<Vec<u8>, RenderError>>;
}

/// What can stop [`generate`].
#[derive(Debug, thiserror::Error)]
pub enum StatementError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error("year {0} is outside 2000..=2999")]
    Year(i32),
    #[error("the renderer returned {got} documents for {expected}")]
    RendererCount { expected: usize, got: usize },
    #[error("the rendering thread stopped")]
    RenderThread,
}

impl From<sqlx::Error> for StatementError {
    fn from(error: sqlx::Error) -> Self {
        Self::Domain(error.into())
    }
}

/// What [`generate`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Generated {
    /// First statements of the year.
    pub issued: usize,
    /// Corrected statements (each replaces one).
    pub corrected: usize,
    /// Supporters whose current statement is still right.
    pub unchanged: usize,
}

/// Progress of [`generate`]: supporters looked at so far, of how many.
pub type Progress<'a> = &'a (dyn Fn(usize, usize) + Sync);

fn year_range(year: i32) -> std::result::Result<(Date, Date), StatementError> {
    if !(2000..=2999).contains(&year) {
        return Err(StatementError::Year(year));
    }
    let first = Date::from_calendar_date(year, Month::January, 1).map_err(|_| StatementError::Year(year))?;
    let next =
        Date::from_calendar_date(year + 1, Month::January, 1).map_err(|_| StatementError::Year(year))?;
    Ok((first, next))
}

/// The advisory lock key of a year's `generate` runs: a constant namespace in the high half so
/// it cannot collide with other users of advisory locks.
fn year_key(year: i32) -> i64 {
    (0x5354_4154_i64 << 32) | i64::from(year)
}

/// Issues the year's statements (first or corrected) and returns what it did. `issued_on` is
/// the date printed on new statements (time is a parameter, so tests control it).
///
/// One run per year at a time, across every instance and staff member: a second run waits for
/// the first and then finds its work done. The lock is a session lock on a connection of its
/// own that is closed when the run ends, however it ends (an error, a cancelled command), so it
/// can never be left behind in the pool.
///
/// Batches are pipelined: while one batch is stored, the next is rendered, so the database and
/// the renderer's threads work at the same time.
pub async fn generate(
    pool: &PgPool,
    origin: Origin<'_>,
    year: i32,
    issued_on: Date,
    render: Arc<dyn Render>,
    progress: Progress<'_>,
) -> std::result::Result<Generated, StatementError> {
    let range = year_range(year)?;
    let mut guard = pool.acquire().await?.detach();
    sqlx::query!("SELECT pg_advisory_lock($1)", year_key(year)).execute(&mut guard).await?;
    let result = generate_locked(pool, origin, year, range, issued_on, render, progress).await;
    // Closing the connection ends its session and so its lock; an explicit unlock first is
    // tidier in the server log but not needed.
    let _ = sqlx::query_scalar!("SELECT pg_advisory_unlock($1)", year_key(year)).fetch_one(&mut guard).await;
    let _ = sqlx::Connection::close(guard).await;
    result
}

/// A batch on its way: planned and numbered, its PDFs being rendered.
struct InFlight {
    planned: Vec<Planned>,
    documents: Arc<Vec<Document>>,
    numbering: Vec<(i32, i32)>,
    /// The highest serial this batch gives out.
    last_serial: i32,
    pdfs: tokio::task::JoinHandle<Vec<std::result::Result<Vec<u8>, RenderError>>>,
}

async fn generate_locked(
    pool: &PgPool,
    origin: Origin<'_>,
    year: i32,
    (first, next): (Date, Date),
    issued_on: Date,
    render: Arc<dyn Render>,
    progress: Progress<'_>,
) -> std::result::Result<Generated, StatementError> {
    // Everyone who has money on a statement of this year or should have: a person whose only
    // payments were all refunded before any statement does not get one, but a person with a
    // current statement is looked at again, since its payments may have been refunded since.
    let persons = sqlx::query_scalar!(
        r#"SELECT person_id AS "person!: PersonId" FROM payment
           WHERE person_id IS NOT NULL AND booked_on >= $1 AND booked_on < $2
             AND status IN ('received', 'partially_refunded') AND amount_minor > refunded_minor
           UNION
           SELECT person_id FROM annual_statement
           WHERE year = $3 AND replaced_at IS NULL AND person_id IS NOT NULL
           ORDER BY 1"#,
        first,
        next,
        year,
    )
    .fetch_all(pool)
    .await?;
    // Under the run's lock this counter is the only writer of the year's serials; each batch
    // stores how far it got in its own transaction, so a failed batch gives out no number.
    let mut serial = sqlx::query_scalar!("SELECT last FROM annual_statement_serial WHERE year = $1", year)
        .fetch_optional(pool)
        .await?
        .unwrap_or(0);
    let mut done = Generated::default();
    // The batch being rendered, and how many persons were looked at up to and including it.
    let mut in_flight: Option<(InFlight, usize)> = None;
    let mut looked_at = 0;
    for batch in persons.chunks(BATCH) {
        looked_at += batch.len();
        let (unchanged, planned) = plan(pool, year, (first, next), batch).await?;
        done.unchanged += unchanged;
        let next_batch = if planned.is_empty() {
            None
        } else {
            let (documents, numbering) = number(&planned, year, issued_on, &mut serial);
            let documents = Arc::new(documents);
            let (renderer, to_render) = (Arc::clone(&render), Arc::clone(&documents));
            let pdfs = tokio::task::spawn_blocking(move || renderer.render(&to_render));
            Some(InFlight { planned, documents, numbering, last_serial: serial, pdfs })
        };
        // Store the batch before while this one renders.
        if let Some(previous) = in_flight.take() {
            let (stored, seen) = (store(pool, origin, year, previous.0).await?, previous.1);
            done.issued += stored.issued;
            done.corrected += stored.corrected;
            progress(seen, persons.len());
        }
        match next_batch {
            Some(batch) => in_flight = Some((batch, looked_at)),
            None => progress(looked_at, persons.len()),
        }
    }
    if let Some((last, seen)) = in_flight.take() {
        let stored = store(pool, origin, year, last).await?;
        done.issued += stored.issued;
        done.corrected += stored.corrected;
        progress(seen, persons.len());
    }
    Ok(done)
}

/// A statement that should exist, before it has a number.
struct Planned {
    person: PersonId,
    language: Language,
    donor: Donor,
    lines: Vec<(Uuid, Line)>,
    /// (id, serial, revision, number) of the current statement it replaces.
    replaces: Option<(Uuid, i32, i32, String)>,
}

fn address_lines(
    street: Option<String>,
    extra: Option<String>,
    postal_code: Option<String>,
    city: Option<String>,
    region: Option<String>,
    country: Option<String>,
) -> Vec<String> {
    let city_line = match (postal_code, city) {
        (Some(code), Some(city)) => Some(format!("{code} {city}")),
        (None, Some(city)) => Some(city),
        (Some(code), None) => Some(code),
        (None, None) => None,
    };
    [street, extra, city_line, region, country]
        .into_iter()
        .flatten()
        .map(|line| line.replace(['\n', '\r'], " "))
        .filter(|line| !line.trim().is_empty())
        .collect()
}

fn totals(lines: &[(Uuid, Line)]) -> Vec<Money> {
    let mut sums: BTreeMap<String, (Currency, i64)> = BTreeMap::new();
    for (_, line) in lines {
        let entry = sums.entry(line.amount.currency.as_str().to_owned()).or_insert((line.amount.currency, 0));
        entry.1 = entry.1.saturating_add(line.amount.minor);
    }
    sums.into_values().map(|(currency, minor)| Money::new(minor, currency)).collect()
}

/// Reads a batch of persons and decides who needs a statement: returns how many are unchanged
/// and the statements to issue (first ones and corrections), not numbered yet.
async fn plan(
    pool: &PgPool,
    year: i32,
    (first, next): (Date, Date),
    persons: &[PersonId],
) -> std::result::Result<(usize, Vec<Planned>), StatementError> {
    let ids: Vec<Uuid> = persons.iter().map(|p| p.as_uuid()).collect();
    // What each statement should say now.
    let payments = sqlx::query!(
        r#"SELECT p.id, p.person_id AS "person!: PersonId", p.booked_on,
                  p.amount_minor - p.refunded_minor AS "net!", p.currency, pl.reference AS "reference?"
           FROM payment p LEFT JOIN pledge pl ON pl.id = p.pledge_id
           WHERE p.person_id = ANY($1) AND p.booked_on >= $2 AND p.booked_on < $3
             AND p.status IN ('received', 'partially_refunded') AND p.amount_minor > p.refunded_minor
           ORDER BY p.person_id, p.booked_on, p.id"#,
        &ids,
        first,
        next,
    )
    .fetch_all(pool)
    .await?;
    let mut should: HashMap<PersonId, Vec<(Uuid, Line)>> = HashMap::new();
    for row in payments {
        let currency = Currency::parse(&row.currency).map_err(DomainError::from)?;
        let reference = row.reference.map(|r| super::CreditorReference::from_db(r).grouped());
        should.entry(row.person).or_default().push((
            row.id,
            Line { booked_on: row.booked_on, amount: Money::new(row.net, currency), reference },
        ));
    }

    // What their current statements say.
    let current = sqlx::query!(
        r#"SELECT s.id, s.person_id AS "person!: PersonId", s.serial, s.revision, s.number AS "number!",
                  l.payment_id AS "payment_id?", l.net_minor AS "net_minor?"
           FROM annual_statement s LEFT JOIN annual_statement_line l ON l.statement_id = s.id
           WHERE s.year = $1 AND s.replaced_at IS NULL AND s.person_id = ANY($2)"#,
        year,
        &ids,
    )
    .fetch_all(pool)
    .await?;
    // Per person: the statement and the set of (payment, net) it holds.
    type Printed = ((Uuid, i32, i32, String), BTreeSet<(Option<Uuid>, i64)>);
    let mut printed: HashMap<PersonId, Printed> = HashMap::new();
    for row in current {
        let entry = printed
            .entry(row.person)
            .or_insert_with(|| ((row.id, row.serial, row.revision, row.number.clone()), BTreeSet::new()));
        if let Some(net) = row.net_minor {
            entry.1.insert((row.payment_id, net));
        }
    }

    let people = sqlx::query!(
        r#"SELECT id AS "id: PersonId", display_name, preferred_language, country, address_street,
                  address_extra, address_postal_code, address_city, address_region
           FROM person WHERE id = ANY($1)"#,
        &ids,
    )
    .fetch_all(pool)
    .await?;

    let mut unchanged = 0;
    let mut planned = Vec::new();
    for person in people {
        let lines = should.remove(&person.id).unwrap_or_default();
        let old = printed.remove(&person.id);
        let wanted: BTreeSet<(Option<Uuid>, i64)> =
            lines.iter().map(|(id, line)| (Some(*id), line.amount.minor)).collect();
        let replaces = match old {
            Some((_, ref held)) if *held == wanted => {
                unchanged += 1;
                continue;
            }
            Some((statement, _)) => Some(statement),
            // Nothing was issued and nothing is due (all refunded): no statement.
            None if lines.is_empty() => continue,
            None => None,
        };
        planned.push(Planned {
            person: person.id,
            language: Language::try_from(person.preferred_language.as_str()).unwrap_or(Language::English),
            donor: Donor {
                name: person.display_name,
                address: address_lines(
                    person.address_street,
                    person.address_extra,
                    person.address_postal_code,
                    person.address_city,
                    person.address_region,
                    person.country,
                ),
            },
            lines,
            replaces,
        });
    }
    Ok((unchanged, planned))
}

/// Numbers the planned statements (new ones from `serial` on; corrections keep their serial
/// and take the next revision) and builds their documents.
fn number(
    planned: &[Planned],
    year: i32,
    issued_on: Date,
    serial: &mut i32,
) -> (Vec<Document>, Vec<(i32, i32)>) {
    let mut documents = Vec::with_capacity(planned.len());
    let mut numbering = Vec::with_capacity(planned.len());
    for plan in planned {
        let (serial_of, revision) = match &plan.replaces {
            Some((_, s, r, _)) => (*s, r + 1),
            None => {
                *serial += 1;
                (*serial, 1)
            }
        };
        numbering.push((serial_of, revision));
        let mut number = format!("{year}-{serial_of:06}");
        if revision > 1 {
            number.push_str(&format!("-{revision}"));
        }
        documents.push(Document {
            number,
            year,
            language: plan.language,
            issued_on,
            donor: plan.donor.clone(),
            lines: plan.lines.iter().map(|(_, line)| line.clone()).collect(),
            totals: totals(&plan.lines),
            corrects: plan.replaces.as_ref().map(|(_, _, _, number)| number.clone()),
        });
    }
    (documents, numbering)
}

/// Waits for a batch's PDFs and stores the batch in one transaction: the replaced statements
/// marked, the new ones and their lines inserted, the serial counter moved, the audit written.
async fn store(
    pool: &PgPool,
    origin: Origin<'_>,
    year: i32,
    batch: InFlight,
) -> std::result::Result<Generated, StatementError> {
    let InFlight { planned, documents, numbering, last_serial, pdfs } = batch;
    let pdfs = pdfs.await.map_err(|_| StatementError::RenderThread)?;
    if pdfs.len() != documents.len() {
        return Err(StatementError::RendererCount { expected: documents.len(), got: pdfs.len() });
    }
    let pdfs = pdfs.into_iter().collect::<std::result::Result<Vec<_>, _>>()?;
    let mut done = Generated::default();
    let mut tx = pool.begin().await?;
    if numbering.iter().any(|(_, revision)| *revision == 1) {
        sqlx::query!(
            r#"INSERT INTO annual_statement_serial (year, last) VALUES ($1, $2)
               ON CONFLICT (year) DO UPDATE SET last = GREATEST(annual_statement_serial.last, EXCLUDED.last)"#,
            year,
            last_serial,
        )
        .execute(&mut *tx)
        .await?;
    }

    // Replace first: the unique indexes allow one current statement per person and one
    // current line per payment.
    let replaced: Vec<Uuid> = planned.iter().filter_map(|p| p.replaces.as_ref().map(|r| r.0)).collect();
    if !replaced.is_empty() {
        sqlx::query!(
            "UPDATE annual_statement SET replaced_at = now() WHERE id = ANY($1) AND replaced_at IS NULL",
            &replaced,
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query!(
            "UPDATE annual_statement_line SET current = false WHERE statement_id = ANY($1)",
            &replaced
        )
        .execute(&mut *tx)
        .await?;
    }

    let n = planned.len();
    let mut s_id = Vec::with_capacity(n);
    let mut s_person = Vec::with_capacity(n);
    let mut s_serial = Vec::with_capacity(n);
    let mut s_revision = Vec::with_capacity(n);
    let mut s_language = Vec::with_capacity(n);
    let mut s_name = Vec::with_capacity(n);
    let mut s_address = Vec::with_capacity(n);
    let mut s_totals = Vec::with_capacity(n);
    let mut s_replaces: Vec<Option<Uuid>> = Vec::with_capacity(n);
    let (
        mut l_statement,
        mut l_position,
        mut l_payment,
        mut l_booked,
        mut l_net,
        mut l_currency,
        mut l_reference,
    ) = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for ((plan, document), (serial_of, revision)) in planned.iter().zip(documents.iter()).zip(numbering) {
        let id = Uuid::new_v4();
        s_id.push(id);
        s_person.push(plan.person.as_uuid());
        s_serial.push(serial_of);
        s_revision.push(revision);
        s_language.push(plan.language.code().to_owned());
        s_name.push(plan.donor.name.clone());
        s_address.push(plan.donor.address.join("\n"));
        s_totals.push(json!(
            document
                .totals
                .iter()
                .map(|m| json!({ "currency": m.currency.as_str(), "minor": m.minor }))
                .collect::<Vec<_>>()
        ));
        s_replaces.push(plan.replaces.as_ref().map(|r| r.0));
        for (position, (payment, line)) in plan.lines.iter().enumerate() {
            l_statement.push(id);
            l_position.push(i32::try_from(position).unwrap_or(i32::MAX));
            l_payment.push(*payment);
            l_booked.push(line.booked_on);
            l_net.push(line.amount.minor);
            l_currency.push(line.amount.currency.as_str().to_owned());
            l_reference.push(line.reference.clone().unwrap_or_default());
        }
        if plan.replaces.is_some() {
            done.corrected += 1;
        } else {
            done.issued += 1;
        }
    }
    sqlx::query!(
        r#"INSERT INTO annual_statement (id, person_id, year, serial, revision, language, donor_name,
                                         donor_address, totals, pdf, replaces)
           SELECT id, person_id, $3, serial, revision, language, donor_name, donor_address, totals, pdf, replaces
           FROM UNNEST($1::uuid[], $2::uuid[], $4::int[], $5::int[], $6::text[], $7::text[], $8::text[],
                       $9::jsonb[], $10::bytea[], $11::uuid[])
                AS t(id, person_id, serial, revision, language, donor_name, donor_address, totals, pdf, replaces)"#,
        &s_id,
        &s_person,
        year,
        &s_serial,
        &s_revision,
        &s_language,
        &s_name,
        &s_address,
        &s_totals,
        &pdfs,
        &s_replaces as &[Option<Uuid>],
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        r#"INSERT INTO annual_statement_line (statement_id, position, payment_id, booked_on, net_minor, currency, reference)
           SELECT statement_id, position, payment_id, booked_on, net_minor, currency, NULLIF(reference, '')
           FROM UNNEST($1::uuid[], $2::int[], $3::uuid[], $4::date[], $5::bigint[], $6::text[], $7::text[])
                AS t(statement_id, position, payment_id, booked_on, net_minor, currency, reference)"#,
        &l_statement,
        &l_position,
        &l_payment,
        &l_booked,
        &l_net,
        &l_currency,
        &l_reference,
    )
    .execute(&mut *tx)
    .await?;
    let entries = planned
        .iter()
        .zip(documents.iter())
        .zip(&s_id)
        .map(|((plan, document), id)| {
            (
                Some(plan.person),
                json!({ "statement": id, "number": document.number, "corrects": document.corrects }),
            )
        })
        .collect();
    audit::record_many(&mut tx, origin, Action::AnnualStatementIssued, entries).await?;
    tx.commit().await?;
    Ok(done)
}

/// What [`send`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sent {
    /// Mails queued.
    pub mailed: usize,
    /// Current unsent statements whose supporter has no confirmed primary address (left
    /// unsent: they can still download it, and a later `send` tries again).
    pub no_address: usize,
}

/// Queues the "your statement is ready" mail for every current statement of the year not sent
/// yet, once: the mail and `sent_at` commit together, and rows are claimed with `SKIP LOCKED`
/// so two runs at once never mail one statement twice.
pub async fn send(
    pool: &PgPool,
    origin: Origin<'_>,
    year: i32,
    writer: &dyn PaymentWriter,
) -> std::result::Result<Sent, StatementError> {
    year_range(year)?;
    let mut done = Sent::default();
    // Statements without an address are skipped in this run, not claimed again.
    let mut skipped: Vec<Uuid> = Vec::new();
    loop {
        let mut tx = pool.begin().await?;
        let rows = sqlx::query!(
            r#"SELECT s.id, s.person_id AS "person!: PersonId", s.revision, s.number AS "number!",
                      p.display_name, p.preferred_language, e.address AS "address?"
               FROM annual_statement s
               JOIN person p ON p.id = s.person_id
               LEFT JOIN email_address e ON e.person_id = p.id AND e.is_primary AND e.verified_at IS NOT NULL
               WHERE s.year = $1 AND s.sent_at IS NULL AND s.replaced_at IS NULL AND s.id <> ALL($2)
               ORDER BY s.serial
               LIMIT 500
               FOR UPDATE OF s SKIP LOCKED"#,
            year,
            &skipped,
        )
        .fetch_all(&mut *tx)
        .await?;
        if rows.is_empty() {
            tx.commit().await?;
            return Ok(done);
        }
        let mut sent = Vec::new();
        for row in rows {
            let Some(address) = row.address else {
                done.no_address += 1;
                skipped.push(row.id);
                continue;
            };
            let language = Language::try_from(row.preferred_language.as_str()).unwrap_or(Language::English);
            // The statements page, not the PDF itself: a supporter who is logged out is sent to
            // log in and back there, while the PDF answers 404 to anyone but its logged-in owner.
            let path = "/donations/statements";
            let (subject, body) = writer.statement_ready(
                language,
                &StatementNotice { name: &row.display_name, year, corrected: row.revision > 1, path },
            );
            mail::enqueue(
                &mut tx,
                &OutgoingMail {
                    kind: MailKind::StatementReady,
                    person: Some(row.person),
                    to: Email::from_db(address),
                    subject,
                    body,
                },
            )
            .await?;
            audit::record(
                &mut tx,
                origin,
                Some(row.person),
                Action::AnnualStatementSent,
                json!({ "statement": row.id, "number": row.number }),
            )
            .await?;
            sent.push(row.id);
        }
        sqlx::query!("UPDATE annual_statement SET sent_at = now() WHERE id = ANY($1)", &sent)
            .execute(&mut *tx)
            .await?;
        done.mailed += sent.len();
        tx.commit().await?;
    }
}

/// A statement as listed (for staff and for its supporter).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub id: Uuid,
    pub year: i32,
    pub number: String,
    /// A correction of an earlier statement.
    pub corrected: bool,
    pub donor_name: String,
    pub totals: Vec<Money>,
    pub issued_at: OffsetDateTime,
    pub sent_at: Option<OffsetDateTime>,
    /// Replaced by a correction (only staff lists show those).
    pub replaced: bool,
    /// `false` once the person was erased.
    pub has_person: bool,
}

fn parse_totals(value: &serde_json::Value) -> Vec<Money> {
    value
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|item| {
                    let currency = Currency::parse(item.get("currency")?.as_str()?).ok()?;
                    Some(Money::new(item.get("minor")?.as_i64()?, currency))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Every statement of a year, replaced ones included, by number (staff).
pub async fn list(pool: &PgPool, year: i32) -> Result<Vec<Summary>> {
    let rows = sqlx::query!(
        r#"SELECT id, year, number AS "number!", revision, donor_name, totals, issued_at, sent_at,
                  replaced_at, person_id
           FROM annual_statement WHERE year = $1 ORDER BY serial, revision"#,
        year,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Summary {
            id: r.id,
            year: r.year,
            number: r.number,
            corrected: r.revision > 1,
            donor_name: r.donor_name,
            totals: parse_totals(&r.totals),
            issued_at: r.issued_at,
            sent_at: r.sent_at,
            replaced: r.replaced_at.is_some(),
            has_person: r.person_id.is_some(),
        })
        .collect())
}

/// A person's current statements, newest year first (their statements page).
pub async fn for_person(pool: &PgPool, person: PersonId) -> Result<Vec<Summary>> {
    let rows = sqlx::query!(
        r#"SELECT id, year, number AS "number!", revision, donor_name, totals, issued_at, sent_at
           FROM annual_statement WHERE person_id = $1 AND replaced_at IS NULL
           ORDER BY year DESC, serial"#,
        person as PersonId,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Summary {
            id: r.id,
            year: r.year,
            number: r.number,
            corrected: r.revision > 1,
            donor_name: r.donor_name,
            totals: parse_totals(&r.totals),
            issued_at: r.issued_at,
            sent_at: r.sent_at,
            replaced: false,
            has_person: true,
        })
        .collect())
}

/// A stored PDF and the number to name its file by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pdf {
    pub number: String,
    pub bytes: Vec<u8>,
}

/// The PDF of a current statement of this person; `None` for anybody else's, a replaced one
/// or an unknown id (the caller answers all three alike, so ids cannot be probed).
pub async fn pdf(pool: &PgPool, id: Uuid, person: PersonId) -> Result<Option<Pdf>> {
    let row = sqlx::query!(
        r#"SELECT number AS "number!", pdf FROM annual_statement
           WHERE id = $1 AND person_id = $2 AND replaced_at IS NULL"#,
        id,
        person as PersonId,
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| Pdf { number: r.number, bytes: r.pdf }))
}

/// The PDF of a statement by its number, replaced ones included (staff).
pub async fn pdf_by_number(pool: &PgPool, number: &str) -> Result<Option<Pdf>> {
    let row = sqlx::query!(
        r#"SELECT number AS "number!", pdf FROM annual_statement WHERE number = $1"#,
        number.trim(),
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| Pdf { number: r.number, bytes: r.pdf }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_outside_the_schema_are_refused() {
        assert!(matches!(year_range(1999), Err(StatementError::Year(1999))));
        assert!(matches!(year_range(3000), Err(StatementError::Year(3000))));
        assert!(year_range(2026).is_ok());
    }

    #[test]
    fn address_lines_join_postal_code_and_city_and_skip_empty_ones() {
        let lines = address_lines(
            Some("Hauptstr. 1".into()),
            None,
            Some("10115".into()),
            Some("Berlin".into()),
            Some(" ".into()),
            Some("DE".into()),
        );
        assert_eq!(lines, ["Hauptstr. 1", "10115 Berlin", "DE"]);
    }

    #[test]
    fn totals_are_per_currency() {
        let eur = Currency::EUR;
        let chf = Currency::parse("CHF").unwrap_or(eur);
        let line = |minor, currency| {
            (Uuid::nil(), Line { booked_on: Date::MIN, amount: Money::new(minor, currency), reference: None })
        };
        let sums = totals(&[line(100, eur), line(250, chf), line(50, eur)]);
        assert_eq!(sums, [Money::new(250, chf), Money::new(150, eur)]);
    }
}
