// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The Stripe API calls this system makes, as a thin wrapper over async-stripe's `Client` that
//! takes and returns plain data (our [`Money`] and [`Period`], ids as `String`).
//!
//! - [`Client::create_checkout`]: a Checkout Session for a pledge: `payment` mode for a one-off
//!   gift, `subscription` mode with an inline monthly/yearly price otherwise. The pledge id goes
//!   into `client_reference_id` and into the metadata of the session and of what it creates (the
//!   PaymentIntent or the Subscription), so every later event can name it.
//! - [`Client::ensure_product`]: our one Product (`cdb_donation`), created on first use; prices
//!   are always inline (`price_data`), so amounts are never kept as objects at Stripe.
//! - subscription changes, the billing portal, and the look-ups that tie a refund or dispute
//!   (which names a Charge or PaymentIntent) to the invoice it paid.
//!
//! Endpoints without a typed request among the crates we build (products, charges, payment
//! intents, invoices, invoice payments) go through `stripe_client_core::RequestBuilder` with
//! async-stripe's response models, which saves compiling two more large crates for five GETs.
//!
//! The secret key is handed to async-stripe once (it marks the header sensitive) and is never
//! logged here; `Debug` of [`Client`] prints no key.
//! Tests: `cargo test -p providers --test stripe client` (against `stripe::testing`).

use std::collections::HashMap;
use std::time::Duration;

use domain::payment::{Money, Period};
use secrecy::{ExposeSecret, SecretString};
use stripe::{IdempotencyKey, RequestStrategy, StripeError, StripeRequest};
use stripe_billing::billing_portal_session::CreateBillingPortalSession;
use stripe_billing::subscription::{
    CancelSubscription, RetrieveSubscription, UpdateSubscription, UpdateSubscriptionItems,
    UpdateSubscriptionItemsPriceData, UpdateSubscriptionItemsPriceDataRecurring,
    UpdateSubscriptionItemsPriceDataRecurringInterval, UpdateSubscriptionProrationBehavior,
};
use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionLineItems, CreateCheckoutSessionLineItemsPriceData,
    CreateCheckoutSessionLineItemsPriceDataRecurring,
    CreateCheckoutSessionLineItemsPriceDataRecurringInterval, CreateCheckoutSessionPaymentIntentData,
    CreateCheckoutSessionSubscriptionData,
};
use stripe_client_core::{RequestBuilder, StripeMethod};
use stripe_shared::{CheckoutSessionLocale, CheckoutSessionMode, CheckoutSessionSubmitType};

use super::event::{self, EventError, Invoice, PLEDGE_KEY, Subscription};

/// The id of our one Product. Stripe lets a caller choose product ids, so "created once" is a
/// create with this id, and "already exists" is success.
pub const PRODUCT_ID: &str = "cdb_donation";
/// Metadata on the Product, so people looking at the Stripe dashboard know who made it.
const PRODUCT_METADATA: (&str, &str) = ("cdb_product", "donation");
/// Per attempt; Stripe answers in well under a second, a hung connection must not hold a page.
const TIMEOUT: Duration = Duration::from_secs(30);

/// Why a call failed. Nothing in it carries the secret key.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Stripe answered with an error: `kind` is its `type` (`invalid_request_error`,
    /// `card_error`, ...), `code` its `code` (`resource_missing`, ...).
    #[error("Stripe refused the request (HTTP {status}, {kind}{})", code.as_deref().map(|c| format!(", {c}")).unwrap_or_default())]
    Refused { status: u16, kind: String, code: Option<String>, message: Option<String> },
    /// No answer (connection, TLS, timeout).
    #[error("could not reach Stripe: {0}")]
    Transport(String),
    /// An answer we could not read, or one missing what we asked for (a session without url).
    #[error("Stripe's answer could not be used: {0}")]
    Answer(String),
    /// The client could not be built (`payments.stripe.secret_key` or the API base is invalid).
    #[error("the Stripe client is misconfigured: {0} (check payments.stripe.secret_key)")]
    Config(String),
    /// We were asked for something Stripe cannot do or an id that cannot be one.
    #[error("invalid Stripe request: {0}")]
    Invalid(String),
}

impl ClientError {
    /// Stripe said the object does not exist (`resource_missing`, HTTP 404).
    pub fn is_not_found(&self) -> bool {
        matches!(self, ClientError::Refused { status: 404, .. })
            || matches!(self, ClientError::Refused { code: Some(c), .. } if c == "resource_missing")
    }
}

impl From<StripeError> for ClientError {
    fn from(e: StripeError) -> Self {
        match e {
            StripeError::Stripe(errors, status) => ClientError::Refused {
                status,
                kind: errors.type_.as_str().to_owned(),
                code: errors.code.as_ref().map(|c| c.as_str().to_owned()),
                message: errors.message.clone(),
            },
            StripeError::JSONDeserialize(m) => ClientError::Answer(m),
            StripeError::ClientError(m) => ClientError::Transport(m),
            StripeError::ConfigError(m) => ClientError::Config(m),
            StripeError::Timeout => ClientError::Transport("timed out".to_owned()),
        }
    }
}

impl From<EventError> for ClientError {
    fn from(e: EventError) -> Self {
        ClientError::Answer(e.to_string())
    }
}

/// What a Checkout Session is made for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutRequest {
    /// Our pledge id: `client_reference_id` and `metadata.pledge` everywhere.
    pub pledge: String,
    /// Per payment (per month or year for recurring pledges).
    pub amount: Money,
    /// `Once`: payment mode; `Monthly`/`Yearly`: subscription mode.
    pub period: Period,
    pub success_url: String,
    pub cancel_url: String,
    /// Prefills Checkout's email field (ignored when `customer` is given).
    pub customer_email: Option<String>,
    /// A Stripe customer (`cus_...`) the supporter already has with us.
    pub customer: Option<String>,
    /// Checkout's language (`de`, `en`, ...); `None` lets Stripe choose.
    pub locale: Option<String>,
    /// One per attempt: a retried request with the same key gets the same session back.
    pub idempotency_key: String,
}

/// A created Checkout Session: send the supporter to `url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutSession {
    pub id: String,
    pub url: String,
}

/// The parts of a Charge needed to place a refund or dispute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeInfo {
    pub charge_id: String,
    pub payment_intent_id: Option<String>,
    pub customer_id: Option<String>,
    pub pledge: Option<String>,
    pub amount: Money,
    pub amount_refunded: Money,
    pub refunded: bool,
}

/// The parts of a PaymentIntent needed to place a refund or dispute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentIntentInfo {
    pub payment_intent_id: String,
    pub customer_id: Option<String>,
    /// `metadata.pledge` (set by Checkout's `payment_intent_data.metadata` for one-off gifts).
    pub pledge: Option<String>,
    pub amount: Money,
    /// `succeeded`, `processing`, `requires_payment_method`, ...
    pub status: String,
    pub latest_charge_id: Option<String>,
}

/// Our Stripe API client. Cheap to clone? No: build one at startup and share it (`Arc`).
pub struct Client {
    api: stripe::Client,
    product_name: String,
    product: tokio::sync::OnceCell<String>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("stripe::Client").field("product_name", &self.product_name).finish_non_exhaustive()
    }
}

impl Client {
    /// A client for Stripe's API. `product_name` is what Checkout shows as the line item
    /// ("Donation to ...").
    pub fn new(secret_key: &SecretString, product_name: impl Into<String>) -> Result<Self, ClientError> {
        Self::build(secret_key, product_name.into(), None)
    }

    /// A client for another API base, such as `testing::StandIn::url()` (`http://127.0.0.1:PORT/`).
    pub fn with_api_base(
        secret_key: &SecretString,
        product_name: impl Into<String>,
        api_base: &str,
    ) -> Result<Self, ClientError> {
        Self::build(secret_key, product_name.into(), Some(api_base))
    }

    fn build(
        secret_key: &SecretString,
        product_name: String,
        api_base: Option<&str>,
    ) -> Result<Self, ClientError> {
        let mut builder = stripe::ClientBuilder::new(secret_key.expose_secret()).timeout(TIMEOUT);
        if let Some(base) = api_base {
            builder = builder.url(base);
        }
        let api = builder.build().map_err(ClientError::from)?;
        Ok(Self { api, product_name, product: tokio::sync::OnceCell::new() })
    }

    /// The id of our one Product, creating it on first use. Asked of Stripe once per client:
    /// later calls return the remembered id.
    #[tracing::instrument(name = "stripe.ensure_product", skip(self))]
    pub async fn ensure_product(&self) -> Result<String, ClientError> {
        self.product.get_or_try_init(|| self.find_or_create_product()).await.cloned()
    }

    async fn find_or_create_product(&self) -> Result<String, ClientError> {
        let found = RequestBuilder::new(StripeMethod::Get, format!("/products/{PRODUCT_ID}"))
            .customize::<stripe_shared::Product>()
            .send(&self.api)
            .await
            .map_err(ClientError::from);
        match found {
            Ok(product) => return Ok(product.id.to_string()),
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e),
        }
        #[derive(serde::Serialize)]
        struct NewProduct<'a> {
            id: &'a str,
            name: &'a str,
            metadata: HashMap<&'a str, &'a str>,
        }
        let form = NewProduct {
            id: PRODUCT_ID,
            name: &self.product_name,
            metadata: HashMap::from([PRODUCT_METADATA]),
        };
        let created = RequestBuilder::new(StripeMethod::Post, "/products")
            .form(&form)
            .customize::<stripe_shared::Product>()
            .send(&self.api)
            .await
            .map_err(ClientError::from);
        match created {
            Ok(product) => {
                tracing::info!(product = %product.id, "created the Stripe product for donations");
                Ok(product.id.to_string())
            }
            // Another instance created it between our two calls.
            Err(ClientError::Refused { code: Some(code), .. }) if code == "resource_already_exists" => {
                Ok(PRODUCT_ID.to_owned())
            }
            Err(e) => Err(e),
        }
    }

    /// A Checkout Session for a pledge (see the module docs for what it carries).
    #[tracing::instrument(name = "stripe.create_checkout", skip_all, fields(pledge = %req.pledge, period = %req.period))]
    pub async fn create_checkout(&self, req: &CheckoutRequest) -> Result<CheckoutSession, ClientError> {
        if req.amount.minor <= 0 {
            return Err(ClientError::Invalid("a Checkout amount must be positive".to_owned()));
        }
        let product = self.ensure_product().await?;
        let metadata = || HashMap::from([(PLEDGE_KEY.to_owned(), req.pledge.clone())]);

        let mut price = CreateCheckoutSessionLineItemsPriceData::new(currency(req.amount));
        price.product = Some(product);
        price.unit_amount = Some(req.amount.minor);
        let interval = match req.period {
            Period::Once => None,
            Period::Monthly => Some(CreateCheckoutSessionLineItemsPriceDataRecurringInterval::Month),
            Period::Yearly => Some(CreateCheckoutSessionLineItemsPriceDataRecurringInterval::Year),
        };
        price.recurring = interval.map(CreateCheckoutSessionLineItemsPriceDataRecurring::new);
        let mut item = CreateCheckoutSessionLineItems::new();
        item.price_data = Some(price);
        item.quantity = Some(1);

        let mut create = CreateCheckoutSession::new()
            .line_items(vec![item])
            .client_reference_id(req.pledge.clone())
            .metadata(metadata())
            .success_url(req.success_url.clone())
            .cancel_url(req.cancel_url.clone());
        create = match req.period {
            Period::Once => {
                let mut intent = CreateCheckoutSessionPaymentIntentData::new();
                intent.metadata = Some(metadata());
                create
                    .mode(CheckoutSessionMode::Payment)
                    .submit_type(CheckoutSessionSubmitType::Donate)
                    .payment_intent_data(intent)
            }
            Period::Monthly | Period::Yearly => {
                let mut subscription = CreateCheckoutSessionSubscriptionData::new();
                subscription.metadata = Some(metadata());
                create.mode(CheckoutSessionMode::Subscription).subscription_data(subscription)
            }
        };
        if let Some(customer) = &req.customer {
            check_id(customer)?;
            create = create.customer(customer.clone());
        } else if let Some(email) = &req.customer_email {
            create = create.customer_email(email.clone());
        }
        if let Some(locale) = &req.locale {
            let Ok(locale) = locale.parse::<CheckoutSessionLocale>();
            create = create.locale(locale);
        }

        let session =
            create.customize().request_strategy(idempotent(&req.idempotency_key)?).send(&self.api).await?;
        let url =
            session.url.ok_or_else(|| ClientError::Answer("the Checkout Session has no url".to_owned()))?;
        Ok(CheckoutSession { id: session.id.to_string(), url })
    }

    /// A subscription as it is now.
    #[tracing::instrument(name = "stripe.retrieve_subscription", skip(self))]
    pub async fn retrieve_subscription(&self, id: &str) -> Result<Subscription, ClientError> {
        check_id(id)?;
        let s = RetrieveSubscription::new(id).send(&self.api).await?;
        Ok(event::subscription(&s, to_money)?)
    }

    /// Changes a subscription's amount and interval from the next period on: its (first) item
    /// gets a new inline price for our Product, without proration (a gift is not pro-rated).
    #[tracing::instrument(name = "stripe.update_subscription", skip(self, idempotency_key))]
    pub async fn update_subscription(
        &self,
        id: &str,
        amount: Money,
        period: Period,
        idempotency_key: &str,
    ) -> Result<Subscription, ClientError> {
        let interval = match period {
            Period::Once => {
                return Err(ClientError::Invalid("a subscription cannot become a one-off gift".to_owned()));
            }
            Period::Monthly => UpdateSubscriptionItemsPriceDataRecurringInterval::Month,
            Period::Yearly => UpdateSubscriptionItemsPriceDataRecurringInterval::Year,
        };
        if amount.minor <= 0 {
            return Err(ClientError::Invalid("a subscription amount must be positive".to_owned()));
        }
        let current = self.retrieve_subscription(id).await?;
        let item_id = current
            .item_id
            .ok_or_else(|| ClientError::Answer(format!("subscription {id} has no item to change")))?;
        let product = self.ensure_product().await?;

        let mut price = UpdateSubscriptionItemsPriceData::new(
            currency(amount),
            product,
            UpdateSubscriptionItemsPriceDataRecurring::new(interval),
        );
        price.unit_amount = Some(amount.minor);
        let mut item = UpdateSubscriptionItems::new();
        item.id = Some(item_id);
        item.price_data = Some(price);
        item.quantity = Some(1);
        let s = UpdateSubscription::new(id)
            .items(vec![item])
            .proration_behavior(UpdateSubscriptionProrationBehavior::None)
            .customize()
            .request_strategy(idempotent(idempotency_key)?)
            .send(&self.api)
            .await?;
        Ok(event::subscription(&s, to_money)?)
    }

    /// Ends a subscription now (no final invoice, no proration). Stripe then sends
    /// `customer.subscription.deleted`.
    #[tracing::instrument(name = "stripe.cancel_subscription", skip(self))]
    pub async fn cancel_subscription(&self, id: &str) -> Result<Subscription, ClientError> {
        check_id(id)?;
        let s = CancelSubscription::new(id).send(&self.api).await?;
        Ok(event::subscription(&s, to_money)?)
    }

    /// A billing portal session where the customer manages payment methods and subscriptions;
    /// returns the URL to send them to.
    #[tracing::instrument(name = "stripe.billing_portal", skip(self))]
    pub async fn billing_portal(&self, customer: &str, return_url: &str) -> Result<String, ClientError> {
        check_id(customer)?;
        let session = CreateBillingPortalSession::new()
            .customer(customer)
            .return_url(return_url)
            .send(&self.api)
            .await?;
        Ok(session.url)
    }

    /// An invoice with its payments (`payments` is only included when asked for).
    #[tracing::instrument(name = "stripe.retrieve_invoice", skip(self))]
    pub async fn retrieve_invoice(&self, id: &str) -> Result<Invoice, ClientError> {
        check_id(id)?;
        let i = RequestBuilder::new(StripeMethod::Get, format!("/invoices/{id}"))
            .query(&Expand { expand: ["payments"] })
            .customize::<stripe_shared::Invoice>()
            .send(&self.api)
            .await?;
        event::invoice(&i, to_money)?
            .ok_or_else(|| ClientError::Answer(format!("invoice {id} came back without id")))
    }

    #[tracing::instrument(name = "stripe.retrieve_charge", skip(self))]
    pub async fn retrieve_charge(&self, id: &str) -> Result<ChargeInfo, ClientError> {
        check_id(id)?;
        let c = RequestBuilder::new(StripeMethod::Get, format!("/charges/{id}"))
            .customize::<stripe_shared::Charge>()
            .send(&self.api)
            .await?;
        Ok(ChargeInfo {
            charge_id: c.id.to_string(),
            payment_intent_id: c.payment_intent.as_ref().map(|p| p.id().to_string()),
            customer_id: c.customer.as_ref().map(|p| p.id().to_string()),
            pledge: c.metadata.get(PLEDGE_KEY).cloned(),
            amount: to_money(c.amount, &c.currency)?,
            amount_refunded: to_money(c.amount_refunded, &c.currency)?,
            refunded: c.refunded,
        })
    }

    #[tracing::instrument(name = "stripe.retrieve_payment_intent", skip(self))]
    pub async fn retrieve_payment_intent(&self, id: &str) -> Result<PaymentIntentInfo, ClientError> {
        check_id(id)?;
        let p = RequestBuilder::new(StripeMethod::Get, format!("/payment_intents/{id}"))
            .customize::<stripe_shared::PaymentIntent>()
            .send(&self.api)
            .await?;
        Ok(PaymentIntentInfo {
            payment_intent_id: p.id.to_string(),
            customer_id: p.customer.as_ref().map(|c| c.id().to_string()),
            pledge: p.metadata.get(PLEDGE_KEY).cloned(),
            amount: to_money(p.amount, &p.currency)?,
            status: p.status.as_str().to_owned(),
            latest_charge_id: p.latest_charge.as_ref().map(|c| c.id().to_string()),
        })
    }

    /// The invoice a PaymentIntent paid (`None`: it paid no invoice, e.g. a one-off Checkout
    /// payment). Since API version 2025-03-31 neither the Charge nor the PaymentIntent names its
    /// invoice; the invoice payments list is the way back.
    #[tracing::instrument(name = "stripe.invoice_for_payment_intent", skip(self))]
    pub async fn invoice_for_payment_intent(
        &self,
        payment_intent: &str,
    ) -> Result<Option<String>, ClientError> {
        check_id(payment_intent)?;
        let list = RequestBuilder::new(StripeMethod::Get, "/invoice_payments")
            .query(&ByPayment { payment: PaymentFilter { kind: "payment_intent", payment_intent } })
            .customize::<stripe_types::List<stripe_shared::InvoicePayment>>()
            .send(&self.api)
            .await?;
        Ok(list.data.first().and_then(|p| p.invoice.id().as_ref()).map(|i| i.to_string()))
    }
}

/// `expand[0]=...`
#[derive(serde::Serialize)]
struct Expand<'a> {
    expand: [&'a str; 1],
}

/// `payment[type]=payment_intent&payment[payment_intent]=pi_...`
#[derive(serde::Serialize)]
struct ByPayment<'a> {
    payment: PaymentFilter<'a>,
}

#[derive(serde::Serialize)]
struct PaymentFilter<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    payment_intent: &'a str,
}

/// Ids go into URL paths: anything but Stripe's id alphabet could reach another endpoint.
fn check_id(id: &str) -> Result<(), ClientError> {
    if !id.is_empty() && id.len() <= 255 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        Ok(())
    } else {
        Err(ClientError::Invalid("not a Stripe id".to_owned()))
    }
}

fn idempotent(key: &str) -> Result<RequestStrategy, ClientError> {
    IdempotencyKey::new(key)
        .map(RequestStrategy::Idempotent)
        .map_err(|e| ClientError::Invalid(format!("idempotency key: {e}")))
}

fn currency(amount: Money) -> stripe_types::Currency {
    let Ok(currency) = amount.currency.as_str().to_ascii_lowercase().parse::<stripe_types::Currency>();
    currency
}

fn to_money(minor: i64, currency: &stripe_types::Currency) -> Result<Money, EventError> {
    event::to_money("answer", minor, currency)
}
