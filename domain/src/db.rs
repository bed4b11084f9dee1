// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Connecting to PostgreSQL and keeping the schema current.

use crate::Result;
use sqlx::PgPool;
use sqlx::migrate::Migrate;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::time::Duration;

/// How a binary reaches its database.
#[derive(Debug, Clone)]
pub struct PoolSettings {
    pub max_connections: u32,
    /// How long a request waits for a free connection before it fails.
    pub acquire_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self { max_connections: 10, acquire_timeout: Duration::from_secs(5) }
    }
}

/// A pool that connects on first use, so a binary can start (and report "not ready") while the
/// database is still coming up.
pub fn lazy_pool(options: PgConnectOptions, settings: &PoolSettings) -> PgPool {
    PgPoolOptions::new()
        .max_connections(settings.max_connections)
        .acquire_timeout(settings.acquire_timeout)
        .connect_lazy_with(options)
}

/// Brings the schema up to date. Safe to run from several instances at once: sqlx takes an
/// advisory lock.
pub async fn migrate(pool: &PgPool) -> Result<()> {
    crate::MIGRATOR.run(pool).await?;
    Ok(())
}

/// True when the database answers and every migration this binary knows has been applied.
pub async fn is_ready(pool: &PgPool) -> bool {
    let Ok(mut conn) = pool.acquire().await else { return false };
    let Ok(applied) = conn.list_applied_migrations().await else { return false };
    crate::MIGRATOR
        .iter()
        .filter(|m| m.migration_type.is_up_migration())
        .all(|m| applied.iter().any(|a| a.version == m.version))
}
