// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! `cdb-admin jobs`: the periodic jobs the servers run once per schedule however many
//! instances run (`domain::schedule`), and making one due now.

use crate::clients::domain_error;
use anyhow::bail;
use clap::{Args, Subcommand};
use domain::schedule::{self, JobState};
use serde_json::{Value, json};
use sqlx::PgPool;
use time::OffsetDateTime;

#[derive(Debug, Args)]
pub struct JobsArgs {
    #[command(subcommand)]
    command: Option<JobsCommand>,
    /// List as one JSON array instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Subcommand)]
enum JobsCommand {
    /// Make a job due now, so a server instance runs it within about a minute.
    ///
    /// The next instance that looks (each looks about once a minute) runs it, once. Its regular
    /// schedule goes on from that run.
    RunSoon {
        /// The job's name, as `cdb-admin jobs` lists it.
        name: String,
    },
}

pub async fn run(pool: &PgPool, args: JobsArgs) -> anyhow::Result<()> {
    match args.command {
        None => list(pool, args.json).await,
        Some(JobsCommand::RunSoon { name }) => {
            let name = name.trim();
            if schedule::due_now(pool, name).await.map_err(domain_error)? {
                println!("job {name} is due now: a server instance runs it within about a minute");
                Ok(())
            } else {
                let known: Vec<String> =
                    schedule::list(pool).await.map_err(domain_error)?.into_iter().map(|j| j.name).collect();
                if known.is_empty() {
                    bail!(
                        "no job named {name:?}: no job has run yet (jobs appear once a server has started)"
                    );
                }
                bail!("no job named {name:?}; known jobs: {}", known.join(", "))
            }
        }
    }
}

fn when(time: Option<OffsetDateTime>) -> String {
    time.map_or_else(
        || "-".to_owned(),
        |t| {
            let t = t.to_offset(time::UtcOffset::UTC);
            format!("{} {:02}:{:02}:{:02}Z", t.date(), t.hour(), t.minute(), t.second())
        },
    )
}

async fn list(pool: &PgPool, json: bool) -> anyhow::Result<()> {
    let jobs = schedule::list(pool).await.map_err(domain_error)?;
    if json {
        println!("{}", Value::Array(jobs.iter().map(job_json).collect()));
        return Ok(());
    }
    if jobs.is_empty() {
        println!("no jobs yet: they appear once a server instance has started");
        return Ok(());
    }
    println!("{:<28}  {:<20}  {:<20}  {:<24}  LAST OUTCOME", "JOB", "NEXT RUN", "LAST FINISHED", "INSTANCE");
    for j in &jobs {
        // A start without a finish after it: running now, or its instance died.
        let running =
            j.last_started_at.is_some() && j.last_finished_at.is_none_or(|f| Some(f) < j.last_started_at);
        let outcome: String =
            j.last_outcome.as_deref().unwrap_or("-").split_whitespace().collect::<Vec<_>>().join(" ");
        let outcome: String = outcome.chars().take(80).collect();
        println!(
            "{:<28}  {:<20}  {:<20}  {:<24}  {}{}",
            j.name,
            when(Some(j.next_run_at)),
            when(j.last_finished_at),
            j.last_instance.as_deref().unwrap_or("-"),
            if running { "(started, not finished) " } else { "" },
            outcome,
        );
    }
    Ok(())
}

fn job_json(j: &JobState) -> Value {
    json!({
        "name": j.name, "next_run_at": j.next_run_at.to_string(),
        "last_started_at": j.last_started_at.map(|t| t.to_string()),
        "last_finished_at": j.last_finished_at.map(|t| t.to_string()),
        "last_outcome": j.last_outcome, "last_instance": j.last_instance,
    })
}
