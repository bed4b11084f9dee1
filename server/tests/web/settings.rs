// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! `/settings` and its server functions, called as the browser calls them: as JSON (with
//! JavaScript) and as plain form posts that come back to the page (without).

use crate::login::{Stack, location, stack};
use crate::text;
use domain::audit::{Actor, Origin};
use domain::password::{self, Password};
use domain::registration::{self, Notice, Registration};
use domain::types::{DisplayName, Email, Language};
use hosting::testing::{SinkOptions, SmtpSink};
use secrecy::{ExposeSecret, SecretString};
use sqlx::PgPool;

fn browser() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// A second supporter, Grace, with a password, registered and confirmed through domain.
async fn grace(pool: &PgPool) {
    let form = Registration {
        display_name: DisplayName::try_from("Grace Hopper").unwrap(),
        email: Email::try_from("grace@example.org").unwrap(),
        country: None,
        address: None,
        language: Language::English,
        lists: vec![],
        referrer: None,
    };
    let mut token = String::new();
    registration::register(pool, &form, |_, notice| {
        if let Notice::Confirm { token: t, .. } = notice {
            token = t.expose_secret().to_owned();
        }
        ("Confirm".into(), "Follow the link.".into())
    })
    .await
    .unwrap();
    let (link, _) = registration::perform(
        pool,
        &token,
        &app::mails::Writer { organisation: "Test".into(), origin: "http://127.0.0.1".into() },
    )
    .await
    .unwrap()
    .unwrap();
    let hash =
        password::hash(&Password::new(SecretString::from("grace-hopper-1906")).unwrap()).await.unwrap();
    let mut tx = pool.begin().await.unwrap();
    domain::account::set_password(
        &mut tx,
        Origin { actor: &Actor::System, source: "test" },
        link.person,
        &hash,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

async fn call(
    stack: &Stack,
    client: &reqwest::Client,
    function: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    client
        .post(stack.app.url(&format!("/api/settings/{function}")))
        .header("origin", &stack.app.origin)
        .form(fields)
        .send()
        .await
        .unwrap()
}

fn profile<'a>(name: &'a str, city: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("name", name),
        ("country", "gb"),
        ("street", "1 Analytical Row"),
        ("extra", ""),
        ("postal_code", "N1 9GU"),
        ("city", city),
        ("region", ""),
    ]
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_person_changes_their_own_data_and_only_theirs(pool: PgPool) {
    grace(&pool).await;
    let stack = stack(pool.clone()).await;
    let ada = stack.app.client.clone();
    stack.log_in(&ada, "ada", "ada-lovelace-1815").await;
    let grace_browser = browser();
    stack.log_in(&grace_browser, "grace@example.org", "grace-hopper-1906").await;

    // With JavaScript: JSON back, the stored data.
    let response = call(&stack, &ada, "profile", &profile("Augusta Ada King", "London")).await;
    assert_eq!(response.status(), 200);
    let data: serde_json::Value = response.json().await.unwrap();
    assert_eq!(data["profile"]["name"], "Augusta Ada King");
    assert_eq!(data["profile"]["country"], "GB");
    // Grace's session changes Grace: nothing in a request says whose data it is.
    let response =
        call(&stack, &grace_browser, "profile", &profile("Grace Brewster Hopper", "Arlington")).await;
    assert_eq!(response.status(), 200);
    let names: Vec<String> = sqlx::query_scalar("SELECT display_name FROM person ORDER BY display_name")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(names, ["Augusta Ada King", "Grace Brewster Hopper"]);
    let audited = count(
        &pool,
        "SELECT count(*) FROM audit_log WHERE action = 'person.updated' AND source = 'settings'",
    )
    .await;
    assert_eq!(audited, 2);

    let (_, html) = stack.app.get_html("/settings", &[]).await;
    assert!(html.contains(r#"value="Augusta Ada King""#) && html.contains("N1 9GU"), "{html}");

    // Lists (a list without double opt-in is joined at once) and language.
    sqlx::query("UPDATE info_list SET double_opt_in = false WHERE key = 'campaigns'")
        .execute(&pool)
        .await
        .unwrap();
    let response = call(&stack, &ada, "lists", &[("lists[]", "campaigns")]).await;
    assert_eq!(response.status(), 200);
    let saved: serde_json::Value = response.json().await.unwrap();
    assert_eq!(saved["lists"], serde_json::json!(["campaigns"]));
    assert_eq!(saved["waiting"], serde_json::json!([]));
    assert_eq!(
        count(&pool, "SELECT count(*) FROM consent WHERE list = 'campaigns' AND state = 'subscribed' AND source = 'settings'").await,
        1
    );
    // A key the settings do not offer changes nothing.
    let response = call(&stack, &ada, "lists", &[("lists[]", "campaigns"), ("lists[]", "spam-list")]).await;
    assert_eq!(response.status(), 422);
    let response = call(&stack, &ada, "language", &[("language", "de")]).await;
    assert_eq!(response.status(), 200);
    assert!(
        response
            .headers()
            .get_all("set-cookie")
            .iter()
            .any(|c| c.to_str().unwrap().starts_with("i18n_pref_locale=de")),
        "the pages follow the new language"
    );
    assert_eq!(count(&pool, "SELECT count(*) FROM person WHERE preferred_language = 'de'").await, 1);
    let (_, html) = stack.app.get_html("/settings", &[]).await;
    assert!(html.contains("Meine Daten"), "{html}");
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn without_a_login_or_from_another_site_nothing_changes(pool: PgPool) {
    let stack = stack(pool.clone()).await;
    let stranger = browser();
    let response = call(&stack, &stranger, "profile", &profile("Mallory", "Nowhere")).await;
    assert_eq!(response.status(), 401);
    let body = response.text().await.unwrap();
    assert!(body.contains("NotLoggedIn"), "{body}");
    assert_eq!(count(&pool, "SELECT count(*) FROM person WHERE display_name = 'Mallory'").await, 0);

    let ada = stack.app.client.clone();
    stack.log_in(&ada, "ada", "ada-lovelace-1815").await;
    let response = ada
        .post(stack.app.url("/api/settings/profile"))
        .header("origin", "https://evil.example")
        .form(&profile("Mallory", "Nowhere"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(count(&pool, "SELECT count(*) FROM person WHERE display_name = 'Mallory'").await, 0);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn mistakes_and_markup_without_javascript(pool: PgPool) {
    let stack = stack(pool.clone()).await;
    let ada = stack.app.client.clone();
    stack.log_in(&ada, "ada", "ada-lovelace-1815").await;
    let settings = stack.app.url("/settings");

    // A plain form post comes back to the page; a mistake travels with it and shows at its field.
    let long = "x".repeat(3000);
    let mut fields = profile("", "");
    fields[2] = ("street", long.as_str());
    let response = ada
        .post(stack.app.url("/api/settings/profile"))
        .header("origin", &stack.app.origin)
        .header("accept", "text/html")
        .header("referer", &settings)
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302, "{:?}", response.headers());
    let back = location(&response);
    assert!(back.starts_with(&settings) && back.contains("__err="), "{back}");
    let html = text(&ada.get(&back).send().await.unwrap().text().await.unwrap());
    assert!(html.contains(r#"id="name-error""#) && html.contains("Please fill this in."), "{html}");
    assert!(html.contains(r#"id="street-error""#) && html.contains("This is too long."), "{html}");
    assert!(!html.contains(&long), "a 3,000-character value is not kept whole");
    assert_eq!(
        count(&pool, "SELECT count(*) FROM person WHERE display_name = 'Ada Lovelace'").await,
        1,
        "nothing saved"
    );

    // Markup in a name is text, everywhere it shows.
    let response = ada
        .post(stack.app.url("/api/settings/profile"))
        .header("origin", &stack.app.origin)
        .header("accept", "text/html")
        .header("referer", &settings)
        .form(&profile("<img src=x onerror=alert(1)>", "London"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    let html = text(&ada.get(location(&response)).send().await.unwrap().text().await.unwrap());
    assert!(html.contains("Saved."), "the notice waits for the page: {html}");
    assert!(!html.contains("<img src=x"), "{html}");
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"), "{html}");
    let (_, home) = stack.app.get_html("/", &[]).await;
    assert!(!home.contains("<img src=x") && home.contains("&lt;img src=x"), "{home}");
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_new_address_is_added_only_through_its_link(pool: PgPool) {
    grace(&pool).await;
    let sink = SmtpSink::start(SinkOptions::default()).await;
    let mut stack = stack(pool.clone()).await;
    // The stack's server mails into the outbox; this test reads a real SMTP server instead.
    let mut settings = crate::test_settings();
    settings.http.public_url = stack.app.origin.clone();
    settings.idp.public_url = stack.idp.clone();
    settings.login = stack.login_settings();
    settings.mail.transport = hosting::config::MailTransport::Smtp;
    settings.mail.smtp_host = "127.0.0.1".into();
    settings.mail.smtp_port = sink.port;
    settings.mail.smtp_security = hosting::config::SmtpSecurity::None;
    stack.app = crate::spawn_app_with(pool.clone(), settings).await;
    let ada = stack.app.client.clone();
    stack.log_in(&ada, "ada", "ada-lovelace-1815").await;

    // Someone else's address: the same answer, and no mail.
    let response = call(&stack, &ada, "email", &[("email", "Grace@example.org")]).await;
    assert_eq!(response.status(), 200);
    let taken: serde_json::Value = response.json().await.unwrap();
    let response = call(&stack, &ada, "email", &[("email", "ada@analytical.example")]).await;
    let free: serde_json::Value = response.json().await.unwrap();
    assert_eq!(taken["EmailLinkSent"]["address"], "Grace@example.org");
    assert_eq!(free["EmailLinkSent"]["address"], "ada@analytical.example");
    let mails = sink.wait_for(1).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(sink.messages().len(), 1, "nothing went to Grace");
    assert!(mails[0].contains("To: ada@analytical.example"));
    assert_eq!(
        count(&pool, "SELECT count(*) FROM email_address WHERE address = 'ada@analytical.example'").await,
        0
    );

    // A malformed address is refused with its reason.
    let response = call(&stack, &ada, "email", &[("email", "ada@")]).await;
    assert_eq!(response.status(), 422);
    assert!(response.text().await.unwrap().contains("BadEmail"));

    let body = hosting::testing::body_text(&mails[0]);
    let start = body.find("/c/").unwrap() + 3;
    let token: String =
        body[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
    let confirm = ada
        .post(stack.app.url(&format!("/c/{token}")))
        .header("origin", &stack.app.origin)
        .form(&[("action", "confirm")])
        .send()
        .await
        .unwrap();
    assert_eq!(confirm.status(), 303);
    assert_eq!(
        count(&pool, "SELECT count(*) FROM email_address WHERE address = 'ada@analytical.example' AND verified_at IS NOT NULL").await,
        1
    );
    let (_, html) = stack.app.get_html("/settings", &[]).await;
    assert!(html.contains("ada@analytical.example"), "{html}");
}

/// Who has which address, primary first (as `email_address` holds it).
async fn addresses(pool: &PgPool) -> Vec<(String, String, bool)> {
    sqlx::query_as(
        "SELECT p.display_name, e.address, e.is_primary FROM email_address e JOIN person p ON p.id = e.person_id
         ORDER BY p.display_name, e.is_primary DESC, e.address",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn addresses_are_removed_and_made_primary_by_their_owner_only(pool: PgPool) {
    grace(&pool).await;
    let stack = stack(pool.clone()).await;
    let ada_id: uuid::Uuid =
        sqlx::query_scalar("SELECT person_id FROM email_address WHERE address = 'ada@example.org'")
            .fetch_one(&pool)
            .await
            .unwrap();
    sqlx::query("INSERT INTO email_address (person_id, address, verified_at) VALUES ($1, 'ada@analytical.example', now())")
        .bind(ada_id)
        .execute(&pool)
        .await
        .unwrap();
    let ada = stack.app.client.clone();
    stack.log_in(&ada, "ada", "ada-lovelace-1815").await;
    let grace_browser = browser();
    stack.log_in(&grace_browser, "grace@example.org", "grace-hopper-1906").await;
    let before = addresses(&pool).await;
    let error = |body: String, expected: &str| assert!(body.contains(expected), "{expected}: {body}");

    // Grace cannot touch Ada's addresses, in any spelling; the answer does not say whose it is.
    for address in ["ada@analytical.example", "ADA@Analytical.Example", "ada@example.org"] {
        let response = call(&stack, &grace_browser, "email/remove", &[("address", address)]).await;
        assert_eq!(response.status(), 404, "not yours looks like not there");
        error(response.text().await.unwrap(), "NotYourAddress");
        let response = call(&stack, &grace_browser, "email/primary", &[("address", address)]).await;
        error(response.text().await.unwrap(), "NotYourAddress");
    }
    // Hostile and malformed input is refused the same way, never a 500.
    for address in
        ["", "<script>alert(1)</script>", &"a".repeat(5000), "ada@analytical.example\r\nBcc: x@y.z"]
    {
        let response = call(&stack, &ada, "email/remove", &[("address", address)]).await;
        assert_eq!(response.status(), 404, "a refusal, not a 500: {address:?}");
        error(response.text().await.unwrap(), "NotYourAddress");
    }
    // Ada's primary address stays until another one is primary.
    let response = call(&stack, &ada, "email/remove", &[("address", "ada@example.org")]).await;
    assert_eq!(response.status(), 409);
    error(response.text().await.unwrap(), "PrimaryKept");
    assert_eq!(addresses(&pool).await, before, "nothing changed so far");
    // From another site: refused before anything runs.
    let response = ada
        .post(stack.app.url("/api/settings/email/primary"))
        .header("origin", "https://evil.example")
        .form(&[("address", "ada@analytical.example")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);

    // With JavaScript: the list as stored now comes back.
    let response = call(&stack, &ada, "email/primary", &[("address", "ada@analytical.example")]).await;
    assert_eq!(response.status(), 200);
    let data: serde_json::Value = response.json().await.unwrap();
    assert_eq!(data["emails"][0]["address"], "ada@analytical.example");
    assert_eq!(data["emails"][0]["primary"], true);
    // Without JavaScript: back to the page, which says what happened.
    let settings = stack.app.url("/settings");
    let response = ada
        .post(stack.app.url("/api/settings/email/remove"))
        .header("origin", &stack.app.origin)
        .header("accept", "text/html")
        .header("referer", &settings)
        .form(&[("address", "ada@example.org")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    let html = text(&ada.get(location(&response)).send().await.unwrap().text().await.unwrap());
    assert!(html.contains("ada@example.org was removed"), "{html}");
    assert_eq!(
        addresses(&pool).await,
        [
            ("Ada Lovelace".to_owned(), "ada@analytical.example".to_owned(), true),
            ("Grace Hopper".to_owned(), "grace@example.org".to_owned(), true),
        ]
    );
    let audited = count(
        &pool,
        "SELECT count(*) FROM audit_log WHERE action IN ('email.removed', 'email.made_primary') AND source = 'settings'",
    )
    .await;
    assert_eq!(audited, 2);
    // The removed address no longer logs anyone in; the new primary one does.
    let fresh = browser();
    let refused = stack.try_log_in(&fresh, "ada@example.org", "ada-lovelace-1815").await;
    assert!(!refused, "a removed address still logs in");
    stack.log_in(&fresh, "ada@analytical.example", "ada-lovelace-1815").await;
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn fields_are_checked_inline_with_the_rules_of_the_form(pool: PgPool) {
    let stack = stack(pool.clone()).await;
    let check = |fields: Vec<(&'static str, String)>| {
        let client = browser();
        let url = stack.app.url("/api/check");
        let origin = stack.app.origin.clone();
        async move {
            let response = client.post(url).header("origin", origin).form(&fields).send().await.unwrap();
            assert_eq!(response.status(), 200);
            response.json::<serde_json::Value>().await.unwrap()
        }
    };
    let form = |name: &str, email: Option<&str>, street: &str| {
        let mut fields = vec![
            ("profile[name]", name.to_owned()),
            ("profile[country]", String::new()),
            ("profile[street]", street.to_owned()),
            ("profile[extra]", String::new()),
            ("profile[postal_code]", String::new()),
            ("profile[city]", String::new()),
            ("profile[region]", String::new()),
        ];
        if let Some(email) = email {
            fields.push(("email", email.to_owned()));
        }
        fields
    };
    let problems = |found: serde_json::Value| {
        found
            .as_array()
            .unwrap()
            .iter()
            .map(|e| format!("{}:{}", e["field"].as_str().unwrap(), e["problem"].as_str().unwrap()))
            .collect::<Vec<_>>()
    };
    assert_eq!(problems(check(form("Grace", Some("grace@example.org"), "")).await), Vec::<String>::new());
    assert_eq!(
        problems(check(form("", Some("grace@"), "Somewhere 1")).await),
        ["name:Empty", "city:Incomplete", "email:Malformed"].map(String::from)
    );
    // No email field on the profile form: no email problem.
    assert_eq!(
        problems(check(form("Grace\u{0007}", None, "")).await),
        ["name:ForbiddenCharacter"].map(String::from)
    );
    // Hostile sizes get an answer, not a 500 (and nothing is stored: there is nowhere to store).
    let huge = "x".repeat(100_000);
    let found = problems(check(form(&huge, Some(&huge), &huge)).await);
    assert!(
        found.contains(&"name:TooLong".to_owned()) && found.contains(&"email:TooLong".to_owned()),
        "{found:?}"
    );
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn lists_come_from_the_database_and_double_opt_in_waits_for_the_link(pool: PgPool) {
    let sink = SmtpSink::start(SinkOptions::default()).await;
    let mut stack = stack(pool.clone()).await;
    // This test reads the confirmation mail from a real SMTP server.
    let mut settings = crate::test_settings();
    settings.http.public_url = stack.app.origin.clone();
    settings.idp.public_url = stack.idp.clone();
    settings.login = stack.login_settings();
    settings.mail.transport = hosting::config::MailTransport::Smtp;
    settings.mail.smtp_host = "127.0.0.1".into();
    settings.mail.smtp_port = sink.port;
    settings.mail.smtp_security = hosting::config::SmtpSecurity::None;
    stack.app = crate::spawn_app_with(pool.clone(), settings).await;
    let ada = stack.app.client.clone();
    stack.log_in(&ada, "ada", "ada-lovelace-1815").await;

    // A list staff added, with its own texts; a German page shows the German ones.
    sqlx::raw_sql(
        "INSERT INTO info_list (key, text_version, position) VALUES ('local-group', 'lg-1', 3);
         INSERT INTO info_list_text (list_key, language, name, description) VALUES
           ('local-group', 'en', 'Local group news', 'What the group in your town does.'),
           ('local-group', 'de', 'Neues aus der Ortsgruppe', 'Was die Gruppe in Ihrer Stadt tut.')",
    )
    .execute(&pool)
    .await
    .unwrap();
    let html = text(
        &ada.get(stack.app.url("/settings"))
            .header("accept-language", "de")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    );
    for shown in
        ["Kampagnen", "Ab und zu: Aufrufe", "Neues aus der Ortsgruppe", "Was die Gruppe in Ihrer Stadt tut."]
    {
        assert!(html.contains(shown), "{shown}: {html}");
    }
    assert!(html.contains(r#"name="lists[]" value="local-group""#), "{html}");
    assert!(html.contains("<strong>Neues aus der Ortsgruppe</strong>"), "{html}");
    assert!(!html.contains("<strong>Local group news</strong>"), "{html}");

    // Ticking a double opt-in list (every list is, by default) mails a link and subscribes
    // nothing; the demo data's newsletter subscription, ticked too, stays.
    let response = call(&stack, &ada, "lists", &[("lists[]", "newsletter"), ("lists[]", "campaigns")]).await;
    assert_eq!(response.status(), 200);
    let saved: serde_json::Value = response.json().await.unwrap();
    assert_eq!(saved["lists"], serde_json::json!(["newsletter"]));
    assert_eq!(saved["waiting"][0]["key"], "campaigns");
    assert_eq!(count(&pool, "SELECT count(*) FROM consent WHERE list = 'campaigns'").await, 0);
    let mails = sink.wait_for(1).await;
    assert!(mails[0].contains("To: ada@example.org"), "{}", mails[0]);
    let body = hosting::testing::body_text(&mails[0]);
    assert!(body.contains("Campaigns"), "{body}");

    // Without JavaScript: the page says where the link went.
    let response = ada
        .post(stack.app.url("/api/settings/lists"))
        .header("origin", &stack.app.origin)
        .header("accept", "text/html")
        .header("referer", stack.app.url("/settings"))
        .form(&[("lists[]", "newsletter"), ("lists[]", "campaigns")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    let html = text(&ada.get(location(&response)).send().await.unwrap().text().await.unwrap());
    assert!(html.contains("We have sent a link to your primary address to confirm “Campaigns”"), "{html}");
    assert_eq!(count(&pool, "SELECT count(*) FROM consent WHERE list = 'campaigns'").await, 0);

    // The link's page says what it does; its button subscribes.
    let start = body.find("/c/").unwrap() + 3;
    let token: String =
        body[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
    let (status, page) = stack.app.get_html(&format!("/c/{token}"), &[]).await;
    assert_eq!(status, 200);
    assert!(page.contains("Subscribe to the information emails “Campaigns”."), "{page}");
    assert_eq!(count(&pool, "SELECT count(*) FROM consent WHERE list = 'campaigns'").await, 0);
    let confirm = ada
        .post(stack.app.url(&format!("/c/{token}")))
        .header("origin", &stack.app.origin)
        .form(&[("action", "confirm")])
        .send()
        .await
        .unwrap();
    assert_eq!(confirm.status(), 303);
    let (_, page) = stack.app.get_html(&format!("/c/{token}"), &[]).await;
    assert!(page.contains("You are now subscribed to “Campaigns”."), "{page}");
    assert_eq!(
        count(&pool, "SELECT count(*) FROM consent WHERE list = 'campaigns' AND state = 'subscribed' AND source = 'settings, confirmed by mail'").await,
        1
    );

    // Unticking leaves at once.
    let response = call(&stack, &ada, "lists", &[("lists[]", "newsletter")]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        count(&pool, "SELECT count(*) FROM consent WHERE list = 'campaigns' AND state = 'unsubscribed' AND source = 'settings'").await,
        1
    );
}
