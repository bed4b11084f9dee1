// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
use crate::{spawn_app, text};
use sqlx::PgPool;

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn the_chosen_amount_is_kept_in_a_postgresql_session(pool: PgPool) {
    let app = spawn_app(pool).await;
    let response = app.client.get(app.url("/register?amount=25")).send().await.unwrap();
    let cookie = response.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("cdb_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(text(&response.text().await.unwrap()).contains("You chose €25 a month"));

    let stored: i64 =
        sqlx::query_scalar("SELECT count(*) FROM tower_sessions.session").fetch_one(&app.pool).await.unwrap();
    assert_eq!(stored, 1);

    // Same client (same cookie), no parameter: the session remembers.
    let (_, html) = app.get_html("/register", &[]).await;
    assert!(html.contains("You chose €25 a month"));
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn amounts_we_do_not_offer_are_ignored(pool: PgPool) {
    let app = spawn_app(pool).await;
    for amount in ["7", "-1", "25%3Cscript%3E", "99999999999"] {
        let (status, html) = app.get_html(&format!("/register?amount={amount}"), &[]).await;
        assert_eq!(status, 200);
        assert!(!html.contains("You chose"), "{amount}");
    }
    let stored: i64 =
        sqlx::query_scalar("SELECT count(*) FROM tower_sessions.session").fetch_one(&app.pool).await.unwrap();
    assert_eq!(stored, 0, "nothing worth remembering, so no session was stored");
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_forged_session_cookie_is_a_fresh_session(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (status, html) = app.get_html("/register", &[("cookie", "cdb_session=forged-or-expired")]).await;
    assert_eq!(status, 200);
    assert!(!html.contains("You chose"));
}
