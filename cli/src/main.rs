// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! `cdb-admin`: the staff command-line tool. Each command is a thin wrapper around `domain`,
//! given a [`Context`](context::Context): the database, the servers' settings and the mail
//! writer. A command group is a module of its own (`clients.rs`, `keys.rs`, `payments.rs`,
//! `lists.rs`, `mailing.rs`, `bounces.rs`) with one line in [`Command`] and one in [`run`].

mod bounces;
mod clients;
mod context;
mod jobs;
mod keys;
mod lists;
mod mailing;
mod payments;
mod pledges;
mod statements;

use clap::{Parser, Subcommand};
use context::Context;
use std::path::PathBuf;
use std::process::ExitCode;

/// Administer a Community Database: schema, demo data, OIDC clients, signing keys, payments,
/// pledges, information emails (lists, mailings, bounces) and scheduled jobs.
///
/// Reads the settings file the servers read (--config or CDB_CONFIG; see
/// config/community.example.toml), then CDB_* environment variables (CDB_SITE__ORGANISATION=…).
/// Without a file, built-in defaults apply. The database comes from --database-url or
/// DATABASE_URL if given, else from the file's database.url or database.url_file.
///
/// Changes are recorded in the audit log as made by staff member $USER through "cdb-admin".
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    /// TOML settings file, the one the servers read.
    #[arg(long, env = "CDB_CONFIG", value_name = "PATH")]
    config: Option<PathBuf>,
    /// PostgreSQL URL of the database to work on; wins over the settings file.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Apply every migration not yet applied.
    Migrate,
    /// Load the demo supporter (login "ada") and a staff group, unless already loaded.
    DemoData,
    /// Register and manage the applications that log people in through the idp.
    #[command(subcommand)]
    Client(clients::ClientCommand),
    /// The idp's token signing keys and the key-encryption keys that seal them.
    Keys(keys::KeysArgs),
    /// Payments: bank statements, unmatched transfers and flags, a supporter's payments,
    /// payments and refunds recorded by hand, and the CSV export for the accountant.
    #[command(subcommand)]
    Payments(payments::PaymentsCommand),
    /// Pledges: a supporter's, those that need renewal or whose transfer is overdue, and
    /// dropping a processor (migrate).
    #[command(subcommand)]
    Pledges(pledges::PledgesCommand),
    /// Annual donation statements: generate (PDF, corrections), send, list, show.
    #[command(subcommand)]
    Statements(statements::StatementsCommand),
    /// The periodic jobs the servers run (once per schedule, however many instances run).
    Jobs(jobs::JobsArgs),
    /// Information-email lists: list, create or change (names, descriptions, double opt-in,
    /// who is offered them), archive.
    #[command(subcommand)]
    Lists(lists::ListsCommand),
    /// Information emails: create and edit (segment, content per language), count, preview,
    /// test, schedule, send, pause, resume, status, unsubscribe tokens.
    #[command(subcommand)]
    Mailing(mailing::MailingCommand),
    /// What comes back to information emails: `mail bounces import MAILDIR`.
    #[command(subcommand)]
    Mail(bounces::MailCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let context = Context::load(cli.config.as_deref(), cli.database_url.as_deref())?;
    let pool = &context.pool;
    match cli.command {
        Command::Migrate => {
            domain::db::migrate(pool).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
            println!("database schema is up to date");
        }
        Command::DemoData => {
            domain::db::migrate(pool).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
            let demo = domain::demo::ensure(pool).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
            let state = if demo.created { "created" } else { "already present" };
            println!(
                "demo supporter {state}: {} (supporter number {}), login \"{}\" or {}, password \"{}\"",
                demo.person.display_name,
                demo.supporter_number,
                domain::demo::LOGIN_NAME,
                domain::demo::EMAIL,
                domain::demo::PASSWORD
            );
        }
        Command::Client(command) => clients::run(pool, context.origin(), command).await?,
        Command::Keys(args) => keys::run(pool, context.origin(), args).await?,
        Command::Payments(command) => payments::run(&context, command).await?,
        Command::Pledges(command) => pledges::run(&context, command).await?,
        Command::Statements(command) => statements::run(&context, command).await?,
        Command::Jobs(args) => jobs::run(pool, args).await?,
        Command::Lists(command) => lists::run(&context, command).await?,
        Command::Mailing(command) => mailing::run(&context, command).await?,
        Command::Mail(command) => bounces::run(&context, command).await?,
    }
    Ok(())
}
