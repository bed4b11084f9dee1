// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
use crate::spawn_app;
use sqlx::PgPool;

#[sqlx::test(migrations = false)]
async fn live_and_ready_once_migrated(pool: PgPool) {
    // The server migrates an empty database itself at start.
    let app = spawn_app(pool).await;
    let live = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(live.status(), 200);
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    assert!(ready.headers().contains_key("x-request-id"));
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn not_ready_when_the_schema_is_older_than_the_binary(pool: PgPool) {
    let app = spawn_app(pool).await;
    // As if the database had been restored from a backup taken before the last migration.
    sqlx::query("DELETE FROM _sqlx_migrations").execute(&app.pool).await.unwrap();
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    let live = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(live.status(), 200, "the process itself is fine; it must not be restarted for this");
}
