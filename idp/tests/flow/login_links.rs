// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Login links and "forgot password": asked for on the login form, mailed through a real SMTP
//! server, read out of the captured mail and followed like a person would.

use crate::{TestIdp, location_query, spawn_idp_mailing};
use domain::demo;
use hosting::testing::body_text;
use sqlx::PgPool;

/// Asks for a link on the login form; returns the page.
async fn ask(idp: &TestIdp, identifier: &str, action: &str) -> reqwest::Response {
    let url = idp.authorize_url(&[]);
    idp.submit_login_form(&url, &[("identifier", identifier), ("action", action)]).await
}

/// The `/link?t=...` URL in the `n`th captured mail (0-based), after waiting for it.
async fn link_in_mail(idp: &TestIdp, n: usize) -> (String, String) {
    let messages = idp.smtp.as_ref().unwrap().wait_for(n + 1).await;
    let raw = messages[n].clone();
    let body = body_text(&raw);
    let start = body.find(&format!("{}/link?t=", idp.issuer)).expect("a link in the mail");
    let url: String = body[start..].chars().take_while(|c| !c.is_whitespace()).collect();
    (url, raw)
}

fn token_of(url: &str) -> String {
    url.split("t=").nth(1).unwrap().to_owned()
}

async fn use_link(idp: &TestIdp, token: &str, extra: &[(&str, &str)]) -> reqwest::Response {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("t", token)
        .extend_pairs(extra)
        .finish();
    idp.post_form("/link", body).await
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_mailed_link_logs_in_once_and_finishes_the_clients_request(pool: PgPool) {
    let idp = spawn_idp_mailing(pool).await;
    let page = ask(&idp, demo::LOGIN_NAME, "link").await;
    assert_eq!(page.status(), 200);
    let text = page.text().await.unwrap();
    assert!(text.contains("Check your email"), "{text}");

    let (url, raw) = link_in_mail(&idp, 0).await;
    assert!(raw.contains(&format!("To: {}", demo::EMAIL)), "{raw}");
    assert!(raw.contains("Subject: Your login link for Test Supporters <e.V.>"), "{raw}");
    assert!(body_text(&raw).contains("The Web App"), "names the client");

    // A mail scanner's GET does nothing: twice, and the link still works afterwards.
    for _ in 0..2 {
        let shown = idp.backend.get(&url).send().await.unwrap();
        assert_eq!(shown.status(), 200);
        let html = shown.text().await.unwrap();
        assert!(html.contains(r#"action="/link""#) && html.contains("The Web App"), "{html}");
    }
    let token = token_of(&url);
    let response = use_link(&idp, &token, &[]).await;
    assert_eq!(response.status(), 303, "{}", response.text().await.unwrap());
    let (target, query) = location_query(&response);
    assert_eq!(target, crate::REDIRECT);
    assert_eq!(query["state"], "s-123", "the request the person was in is finished");
    let tokens = idp.exchange(&query["code"]).await;
    assert_eq!(tokens.status(), 200);

    // The link is spent; the login session it started gives SSO like a password login.
    let again = use_link(&idp, &token, &[]).await;
    assert_eq!(again.status(), 410);
    let html = again.text().await.unwrap();
    assert!(html.contains("This link no longer works"), "{html}");
    assert!(html.contains("href=\"/authorize?"), "offers a fresh start: {html}");
    let sso = idp.browser.get(idp.authorize_url(&[])).send().await.unwrap();
    assert_eq!(sso.status(), 303, "logged in at the idp");
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn asking_reveals_nothing_and_mails_only_real_accounts(pool: PgPool) {
    let idp = spawn_idp_mailing(pool).await;
    let unknown = ask(&idp, "nobody@example.org", "link").await;
    let unknown_status = unknown.status();
    let unknown_text = unknown.text().await.unwrap().replace("nobody@example.org", "NAME");
    let known = ask(&idp, demo::EMAIL, "link").await;
    assert_eq!(unknown_status, known.status());
    let known_text = known.text().await.unwrap().replace(demo::EMAIL, "NAME");
    assert_eq!(unknown_text, known_text, "the same page for an unknown and a known address");

    let messages = idp.smtp.as_ref().unwrap().wait_for(1).await;
    assert!(messages[0].contains(&format!("To: {}", demo::EMAIL)));

    // A disabled account gets nothing either. Mail goes out within ~50 ms here; waiting ten
    // times that for a mail that must not come.
    sqlx::query("UPDATE account SET disabled = true WHERE login_name = 'ada'")
        .execute(&idp.pool)
        .await
        .unwrap();
    assert_eq!(ask(&idp, demo::LOGIN_NAME, "forgot").await.status(), 200);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(idp.smtp.as_ref().unwrap().messages().len(), 1, "only the real, enabled account was mailed");

    let empty = ask(&idp, "", "link").await;
    assert_eq!(empty.status(), 400);
    assert!(empty.text().await.unwrap().contains("we will email you a link"));
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn forgot_password_sets_a_new_one_and_voids_other_links(pool: PgPool) {
    let idp = spawn_idp_mailing(pool).await;
    ask(&idp, demo::LOGIN_NAME, "link").await;
    let (login_url, _) = link_in_mail(&idp, 0).await;
    ask(&idp, demo::LOGIN_NAME, "forgot").await;
    let (url, raw) = link_in_mail(&idp, 1).await;
    assert!(raw.contains("Subject: Set a new password"), "{raw}");
    let token = token_of(&url);

    let form = idp.backend.get(&url).send().await.unwrap().text().await.unwrap();
    assert!(form.contains(r#"autocomplete="new-password""#), "{form}");

    // Bad new passwords are refused and the link stays usable.
    let mismatch =
        use_link(&idp, &token, &[("password", "a new long password"), ("password_repeat", "another one!")])
            .await;
    assert_eq!(mismatch.status(), 400);
    assert!(mismatch.text().await.unwrap().contains("The two passwords differ"));
    let short = use_link(&idp, &token, &[("password", "short"), ("password_repeat", "short")]).await;
    assert_eq!(short.status(), 400);
    assert!(short.text().await.unwrap().contains("too short"));

    let new_password = "a new long password";
    let done = use_link(&idp, &token, &[("password", new_password), ("password_repeat", new_password)]).await;
    assert_eq!(done.status(), 303);
    assert!(location_query(&done).1.contains_key("code"));

    // The old password no longer works, the new one does, and the earlier login link is void.
    let fresh = TestIdp {
        browser: reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        ..idp
    };
    let url_a = fresh.authorize_url(&[]);
    let old = fresh.submit_login(&url_a, demo::LOGIN_NAME, demo::PASSWORD).await;
    assert_eq!(old.status(), 401);
    let new = fresh.submit_login(&url_a, demo::LOGIN_NAME, new_password).await;
    assert_eq!(new.status(), 303);
    let void = use_link(&fresh, &token_of(&login_url), &[]).await;
    assert_eq!(void.status(), 410, "setting a password voids the other links");
    let audit: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'account.password_set' AND source = 'password reset link'",
    )
    .fetch_one(&fresh.pool)
    .await
    .unwrap();
    assert_eq!(audit, 1);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn expired_tampered_and_disabled_links_get_a_friendly_page(pool: PgPool) {
    let idp = spawn_idp_mailing(pool).await;
    ask(&idp, demo::LOGIN_NAME, "link").await;
    let (url, _) = link_in_mail(&idp, 0).await;
    let token = token_of(&url);

    // Tampered: one character changed; garbage; missing; oversized.
    let mut tampered = token.clone().into_bytes();
    tampered[5] = if tampered[5] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    for bad in [tampered.as_str(), "garbage", "", &"A".repeat(5000)] {
        let page = use_link(&idp, bad, &[]).await;
        assert_eq!(page.status(), 410, "{bad:.20}");
        let html = page.text().await.unwrap();
        assert!(html.contains("This link no longer works"));
        assert!(!html.contains("/authorize?"), "an unknown link knows no login to go back to");
        let shown = idp.backend.get(idp.url(&format!("/link?t={bad}"))).send().await.unwrap();
        assert_eq!(shown.status(), 410);
    }

    // Disabled after the link was sent: refused.
    sqlx::query("UPDATE account SET disabled = true WHERE login_name = 'ada'")
        .execute(&idp.pool)
        .await
        .unwrap();
    assert_eq!(use_link(&idp, &token, &[]).await.status(), 410);
    sqlx::query("UPDATE account SET disabled = false WHERE login_name = 'ada'")
        .execute(&idp.pool)
        .await
        .unwrap();

    // Expired: refused, with a way back to the login.
    domain::testing::expire_login_links(&idp.pool).await.unwrap();
    let expired = use_link(&idp, &token, &[]).await;
    assert_eq!(expired.status(), 410);
    assert!(expired.text().await.unwrap().contains("href=\"/authorize?"));
    let shown = idp.backend.get(&url).send().await.unwrap();
    assert_eq!(shown.status(), 410);

    // A cross-site form posting a link is refused before it is looked at.
    let forged = idp
        .backend
        .post(idp.url("/link"))
        .header("origin", "https://evil.example")
        .form(&[("t", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn link_requests_are_throttled_and_mails_follow_the_persons_language(pool: PgPool) {
    let idp = spawn_idp_mailing(pool).await;
    sqlx::query("UPDATE person SET preferred_language = 'de'").execute(&idp.pool).await.unwrap();
    for _ in 0..5 {
        assert_eq!(ask(&idp, demo::LOGIN_NAME, "link").await.status(), 200);
    }
    let throttled = ask(&idp, demo::LOGIN_NAME, "link").await;
    assert_eq!(throttled.status(), 429, "5 links per name per 15 minutes");
    // Asking for links does not count against password logins.
    let url = idp.authorize_url(&[]);
    assert_eq!(idp.submit_login(&url, demo::LOGIN_NAME, demo::PASSWORD).await.status(), 303);

    let messages = idp.smtp.as_ref().unwrap().wait_for(5).await;
    let raw = &messages[0];
    assert!(body_text(raw).contains("Hallo Ada"), "German, as the person prefers: {raw}");
}
