// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The donate form, the transfer details and "My donations" over HTTP with the real router:
//! hostile input stores nothing, a visitor's pledge never reveals whether the address is known,
//! the transfer page and the donation forms are only ever the giver's own.
//! Run: `cargo test -p server --test web donat`.

use crate::login::{location, stack};
use crate::{TestApp, spawn_app, spawn_app_mailing, text};
use hosting::testing::body_text;
use sqlx::PgPool;

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

async fn get(app: &TestApp, client: &reqwest::Client, path: &str) -> (u16, String) {
    let response = client.get(app.url(path)).send().await.unwrap();
    (response.status().as_u16(), text(&response.text().await.unwrap()))
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

/// The page's own content (without the header, whose language switch carries the address back,
/// escaped, and the nonces).
fn main(html: &str) -> &str {
    let start = html.find("<main").expect("a main element");
    let end = html.find("</main>").expect("the end of main");
    &html[start..end]
}

fn gift<'a>(amount: &'a str, period: &'a str, name: &'a str, email: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("amount", "10"),
        ("custom_amount", amount),
        ("period", period),
        ("method", "bank_transfer"),
        ("name", name),
        ("email", email),
        ("language", "en"),
        ("referrer", "spring-campaign"),
    ]
}

/// The transfer page the donate POST led to, with its path.
async fn donate(app: &TestApp, client: &reqwest::Client, fields: &[(&str, &str)]) -> (String, String) {
    let response = post(app, client, "/donate", fields).await;
    assert_eq!(response.status(), 303);
    let path = location(&response);
    assert!(path.starts_with("/donate/transfer/"), "{path}");
    let (status, html) = get(app, client, &path).await;
    assert_eq!(status, 200, "{html}");
    (path, html)
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn the_form_is_prefilled_from_the_address_and_never_echoes_odd_values(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (status, html) = app.get_html("/donate?amount=25&period=yearly&referrer=spring-2026", &[]).await;
    assert_eq!(status, 200);
    assert!(html.contains(r#"value="25" checked"#), "{html}");
    assert!(html.contains(r#"value="yearly" checked"#), "{html}");
    assert!(html.contains(r#"name="referrer" value="spring-2026""#), "{html}");
    // Every offered method, bank transfer first and chosen; a visitor is asked who they are.
    assert!(
        html.contains(r#"value="bank_transfer" checked"#) && !html.contains(r#"value="stripe""#),
        "{html}"
    );
    assert!(html.contains(r#"<label for="email">"#), "{html}");

    let (_, html) = app.get_html("/donate?amount=12.50", &[]).await;
    assert!(
        html.contains(r#"name="custom_amount" type="text""#) && html.contains(r#"value="12.50""#),
        "{html}"
    );

    let hostile = "/donate?amount=%22%3E%3Cscript%3Ealert(1)%3C/script%3E&period=%3Cb%3E&referrer=%22%3E%3Cimg%20src=x%3E&method=cash";
    let (status, html) = app.get_html(hostile, &[]).await;
    assert_eq!(status, 200);
    assert!(!html.contains("<script>alert") && !html.contains("<img src"), "{html}");
    let html = main(&html);
    for echoed in ["<script>alert", "&lt;script", "<img src", "&lt;img", "cash", "&lt;b&gt;"] {
        assert!(!html.contains(echoed), "{echoed} echoed: {html}");
    }
    assert!(
        html.contains(r#"value="10" checked"#) && html.contains(r#"value="monthly" checked"#),
        "defaults"
    );

    let (_, html) = app.get_html("/donate", &[("accept-language", "de")]).await;
    assert!(html.contains("Eigener Betrag") && html.contains("Überweisung"), "{html}");
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn hostile_donate_forms_are_refused_at_their_fields_and_store_nothing(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let long = "9".repeat(5000);
    // The form, the id of the error shown, and what it says.
    type Case<'a> = (Vec<(&'a str, &'a str)>, &'a str, &'a str);
    let cases: Vec<Case> = vec![
        (gift("0", "once", "Ada", "ada@example.org"), "amount-error", "The smallest gift is €1."),
        (gift("-5", "once", "Ada", "ada@example.org"), "amount-error", "in digits"),
        (gift("0.99", "once", "Ada", "ada@example.org"), "amount-error", "The smallest gift is €1."),
        (gift("10000.01", "once", "Ada", "ada@example.org"), "amount-error", "Gifts above €10000"),
        (gift(&long, "once", "Ada", "ada@example.org"), "amount-error", "Gifts above"),
        (gift("ten", "once", "Ada", "ada@example.org"), "amount-error", "in digits"),
        (gift("5.555", "once", "Ada", "ada@example.org"), "amount-error", "two decimals"),
        (gift("1e3", "once", "Ada", "ada@example.org"), "amount-error", "in digits"),
        (gift("5", "weekly", "Ada", "ada@example.org"), "period-error", "one of the options"),
        (gift("5", "<script>", "Ada", "ada@example.org"), "period-error", "one of the options"),
        (gift("5", "once", "", "ada@example.org"), "name-error", "Please fill this in."),
        (gift("5", "once", "Ada\u{202e}", "ada@example.org"), "name-error", ""),
        (gift("5", "once", "Ada", "not-an-address"), "email-error", ""),
    ];
    for (fields, error, says) in cases {
        let response = post(&app, &app.client, "/donate", &fields).await;
        assert_eq!(response.status(), 303, "{fields:?}");
        assert_eq!(location(&response), "/donate");
        let (_, html) = get(&app, &app.client, "/donate").await;
        assert!(html.contains(&format!(r#"id="{error}""#)), "{fields:?}: {html}");
        assert!(html.contains(says), "{fields:?}: {says}: {html}");
        assert!(html.contains("Please check these fields"), "{html}");
        assert!(!html.contains(&long), "a 5,000-character value is not kept whole");
    }
    // An unknown method, with a script for a name: the name comes back as text, never markup.
    let mut fields = gift("5", "once", "<script>alert(1)</script>", "ada@example.org");
    fields[3] = ("method", "cash");
    post(&app, &app.client, "/donate", &fields).await;
    let (_, html) = get(&app, &app.client, "/donate").await;
    assert!(html.contains(r#"id="method-error""#), "{html}");
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && !html.contains("<script>alert(1)"),
        "{html}"
    );
    // Stripe is not offered here, so it is refused like any unknown method.
    fields[3] = ("method", "stripe");
    post(&app, &app.client, "/donate", &fields).await;
    let (_, html) = get(&app, &app.client, "/donate").await;
    assert!(html.contains(r#"id="method-error""#), "{html}");
    // A reload shows a fresh form: the outcome was shown once.
    let (_, html) = get(&app, &app.client, "/donate").await;
    assert!(!html.contains("Please check these fields"));
    // In German, in German.
    post(&app, &app.client, "/donate", &gift("0", "once", "Ada", "ada@example.org")).await;
    let response = app.client.get(app.url("/donate")).header("accept-language", "de").send().await.unwrap();
    let html = text(&response.text().await.unwrap());
    assert!(html.contains("Die kleinste Spende ist 1 €."), "{html}");

    // A body far beyond any form, and another site's form: refused before anything is read.
    let huge = "x".repeat(100 * 1024);
    let response = post(&app, &app.client, "/donate", &[("name", huge.as_str())]).await;
    assert_eq!(response.status(), 422);
    let response = app
        .client
        .post(app.url("/donate"))
        .header("origin", "https://evil.example")
        .form(&gift("5", "once", "Ada", "ada@example.org"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);

    assert_eq!(count(&pool, "SELECT count(*) FROM pledge").await, 0, "no pledge");
    assert_eq!(count(&pool, "SELECT count(*) FROM person").await, 0, "no person");
    assert_eq!(count(&pool, "SELECT count(*) FROM mail_job").await, 0, "no mail");
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_visitor_pledges_by_transfer_and_only_their_session_sees_the_details(pool: PgPool) {
    let app = spawn_app_mailing(pool.clone()).await;
    let (path, html) =
        donate(&app, &app.client, &gift("12,50", "monthly", "Grace Hopper", "grace@example.org")).await;
    let reference: String =
        sqlx::query_scalar("SELECT reference FROM pledge").fetch_one(&pool).await.unwrap();
    let grouped =
        reference.as_bytes().chunks(4).map(|c| std::str::from_utf8(c).unwrap()).collect::<Vec<_>>().join(" ");
    assert!(html.contains(&grouped), "the reference in fours: {grouped}: {html}");
    assert!(html.contains("DE89 3704 0044 0532 0130 00"), "the IBAN in fours: {html}");
    assert!(html.contains("Community Database"), "the account holder: {html}");
    assert!(html.contains("€12.50") && html.contains("monthly"), "{html}");
    assert!(html.contains("standing order"), "{html}");
    assert!(
        html.contains("<svg") && html.contains(r#"aria-label="EPC QR code for this transfer""#),
        "{html}"
    );
    assert!(html.contains("We have sent a mail"), "{html}");

    // A new, unconfirmed person, and the pledge waits for the confirmation.
    let row: (Option<i64>, String, Option<String>) =
        sqlx::query_as("SELECT supporter_number, display_name, referrer FROM person")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(row, (None, "Grace Hopper".into(), Some("spring-campaign".into())));
    let pledge: (i64, String, String, bool) =
        sqlx::query_as("SELECT amount_minor, period::text, status::text, person_id IS NULL FROM pledge")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(pledge, (1250, "monthly".into(), "pending".into(), true));
    let mails = app.smtp.as_ref().unwrap().wait_for(1).await;
    assert!(mails[0].contains("To: grace@example.org"), "{}", mails[0]);
    assert!(body_text(&mails[0]).contains("/c/"), "a confirmation link");

    // Another browser, with or without a session of its own, gets the same 404 as for a pledge
    // that does not exist; so does a mangled id.
    let stranger = browser();
    let (status, _) = get(&app, &stranger, "/donate").await;
    assert_eq!(status, 200);
    for other in [
        path.clone(),
        "/donate/transfer/5f0c6b8e-3a53-4f43-9a4e-000000000000".into(),
        "/donate/transfer/x".into(),
    ] {
        let (status, html) = get(&app, &stranger, &other).await;
        assert_eq!(status, 404, "{other}");
        assert!(!html.contains(&grouped), "{other}");
    }
    // The giver's own session still sees it (a reload).
    let (status, _) = get(&app, &app.client, &path).await;
    assert_eq!(status, 200);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_known_address_gets_the_same_answer_and_no_second_person(pool: PgPool) {
    let app = spawn_app_mailing(pool.clone()).await;
    // Ada is a confirmed supporter.
    domain::demo::ensure(&pool).await.unwrap();
    let people = count(&pool, "SELECT count(*) FROM person").await;

    let new = browser();
    let (_, for_new) = donate(&app, &new, &gift("25", "once", "Someone", "new@example.org")).await;
    let known = browser();
    let (_, for_known) = donate(&app, &known, &gift("25", "once", "Mallory", "ADA@example.org")).await;

    // The same page but for the reference (and the QR code that carries it).
    let references: Vec<String> =
        sqlx::query_scalar("SELECT reference FROM pledge WHERE person_id IS NULL ORDER BY created_at")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(references.len(), 2);
    let blank = |html: &str, reference: &str| {
        let grouped = reference
            .as_bytes()
            .chunks(4)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect::<Vec<_>>()
            .join(" ");
        let html = main(html).replace(&grouped, "REF");
        let start = html.find("<svg").unwrap();
        let end = html.find("</svg>").unwrap();
        format!("{}{}", &html[..start], &html[end..])
    };
    assert_eq!(blank(&for_new, &references[0]), blank(&for_known, &references[1]));

    assert_eq!(count(&pool, "SELECT count(*) FROM person").await, people + 1, "only the new address is new");
    assert_eq!(count(&pool, "SELECT count(*) FROM person WHERE display_name = 'Mallory'").await, 0);
    let mails = app.smtp.as_ref().unwrap().wait_for(2).await;
    let to_ada = mails.iter().find(|m| m.contains("To: ada@example.org")).expect("a mail to Ada");
    assert!(body_text(to_ada).contains("/c/"), "Ada may add the pledge to her account");
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn my_donations_are_mine_to_see_change_and_cancel(pool: PgPool) {
    let stack = stack(pool.clone()).await;
    let app = &stack.app;
    // Someone else's pledge (a visitor's), made in another browser.
    let other = browser();
    let (other_transfer, _) = donate(app, &other, &gift("30", "monthly", "Grace", "grace@example.org")).await;
    let other_id = other_transfer.trim_start_matches("/donate/transfer/").to_owned();

    // Logged out: sent to log in; the forms answer 401.
    let (status, _) = get(app, &app.client, "/donations").await;
    assert_eq!(status, 303);
    let response = post(app, &app.client, &format!("/donations/{other_id}/cancel"), &[]).await;
    assert_eq!(response.status(), 401);

    stack.log_in(&app.client, "ada", "ada-lovelace-1815").await;
    let (status, html) = get(app, &app.client, "/donations").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("My donations") && html.contains("€10") && html.contains("€50"), "{html}");
    // The demo's three: monthly transfer, one-off gift, yearly card pledge that needs renewal.
    assert_eq!(html.matches("class=\"pledge\"").count(), 3, "Ada's three pledges only: {}", main(&html));
    assert!(!html.contains("€30"), "not Grace's: {html}");
    assert_eq!(html.matches("<td class=\"amount\">").count(), 5, "Ada's five payments: {html}");
    assert!(html.contains("2026-11-02"), "{html}");

    // Grace's pledge is not Ada's: the same 404 as for no pledge at all, and nothing changes.
    for action in ["change", "cancel", "card"] {
        let response = post(
            app,
            &app.client,
            &format!("/donations/{other_id}/{action}"),
            &[("amount", "1"), ("period", "monthly")],
        )
        .await;
        assert_eq!(response.status(), 404, "{action}");
        let response = post(app, &app.client, &format!("/donations/not-an-id/{action}"), &[]).await;
        assert_eq!(response.status(), 404, "{action}");
    }
    let (status, _) = get(app, &app.client, &other_transfer).await;
    assert_eq!(status, 404, "another's transfer details");
    let grace: (i64, String) =
        sqlx::query_as(&format!("SELECT amount_minor, status::text FROM pledge WHERE id = '{other_id}'"))
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(grace, (3000, "pending".into()));

    let monthly: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM pledge WHERE period = 'monthly' AND person_id IS NOT NULL")
            .fetch_one(&pool)
            .await
            .unwrap();
    let once: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM pledge WHERE period = 'once'").fetch_one(&pool).await.unwrap();

    // A refused change comes back at its field.
    let response = post(
        app,
        &app.client,
        &format!("/donations/{monthly}/change"),
        &[("amount", "0.5"), ("period", "monthly")],
    )
    .await;
    assert_eq!(location(&response), "/donations");
    let (_, html) = get(app, &app.client, "/donations").await;
    assert!(
        html.contains(&format!(r#"id="amount-{monthly}-error""#)) && html.contains("The smallest gift"),
        "{html}"
    );

    // Changed: and the standing order is the supporter's to change at the bank.
    let response = post(
        app,
        &app.client,
        &format!("/donations/{monthly}/change"),
        &[("amount", "15"), ("period", "yearly")],
    )
    .await;
    assert_eq!(response.status(), 303);
    let (_, html) = get(app, &app.client, "/donations").await;
    assert!(html.contains("has been changed") && html.contains("standing order at your bank"), "{html}");
    let changed: (i64, String) =
        sqlx::query_as(&format!("SELECT amount_minor, period::text FROM pledge WHERE id = '{monthly}'"))
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(changed, (1500, "yearly".into()));

    // A one-off gift cannot be changed.
    post(app, &app.client, &format!("/donations/{once}/change"), &[("amount", "15"), ("period", "monthly")])
        .await;
    let (_, html) = get(app, &app.client, "/donations").await;
    assert!(html.contains("Only recurring donations"), "{html}");

    // Cancelled.
    let response = post(app, &app.client, &format!("/donations/{monthly}/cancel"), &[]).await;
    assert_eq!(response.status(), 303);
    let (_, html) = get(app, &app.client, "/donations").await;
    assert!(html.contains("has been cancelled") && html.contains("cancel the standing order"), "{html}");
    let status: String =
        sqlx::query_scalar(&format!("SELECT status::text FROM pledge WHERE id = '{monthly}'"))
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(status, "cancelled");

    // Ada gives while logged in: no name or address asked, no mail, her own transfer page.
    let (_, html) = get(app, &app.client, "/donate").await;
    assert!(!html.contains(r#"<label for="email">"#), "{html}");
    let (_, html) =
        donate(app, &app.client, &[("amount", "5"), ("period", "once"), ("method", "bank_transfer")]).await;
    assert!(html.contains("€5") && !html.contains("We have sent a mail"), "{html}");
    let (_, html) = get(app, &app.client, "/donations").await;
    assert_eq!(html.matches("class=\"pledge\"").count(), 4, "the demo's three and this one: {html}");
}

/// With Stripe offered but unreachable, the pledge stays pending and unpaid and the giver is
/// sent back to the form with an apology: never an error page, never a redirect to nowhere.
#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_stripe_pledge_whose_checkout_cannot_be_made_comes_back_to_the_form(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let mut settings = crate::test_settings();
    settings.payments.methods = vec!["bank_transfer".into(), "stripe".into()];
    settings.stripe.secret_key_file = Some(file("sk", "sk_test_never_used"));
    settings.stripe.webhook_secret_files = vec![file("whsec", "whsec_test")];
    // Nothing listens there.
    settings.stripe.api_url = "http://127.0.0.1:1/".into();
    let app = crate::spawn_app_with(pool.clone(), settings).await;

    let (_, html) = app.get_html("/donate?method=stripe", &[]).await;
    assert!(html.contains(r#"value="stripe" checked"#), "offered, and chosen by the address: {html}");
    let mut fields = gift("20", "monthly", "Ada", "ada@example.org");
    fields[3] = ("method", "stripe");
    let response = post(&app, &app.client, "/donate", &fields).await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/donate");
    let (_, html) = get(&app, &app.client, "/donate").await;
    assert!(html.contains("nothing was charged"), "{html}");
    assert!(html.contains(r#"value="ada@example.org""#), "what was typed is back");
    let pledge: (String, String) =
        sqlx::query_as("SELECT method::text, status::text FROM pledge").fetch_one(&pool).await.unwrap();
    assert_eq!(pledge, ("stripe".into(), "pending".into()));
    // Its transfer page does not exist: it is no bank transfer.
    let id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM pledge").fetch_one(&pool).await.unwrap();
    let (status, _) = get(&app, &app.client, &format!("/donate/transfer/{id}")).await;
    assert_eq!(status, 404);
}
