// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! `cdb-admin payments ...`: bank statements and the money that needs staff (docs/payments.md).
//!
//! `import` reads a statement file (camt.053 or our CSV, docs/bank-statements.md), hashes it,
//! parses it with `providers::bank::parse` (a file that does not parse stores nothing) and
//! hands the entries to `domain::payment::statement::import`, which matches them to pledges in
//! one transaction. `unmatched`, `assign`, `flagged` and `resolve` are the follow-up work.

use crate::clients::domain_error;
use crate::context::Context;
use anyhow::{Context as _, anyhow, bail};
use clap::Subcommand;
use domain::payment::flag::Flag;
use domain::payment::statement::{
    self, Entry, ImportOutcome, NewEntry, StatementFile, StatementFormat, Target,
};
use domain::payment::{CreditorReference, Currency, pledge};
use domain::types::{EntryId, FlagId, PersonId, PledgeId};
use providers::bank::{self, EntryKind, Format};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

#[derive(Debug, Subcommand)]
pub enum PaymentsCommand {
    /// Import a bank statement file (camt.053 XML or the CSV layout of docs/bank-statements.md)
    /// and match its incoming transfers to pledges by their creditor reference. Importing the
    /// same file again changes nothing; a file that cannot be read stores nothing.
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
    /// Register an unmatched or flagged entry's money by hand: as a payment of a pledge, or as
    /// a one-off gift of a person. The thank-you mail is queued as for any payment.
    Assign {
        /// The entry's id (from `payments unmatched` or `payments flagged`).
        entry: String,
        /// Whose money it is: a pledge's creditor reference (RF18 5390 0754 7034), a person's
        /// supporter number (1042), or the id (UUID) of a pledge or of a person.
        target: String,
    },
    /// List the open flags: money that was stored but not applied (another currency or amount
    /// than the pledge promised, a cancelled pledge, a refund larger than its payment, ...).
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
