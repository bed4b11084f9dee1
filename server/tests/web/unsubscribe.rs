// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! `/u/{token}`, the unsubscribe link of campaign mails: the page (GET changes nothing), the
//! one-click POST exactly as mail clients send it (RFC 8058), and what forged, truncated,
//! replayed and foreign requests get.

use crate::{TestApp, spawn_app, text};
use domain::audit::{Actor, Origin};
use domain::consent::{self, ListKey, State};
use domain::mailing::NewMailing;
use domain::mailing::campaign;
use domain::types::{Language, PersonId};
use sqlx::PgPool;

const ONE_CLICK: &str = "List-Unsubscribe=One-Click";

/// Ada (the demo supporter) subscribed to the newsletter, and a mailing to it; her token.
async fn subscribed_ada(app: &TestApp) -> (PersonId, String) {
    let (person, _, token) = ada_and_mailing(app).await;
    (person, token)
}

async fn ada_and_mailing(app: &TestApp) -> (PersonId, uuid::Uuid, String) {
    let demo = domain::demo::ensure(&app.pool).await.unwrap();
    let person = demo.person.id;
    let origin = Origin { actor: &Actor::System, source: "test" };
    let newsletter = ListKey::parse("newsletter").unwrap();
    let mut tx = app.pool.begin().await.unwrap();
    consent::record(&mut tx, origin, person, &newsletter, State::Subscribed).await.unwrap();
    let mailing = campaign::create(
        &mut tx,
        origin,
        &NewMailing {
            title: "December news".into(),
            list: newsletter,
            segment: Default::default(),
            fallback_language: Language::English,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    (person, mailing, app.mailing_keys.unsubscribe_token(person, mailing, "newsletter"))
}

async fn subscribed(app: &TestApp, person: PersonId) -> Vec<String> {
    consent::subscribed(&app.pool, person).await.unwrap().iter().map(|l| l.as_str().to_owned()).collect()
}

async fn ledger(app: &TestApp, person: PersonId) -> Vec<(String, State, String)> {
    consent::history(&app.pool, person)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.list, e.state, e.source))
        .collect()
}

/// A client as a mail provider's is: no cookies, no redirects.
fn mail_client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// The POST Gmail sends (RFC 8058 §3.1): form-urlencoded, the one field, no cookie.
async fn one_click(app: &TestApp, token: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut request = mail_client()
        .post(app.url(&format!("/u/{token}")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(ONE_CLICK);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

/// `token` with its character at `index` changed: 64 base64url characters are its 48 bytes,
/// person (0..16), mailing (16..32) and MAC (32..48), six bits each.
fn flipped(token: &str, index: usize) -> String {
    token
        .char_indices()
        .map(|(i, c)| {
            if i != index {
                c
            } else if c == 'A' {
                'B'
            } else {
                'A'
            }
        })
        .collect()
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn the_page_names_the_list_and_changes_nothing(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (ada, token) = subscribed_ada(&app).await;
    let before = ledger(&app, ada).await;

    for _ in 0..2 {
        let response = mail_client().get(app.url(&format!("/u/{token}"))).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["referrer-policy"], "no-referrer");
        assert_eq!(response.headers()["cache-control"], "no-store");
        assert!(response.headers().get("set-cookie").is_none(), "{:?}", response.headers());
        let html = text(&response.text().await.unwrap());
        assert!(html.contains("“Newsletter”"), "{html}");
        assert!(html.contains(r#"<form method="post">"#), "{html}");
        assert!(html.contains(r#"name="List-Unsubscribe" value="One-Click""#), "{html}");
    }
    // In German for a German reader, the list's German name included.
    let (status, html) = app.get_html(&format!("/u/{token}"), &[("accept-language", "de")]).await;
    assert_eq!(status, 200);
    assert!(html.contains("„Newsletter“ nicht mehr erhalten") && html.contains(">Abbestellen<"), "{html}");
    assert_eq!(subscribed(&app, ada).await, ["newsletter"], "a GET (a mail scanner) unsubscribes nobody");
    assert_eq!(ledger(&app, ada).await, before);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn one_click_as_a_mail_client_sends_it_unsubscribes_once(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (ada, token) = subscribed_ada(&app).await;

    // From the mail provider: another site's origin, or no browser headers at all.
    let response =
        one_click(&app, &token, &[("origin", "https://mail.google.com"), ("sec-fetch-site", "cross-site")])
            .await;
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("set-cookie").is_none(), "{:?}", response.headers());
    assert_eq!(response.headers()["referrer-policy"], "no-referrer");
    assert_eq!(response.headers()["cache-control"], "no-store");
    let html = text(&response.text().await.unwrap());
    assert!(html.contains("You are unsubscribed from “Newsletter”"), "{html}");
    assert!(subscribed(&app, ada).await.is_empty());
    let entries = ledger(&app, ada).await;
    assert_eq!(
        entries.last().unwrap(),
        &("newsletter".into(), State::Unsubscribed, "one-click unsubscribe".into())
    );
    let rows = entries.len();

    // A replay (a retrying client, a second click) says the same and writes nothing.
    let response = one_click(&app, &token, &[]).await;
    assert_eq!(response.status(), 200);
    assert!(text(&response.text().await.unwrap()).contains("You are unsubscribed from “Newsletter”"));
    assert_eq!(ledger(&app, ada).await.len(), rows);

    // The mailing is named in the ledger row.
    let mailings: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM consent WHERE source = 'one-click unsubscribe' AND mailing_id IS NOT NULL",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(mailings, 1);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn the_button_posts_multipart_too(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (ada, token) = subscribed_ada(&app).await;
    let body =
        "--XyZ\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n--XyZ--\r\n";
    let response = mail_client()
        .post(app.url(&format!("/u/{token}")))
        .header("content-type", "multipart/form-data; boundary=XyZ")
        .header("accept-language", "de")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let html = text(&response.text().await.unwrap());
    assert!(html.contains("Sie sind von „Newsletter“ abgemeldet."), "{html}");
    assert!(subscribed(&app, ada).await.is_empty());
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn forged_truncated_and_foreign_tokens_are_not_valid(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (ada, mailing, token) = ada_and_mailing(&app).await;
    let before = ledger(&app, ada).await;
    let other_keys =
        domain::mailing::MailingKeys::parse(&domain::mailing::MailingKeys::new_file_line("other")).unwrap();
    let unknown_mailing = app.mailing_keys.unsubscribe_token(ada, uuid::Uuid::new_v4(), "newsletter");
    let bad = [
        token[..63].to_owned(),
        format!("{token}A"),
        // Another person's id under this token's MAC; a changed mailing; a changed MAC.
        flipped(&token, 0),
        flipped(&token, 27),
        flipped(&token, 63),
        // Signed with a key we do not hold; for another list; of a mailing that does not exist.
        other_keys.unsubscribe_token(ada, mailing, "newsletter"),
        app.mailing_keys.unsubscribe_token(ada, mailing, "campaigns"),
        unknown_mailing,
        "*".repeat(64),
        "x".into(),
    ];
    for forged in &bad {
        let response = mail_client().get(app.url(&format!("/u/{forged}"))).send().await.unwrap();
        assert_eq!(response.status(), 404, "{forged}");
        let html = text(&response.text().await.unwrap());
        assert!(
            html.contains("This unsubscribe link is not valid") && !html.contains("Newsletter"),
            "{html}"
        );
        let response = one_click(&app, forged, &[]).await;
        assert_eq!(response.status(), 404, "{forged}");
    }
    assert_eq!(subscribed(&app, ada).await, ["newsletter"]);
    assert_eq!(ledger(&app, ada).await, before);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn other_bodies_are_refused(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (ada, token) = subscribed_ada(&app).await;
    let url = app.url(&format!("/u/{token}"));
    let form = "application/x-www-form-urlencoded";
    for (content_type, body) in [
        (form, String::new()),
        (form, "List-Unsubscribe=Yes".into()),
        (form, "action=confirm".into()),
        ("text/plain", ONE_CLICK.into()),
        ("application/json", r#"{"List-Unsubscribe":"One-Click"}"#.into()),
    ] {
        let response = mail_client()
            .post(&url)
            .header("content-type", content_type)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{content_type} {body}");
    }
    let response = mail_client()
        .post(&url)
        .header("content-type", form)
        .body(format!("{ONE_CLICK}&padding={}", "x".repeat(10_000)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413, "the body is read up to a few KB only");
    assert_eq!(subscribed(&app, ada).await, ["newsletter"]);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn only_unsubscribe_links_are_exempt_from_the_same_origin_check(pool: PgPool) {
    let app = spawn_app(pool).await;
    let (ada, _) = subscribed_ada(&app).await;
    let cross_site = [("origin", "https://evil.example"), ("sec-fetch-site", "cross-site")];
    for path in ["/language", "/register", "/c/abc", "/api/settings/lists", "/unsubscribe/x", "/uu/x"] {
        let mut request = mail_client()
            .post(app.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(ONE_CLICK);
        for (name, value) in cross_site {
            request = request.header(name, value);
        }
        assert_eq!(request.send().await.unwrap().status(), 403, "{path}");
    }
    assert_eq!(subscribed(&app, ada).await, ["newsletter"]);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn without_mailing_keys_every_link_is_invalid(pool: PgPool) {
    // A production address and no key file: campaigns are not set up.
    let mut settings = crate::test_settings();
    settings.http.public_url = "https://my.example.org".into();
    let keys = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(keys.path(), domain::mailing::MailingKeys::new_file_line("k")).unwrap();
    settings.mailing.key_file = Some(keys.path().to_owned());
    let with_keys = crate::spawn_app_with(pool.clone(), settings.clone()).await;
    let (ada, token) = subscribed_ada(&with_keys).await;
    drop(with_keys);

    settings.mailing.key_file = None;
    let app = without_keys(pool, settings).await;
    let response = mail_client().get(format!("{}/u/{token}", app.0)).send().await.unwrap();
    assert_eq!(response.status(), 404);
    let response = mail_client()
        .post(format!("{}/u/{token}", app.0))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(ONE_CLICK)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let subscribed = consent::subscribed(&app.1, ada).await.unwrap();
    assert_eq!(subscribed.len(), 1);
}

/// A server without `mailing.key_file` (the harness would give it one).
async fn without_keys(
    pool: PgPool,
    settings: hosting::config::Settings,
) -> (String, PgPool, tokio::sync::oneshot::Sender<()>) {
    let options = leptos::config::LeptosOptions::builder().output_name("community").build();
    let connect = (*pool.connect_options()).clone();
    let app =
        server::startup::Application::build_with(&settings, options, connect).await.expect("server starts");
    let address = format!("http://{}", app.local_addr());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until(async move {
        let _ = rx.await;
    }));
    (address, pool, tx)
}
