// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! `cdb-admin jobs` against a fresh database: the scheduled jobs with their next run, last
//! outcome and instance, and `run-soon` making one due so the next instance that looks claims
//! it. Needs `DATABASE_URL`: `cargo test -p cli --test jobs`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use domain::schedule;
use serde_json::Value;
use sqlx::PgPool;
use std::process::Command;
use time::Duration;

fn database_url(pool: &PgPool) -> String {
    let options = pool.connect_options();
    format!(
        "postgres://{}@{}:{}/{}",
        options.get_username(),
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap()
    )
}

fn admin(pool: &PgPool, args: &[&str]) -> (bool, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cdb-admin"));
    for (name, _) in std::env::vars() {
        if name == "DATABASE_URL" || name.starts_with("CDB_") {
            command.env_remove(name);
        }
    }
    let output = command.env("DATABASE_URL", database_url(pool)).arg("jobs").args(args).output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn jobs_are_listed_and_run_soon_makes_one_due(pool: PgPool) {
    let (ok, out, _) = admin(&pool, &[]);
    assert!(ok && out.contains("no jobs yet"), "{out}");
    let (ok, _, err) = admin(&pool, &["run-soon", "command_links_prune"]);
    assert!(!ok && err.contains("no job has run yet"), "{err}");

    assert!(schedule::claim(&pool, "command_links_prune", Duration::hours(1), "web-1").await.unwrap());
    schedule::finish(&pool, "command_links_prune", "ok: 12 links pruned").await.unwrap();
    // Started, not finished: running now, or its instance died.
    assert!(schedule::claim(&pool, "transfer_reminders", Duration::days(1), "web-2").await.unwrap());

    let (ok, out, err) = admin(&pool, &[]);
    assert!(ok, "{out}{err}");
    let line = |name: &str| out.lines().find(|l| l.starts_with(name)).unwrap().to_owned();
    let prune = line("command_links_prune");
    assert!(prune.contains("web-1") && prune.contains("ok: 12 links pruned"), "{prune}");
    let reminders = line("transfer_reminders");
    assert!(reminders.contains("web-2") && reminders.contains("(started, not finished)"), "{reminders}");

    // Not due for an hour; run-soon makes it due, and the next instance that looks runs it once.
    assert!(!schedule::claim(&pool, "command_links_prune", Duration::hours(1), "web-2").await.unwrap());
    let (ok, out, err) = admin(&pool, &["run-soon", "command_links_prune"]);
    assert!(ok && out.contains("job command_links_prune is due now"), "{out}{err}");
    assert!(schedule::claim(&pool, "command_links_prune", Duration::hours(1), "web-2").await.unwrap());
    assert!(!schedule::claim(&pool, "command_links_prune", Duration::hours(1), "web-1").await.unwrap());

    let (ok, out, _) = admin(&pool, &["--json"]);
    let listed: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert!(ok && listed.len() == 2);
    assert_eq!(listed[0]["name"], "command_links_prune");
    assert_eq!(listed[0]["last_instance"], "web-2");

    let (ok, _, err) = admin(&pool, &["run-soon", "no_such_job"]);
    assert!(!ok && err.contains("known jobs: command_links_prune, transfer_reminders"), "{err}");
    let (ok, _, err) = admin(&pool, &["run-soon", "'; UPDATE scheduled_job SET next_run_at = now(); --"]);
    assert!(!ok && err.contains("no job named"), "{err}");
}
