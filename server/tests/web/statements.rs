// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Annual statements on the supporter app: `/donations/statements` lists the logged-in
//! person's current statements, `GET /donations/statements/{id}` hands out the stored PDF to
//! its owner only. Another person's statement, a replaced one, a made-up or malformed id and a
//! visitor all get the same 404. (The statements are issued with a stand-in renderer: the PDF
//! itself is the `statements` crate's, tested there.)

use crate::login::{self, location};
use domain::audit::{Actor, Origin};
use domain::payment::annual_statement::{self, Document, Render, RenderError};
use domain::payment::payment::{self, NewPayment};
use domain::payment::pledge::{self, NewPledge};
use domain::payment::{Currency, Method, Money, Period, Provider};
use domain::person::{self, NewPerson};
use domain::types::{DisplayName, Language, PersonId};
use sqlx::PgPool;
use std::sync::Arc;
use time::macros::date;

const ORIGIN: Origin<'static> = Origin { actor: &Actor::System, source: "test" };

/// A "PDF" that names its number and donor, so a test can tell whose it got.
struct StandIn;

impl Render for StandIn {
    fn render(&self, documents: &[Document]) -> Vec<Result<Vec<u8>, RenderError>> {
        documents.iter().map(|d| Ok(format!("%PDF-1.7 {} {}", d.number, d.donor.name).into_bytes())).collect()
    }
}

async fn give(pool: &PgPool, person: PersonId, minor: i64, key: &str, booked_on: time::Date) {
    let mut tx = pool.begin().await.unwrap();
    let new = NewPledge {
        person: Some(person),
        amount: Money::new(minor, Currency::EUR),
        period: Period::Once,
        method: Method::Stripe,
        referrer: None,
    };
    let pledge = pledge::create(&mut tx, ORIGIN, &new).await.unwrap();
    let payment = NewPayment {
        provider: Provider::Stripe,
        object_id: key,
        aliases: &[],
        pledge: Some(pledge.id),
        amount: pledge.amount,
        fee_minor: None,
        booked_on,
    };
    payment::register(&mut tx, ORIGIN, &payment, &domain::testing::PlainWords).await.unwrap();
    tx.commit().await.unwrap();
}

/// How the page writes a euro amount in English.
fn euros(minor: i64) -> String {
    if minor % 100 == 0 {
        format!(">€{}<", minor / 100)
    } else {
        format!(">€{}.{:02}<", minor / 100, minor % 100)
    }
}

async fn generate(pool: &PgPool, year: i32) {
    let render: Arc<dyn Render> = Arc::new(StandIn);
    annual_statement::generate(pool, ORIGIN, year, date!(2027 - 01 - 15), render, &|_, _| {}).await.unwrap();
}

async fn bob(pool: &PgPool) -> PersonId {
    let mut tx = pool.begin().await.unwrap();
    let new = NewPerson {
        display_name: DisplayName::try_from("Bob").unwrap(),
        country: None,
        address: None,
        preferred_language: Language::English,
        referrer: None,
    };
    let bob = person::create(&mut tx, ORIGIN, &new).await.unwrap();
    tx.commit().await.unwrap();
    bob.id
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn only_the_owner_downloads_a_statement(pool: PgPool) {
    let stack = login::stack(pool.clone()).await;
    let ada = domain::demo::ensure(&pool).await.unwrap().person.id;
    let bob = bob(&pool).await;
    give(&pool, ada, 2500, "pi_ada_2025", date!(2025 - 06 - 01)).await;
    give(&pool, ada, 4000, "pi_ada_2026", date!(2026 - 06 - 01)).await;
    give(&pool, bob, 1000, "pi_bob_2026", date!(2026 - 07 - 01)).await;
    generate(&pool, 2025).await;
    generate(&pool, 2026).await;
    let ada_statements = annual_statement::for_person(&pool, ada).await.unwrap();
    assert_eq!(ada_statements.len(), 2);
    let ada_2026 = ada_statements.iter().find(|s| s.year == 2026).unwrap().clone();
    let bob_2026 = annual_statement::for_person(&pool, bob).await.unwrap().remove(0);

    // A visitor: 404 for a real id as for a made-up one; the page asks to log in.
    let visitor = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    for id in [ada_2026.id.to_string(), uuid::Uuid::new_v4().to_string()] {
        let response =
            visitor.get(stack.app.url(&format!("/donations/statements/{id}"))).send().await.unwrap();
        assert_eq!(response.status(), 404, "visitor, {id}");
        assert!(response.headers().get("content-disposition").is_none());
    }
    let page = visitor.get(stack.app.url("/donations/statements")).send().await.unwrap();
    assert_eq!(page.status(), 303);
    assert_eq!(location(&page), "/login?next=/donations/statements");

    let client = &stack.app.client;
    stack.log_in(client, domain::demo::LOGIN_NAME, domain::demo::PASSWORD).await;
    // The owner gets the PDF as an attachment that no cache keeps.
    let response =
        client.get(stack.app.url(&format!("/donations/statements/{}", ada_2026.id))).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let header = |name: &str| response.headers().get(name).unwrap().to_str().unwrap().to_owned();
    assert_eq!(header("content-type"), "application/pdf");
    assert_eq!(
        header("content-disposition"),
        format!("attachment; filename=\"statement-{}.pdf\"", ada_2026.number)
    );
    // The route says "private, no-store"; the server's common header layer (headers.rs) makes
    // every non-static answer "no-store", which forbids any cache, shared or private.
    assert!(header("cache-control").contains("no-store"), "{}", header("cache-control"));
    let body = response.text().await.unwrap();
    assert!(body.starts_with("%PDF-") && body.contains(&ada_2026.number), "{body}");

    // Bob's statement, a made-up id and a malformed one look alike to Ada.
    let mut answers = Vec::new();
    for id in [
        bob_2026.id.to_string(),
        uuid::Uuid::new_v4().to_string(),
        "not-a-uuid".into(),
        "..%2F..%2Fetc".into(),
    ] {
        let response =
            client.get(stack.app.url(&format!("/donations/statements/{id}"))).send().await.unwrap();
        assert_eq!(response.status(), 404, "{id}");
        answers.push(response.text().await.unwrap());
    }
    assert!(answers.windows(2).all(|w| w[0] == w[1]), "the same 404 for every id");

    // The page lists her current statements, newest first, with their links; Bob's is not there.
    let page = client.get(stack.app.url("/donations/statements")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains(&format!("href=\"/donations/statements/{}\"", ada_2026.id)), "{html}");
    // 2026 holds the demo data's payments too; whole euros are shown without cents.
    let total_2026 = ada_2026.totals[0].minor;
    assert!(html.contains(&euros(total_2026)) && html.contains(">€25<"), "{html}");
    assert!(html.find("2026-0000").unwrap() < html.find("2025-0000").unwrap(), "newest year first");
    assert!(!html.contains(&bob_2026.id.to_string()));
    // "My donations" links to it.
    let donations = client.get(stack.app.url("/donations")).send().await.unwrap().text().await.unwrap();
    assert!(donations.contains("href=\"/donations/statements\""), "{donations}");

    // After a refund and a correction the old statement is gone for her, the correction is there.
    let mut tx = pool.begin().await.unwrap();
    let refund = payment::NewAdjustment {
        provider: Provider::Stripe,
        provider_id: "re_1",
        kind: payment::AdjustmentKind::Refund,
        payment_key: "pi_ada_2026",
        amount: Money::new(1000, Currency::EUR),
    };
    payment::adjust(&mut tx, ORIGIN, &refund).await.unwrap();
    tx.commit().await.unwrap();
    generate(&pool, 2026).await;
    let old =
        client.get(stack.app.url(&format!("/donations/statements/{}", ada_2026.id))).send().await.unwrap();
    assert_eq!(old.status(), 404, "a replaced statement is not handed out");
    let html = client.get(stack.app.url("/donations/statements")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(&format!("{}-2", ada_2026.number)) && html.contains("corrected"), "{html}");
    assert!(html.contains(&euros(total_2026 - 1000)), "{html}");
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_supporter_without_statements_is_told_so_in_their_language(pool: PgPool) {
    let stack = login::stack(pool.clone()).await;
    let client = &stack.app.client;
    stack.log_in(client, domain::demo::LOGIN_NAME, domain::demo::PASSWORD).await;
    let html = client.get(stack.app.url("/donations/statements")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("You have no donation statements yet."), "{html}");
    // The page's language follows the browser's (or the chosen one): German here.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap();
    stack.log_in(&client, domain::demo::LOGIN_NAME, domain::demo::PASSWORD).await;
    let html = client
        .get(stack.app.url("/donations/statements"))
        .header("accept-language", "de")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Meine Spendenbescheinigungen"), "{html}");
    assert!(html.contains("Sie haben noch keine Spendenbescheinigungen."), "{html}");
}
