// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! `proxy`: the TLS-terminating reverse proxy. Reads one TOML file; SIGHUP reloads it (a bad
//! file is refused and the running configuration kept); SIGTERM or Ctrl-C stop it gracefully.

use anyhow::Context;
use clap::Parser;
use proxy::Proxy;
use proxy::config::Config;
use std::path::PathBuf;
use std::time::Duration;
use tokio::signal::unix::{SignalKind, signal};
use tracing_subscriber::EnvFilter;

/// TLS-terminating reverse proxy with ACME certificates, host routing and edge access rules.
#[derive(Parser)]
#[command(
    version,
    after_help = "The settings file is described in docs/proxy.md and proxy/proxy.example.toml."
)]
struct Args {
    /// The settings file.
    #[arg(long, short, env = "CDB_PROXY_CONFIG", default_value = "/etc/community-database/proxy.toml")]
    config: PathBuf,
    /// Check the settings file (syntax, keys, certificate files) and exit: 0 if it is usable.
    #[arg(long)]
    check: bool,
    /// Log format: text for people, json for collectors. RUST_LOG overrides the level.
    #[arg(long, env = "CDB_PROXY_LOG_FORMAT", default_value = "text", value_parser = ["text", "json"])]
    log_format: String,
    /// How long open requests may take to finish at shutdown.
    #[arg(long, default_value_t = 10)]
    grace_secs: u64,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if args.log_format == "json" {
        logs.json().flatten_event(true).init();
    } else {
        logs.init();
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(run(args))
}

async fn run(args: Args) -> anyhow::Result<()> {
    let config = Config::load(&args.config)?;
    if args.check {
        // Building the state loads every certificate file, as a start would.
        proxy::state::Shared::new(config)?;
        println!("{}: usable", args.config.display());
        return Ok(());
    }
    let proxy = Proxy::start(config).await.context("the proxy did not start")?;
    let mut hangup = signal(SignalKind::hangup())?;
    let mut terminate = signal(SignalKind::terminate())?;
    loop {
        tokio::select! {
            _ = hangup.recv() => match Config::load(&args.config) {
                Ok(config) => match proxy.reload(config) {
                    Ok(()) => tracing::info!(config = %args.config.display(), "settings reloaded"),
                    Err(error) => tracing::error!(%error, "settings not reloaded; the previous ones stay"),
                },
                Err(error) => tracing::error!(%error, "settings not reloaded; the previous ones stay"),
            },
            _ = terminate.recv() => break,
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    tracing::info!("stopping");
    proxy.shutdown(Duration::from_secs(args.grace_secs)).await;
    Ok(())
}
