// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Start-up steps every web binary takes, with errors that name the setting to fix, and the
//! `main` they share.

use crate::config::{self, ConfigError, Settings};
use sqlx::PgPool;
use sqlx::postgres::PgConnectOptions;
use std::net::SocketAddr;
use std::process::ExitCode;
use tokio::net::TcpListener;

/// Why a binary could not start. Each message is one line naming the setting to fix.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("cannot reach the database at {target} (DATABASE_URL / database.url): {reason}")]
    Database { target: String, reason: String },
    #[error("cannot migrate the database at {target}: {reason}")]
    Migration { target: String, reason: String },
    #[error("cannot listen on {addr} ({setting}): {source}")]
    Listen { addr: SocketAddr, setting: &'static str, source: std::io::Error },
    /// Anything else a binary needs before it can serve (e.g. the idp's signing keys).
    #[error("{0}")]
    Other(String),
}

/// Binds the listening port. `setting` names the key that sets `addr`, for the error message.
pub async fn listen(addr: SocketAddr, setting: &'static str) -> Result<TcpListener, StartupError> {
    TcpListener::bind(addr).await.map_err(|source| StartupError::Listen { addr, setting, source })
}

/// Connects (failing at start with a clear message rather than on the first request) and
/// brings the schema up to date.
pub async fn open_database(settings: &Settings, connect: PgConnectOptions) -> Result<PgPool, StartupError> {
    let target = config::describe(&connect);
    let pool = domain::db::lazy_pool(connect, &settings.pool_settings());
    if let Err(e) = pool.acquire().await {
        return Err(StartupError::Database { target, reason: crate::shutdown::innermost_cause(&e) });
    }
    domain::db::migrate(&pool).await.map_err(|e| StartupError::Migration {
        target,
        reason: format!("{e:?}").lines().collect::<Vec<_>>().join(": "),
    })?;
    Ok(pool)
}

/// The body of every binary's `main`: runs `run` on a new runtime and turns its error into one
/// line on stderr and a failing exit code.
pub fn run_main<F: Future<Output = Result<(), String>>>(run: F) -> ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
