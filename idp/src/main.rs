// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! `idp`: the OpenID Connect provider (id.*). Run `idp --help` for the options; settings are
//! documented in `config/community.example.toml` (section `[idp]`).

use clap::Parser;
use hosting::config::Settings;
use idp::startup::Application;
use std::path::PathBuf;
use std::process::ExitCode;

/// The OpenID Connect provider of Community Database (id.*): login pages, authorization codes
/// with PKCE, tokens signed with keys kept in PostgreSQL, JWKS, userinfo, introspection,
/// revocation and logout.
///
/// Settings come from built-in defaults, then the TOML file shared with `server`, then CDB_*
/// environment variables (CDB_IDP__LISTEN=0.0.0.0:8081); DATABASE_URL sets the database. See
/// config/community.example.toml for every key. Clients are registered with `cdb-admin client`.
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    /// TOML settings file.
    #[arg(long, env = "CDB_CONFIG", value_name = "PATH")]
    config: Option<PathBuf>,
}

fn main() -> ExitCode {
    hosting::startup::run_main(run(Cli::parse()))
}

async fn run(cli: Cli) -> Result<(), String> {
    let settings = Settings::load(cli.config.as_deref()).map_err(|e| e.to_string())?;
    hosting::telemetry::init(&settings.log);
    let app = Application::build(&settings).await.map_err(|e| e.to_string())?;
    tracing::info!(address = %app.local_addr(), issuer = settings.idp.issuer(), "serving id.*");
    app.run_until(hosting::shutdown::signal()).await.map_err(|e| format!("idp failed: {e}"))
}
