// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! `server`: the supporter web app (my.*). Run `server --help` for the options; settings are
//! documented in `config/community.example.toml`.

use clap::Parser;
use hosting::config::Settings;
use server::startup::Application;
use std::path::PathBuf;
use std::process::ExitCode;

/// The supporter web app of Community Database (my.*): pages rendered on the server, their
/// interactive parts hydrated in the browser, sessions in PostgreSQL, /healthz and /readyz.
///
/// Settings come from built-in defaults, then the TOML file, then CDB_* environment variables
/// (CDB_HTTP__LISTEN=0.0.0.0:8080); DATABASE_URL sets the database. See
/// config/community.example.toml for every key.
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    /// TOML settings file.
    #[arg(long, env = "CDB_CONFIG", value_name = "PATH")]
    config: Option<PathBuf>,
}

// Rendering a page allocates many small strings and closures, which mimalloc serves faster than
// glibc's malloc (BENCHMARKS.md, "The settings page").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    hosting::startup::run_main(run(Cli::parse()))
}

async fn run(cli: Cli) -> Result<(), String> {
    let settings = Settings::load(cli.config.as_deref()).map_err(|e| e.to_string())?;
    hosting::telemetry::init(&settings.log);
    let leptos_options = leptos_options()?;
    let app = Application::build(&settings, leptos_options).await.map_err(|e| e.to_string())?;
    tracing::info!(address = %app.local_addr(), "serving my.*");
    app.run_until(hosting::shutdown::signal()).await.map_err(|e| format!("server failed: {e}"))
}

/// Leptos's own settings (site root, asset paths) from the `LEPTOS_*` variables that
/// cargo-leptos sets and compiles in. A binary built by plain `cargo` (tests, `cargo run`) has
/// none; it gets cargo-leptos's defaults for this project instead of a warning.
fn leptos_options() -> Result<leptos::config::LeptosOptions, String> {
    if option_env!("LEPTOS_OUTPUT_NAME").is_none() && std::env::var_os("LEPTOS_OUTPUT_NAME").is_none() {
        return Ok(leptos::config::LeptosOptions::builder()
            .output_name("community")
            .site_root("target/site")
            .build());
    }
    leptos::config::get_configuration(None)
        .map(|conf| conf.leptos_options)
        .map_err(|e| format!("Leptos settings (LEPTOS_* variables): {e}"))
}
