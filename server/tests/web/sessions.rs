// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
use crate::{TestApp, spawn_app};
use sqlx::PgPool;

async fn choose(app: &TestApp, amount: &str) -> reqwest::Response {
    app.client
        .post(app.url("/amount"))
        .header("origin", &app.origin)
        .form(&[("amount", amount)])
        .send()
        .await
        .unwrap()
}

async fn stored_sessions(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM tower_sessions.session").fetch_one(&app.pool).await.unwrap()
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn the_chosen_amount_is_kept_in_a_postgresql_session(pool: PgPool) {
    let app = spawn_app(pool).await;
    let response = choose(&app, "25").await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/register");
    let cookie = response.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("cdb_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    assert_eq!(stored_sessions(&app).await, 1);

    // The same client (same cookie) sees it on the page, and after choosing again, the new one.
    let (_, html) = app.get_html("/register", &[]).await;
    assert!(html.contains("You chose €25 a month"), "{html}");
    choose(&app, "50").await;
    let (_, html) = app.get_html("/register", &[("accept-language", "de")]).await;
    assert!(html.contains("Sie haben 50 € im Monat gewählt"));
    assert_eq!(stored_sessions(&app).await, 1, "one visitor, one session");
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn amounts_we_do_not_offer_are_refused(pool: PgPool) {
    let app = spawn_app(pool).await;
    for amount in ["7", "-1", "25<script>", "99999999999", ""] {
        let response = choose(&app, amount).await;
        assert_eq!(response.status(), 422, "{amount}");
        assert!(response.headers().get("set-cookie").is_none());
    }
    let missing = app
        .client
        .post(app.url("/amount"))
        .header("origin", &app.origin)
        .form(&[("x", "1")])
        .send()
        .await
        .unwrap();
    assert!(missing.status().is_client_error());
    assert_eq!(stored_sessions(&app).await, 0, "nothing worth remembering, so no session was stored");
    let (_, html) = app.get_html("/register", &[]).await;
    assert!(!html.contains("You chose"));
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn another_site_cannot_set_the_amount(pool: PgPool) {
    let app = spawn_app(pool).await;
    let forged = app
        .client
        .post(app.url("/amount"))
        .header("origin", "https://evil.example")
        .form(&[("amount", "50")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    assert_eq!(stored_sessions(&app).await, 0);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_forged_session_cookie_is_a_fresh_session(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (status, html) = app.get_html("/register", &[("cookie", "cdb_session=forged-or-expired")]).await;
    assert_eq!(status, 200);
    assert!(!html.contains("You chose"));
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn looking_at_pages_does_not_write_the_session(pool: PgPool) {
    let app = spawn_app(pool).await;
    choose(&app, "25").await;
    let stored = || async {
        sqlx::query_scalar::<_, time::OffsetDateTime>("SELECT expiry_date FROM tower_sessions.session")
            .fetch_one(&app.pool)
            .await
            .unwrap()
    };
    let before = stored().await;
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    for path in ["/register", "/c/unknown-link", "/", "/logout"] {
        let (status, _) = app.get_html(path, &[]).await;
        assert_eq!(status, 200, "{path}");
    }
    assert_eq!(stored().await, before, "a page view changed nothing, so nothing was written");
}
