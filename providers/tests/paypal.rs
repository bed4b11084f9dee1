// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The PayPal adapter from outside, with real parts: PayPal's servers are the local HTTPS
//! stand-in (`providers::paypal::testing`, a throwaway CA the verifier and client trust as an
//! extra anchor), every delivery is signed exactly as PayPal signs it, and events are applied
//! to a real PostgreSQL (a fresh database per test, `#[sqlx::test]` on `DATABASE_URL`).
//!
//! Run: `DATABASE_URL=postgres://… cargo test -p providers --test paypal` (filter with
//! `verify_`, `apply_`, `checkout_`, `client_`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use domain::audit::{Actor, Origin};
use domain::email::Verification;
use domain::payment::pledge::{self, NewPledge, Pledge};
use domain::payment::{Currency, Method, Money, Period, PledgeStatus};
use domain::person::{self, NewPerson};
use domain::testing::PlainWords;
use domain::types::{DisplayName, Email, Language, PersonId};
use providers::paypal::apply::{self, Applied};
use providers::paypal::client::Captured;
use providers::paypal::testing::{self, CERT, Pki, StandIn, events, sign_at};
use providers::paypal::verify::DEFAULT_CERT_NAME;
use providers::paypal::{Client, Verifier, VerifyError, checkout, event};
use sqlx::PgPool;
use time::OffsetDateTime;

const WEBHOOK_ID: &str = "8PT597110X687430LKGECATA";
const ORIGIN: Origin<'static> = Origin { actor: &Actor::System, source: "test" };

async fn stand_in() -> (StandIn, Verifier) {
    let stand_in = testing::start().await.unwrap();
    let verifier = Verifier::new(&stand_in.verifier_config(WEBHOOK_ID)).unwrap();
    (stand_in, verifier)
}

const BODY: &str = r#"{"id":"WH-1","event_type":"PAYMENT.CAPTURE.COMPLETED","resource":{}}"#;

fn cert_fetches(stand_in: &StandIn) -> usize {
    stand_in.requests_to("GET /v1/notifications/certs/").len()
}

// ---------------------------------------------------------------------------------------------
// Verification

#[tokio::test]
async fn verify_accepts_a_delivery_signed_as_paypal_signs() {
    let (stand_in, verifier) = stand_in().await;
    let signed = stand_in.sign_event(BODY.as_bytes(), WEBHOOK_ID);
    assert_eq!(
        verifier.verify(&signed.transmission(), BODY.as_bytes(), OffsetDateTime::now_utc()).await,
        Ok(())
    );
}

#[tokio::test]
async fn verify_fetches_the_certificate_once() {
    let (stand_in, verifier) = stand_in().await;
    for _ in 0..3 {
        let signed = stand_in.sign_event(BODY.as_bytes(), WEBHOOK_ID);
        verifier.verify(&signed.transmission(), BODY.as_bytes(), OffsetDateTime::now_utc()).await.unwrap();
    }
    assert_eq!(cert_fetches(&stand_in), 1);
}

#[tokio::test]
async fn verify_refuses_certificate_urls_off_the_allow_list_without_fetching() {
    let (stand_in, verifier) = stand_in().await;
    let host = stand_in.host();
    let path = format!("/v1/notifications/certs/{CERT}");
    for url in [
        // Another host (the stand-in itself is reachable on 127.0.0.1 too, but not allowed).
        format!("https://127.0.0.1:{}{path}", host.rsplit_once(':').unwrap().1),
        format!("https://evil.example{path}"),
        // Userinfo that makes a parser see another host.
        format!("https://{host}@evil.example{path}"),
        format!("https://evil.example@{host}{path}"),
        // Dotted and encoded paths.
        format!("https://{host}/v1/notifications/certs/../certs/{CERT}"),
        format!("https://{host}/v1/notifications/certs/%2e%2e/{CERT}"),
        // A query or fragment.
        format!("https://{host}{path}?x=1"),
        format!("https://{host}{path}#x"),
        // Plain HTTP.
        format!("http://{host}{path}"),
        // Another path.
        format!("https://{host}/v1/other/{CERT}"),
    ] {
        let now = OffsetDateTime::now_utc();
        let signed = sign_at(BODY.as_bytes(), WEBHOOK_ID, now, &url);
        let result = verifier.verify(&signed.transmission(), BODY.as_bytes(), now).await;
        assert!(matches!(result, Err(VerifyError::CertUrl(_))), "{url}: {result:?}");
    }
    assert_eq!(cert_fetches(&stand_in), 0);
}

#[tokio::test]
async fn verify_refuses_a_chain_from_an_untrusted_ca() {
    let (stand_in, verifier) = stand_in().await;
    let other = Pki::new("someone else").unwrap();
    stand_in.put_cert("CERT-untrusted", other.message_chain(DEFAULT_CERT_NAME).unwrap());
    let now = OffsetDateTime::now_utc();
    let signed = sign_at(BODY.as_bytes(), WEBHOOK_ID, now, &stand_in.cert_url("CERT-untrusted"));
    assert_eq!(
        verifier.verify(&signed.transmission(), BODY.as_bytes(), now).await,
        Err(VerifyError::Untrusted)
    );
}

#[tokio::test]
async fn verify_refuses_a_chain_for_another_name() {
    let (stand_in, verifier) = stand_in().await;
    stand_in.put_cert("CERT-other-name", stand_in.pki().message_chain("messages.evil.example").unwrap());
    // The sandbox's name is another name too, for a live setup.
    stand_in.put_cert(
        "CERT-sandbox",
        stand_in.pki().message_chain("messageverificationcerts.sandbox.paypal.com").unwrap(),
    );
    for name in ["CERT-other-name", "CERT-sandbox"] {
        let now = OffsetDateTime::now_utc();
        let signed = sign_at(BODY.as_bytes(), WEBHOOK_ID, now, &stand_in.cert_url(name));
        assert_eq!(
            verifier.verify(&signed.transmission(), BODY.as_bytes(), now).await,
            Err(VerifyError::CertName),
            "{name}"
        );
    }
}

#[tokio::test]
async fn verify_refuses_a_signature_over_another_body() {
    let (stand_in, verifier) = stand_in().await;
    let signed = stand_in.sign_event(BODY.as_bytes(), WEBHOOK_ID);
    let other = BODY.replace("WH-1", "WH-2");
    assert_eq!(
        verifier.verify(&signed.transmission(), other.as_bytes(), OffsetDateTime::now_utc()).await,
        Err(VerifyError::Signature)
    );
}

#[tokio::test]
async fn verify_refuses_a_signature_for_another_webhook_id() {
    let (stand_in, verifier) = stand_in().await;
    let signed = stand_in.sign_event(BODY.as_bytes(), "SOMEONE-ELSES-WEBHOOK");
    assert_eq!(
        verifier.verify(&signed.transmission(), BODY.as_bytes(), OffsetDateTime::now_utc()).await,
        Err(VerifyError::Signature)
    );
}

#[tokio::test]
async fn verify_refuses_stale_and_future_transmission_times() {
    let (stand_in, verifier) = stand_in().await;
    let now = OffsetDateTime::now_utc();
    let url = stand_in.cert_url(CERT);
    let old = sign_at(BODY.as_bytes(), WEBHOOK_ID, now - time::Duration::seconds(301), &url);
    assert_eq!(verifier.verify(&old.transmission(), BODY.as_bytes(), now).await, Err(VerifyError::Stale));
    let ahead = sign_at(BODY.as_bytes(), WEBHOOK_ID, now + time::Duration::seconds(301), &url);
    assert_eq!(verifier.verify(&ahead.transmission(), BODY.as_bytes(), now).await, Err(VerifyError::Future));
    let recent = sign_at(BODY.as_bytes(), WEBHOOK_ID, now - time::Duration::seconds(299), &url);
    assert_eq!(verifier.verify(&recent.transmission(), BODY.as_bytes(), now).await, Ok(()));
    // Stale deliveries are refused before any certificate is fetched.
    assert_eq!(cert_fetches(&stand_in), 1);
}

#[tokio::test]
async fn verify_refuses_other_algorithms_missing_headers_and_garbage() {
    let (stand_in, verifier) = stand_in().await;
    let now = OffsetDateTime::now_utc();
    let signed = stand_in.sign_event(BODY.as_bytes(), WEBHOOK_ID);
    let mut t = signed.transmission();
    t.auth_algo = Some("SHA1withRSA");
    assert_eq!(verifier.verify(&t, BODY.as_bytes(), now).await, Err(VerifyError::Algorithm));
    let mut t = signed.transmission();
    t.signature = None;
    assert!(matches!(verifier.verify(&t, BODY.as_bytes(), now).await, Err(VerifyError::Missing(_))));
    let mut t = signed.transmission();
    t.signature = Some("!!! not base64 !!!");
    assert_eq!(verifier.verify(&t, BODY.as_bytes(), now).await, Err(VerifyError::SignatureEncoding));
    let mut t = signed.transmission();
    t.time = Some("yesterday");
    assert_eq!(verifier.verify(&t, BODY.as_bytes(), now).await, Err(VerifyError::BadTime));
    let mut t = signed.transmission();
    t.id = Some("another-transmission");
    assert_eq!(verifier.verify(&t, BODY.as_bytes(), now).await, Err(VerifyError::Signature));
    // A certificate URL that is allowed but serves nothing.
    let missing = sign_at(BODY.as_bytes(), WEBHOOK_ID, now, &stand_in.cert_url("CERT-missing"));
    assert!(matches!(
        verifier.verify(&missing.transmission(), BODY.as_bytes(), now).await,
        Err(VerifyError::CertFetch(_))
    ));
    // Not a PEM chain.
    stand_in.put_cert("CERT-garbage", "hello".to_owned());
    let garbage = sign_at(BODY.as_bytes(), WEBHOOK_ID, now, &stand_in.cert_url("CERT-garbage"));
    assert_eq!(
        verifier.verify(&garbage.transmission(), BODY.as_bytes(), now).await,
        Err(VerifyError::CertFormat)
    );
}

#[tokio::test]
async fn verify_downloads_new_certificates_a_bounded_number_of_times() {
    let (stand_in, verifier) = stand_in().await;
    let now = OffsetDateTime::now_utc();
    for n in 0..12 {
        let forged =
            sign_at(BODY.as_bytes(), WEBHOOK_ID, now, &stand_in.cert_url(&format!("CERT-forged-{n}")));
        let result = verifier.verify(&forged.transmission(), BODY.as_bytes(), now).await;
        assert!(matches!(result, Err(VerifyError::CertFetch(_))), "{result:?}");
    }
    assert_eq!(cert_fetches(&stand_in), 10, "ten downloads a minute at most");
}

#[tokio::test]
async fn client_cancels_a_subscription_once_and_again_without_error() {
    let stand_in = testing::start().await.unwrap();
    let client = stand_in.client().unwrap();
    let plan =
        client.create_plan("PROD-1", Period::Monthly, Money::new(100, Currency::EUR), "p").await.unwrap();
    let request = providers::paypal::client::SubscriptionRequest {
        plan_id: &plan,
        reference: "RF18539007547034",
        amount: Money::new(1000, Currency::EUR),
        return_url: "https://r",
        cancel_url: "https://c",
        request_id: "s",
    };
    let created = client.create_subscription(&request).await.unwrap();
    client.cancel_subscription(&created.id, "renewed").await.unwrap();
    assert_eq!(stand_in.subscription(&created.id).unwrap()["status"], "CANCELLED");
    client.cancel_subscription(&created.id, "renewed").await.unwrap();
    assert!(client.cancel_subscription("I-UNKNOWN", "x").await.unwrap_err().is_not_found());
    assert!(client.cancel_subscription("../../v1/oauth2/token", "x").await.is_err(), "ids are not paths");
}

#[tokio::test]
async fn verify_errors_reveal_no_values() {
    let (stand_in, verifier) = stand_in().await;
    let signed = stand_in.sign_event(BODY.as_bytes(), "SECRET-WEBHOOK-ID");
    let error = verifier
        .verify(&signed.transmission(), BODY.as_bytes(), OffsetDateTime::now_utc())
        .await
        .unwrap_err();
    let text = format!("{error} {error:?}");
    assert!(
        !text.contains("SECRET-WEBHOOK-ID")
            && !text.contains(WEBHOOK_ID)
            && !text.contains(&signed.signature)
    );
}

// ---------------------------------------------------------------------------------------------
// Client

#[tokio::test]
async fn client_keeps_its_token_and_sends_request_ids() {
    let stand_in = testing::start().await.unwrap();
    let client = stand_in.client().unwrap();
    let a = client.create_product("Donation", "req-1").await.unwrap();
    let b = client.create_product("Donation", "req-1").await.unwrap();
    assert_eq!(a, b, "a repeated PayPal-Request-Id gets the first answer");
    client.create_product("Donation", "req-2").await.unwrap();
    assert_eq!(stand_in.requests_to("POST /v1/oauth2/token").len(), 1);
    let posts = stand_in.requests_to("POST /v1/catalogs/products");
    assert!(posts.iter().all(|r| r.request_id.is_some()));
}

#[tokio::test]
async fn client_refusals_and_outages_are_errors_without_secrets() {
    let stand_in = testing::start().await.unwrap();
    let mut config = stand_in.client_config();
    config.client_secret = secrecy::SecretString::from("wrong-secret-value");
    let client = Client::new(&config).unwrap();
    let error = client.create_product("Donation", "req").await.unwrap_err();
    assert!(matches!(error, providers::paypal::ClientError::Refused { status: 401, .. }), "{error:?}");
    assert!(!format!("{error} {error:?}").contains("wrong-secret-value"));
    let client = stand_in.client().unwrap();
    stand_in.fail_with(Some(axum::http::StatusCode::SERVICE_UNAVAILABLE));
    assert!(client.get_order("5O1").await.is_err());
}

// ---------------------------------------------------------------------------------------------
// Database helpers

async fn supporter(pool: &PgPool, name: &str, address: &str) -> PersonId {
    let mut tx = pool.begin().await.unwrap();
    let new = NewPerson {
        display_name: DisplayName::try_from(name).unwrap(),
        country: None,
        address: None,
        preferred_language: Language::German,
        referrer: None,
    };
    let person = person::create(&mut tx, ORIGIN, &new).await.unwrap();
    let email = Email::try_from(address).unwrap();
    let verified = Verification::VerifiedAt(OffsetDateTime::now_utc());
    domain::email::add(&mut tx, ORIGIN, person.id, &email, true, verified).await.unwrap();
    tx.commit().await.unwrap();
    person.id
}

async fn new_pledge(pool: &PgPool, person: Option<PersonId>, minor: i64, period: Period) -> Pledge {
    let mut tx = pool.begin().await.unwrap();
    let new = NewPledge {
        person,
        amount: Money::new(minor, Currency::EUR),
        period,
        method: Method::Paypal,
        referrer: None,
    };
    let pledge = pledge::create(&mut tx, ORIGIN, &new).await.unwrap();
    tx.commit().await.unwrap();
    pledge
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

async fn status(pool: &PgPool, pledge: &Pledge) -> PledgeStatus {
    pledge::get(pool, pledge.id).await.unwrap().unwrap().status
}

/// Verifies (as the route does) and applies a body.
async fn deliver(
    pool: &PgPool,
    stand_in: &StandIn,
    verifier: &Verifier,
    client: &Client,
    body: &str,
) -> Applied {
    let signed = stand_in.sign_event(body.as_bytes(), WEBHOOK_ID);
    verifier.verify(&signed.transmission(), body.as_bytes(), OffsetDateTime::now_utc()).await.unwrap();
    let received = event::parse(body.as_bytes()).unwrap();
    apply::apply(pool, client, &received, body, &PlainWords).await.unwrap()
}

struct World {
    stand_in: StandIn,
    verifier: Verifier,
    client: Client,
}

impl World {
    async fn new() -> Self {
        let (stand_in, verifier) = stand_in().await;
        let client = stand_in.client().unwrap();
        Self { stand_in, verifier, client }
    }

    async fn send(&self, pool: &PgPool, body: &str) -> Applied {
        deliver(pool, &self.stand_in, &self.verifier, &self.client, body).await
    }

    /// A one-off order for `pledge` created through the client and approved by the donor.
    async fn approved_order(&self, pledge: &Pledge) -> String {
        let created = checkout::start_order(
            &self.client,
            pledge,
            "Donation",
            "https://my.example/r",
            "https://my.example/c",
        )
        .await
        .unwrap();
        assert!(self.stand_in.approve(&created.id));
        created.id
    }
}

fn capture_id_of(stand_in: &StandIn, order: &str) -> String {
    stand_in.order(order).unwrap()["purchase_units"][0]["payments"]["captures"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

// ---------------------------------------------------------------------------------------------
// Applying events

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn apply_one_off_approved_then_completed_registers_once_however_often(pool: PgPool) {
    let w = World::new().await;
    let pledge = new_pledge(&pool, None, 1000, Period::Once).await;
    let reference = pledge.reference.as_str();
    let order = w.approved_order(&pledge).await;
    let approved = events::order_approved("WH-A1", &order, &pledge.id.to_string(), reference, "10.00", "EUR");
    assert_eq!(w.send(&pool, &approved).await, Applied::Applied);
    assert_eq!(w.send(&pool, &approved).await, Applied::Duplicate);
    assert_eq!(w.stand_in.order(&order).unwrap()["status"], "COMPLETED", "the webhook captured it");
    assert_eq!(w.stand_in.requests_to(&format!("POST /v2/checkout/orders/{order}/capture")).len(), 1);
    assert_eq!(count(&pool, "SELECT count(*) FROM payment").await, 0, "the capture's own event registers");
    let capture = capture_id_of(&w.stand_in, &order);
    let completed = events::capture_completed("WH-C1", &capture, &order, reference, "10.00", "EUR");
    assert_eq!(w.send(&pool, &completed).await, Applied::Applied);
    assert_eq!(w.send(&pool, &completed).await, Applied::Duplicate);
    // The same capture in another delivery (PayPal resends with a new event id): still one payment.
    let again = events::capture_completed("WH-C1-bis", &capture, &order, reference, "10.00", "EUR");
    w.send(&pool, &again).await;
    assert_eq!(count(&pool, "SELECT count(*) FROM payment").await, 1);
    assert_eq!(count(&pool, "SELECT amount_minor FROM payment").await, 1000);
    assert_eq!(count(&pool, "SELECT count(*) FROM webhook_event WHERE provider = 'paypal'").await, 3);
    assert_eq!(status(&pool, &pledge).await, PledgeStatus::Active);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn apply_one_off_completed_before_approved_registers_once(pool: PgPool) {
    let w = World::new().await;
    let pledge = new_pledge(&pool, None, 2500, Period::Once).await;
    let reference = pledge.reference.as_str();
    let order = w.approved_order(&pledge).await;
    // The return page captured it first.
    assert!(matches!(w.client.capture_order(&order).await.unwrap(), Captured::Captured { .. }));
    let capture = capture_id_of(&w.stand_in, &order);
    let completed = events::capture_completed("WH-C2", &capture, &order, reference, "25.00", "EUR");
    assert_eq!(w.send(&pool, &completed).await, Applied::Applied);
    let approved = events::order_approved("WH-A2", &order, &pledge.id.to_string(), reference, "25.00", "EUR");
    assert_eq!(w.send(&pool, &approved).await, Applied::Applied, "capturing a captured order is fine");
    // The same PayPal-Request-Id gets the first capture's answer again: no second capture.
    assert!(matches!(w.client.capture_order(&order).await.unwrap(), Captured::Captured { .. }));
    assert_eq!(capture_id_of(&w.stand_in, &order), capture);
    assert_eq!(count(&pool, "SELECT count(*) FROM payment").await, 1);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn apply_mismatched_order_is_flagged_and_not_captured(pool: PgPool) {
    let w = World::new().await;
    let pledge = new_pledge(&pool, None, 1000, Period::Once).await;
    let reference = pledge.reference.as_str();
    let order = w.approved_order(&pledge).await;
    let approved = events::order_approved("WH-A3", &order, &pledge.id.to_string(), reference, "1.00", "EUR");
    assert!(matches!(w.send(&pool, &approved).await, Applied::Flagged(_)));
    assert!(w.stand_in.requests_to(&format!("POST /v2/checkout/orders/{order}/capture")).is_empty());
    let completed = events::capture_completed("WH-C3", "CAPX", &order, reference, "10.00", "USD");
    assert!(matches!(w.send(&pool, &completed).await, Applied::Flagged(_)));
    let unknown = events::capture_completed("WH-C4", "CAPY", &order, "RF00NOPE", "10.00", "EUR");
    assert!(matches!(w.send(&pool, &unknown).await, Applied::Flagged(_)));
    assert_eq!(count(&pool, "SELECT count(*) FROM payment").await, 0);
    assert_eq!(count(&pool, "SELECT count(*) FROM payment_flag").await, 3);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn apply_unknown_event_type_is_stored_and_ok(pool: PgPool) {
    let w = World::new().await;
    let body =
        events::envelope("WH-U1", "PAYMENT.PAYOUTS-ITEM.SUCCEEDED", "payouts_item", serde_json::json!({}));
    assert_eq!(w.send(&pool, &body).await, Applied::Ignored);
    assert_eq!(w.send(&pool, &body).await, Applied::Duplicate);
    assert_eq!(count(&pool, "SELECT count(*) FROM webhook_event WHERE outcome = 'ignored'").await, 1);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn apply_subscription_activated_and_sale_completed_registers(pool: PgPool) {
    let w = World::new().await;
    let person = supporter(&pool, "Grace", "grace@example.org").await;
    let pledge = new_pledge(&pool, Some(person), 1500, Period::Monthly).await;
    let reference = pledge.reference.as_str();
    let created = checkout::start_subscription(
        &pool,
        &w.client,
        &pledge,
        "https://my.example/r",
        "https://my.example/c",
        "sub-1",
    )
    .await
    .unwrap();
    let activated =
        events::subscription("WH-S1", "BILLING.SUBSCRIPTION.ACTIVATED", &created.id, reference, "ACTIVE");
    assert_eq!(w.send(&pool, &activated).await, Applied::Applied);
    let sale = events::sale_completed("WH-P1", "SALE1", &created.id, reference, "15.00", "EUR");
    assert_eq!(w.send(&pool, &sale).await, Applied::Applied);
    assert_eq!(w.send(&pool, &sale).await, Applied::Duplicate);
    let sale2 = events::sale_completed("WH-P2", "SALE2", &created.id, reference, "15.00", "EUR");
    assert_eq!(w.send(&pool, &sale2).await, Applied::Applied);
    assert_eq!(count(&pool, "SELECT count(*) FROM payment").await, 2);
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM provider_subscription WHERE provider = 'paypal' AND status = 'active'"
        )
        .await,
        1
    );
    assert_eq!(status(&pool, &pledge).await, PledgeStatus::Active);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn apply_sale_before_activation_lands_on_the_pledge(pool: PgPool) {
    let w = World::new().await;
    let pledge = new_pledge(&pool, None, 500, Period::Yearly).await;
    let reference = pledge.reference.as_str();
    let sale = events::sale_completed("WH-P3", "SALE3", "I-EARLY", reference, "5.00", "EUR");
    assert_eq!(w.send(&pool, &sale).await, Applied::Applied);
    let activated =
        events::subscription("WH-S3", "BILLING.SUBSCRIPTION.ACTIVATED", "I-EARLY", reference, "ACTIVE");
    assert_eq!(w.send(&pool, &activated).await, Applied::Applied);
    assert_eq!(count(&pool, "SELECT count(*) FROM payment").await, 1);
    assert_eq!(count(&pool, "SELECT count(*) FROM provider_subscription").await, 1);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn apply_refund_after_and_before_its_payment(pool: PgPool) {
    let w = World::new().await;
    let pledge = new_pledge(&pool, None, 1000, Period::Once).await;
    let reference = pledge.reference.as_str();
    // After: a capture, then its partial refund.
    let completed = events::capture_completed("WH-C5", "CAP5", "ORDER5", reference, "10.00", "EUR");
    assert_eq!(w.send(&pool, &completed).await, Applied::Applied);
    let refund = events::capture_refunded("WH-R5", "RF5", "CAP5", "4.00", "EUR", false);
    assert_eq!(w.send(&pool, &refund).await, Applied::Applied);
    assert_eq!(w.send(&pool, &refund).await, Applied::Duplicate);
    assert_eq!(count(&pool, "SELECT count(*) FROM payment WHERE status = 'partially_refunded'").await, 1);
    // Before: the refund of a sale not yet registered waits and is applied with it.
    let monthly = new_pledge(&pool, None, 700, Period::Monthly).await;
    let refund = events::sale_refunded("WH-R6", "RF6", "SALE6", "7.00", "EUR");
    assert_eq!(w.send(&pool, &refund).await, Applied::Applied);
    let sale = events::sale_completed("WH-P6", "SALE6", "I-SIX", monthly.reference.as_str(), "7.00", "EUR");
    assert_eq!(w.send(&pool, &sale).await, Applied::Applied);
    assert_eq!(count(&pool, "SELECT count(*) FROM payment WHERE status = 'refunded'").await, 1);
    // A dispute of the first capture.
    let dispute = events::dispute_created("WH-D1", "PP-D-1", "CAP5", "6.00", "EUR");
    assert_eq!(w.send(&pool, &dispute).await, Applied::Applied);
    assert_eq!(count(&pool, "SELECT count(*) FROM payment_adjustment").await, 3);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn apply_provider_cancelling_needs_renewal_and_mails_once(pool: PgPool) {
    let w = World::new().await;
    let person = supporter(&pool, "Linus", "linus@example.org").await;
    let pledge = new_pledge(&pool, Some(person), 1000, Period::Monthly).await;
    let reference = pledge.reference.as_str();
    let activated =
        events::subscription("WH-S7", "BILLING.SUBSCRIPTION.ACTIVATED", "I-SEVEN", reference, "ACTIVE");
    w.send(&pool, &activated).await;
    w.send(&pool, &events::sale_completed("WH-P7", "SALE7", "I-SEVEN", reference, "10.00", "EUR")).await;
    let mails_before = count(&pool, "SELECT count(*) FROM mail_job WHERE kind = 'renew_pledge'").await;
    let cancelled =
        events::subscription("WH-S8", "BILLING.SUBSCRIPTION.CANCELLED", "I-SEVEN", reference, "CANCELLED");
    assert_eq!(w.send(&pool, &cancelled).await, Applied::Applied);
    assert_eq!(status(&pool, &pledge).await, PledgeStatus::NeedsRenewal);
    assert_eq!(
        count(&pool, "SELECT count(*) FROM mail_job WHERE kind = 'renew_pledge'").await,
        mails_before + 1
    );
    // EXPIRED after CANCELLED: no second mail.
    let expired =
        events::subscription("WH-S9", "BILLING.SUBSCRIPTION.EXPIRED", "I-SEVEN", reference, "EXPIRED");
    w.send(&pool, &expired).await;
    assert_eq!(
        count(&pool, "SELECT count(*) FROM mail_job WHERE kind = 'renew_pledge'").await,
        mails_before + 1
    );
    // The supporter renews with a new PayPal subscription: active again.
    let renewed =
        events::subscription("WH-S10", "BILLING.SUBSCRIPTION.ACTIVATED", "I-EIGHT", reference, "ACTIVE");
    assert_eq!(w.send(&pool, &renewed).await, Applied::Applied);
    assert_eq!(status(&pool, &pledge).await, PledgeStatus::Active);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn apply_payment_failed_mails_once_per_episode(pool: PgPool) {
    let w = World::new().await;
    let person = supporter(&pool, "Ada", "ada@example.org").await;
    let pledge = new_pledge(&pool, Some(person), 1000, Period::Monthly).await;
    let reference = pledge.reference.as_str();
    w.send(
        &pool,
        &events::subscription("WH-S11", "BILLING.SUBSCRIPTION.ACTIVATED", "I-NINE", reference, "ACTIVE"),
    )
    .await;
    w.send(&pool, &events::sale_completed("WH-P11", "SALE11", "I-NINE", reference, "10.00", "EUR")).await;
    let before = count(&pool, "SELECT count(*) FROM mail_job").await;
    for id in ["WH-F1", "WH-F2"] {
        let failed =
            events::subscription(id, "BILLING.SUBSCRIPTION.PAYMENT.FAILED", "I-NINE", reference, "ACTIVE");
        assert_eq!(w.send(&pool, &failed).await, Applied::Applied);
    }
    assert_eq!(count(&pool, "SELECT count(*) FROM mail_job").await, before + 1);
    assert_eq!(status(&pool, &pledge).await, PledgeStatus::Active);
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn apply_a_subscription_we_superseded_ends_without_lapsing(pool: PgPool) {
    let w = World::new().await;
    let pledge = new_pledge(&pool, None, 1000, Period::Monthly).await;
    let reference = pledge.reference.as_str();
    w.send(
        &pool,
        &events::subscription("WH-S12", "BILLING.SUBSCRIPTION.ACTIVATED", "I-OLD", reference, "ACTIVE"),
    )
    .await;
    w.send(&pool, &events::sale_completed("WH-P12", "SALE12", "I-OLD", reference, "10.00", "EUR")).await;
    // A second subscription for the same pledge (a renewal): the first is due for cancellation.
    let mut tx = pool.begin().await.unwrap();
    domain::payment::renewal::adopt(&mut tx, ORIGIN, pledge.id, Method::Paypal, "I-NEW").await.unwrap();
    tx.commit().await.unwrap();
    let cancelled =
        events::subscription("WH-S13", "BILLING.SUBSCRIPTION.CANCELLED", "I-OLD", reference, "CANCELLED");
    assert_eq!(w.send(&pool, &cancelled).await, Applied::Applied);
    assert_eq!(status(&pool, &pledge).await, PledgeStatus::Active);
}

// ---------------------------------------------------------------------------------------------
// Checkout

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn checkout_creates_product_and_plan_once_and_overrides_the_amount(pool: PgPool) {
    let w = World::new().await;
    let a = new_pledge(&pool, None, 1200, Period::Monthly).await;
    let b = new_pledge(&pool, None, 3400, Period::Monthly).await;
    let c = new_pledge(&pool, None, 5000, Period::Yearly).await;
    for (pledge, request) in [(&a, "s-a"), (&b, "s-b"), (&c, "s-c")] {
        let created =
            checkout::start_subscription(&pool, &w.client, pledge, "https://r", "https://c", request)
                .await
                .unwrap();
        assert!(created.approve_url.contains(&created.id));
    }
    assert_eq!(w.stand_in.requests_to("POST /v1/catalogs/products").len(), 1);
    assert_eq!(w.stand_in.requests_to("POST /v1/billing/plans").len(), 2, "one plan per period");
    assert_eq!(count(&pool, "SELECT count(*) FROM paypal_plan").await, 2);
    let subscriptions = w.stand_in.requests_to("POST /v1/billing/subscriptions");
    let price = &subscriptions[1].body["plan"]["billing_cycles"][0]["pricing_scheme"]["fixed_price"];
    assert_eq!(price["value"], "34.00");
    assert_eq!(price["currency_code"], "EUR");
    assert_eq!(subscriptions[1].body["custom_id"], b.reference.as_str());
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn checkout_order_carries_reference_and_is_made_once(pool: PgPool) {
    let w = World::new().await;
    let pledge = new_pledge(&pool, None, 1050, Period::Once).await;
    let first =
        checkout::start_order(&w.client, &pledge, "Donation", "https://r", "https://c").await.unwrap();
    let again =
        checkout::start_order(&w.client, &pledge, "Donation", "https://r", "https://c").await.unwrap();
    assert_eq!(first, again, "the same pledge gets the same order");
    let request = &w.stand_in.requests_to("POST /v2/checkout/orders")[0];
    let unit = &request.body["purchase_units"][0];
    assert_eq!(unit["custom_id"], pledge.reference.as_str());
    assert_eq!(unit["reference_id"], pledge.id.to_string());
    assert_eq!(unit["amount"]["value"], "10.50");
    assert_eq!(request.request_id.as_deref(), Some(format!("cdb-order-{}", pledge.id).as_str()));
    // Not approved yet: capturing is no error, nothing is taken.
    assert_eq!(w.client.capture_order(&first.id).await.unwrap(), Captured::NotApproved);
}
