// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Donating by Stripe over HTTP with the real router, against the local stand-in for Stripe's
//! API (`providers::stripe::testing`): the donate form leads to the Checkout Session made for
//! the pledge (payment mode for a one-off gift, subscription mode for a monthly one, the pledge
//! in the metadata, one idempotency key per pledge), and "My donations" changes, cancels and
//! opens the billing portal for a Stripe pledge at Stripe first.
//! Run: `cargo test -p server --test web donate_stripe`.

use crate::login::{self, location};
use crate::{test_settings, text};
use domain::audit::{Actor, Origin};
use domain::payment::pledge::{self, NewPledge, Pledge};
use domain::payment::{Currency, Method, Money, Period, Provider, subscription};
use domain::types::PersonId;
use providers::stripe::testing::{self, Recorded, StandIn, objects};
use sqlx::PgPool;
use std::collections::HashMap;

/// The server's public address (the idp's redirect URIs); redirects are carried to the real one.
const PUBLIC: &str = "http://localhost:1";
const CHECKOUT: &str = "POST /v1/checkout/sessions";

/// my.* with Stripe offered and pointed at a stand-in, the idp beside it, the demo supporter.
struct Stack {
    web: login::Stack,
    stripe: StandIn,
    ada: PersonId,
    _files: tempfile::TempDir,
}

impl std::ops::Deref for Stack {
    type Target = login::Stack;
    fn deref(&self) -> &login::Stack {
        &self.web
    }
}

async fn stack(pool: PgPool) -> Stack {
    let ada = domain::demo::ensure(&pool).await.unwrap().person.id;
    let stripe = testing::start().await.unwrap();
    let files = tempfile::tempdir().unwrap();
    let file = |name: &str, text: &str| {
        let path = files.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let mut settings = test_settings();
    settings.payments.methods = vec!["bank_transfer".into(), "stripe".into()];
    settings.stripe.secret_key_file = Some(file("sk", "sk_test_web"));
    settings.stripe.webhook_secret_files = vec![file("whsec", "whsec_test_web")];
    settings.stripe.api_url = stripe.url();
    let web = login::stack_with(pool, settings).await;
    Stack { web, stripe, ada, _files: files }
}

fn query(url: &str) -> HashMap<String, String> {
    url::Url::parse(url).unwrap().query_pairs().into_owned().collect()
}

impl Stack {
    fn browser(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    /// Logs `client` in as the demo supporter, through the idp.
    async fn log_in_as_ada(&self, client: &reqwest::Client) {
        let start = client.get(self.app.url("/login")).send().await.unwrap();
        let mut form: Vec<(String, String)> = query(&location(&start)).into_iter().collect();
        form.push(("identifier".into(), domain::demo::LOGIN_NAME.into()));
        form.push(("password".into(), domain::demo::PASSWORD.into()));
        let back = client
            .post(format!("{}/login", self.idp))
            .header("origin", &self.idp)
            .form(&form)
            .send()
            .await
            .unwrap();
        assert!(back.status().is_redirection(), "the idp took the password");
        let done = client.get(location(&back).replacen(PUBLIC, &self.app.address, 1)).send().await.unwrap();
        assert_eq!(location(&done), "/", "logged in");
    }

    async fn post(&self, client: &reqwest::Client, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        client.post(self.app.url(path)).header("origin", &self.app.origin).form(fields).send().await.unwrap()
    }

    async fn get(&self, client: &reqwest::Client, path: &str) -> (u16, String) {
        let response = client.get(self.app.url(path)).send().await.unwrap();
        (response.status().as_u16(), text(&response.text().await.unwrap()))
    }

    /// The newest request of `line` (`"POST /v1/checkout/sessions"`), once there are `count`.
    fn newest(&self, line: &str, count: usize) -> Recorded {
        let requests = self.stripe.requests_to(line);
        assert_eq!(requests.len(), count, "{line}: {requests:#?}");
        requests.last().cloned().unwrap()
    }

    async fn pledge(&self, id: &str) -> Pledge {
        pledge::get(&self.app.pool, id.parse().unwrap()).await.unwrap().expect("the pledge")
    }
}

/// A Stripe pledge of `person` whose Checkout completed: the subscription (of customer
/// `cus_...`) is linked to it, as `checkout.session.completed` does in subscription mode.
async fn completed_checkout(stack: &Stack, person: PersonId, minor: i64) -> (Pledge, String) {
    let origin = Origin { actor: &Actor::System, source: "test" };
    let amount = Money::new(minor, Currency::EUR);
    let mut tx = stack.app.pool.begin().await.unwrap();
    let new = NewPledge {
        person: Some(person),
        amount,
        period: Period::Monthly,
        method: Method::Stripe,
        referrer: None,
    };
    let pledge = pledge::create(&mut tx, origin, &new).await.unwrap();
    let sub = format!("sub_web{}", &pledge.id.to_string()[..8]);
    let customer = "cus_web_ada";
    subscription::upsert(&mut tx, pledge.id, Provider::Stripe, &sub, "active", Some(customer)).await.unwrap();
    tx.commit().await.unwrap();
    let id = pledge.id.to_string();
    stack.stripe.put(objects::subscription(&sub, customer, amount, Period::Monthly, Some(&id)));
    (pledge, sub)
}

fn stripe_gift<'a>(amount: &'a str, period: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("amount", "10"),
        ("custom_amount", amount),
        ("period", period),
        ("method", "stripe"),
        ("name", "Grace Hopper"),
        ("email", "grace@example.org"),
        ("language", "en"),
    ]
}

/// The pledge id in a Checkout request, and that the request is the one Checkout needs for it.
fn check_checkout(request: &Recorded, pledge: &str, minor: &str) {
    assert!(request.authorized, "with the secret key");
    assert_eq!(request.idempotency_key.as_deref(), Some(format!("checkout-{pledge}").as_str()));
    assert_eq!(request.param("client_reference_id"), Some(pledge));
    assert_eq!(request.param("metadata[pledge]"), Some(pledge));
    assert_eq!(request.param("line_items[0][price_data][unit_amount]"), Some(minor));
    assert_eq!(request.param("line_items[0][price_data][currency]"), Some("eur"));
    assert_eq!(request.param("line_items[0][price_data][product]"), Some("cdb_donation"));
    assert_eq!(request.param("line_items[0][quantity]"), Some("1"));
    assert_eq!(
        request.param("success_url"),
        Some(format!("{PUBLIC}/donate/thanks?pledge={pledge}").as_str())
    );
    assert_eq!(
        request.param("cancel_url"),
        Some(format!("{PUBLIC}/donate/cancelled?pledge={pledge}").as_str())
    );
}

/// The donate POST sent the browser to the url of the session the stand-in made for `pledge`.
fn check_redirect(stack: &Stack, response: &reqwest::Response, pledge: &str) {
    assert_eq!(response.status(), 303);
    let to = location(response);
    let session = to.strip_prefix("https://checkout.stripe.com/c/pay/").expect("Checkout's address");
    let made = stack.stripe.object(&format!("/v1/checkout/sessions/{session}")).expect("a session it made");
    assert_eq!(made["url"], to.as_str());
    assert_eq!(made["client_reference_id"], pledge);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn donating_by_stripe_leads_to_checkout_in_the_right_mode(pool: PgPool) {
    let stack = stack(pool.clone()).await;
    let (_, html) = stack.get(&stack.app.client, "/donate").await;
    assert!(html.contains(r#"value="stripe""#) && html.contains("(Stripe)"), "offered: {html}");

    // A visitor, once: payment mode, the pledge on the PaymentIntent, the address prefilled.
    let visitor = stack.browser();
    let response = stack.post(&visitor, "/donate", &stripe_gift("20", "once")).await;
    let id: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM pledge WHERE method = 'stripe' AND person_id IS NULL")
            .fetch_one(&pool)
            .await
            .unwrap();
    let id = id.to_string();
    check_redirect(&stack, &response, &id);
    let request = stack.newest(CHECKOUT, 1);
    check_checkout(&request, &id, "2000");
    assert_eq!(request.param("mode"), Some("payment"));
    assert_eq!(request.param("submit_type"), Some("donate"));
    assert_eq!(request.param("payment_intent_data[metadata][pledge]"), Some(id.as_str()));
    assert!(!request.has_param_under("subscription_data"), "{request:#?}");
    assert!(!request.has_param_under("line_items[0][price_data][recurring]"), "{request:#?}");
    assert_eq!(request.param("customer_email"), Some("grace@example.org"));
    assert_eq!(request.param("locale"), Some("en"));
    let made = stack.pledge(&id).await;
    assert_eq!((made.method, made.period, made.amount.minor), (Method::Stripe, Period::Once, 2000));
    assert_eq!(made.status.to_string(), "pending", "paid only when Stripe says so");
    assert_eq!(made.person, None, "a visitor's pledge waits for the confirmation");

    // A logged-in supporter, monthly: subscription mode, a monthly price, the pledge on the
    // Subscription, their own address.
    stack.log_in_as_ada(&stack.app.client).await;
    let response = stack
        .post(
            &stack.app.client,
            "/donate",
            &[("amount", "10"), ("custom_amount", "12.50"), ("period", "monthly"), ("method", "stripe")],
        )
        .await;
    let id: uuid::Uuid = sqlx::query_scalar(
        "SELECT id FROM pledge WHERE person_id IS NOT NULL AND method = 'stripe' AND period = 'monthly'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let id = id.to_string();
    check_redirect(&stack, &response, &id);
    let request = stack.newest(CHECKOUT, 2);
    check_checkout(&request, &id, "1250");
    assert_eq!(request.param("mode"), Some("subscription"));
    assert_eq!(request.param("line_items[0][price_data][recurring][interval]"), Some("month"));
    assert_eq!(request.param("subscription_data[metadata][pledge]"), Some(id.as_str()));
    assert!(!request.has_param_under("payment_intent_data"), "{request:#?}");
    assert_eq!(request.param("customer_email"), Some(domain::demo::EMAIL));
    let made = stack.pledge(&id).await;
    assert_eq!((made.period, made.amount.minor, made.person), (Period::Monthly, 1250, Some(stack.ada)));
    assert_eq!(made.status.to_string(), "pending");
    // No transfer details for a card gift.
    let (status, _) = stack.get(&stack.app.client, &format!("/donate/transfer/{id}")).await;
    assert_eq!(status, 404);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_stripe_pledge_is_changed_cancelled_and_its_card_updated_at_stripe(pool: PgPool) {
    let stack = stack(pool.clone()).await;
    let (pledge, sub) = completed_checkout(&stack, stack.ada, 1200).await;
    let id = pledge.id.to_string();
    let client = &stack.app.client;
    stack.log_in_as_ada(client).await;
    let (status, html) = stack.get(client, "/donations").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains(&format!(r#"action="/donations/{id}/card""#)), "{html}");
    assert!(html.contains("Update your card"), "{html}");

    // A new amount: Stripe's subscription gets a new monthly price first, then the pledge.
    let response = stack
        .post(client, &format!("/donations/{id}/change"), &[("amount", "20"), ("period", "monthly")])
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/donations");
    let update = stack.newest(&format!("POST /v1/subscriptions/{sub}"), 1);
    assert!(update.authorized);
    assert!(
        update.idempotency_key.as_deref().is_some_and(|k| k.starts_with(&format!("change-{id}-"))),
        "{update:#?}"
    );
    assert_eq!(update.param("items[0][id]"), Some(format!("si_{}", sub.trim_start_matches("sub_")).as_str()));
    assert_eq!(update.param("items[0][price_data][unit_amount]"), Some("2000"));
    assert_eq!(update.param("items[0][price_data][currency]"), Some("eur"));
    assert_eq!(update.param("items[0][price_data][recurring][interval]"), Some("month"));
    assert_eq!(update.param("items[0][price_data][product]"), Some("cdb_donation"));
    assert_eq!(update.param("proration_behavior"), Some("none"));
    let held = stack.stripe.object(&format!("/v1/subscriptions/{sub}")).unwrap();
    assert_eq!(held["items"]["data"][0]["price"]["unit_amount"], 2000);
    let (_, html) = stack.get(client, "/donations").await;
    assert!(html.contains("Your donation has been changed."), "{html}");
    assert!(
        !html.contains("Please change the standing order at your bank"),
        "a card gift has no standing order: {html}"
    );
    assert_eq!(stack.pledge(&id).await.amount.minor, 2000);

    // The card: a billing portal session of the pledge's customer, back to "My donations".
    let response = stack.post(client, &format!("/donations/{id}/card"), &[]).await;
    assert_eq!(response.status(), 303);
    let portal = stack.newest("POST /v1/billing_portal/sessions", 1);
    assert_eq!(portal.param("customer"), Some("cus_web_ada"));
    assert_eq!(portal.param("return_url"), Some(format!("{PUBLIC}/donations").as_str()));
    assert!(
        location(&response).starts_with("https://billing.stripe.com/p/session/bps_"),
        "{}",
        location(&response)
    );

    // Cancelled: at Stripe first, then the pledge, ended by the supporter.
    let response = stack.post(client, &format!("/donations/{id}/cancel"), &[]).await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/donations");
    let cancel = stack.newest(&format!("DELETE /v1/subscriptions/{sub}"), 1);
    assert!(cancel.authorized);
    let held = stack.stripe.object(&format!("/v1/subscriptions/{sub}")).unwrap();
    assert_eq!(held["status"], "canceled");
    let (_, html) = stack.get(client, "/donations").await;
    assert!(html.contains("Your donation has been cancelled."), "{html}");
    let ended: (String, Option<String>) =
        sqlx::query_as(&format!("SELECT status::text, ended_by::text FROM pledge WHERE id = '{id}'"))
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(ended, ("cancelled".into(), Some("supporter".into())));
    // Nothing more to change once it ended; Stripe is not asked again.
    stack.post(client, &format!("/donations/{id}/change"), &[("amount", "30"), ("period", "monthly")]).await;
    assert_eq!(stack.stripe.requests_to(&format!("POST /v1/subscriptions/{sub}")).len(), 1);
}
