// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The one scheduler of the project: periodic jobs (pruning, reminders, cancellations) that run
//! once per schedule however many instances run. Every instance runs [`run`] with the same jobs;
//! `domain::schedule::claim` decides which instance runs a due job.

use sqlx::PgPool;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

type Run = Arc<dyn Fn() -> Pin<Box<dyn Future<Output = Result<String, String>> + Send>> + Send + Sync>;

/// A periodic job: a name (stable: it is the row in `scheduled_job`), how often, and what it does.
/// The job returns a short summary (`"3 reminders"`) or an error text for the logs and staff.
#[derive(Clone)]
pub struct Job {
    pub name: &'static str,
    pub every: Duration,
    run: Run,
}

impl Job {
    pub fn new<F, Fut>(name: &'static str, every: Duration, run: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<String, String>> + Send + 'static,
    {
        Self { name, every, run: Arc::new(move || Box::pin(run())) }
    }
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job").field("name", &self.name).field("every", &self.every).finish_non_exhaustive()
    }
}

/// This instance, as `scheduled_job.last_instance` shows it.
fn instance() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "localhost".to_owned());
    format!("{host} pid {}", std::process::id())
}

/// Looks for due jobs every `look_every` until dropped, and runs each one this instance claims
/// in its own task (a slow job does not hold up the others).
pub async fn run(pool: PgPool, jobs: Vec<Job>, look_every: Duration) {
    let instance = instance();
    let mut tick = tokio::time::interval(look_every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        for job in &jobs {
            let every = time::Duration::try_from(job.every).unwrap_or(time::Duration::HOUR);
            match domain::schedule::claim(&pool, job.name, every, &instance).await {
                Ok(true) => {
                    let (pool, job) = (pool.clone(), job.clone());
                    tokio::spawn(async move {
                        let outcome = match (job.run)().await {
                            Ok(summary) => {
                                tracing::debug!(job = job.name, summary, "scheduled job done");
                                format!("ok: {summary}")
                            }
                            Err(error) => {
                                tracing::warn!(job = job.name, error, "scheduled job failed");
                                format!("error: {error}")
                            }
                        };
                        if let Err(error) = domain::schedule::finish(&pool, job.name, &outcome).await {
                            tracing::warn!(
                                job = job.name,
                                ?error,
                                "could not record a scheduled job's outcome"
                            );
                        }
                    });
                }
                Ok(false) => {}
                Err(error) => tracing::warn!(job = job.name, ?error, "could not look at a scheduled job"),
            }
        }
    }
}
