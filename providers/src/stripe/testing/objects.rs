// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Stripe objects as JSON, shaped as API version `2026-09-30.endive` sends them, with every field
//! async-stripe's models require: what the stand-in answers, and what tests seed it with
//! ([`super::StandIn::put`]) for the retrieve calls.
//!
//! Only the fields a model requires plus those our code reads are filled in; the webhook
//! fixtures in `providers/tests/fixtures/stripe/` are the complete documented shapes.

use domain::payment::{Money, Period};
use serde_json::{Value, json};

/// The `created` time of everything the stand-in makes (a fixed instant keeps answers stable).
pub const CREATED: i64 = 1_790_000_000;
/// Thirty days, for the period ends of monthly items.
const MONTH: i64 = 30 * 24 * 3600;

fn currency(amount: Money) -> String {
    amount.currency.as_str().to_ascii_lowercase()
}

fn metadata(pledge: Option<&str>) -> Value {
    match pledge {
        Some(p) => json!({ "pledge": p }),
        None => json!({}),
    }
}

fn list(url: &str, data: Vec<Value>) -> Value {
    json!({ "object": "list", "data": data, "has_more": false, "url": url })
}

/// A Stripe error body (`{"error": {...}}`).
pub fn error(kind: &str, code: Option<&str>, message: &str, param: Option<&str>) -> Value {
    json!({ "error": { "type": kind, "code": code, "message": message, "param": param } })
}

pub fn product(id: &str, name: &str, metadata: Value) -> Value {
    json!({
        "id": id, "object": "product", "active": true, "created": CREATED, "default_price": null,
        "description": null, "images": [], "livemode": false, "marketing_features": [],
        "metadata": metadata, "name": name, "package_dimensions": null, "shippable": null,
        "statement_descriptor": null, "tax_code": null, "type": "service", "unit_label": null,
        "updated": CREATED, "url": null
    })
}

/// A recurring price (and the matching legacy `plan`, which subscription items still carry).
/// `interval` is Stripe's word: `month`, `year`.
pub fn recurring_price(
    id: &str,
    product: &str,
    unit_amount: i64,
    currency: &str,
    interval: &str,
) -> (Value, Value) {
    let price = json!({
        "id": id, "object": "price", "active": false, "billing_scheme": "per_unit", "created": CREATED,
        "currency": currency, "livemode": false, "lookup_key": null, "metadata": {}, "nickname": null,
        "product": product,
        "recurring": { "interval": interval, "interval_count": 1, "meter": null,
                       "trial_period_days": null, "usage_type": "licensed" },
        "tax_behavior": "unspecified", "type": "recurring", "unit_amount": unit_amount,
        "unit_amount_decimal": unit_amount.to_string()
    });
    let plan = json!({
        "id": id, "object": "plan", "active": false, "amount": unit_amount, "billing_scheme": "per_unit",
        "created": CREATED, "currency": currency, "interval": interval, "interval_count": 1,
        "livemode": false, "metadata": {}, "product": product, "usage_type": "licensed"
    });
    (price, plan)
}

/// Stripe's word for a recurring period (`None` for one-off).
pub fn interval(period: Period) -> Option<&'static str> {
    match period {
        Period::Once => None,
        Period::Monthly => Some("month"),
        Period::Yearly => Some("year"),
    }
}

/// An active subscription of `customer` with one item (`si_<id without sub_>`) priced `amount`
/// per `period` (a one-off period is taken as monthly).
pub fn subscription(id: &str, customer: &str, amount: Money, period: Period, pledge: Option<&str>) -> Value {
    let item_id = format!("si_{}", id.trim_start_matches("sub_"));
    let (price, plan) = recurring_price(
        &format!("price_{}", id.trim_start_matches("sub_")),
        crate::stripe::client::PRODUCT_ID,
        amount.minor,
        &currency(amount),
        interval(period).unwrap_or("month"),
    );
    let item = json!({
        "id": item_id, "object": "subscription_item", "created": CREATED,
        "current_period_end": CREATED + MONTH, "current_period_start": CREATED, "discounts": [],
        "metadata": {}, "plan": plan, "price": price, "quantity": 1, "subscription": id, "tax_rates": []
    });
    json!({
        "id": id, "object": "subscription", "automatic_tax": { "enabled": false, "liability": null },
        "billing_cycle_anchor": CREATED,
        "billing_mode": { "type": "flexible", "updated_at": CREATED }, "billing_schedules": [],
        "cancel_at": null, "cancel_at_period_end": false, "canceled_at": null,
        "collection_method": "charge_automatically", "created": CREATED, "currency": currency(amount),
        "customer": customer, "default_payment_method": null, "discounts": [], "ended_at": null,
        "invoice_settings": { "account_tax_ids": null, "issuer": { "type": "self" } },
        "items": list(&format!("/v1/subscription_items?subscription={id}"), vec![item]),
        "latest_invoice": null, "livemode": false, "metadata": metadata(pledge), "start_date": CREATED,
        "status": "active"
    })
}

/// A succeeded card charge of `amount`, `refunded` minor units of it refunded.
pub fn charge(id: &str, payment_intent: Option<&str>, amount: Money, refunded: i64) -> Value {
    json!({
        "id": id, "object": "charge", "amount": amount.minor, "amount_captured": amount.minor,
        "amount_refunded": refunded,
        "billing_details": { "address": null, "email": null, "name": null, "phone": null, "tax_id": null },
        "captured": true, "created": CREATED, "currency": currency(amount), "customer": null,
        "disputed": false, "livemode": false, "metadata": {}, "paid": true,
        "payment_intent": payment_intent, "refunded": refunded >= amount.minor, "status": "succeeded"
    })
}

pub fn payment_intent(id: &str, amount: Money, pledge: Option<&str>, latest_charge: Option<&str>) -> Value {
    json!({
        "id": id, "object": "payment_intent", "amount": amount.minor, "amount_capturable": 0,
        "amount_received": amount.minor, "capture_method": "automatic_async",
        "confirmation_method": "automatic", "created": CREATED, "currency": currency(amount),
        "customer": null, "latest_charge": latest_charge, "livemode": false,
        "metadata": metadata(pledge), "payment_method_types": ["card"], "status": "succeeded"
    })
}

/// A paid invoice of `amount_paid`; with `subscription`, its parent is that subscription and
/// carries `pledge` in the parent's metadata, as subscription invoices do.
pub fn invoice(id: &str, subscription: Option<&str>, amount_paid: Money, pledge: Option<&str>) -> Value {
    let parent = match subscription {
        Some(sub) => json!({
            "type": "subscription_details", "quote_details": null,
            "subscription_details": { "subscription": sub, "metadata": metadata(pledge) }
        }),
        None => Value::Null,
    };
    let line = json!({
        "id": format!("il_{}", id.trim_start_matches("in_")), "object": "line_item",
        "amount": amount_paid.minor, "currency": currency(amount_paid), "discountable": true,
        "discounts": [], "livemode": false, "metadata": {},
        "period": { "start": CREATED, "end": CREATED + MONTH }, "subtotal": amount_paid.minor
    });
    json!({
        "id": id, "object": "invoice", "amount_due": amount_paid.minor, "amount_overpaid": 0,
        "amount_paid": amount_paid.minor, "amount_remaining": 0, "amount_shipping": 0,
        "attempt_count": 1, "attempted": true, "automatic_tax": { "enabled": false },
        "billing_reason": if subscription.is_some() { "subscription_cycle" } else { "manual" },
        "collection_method": "charge_automatically", "created": CREATED,
        "currency": currency(amount_paid), "customer": null, "default_tax_rates": [], "discounts": [],
        "issuer": { "type": "self" }, "lines": list(&format!("/v1/invoices/{id}/lines"), vec![line]),
        "livemode": false, "metadata": {}, "parent": parent, "payment_settings": {},
        "period_end": CREATED, "period_start": CREATED - MONTH,
        "post_payment_credit_notes_amount": 0, "pre_payment_credit_notes_amount": 0,
        "starting_balance": 0, "status": "paid",
        "status_transitions": { "finalized_at": CREATED, "paid_at": CREATED },
        "subtotal": amount_paid.minor, "total": amount_paid.minor
    })
}

/// The link between an invoice and the PaymentIntent that paid it.
pub fn invoice_payment(id: &str, invoice: &str, payment_intent: &str, amount: Money) -> Value {
    json!({
        "id": id, "object": "invoice_payment", "amount_paid": amount.minor,
        "amount_requested": amount.minor, "created": CREATED, "currency": currency(amount),
        "invoice": invoice, "is_default": true, "livemode": false,
        "payment": { "type": "payment_intent", "payment_intent": payment_intent },
        "status": "paid", "status_transitions": { "canceled_at": null, "paid_at": CREATED }
    })
}

/// An open Checkout Session as the create call answers it.
#[allow(clippy::too_many_arguments)]
pub fn checkout_session(
    id: &str,
    mode: &str,
    amount_total: Option<i64>,
    currency: Option<&str>,
    client_reference_id: Option<&str>,
    metadata: Value,
    customer: Option<&str>,
    customer_email: Option<&str>,
) -> Value {
    json!({
        "id": id, "object": "checkout.session", "amount_subtotal": amount_total,
        "amount_total": amount_total, "automatic_tax": { "enabled": false },
        "client_reference_id": client_reference_id, "created": CREATED, "currency": currency,
        "custom_fields": [], "custom_text": {}, "customer": customer, "customer_email": customer_email,
        "expires_at": CREATED + 24 * 3600, "livemode": false, "metadata": metadata, "mode": mode,
        "payment_method_types": ["card"], "payment_status": "unpaid", "shipping_options": [],
        "status": "open", "url": format!("https://checkout.stripe.com/c/pay/{id}")
    })
}

pub fn billing_portal_session(id: &str, customer: &str, return_url: Option<&str>) -> Value {
    json!({
        "id": id, "object": "billing_portal.session", "configuration": "bpc_stand_in",
        "created": CREATED, "customer": customer, "flow": null, "livemode": false, "locale": null,
        "on_behalf_of": null, "return_url": return_url,
        "url": format!("https://billing.stripe.com/p/session/{id}")
    })
}
