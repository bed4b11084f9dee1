// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! `cdb-admin pledges …`: a supporter's pledges, the pledges that need staff (renewal needed,
//! transfer overdue), and dropping a processor (docs/payments.md). The rules are in
//! `domain::payment::renewal`; this module asks, prints and confirms.

use crate::clients::domain_error;
use crate::context::Context;
use crate::payments::{find_person, person_label};
use anyhow::{anyhow, bail};
use clap::Subcommand;
use domain::payment::manual;
use domain::payment::pledge::{self, Pledge};
use domain::payment::renewal::{self, Lapsed};
use domain::payment::{Method, RenewalReason};
use domain::person;
use serde_json::{Value, json};
use std::io::BufRead as _;
use time::Date;

#[derive(Debug, Subcommand)]
pub enum PledgesCommand {
    /// List a supporter's pledges, newest first.
    ///
    /// Shows reference, amount, period, method, status and when the next payment is expected.
    List {
        /// The supporter: supporter number (1042), email address, or person id (UUID).
        person: String,
        /// One JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// List the pledges that need renewal and the bank transfers that are overdue.
    ///
    /// A pledge needs renewal when its processor ended the subscription, payments kept failing,
    /// or the organisation drops the processor (migrate). A bank transfer is overdue when its
    /// payment is later than payments.reminder_grace_days. Shows why, since when (renewal mail)
    /// or the due date (transfer), and whether the supporter was mailed.
    Lapsed {
        /// One JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Stop using a processor: its pledges need renewal and their supporters are mailed.
    ///
    /// Every active recurring pledge paid through it needs renewal, and its supporter gets a
    /// mail with a link to choose a new way to pay (any method, bank transfer included); the
    /// pledge keeps its reference and history. The old subscription is cancelled when the
    /// supporter renews, or on --cancel-on, whichever comes first, so nobody is charged twice.
    ///
    /// Shows how many pledges and mails it will be and asks first (unless --yes).
    ///
    /// Safe to run again: pledges marked before are not marked or mailed twice, and a run that
    /// stopped half-way (each batch of 200 is committed) goes on where it stopped. A re-run
    /// also picks up pledges that became active since. --cancel-on applies to the pledges
    /// marked in that run.
    Migrate {
        /// The processor to drop.
        #[arg(long, value_enum)]
        from: DroppedProvider,
        /// Cancel the old subscriptions on this day (YYYY-MM-DD, today or later) even if the
        /// supporter has not renewed by then. Without it, they stay until the supporter renews.
        #[arg(long, value_parser = crate::payments::parse_date)]
        cancel_on: Option<Date>,
        /// Do not ask.
        #[arg(long)]
        yes: bool,
    },
}

/// A processor the organisation can drop (bank transfer has no collector to drop).
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum DroppedProvider {
    Stripe,
    Paypal,
}

impl From<DroppedProvider> for Method {
    fn from(value: DroppedProvider) -> Self {
        match value {
            DroppedProvider::Stripe => Method::Stripe,
            DroppedProvider::Paypal => Method::Paypal,
        }
    }
}

pub async fn run(context: &Context, command: PledgesCommand) -> anyhow::Result<()> {
    match command {
        PledgesCommand::List { person, json } => list(context, &person, json).await,
        PledgesCommand::Lapsed { json } => lapsed(context, json).await,
        PledgesCommand::Migrate { from, cancel_on, yes } => {
            migrate(context, from.into(), cancel_on, yes).await
        }
    }
}

async fn list(context: &Context, person: &str, json: bool) -> anyhow::Result<()> {
    let person = find_person(&context.pool, person).await?;
    let pledges = pledge::for_person(&context.pool, person.id).await.map_err(domain_error)?;
    if json {
        println!("{}", Value::Array(pledges.iter().map(pledge_json).collect()));
        return Ok(());
    }
    println!("pledges of {}", person_label(&person));
    if pledges.is_empty() {
        println!("no pledges");
        return Ok(());
    }
    println!(
        "{:<36}  {:<24}  {:>14}  {:<8}  {:<13}  {:<13}  {:<10}  SINCE",
        "PLEDGE", "REFERENCE", "AMOUNT", "PERIOD", "METHOD", "STATUS", "NEXT DUE"
    );
    for p in &pledges {
        println!(
            "{:<36}  {:<24}  {:>14}  {:<8}  {:<13}  {:<13}  {:<10}  {}",
            p.id,
            p.reference.grouped(),
            p.amount.to_string(),
            p.period,
            p.method,
            p.status,
            p.next_expected_on.map(|d| d.to_string()).unwrap_or_else(|| "-".into()),
            p.starts_on,
        );
    }
    println!("{} pledges", pledges.len());
    Ok(())
}

fn pledge_json(p: &Pledge) -> Value {
    json!({
        "id": p.id, "person": p.person, "reference": p.reference.as_str(), "amount_minor": p.amount.minor,
        "currency": p.amount.currency, "amount": p.amount.decimal(), "period": p.period, "method": p.method,
        "status": p.status, "starts_on": p.starts_on.to_string(),
        "next_expected_on": p.next_expected_on.map(|d| d.to_string()), "ended_by": p.ended_by,
    })
}

/// One line of `pledges lapsed`, worked out once for the table and the JSON.
struct Line {
    why: &'static str,
    /// When the renewal mail went out, or the transfer's due date.
    when: String,
    mailed: bool,
}

fn line(l: &Lapsed) -> Line {
    match l.reason {
        Some(reason) => Line {
            why: match reason {
                RenewalReason::ProviderEnded => "subscription ended by the processor",
                RenewalReason::PaymentFailed => "payments kept failing",
                RenewalReason::ProviderDropped => "processor dropped (migrate)",
            },
            when: l.renewal_requested_at.map(|t| format!("since {}", t.date())).unwrap_or_else(|| "-".into()),
            mailed: l.renewal_requested_at.is_some(),
        },
        None => Line {
            why: "transfer overdue",
            when: l.pledge.next_expected_on.map(|d| format!("due {d}")).unwrap_or_else(|| "-".into()),
            mailed: l.reminded_for.is_some() && l.reminded_for == l.pledge.next_expected_on,
        },
    }
}

async fn lapsed(context: &Context, json: bool) -> anyhow::Result<()> {
    let pool = &context.pool;
    let today = time::OffsetDateTime::now_utc().date();
    let grace = time::Duration::days(i64::from(context.settings.payments.reminder_grace_days));
    let list = renewal::lapsed(pool, today, grace).await.map_err(domain_error)?;
    let mut rows = Vec::with_capacity(list.len());
    for l in &list {
        let person = match l.pledge.person {
            Some(id) => person::get(pool, id).await.map_err(domain_error)?,
            None => None,
        };
        rows.push((l, person, line(l)));
    }
    if json {
        let list = rows
            .iter()
            .map(|(l, person, line)| {
                json!({
                    "pledge": pledge_json(&l.pledge),
                    "supporter_number": person.as_ref().and_then(|p| p.supporter_number).map(|n| n.get()),
                    "name": person.as_ref().map(|p| p.display_name.as_str()),
                    "reason": l.reason, "why": line.why,
                    "renewal_requested_at": l.renewal_requested_at.map(|t| t.to_string()),
                    "due_on": if l.reason.is_none() { l.pledge.next_expected_on.map(|d| d.to_string()) } else { None },
                    "mailed": line.mailed,
                })
            })
            .collect();
        println!("{}", Value::Array(list));
        return Ok(());
    }
    if rows.is_empty() {
        println!("no pledges need renewal and no transfers are overdue");
        return Ok(());
    }
    println!(
        "{:<24}  {:<32}  {:<13}  {:<36}  {:<16}  MAILED",
        "PLEDGE", "PERSON", "METHOD", "WHY", "SINCE/DUE"
    );
    for (l, person, line) in &rows {
        let who = person.as_ref().map_or_else(|| "(not confirmed yet)".to_owned(), person_label);
        let who: String = who.chars().take(32).collect();
        println!(
            "{:<24}  {:<32}  {:<13}  {:<36}  {:<16}  {}",
            l.pledge.reference.grouped(),
            who,
            l.pledge.method,
            line.why,
            line.when,
            if line.mailed { "yes" } else { "no" },
        );
    }
    let renewals = rows.iter().filter(|(l, _, _)| l.reason.is_some()).count();
    println!("{} need renewal, {} transfers overdue", renewals, rows.len() - renewals);
    Ok(())
}

async fn migrate(context: &Context, from: Method, cancel_on: Option<Date>, yes: bool) -> anyhow::Result<()> {
    let pool = &context.pool;
    let today = time::OffsetDateTime::now_utc().date();
    if let Some(day) = cancel_on
        && day < today
    {
        bail!("--cancel-on {day} is in the past; give today ({today}) or a later day");
    }
    let preview = manual::migration_preview(pool, from).await.map_err(domain_error)?;
    println!(
        "{} active recurring pledges are paid through {from}: each will need renewal; {} of their \
         supporters will get the renewal mail (the others have no confirmed address)",
        preview.to_mark, preview.to_mail
    );
    if preview.waiting > 0 {
        println!(
            "{} pledges marked by an earlier run are still waiting for their supporter",
            preview.waiting
        );
    }
    match cancel_on {
        Some(day) => {
            println!("their {from} subscriptions will be cancelled on {day}, or when the supporter renews")
        }
        None => println!("their {from} subscriptions will be cancelled when the supporter renews"),
    }
    if preview.to_mark == 0 {
        println!("nothing to do");
        return Ok(());
    }
    if !yes {
        println!("go on? [y/N]");
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer).map_err(|e| anyhow!("cannot read the answer: {e}"))?;
        if !matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
            bail!("not confirmed: nothing changed");
        }
    }
    let report = renewal::migrate(pool, context.origin(), from, cancel_on, &context.writer)
        .await
        .map_err(domain_error)?;
    println!("marked {} pledges as needing renewal, {} renewal mails queued", report.marked, report.mailed);
    if report.waiting > 0 {
        println!("{} pledges marked by an earlier run are still waiting for their supporter", report.waiting);
    }
    println!("follow them with: cdb-admin pledges lapsed");
    Ok(())
}
