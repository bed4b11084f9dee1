// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Webhook bodies shaped as PayPal documents them (envelope `id`, `event_version`,
//! `create_time`, `resource_type`, `event_type`, `summary`, `resource`, `links`), one builder per
//! event type we act on. Amounts are given as PayPal writes them (`"10.00"`).

use serde_json::{Value, json};

/// The envelope around a resource.
pub fn envelope(id: &str, event_type: &str, resource_type: &str, resource: Value) -> String {
    json!({
        "id": id,
        "event_version": "1.0",
        "create_time": "2026-12-02T10:00:00.000Z",
        "resource_type": resource_type,
        "resource_version": "2.0",
        "event_type": event_type,
        "summary": "stand-in event",
        "resource": resource,
        "links": [{ "href": format!("https://api.paypal.com/v1/notifications/webhooks-events/{id}"),
                    "rel": "self", "method": "GET" }],
    })
    .to_string()
}

fn amount(value: &str, currency: &str) -> Value {
    json!({ "currency_code": currency, "value": value })
}

/// `CHECKOUT.ORDER.APPROVED` of an order for a pledge.
pub fn order_approved(
    event_id: &str,
    order_id: &str,
    pledge_id: &str,
    reference: &str,
    value: &str,
    currency: &str,
) -> String {
    envelope(
        event_id,
        "CHECKOUT.ORDER.APPROVED",
        "checkout-order",
        json!({
            "id": order_id,
            "intent": "CAPTURE",
            "status": "APPROVED",
            "create_time": "2026-12-02T09:59:00Z",
            "purchase_units": [{ "reference_id": pledge_id, "custom_id": reference, "amount": amount(value, currency),
                                 "payee": { "merchant_id": "STANDINMERCHANT" } }],
            "payer": { "payer_id": "STANDINPAYER", "email_address": "buyer@example.org",
                       "name": { "given_name": "Ada", "surname": "Lovelace" } },
            "links": [{ "href": format!("https://api.paypal.com/v2/checkout/orders/{order_id}"), "rel": "self", "method": "GET" }],
        }),
    )
}

/// `PAYMENT.CAPTURE.COMPLETED` of a capture of an order.
pub fn capture_completed(
    event_id: &str,
    capture_id: &str,
    order_id: &str,
    reference: &str,
    value: &str,
    currency: &str,
) -> String {
    envelope(
        event_id,
        "PAYMENT.CAPTURE.COMPLETED",
        "capture",
        json!({
            "id": capture_id,
            "status": "COMPLETED",
            "amount": amount(value, currency),
            "final_capture": true,
            "custom_id": reference,
            "seller_protection": { "status": "ELIGIBLE" },
            "seller_receivable_breakdown": {
                "gross_amount": amount(value, currency),
                "paypal_fee": amount("0.35", currency),
                "net_amount": amount(value, currency),
            },
            "supplementary_data": { "related_ids": { "order_id": order_id } },
            "create_time": "2026-12-02T10:00:00Z",
            "links": [
                { "href": format!("https://api.paypal.com/v2/payments/captures/{capture_id}"), "rel": "self", "method": "GET" },
                { "href": format!("https://api.paypal.com/v2/checkout/orders/{order_id}"), "rel": "up", "method": "GET" },
            ],
        }),
    )
}

/// `PAYMENT.CAPTURE.REFUNDED` (or `.REVERSED` with `reversed`) of a capture.
pub fn capture_refunded(
    event_id: &str,
    refund_id: &str,
    capture_id: &str,
    value: &str,
    currency: &str,
    reversed: bool,
) -> String {
    let event_type = if reversed { "PAYMENT.CAPTURE.REVERSED" } else { "PAYMENT.CAPTURE.REFUNDED" };
    envelope(
        event_id,
        event_type,
        "refund",
        json!({
            "id": refund_id,
            "status": "COMPLETED",
            "amount": amount(value, currency),
            "seller_payable_breakdown": { "gross_amount": amount(value, currency), "net_amount": amount(value, currency) },
            "create_time": "2026-12-03T10:00:00Z",
            "links": [
                { "href": format!("https://api.paypal.com/v2/payments/refunds/{refund_id}"), "rel": "self", "method": "GET" },
                { "href": format!("https://api.paypal.com/v2/payments/captures/{capture_id}"), "rel": "up", "method": "GET" },
            ],
        }),
    )
}

/// `PAYMENT.SALE.COMPLETED`: a subscription's charge (Payments v1 shape).
pub fn sale_completed(
    event_id: &str,
    sale_id: &str,
    subscription_id: &str,
    reference: &str,
    total: &str,
    currency: &str,
) -> String {
    envelope(
        event_id,
        "PAYMENT.SALE.COMPLETED",
        "sale",
        json!({
            "id": sale_id,
            "state": "completed",
            "amount": { "total": total, "currency": currency, "details": { "subtotal": total } },
            "payment_mode": "INSTANT_TRANSFER",
            "protection_eligibility": "ELIGIBLE",
            "transaction_fee": { "value": "0.35", "currency": currency },
            "billing_agreement_id": subscription_id,
            "custom": reference,
            "create_time": "2026-12-02T10:00:00Z",
            "update_time": "2026-12-02T10:00:00Z",
            "links": [{ "href": format!("https://api.paypal.com/v1/payments/sale/{sale_id}"), "rel": "self", "method": "GET" }],
        }),
    )
}

/// `PAYMENT.SALE.REFUNDED` (Payments v1 refund shape).
pub fn sale_refunded(event_id: &str, refund_id: &str, sale_id: &str, total: &str, currency: &str) -> String {
    envelope(
        event_id,
        "PAYMENT.SALE.REFUNDED",
        "refund",
        json!({
            "id": refund_id,
            "state": "completed",
            "amount": { "total": format!("-{total}"), "currency": currency },
            "sale_id": sale_id,
            "create_time": "2026-12-03T10:00:00Z",
        }),
    )
}

/// `BILLING.SUBSCRIPTION.{ACTIVATED, CANCELLED, SUSPENDED, EXPIRED, PAYMENT.FAILED}`.
pub fn subscription(
    event_id: &str,
    event_type: &str,
    subscription_id: &str,
    reference: &str,
    status: &str,
) -> String {
    envelope(
        event_id,
        event_type,
        "subscription",
        json!({
            "id": subscription_id,
            "status": status,
            "plan_id": "P-STANDIN",
            "custom_id": reference,
            "start_time": "2026-12-02T10:00:00Z",
            "subscriber": { "email_address": "buyer@example.org", "payer_id": "STANDINPAYER" },
            "billing_info": { "failed_payments_count": if event_type.ends_with("PAYMENT.FAILED") { 1 } else { 0 },
                              "outstanding_balance": { "currency_code": "EUR", "value": "0.00" } },
            "links": [{ "href": format!("https://api.paypal.com/v1/billing/subscriptions/{subscription_id}"),
                        "rel": "self", "method": "GET" }],
        }),
    )
}

/// `CUSTOMER.DISPUTE.CREATED` of a capture or sale.
pub fn dispute_created(
    event_id: &str,
    dispute_id: &str,
    transaction_id: &str,
    value: &str,
    currency: &str,
) -> String {
    envelope(
        event_id,
        "CUSTOMER.DISPUTE.CREATED",
        "dispute",
        json!({
            "dispute_id": dispute_id,
            "reason": "UNAUTHORISED",
            "status": "OPEN",
            "dispute_amount": amount(value, currency),
            "disputed_transactions": [{ "seller_transaction_id": transaction_id,
                                        "gross_amount": amount(value, currency) }],
            "create_time": "2026-12-04T10:00:00Z",
        }),
    )
}
