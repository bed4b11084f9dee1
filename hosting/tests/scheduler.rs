// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The scheduler with several instances on one database: each job runs once per schedule.

#![allow(clippy::unwrap_used)]

use hosting::scheduler::{self, Job};
use sqlx::PgPool;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

fn counting(name: &'static str, every: Duration, runs: &Arc<AtomicUsize>, fail: bool) -> Job {
    let runs = runs.clone();
    Job::new(name, every, move || {
        let runs = runs.clone();
        async move {
            runs.fetch_add(1, Ordering::SeqCst);
            if fail { Err("the bank's server did not answer".to_owned()) } else { Ok("done".to_owned()) }
        }
    })
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn four_instances_run_each_job_once_per_schedule(pool: PgPool) {
    let hourly = Arc::new(AtomicUsize::new(0));
    let failing = Arc::new(AtomicUsize::new(0));
    let instances: Vec<_> = (0..4)
        .map(|_| {
            let jobs = vec![
                counting("hourly_job", Duration::from_secs(3600), &hourly, false),
                counting("failing_job", Duration::from_secs(3600), &failing, true),
            ];
            tokio::spawn(scheduler::run(pool.clone(), jobs, Duration::from_millis(20)))
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(600)).await;
    for instance in &instances {
        instance.abort();
    }
    assert_eq!(hourly.load(Ordering::SeqCst), 1, "four instances looked ~30 times each");
    // A failing job is not retried before its next schedule either (no storm), and says why.
    assert_eq!(failing.load(Ordering::SeqCst), 1);
    let states = domain::schedule::list(&pool).await.unwrap();
    let outcome = |name: &str| states.iter().find(|s| s.name == name).and_then(|s| s.last_outcome.clone());
    assert_eq!(outcome("hourly_job").as_deref(), Some("ok: done"));
    assert_eq!(outcome("failing_job").as_deref(), Some("error: the bank's server did not answer"));
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_short_schedule_runs_again_when_due(pool: PgPool) {
    let runs = Arc::new(AtomicUsize::new(0));
    let jobs = vec![counting("often", Duration::from_millis(200), &runs, false)];
    let a = tokio::spawn(scheduler::run(pool.clone(), jobs.clone(), Duration::from_millis(20)));
    let b = tokio::spawn(scheduler::run(pool.clone(), jobs, Duration::from_millis(20)));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    a.abort();
    b.abort();
    // Due at 0, 200, 400, 600, 800 and 1000 ms at the earliest: at most six runs however the
    // two instances interleave (never two per slot), and more than one (it comes back).
    let n = runs.load(Ordering::SeqCst);
    assert!((2..=6).contains(&n), "{n} runs");
}
