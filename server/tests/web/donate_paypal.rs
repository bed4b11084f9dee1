// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Donating by PayPal over HTTP with the real router, against the local HTTPS stand-in for
//! PayPal (`providers::paypal::testing`): the donate form leads to PayPal's approve page of an
//! order (one-off) or a subscription (monthly, on the plan of its period with the donor's
//! amount), PayPal's return captures the approved order once, and the capture's webhook books
//! it; the renewal and cancellation helpers talk to PayPal too.
//! Run: `cargo test -p server --test web donate_paypal`.

use crate::login::location;
use crate::paypal_webhooks::{Paypal, WEBHOOK_ID, paypal_app};
use domain::payment::{Method, Period, PledgeStatus};
use providers::paypal::testing::events;
use sqlx::PgPool;

fn gift<'a>(amount: &'a str, period: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("amount", "10"),
        ("custom_amount", amount),
        ("period", period),
        ("method", "paypal"),
        ("name", "Grace Hopper"),
        ("email", "grace@example.org"),
        ("language", "en"),
    ]
}

async fn donate(paypal: &Paypal, fields: &[(&str, &str)]) -> reqwest::Response {
    paypal
        .app
        .client
        .post(paypal.app.url("/donate"))
        .header("origin", &paypal.app.origin)
        .form(fields)
        .send()
        .await
        .unwrap()
}

async fn newest_pledge(pool: &PgPool) -> domain::payment::pledge::Pledge {
    let id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM pledge ORDER BY created_at DESC LIMIT 1")
        .fetch_one(pool)
        .await
        .unwrap();
    domain::payment::pledge::get(pool, id.to_string().parse().unwrap()).await.unwrap().unwrap()
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_one_off_paypal_gift_is_approved_returned_captured_and_booked_once(pool: PgPool) {
    let paypal = paypal_app(pool.clone()).await;
    let (_, html) = paypal.app.get_html("/donate", &[]).await;
    assert!(html.contains(r#"value="paypal""#), "offered: {html}");

    let response = donate(&paypal, &gift("20", "once")).await;
    assert_eq!(response.status(), 303);
    let approve = location(&response);
    let pledge = newest_pledge(&pool).await;
    assert_eq!((pledge.method, pledge.period, pledge.amount.minor), (Method::Paypal, Period::Once, 2000));
    let order = approve.rsplit_once("token=").unwrap().1.to_owned();
    assert!(approve.starts_with(&paypal.stand_in.url()), "PayPal's approve page: {approve}");
    let made = &paypal.stand_in.requests_to("POST /v2/checkout/orders")[0];
    assert_eq!(made.body["purchase_units"][0]["custom_id"], pledge.reference.as_str());
    assert_eq!(made.body["purchase_units"][0]["amount"]["value"], "20.00");
    let return_url =
        made.body["payment_source"]["paypal"]["experience_context"]["return_url"].as_str().unwrap();
    assert!(return_url.ends_with(&format!("/donate/paypal/return?pledge={}", pledge.id)), "{return_url}");

    // Back from PayPal before approving (the donor went back): nothing is captured.
    let back = format!("/donate/paypal/return?pledge={}&token={order}", pledge.id);
    let response = paypal.app.client.get(paypal.app.url(&back)).send().await.unwrap();
    assert_eq!(location(&response), format!("/donate/thanks?pledge={}", pledge.id));
    assert!(paypal.stand_in.requests_to(&format!("POST /v2/checkout/orders/{order}/capture")).is_empty());

    // Approved, returned twice (a reload): one capture.
    assert!(paypal.stand_in.approve(&order));
    for _ in 0..2 {
        let response = paypal.app.client.get(paypal.app.url(&back)).send().await.unwrap();
        assert_eq!(location(&response), format!("/donate/thanks?pledge={}", pledge.id));
    }
    assert_eq!(paypal.stand_in.order(&order).unwrap()["status"], "COMPLETED");
    assert_eq!(paypal.stand_in.requests_to(&format!("POST /v2/checkout/orders/{order}/capture")).len(), 1);
    assert_eq!(newest_pledge(&pool).await.status, PledgeStatus::Pending, "booked by the webhook only");

    // The capture's webhook books it; the order's approval webhook after it changes nothing.
    let capture =
        paypal.stand_in.order(&order).unwrap()["purchase_units"][0]["payments"]["captures"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
    let reference = pledge.reference.as_str();
    let completed = events::capture_completed("WH-D1", &capture, &order, reference, "20.00", "EUR");
    let signed = paypal.stand_in.sign_event(completed.as_bytes(), WEBHOOK_ID);
    let mut request = paypal.app.client.post(paypal.app.url("/webhooks/paypal")).body(completed.clone());
    for (name, value) in signed.headers() {
        request = request.header(name, value);
    }
    assert_eq!(request.send().await.unwrap().status(), 200);
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM payment").fetch_one(&pool).await.unwrap();
    assert_eq!(count, 1);
    assert_eq!(newest_pledge(&pool).await.status, PledgeStatus::Active);

    // A return naming another pledge's order leaves that order alone.
    let other = format!("/donate/paypal/return?pledge={}&token={order}", uuid::Uuid::new_v4());
    let response = paypal.app.client.get(paypal.app.url(&other)).send().await.unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(paypal.stand_in.requests_to(&format!("POST /v2/checkout/orders/{order}/capture")).len(), 1);
    // Garbage: back to the form.
    let response =
        paypal.app.client.get(paypal.app.url("/donate/paypal/return?pledge=nope")).send().await.unwrap();
    assert_eq!(location(&response), "/donate");
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_monthly_paypal_gift_is_a_subscription_with_the_donors_amount(pool: PgPool) {
    let paypal = paypal_app(pool.clone()).await;
    let response = donate(&paypal, &gift("12.50", "monthly")).await;
    assert_eq!(response.status(), 303);
    let approve = location(&response);
    assert!(approve.contains("/webapps/billing/subscriptions?ba_token=I-"), "{approve}");
    let pledge = newest_pledge(&pool).await;
    let made = &paypal.stand_in.requests_to("POST /v1/billing/subscriptions")[0];
    assert_eq!(made.body["custom_id"], pledge.reference.as_str());
    assert_eq!(made.body["plan"]["billing_cycles"][0]["pricing_scheme"]["fixed_price"]["value"], "12.50");
    assert_eq!(made.request_id.as_deref(), Some(format!("cdb-subscription-{}", pledge.id).as_str()));
    let plan = &paypal.stand_in.requests_to("POST /v1/billing/plans")[0];
    assert_eq!(plan.body["billing_cycles"][0]["frequency"]["interval_unit"], "MONTH");

    // A second monthly donor reuses the plan.
    donate(&paypal, &gift("30", "monthly")).await;
    assert_eq!(paypal.stand_in.requests_to("POST /v1/billing/plans").len(), 1);
    assert_eq!(paypal.stand_in.requests_to("POST /v1/catalogs/products").len(), 1);
    // Back from PayPal with the subscription: the thanks page.
    let back = format!("/donate/paypal/return?pledge={}&subscription_id=I-X&ba_token=B&token=T", pledge.id);
    let response = paypal.app.client.get(paypal.app.url(&back)).send().await.unwrap();
    assert_eq!(location(&response), format!("/donate/thanks?pledge={}", pledge.id));
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn paypal_down_sends_the_donor_back_to_the_form(pool: PgPool) {
    let paypal = paypal_app(pool.clone()).await;
    paypal.stand_in.fail_with(Some(axum::http::StatusCode::INTERNAL_SERVER_ERROR));
    let response = donate(&paypal, &gift("20", "once")).await;
    assert_eq!(location(&response), "/donate");
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_browser_round_trip_through_paypals_approve_page_captures_the_gift(pool: PgPool) {
    let paypal = paypal_app(pool.clone()).await;
    let response = donate(&paypal, &gift("7", "once")).await;
    let approve = location(&response);
    let pledge = newest_pledge(&pool).await;
    // The donor's browser at "PayPal" (it trusts the stand-in's CA, as a browser trusts PayPal's).
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .add_root_certificate(reqwest::Certificate::from_pem(paypal.stand_in.ca_pem().as_bytes()).unwrap())
        .build()
        .unwrap();
    let at_paypal = browser.get(&approve).send().await.unwrap();
    assert_eq!(at_paypal.status(), 303);
    let back = location(&at_paypal);
    let (_, path) = back.split_once("/donate/paypal/return").expect("back to our return page");
    let response =
        paypal.app.client.get(paypal.app.url(&format!("/donate/paypal/return{path}"))).send().await.unwrap();
    assert_eq!(location(&response), format!("/donate/thanks?pledge={}", pledge.id));
    let order = approve.rsplit_once("token=").unwrap().1;
    assert_eq!(paypal.stand_in.order(order).unwrap()["status"], "COMPLETED");
}
