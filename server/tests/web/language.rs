// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
use crate::spawn_app;
use sqlx::PgPool;

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn the_form_sets_the_cookie_and_returns_to_the_page(pool: PgPool) {
    let app = spawn_app(pool).await;
    let response = app
        .client
        .post(app.url("/language"))
        .header("origin", &app.origin)
        .form(&[("language", "de"), ("back", "/register?amount=25")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/register?amount=25");
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("i18n_pref_locale=de;"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax") && cookie.contains("Path=/"));
    // The client keeps the cookie, so the next page is German.
    let (_, html) = app.get_html("/", &[]).await;
    assert!(html.contains(r#"<html lang="de""#));
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn hostile_input_is_refused_or_neutralised(pool: PgPool) {
    let app = spawn_app(pool).await;
    let post = |form: Vec<(&'static str, String)>, origin: Option<&str>| {
        let mut request = app.client.post(app.url("/language")).form(&form);
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        request.send()
    };
    // From another site: refused before anything happens.
    let forged = post(vec![("language", "de".into())], Some("https://evil.example")).await.unwrap();
    assert_eq!(forged.status(), 403);
    assert!(forged.headers().get("set-cookie").is_none());
    // Open redirect attempts go home instead.
    for back in ["https://evil.example/", "//evil.example", "/\\evil.example"] {
        let response =
            post(vec![("language", "en".into()), ("back", back.into())], Some(&app.origin)).await.unwrap();
        assert_eq!(response.headers()["location"], "/", "{back}");
    }
    // Unknown or hostile languages: a clear 422, no cookie.
    for language in ["fr", "de; Path=/; Domain=evil.example", "", &"x".repeat(100_000)] {
        let response = post(vec![("language", language.to_owned())], Some(&app.origin)).await.unwrap();
        assert_eq!(response.status(), 422, "{language:.40}");
        assert!(response.headers().get("set-cookie").is_none());
    }
    // A malformed body.
    let garbage = app
        .client
        .post(app.url("/language"))
        .header("origin", &app.origin)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("%%%")
        .send()
        .await
        .unwrap();
    assert!(garbage.status().is_client_error());
}
