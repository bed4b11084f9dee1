// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! A verified PayPal webhook body as plain data: the envelope (`id`, `event_type`,
//! `resource_type`, `create_time`, `resource`) and, for the types we act on, the few fields of
//! the resource we need, with the names PayPal documents
//! (<https://developer.paypal.com/api/rest/webhooks/event-names/>):
//! - Orders v2 `order` (`CHECKOUT.ORDER.APPROVED`): `purchase_units[0].{reference_id,
//!   custom_id, amount}`;
//! - Payments v2 `capture` (`PAYMENT.CAPTURE.COMPLETED`): `custom_id`, `amount`,
//!   `seller_receivable_breakdown.paypal_fee`, `supplementary_data.related_ids.order_id`;
//! - Payments v2 `refund` (`PAYMENT.CAPTURE.REFUNDED`, `.REVERSED`): `amount` and the capture
//!   it refunds, the `up` link `…/v2/payments/captures/{id}`;
//! - Payments v1 `sale` (`PAYMENT.SALE.COMPLETED`: a subscription charge): `amount.{total,
//!   currency}`, `billing_agreement_id` (the subscription), `custom`, `transaction_fee`;
//!   v1 `refund` (`PAYMENT.SALE.REFUNDED`): `sale_id`, `amount`;
//! - Subscriptions v1 `subscription` (`BILLING.SUBSCRIPTION.*`): `id`, `status`, `custom_id`,
//!   `billing_info.failed_payments_count`;
//! - Disputes v1 `dispute` (`CUSTOMER.DISPUTE.CREATED`): `dispute_id`, `dispute_amount`,
//!   `disputed_transactions[].seller_transaction_id`.
//!
//! Amounts are decimal strings (`"10.00"`), parsed into minor units of a currency we know,
//! never through a float; more decimals than the currency has is an error, not a rounding.
//! Any other type is [`Action::Unhandled`]: stored, answered 2xx, nothing done.

use domain::payment::{Currency, Money};
use serde::Deserialize;
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A parsed event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub id: String,
    pub event_type: String,
    pub resource_type: Option<String>,
    pub created: Option<OffsetDateTime>,
    pub action: Action,
}

/// What an event asks of us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// The donor approved an order: capture it.
    OrderApproved(Order),
    CaptureCompleted(Capture),
    /// A capture was refunded (`reversed == false`) or reversed by PayPal (a chargeback or
    /// a dispute decided for the buyer: `reversed == true`).
    CaptureRefunded {
        refund: Refund,
        reversed: bool,
    },
    SaleCompleted(Sale),
    SaleRefunded(Refund),
    SubscriptionActivated(Subscription),
    /// CANCELLED, SUSPENDED or EXPIRED: its collection stopped.
    SubscriptionEnded {
        subscription: Subscription,
        status: EndedStatus,
    },
    SubscriptionPaymentFailed(Subscription),
    DisputeCreated(Dispute),
    Unhandled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndedStatus {
    Cancelled,
    Suspended,
    Expired,
}

impl EndedStatus {
    /// As stored in `provider_subscription.status`.
    pub fn as_str(self) -> &'static str {
        match self {
            EndedStatus::Cancelled => "cancelled",
            EndedStatus::Suspended => "suspended",
            EndedStatus::Expired => "expired",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub order_id: String,
    /// `purchase_units[0].reference_id`: our pledge id.
    pub reference_id: Option<String>,
    /// `purchase_units[0].custom_id`: the pledge's creditor reference.
    pub custom_id: Option<String>,
    pub amount: Money,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capture {
    pub capture_id: String,
    pub order_id: Option<String>,
    pub custom_id: Option<String>,
    pub status: String,
    pub amount: Money,
    pub fee_minor: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refund {
    pub refund_id: String,
    /// The capture (v2) or sale (v1) refunded: the payment's key.
    pub payment_id: Option<String>,
    pub amount: Money,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sale {
    pub sale_id: String,
    /// The subscription (`I-…`) this sale charged.
    pub subscription_id: Option<String>,
    /// Our reference, copied from the subscription's `custom_id`.
    pub custom: Option<String>,
    pub state: String,
    pub amount: Money,
    pub fee_minor: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub subscription_id: String,
    pub status: String,
    pub custom_id: Option<String>,
    pub failed_payments: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dispute {
    pub dispute_id: String,
    /// The capture or sale disputed.
    pub payment_id: Option<String>,
    pub amount: Money,
}

/// Why a verified body could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("not JSON of a PayPal event")]
    Envelope,
    #[error("the resource of a {event_type} event lacks or garbles {field}")]
    Resource { event_type: String, field: &'static str },
    /// An amount in a currency this system does not know: stored and flagged, not refused.
    #[error("a {event_type} event in a currency this system does not know")]
    Currency { event_type: String, code: String },
}

#[derive(Deserialize)]
struct Envelope {
    id: String,
    event_type: String,
    #[serde(default)]
    resource_type: Option<String>,
    #[serde(default)]
    create_time: Option<String>,
    #[serde(default)]
    resource: Value,
}

/// The envelope's id and type only (for the duplicate look and an unreadable resource).
pub fn envelope(body: &[u8]) -> Result<(String, String), EventError> {
    let e: Envelope = serde_json::from_slice(body).map_err(|_| EventError::Envelope)?;
    if e.id.is_empty() || e.id.len() > 255 || e.event_type.is_empty() || e.event_type.len() > 255 {
        return Err(EventError::Envelope);
    }
    Ok((e.id, e.event_type))
}

/// Parses a verified body.
pub fn parse(body: &[u8]) -> Result<Received, EventError> {
    let e: Envelope = serde_json::from_slice(body).map_err(|_| EventError::Envelope)?;
    if e.id.is_empty() || e.id.len() > 255 || e.event_type.is_empty() || e.event_type.len() > 255 {
        return Err(EventError::Envelope);
    }
    let r = Reader { event_type: &e.event_type, resource: &e.resource };
    let action = match e.event_type.as_str() {
        "CHECKOUT.ORDER.APPROVED" => Action::OrderApproved(r.order()?),
        "PAYMENT.CAPTURE.COMPLETED" => Action::CaptureCompleted(r.capture()?),
        "PAYMENT.CAPTURE.REFUNDED" => Action::CaptureRefunded { refund: r.refund_v2()?, reversed: false },
        "PAYMENT.CAPTURE.REVERSED" => Action::CaptureRefunded { refund: r.refund_v2()?, reversed: true },
        "PAYMENT.SALE.COMPLETED" => Action::SaleCompleted(r.sale()?),
        "PAYMENT.SALE.REFUNDED" => Action::SaleRefunded(r.refund_v1()?),
        "BILLING.SUBSCRIPTION.ACTIVATED" => Action::SubscriptionActivated(r.subscription()?),
        "BILLING.SUBSCRIPTION.CANCELLED" => {
            Action::SubscriptionEnded { subscription: r.subscription()?, status: EndedStatus::Cancelled }
        }
        "BILLING.SUBSCRIPTION.SUSPENDED" => {
            Action::SubscriptionEnded { subscription: r.subscription()?, status: EndedStatus::Suspended }
        }
        "BILLING.SUBSCRIPTION.EXPIRED" => {
            Action::SubscriptionEnded { subscription: r.subscription()?, status: EndedStatus::Expired }
        }
        "BILLING.SUBSCRIPTION.PAYMENT.FAILED" => Action::SubscriptionPaymentFailed(r.subscription()?),
        "CUSTOMER.DISPUTE.CREATED" => Action::DisputeCreated(r.dispute()?),
        _ => Action::Unhandled,
    };
    let created = e.create_time.as_deref().and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok());
    Ok(Received { id: e.id, event_type: e.event_type, resource_type: e.resource_type, created, action })
}

/// Parses PayPal's `{currency_code, value}` (v2) amount text into minor units: digits, at
/// most one `.`, at most the currency's decimals. `"10"`, `"10.5"`, `"10.50"` are 1050 minor
/// units of EUR; `"10.505"`, `"1e3"`, `"-1"`, `"1,00"` are errors.
pub fn money(value: &str, currency_code: &str) -> Result<Money, AmountError> {
    let currency = Currency::parse(currency_code).map_err(|_| AmountError::Currency)?;
    if value.contains(',') || value.trim() != value {
        return Err(AmountError::Value);
    }
    Money::parse_decimal(value, currency).map_err(|_| AmountError::Value)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmountError {
    Currency,
    Value,
}

struct Reader<'a> {
    event_type: &'a str,
    resource: &'a Value,
}

impl Reader<'_> {
    fn missing(&self, field: &'static str) -> EventError {
        EventError::Resource { event_type: self.event_type.to_owned(), field }
    }

    fn str_at(&self, pointer: &str) -> Option<String> {
        self.resource
            .pointer(pointer)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty() && s.len() <= 255)
            .map(str::to_owned)
    }

    fn required(&self, pointer: &str, field: &'static str) -> Result<String, EventError> {
        self.str_at(pointer).ok_or_else(|| self.missing(field))
    }

    /// An amount at `pointer` with fields `value_key` and `currency_key`; a leading `-`
    /// (PayPal writes some refunds negative) is dropped: the event type says the direction.
    fn amount(
        &self,
        pointer: &str,
        value_key: &str,
        currency_key: &str,
        field: &'static str,
    ) -> Result<Money, EventError> {
        let object = self.resource.pointer(pointer).ok_or_else(|| self.missing(field))?;
        let value = object.get(value_key).and_then(Value::as_str).ok_or_else(|| self.missing(field))?;
        let code = object.get(currency_key).and_then(Value::as_str).ok_or_else(|| self.missing(field))?;
        let value = value.strip_prefix('-').unwrap_or(value);
        match money(value, code) {
            Ok(m) => Ok(m),
            Err(AmountError::Currency) => Err(EventError::Currency {
                event_type: self.event_type.to_owned(),
                code: code.chars().take(8).collect(),
            }),
            Err(AmountError::Value) => Err(self.missing(field)),
        }
    }

    /// A fee in the same currency, as minor units (`None` when absent or unreadable: the fee
    /// is information, not money we book).
    fn fee(&self, pointer: &str, value_key: &str, currency_key: &str, currency: Currency) -> Option<i64> {
        let object = self.resource.pointer(pointer)?;
        let value = object.get(value_key)?.as_str()?;
        let code = object.get(currency_key)?.as_str()?;
        money(value, code).ok().filter(|m| m.currency == currency).map(|m| m.minor)
    }

    fn order(&self) -> Result<Order, EventError> {
        Ok(Order {
            order_id: self.required("/id", "id")?,
            reference_id: self.str_at("/purchase_units/0/reference_id"),
            custom_id: self.str_at("/purchase_units/0/custom_id"),
            amount: self.amount(
                "/purchase_units/0/amount",
                "value",
                "currency_code",
                "purchase_units[0].amount",
            )?,
        })
    }

    fn capture(&self) -> Result<Capture, EventError> {
        let amount = self.amount("/amount", "value", "currency_code", "amount")?;
        Ok(Capture {
            capture_id: self.required("/id", "id")?,
            order_id: self.str_at("/supplementary_data/related_ids/order_id"),
            custom_id: self.str_at("/custom_id"),
            status: self.str_at("/status").unwrap_or_default(),
            fee_minor: self.fee(
                "/seller_receivable_breakdown/paypal_fee",
                "value",
                "currency_code",
                amount.currency,
            ),
            amount,
        })
    }

    fn refund_v2(&self) -> Result<Refund, EventError> {
        let up = self
            .resource
            .get("links")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|l| l.get("rel").and_then(Value::as_str) == Some("up"))
            .find_map(|l| l.get("href").and_then(Value::as_str))
            .and_then(|href| href.split_once("/v2/payments/captures/"))
            .map(|(_, rest)| rest.split(['/', '?']).next().unwrap_or_default().to_owned())
            .filter(|id| !id.is_empty() && id.len() <= 255);
        Ok(Refund {
            refund_id: self.required("/id", "id")?,
            payment_id: up.or_else(|| self.str_at("/supplementary_data/related_ids/capture_id")),
            amount: self.amount("/amount", "value", "currency_code", "amount")?,
        })
    }

    fn refund_v1(&self) -> Result<Refund, EventError> {
        Ok(Refund {
            refund_id: self.required("/id", "id")?,
            payment_id: self.str_at("/sale_id"),
            amount: self.amount("/amount", "total", "currency", "amount")?,
        })
    }

    fn sale(&self) -> Result<Sale, EventError> {
        let amount = self.amount("/amount", "total", "currency", "amount")?;
        Ok(Sale {
            sale_id: self.required("/id", "id")?,
            subscription_id: self.str_at("/billing_agreement_id"),
            custom: self.str_at("/custom"),
            state: self.str_at("/state").unwrap_or_default(),
            fee_minor: self.fee("/transaction_fee", "value", "currency", amount.currency),
            amount,
        })
    }

    fn subscription(&self) -> Result<Subscription, EventError> {
        let failed = self
            .resource
            .pointer("/billing_info/failed_payments_count")
            .and_then(Value::as_u64)
            .map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX));
        Ok(Subscription {
            subscription_id: self.required("/id", "id")?,
            status: self.str_at("/status").unwrap_or_default(),
            custom_id: self.str_at("/custom_id"),
            failed_payments: failed,
        })
    }

    fn dispute(&self) -> Result<Dispute, EventError> {
        Ok(Dispute {
            dispute_id: self.required("/dispute_id", "dispute_id")?,
            payment_id: self.str_at("/disputed_transactions/0/seller_transaction_id"),
            amount: self.amount("/dispute_amount", "value", "currency_code", "dispute_amount")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_exact_minor_units() {
        let eur = Currency::EUR;
        assert_eq!(money("10.00", "EUR"), Ok(Money::new(1000, eur)));
        assert_eq!(money("10.5", "EUR"), Ok(Money::new(1050, eur)));
        assert_eq!(money("0.01", "eur"), Ok(Money::new(1, eur)));
        assert_eq!(money("123456789.99", "EUR"), Ok(Money::new(12_345_678_999, eur)));
        assert_eq!(money("1000", "JPY").map(|m| m.minor), Ok(1000));
        for bad in ["10.005", "1e3", "-1", "1,00", "", " 1", "1.2.3", "NaN", "0x10"] {
            assert_eq!(money(bad, "EUR"), Err(AmountError::Value), "{bad:?}");
        }
        assert_eq!(money("100.5", "JPY"), Err(AmountError::Value));
        assert_eq!(money("1.00", "XTS"), Err(AmountError::Currency));
    }

    #[test]
    fn unknown_types_are_unhandled() {
        let body = br#"{"id":"WH-1","event_type":"PAYMENT.PAYOUTS-ITEM.SUCCEEDED","resource":{}}"#;
        assert_eq!(parse(body).unwrap().action, Action::Unhandled);
        assert_eq!(parse(b"{}"), Err(EventError::Envelope));
        assert_eq!(parse(b"not json"), Err(EventError::Envelope));
    }

    #[test]
    fn a_refund_names_its_capture_by_the_up_link() {
        let body = br#"{"id":"WH-2","event_type":"PAYMENT.CAPTURE.REFUNDED","resource":{"id":"RF1",
            "amount":{"currency_code":"EUR","value":"2.50"},
            "links":[{"rel":"self","href":"https://api.paypal.com/v2/payments/refunds/RF1"},
                     {"rel":"up","href":"https://api.paypal.com/v2/payments/captures/CAP1"}]}}"#;
        let Action::CaptureRefunded { refund, reversed } = parse(body).unwrap().action else { panic!() };
        assert!(!reversed);
        assert_eq!(refund.payment_id.as_deref(), Some("CAP1"));
        assert_eq!(refund.amount.minor, 250);
    }

    #[test]
    fn a_garbled_amount_is_an_error_not_a_guess() {
        let body = br#"{"id":"WH-3","event_type":"PAYMENT.CAPTURE.COMPLETED","resource":{"id":"C",
            "amount":{"currency_code":"EUR","value":"10.001"}}}"#;
        assert!(matches!(parse(body), Err(EventError::Resource { .. })));
        let body = br#"{"id":"WH-3","event_type":"PAYMENT.CAPTURE.COMPLETED","resource":{"id":"C",
            "amount":{"currency_code":"XTS","value":"10.00"}}}"#;
        assert!(matches!(parse(body), Err(EventError::Currency { .. })));
    }
}
