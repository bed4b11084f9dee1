// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! `cdb-admin payments ...`: bank statements and the money that needs staff (docs/payments.md).
//!
//! `import` reads a statement file (camt.053 or our CSV, docs/bank-statements.md), hashes it,
//! parses it with `providers::bank::parse` (a file that does not parse stores nothing) and
//! hands the entries to `domain::payment::statement::import`, which matches them to pledges in
//! one transaction. `unmatched`, `assign`, `flagged` and `resolve` are the follow-up work.
//!
//! `list`, `record` and `refund` are a supporter's payments and what staff do by hand
//! (`domain::payment::manual`); `export` streams a date range as CSV for the accountant
//! (`domain::payment::export`), one row written before the next is read.

use crate::clients::domain_error;
use crate::context::Context;
use anyhow::{Context as _, anyhow, bail};
use clap::Subcommand;
use domain::payment::flag::Flag;
use domain::payment::manual::{self, NewManualPayment};
use domain::payment::payment::{self as payments, Payment};
use domain::payment::statement::{
    self, Entry, ImportOutcome, NewEntry, StatementFile, StatementFormat, Target,
};
use domain::payment::{CreditorReference, Currency, ManualMethod, Money, Provider, export, pledge};
use domain::person::{self, Person};
use domain::types::{Email, EntryId, FlagId, PaymentId, PersonId, PledgeId};
use futures_util::TryStreamExt;
use providers::bank::{self, EntryKind, Format};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use time::Date;

#[derive(Debug, Subcommand)]
pub enum PaymentsCommand {
    /// Import a bank statement file and match its transfers to pledges.
    ///
    /// Reads camt.053 XML or the CSV layout of docs/bank-statements.md and matches incoming
    /// transfers to pledges by their creditor reference. Importing the same file again changes
    /// nothing; a file that cannot be read stores nothing.
    Import {
        /// The statement file, as downloaded from the bank.
        file: PathBuf,
    },
    /// List the incoming transfers no pledge was found for, oldest first.
    Unmatched {
        /// One JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Register an unmatched or flagged entry's money by hand.
    ///
    /// As a payment of a pledge, or as a one-off gift of a person. The thank-you mail is queued
    /// as for any payment.
    Assign {
        /// The entry's id (from `payments unmatched` or `payments flagged`).
        entry: String,
        /// Whose money it is: a pledge's creditor reference (RF18 5390 0754 7034), a person's
        /// supporter number (1042), or the id (UUID) of a pledge or of a person.
        target: String,
    },
    /// List the open flags: money that was stored but not applied.
    ///
    /// Another currency or amount than the pledge promised, a cancelled pledge, a refund larger
    /// than its payment, ...
    Flagged {
        /// One JSON array instead of a list.
        #[arg(long)]
        json: bool,
    },
    /// Settle a flag, saying what was done (refunded to the donor, assigned by hand, ...).
    Resolve {
        /// The flag's id (from `payments flagged`).
        flag: String,
        /// What was done; recorded with the flag and in the audit log.
        #[arg(long)]
        note: String,
    },
    /// List a supporter's payments, newest first: date, amount, refunded, status, provider.
    List {
        /// The supporter: supporter number (1042), email address, or person id (UUID).
        person: String,
        /// One JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Record a payment handed to staff (cash, a cheque) as provider "manual".
    ///
    /// It counts as any payment: the pledge given becomes active and expects its next payment,
    /// and the thank-you mail is queued. Recording the same receipt number again changes
    /// nothing. Without --receipt the key is made of person, pledge, amount, currency, date and
    /// method, so running the same command twice records one payment (give two receipt numbers
    /// for two identical gifts on one day).
    Record {
        /// Who gave: supporter number, email address, or person id.
        person: String,
        /// The amount as a decimal (25, 25.00, 25,50); no thousands separators.
        #[arg(long, allow_hyphen_values = true)]
        amount: String,
        /// ISO 4217 code; one of payments.currencies. Default: the first of them.
        #[arg(long)]
        currency: Option<String>,
        /// How it was paid.
        #[arg(long, value_enum)]
        method: ManualMethodArg,
        /// The day the money was received (YYYY-MM-DD); not in the future.
        #[arg(long, value_parser = parse_date)]
        date: Date,
        /// The pledge it pays (its creditor reference RF… or id); must be the person's, not
        /// cancelled, and for this amount and currency. Without it: a one-off gift.
        #[arg(long)]
        pledge: Option<String>,
        /// The receipt number written for the donor (at most 100 characters): the payment's key.
        #[arg(long)]
        receipt: Option<String>,
        /// A note kept with the payment (at most 500 characters).
        #[arg(long)]
        note: Option<String>,
    },
    /// Record a refund made by staff (in our books; it moves no money).
    ///
    /// Refunds the whole rest of the payment, or --amount. A refund larger than what is left is
    /// refused and nothing is stored.
    ///
    /// For a bank transfer or a manual payment, send the money back yourself. For a Stripe or
    /// PayPal payment, refund it in the provider's dashboard: its webhook records the refund by
    /// itself. Use this command only if that report did not arrive, with the provider's refund
    /// id (--id re_… for Stripe), so that a late report of the same refund is recognised and
    /// not counted twice.
    Refund {
        /// The payment's id (from `payments list`).
        payment: String,
        /// The amount to refund, in the payment's currency. Default: all that is left.
        #[arg(long, allow_hyphen_values = true)]
        amount: Option<String>,
        /// The refund's id: required for Stripe and PayPal payments (the provider's refund id);
        /// otherwise generated. Giving one makes a retried command safe.
        #[arg(long)]
        id: Option<String>,
    },
    /// Write the payments of a date range as CSV to standard output, for the accountant.
    ///
    /// Example: cdb-admin payments export --from 2026-01-01 --to 2026-12-31 > payments.csv
    ///
    /// Columns: booked_on, provider, payment, provider_object, amount, currency, refunded, net
    /// (amount less refunds; 0 for a failed payment), fee (empty when the provider did not
    /// tell), status, supporter_number, name, pledge_reference, method. Amounts are exact
    /// decimals with a point. Text cells starting with = + - @ or a tab or carriage return get
    /// a leading ' so spreadsheets do not run them as formulas. Rows are streamed from the
    /// database: memory stays the same however many there are.
    Export {
        /// First booking day included (YYYY-MM-DD).
        #[arg(long, value_parser = parse_date)]
        from: Date,
        /// Last booking day included (YYYY-MM-DD).
        #[arg(long, value_parser = parse_date)]
        to: Date,
        /// Only this provider's payments: bank, stripe, paypal or manual.
        #[arg(long, value_parser = parse_provider)]
        provider: Option<Provider>,
    },
}

/// How a payment recorded by hand was made.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ManualMethodArg {
    Cash,
    Cheque,
    Other,
}

impl From<ManualMethodArg> for ManualMethod {
    fn from(value: ManualMethodArg) -> Self {
        match value {
            ManualMethodArg::Cash => ManualMethod::Cash,
            ManualMethodArg::Cheque => ManualMethod::Cheque,
            ManualMethodArg::Other => ManualMethod::Other,
        }
    }
}

/// A calendar day written YYYY-MM-DD (what every date option takes).
pub fn parse_date(text: &str) -> Result<Date, String> {
    let bad = || format!("{text:?} is not a date written YYYY-MM-DD");
    let parts: Vec<&str> = text.trim().split('-').collect();
    let [year, month, day] = parts.as_slice() else { return Err(bad()) };
    if year.len() != 4 || month.len() != 2 || day.len() != 2 {
        return Err(bad());
    }
    let number = |s: &str| if s.bytes().all(|b| b.is_ascii_digit()) { s.parse::<u16>().ok() } else { None };
    let (Some(year), Some(month), Some(day)) = (number(year), number(month), number(day)) else {
        return Err(bad());
    };
    let month = u8::try_from(month).ok().and_then(|m| time::Month::try_from(m).ok()).ok_or_else(bad)?;
    let day = u8::try_from(day).map_err(|_| bad())?;
    Date::from_calendar_date(i32::from(year), month, day)
        .map_err(|_| format!("{text:?} is not a day of the calendar"))
}

fn parse_provider(text: &str) -> Result<Provider, String> {
    Provider::parse(text).map_err(|_| format!("{text:?}: give bank, stripe, paypal or manual"))
}

/// Finds a person by supporter number (digits), email address (has an `@`) or id (UUID), as
/// staff know them. Shared by the commands that take a PERSON.
pub async fn find_person(pool: &sqlx::PgPool, text: &str) -> anyhow::Result<Person> {
    let text = text.trim();
    let id = if text.contains('@') {
        let email = Email::try_from(text).map_err(|e| anyhow!("{text:?} is not an email address: {e}"))?;
        let found = person::find_by_email(pool, &email).await.map_err(domain_error)?;
        return found.ok_or_else(|| anyhow!("nobody has the email address {text}"));
    } else if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        let number: i64 = text.parse().map_err(|_| anyhow!("no person has the supporter number {text}"))?;
        let found = statement::person_by_supporter_number(pool, number).await.map_err(domain_error)?;
        found.ok_or_else(|| anyhow!("no person has the supporter number {number}"))?
    } else if let Ok(id) = text.parse::<PersonId>() {
        id
    } else {
        bail!("{text:?}: give a supporter number, an email address or a person id (UUID)");
    };
    let found = person::get(pool, id).await.map_err(domain_error)?;
    found.ok_or_else(|| anyhow!("no person has the id {id}"))
}

/// "1042 Ada Lovelace", or the id for a person without supporter number.
pub fn person_label(person: &Person) -> String {
    match person.supporter_number {
        Some(number) => format!("{number} {}", person.display_name),
        None => format!("{} {}", person.id, person.display_name),
    }
}

pub async fn run(context: &Context, command: PaymentsCommand) -> anyhow::Result<()> {
    match command {
        PaymentsCommand::Import { file } => import(context, &file).await,
        PaymentsCommand::Unmatched { json } => {
            let entries = statement::unmatched(&context.pool).await.map_err(domain_error)?;
            if json {
                println!("{}", Value::Array(entries.iter().map(entry_json).collect()));
            } else if entries.is_empty() {
                println!("no unmatched entries");
            } else {
                print_entries(&entries);
            }
            Ok(())
        }
        PaymentsCommand::Assign { entry, target } => assign(context, &entry, &target).await,
        PaymentsCommand::Flagged { json } => {
            let flagged = statement::flagged(&context.pool).await.map_err(domain_error)?;
            if json {
                let list = flagged.iter().map(|f| flag_json(&f.flag, f.entry.as_ref())).collect();
                println!("{}", Value::Array(list));
            } else if flagged.is_empty() {
                println!("no open flags");
            } else {
                for f in &flagged {
                    print_flag(&f.flag, f.entry.as_ref());
                }
            }
            Ok(())
        }
        PaymentsCommand::Resolve { flag, note } => {
            let id: FlagId =
                flag.trim().parse().map_err(|_| anyhow!("flag {flag:?} is not a flag id (a UUID)"))?;
            let note = note.trim();
            if note.is_empty() || note.chars().count() > 2000 {
                bail!("--note: say in 1 to 2000 characters what was done");
            }
            if statement::resolve(&context.pool, context.origin(), id, note).await.map_err(domain_error)? {
                println!("flag {id} resolved");
                Ok(())
            } else {
                bail!("flag {id} is not open (unknown, or resolved already)")
            }
        }
        PaymentsCommand::List { person, json } => list(context, &person, json).await,
        PaymentsCommand::Record { person, amount, currency, method, date, pledge, receipt, note } => {
            let args = RecordArgs {
                person: &person,
                amount: &amount,
                currency: currency.as_deref(),
                method: method.into(),
                date,
                pledge: pledge.as_deref(),
                receipt: receipt.as_deref(),
                note: note.as_deref(),
            };
            record(context, &args).await
        }
        PaymentsCommand::Refund { payment, amount, id } => {
            refund(context, &payment, amount.as_deref(), id.as_deref()).await
        }
        PaymentsCommand::Export { from, to, provider } => {
            if from > to {
                bail!("--from {from} is after --to {to}");
            }
            let stdout = std::io::stdout();
            let written =
                export_csv(&context.pool, from, to, provider, std::io::BufWriter::new(stdout)).await?;
            eprintln!("{written} payments booked {from} to {to} written");
            Ok(())
        }
    }
}

async fn list(context: &Context, person: &str, json: bool) -> anyhow::Result<()> {
    let person = find_person(&context.pool, person).await?;
    let list = payments::for_person(&context.pool, person.id).await.map_err(domain_error)?;
    if json {
        println!("{}", Value::Array(list.iter().map(payment_json).collect()));
        return Ok(());
    }
    println!("payments of {}", person_label(&person));
    if list.is_empty() {
        println!("no payments");
        return Ok(());
    }
    println!(
        "{:<36}  {:<10}  {:>14}  {:>14}  {:<18}  {:<8}  PLEDGE",
        "PAYMENT", "BOOKED", "AMOUNT", "REFUNDED", "STATUS", "PROVIDER"
    );
    for p in &list {
        println!(
            "{:<36}  {:<10}  {:>14}  {:>14}  {:<18}  {:<8}  {}",
            p.id,
            p.booked_on,
            p.amount.to_string(),
            Money::new(p.refunded_minor, p.amount.currency).to_string(),
            p.status,
            p.provider,
            p.pledge.map(|id| id.to_string()).unwrap_or_default(),
        );
    }
    println!("{} payments", list.len());
    Ok(())
}

fn payment_json(p: &Payment) -> Value {
    json!({
        "id": p.id, "provider": p.provider, "provider_object_id": p.provider_object_id, "pledge": p.pledge,
        "person": p.person, "amount_minor": p.amount.minor, "currency": p.amount.currency,
        "amount": p.amount.decimal(), "refunded_minor": p.refunded_minor,
        "refunded": Money::new(p.refunded_minor, p.amount.currency).decimal(), "fee_minor": p.fee_minor,
        "status": p.status, "booked_on": p.booked_on.to_string(),
    })
}

struct RecordArgs<'a> {
    person: &'a str,
    amount: &'a str,
    currency: Option<&'a str>,
    method: ManualMethod,
    date: Date,
    pledge: Option<&'a str>,
    receipt: Option<&'a str>,
    note: Option<&'a str>,
}

async fn record(context: &Context, args: &RecordArgs<'_>) -> anyhow::Result<()> {
    let pool = &context.pool;
    let accepted = accepted_currencies(context)?;
    let currency = match args.currency {
        Some(code) => {
            let currency = Currency::parse(code)
                .map_err(|_| anyhow!("--currency {code:?} is not a currency we know"))?;
            if !accepted.contains(&currency) {
                bail!("--currency {currency}: the organisation does not take it (payments.currencies)");
            }
            currency
        }
        None => *accepted.first().ok_or_else(|| anyhow!("payments.currencies is empty: give --currency"))?,
    };
    let amount = Money::parse_decimal(args.amount, currency)
        .map_err(|e| anyhow!("--amount {:?} is not an amount in {currency}: {e}", args.amount))?;
    let person = find_person(pool, args.person).await?;
    let pledge = match args.pledge {
        Some(text) => Some(find_pledge(pool, text).await?),
        None => None,
    };
    let new = NewManualPayment {
        person: person.id,
        pledge,
        amount,
        method: args.method,
        booked_on: args.date,
        receipt: args.receipt,
        note: args.note,
    };
    let today = time::OffsetDateTime::now_utc().date();
    let recorded = manual::record(pool, context.origin(), today, &new, &context.writer)
        .await
        .map_err(domain_error)?
        .map_err(|refused| anyhow!("{refused}; nothing was recorded"))?;
    if recorded.new {
        println!(
            "recorded payment {} of {} from {}: {amount} ({}) booked {}, receipt {}",
            recorded.payment,
            person_label(&person),
            if pledge.is_some() { "for its pledge" } else { "as a one-off gift" },
            args.method,
            args.date,
            recorded.receipt
        );
        if recorded.thanked {
            println!("thank-you mail queued");
        } else {
            println!("no thank-you mail: the person has no confirmed email address");
        }
    } else {
        println!(
            "payment {} (receipt {}) was recorded before: nothing changed",
            recorded.payment, recorded.receipt
        );
    }
    Ok(())
}

/// A pledge by its creditor reference (as people write it) or id.
async fn find_pledge(pool: &sqlx::PgPool, text: &str) -> anyhow::Result<PledgeId> {
    let text = text.trim();
    if let Ok(id) = text.parse::<PledgeId>() {
        return Ok(id);
    }
    let reference = CreditorReference::parse(text)
        .map_err(|_| anyhow!("--pledge {text:?}: give a pledge's creditor reference (RF…) or id"))?;
    let found = pledge::by_reference(pool, &reference).await.map_err(domain_error)?;
    Ok(found.ok_or_else(|| anyhow!("no pledge has the reference {reference}"))?.id)
}

async fn refund(
    context: &Context,
    payment: &str,
    amount: Option<&str>,
    id: Option<&str>,
) -> anyhow::Result<()> {
    let payment: PaymentId =
        payment.trim().parse().map_err(|_| anyhow!("payment {payment:?} is not a payment id (a UUID)"))?;
    let refunded = manual::refund(&context.pool, context.origin(), payment, amount, id)
        .await
        .map_err(domain_error)?
        .map_err(|refused| anyhow!("payment {payment}: {refused}; nothing was recorded"))?;
    if refunded.repeated {
        println!(
            "refund {} of payment {payment} was recorded before ({}): nothing changed",
            refunded.id, refunded.amount
        );
    } else {
        println!(
            "refund {} of {} recorded for payment {payment}: {} refunded in total, status {}",
            refunded.id, refunded.amount, refunded.refunded, refunded.status
        );
    }
    Ok(())
}

const EXPORT_HEADER: [&str; 14] = [
    "booked_on",
    "provider",
    "payment",
    "provider_object",
    "amount",
    "currency",
    "refunded",
    "net",
    "fee",
    "status",
    "supporter_number",
    "name",
    "pledge_reference",
    "method",
];

/// Writes the CSV to `out` row by row as the database sends them; returns how many rows.
pub async fn export_csv(
    pool: &sqlx::PgPool,
    from: Date,
    to: Date,
    provider: Option<Provider>,
    out: impl std::io::Write,
) -> anyhow::Result<u64> {
    let mut csv = csv::Writer::from_writer(out);
    csv.write_record(EXPORT_HEADER).context("cannot write the CSV")?;
    let mut rows = std::pin::pin!(export::stream(pool, from, to, provider));
    let mut written = 0;
    while let Some(row) = rows.try_next().await.map_err(domain_error)? {
        let net = row.net();
        csv.write_record([
            row.booked_on.to_string().as_str(),
            row.provider.as_str(),
            &row.payment.to_string(),
            &neutralise(&row.provider_object_id),
            &row.amount.decimal(),
            row.amount.currency.as_str(),
            &row.refunded.decimal(),
            &net.decimal(),
            &row.fee.map(|f| f.decimal()).unwrap_or_default(),
            row.status.as_str(),
            &row.supporter_number.map(|n| n.to_string()).unwrap_or_default(),
            &neutralise(row.name.as_deref().unwrap_or("")),
            &neutralise(row.pledge_reference.as_deref().unwrap_or("")),
            &neutralise(row.method.as_deref().unwrap_or("")),
        ])
        .context("cannot write the CSV")?;
        written += 1;
    }
    csv.flush().context("cannot write the CSV")?;
    let mut out = csv.into_inner().map_err(|e| anyhow!("cannot write the CSV: {}", e.error()))?;
    out.flush().context("cannot write the CSV")?;
    Ok(written)
}

/// A text cell a spreadsheet would run as a formula (`=HYPERLINK(…)`, `+1+2`, `-2+3`, `@SUM`,
/// or one hidden behind a tab or carriage return, or behind spaces) gets a leading `'`, which
/// spreadsheets show as text (OWASP "CSV Injection").
pub fn neutralise(text: &str) -> std::borrow::Cow<'_, str> {
    let risky = |c: char| matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r');
    let first = text.chars().next();
    let after_spaces = text.trim_start_matches(' ').chars().next();
    if first.is_some_and(risky) || after_spaces.is_some_and(risky) {
        std::borrow::Cow::Owned(format!("'{text}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

async fn import(context: &Context, path: &Path) -> anyhow::Result<()> {
    let shown = path.display();
    // Refused before reading: the parser would refuse it anyway, after holding it in memory.
    let size = std::fs::metadata(path).with_context(|| format!("cannot read {shown}"))?.len();
    if size > bank::MAX_STATEMENT_BYTES as u64 {
        bail!(
            "{shown} has {size} bytes; statement files over {} bytes are refused",
            bank::MAX_STATEMENT_BYTES
        );
    }
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {shown}"))?;
    let sha256: [u8; 32] = Sha256::digest(&bytes).into();
    let parsed = bank::parse(&bytes)
        .map_err(|e| anyhow!("{shown} is not a statement we can read: {e}. Nothing was stored."))?;
    let format = match parsed.format {
        Format::Camt053 => StatementFormat::Camt053,
        Format::Csv => StatementFormat::Csv,
    };
    let (entries, zero): (Vec<_>, Vec<_>) = parsed.entries.into_iter().partition(|e| e.amount.minor > 0);
    let entries: Vec<NewEntry> = entries.into_iter().map(new_entry).collect();
    let accepted = accepted_currencies(context)?;
    let file_name = path.file_name().map_or_else(|| shown.to_string(), |n| n.to_string_lossy().into_owned());
    let file = StatementFile { sha256, file_name, format };
    let outcome =
        statement::import(&context.pool, context.origin(), &file, &entries, &accepted, &context.writer)
            .await
            .map_err(domain_error)?;
    match outcome {
        ImportOutcome::AlreadyImported { file_name, imported_at, .. } => {
            println!("{shown} was imported before (as {file_name}, {imported_at}): nothing changed");
        }
        ImportOutcome::Imported { counts, .. } => {
            let format = match format {
                StatementFormat::Camt053 => "camt.053",
                StatementFormat::Csv => "CSV",
            };
            println!("imported {shown} ({format}): {} entries", counts.entries());
            println!(
                "  matched    {:>7}  ({} new payments, thank-you mails queued)",
                counts.matched, counts.payments
            );
            println!("  unmatched  {:>7}  (cdb-admin payments unmatched)", counts.unmatched);
            println!(
                "  ignored    {:>7}  (debits, returns, payouts, bookings imported before)",
                counts.ignored
            );
            println!("  flagged    {:>7}  (cdb-admin payments flagged)", counts.flagged);
        }
    }
    if !zero.is_empty() {
        let positions: Vec<String> = zero.iter().map(|e| e.position.to_string()).collect();
        println!(
            "left out {} entries of amount zero (they move no money): {}",
            zero.len(),
            positions.join(", ")
        );
    }
    Ok(())
}

/// The currencies the organisation accepts (`payments.currencies`): a credit in another
/// currency that no pledge explains is flagged.
fn accepted_currencies(context: &Context) -> anyhow::Result<Vec<Currency>> {
    context
        .settings
        .payments
        .currencies
        .iter()
        .map(|c| {
            Currency::parse(c).map_err(|_| anyhow!("payments.currencies: {c:?} is not a currency we know"))
        })
        .collect()
}

fn new_entry(entry: bank::StatementEntry) -> NewEntry {
    NewEntry {
        position: entry.position,
        booking_date: entry.booking_date,
        amount: entry.amount,
        is_credit: entry.is_credit,
        bank_reference: entry.bank_reference,
        remittance: entry.remittance,
        structured_reference: entry.structured_reference,
        counterparty_name: entry.counterparty_name,
        counterparty_iban: entry.counterparty_iban,
        kind: match entry.kind {
            EntryKind::Transfer => statement::EntryKind::Transfer,
            EntryKind::Returned => statement::EntryKind::Returned,
            EntryKind::Payout => statement::EntryKind::Payout,
        },
    }
}

async fn assign(context: &Context, entry: &str, target: &str) -> anyhow::Result<()> {
    let pool = &context.pool;
    let entry: EntryId =
        entry.trim().parse().map_err(|_| anyhow!("entry {entry:?} is not an entry id (a UUID)"))?;
    let text = target.trim();
    let (target, shown) = if let Ok(id) = text.parse::<PledgeId>() {
        if pledge::get(pool, id).await.map_err(domain_error)?.is_some() {
            (Target::Pledge(id), format!("pledge {id}"))
        } else {
            (Target::Person(PersonId::from(id.as_uuid())), format!("person {id}"))
        }
    } else if text.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("RF")) {
        let reference = CreditorReference::parse(text)
            .map_err(|_| anyhow!("{text:?} is not a valid creditor reference (check the digits)"))?;
        let found = pledge::by_reference(pool, &reference).await.map_err(domain_error)?;
        let pledge = found.ok_or_else(|| anyhow!("no pledge has the reference {reference}"))?;
        (Target::Pledge(pledge.id), format!("pledge {reference}"))
    } else if let Ok(number) = text.parse::<i64>() {
        let person = statement::person_by_supporter_number(pool, number).await.map_err(domain_error)?;
        let person = person.ok_or_else(|| anyhow!("no person has the supporter number {number}"))?;
        (Target::Person(person), format!("supporter {number}"))
    } else {
        bail!("{text:?}: give a creditor reference (RF…), a supporter number, or a pledge or person id");
    };
    let assigned = statement::assign(pool, context.origin(), entry, target, &context.writer)
        .await
        .map_err(domain_error)?
        .map_err(|refused| anyhow!("entry {entry}: {refused}; nothing was changed"))?;
    let payment = if assigned.new_payment { "new payment" } else { "booking registered before as payment" };
    println!("entry {entry} assigned to {shown}: {payment} {}", assigned.payment);
    if assigned.flags_resolved > 0 {
        println!("{} open flag(s) of the entry resolved", assigned.flags_resolved);
    }
    Ok(())
}

fn one_line(text: Option<&str>, max: usize) -> String {
    let text: String = text.unwrap_or("").split_whitespace().collect::<Vec<_>>().join(" ");
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text,
    }
}

fn print_entries(entries: &[Entry]) {
    println!("{:<36}  {:<10}  {:>14}  {:<24}  {:<40}  NOTE", "ENTRY", "BOOKED", "AMOUNT", "FROM", "TEXT");
    for e in entries {
        println!(
            "{:<36}  {:<10}  {:>14}  {:<24}  {:<40}  {}",
            e.id,
            e.booking_date,
            e.amount.to_string(),
            one_line(e.counterparty_name.as_deref(), 24),
            one_line(e.remittance.as_deref().or(e.structured_reference.as_deref()), 40),
            e.note.as_deref().unwrap_or(""),
        );
    }
    println!(
        "{} unmatched; assign one with: cdb-admin payments assign ENTRY PLEDGE-REFERENCE|SUPPORTER-NUMBER",
        entries.len()
    );
}

fn entry_json(e: &Entry) -> Value {
    json!({
        "id": e.id, "file": e.file_name, "position": e.position, "booking_date": e.booking_date.to_string(),
        "amount_minor": e.amount.minor, "currency": e.amount.currency, "amount": e.amount.decimal(),
        "is_credit": e.is_credit, "bank_reference": e.bank_reference, "remittance": e.remittance,
        "structured_reference": e.structured_reference, "counterparty_name": e.counterparty_name,
        "counterparty_iban": e.counterparty_iban, "state": e.state, "note": e.note, "payment": e.payment,
    })
}

fn flag_json(flag: &Flag, entry: Option<&Entry>) -> Value {
    json!({
        "id": flag.id, "reason": flag.reason, "provider": flag.provider, "created_at": flag.created_at.to_string(),
        "pledge": flag.pledge, "webhook_event": flag.webhook_event, "details": flag.details,
        "entry": entry.map(entry_json),
    })
}

fn print_flag(flag: &Flag, entry: Option<&Entry>) {
    println!("flag {}  {}  ({}, {})", flag.id, flag.reason, flag.provider, flag.created_at.date());
    if let Some(e) = entry {
        println!(
            "  entry {}  {}  {}  from {}  \"{}\"  ({} entry {})",
            e.id,
            e.booking_date,
            e.amount,
            one_line(e.counterparty_name.as_deref(), 40),
            one_line(e.remittance.as_deref().or(e.structured_reference.as_deref()), 60),
            e.file_name,
            e.position
        );
    }
    if let Some(pledge) = flag.pledge {
        println!("  pledge {pledge}");
    }
    println!("  details {}", flag.details);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised_and_others_kept() {
        for risky in ["=HYPERLINK(\"http://x\")", "+1+2", "-2+3", "@SUM(A1)", "\tx", "\rx", "  =1+1"] {
            assert_eq!(neutralise(risky), format!("'{risky}"), "{risky:?}");
        }
        for plain in ["Ada Lovelace", "RF18 5390 0754 7034", "", "a=b", "Zoë @home", "cash"] {
            assert_eq!(neutralise(plain), plain, "{plain:?}");
        }
    }

    #[test]
    fn dates_are_written_yyyy_mm_dd() {
        assert_eq!(
            parse_date("2026-02-28").unwrap(),
            Date::from_calendar_date(2026, time::Month::February, 28).unwrap()
        );
        for bad in [
            "",
            "2026-2-28",
            "28.02.2026",
            "2026-02-30",
            "2026-13-01",
            "+2026-01-01",
            "2026-01-01T00",
            "２０２６-01-01",
        ] {
            assert!(parse_date(bad).is_err(), "{bad:?}");
        }
    }
}
