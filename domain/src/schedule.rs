// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Periodic jobs that run once per schedule however many instances run. Each instance looks
//! now and then ([`claim`]); claiming a due job moves its next run forward in the same UPDATE,
//! so of two instances looking at once exactly one gets it (the other's UPDATE waits for the
//! row, then finds it no longer due). A job that fails, or whose instance dies, runs at its
//! next schedule. The loop that calls this is `hosting::scheduler`.

use crate::Result;
use sqlx::{PgExecutor, PgPool};
use time::{Duration, OffsetDateTime};

/// Claims `name` if it is due (a job never seen before is due at once): its next run is then
/// `every` from now. Returns whether this caller should run it.
pub async fn claim(pool: &PgPool, name: &str, every: Duration, instance: &str) -> Result<bool> {
    sqlx::query!("INSERT INTO scheduled_job (name) VALUES ($1) ON CONFLICT (name) DO NOTHING", name)
        .execute(pool)
        .await?;
    let claimed = sqlx::query_scalar!(
        r#"UPDATE scheduled_job
           SET next_run_at = now() + make_interval(secs => $2), last_started_at = now(), last_instance = $3
           WHERE name = $1 AND next_run_at <= now()
           RETURNING name"#,
        name,
        every.as_seconds_f64(),
        instance,
    )
    .fetch_optional(pool)
    .await?;
    Ok(claimed.is_some())
}

/// Records how a claimed run ended (`ok: …` or `error: …`, cut to 500 characters).
pub async fn finish(pool: &PgPool, name: &str, outcome: &str) -> Result<()> {
    let outcome: String = outcome.chars().take(500).collect();
    sqlx::query!(
        "UPDATE scheduled_job SET last_finished_at = now(), last_outcome = $2 WHERE name = $1",
        name,
        outcome,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Makes a job due now (staff: `cdb-admin jobs run-soon NAME`; tests).
pub async fn due_now<'e>(executor: impl PgExecutor<'e>, name: &str) -> Result<bool> {
    Ok(sqlx::query!("UPDATE scheduled_job SET next_run_at = now() WHERE name = $1", name)
        .execute(executor)
        .await?
        .rows_affected()
        == 1)
}

/// A job's state, for staff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobState {
    pub name: String,
    pub next_run_at: OffsetDateTime,
    pub last_started_at: Option<OffsetDateTime>,
    pub last_finished_at: Option<OffsetDateTime>,
    pub last_outcome: Option<String>,
    pub last_instance: Option<String>,
}

/// Every job seen so far, by name.
pub async fn list<'e>(executor: impl PgExecutor<'e>) -> Result<Vec<JobState>> {
    Ok(sqlx::query_as!(
        JobState,
        "SELECT name, next_run_at, last_started_at, last_finished_at, last_outcome, last_instance
         FROM scheduled_job ORDER BY name"
    )
    .fetch_all(executor)
    .await?)
}
