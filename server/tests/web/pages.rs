// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
use crate::spawn_app;
use sqlx::PgPool;

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn the_landing_page_is_rendered_on_the_server(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (status, html) = app.get_html("/", &[("accept-language", "en-GB,en;q=0.9")]).await;
    assert_eq!(status, 200);
    assert!(html.contains(r#"<html lang="en""#), "{html:.300}");
    // The organisation's name is escaped, not interpreted.
    assert!(html.contains("<h1>Support Test Supporters &lt;e.V.&gt;</h1>"), "{html}");
    assert!(!html.contains("<e.V.>"), "{html}");
    assert!(html.contains(r#"href="/register""#) && html.contains(r#"href="/login""#));
    assert!(html.contains("€10 a month adds up to €120 a year"));
    assert!(html.contains("/pkg/community.js"), "hydration script is linked");
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn the_language_follows_the_browser_then_the_cookie(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (_, german) = app.get_html("/", &[("accept-language", "de-DE,de;q=0.9,en;q=0.5")]).await;
    assert!(german.contains(r#"<html lang="de""#));
    assert!(german.contains("<h1>Test Supporters &lt;e.V.&gt; unterstützen</h1>"));
    // An explicit choice beats the browser's preference.
    let (_, chosen) =
        app.get_html("/", &[("accept-language", "de"), ("cookie", "i18n_pref_locale=en")]).await;
    assert!(chosen.contains("<h1>Support Test Supporters"));
    // An unknown language falls back to English.
    let (_, fallback) =
        app.get_html("/", &[("accept-language", "fr-FR"), ("cookie", "i18n_pref_locale=xx")]).await;
    assert!(fallback.contains(r#"<html lang="en""#));
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn unknown_paths_get_a_404_page(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (status, html) = app.get_html("/no/such/page", &[("accept-language", "de")]).await;
    assert_eq!(status, 404);
    assert!(html.contains("Seite nicht gefunden"));
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn hostile_text_cannot_break_out_of_title_or_attributes(pool: PgPool) {
    let mut settings = crate::test_settings();
    settings.site.organisation = r#"Evil" onload="alert(1)</title><script>alert(2)</script>"#.into();
    settings.site.source_url = r#"https://example.org/src" onclick="alert(3)"#.into();
    let app = crate::spawn_app_with(pool, settings).await;
    let (status, html) = app.get_html("/", &[]).await;
    assert_eq!(status, 200);
    assert!(!html.contains("<script>alert"), "{html}");
    assert!(!html.contains("</title><script>alert"), "{html}");
    // In attributes, quotes are escaped, so no new attribute can start.
    assert!(!html.contains(r#"content="Evil" onload"#), "{html}");
    assert!(html.contains(r#"content="Evil&quot; onload=&quot;alert(1)&lt;/title&gt;"#), "{html}");
    assert!(!html.contains(r#"" onclick=""#), "{html}");
    assert!(html.contains("<title>Support Evil\" onload=\"alert(1)&lt;/title&gt;&lt;script&gt;"), "{html}");
}

/// Under concurrency, titles were once read after their signals were disposed (500s), and
/// resources that waited for the session sometimes never completed (408 after 30 s). Every
/// request must succeed, however many run at once, with and without a session.
#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn pages_render_correctly_under_concurrent_load(pool: PgPool) {
    let app = spawn_app(pool).await;
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..32 {
        let (base, origin) = (app.url(""), app.origin.clone());
        tasks.spawn(async move {
            // Each worker is one visitor with a session of its own.
            let client = reqwest::Client::builder().cookie_store(true).build().unwrap();
            let amount = ["5", "10", "25", "50"][worker % 4];
            client
                .post(format!("{base}/amount"))
                .header("origin", origin)
                .form(&[("amount", amount)])
                .send()
                .await
                .unwrap();
            let chosen = format!("You chose €{amount} a month");
            let mut failures = Vec::new();
            for round in 0..40 {
                let (path, language, want) = match (worker + round) % 3 {
                    0 => ("/", "en", "<title>Support Test Supporters".to_owned()),
                    1 => ("/", "de", "<title>Test Supporters &lt;e.V.&gt; unterstützen</title>".to_owned()),
                    _ => ("/register", "en", chosen.clone()),
                };
                let response = client
                    .get(format!("{base}{path}"))
                    .header("accept-language", language)
                    .send()
                    .await
                    .unwrap();
                let status = response.status().as_u16();
                let html = crate::text(&response.text().await.unwrap());
                if status != 200 || !html.contains(&want) {
                    failures.push((path, status));
                }
            }
            failures
        });
    }
    let mut failures = Vec::new();
    while let Some(result) = tasks.join_next().await {
        failures.extend(result.unwrap());
    }
    assert!(
        failures.is_empty(),
        "{} of 1280 requests failed, first: {:?}",
        failures.len(),
        &failures[..failures.len().min(10)]
    );
}
