// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Registration and command links over HTTP, with mail read from a real SMTP server.

use crate::{TestApp, spawn_app, spawn_app_mailing, text};
use hosting::testing::body_text;
use sqlx::PgPool;

async fn post(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    app.client.post(app.url(path)).header("origin", &app.origin).form(fields).send().await.unwrap()
}

fn registration<'a>(name: &'a str, email: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("name", name),
        ("email", email),
        ("language", "en"),
        ("country", "de"),
        ("street", "Hauptstraße 1"),
        ("city", "Berlin"),
        ("lists", "newsletter"),
        ("referrer", "spring-campaign"),
    ]
}

/// The command-link token in a mail.
fn link_token(mail: &str) -> String {
    let body = body_text(mail);
    let start = body.find("/c/").expect("a command link in the mail") + 3;
    body[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect()
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn register_confirm_by_link_and_get_a_supporter_number(pool: PgPool) {
    let app = spawn_app_mailing(pool.clone()).await;
    let (status, html) = app.get_html("/register?referrer=spring-campaign", &[]).await;
    assert_eq!(status, 200);
    assert!(html.contains(r#"<label for="name">Your name</label>"#), "{html}");
    assert!(html.contains(r#"name="referrer" value="spring-campaign""#), "the referrer rides along");
    // The lists are rows, offered with their texts in the page's language.
    assert!(html.contains(r#"name="lists" value="newsletter""#) && html.contains("Campaigns"), "{html}");
    let (_, german) = app.get_html("/register", &[("accept-language", "de")]).await;
    assert!(german.contains("Kampagnen") && german.contains("Ab und zu: Aufrufe"), "{german}");

    let response = post(&app, "/register", &registration("<b>Grace</b> Hopper", "grace@example.org")).await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/register");
    let (_, html) = app.get_html("/register", &[]).await;
    assert!(html.contains("Check your mail"), "{html}");
    let (_, html) = app.get_html("/register", &[]).await;
    assert!(
        !html.contains("Check your mail") && html.contains("<form"),
        "shown once; a reload shows the form"
    );

    let mails = app.smtp.as_ref().unwrap().wait_for(1).await;
    let body = body_text(&mails[0]);
    assert!(mails[0].contains("To: grace@example.org"), "{}", mails[0]);
    assert!(mails[0].contains("Content-Type: text/plain"), "plain text: markup in a name stays text");
    // The name was typed by whoever typed the address: it is not in the mail (app::mails).
    assert!(body.starts_with("Hello,") && !body.contains("Grace"), "{body}");
    assert!(body.contains(&format!("{}/c/", app.origin)), "{body}");
    let token = link_token(&mails[0]);

    // Looking at the link (twice, as a mail scanner would) changes nothing.
    for _ in 0..2 {
        let (status, html) = app.get_html(&format!("/c/{token}"), &[]).await;
        assert_eq!(status, 200);
        assert!(html.contains("Confirm your registration") && html.contains("<li>Newsletter</li>"), "{html}");
    }
    assert_eq!(count(&pool, "SELECT count(*) FROM person WHERE supporter_number IS NOT NULL").await, 0);

    let response = post(&app, &format!("/c/{token}"), &[("action", "confirm")]).await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], format!("/c/{token}"));
    let (_, html) = app.get_html(&format!("/c/{token}"), &[]).await;
    assert!(html.contains("you are supporter number 1000"), "{html}");
    let row: (Option<i64>, Option<String>, Option<String>, Option<String>) =
        sqlx::query_as("SELECT supporter_number, referrer, country, address_city FROM person")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(row, (Some(1000), Some("spring-campaign".into()), Some("DE".into()), Some("Berlin".into())));
    assert_eq!(count(&pool, "SELECT count(*) FROM email_address WHERE verified_at IS NOT NULL").await, 1);
    assert_eq!(
        count(&pool, "SELECT count(*) FROM consent WHERE list = 'newsletter' AND state = 'subscribed'").await,
        1
    );

    // Used: a second POST (replay) changes nothing and the page says so in words.
    let response = post(&app, &format!("/c/{token}"), &[("action", "confirm")]).await;
    assert_eq!(response.status(), 303);
    let (status, html) = app.get_html(&format!("/c/{token}"), &[]).await;
    assert_eq!(status, 200);
    assert!(html.contains("has been used already"), "{html}");
    assert_eq!(count(&pool, "SELECT count(*) FROM consent").await, 1);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn mistakes_come_back_on_the_form_with_what_was_typed(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let long = "x".repeat(5000);
    let fields = [
        ("name", "<script>alert(1)</script>"),
        ("email", "not-an-address"),
        ("street", "Somewhere 1"),
        ("language", "en"),
        ("country", long.as_str()),
        ("lists", "newsletter"),
        ("lists", "spam-list"),
    ];
    let response = post(&app, "/register", &fields).await;
    assert_eq!(response.status(), 303);
    let (_, html) = app.get_html("/register", &[]).await;
    assert!(html.contains("Please check these fields"), "{html}");
    // Each error is tied to its field.
    assert!(
        html.contains(r#"id="email-error""#) && html.contains(r#"aria-describedby="email-error""#),
        "{html}"
    );
    assert!(html.contains(r#"id="city-error""#), "street without city: {html}");
    assert!(html.contains(r#"id="country-error""#), "{html}");
    // What was typed is back, escaped; nothing typed becomes markup.
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{html}");
    assert!(!html.contains("<script>alert(1)"));
    assert!(html.contains(r#"value="not-an-address""#));
    assert!(html.contains(r#"value="newsletter" checked"#), "ticked boxes stay ticked: {html}");
    assert!(html.contains(r##"href="#lists""##), "a key the form did not offer is refused: {html}");
    assert!(!html.contains(&long), "a 5,000-character value is not kept whole");
    assert_eq!(count(&pool, "SELECT count(*) FROM person").await, 0, "nothing saved");

    // In German, the same mistakes are explained in German.
    post(&app, "/register", &[("name", ""), ("email", "grace@example.org"), ("language", "de")]).await;
    let (_, html) = app.get_html("/register", &[("accept-language", "de")]).await;
    assert!(html.contains("Bitte füllen Sie dieses Feld aus."), "{html}");
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn registering_twice_reveals_nothing_and_creates_nobody(pool: PgPool) {
    let app = spawn_app_mailing(pool.clone()).await;
    post(&app, "/register", &registration("Grace", "grace@example.org")).await;
    let token = link_token(&app.smtp.as_ref().unwrap().wait_for(1).await[0]);
    post(&app, &format!("/c/{token}"), &[("action", "confirm")]).await;

    // A stranger registers with Grace's address (in another case): the same page as anyone.
    let stranger = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = stranger
        .post(app.url("/register"))
        .header("origin", &app.origin)
        .form(&registration("Mallory", "GRACE@example.org"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let html = text(&stranger.get(app.url("/register")).send().await.unwrap().text().await.unwrap());
    assert!(html.contains("Check your mail"));
    assert_eq!(count(&pool, "SELECT count(*) FROM person").await, 1);
    assert_eq!(
        count(&pool, "SELECT count(*) FROM person WHERE display_name = 'Grace'").await,
        1,
        "nothing of the stranger's form is stored"
    );
    // The mail goes to Grace, not to the stranger, and holds no link to act on.
    let mails = app.smtp.as_ref().unwrap().wait_for(2).await;
    let body = body_text(&mails[1]);
    assert!(mails[1].contains("To: grace@example.org"), "{}", mails[1]);
    assert!(body.contains("You are a supporter already") && !body.contains("/c/"), "{body}");
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn tampered_expired_and_cross_site_links(pool: PgPool) {
    let app = spawn_app_mailing(pool.clone()).await;
    post(&app, "/register", &registration("Grace", "grace@example.org")).await;
    let token = link_token(&app.smtp.as_ref().unwrap().wait_for(1).await[0]);

    // Tampered, unknown, over-long and odd tokens: a friendly page, never an error.
    let mut flipped = token.clone().into_bytes();
    flipped[0] = if flipped[0] == b'A' { b'B' } else { b'A' };
    let flipped = String::from_utf8(flipped).unwrap();
    let long = "A".repeat(5000);
    for bad in [flipped.as_str(), "garbage", long.as_str(), "%3Cscript%3E", "..%2F..%2Fetc"] {
        let (status, html) = app.get_html(&format!("/c/{bad}"), &[]).await;
        assert_eq!(status, 200, "{bad}");
        assert!(html.contains("This link is not valid"), "{bad}: {html}");
        let response = post(&app, &format!("/c/{bad}"), &[("action", "confirm")]).await;
        assert_eq!(response.status(), 303, "{bad}");
    }
    let response = post(&app, &format!("/c/{token}"), &[("action", "delete-everything")]).await;
    assert_eq!(response.status(), 422);

    // Another site cannot make a visitor's browser confirm.
    let response = app
        .client
        .post(app.url(&format!("/c/{token}")))
        .header("origin", "https://evil.example")
        .form(&[("action", "confirm")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(count(&pool, "SELECT count(*) FROM command_link WHERE used_at IS NOT NULL").await, 0);

    // Expired: the page offers a fresh link, which goes to the same address, once.
    domain::testing::expire_command_links(&pool).await.unwrap();
    let (_, html) = app.get_html(&format!("/c/{token}"), &[]).await;
    assert!(html.contains("This link has expired") && html.contains(r#"value="renew""#), "{html}");
    post(&app, &format!("/c/{token}"), &[("action", "renew")]).await;
    let (_, html) = app.get_html(&format!("/c/{token}"), &[]).await;
    assert!(html.contains("We have sent a fresh link"), "{html}");
    let mails = app.smtp.as_ref().unwrap().wait_for(2).await;
    assert!(mails[1].contains("To: grace@example.org"));
    let fresh = link_token(&mails[1]);
    assert_ne!(fresh, token);
    post(&app, &format!("/c/{token}"), &[("action", "renew")]).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(app.smtp.as_ref().unwrap().messages().len(), 2, "an expired link buys one fresh link");
    post(&app, &format!("/c/{fresh}"), &[("action", "confirm")]).await;
    assert_eq!(count(&pool, "SELECT count(*) FROM person WHERE supporter_number IS NOT NULL").await, 1);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn registration_from_another_site_is_refused(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let response = app
        .client
        .post(app.url("/register"))
        .header("origin", "https://evil.example")
        .form(&registration("Grace", "grace@example.org"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(count(&pool, "SELECT count(*) FROM person").await, 0);
}
