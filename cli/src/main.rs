// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! `cdb-admin`: the staff command-line tool. Each command is a thin wrapper around `domain`.

mod clients;
mod keys;

use clap::{Parser, Subcommand};
use domain::audit::{Actor, Origin};
use sqlx::postgres::PgConnectOptions;
use std::process::ExitCode;

/// Administer a Community Database: schema, demo data, OIDC clients and signing keys.
///
/// Changes are recorded in the audit log as made by staff member $USER through "cdb-admin".
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    /// PostgreSQL URL of the database to work on.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    database_url: String,
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
    let options: PgConnectOptions = cli
        .database_url
        .parse()
        .map_err(|e| anyhow::anyhow!("DATABASE_URL / --database-url is not a PostgreSQL URL: {e}"))?;
    let pool = domain::db::lazy_pool(options, &domain::db::PoolSettings::default());
    let actor = Actor::Staff(std::env::var("USER").unwrap_or_else(|_| "unknown".into()));
    let origin = Origin { actor: &actor, source: "cdb-admin" };
    match cli.command {
        Command::Migrate => {
            domain::db::migrate(&pool).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
            println!("database schema is up to date");
        }
        Command::DemoData => {
            domain::db::migrate(&pool).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
            let demo = domain::demo::ensure(&pool).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
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
        Command::Client(command) => clients::run(&pool, origin, command).await?,
        Command::Keys(args) => keys::run(&pool, origin, args).await?,
    }
    Ok(())
}
