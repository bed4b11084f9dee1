// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! my.* under hostile use: the answer table over HTTP (statuses, bodies without detail),
//! throttled mail, logins that end (too old, account disabled, person erased), and the
//! security headers of pages and other answers.

use crate::login::{location, stack};
use crate::{TestApp, spawn_app, spawn_app_mailing};
use domain::audit::{Actor, Origin};
use domain::types::PersonId;
use hosting::testing::body_text;
use sqlx::PgPool;
use tower_sessions::SessionStore;
use tower_sessions_sqlx_store::PostgresStore;

fn browser() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

async fn post(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    client.post(app.url(path)).header("origin", &app.origin).form(fields).send().await.unwrap()
}

fn registration(email: &str) -> Vec<(&'static str, String)> {
    vec![
        ("name", "Grace Hopper".into()),
        ("email", email.into()),
        ("language", "en".into()),
        ("country", "de".into()),
    ]
}

async fn register(
    app: &TestApp,
    client: &reqwest::Client,
    email: &str,
    extra: &[(&str, &str)],
) -> reqwest::Response {
    let mut request =
        client.post(app.url("/register")).header("origin", &app.origin).form(&registration(email));
    for (name, value) in extra {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

/// Words that would show an internal detail in a body.
fn assert_no_detail(body: &str) {
    for leak in [
        "sqlx",
        "Failed to deserialize",
        "missing field",
        "panicked",
        "/src/",
        "database error",
        "ServerFnError",
    ] {
        assert!(!body.contains(leak), "{leak} in {body}");
    }
}

async fn mail_jobs(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM mail_job").fetch_one(pool).await.unwrap()
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn refusals_of_plain_routes_and_server_functions_have_their_status(pool: PgPool) {
    let app = spawn_app(pool).await;
    let client = browser();
    // Bad input to plain routes: 422 in the reader's language, never axum's own rejection text.
    for fields in [vec![("amount", "7")], vec![("amount", "25<script>")], vec![("x", "1")], vec![]] {
        let response = post(&app, &client, "/amount", &fields).await;
        assert_eq!(response.status(), 422, "{fields:?}");
        assert_eq!(response.headers()["cache-control"], "no-store");
        let body = response.text().await.unwrap();
        assert_no_detail(&body);
        assert!(body.contains("could not be understood"), "{body}");
    }
    let response = client
        .post(app.url("/language"))
        .header("origin", &app.origin)
        .header("accept-language", "de")
        .form(&[("language", "xx\r\nSet-Cookie: a=b")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    assert!(response.text().await.unwrap().contains("nicht verständlich"));
    let response = post(&app, &client, "/language", &[]).await;
    assert_eq!(response.status(), 422);
    assert_no_detail(&response.text().await.unwrap());
    let response = post(&app, &client, "/c/some-token", &[("action", "<script>")]).await;
    assert_eq!(response.status(), 422);

    // Server functions: not logged in is 401 (not server_fn's 500), with the kind as JSON.
    for function in ["profile", "lists", "language", "email", "email/remove", "email/primary"] {
        let fields = [
            ("name", "Mallory"),
            ("country", ""),
            ("street", ""),
            ("extra", ""),
            ("postal_code", ""),
            ("city", ""),
            ("region", ""),
            ("language", "en"),
            ("email", "mallory@example.org"),
            ("address", "mallory@example.org"),
        ];
        let response = post(&app, &client, &format!("/api/settings/{function}"), &fields).await;
        assert_eq!(response.status(), 401, "{function}");
        assert_eq!(response.headers()["cache-control"], "no-store");
        let body = response.text().await.unwrap();
        assert!(body.contains("NotLoggedIn"), "{function}: {body}");
    }
    // Missing or mangled arguments: 422 and the kind, no decoder message.
    for body in ["", "email", "%ZZ=%ZZ", "address[]=x&address[]=y"] {
        let response = client
            .post(app.url("/api/settings/email/remove"))
            .header("origin", &app.origin)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        assert!(response.status() == 422 || response.status() == 401, "{body:?}: {}", response.status());
        let text = response.text().await.unwrap();
        assert_no_detail(&text);
    }
    let response = client
        .post(app.url("/api/settings/profile"))
        .header("origin", &app.origin)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("name=only-one-field")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    assert!(response.text().await.unwrap().contains("BadRequest"));
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn registration_mail_is_throttled_per_address_whether_known_or_not(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    domain::demo::ensure(&pool).await.unwrap();
    let client = browser();
    // Five a quarter hour for one address, in any spelling of it; the sixth is refused.
    for (n, spelling) in
        ["new@example.org", "NEW@example.org", "New@Example.Org", "new@EXAMPLE.org", "new@example.ORG"]
            .iter()
            .enumerate()
    {
        let response = register(&app, &client, spelling, &[]).await;
        assert_eq!(response.status(), 303, "attempt {n}: {spelling}");
    }
    let queued = mail_jobs(&pool).await;
    let new = register(&app, &client, "nEw@example.org", &[]).await;
    assert_eq!(new.status(), 429);
    assert_eq!(new.headers()["retry-after"], "900");
    let new_body = new.text().await.unwrap();
    assert!(new_body.contains("Too many attempts"), "{new_body}");
    assert_eq!(mail_jobs(&pool).await, queued, "nothing mailed");

    // Ada's address (known) gets exactly the same answers, from another network too.
    for n in 0..5 {
        let response = register(&app, &client, "ada@example.org", &[]).await;
        assert_eq!(response.status(), 303, "attempt {n}");
    }
    let known = register(&app, &client, "ADA@example.org", &[]).await;
    assert_eq!(known.status(), 429);
    assert_eq!(known.text().await.unwrap(), new_body, "known and unknown look alike");
    // In German for a German reader.
    let german = register(&app, &client, "ada@example.org", &[("accept-language", "de-DE,de;q=0.9")]).await;
    assert_eq!(german.status(), 429);
    assert!(german.text().await.unwrap().contains("Zu viele Versuche"));
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn registration_mail_is_throttled_per_network_and_forwarded_for_is_not_believed(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let client = browser();
    // 50 a quarter hour from one network, whatever X-Forwarded-For claims (no trusted proxy).
    for n in 0..50 {
        let spoof = format!("198.51.100.{n}");
        let response =
            register(&app, &client, &format!("person{n}@example.org"), &[("x-forwarded-for", &spoof)]).await;
        assert_eq!(response.status(), 303, "attempt {n}");
    }
    for (email, spoof) in
        [("other@example.org", "203.0.113.1"), ("more@example.org", "::1"), ("x@example.org", "garbage")]
    {
        let response = register(&app, &client, email, &[("x-forwarded-for", spoof)]).await;
        assert_eq!(response.status(), 429, "{spoof}");
    }
    // A form with mistakes sends no mail and is not throttled: it comes back with them.
    let response = post(&app, &client, "/register", &[("name", ""), ("email", "x@example.org")]).await;
    assert_eq!(response.status(), 303);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn confirmation_mails_carry_no_text_the_sender_chose(pool: PgPool) {
    let app = spawn_app_mailing(pool.clone()).await;
    let client = browser();
    for name in ["www.evil.example/login", "http://evil.example", "<a href=\"https://evil.example\">Bank</a>"]
    {
        let fields = [("name", name), ("email", "victim@example.org"), ("language", "en")];
        let response = post(&app, &client, "/register", &fields).await;
        assert_eq!(response.status(), 303, "{name}");
    }
    let mails = app.smtp.as_ref().unwrap().wait_for(3).await;
    for mail in &mails {
        let body = body_text(mail);
        assert!(!body.contains("evil") && !body.contains("Bank"), "{body}");
        assert!(body.starts_with("Hello,"), "{body}");
        assert!(body.contains(&format!("{}/c/", app.origin)), "our link is there: {body}");
    }
}

/// The person id of a demo person's address.
async fn person_of(pool: &PgPool, address: &str) -> PersonId {
    let id: uuid::Uuid = sqlx::query_scalar("SELECT person_id FROM email_address WHERE address = $1")
        .bind(address)
        .fetch_one(pool)
        .await
        .unwrap();
    PersonId::from(id)
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn adding_addresses_is_throttled_and_its_mail_names_nobody(pool: PgPool) {
    let stack = stack(pool.clone()).await;
    let ada = stack.app.client.clone();
    stack.log_in(&ada, "ada", "ada-lovelace-1815").await;
    let name = [
        ("name", "www.evil.example"),
        ("country", ""),
        ("street", ""),
        ("extra", ""),
        ("postal_code", ""),
        ("city", ""),
        ("region", ""),
    ];
    assert_eq!(post(&stack.app, &ada, "/api/settings/profile", &name).await.status(), 200);
    for spelling in
        ["new@example.org", "NEW@example.org", "new@Example.org", "New@example.org", "new@example.ORG"]
    {
        let response = post(&stack.app, &ada, "/api/settings/email", &[("email", spelling)]).await;
        assert_eq!(response.status(), 200, "{spelling}");
    }
    let response = post(&stack.app, &ada, "/api/settings/email", &[("email", "nEW@example.org")]).await;
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "900");
    assert!(response.text().await.unwrap().contains("Throttled"));
    // Without JavaScript: back to the page, which says it in words.
    let settings = stack.app.url("/settings");
    let response = ada
        .post(stack.app.url("/api/settings/email"))
        .header("origin", &stack.app.origin)
        .header("accept", "text/html")
        .header("referer", &settings)
        .form(&[("email", "new@example.org")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    let html = ada.get(location(&response)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Too many attempts"), "{html}");
    // The mails that went: no name, no text of the requester.
    let bodies: Vec<String> = sqlx::query_scalar("SELECT body FROM mail_job WHERE kind = 'confirm_email'")
        .fetch_all(&pool)
        .await
        .unwrap_or_default();
    for body in bodies {
        assert!(!body.contains("evil"), "{body}");
    }
}

/// Sets when every stored session's login began, as the session store keeps it.
async fn set_login_time(pool: &PgPool, value: serde_json::Value) {
    let store = PostgresStore::new(pool.clone());
    let ids: Vec<String> =
        sqlx::query_scalar("SELECT id FROM tower_sessions.session").fetch_all(pool).await.unwrap();
    for id in ids {
        let id: tower_sessions::session::Id = id.parse().unwrap();
        let Some(mut record) = store.load(&id).await.unwrap() else { continue };
        if record.data.contains_key("person") {
            record.data.insert("logged_in_at".into(), value.clone());
            store.save(&record).await.unwrap();
        }
    }
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_login_older_than_the_absolute_lifetime_is_logged_out(pool: PgPool) {
    let stack = stack(pool.clone()).await;
    let app = &stack.app;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    // Hostile or stale start times: too old, from the future, not a number, missing.
    for start in [
        serde_json::json!(now - 24 * 3600),
        serde_json::json!(now - 25 * 3600),
        serde_json::json!(now + 7 * 24 * 3600),
        serde_json::json!("yesterday"),
        serde_json::Value::Null,
    ] {
        stack.log_in(&app.client, "ada", "ada-lovelace-1815").await;
        assert_eq!(app.client.get(app.url("/settings")).send().await.unwrap().status(), 200);
        set_login_time(&pool, start.clone()).await;
        let response = app.client.get(app.url("/settings")).send().await.unwrap();
        assert_eq!(response.status(), 303, "{start}");
        assert_eq!(location(&response), "/login?next=/settings");
        // The session no longer names anyone, so server functions refuse too.
        let call = post(app, &app.client, "/api/settings/lists", &[]).await;
        assert_eq!(call.status(), 401, "{start}");
    }
    // A fresh login within the lifetime stands.
    stack.log_in(&app.client, "ada", "ada-lovelace-1815").await;
    set_login_time(&pool, serde_json::json!(now - 23 * 3600)).await;
    assert_eq!(app.client.get(app.url("/settings")).send().await.unwrap().status(), 200);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn disabling_the_account_logs_out_the_next_request(pool: PgPool) {
    let stack = stack(pool.clone()).await;
    let app = &stack.app;
    stack.log_in(&app.client, "ada", "ada-lovelace-1815").await;
    let (_, home) = app.get_html("/", &[]).await;
    assert!(home.contains("Welcome, Ada Lovelace"));
    let ada = person_of(&pool, "ada@example.org").await;
    let mut tx = pool.begin().await.unwrap();
    domain::account::disable(&mut tx, Origin { actor: &Actor::System, source: "test" }, ada).await.unwrap();
    tx.commit().await.unwrap();

    // A server function first (no page view in between): refused as logged out. (The demo
    // data subscribes Ada to the newsletter; unticking it would write a row.)
    let consents = "SELECT count(*) FROM consent";
    let before: i64 = sqlx::query_scalar(consents).fetch_one(&pool).await.unwrap();
    let call = post(app, &app.client, "/api/settings/lists", &[("lists[]", "campaigns")]).await;
    assert_eq!(call.status(), 401);
    let after: i64 = sqlx::query_scalar(consents).fetch_one(&pool).await.unwrap();
    assert_eq!(after, before, "nothing changed");
    let (status, home) = app.get_html("/", &[]).await;
    assert_eq!(status, 200);
    assert!(!home.contains("Welcome, Ada Lovelace"), "{home}");
    assert_eq!(app.client.get(app.url("/settings")).send().await.unwrap().status(), 303);
    let audited: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'account.disabled'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(audited, 1);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn erasing_the_person_logs_out_the_next_request(pool: PgPool) {
    let stack = stack(pool.clone()).await;
    let app = &stack.app;
    stack.log_in(&app.client, "ada", "ada-lovelace-1815").await;
    let ada = person_of(&pool, "ada@example.org").await;
    sqlx::query("DELETE FROM person WHERE id = $1").bind(ada.as_uuid()).execute(&pool).await.unwrap();
    let call = post(app, &app.client, "/api/settings/lists", &[]).await;
    assert_eq!(call.status(), 401);
    assert_eq!(app.client.get(app.url("/settings")).send().await.unwrap().status(), 303);
}

fn header(response: &reqwest::Response, name: &str) -> String {
    response.headers().get(name).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn pages_and_answers_carry_the_security_headers(pool: PgPool) {
    let stack = stack(pool.clone()).await;
    let app = &stack.app;
    let mut nonces = Vec::new();
    for path in ["/", "/register", "/c/unknown", "/no-such-page"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        let csp = header(&response, "content-security-policy");
        assert_eq!(header(&response, "x-content-type-options"), "nosniff", "{path}");
        assert_eq!(header(&response, "referrer-policy"), "same-origin", "{path}");
        assert_eq!(header(&response, "x-frame-options"), "DENY", "{path}");
        assert_eq!(header(&response, "cache-control"), "no-store", "{path}");
        for part in ["frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'", "default-src 'none'"] {
            assert!(csp.contains(part), "{path}: {csp}");
        }
        assert!(csp.contains(&format!("form-action 'self' {}", stack.idp)), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        let html = response.text().await.unwrap();
        // The one inline script carries the nonce the header names; no other inline script.
        let nonce = csp.split("'nonce-").nth(1).and_then(|rest| rest.split('\'').next()).unwrap().to_owned();
        assert!(html.contains(&format!(r#"<script type="module" nonce="{nonce}">"#)), "{path}: {html}");
        // Every inline script carries it too (Leptos's own), or is empty (nothing to run).
        for (at, _) in html.match_indices("<script") {
            let tag = &html[at..];
            let ok = tag.starts_with(&format!(r#"<script nonce="{nonce}">"#))
                || tag.starts_with(&format!(r#"<script type="module" nonce="{nonce}">"#))
                || tag.starts_with("<script></script>");
            assert!(ok, "{path}: {}", &tag[..tag.len().min(200)]);
        }
        nonces.push(nonce);
    }
    nonces.sort();
    nonces.dedup();
    assert_eq!(nonces.len(), 4, "a fresh nonce per page");

    // Behind the login: the personal page and the server functions.
    stack.log_in(&app.client, "ada", "ada-lovelace-1815").await;
    let settings = app.client.get(app.url("/settings")).send().await.unwrap();
    assert_eq!(settings.status(), 200);
    assert_eq!(header(&settings, "cache-control"), "no-store");
    assert!(header(&settings, "content-security-policy").contains("'nonce-"));
    for function in ["lists", "email/remove"] {
        let response =
            post(app, &app.client, &format!("/api/settings/{function}"), &[("address", "x@y.z")]).await;
        assert_eq!(header(&response, "cache-control"), "no-store", "{function}");
        assert_eq!(header(&response, "x-content-type-options"), "nosniff");
        assert_eq!(header(&response, "content-security-policy"), app::security_headers::STRICT);
    }
    // Plain routes and their refusals too.
    for response in [
        post(app, &app.client, "/amount", &[("amount", "7")]).await,
        post(app, &app.client, "/amount", &[("amount", "25")]).await,
        app.client.get(app.url("/healthz")).send().await.unwrap(),
    ] {
        assert_eq!(header(&response, "cache-control"), "no-store");
        assert_eq!(header(&response, "content-security-policy"), app::security_headers::STRICT);
        assert_eq!(header(&response, "x-content-type-options"), "nosniff");
    }
}
