// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The login's limits under concurrent load, over real HTTP: the throttle cannot be raced, and
//! the queue in front of the password check turns a crowd away with 503 + `Retry-After` only
//! when it is full.

use crate::{TestIdp, spawn_idp, spawn_idp_with};
use sqlx::PgPool;
use tokio::task::JoinSet;

/// Sends `count` login forms at once (name and password per index) and returns the statuses.
async fn burst(idp: &TestIdp, count: usize, login: impl Fn(usize) -> (String, String)) -> Vec<u16> {
    let url = idp.authorize_url(&[]);
    let query = url::Url::parse(&url).unwrap().query().unwrap().to_owned();
    let mut requests = JoinSet::new();
    for i in 0..count {
        let (identifier, password) = login(i);
        let form = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs([("identifier", identifier), ("password", password)])
            .finish();
        // A client of its own each: its own connection, as separate browsers would have.
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let request = client
            .post(idp.url("/login"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("origin", &idp.issuer)
            .header("sec-fetch-site", "same-origin")
            .body(format!("{query}&{form}"));
        requests.spawn(async move { request.send().await.unwrap().status().as_u16() });
    }
    requests.join_all().await
}

fn tally(statuses: &[u16], status: u16) -> usize {
    statuses.iter().filter(|s| **s == status).count()
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn simultaneous_wrong_passwords_get_no_more_tries_than_the_limit(pool: PgPool) {
    let idp = spawn_idp(pool).await;
    let statuses =
        burst(&idp, 60, |_| (domain::demo::LOGIN_NAME.to_owned(), "not the password".to_owned())).await;
    let limit = usize::try_from(idp.state.config.throttle.per_account).unwrap();
    assert_eq!(limit, 10, "the documented limit");
    assert_eq!(tally(&statuses, 401), limit, "{statuses:?}");
    assert_eq!(tally(&statuses, 429), 60 - limit, "{statuses:?}");
    // And the real password is refused too for the rest of the window.
    let response =
        idp.submit_login(&idp.authorize_url(&[]), domain::demo::LOGIN_NAME, domain::demo::PASSWORD).await;
    assert_eq!(response.status(), 429);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_full_login_queue_answers_503_with_retry_after_and_counts_nothing(pool: PgPool) {
    let idp = spawn_idp(pool).await;
    // Take every place, as logins waiting for a password check would.
    let places: Vec<_> = std::iter::from_fn(|| idp.state.logins.try_enter()).collect();
    assert_eq!(places.len(), domain::password::workers() + 64, "one per core running, 64 waiting");

    let url = idp.authorize_url(&[]);
    let response = idp.submit_login(&url, domain::demo::LOGIN_NAME, domain::demo::PASSWORD).await;
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["retry-after"], "1");
    let page = response.text().await.unwrap();
    assert!(page.contains("Too many people are logging in at this moment"), "{page}");
    assert!(page.contains(r#"name="identifier""#), "the form comes back, ready to send again");
    let german = idp.authorize_url(&[("ui_locales", "de")]);
    let response = idp.submit_login(&german, domain::demo::LOGIN_NAME, domain::demo::PASSWORD).await;
    assert_eq!(response.status(), 503);
    assert!(response.text().await.unwrap().contains("Gerade melden sich zu viele Menschen gleichzeitig an"));
    let counted: i64 =
        sqlx::query_scalar("SELECT count(*) FROM login_throttle").fetch_one(&idp.pool).await.unwrap();
    assert_eq!(counted, 0, "a login turned away counts against nobody");

    drop(places);
    let response = idp.submit_login(&url, domain::demo::LOGIN_NAME, domain::demo::PASSWORD).await;
    assert_eq!(response.status(), 303, "a free place: the login goes ahead");
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_burst_within_the_queue_is_answered_not_turned_away(pool: PgPool) {
    // Debug builds check a password slowly: more time than production needs.
    let idp = spawn_idp_with(pool, None, |s| s.http.request_timeout_secs = 300).await;
    let count = 24;
    assert!(count > domain::password::workers(), "more than can run at once, so most wait");
    let statuses = burst(&idp, count, |i| {
        if i % 4 == 0 {
            (domain::demo::LOGIN_NAME.to_owned(), domain::demo::PASSWORD.to_owned())
        } else {
            (format!("nobody-{i}"), "not the password".to_owned())
        }
    })
    .await;
    assert_eq!(tally(&statuses, 303), count / 4, "{statuses:?}");
    assert_eq!(tally(&statuses, 401), count - count / 4, "{statuses:?}");
}
