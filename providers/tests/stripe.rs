// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The Stripe adapter from outside: `Stripe-Signature` checks, event parsing against one fixture
//! per handled event type (`fixtures/stripe/`, API version `2026-09-30.endive`; an async-stripe
//! upgrade that breaks one fails here), and the API client against the local stand-in
//! (`providers::stripe::testing`). No network, no database.
//!
//! Run: `cargo test -p providers --test stripe` (filter with `signature_`, `event_`, `client_`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use domain::payment::{Currency, Money, Period};
use providers::stripe::event::{
    self, Action, CheckoutMode, CheckoutPaymentStatus, EventError, SubscriptionStatus,
};
use providers::stripe::signature::{self, SignatureError, sign, verify};
use providers::stripe::testing::{self, objects};
use providers::stripe::{CheckoutRequest, ClientError};
use secrecy::SecretString;
use time::OffsetDateTime;

const PLEDGE: &str = "0195f3a0-7c1e-7d2a-9b4e-3f2a1c0d9e8f";
const SECRET: &str = "whsec_test_current";
const OLD_SECRET: &str = "whsec_test_previous";
const T: i64 = 1_790_000_000;

fn eur(minor: i64) -> Money {
    Money::new(minor, Currency::EUR)
}

fn at(t: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(t).unwrap()
}

fn secrets(list: &[&str]) -> Vec<SecretString> {
    list.iter().map(|s| SecretString::from(*s)).collect()
}

// ---------------------------------------------------------------------------------------------
// Signature

const BODY: &[u8] = include_bytes!("fixtures/stripe/checkout_session_completed.json");

#[test]
fn signature_accepts_a_correct_header() {
    let header = sign(BODY, SECRET, T);
    assert_eq!(verify(Some(&header), BODY, &secrets(&[SECRET]), at(T)), Ok(()));
}

#[test]
fn signature_missing_header() {
    assert_eq!(verify(None, BODY, &secrets(&[SECRET]), at(T)), Err(SignatureError::Missing));
}

#[test]
fn signature_malformed_header() {
    for header in ["", "garbage", "t=abc,v1=00", "v1=00", "t=1790000000", "t=1790000000,v0=00", "t=1,,v1=00"]
    {
        assert_eq!(
            verify(Some(header), BODY, &secrets(&[SECRET]), at(T)),
            Err(SignatureError::Malformed),
            "{header:?}"
        );
    }
}

#[test]
fn signature_forged() {
    let header = format!("t={T},v1={}", "ab".repeat(32));
    assert_eq!(verify(Some(&header), BODY, &secrets(&[SECRET]), at(T)), Err(SignatureError::NoMatch));
    let not_hex = format!("t={T},v1=not-hex");
    assert_eq!(verify(Some(&not_hex), BODY, &secrets(&[SECRET]), at(T)), Err(SignatureError::NoMatch));
}

#[test]
fn signature_wrong_secret() {
    let header = sign(BODY, "whsec_someone_else", T);
    assert_eq!(verify(Some(&header), BODY, &secrets(&[SECRET]), at(T)), Err(SignatureError::NoMatch));
}

#[test]
fn signature_timestamp_301_seconds_old_is_stale() {
    let header = sign(BODY, SECRET, T - 301);
    assert_eq!(verify(Some(&header), BODY, &secrets(&[SECRET]), at(T)), Err(SignatureError::Stale));
    let header = sign(BODY, SECRET, T - 300);
    assert_eq!(verify(Some(&header), BODY, &secrets(&[SECRET]), at(T)), Ok(()));
}

#[test]
fn signature_timestamp_301_seconds_ahead_is_future() {
    let header = sign(BODY, SECRET, T + 301);
    assert_eq!(verify(Some(&header), BODY, &secrets(&[SECRET]), at(T)), Err(SignatureError::Future));
    let header = sign(BODY, SECRET, T + 300);
    assert_eq!(verify(Some(&header), BODY, &secrets(&[SECRET]), at(T)), Ok(()));
}

#[test]
fn signature_body_changed_after_signing() {
    let header = sign(BODY, SECRET, T);
    let mut changed = BODY.to_vec();
    let at_amount = changed.windows(4).position(|w| w == b"2500").unwrap();
    changed[at_amount] = b'9';
    assert_eq!(verify(Some(&header), &changed, &secrets(&[SECRET]), at(T)), Err(SignatureError::NoMatch));
}

#[test]
fn signature_several_v1_values_one_right() {
    let good = sign(BODY, SECRET, T);
    let good_v1 = good.split_once(",v1=").unwrap().1;
    let header = format!("t={T},v1={},v0={},v1={good_v1},v1=zz", "00".repeat(32), "11".repeat(32));
    assert_eq!(verify(Some(&header), BODY, &secrets(&[SECRET]), at(T)), Ok(()));
}

#[test]
fn signature_second_secret_during_rotation() {
    let both = secrets(&[SECRET, OLD_SECRET]);
    for secret in [SECRET, OLD_SECRET] {
        let header = sign(BODY, secret, T);
        assert_eq!(verify(Some(&header), BODY, &both, at(T)), Ok(()), "{secret}");
    }
    let header = sign(BODY, OLD_SECRET, T);
    assert_eq!(verify(Some(&header), BODY, &secrets(&[SECRET]), at(T)), Err(SignatureError::NoMatch));
}

#[test]
fn signature_stale_is_only_reported_for_authentic_headers() {
    let forged_and_old = format!("t={},v1={}", T - 3600, "ab".repeat(32));
    assert_eq!(verify(Some(&forged_and_old), BODY, &secrets(&[SECRET]), at(T)), Err(SignatureError::NoMatch));
    assert_eq!(signature::TOLERANCE_SECONDS, 300);
}

// ---------------------------------------------------------------------------------------------
// Events: one fixture per handled type

fn fixture(name: &str) -> event::Received {
    let path = format!("{}/tests/fixtures/stripe/{name}", env!("CARGO_MANIFEST_DIR"));
    let body = std::fs::read(&path).unwrap();
    event::parse(&body).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn event_every_handled_type_has_a_fixture_that_parses() {
    let dir = format!("{}/tests/fixtures/stripe", env!("CARGO_MANIFEST_DIR"));
    let mut seen = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name.ends_with(".json") {
            let received = fixture(&name);
            assert_ne!(received.action, Action::Unhandled, "{name}");
            seen.push(received.event_type);
        }
    }
    for handled in event::HANDLED {
        assert!(seen.iter().any(|s| s == handled), "no fixture for {handled}");
    }
}

#[test]
fn event_checkout_completed_payment() {
    let received = fixture("checkout_session_completed.json");
    assert_eq!(received.id, "evt_1QcsCompletedPayment000");
    assert_eq!(received.event_type, "checkout.session.completed");
    assert_eq!(received.created, 1_790_000_000);
    assert!(!received.livemode);
    let Action::CheckoutCompleted(c) = received.action else { panic!("{:?}", received.action) };
    assert_eq!(c.session_id, "cs_test_a1B2c3D4e5F6g7H8i9J0");
    assert_eq!(c.pledge.as_deref(), Some(PLEDGE));
    assert_eq!(c.client_reference_id.as_deref(), Some(PLEDGE));
    assert_eq!(c.mode, CheckoutMode::Payment);
    assert_eq!(c.payment_status, CheckoutPaymentStatus::Paid);
    assert_eq!(c.amount_total, Some(eur(2500)));
    assert_eq!(c.payment_intent_id.as_deref(), Some("pi_3QaBcDeFgHiJkLmN0aBcDeFg"));
    assert_eq!(c.customer_email.as_deref(), Some("ada@example.org"));
    assert_eq!(c.subscription_id, None);
    assert_eq!(c.customer_id, None);
}

#[test]
fn event_checkout_completed_subscription() {
    let Action::CheckoutCompleted(c) = fixture("checkout_session_completed_subscription.json").action else {
        panic!()
    };
    assert_eq!(c.mode, CheckoutMode::Subscription);
    assert_eq!(c.amount_total, Some(eur(1000)));
    assert_eq!(c.subscription_id.as_deref(), Some("sub_1QaBcDeFgHiJkLmNoPqRsTuV"));
    assert_eq!(c.invoice_id.as_deref(), Some("in_1QaBcDeFgHiJkLmNoPqRsTuV"));
    assert_eq!(c.customer_id.as_deref(), Some("cus_RaBcDeFgHiJkLm"));
    assert_eq!(c.payment_intent_id, None);
    assert_eq!(c.pledge.as_deref(), Some(PLEDGE));
}

#[test]
fn event_checkout_async_payment_succeeded() {
    let Action::CheckoutAsyncSucceeded(c) = fixture("checkout_session_async_payment_succeeded.json").action
    else {
        panic!()
    };
    assert_eq!(c.payment_status, CheckoutPaymentStatus::Paid);
    assert_eq!(c.pledge.as_deref(), Some(PLEDGE));
    assert_eq!(c.amount_total, Some(eur(2500)));
}

#[test]
fn event_checkout_async_payment_failed() {
    let Action::CheckoutAsyncFailed(c) = fixture("checkout_session_async_payment_failed.json").action else {
        panic!()
    };
    assert_eq!(c.payment_status, CheckoutPaymentStatus::Unpaid);
    assert_eq!(c.payment_intent_id.as_deref(), Some("pi_3QaBcDeFgHiJkLmN0aBcDeFg"));
}

#[test]
fn event_invoice_paid() {
    let Action::InvoicePaid(i) = fixture("invoice_paid.json").action else { panic!() };
    assert_eq!(i.invoice_id, "in_1QaBcDeFgHiJkLmNoPqRsTuV");
    assert_eq!(i.subscription_id.as_deref(), Some("sub_1QaBcDeFgHiJkLmNoPqRsTuV"));
    assert_eq!(i.pledge.as_deref(), Some(PLEDGE));
    assert_eq!(i.customer_id.as_deref(), Some("cus_RaBcDeFgHiJkLm"));
    assert_eq!(i.amount_paid, eur(1000));
    assert_eq!(i.amount_due, eur(1000));
    assert_eq!(i.billing_reason.as_deref(), Some("subscription_cycle"));
    assert_eq!(i.status.as_deref(), Some("paid"));
    assert_eq!(i.paid_at, Some(T));
    assert_eq!(i.period, Some((T, T + 2_592_000)));
    // Not included in webhooks unless asked for: found through `invoice_for_payment_intent`.
    assert_eq!(i.payment_intent_id, None);
}

#[test]
fn event_invoice_payment_failed() {
    let Action::InvoicePaymentFailed(i) = fixture("invoice_payment_failed.json").action else { panic!() };
    assert_eq!(i.amount_paid, eur(0));
    assert_eq!(i.status.as_deref(), Some("open"));
    assert_eq!(i.attempt_count, 1);
    assert_eq!(i.next_payment_attempt, Some(T + 259_200));
    assert_eq!(i.pledge.as_deref(), Some(PLEDGE));
}

#[test]
fn event_subscription_updated() {
    let Action::SubscriptionUpdated(s) = fixture("customer_subscription_updated.json").action else {
        panic!()
    };
    assert_eq!(s.subscription_id, "sub_1QaBcDeFgHiJkLmNoPqRsTuV");
    assert_eq!(s.customer_id, "cus_RaBcDeFgHiJkLm");
    assert_eq!(s.pledge.as_deref(), Some(PLEDGE));
    assert_eq!(s.status, SubscriptionStatus::Active);
    assert!(s.cancel_at_period_end);
    assert_eq!(s.cancel_at, Some(T + 2_591_400));
    assert_eq!(s.amount, Some(eur(1000)));
    assert_eq!(s.period, Some(Period::Monthly));
    assert_eq!(s.item_id.as_deref(), Some("si_RaBcDeFgHiJkLm"));
    assert_eq!(s.current_period_end, Some(T + 2_591_400));
}

#[test]
fn event_subscription_deleted() {
    let Action::SubscriptionDeleted(s) = fixture("customer_subscription_deleted.json").action else {
        panic!()
    };
    assert_eq!(s.status, SubscriptionStatus::Canceled);
    assert!(!s.cancel_at_period_end);
    assert_eq!(s.ended_at, Some(T));
}

#[test]
fn event_charge_refunded() {
    let Action::ChargeRefunded(r) = fixture("charge_refunded.json").action else { panic!() };
    assert_eq!(r.charge_id, "ch_3QaBcDeFgHiJkLmN0aBcDeFg");
    assert_eq!(r.payment_intent_id.as_deref(), Some("pi_3QaBcDeFgHiJkLmN0aBcDeFg"));
    assert_eq!(r.amount, eur(2500));
    assert_eq!(r.amount_refunded, eur(2500));
    assert!(r.fully_refunded);
    assert!(r.refunds.is_empty(), "not listed in this API version");
}

#[test]
fn event_charge_refunded_with_listed_refunds() {
    let mut value = fixture_json("charge_refunded.json");
    value["data"]["object"]["amount_refunded"] = 1000.into();
    value["data"]["object"]["refunded"] = false.into();
    value["data"]["object"]["refunds"] = serde_json::json!({
        "object": "list", "has_more": false, "url": "/v1/charges/ch_3QaBcDeFgHiJkLmN0aBcDeFg/refunds",
        "data": [{ "id": "re_3QaBcDeFgHiJkLmN0aBcDeFg", "object": "refund", "amount": 1000,
                   "created": T, "currency": "eur", "status": "succeeded" }]
    });
    let Action::ChargeRefunded(r) = event::parse(value.to_string().as_bytes()).unwrap().action else {
        panic!()
    };
    assert!(!r.fully_refunded);
    assert_eq!(r.amount_refunded, eur(1000));
    assert_eq!(r.refunds.len(), 1);
    assert_eq!(r.refunds[0].refund_id, "re_3QaBcDeFgHiJkLmN0aBcDeFg");
    assert_eq!(r.refunds[0].amount, eur(1000));
    assert_eq!(r.refunds[0].status.as_deref(), Some("succeeded"));
}

#[test]
fn event_dispute_created() {
    let Action::DisputeCreated(d) = fixture("charge_dispute_created.json").action else { panic!() };
    assert_eq!(d.dispute_id, "du_1QaBcDeFgHiJkLmNoPqRsTuV");
    assert_eq!(d.charge_id, "ch_3QaBcDeFgHiJkLmN0aBcDeFg");
    assert_eq!(d.payment_intent_id.as_deref(), Some("pi_3QaBcDeFgHiJkLmN0aBcDeFg"));
    assert_eq!(d.amount, eur(2500));
    assert_eq!(d.reason, "fraudulent");
    assert_eq!(d.status, "warning_needs_response");
}

fn fixture_json(name: &str) -> serde_json::Value {
    let path = format!("{}/tests/fixtures/stripe/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn event_pledge_missing_or_blank_is_none() {
    let mut value = fixture_json("checkout_session_completed.json");
    value["data"]["object"]["metadata"] = serde_json::json!({ "pledge": "  " });
    let Action::CheckoutCompleted(c) = event::parse(value.to_string().as_bytes()).unwrap().action else {
        panic!()
    };
    assert_eq!(c.pledge, None);
    value["data"]["object"]["metadata"] = serde_json::json!({});
    let Action::CheckoutCompleted(c) = event::parse(value.to_string().as_bytes()).unwrap().action else {
        panic!()
    };
    assert_eq!(c.pledge, None);
    // Garbage stays as sent: the registration decides it names no pledge of ours.
    value["data"]["object"]["metadata"] = serde_json::json!({ "pledge": "not-a-uuid" });
    let Action::CheckoutCompleted(c) = event::parse(value.to_string().as_bytes()).unwrap().action else {
        panic!()
    };
    assert_eq!(c.pledge.as_deref(), Some("not-a-uuid"));
}

#[test]
fn event_unknown_type_is_unhandled() {
    let mut value = fixture_json("charge_refunded.json");
    value["type"] = "charge.something_new".into();
    let received = event::parse(value.to_string().as_bytes()).unwrap();
    assert_eq!(received.action, Action::Unhandled);
    assert_eq!(received.event_type, "charge.something_new");
    assert_eq!(received.id, "evt_3QchargeRefunded0000000");
}

#[test]
fn event_known_but_unhandled_type_needs_no_model() {
    // A real Stripe type whose object would not satisfy async-stripe's Customer model.
    let body = serde_json::json!({
        "id": "evt_1", "object": "event", "api_version": "2026-09-30.endive", "created": T,
        "livemode": true, "pending_webhooks": 1, "request": null, "type": "customer.created",
        "data": { "object": { "id": "cus_1", "object": "customer" } }
    });
    let received = event::parse(body.to_string().as_bytes()).unwrap();
    assert_eq!(received.action, Action::Unhandled);
    assert!(received.livemode);
}

#[test]
fn event_malformed_json() {
    for body in [&b""[..], b"{", b"not json", b"\xff\xfe", b"null"] {
        assert!(matches!(event::parse(body), Err(EventError::Malformed(_))), "{body:?}");
    }
}

#[test]
fn event_body_that_is_not_an_event() {
    let mut value = fixture_json("invoice_paid.json");
    value["object"] = "invoice".into();
    assert_eq!(event::parse(value.to_string().as_bytes()), Err(EventError::NotAnEvent("invoice".into())));
    // An event without `data.object`, or with a list there.
    let mut value = fixture_json("invoice_paid.json");
    value["data"] = serde_json::json!({});
    assert!(matches!(event::parse(value.to_string().as_bytes()), Err(EventError::Malformed(_))));
    value["data"] = serde_json::json!({ "object": [] });
    assert!(matches!(event::parse(value.to_string().as_bytes()), Err(EventError::Malformed(_))));
}

#[test]
fn event_wrong_shapes() {
    // An invoice where a checkout session belongs.
    let mut value = fixture_json("checkout_session_completed.json");
    value["data"]["object"] = fixture_json("invoice_paid.json")["data"]["object"].clone();
    assert_eq!(
        event::parse(value.to_string().as_bytes()),
        Err(EventError::Shape { event_type: "checkout.session.completed".into() })
    );
    // A required field missing, and one of the wrong type.
    let mut value = fixture_json("customer_subscription_updated.json");
    value["data"]["object"].as_object_mut().unwrap().remove("status");
    assert!(matches!(event::parse(value.to_string().as_bytes()), Err(EventError::Shape { .. })));
    let mut value = fixture_json("charge_dispute_created.json");
    value["data"]["object"]["amount"] = "2500".into();
    assert!(matches!(event::parse(value.to_string().as_bytes()), Err(EventError::Shape { .. })));
    // An envelope field of the wrong type.
    let mut value = fixture_json("invoice_paid.json");
    value["created"] = "yesterday".into();
    assert!(matches!(event::parse(value.to_string().as_bytes()), Err(EventError::Malformed(_))));
}

#[test]
fn event_unknown_currency_is_its_own_error() {
    let mut value = fixture_json("charge_dispute_created.json");
    value["data"]["object"]["currency"] = "huf".into();
    assert_eq!(
        event::parse(value.to_string().as_bytes()),
        Err(EventError::Currency { event_type: "charge.dispute.created".into(), code: "huf".into() })
    );
}

#[test]
fn event_signed_delivery_end_to_end() {
    let body =
        std::fs::read(format!("{}/tests/fixtures/stripe/invoice_paid.json", env!("CARGO_MANIFEST_DIR")))
            .unwrap();
    let header = sign(&body, SECRET, T + 5);
    verify(Some(&header), &body, &secrets(&[SECRET]), at(T + 10)).unwrap();
    assert!(matches!(event::parse(&body).unwrap().action, Action::InvoicePaid(_)));
}

// ---------------------------------------------------------------------------------------------
// Client against the stand-in

fn checkout(period: Period, key: &str) -> CheckoutRequest {
    CheckoutRequest {
        pledge: PLEDGE.to_owned(),
        amount: eur(2500),
        period,
        success_url: "https://my.example.org/donate/thanks".to_owned(),
        cancel_url: "https://my.example.org/donate".to_owned(),
        customer_email: Some("ada@example.org".to_owned()),
        customer: None,
        locale: Some("de".to_owned()),
        idempotency_key: key.to_owned(),
    }
}

#[tokio::test]
async fn client_one_off_checkout() {
    let stand_in = testing::start().await.unwrap();
    let client = stand_in.client().unwrap();
    let session = client.create_checkout(&checkout(Period::Once, "pledge-1-attempt-1")).await.unwrap();
    assert!(session.id.starts_with("cs_test_"));
    assert_eq!(session.url, format!("https://checkout.stripe.com/c/pay/{}", session.id));

    let sent = stand_in.requests_to("POST /v1/checkout/sessions");
    let [sent] = sent.as_slice() else { panic!("{sent:?}") };
    assert!(sent.authorized);
    assert_eq!(sent.stripe_version.as_deref(), Some("2026-09-30.endive"));
    assert_eq!(sent.idempotency_key.as_deref(), Some("pledge-1-attempt-1"));
    assert_eq!(sent.param("mode"), Some("payment"));
    assert_eq!(sent.param("submit_type"), Some("donate"));
    assert_eq!(sent.param("client_reference_id"), Some(PLEDGE));
    assert_eq!(sent.param("metadata[pledge]"), Some(PLEDGE));
    assert_eq!(sent.param("payment_intent_data[metadata][pledge]"), Some(PLEDGE));
    assert!(!sent.has_param_under("subscription_data"));
    assert_eq!(sent.param("line_items[0][price_data][product]"), Some("cdb_donation"));
    assert_eq!(sent.param("line_items[0][price_data][unit_amount]"), Some("2500"));
    assert_eq!(sent.param("line_items[0][price_data][currency]"), Some("eur"));
    assert_eq!(sent.param("line_items[0][quantity]"), Some("1"));
    assert!(!sent.has_param_under("line_items[0][price_data][recurring]"));
    assert_eq!(sent.param("customer_email"), Some("ada@example.org"));
    assert_eq!(sent.param("success_url"), Some("https://my.example.org/donate/thanks"));
    assert_eq!(sent.param("cancel_url"), Some("https://my.example.org/donate"));
    assert_eq!(sent.param("locale"), Some("de"));
}

#[tokio::test]
async fn client_monthly_and_yearly_subscription_checkout() {
    let stand_in = testing::start().await.unwrap();
    let client = stand_in.client().unwrap();
    for (period, interval) in [(Period::Monthly, "month"), (Period::Yearly, "year")] {
        client.create_checkout(&checkout(period, &format!("key-{interval}"))).await.unwrap();
        let sent = stand_in.requests_to("POST /v1/checkout/sessions").pop().unwrap();
        assert_eq!(sent.param("mode"), Some("subscription"));
        assert_eq!(sent.param("line_items[0][price_data][recurring][interval]"), Some(interval));
        assert_eq!(sent.param("line_items[0][price_data][unit_amount]"), Some("2500"));
        assert_eq!(sent.param("line_items[0][price_data][product]"), Some("cdb_donation"));
        assert_eq!(sent.param("subscription_data[metadata][pledge]"), Some(PLEDGE));
        assert_eq!(sent.param("metadata[pledge]"), Some(PLEDGE));
        assert_eq!(sent.param("client_reference_id"), Some(PLEDGE));
        assert!(!sent.has_param_under("payment_intent_data"));
        assert_eq!(sent.param("submit_type"), None);
        assert_eq!(sent.idempotency_key, Some(format!("key-{interval}")));
    }
}

#[tokio::test]
async fn client_product_created_once() {
    let stand_in = testing::start().await.unwrap();
    let client = stand_in.client().unwrap();
    client.create_checkout(&checkout(Period::Once, "a")).await.unwrap();
    client.create_checkout(&checkout(Period::Monthly, "b")).await.unwrap();
    assert_eq!(client.ensure_product().await.unwrap(), "cdb_donation");
    let created = stand_in.requests_to("POST /v1/products");
    let [created] = created.as_slice() else { panic!("{created:?}") };
    assert_eq!(created.param("id"), Some("cdb_donation"));
    assert_eq!(created.param("name"), Some("Donation"));
    assert_eq!(created.param("metadata[cdb_product]"), Some("donation"));
    assert_eq!(stand_in.requests_to("GET /v1/products/cdb_donation").len(), 1);

    // A restarted process finds it and creates nothing.
    let again = stand_in.client().unwrap();
    assert_eq!(again.ensure_product().await.unwrap(), "cdb_donation");
    assert_eq!(stand_in.requests_to("POST /v1/products").len(), 1);
}

#[tokio::test]
async fn client_same_idempotency_key_same_session() {
    let stand_in = testing::start().await.unwrap();
    let client = stand_in.client().unwrap();
    let first = client.create_checkout(&checkout(Period::Once, "same")).await.unwrap();
    let again = client.create_checkout(&checkout(Period::Once, "same")).await.unwrap();
    let other = client.create_checkout(&checkout(Period::Once, "other")).await.unwrap();
    assert_eq!(first, again);
    assert_ne!(first.id, other.id);
}

#[tokio::test]
async fn client_checkout_with_known_customer_sends_no_email() {
    let stand_in = testing::start().await.unwrap();
    let client = stand_in.client().unwrap();
    let mut req = checkout(Period::Monthly, "k");
    req.customer = Some("cus_RaBcDeFgHiJkLm".to_owned());
    client.create_checkout(&req).await.unwrap();
    let sent = stand_in.requests_to("POST /v1/checkout/sessions").pop().unwrap();
    assert_eq!(sent.param("customer"), Some("cus_RaBcDeFgHiJkLm"));
    assert_eq!(sent.param("customer_email"), None);
}

#[tokio::test]
async fn client_refuses_bad_requests_before_sending() {
    let stand_in = testing::start().await.unwrap();
    let client = stand_in.client().unwrap();
    let mut zero = checkout(Period::Once, "k");
    zero.amount = eur(0);
    assert!(matches!(client.create_checkout(&zero).await, Err(ClientError::Invalid(_))));
    let mut no_key = checkout(Period::Once, "");
    no_key.amount = eur(100);
    assert!(matches!(client.create_checkout(&no_key).await, Err(ClientError::Invalid(_))));
    for id in ["", "sub_1/../../charges/ch_1", "sub_1?expand[]=x", "sub 1"] {
        assert!(matches!(client.cancel_subscription(id).await, Err(ClientError::Invalid(_))), "{id:?}");
    }
    assert!(matches!(
        client.update_subscription("sub_1", eur(500), Period::Once, "k").await,
        Err(ClientError::Invalid(_))
    ));
    assert!(stand_in.requests_to("DELETE /v1/subscriptions/sub_1").is_empty());
}

#[tokio::test]
async fn client_update_subscription() {
    let stand_in = testing::start().await.unwrap();
    stand_in.put(objects::subscription("sub_1", "cus_1", eur(1000), Period::Monthly, Some(PLEDGE)));
    let client = stand_in.client().unwrap();
    let updated = client.update_subscription("sub_1", eur(1500), Period::Yearly, "change-1").await.unwrap();
    assert_eq!(updated.amount, Some(eur(1500)));
    assert_eq!(updated.period, Some(Period::Yearly));
    assert_eq!(updated.pledge.as_deref(), Some(PLEDGE));

    let sent = stand_in.requests_to("POST /v1/subscriptions/sub_1");
    let [sent] = sent.as_slice() else { panic!("{sent:?}") };
    assert_eq!(sent.idempotency_key.as_deref(), Some("change-1"));
    assert_eq!(sent.param("proration_behavior"), Some("none"));
    assert_eq!(sent.param("items[0][id]"), Some("si_1"));
    assert_eq!(sent.param("items[0][price_data][product]"), Some("cdb_donation"));
    assert_eq!(sent.param("items[0][price_data][unit_amount]"), Some("1500"));
    assert_eq!(sent.param("items[0][price_data][currency]"), Some("eur"));
    assert_eq!(sent.param("items[0][price_data][recurring][interval]"), Some("year"));
    assert_eq!(sent.param("items[0][price]"), None);
}

#[tokio::test]
async fn client_cancel_subscription() {
    let stand_in = testing::start().await.unwrap();
    stand_in.put(objects::subscription("sub_2", "cus_1", eur(1000), Period::Monthly, Some(PLEDGE)));
    let client = stand_in.client().unwrap();
    let cancelled = client.cancel_subscription("sub_2").await.unwrap();
    assert_eq!(cancelled.status, SubscriptionStatus::Canceled);
    assert_eq!(stand_in.requests_to("DELETE /v1/subscriptions/sub_2").len(), 1);

    let missing = client.cancel_subscription("sub_unknown").await.unwrap_err();
    assert!(missing.is_not_found(), "{missing:?}");
    assert!(missing.to_string().contains("404"), "{missing}");
}

#[tokio::test]
async fn client_billing_portal() {
    let stand_in = testing::start().await.unwrap();
    let client = stand_in.client().unwrap();
    let url = client.billing_portal("cus_RaBcDeFgHiJkLm", "https://my.example.org/support").await.unwrap();
    assert!(url.starts_with("https://billing.stripe.com/p/session/"), "{url}");
    let sent = stand_in.requests_to("POST /v1/billing_portal/sessions").pop().unwrap();
    assert_eq!(sent.param("customer"), Some("cus_RaBcDeFgHiJkLm"));
    assert_eq!(sent.param("return_url"), Some("https://my.example.org/support"));
}

#[tokio::test]
async fn client_finds_the_invoice_behind_a_refunded_charge() {
    let stand_in = testing::start().await.unwrap();
    stand_in.put(objects::charge("ch_9", Some("pi_9"), eur(1000), 1000));
    stand_in.put(objects::payment_intent("pi_9", eur(1000), None, Some("ch_9")));
    stand_in.put(objects::invoice("in_9", Some("sub_9"), eur(1000), Some(PLEDGE)));
    stand_in.put(objects::invoice_payment("inpay_9", "in_9", "pi_9", eur(1000)));
    stand_in.put(objects::payment_intent("pi_once", eur(2500), Some(PLEDGE), None));
    let client = stand_in.client().unwrap();

    let charge = client.retrieve_charge("ch_9").await.unwrap();
    assert_eq!(charge.payment_intent_id.as_deref(), Some("pi_9"));
    assert_eq!(charge.amount_refunded, eur(1000));
    assert!(charge.refunded);
    let intent = client.retrieve_payment_intent("pi_9").await.unwrap();
    assert_eq!(intent.latest_charge_id.as_deref(), Some("ch_9"));
    assert_eq!(intent.status, "succeeded");
    assert_eq!(client.invoice_for_payment_intent("pi_9").await.unwrap().as_deref(), Some("in_9"));
    let invoice = client.retrieve_invoice("in_9").await.unwrap();
    assert_eq!(invoice.subscription_id.as_deref(), Some("sub_9"));
    assert_eq!(invoice.pledge.as_deref(), Some(PLEDGE));
    assert_eq!(invoice.amount_paid, eur(1000));

    // A one-off Checkout payment paid no invoice.
    assert_eq!(client.invoice_for_payment_intent("pi_once").await.unwrap(), None);
    let once = client.retrieve_payment_intent("pi_once").await.unwrap();
    assert_eq!(once.pledge.as_deref(), Some(PLEDGE));

    let sent = stand_in.requests_to("GET /v1/invoice_payments").pop().unwrap();
    assert_eq!(sent.param("payment[type]"), Some("payment_intent"));
    assert_eq!(sent.param("payment[payment_intent]"), Some("pi_once"));
    assert_eq!(stand_in.requests_to("GET /v1/invoices/in_9")[0].param("expand[0]"), Some("payments"));
}

#[tokio::test]
async fn client_retrieve_subscription() {
    let stand_in = testing::start().await.unwrap();
    stand_in.put(objects::subscription("sub_3", "cus_3", eur(500), Period::Yearly, None));
    let client = stand_in.client().unwrap();
    let s = client.retrieve_subscription("sub_3").await.unwrap();
    assert_eq!(s.customer_id, "cus_3");
    assert_eq!(s.amount, Some(eur(500)));
    assert_eq!(s.period, Some(Period::Yearly));
    assert_eq!(s.pledge, None);
    assert_eq!(s.status, SubscriptionStatus::Active);
}

#[tokio::test]
async fn client_unreachable_stripe_is_a_transport_error() {
    let stand_in = testing::start().await.unwrap();
    let url = stand_in.url();
    drop(stand_in);
    let client =
        providers::stripe::Client::with_api_base(&SecretString::from("sk_test_x"), "Donation", &url).unwrap();
    assert!(matches!(client.ensure_product().await, Err(ClientError::Transport(_))));
}
