// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The scheduler's claims: a due job goes to exactly one of the instances that look at once.

use domain::schedule;
use sqlx::PgPool;
use time::Duration;

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_due_job_is_claimed_by_exactly_one_of_many_instances(pool: PgPool) {
    let claims =
        (0..16).map(|i| {
            let pool = pool.clone();
            async move {
                schedule::claim(&pool, "reminders", Duration::HOUR, &format!("instance {i}")).await.unwrap()
            }
        });
    let won = futures_util_join(claims).await;
    assert_eq!(won.iter().filter(|w| **w).count(), 1, "{won:?}");
    // Not due again within the hour.
    assert!(!schedule::claim(&pool, "reminders", Duration::HOUR, "late").await.unwrap());
    // Staff can make it due now.
    assert!(schedule::due_now(&pool, "reminders").await.unwrap());
    assert!(schedule::claim(&pool, "reminders", Duration::HOUR, "late").await.unwrap());
    schedule::finish(&pool, "reminders", "ok: 3 reminders").await.unwrap();
    let jobs = schedule::list(&pool).await.unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(
        (jobs[0].last_outcome.as_deref(), jobs[0].last_instance.as_deref()),
        (Some("ok: 3 reminders"), Some("late"))
    );
    assert!(!schedule::due_now(&pool, "no_such_job").await.unwrap());
}

/// Runs the claims concurrently on the runtime (each on its own pooled connection).
async fn futures_util_join<F: std::future::Future<Output = bool> + Send + 'static>(
    claims: impl Iterator<Item = F>,
) -> Vec<bool> {
    let handles: Vec<_> = claims.map(tokio::spawn).collect();
    let mut won = Vec::new();
    for handle in handles {
        won.push(handle.await.unwrap());
    }
    won
}
