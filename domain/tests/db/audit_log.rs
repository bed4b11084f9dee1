// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
use crate::{SOURCE, new_person};
use domain::audit;
use sqlx::PgPool;

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn the_audit_log_cannot_be_rewritten(pool: PgPool) {
    let ada = new_person(&pool, "Ada").await;
    assert_eq!(audit::for_person(&pool, ada.id).await.unwrap().len(), 1);

    let rewrite = sqlx::query("UPDATE audit_log SET action = 'nothing.happened'").execute(&pool).await;
    assert!(rewrite.unwrap_err().to_string().contains("append-only"));
    let erase = sqlx::query("DELETE FROM audit_log").execute(&pool).await;
    assert!(erase.unwrap_err().to_string().contains("append-only"));
    assert_eq!(audit::for_person(&pool, ada.id).await.unwrap()[0].source.as_deref(), Some(SOURCE));
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn deleting_a_person_keeps_the_history(pool: PgPool) {
    let ada = new_person(&pool, "Ada").await;
    sqlx::query("DELETE FROM person WHERE id = $1").bind(ada.id.as_uuid()).execute(&pool).await.unwrap();
    let (count, orphans): (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE subject_person_id IS NULL) FROM audit_log WHERE action = 'person.created'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((count, orphans), (1, 1));
}
