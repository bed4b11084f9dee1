// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! A verified webhook body turned into the one thing we act on: [`Received`] keeps the event's
//! id, type, time and mode (for the stored copy and the "seen once" check) and an [`Action`] with
//! the plain data the registration needs (ids as `String`, amounts as [`Money`]).
//!
//! Parsing uses async-stripe's models (`stripe_webhook::Event`/`EventObject`, API version
//! `2026-09-30.endive`), so an upgrade that changes a shape we rely on fails the fixture tests in
//! `providers/tests/stripe.rs`, not a delivery. Only the types in [`HANDLED`] go through those
//! models: any other type becomes [`Action::Unhandled`] after reading the envelope alone, so a
//! model that is stricter than Stripe about an object we ignore can never turn a delivery into a
//! 400 that Stripe retries for days.
//!
//! In this API version an invoice no longer names its subscription or payment intent at the top:
//! the subscription and its metadata are under `parent.subscription_details`, payments under
//! `payments` (included only when asked for; [`super::Client::invoice_for_payment_intent`]
//! goes the other way).
//!
//! Tests: `cargo test -p providers --test stripe event`.

use std::collections::HashMap;

use domain::payment::{Currency, Money, Period};
use stripe_shared::{CheckoutSession, Dispute as StripeDispute, Invoice as StripeInvoice};
use stripe_webhook::{EventObject, Webhook};

/// The metadata key our Checkout sessions, subscriptions and payment intents carry the pledge
/// id under (set by [`super::Client::create_checkout`]).
pub const PLEDGE_KEY: &str = "pledge";

/// The event types we act on; every other type is [`Action::Unhandled`].
pub const HANDLED: [&str; 9] = [
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "invoice.paid",
    "invoice.payment_failed",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "charge.refunded",
    "charge.dispute.created",
];

/// One delivered event: its identity, kept raw, and what it asks of us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// Stripe's event id (`evt_...`): a redelivery has the same one.
    pub id: String,
    /// As Stripe wrote it (`invoice.paid`), also for types we do not handle.
    pub event_type: String,
    /// Unix seconds when Stripe created the event (deliveries can arrive out of order).
    pub created: i64,
    /// `false` for test-mode events: a live system should refuse to apply those.
    pub livemode: bool,
    pub action: Action,
}

/// What an event asks of us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// `checkout.session.completed`: the supporter finished Checkout. With `payment_status`
    /// `Paid` the money is there (card); `Unpaid` means a delayed method (SEPA debit) whose
    /// outcome comes as one of the two next events.
    CheckoutCompleted(Checkout),
    /// `checkout.session.async_payment_succeeded`: a delayed payment arrived.
    CheckoutAsyncSucceeded(Checkout),
    /// `checkout.session.async_payment_failed`: a delayed payment failed.
    CheckoutAsyncFailed(Checkout),
    /// `invoice.paid`: a subscription (or other) invoice was paid.
    InvoicePaid(Invoice),
    /// `invoice.payment_failed`: collecting an invoice failed (Stripe may retry).
    InvoicePaymentFailed(Invoice),
    /// `customer.subscription.updated`: status, amount, interval or cancellation changed.
    SubscriptionUpdated(Subscription),
    /// `customer.subscription.deleted`: the subscription ended.
    SubscriptionDeleted(Subscription),
    /// `charge.refunded`: part or all of a charge was refunded.
    ChargeRefunded(Refunded),
    /// `charge.dispute.created`: the payer disputed a charge.
    DisputeCreated(Dispute),
    /// Any other type: stored and answered 2xx, nothing else.
    Unhandled,
}

/// Checkout's `mode`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckoutMode {
    Payment,
    Subscription,
    Setup,
    Other(String),
}

/// Checkout's `payment_status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckoutPaymentStatus {
    Paid,
    Unpaid,
    NoPaymentRequired,
    Other(String),
}

/// A Checkout Session, as the three `checkout.session.*` events carry it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkout {
    /// `cs_...`
    pub session_id: String,
    /// `metadata.pledge`: ours if present, but never trusted blindly (may be missing or garbage).
    pub pledge: Option<String>,
    /// `client_reference_id` (we set it to the pledge id too).
    pub client_reference_id: Option<String>,
    pub mode: CheckoutMode,
    pub payment_status: CheckoutPaymentStatus,
    /// `amount_total` in `currency` (`None` when Stripe sent neither).
    pub amount_total: Option<Money>,
    pub customer_id: Option<String>,
    /// `customer_details.email`, else `customer_email`.
    pub customer_email: Option<String>,
    /// Payment mode: the PaymentIntent (`pi_...`) a refund or dispute will name.
    pub payment_intent_id: Option<String>,
    /// Subscription mode: the subscription created (`sub_...`).
    pub subscription_id: Option<String>,
    /// Subscription mode: its first invoice (`in_...`).
    pub invoice_id: Option<String>,
}

/// An invoice, as `invoice.paid` and `invoice.payment_failed` carry it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invoice {
    /// `in_...`
    pub invoice_id: String,
    /// `parent.subscription_details.subscription` (falling back to the older top-level field).
    pub subscription_id: Option<String>,
    /// `parent.subscription_details.metadata.pledge`, else the invoice's own `metadata.pledge`.
    pub pledge: Option<String>,
    pub customer_id: Option<String>,
    pub customer_email: Option<String>,
    /// From `payments` when Stripe included it (the default payment, else the first).
    pub payment_intent_id: Option<String>,
    pub charge_id: Option<String>,
    pub amount_paid: Money,
    pub amount_due: Money,
    /// `subscription_create`, `subscription_cycle`, `subscription_update`, `manual`, ...
    pub billing_reason: Option<String>,
    /// `draft`, `open`, `paid`, `uncollectible`, `void`.
    pub status: Option<String>,
    /// `status_transitions.paid_at` (Unix seconds).
    pub paid_at: Option<i64>,
    /// The first line's service period (Unix seconds): what a subscription payment pays for.
    pub period: Option<(i64, i64)>,
    pub attempt_count: u64,
    /// When Stripe will try again after a failure (`None`: it gave up, or nothing to retry).
    pub next_payment_attempt: Option<i64>,
}

/// A subscription's `status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubscriptionStatus {
    Incomplete,
    IncompleteExpired,
    Trialing,
    Active,
    PastDue,
    Canceled,
    Unpaid,
    Paused,
    Other(String),
}

/// A subscription, as `customer.subscription.updated` and `.deleted` carry it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// `sub_...`
    pub subscription_id: String,
    pub customer_id: String,
    /// `metadata.pledge` (set through Checkout's `subscription_data.metadata`).
    pub pledge: Option<String>,
    pub status: SubscriptionStatus,
    /// The supporter cancelled; it ends at the end of the paid period.
    pub cancel_at_period_end: bool,
    pub cancel_at: Option<i64>,
    pub canceled_at: Option<i64>,
    pub ended_at: Option<i64>,
    /// The first item's price times quantity; `None` for a price without a fixed amount.
    pub amount: Option<Money>,
    /// The first item's interval: `Monthly`, `Yearly`; `None` for others (weekly, every 3 months).
    pub period: Option<Period>,
    /// The first item's subscription item id (`si_...`), needed to change its price.
    pub item_id: Option<String>,
    /// The first item's current period end (Unix seconds).
    pub current_period_end: Option<i64>,
}

/// One refund listed on a refunded charge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundLine {
    /// `re_...`
    pub refund_id: String,
    pub amount: Money,
    /// `pending`, `succeeded`, `failed`, `canceled`, `requires_action`.
    pub status: Option<String>,
}

/// A refunded charge (`charge.refunded`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refunded {
    /// `ch_...`
    pub charge_id: String,
    /// The PaymentIntent the charge belongs to: for Checkout payments that is what we stored;
    /// for subscription payments [`super::Client::invoice_for_payment_intent`] finds the invoice.
    pub payment_intent_id: Option<String>,
    pub customer_id: Option<String>,
    /// The charge's `metadata.pledge` (Checkout puts ours on the PaymentIntent; Stripe may or may
    /// not copy it): a hint only.
    pub pledge: Option<String>,
    /// What was charged.
    pub amount: Money,
    /// All refunded so far (not only by this event).
    pub amount_refunded: Money,
    /// The whole charge is refunded.
    pub fully_refunded: bool,
    /// The refunds when Stripe listed them (recent API versions list none unless asked).
    pub refunds: Vec<RefundLine>,
}

/// A disputed charge (`charge.dispute.created`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dispute {
    /// `du_...` (or `dp_...`)
    pub dispute_id: String,
    pub charge_id: String,
    pub payment_intent_id: Option<String>,
    /// The disputed amount (can be less than the charge).
    pub amount: Money,
    /// `fraudulent`, `product_not_received`, `general`, ...
    pub reason: String,
    /// `warning_needs_response`, `needs_response`, ...
    pub status: String,
}

/// Why a body could not be read. `Malformed`, `NotAnEvent` and `Shape` answer 400 (Stripe would
/// only send such a body if something between it and us broke it); `Currency` means an
/// authentic event in a currency this system does not know, which the route should store and
/// flag rather than refuse forever.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("the body is not JSON of a Stripe event: {0}")]
    Malformed(String),
    #[error("the body is JSON but not an event (object is {0:?})")]
    NotAnEvent(String),
    #[error("the {event_type} event does not have the shape async-stripe expects")]
    Shape { event_type: String },
    #[error("the {event_type} event is in currency {code:?}, which this system does not know")]
    Currency { event_type: String, code: String },
}

/// The envelope fields every event has, read without async-stripe so that unhandled types need
/// no model at all.
#[derive(serde::Deserialize)]
struct Envelope {
    id: String,
    object: String,
    #[serde(rename = "type")]
    event_type: String,
    created: i64,
    livemode: bool,
    /// Read only to refuse a body without `data.object`.
    #[allow(dead_code)]
    data: EnvelopeData,
}

#[derive(serde::Deserialize)]
struct EnvelopeData {
    #[allow(dead_code)]
    object: serde_json::Map<String, serde_json::Value>,
}

/// async-stripe's only public ways to parse an event check a signature (or, in release builds,
/// log a warning on every call). The signature was already checked by [`super::signature::verify`],
/// so the body is re-signed with this local key only to pass through the crate's door.
const PASS_KEY: &str = "providers::stripe::event";

/// Parses a verified body. See [`EventError`] for what the route answers.
pub fn parse(body: &[u8]) -> Result<Received, EventError> {
    let envelope: Envelope =
        serde_json::from_slice(body).map_err(|e| EventError::Malformed(e.to_string()))?;
    if envelope.object != "event" {
        return Err(EventError::NotAnEvent(envelope.object));
    }
    let action = if HANDLED.contains(&envelope.event_type.as_str()) {
        let shape = || EventError::Shape { event_type: envelope.event_type.clone() };
        let text = std::str::from_utf8(body).map_err(|_| shape())?;
        let header = super::signature::sign(body, PASS_KEY, envelope.created);
        let event = Webhook::construct_event_with_timestamp(text, &header, PASS_KEY, envelope.created)
            .map_err(|_| shape())?;
        action(&envelope.event_type, event.data.object)?.ok_or_else(shape)?
    } else {
        Action::Unhandled
    };
    Ok(Received {
        id: envelope.id,
        event_type: envelope.event_type,
        created: envelope.created,
        livemode: envelope.livemode,
        action,
    })
}

/// The action for a handled type; `None` when the crate gave another object than the type names.
fn action(event_type: &str, object: EventObject) -> Result<Option<Action>, EventError> {
    let money = |minor: i64, currency: &stripe_types::Currency| to_money(event_type, minor, currency);
    Ok(Some(match object {
        EventObject::CheckoutSessionCompleted(s) => Action::CheckoutCompleted(checkout(&s, money)?),
        EventObject::CheckoutSessionAsyncPaymentSucceeded(s) => {
            Action::CheckoutAsyncSucceeded(checkout(&s, money)?)
        }
        EventObject::CheckoutSessionAsyncPaymentFailed(s) => {
            Action::CheckoutAsyncFailed(checkout(&s, money)?)
        }
        EventObject::InvoicePaid(i) => match invoice(&i, money)? {
            Some(i) => Action::InvoicePaid(i),
            None => return Ok(None),
        },
        EventObject::InvoicePaymentFailed(i) => match invoice(&i, money)? {
            Some(i) => Action::InvoicePaymentFailed(i),
            None => return Ok(None),
        },
        EventObject::CustomerSubscriptionUpdated(s) => Action::SubscriptionUpdated(subscription(&s, money)?),
        EventObject::CustomerSubscriptionDeleted(s) => Action::SubscriptionDeleted(subscription(&s, money)?),
        EventObject::ChargeRefunded(c) => Action::ChargeRefunded(refunded(&c, money)?),
        EventObject::ChargeDisputeCreated(d) => Action::DisputeCreated(dispute(&d, money)?),
        _ => return Ok(None),
    }))
}

pub(crate) fn to_money(
    event_type: &str,
    minor: i64,
    currency: &stripe_types::Currency,
) -> Result<Money, EventError> {
    let code = currency.to_string();
    Currency::parse(&code)
        .map(|currency| Money::new(minor, currency))
        .map_err(|_| EventError::Currency { event_type: event_type.to_owned(), code })
}

fn pledge_in(metadata: Option<&HashMap<String, String>>) -> Option<String> {
    metadata.and_then(|m| m.get(PLEDGE_KEY)).map(|p| p.trim().to_owned()).filter(|p| !p.is_empty())
}

fn checkout(
    s: &CheckoutSession,
    money: impl Fn(i64, &stripe_types::Currency) -> Result<Money, EventError>,
) -> Result<Checkout, EventError> {
    let amount_total = match (s.amount_total, &s.currency) {
        (Some(minor), Some(currency)) => Some(money(minor, currency)?),
        _ => None,
    };
    Ok(Checkout {
        session_id: s.id.to_string(),
        pledge: pledge_in(s.metadata.as_ref()),
        client_reference_id: s.client_reference_id.clone(),
        mode: match s.mode.as_str() {
            "payment" => CheckoutMode::Payment,
            "subscription" => CheckoutMode::Subscription,
            "setup" => CheckoutMode::Setup,
            other => CheckoutMode::Other(other.to_owned()),
        },
        payment_status: match s.payment_status.as_str() {
            "paid" => CheckoutPaymentStatus::Paid,
            "unpaid" => CheckoutPaymentStatus::Unpaid,
            "no_payment_required" => CheckoutPaymentStatus::NoPaymentRequired,
            other => CheckoutPaymentStatus::Other(other.to_owned()),
        },
        amount_total,
        customer_id: s.customer.as_ref().map(|c| c.id().to_string()),
        customer_email: s
            .customer_details
            .as_ref()
            .and_then(|d| d.email.clone())
            .or_else(|| s.customer_email.clone()),
        payment_intent_id: s.payment_intent.as_ref().map(|p| p.id().to_string()),
        subscription_id: s.subscription.as_ref().map(|p| p.id().to_string()),
        invoice_id: s.invoice.as_ref().and_then(|p| p.id().as_ref()).map(|i| i.to_string()),
    })
}

/// `None` for an invoice without an id (only previews have none; events never carry those).
pub(crate) fn invoice(
    i: &StripeInvoice,
    money: impl Fn(i64, &stripe_types::Currency) -> Result<Money, EventError>,
) -> Result<Option<Invoice>, EventError> {
    let Some(id) = &i.id else { return Ok(None) };
    let details = i.parent.as_ref().and_then(|p| p.subscription_details.as_ref());
    let payment = i.payments.as_ref().and_then(|list| {
        list.data.iter().find(|p| p.is_default).or_else(|| list.data.first()).map(|p| &p.payment)
    });
    Ok(Some(Invoice {
        invoice_id: id.to_string(),
        subscription_id: details
            .map(|d| d.subscription.id().to_string())
            .or_else(|| i.subscription.as_ref().map(|s| s.id().to_string())),
        pledge: pledge_in(details.and_then(|d| d.metadata.as_ref()))
            .or_else(|| pledge_in(i.metadata.as_ref())),
        customer_id: i.customer.as_ref().map(|c| c.id().to_string()),
        customer_email: i.customer_email.clone(),
        payment_intent_id: payment.and_then(|p| p.payment_intent.as_ref()).map(|p| p.id().to_string()),
        charge_id: payment.and_then(|p| p.charge.as_ref()).map(|c| c.id().to_string()),
        amount_paid: money(i.amount_paid, &i.currency)?,
        amount_due: money(i.amount_due, &i.currency)?,
        billing_reason: i.billing_reason.as_ref().map(|r| r.as_str().to_owned()),
        status: i.status.as_ref().map(|s| s.as_str().to_owned()),
        paid_at: i.status_transitions.paid_at,
        period: i.lines.data.first().map(|l| (l.period.start, l.period.end)),
        attempt_count: i.attempt_count,
        next_payment_attempt: i.next_payment_attempt,
    }))
}

pub(crate) fn subscription(
    s: &stripe_shared::Subscription,
    money: impl Fn(i64, &stripe_types::Currency) -> Result<Money, EventError>,
) -> Result<Subscription, EventError> {
    let item = s.items.data.first();
    let amount = match item.and_then(|i| i.price.unit_amount.map(|unit| (unit, i))) {
        Some((unit, item)) => {
            let quantity = i64::try_from(item.quantity.unwrap_or(1)).unwrap_or(i64::MAX);
            Some(money(unit.saturating_mul(quantity), &item.price.currency)?)
        }
        None => None,
    };
    let period = item.and_then(|i| i.price.recurring.as_ref()).and_then(|r| {
        match (r.interval.as_str(), r.interval_count) {
            ("month", 1) => Some(Period::Monthly),
            ("year", 1) | ("month", 12) => Some(Period::Yearly),
            _ => None,
        }
    });
    Ok(Subscription {
        subscription_id: s.id.to_string(),
        customer_id: s.customer.id().to_string(),
        pledge: pledge_in(Some(&s.metadata)),
        status: match s.status.as_str() {
            "incomplete" => SubscriptionStatus::Incomplete,
            "incomplete_expired" => SubscriptionStatus::IncompleteExpired,
            "trialing" => SubscriptionStatus::Trialing,
            "active" => SubscriptionStatus::Active,
            "past_due" => SubscriptionStatus::PastDue,
            "canceled" => SubscriptionStatus::Canceled,
            "unpaid" => SubscriptionStatus::Unpaid,
            "paused" => SubscriptionStatus::Paused,
            other => SubscriptionStatus::Other(other.to_owned()),
        },
        cancel_at_period_end: s.cancel_at_period_end,
        cancel_at: s.cancel_at,
        canceled_at: s.canceled_at,
        ended_at: s.ended_at,
        amount,
        period,
        item_id: item.map(|i| i.id.to_string()),
        current_period_end: item.map(|i| i.current_period_end),
    })
}

fn refunded(
    c: &stripe_shared::Charge,
    money: impl Fn(i64, &stripe_types::Currency) -> Result<Money, EventError>,
) -> Result<Refunded, EventError> {
    let refunds = match &c.refunds {
        Some(list) => list
            .data
            .iter()
            .map(|r| {
                Ok(RefundLine {
                    refund_id: r.id.to_string(),
                    amount: money(r.amount, &r.currency)?,
                    status: r.status.clone(),
                })
            })
            .collect::<Result<Vec<_>, EventError>>()?,
        None => Vec::new(),
    };
    Ok(Refunded {
        charge_id: c.id.to_string(),
        payment_intent_id: c.payment_intent.as_ref().map(|p| p.id().to_string()),
        customer_id: c.customer.as_ref().map(|p| p.id().to_string()),
        pledge: pledge_in(Some(&c.metadata)),
        amount: money(c.amount, &c.currency)?,
        amount_refunded: money(c.amount_refunded, &c.currency)?,
        fully_refunded: c.refunded,
        refunds,
    })
}

fn dispute(
    d: &StripeDispute,
    money: impl Fn(i64, &stripe_types::Currency) -> Result<Money, EventError>,
) -> Result<Dispute, EventError> {
    Ok(Dispute {
        dispute_id: d.id.to_string(),
        charge_id: d.charge.id().to_string(),
        payment_intent_id: d.payment_intent.as_ref().map(|p| p.id().to_string()),
        amount: money(d.amount, &d.currency)?,
        reason: d.reason.clone(),
        status: d.status.as_str().to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unhandled_types_need_only_the_envelope() {
        let body = br#"{"id":"evt_1","object":"event","type":"customer.created","created":1,
            "livemode":false,"data":{"object":{"id":"cus_1"}}}"#;
        let received = parse(body).unwrap();
        assert_eq!(received.action, Action::Unhandled);
        assert_eq!(received.event_type, "customer.created");
    }

    #[test]
    fn envelope_errors() {
        assert!(matches!(parse(b"{"), Err(EventError::Malformed(_))));
        assert!(matches!(parse(b"[]"), Err(EventError::Malformed(_))));
        let not_event = br#"{"id":"cus_1","object":"customer","type":"x","created":1,
            "livemode":false,"data":{"object":{}}}"#;
        assert_eq!(parse(not_event), Err(EventError::NotAnEvent("customer".into())));
    }
}
