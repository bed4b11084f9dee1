// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! `cdb-admin statements ...`: the annual donation statements (docs/statements.md).
//!
//! `generate` issues the year's statements through `domain::payment::annual_statement`,
//! rendered by the `statements` crate with the `[statements]` settings; `send` queues the
//! "your statement is ready" mails; `list` and `show` are for staff questions ("what did we
//! send Ada?"). Rendering runs on every core; the database work is batched.

use crate::clients::domain_error;
use crate::context::Context;
use anyhow::{Context as _, anyhow, bail};
use clap::Subcommand;
use domain::payment::Money;
use domain::payment::annual_statement::{self, Render};
use hosting::config::StatementSettings;
use serde_json::json;
use statements::{GermanReceipt, Renderer, Template};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Subcommand)]
pub enum StatementsCommand {
    /// Issue the year's annual statements: one PDF per supporter whose payments of that year
    /// add up to more than nothing, net of refunds, in their language. Running it again changes
    /// nothing; a supporter whose payments changed since (a refund, a late payment) gets a
    /// corrected statement that replaces the earlier one. Nothing is mailed: see `send`.
    Generate {
        /// The calendar year (payments booked from 1 January to 31 December).
        #[arg(long)]
        year: i32,
        /// Rendering threads (default: every core).
        #[arg(long)]
        threads: Option<usize>,
    },
    /// Mail every supporter whose current statement of the year was not mailed yet a link to
    /// download it (once per statement; a correction is mailed again). Supporters without a
    /// confirmed address are counted and skipped.
    Send {
        #[arg(long)]
        year: i32,
    },
    /// List the year's statements, replaced ones included: number, state, total, donor.
    List {
        #[arg(long)]
        year: i32,
        /// One JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Write a statement's PDF, exactly as issued, to a file (replaced ones too).
    Show {
        /// The statement number, e.g. 2026-000042 or 2026-000042-2.
        number: String,
        /// Where to write the PDF (an existing file is replaced).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

/// The renderer's template from the settings.
pub fn template(organisation: &str, settings: &StatementSettings) -> Template {
    let optional = |text: &str| (!text.trim().is_empty()).then(|| text.to_owned());
    Template {
        organisation_name: organisation.to_owned(),
        organisation_address: settings.organisation_address.clone(),
        legal_text_en: optional(&settings.legal_text_en),
        legal_text_de: optional(&settings.legal_text_de),
        german_receipt: settings.german_receipt.then(|| GermanReceipt {
            title: settings.receipt_title.clone(),
            subtitle: settings.receipt_subtitle.clone(),
            tax_office: settings.tax_office.clone(),
            confirmations: settings.confirmations.clone(),
            signer: settings.signer.clone(),
            notice: settings.notice.clone(),
        }),
    }
}

fn totals(totals: &[Money]) -> String {
    if totals.is_empty() {
        "0".into()
    } else {
        totals.iter().map(Money::to_string).collect::<Vec<_>>().join(" + ")
    }
}

fn statement_error(e: annual_statement::StatementError) -> anyhow::Error {
    match e {
        annual_statement::StatementError::Domain(e) => domain_error(e),
        other => anyhow!("{other}"),
    }
}

pub async fn run(context: &Context, command: StatementsCommand) -> anyhow::Result<()> {
    let pool = &context.pool;
    match command {
        StatementsCommand::Generate { year, threads } => {
            let settings = &context.settings.statements;
            if settings.has_placeholders() {
                bail!(
                    "the German receipt wording still has the sample's [placeholders]: set statements.tax_office, \
                     statements.confirmations and statements.signer to your organisation's (or \
                     statements.german_receipt = false for plain statements); see docs/statements.md"
                );
            }
            let mut renderer = Renderer::new(template(&context.settings.site.organisation, settings))
                .map_err(|e| anyhow!("{e}"))?;
            if let Some(threads) = threads {
                renderer = renderer.with_threads(threads).map_err(|e| anyhow!("{e}"))?;
            }
            let render: Arc<dyn Render> = Arc::new(renderer);
            let today = time::OffsetDateTime::now_utc().date();
            let started = std::time::Instant::now();
            let progress = |done: usize, all: usize| eprintln!("{year}: {done}/{all} supporters looked at");
            let done = annual_statement::generate(pool, context.origin(), year, today, render, &progress)
                .await
                .map_err(statement_error)?;
            println!(
                "{year}: {} statements issued, {} corrected, {} unchanged ({:.1} s)",
                done.issued,
                done.corrected,
                done.unchanged,
                started.elapsed().as_secs_f64()
            );
        }
        StatementsCommand::Send { year } => {
            let sent = annual_statement::send(pool, context.origin(), year, &context.writer)
                .await
                .map_err(statement_error)?;
            println!(
                "{year}: {} mails queued, {} supporters without a confirmed address",
                sent.mailed, sent.no_address
            );
        }
        StatementsCommand::List { year, json } => {
            let list = annual_statement::list(pool, year).await.map_err(domain_error)?;
            if json {
                let rows: Vec<_> = list
                    .iter()
                    .map(|s| {
                        json!({
                            "id": s.id,
                            "number": s.number,
                            "corrected": s.corrected,
                            "replaced": s.replaced,
                            "donor": s.donor_name,
                            "erased": !s.has_person,
                            "totals": s.totals.iter().map(|m| json!({"currency": m.currency.as_str(), "minor": m.minor})).collect::<Vec<_>>(),
                            "issued_at": s.issued_at.unix_timestamp(),
                            "sent": s.sent_at.is_some(),
                        })
                    })
                    .collect();
                println!("{}", serde_json::Value::Array(rows));
            } else if list.is_empty() {
                println!("no statements for {year}");
            } else {
                println!("{:<16} {:<10} {:<5} {:>16}  donor", "number", "state", "sent", "total");
                for s in &list {
                    let state = match (s.replaced, s.corrected) {
                        (true, _) => "replaced",
                        (false, true) => "corrected",
                        (false, false) => "current",
                    };
                    let donor = if s.has_person {
                        s.donor_name.clone()
                    } else {
                        format!("{} (erased)", s.donor_name)
                    };
                    println!(
                        "{:<16} {:<10} {:<5} {:>16}  {}",
                        s.number,
                        state,
                        if s.sent_at.is_some() { "yes" } else { "no" },
                        totals(&s.totals),
                        donor
                    );
                }
            }
        }
        StatementsCommand::Show { number, out } => {
            let Some(pdf) = annual_statement::pdf_by_number(pool, &number).await.map_err(domain_error)?
            else {
                bail!("no statement numbered {number:?}");
            };
            let mut file =
                std::fs::File::create(&out).with_context(|| format!("cannot write {}", out.display()))?;
            file.write_all(&pdf.bytes).with_context(|| format!("cannot write {}", out.display()))?;
            println!("statement {} written to {} ({} bytes)", pdf.number, out.display(), pdf.bytes.len());
        }
    }
    Ok(())
}
