// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Applying one verified, parsed Stripe event to the database: in ONE transaction the event is
//! stored ([`webhook_event::record`]), its effects are applied, and its outcome is written
//! ([`webhook_event::finish`]). A repeated delivery meets the stored event and changes nothing;
//! a failure anywhere rolls the whole delivery back, so Stripe's retry finds nothing half done.
//!
//! A payment is keyed by the provider's payment object: the PaymentIntent of a one-off gift,
//! the invoice of a subscription charge. What each event does:
//! - `checkout.session.completed`, paid, payment mode, and `.async_payment_succeeded`: the
//!   payment is registered, keyed by its PaymentIntent (the session id is an alias).
//!   Subscription mode only ties the subscription to its pledge: the money comes as `invoice.paid`.
//! - `checkout.session.async_payment_failed`: a payment recorded under its PaymentIntent is
//!   marked failed; nothing is registered.
//! - `invoice.paid`: registered keyed by the invoice (with its PaymentIntent and Charge as
//!   aliases when the invoice lists its `payments`, which webhooks of this API version do not);
//!   the pledge is the one the subscription was tied to, else the subscription's metadata. The
//!   subscription is tied too, so `invoice.paid` arriving before `checkout.session.completed`
//!   still ends in one payment on the right pledge.
//! - `customer.subscription.updated` / `.deleted`: the state is recorded; `canceled`, `unpaid`
//!   and `incomplete_expired` end the pledge's collection ([`pledge::end`]): cancelled when the
//!   supporter asked for it (in the billing portal), else it needs renewal.
//! - `charge.refunded`, `charge.dispute.created`: [`payment::adjust`] per refund or dispute. They
//!   name a PaymentIntent and a Charge only; when neither is a known payment key or alias, Stripe
//!   is asked which invoice the PaymentIntent paid ([`Client::invoice_for_payment_intent`],
//!   after [`Client::retrieve_charge`] when the event names no PaymentIntent) BEFORE the
//!   transaction, and the adjustment is keyed by that invoice, else by the PaymentIntent (a
//!   one-off gift). So a refund that comes first waits under the key its payment will be
//!   registered by, and is applied then; once the invoice's payment is there, its PaymentIntent
//!   and Charge become its aliases, so later refunds and disputes of it need no look-up.
//!   Stripe not answering is [`ApplyError::Stripe`]: nothing stored, the route answers 503.
//! - `invoice.payment_failed` and every type we do not act on: stored, outcome `ignored`.
//! - An event of the other mode than the configured key (`livemode` true under a `sk_test_`
//!   key, false under a `sk_live_` one): stored, outcome `ignored`, a warning logged; test
//!   payments never count as money, nor live ones in a test setup.
//!
//! Nothing is applied silently when it does not match what was promised: a pledge that does
//! not exist (or metadata that is not a pledge id), another person's pledge, another currency
//! or amount, a cancelled pledge: the event is stored with outcome `flagged` and a
//! [`flag`] for staff, and the route still answers 2xx (Stripe would otherwise retry for days).
//!
//! Concurrency: Stripe delivers one event several times, at once and out of order. Deliveries of
//! one event wait on its unique key; a registration and a refund of one payment wait on the
//! payment's ids ([`stripe_sync::lock_payment_keys`]), taken before any pledge lock. Deadlocks
//! and serialization failures that remain are retried here, a few times, as a whole. No network
//! call is made while the transaction is open.
//!
//! Tests: `cargo test -p server --test web stripe` (through the webhook route, real database,
//! `stripe::testing` as Stripe's API) and `cargo test -p providers --lib stripe::apply`.

use super::client::{Client, ClientError};
use super::event::{
    Action, Checkout, CheckoutMode, CheckoutPaymentStatus, Dispute, Invoice, Received, Refunded,
    Subscription, SubscriptionStatus,
};
use domain::DomainError;
use domain::audit::{Actor, Origin};
use domain::payment::flag::{self, Reason, Subject};
use domain::payment::notice::PaymentWriter;
use domain::payment::payment::{self, Adjusted, AdjustmentKind, NewAdjustment, NewPayment};
use domain::payment::pledge::{self, Pledge};
use domain::payment::webhook_event::{self, Outcome};
use domain::payment::{EndedBy, Money, Provider, RenewalReason, renewal, stripe_sync};
use domain::types::{PledgeId, WebhookEventId};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use sqlx::{PgPool, Postgres, Transaction};
use std::time::Duration;
use time::{Date, OffsetDateTime};

const PROVIDER: Provider = Provider::Stripe;
const ORIGIN: Origin<'static> = Origin { actor: &Actor::System, source: "stripe webhook" };
/// Attempts of one delivery's transaction when PostgreSQL reports a deadlock or a
/// serialization failure (it chose this transaction to roll back; trying again is safe).
const ATTEMPTS: u32 = 5;

/// What became of a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The event was stored before: nothing changed.
    Duplicate,
    /// Stored and applied.
    Applied,
    /// Stored; nothing to do (a type we do not act on, or one that changes nothing).
    Ignored,
    /// Stored, not applied: a flag for staff says why.
    Flagged(Reason),
}

/// Why a delivery could not be applied. Nothing was stored: the route answers 5xx and Stripe
/// delivers it again.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("applying the Stripe event failed")]
    Domain(#[from] DomainError),
    /// Stripe's API did not tell where a refund or dispute belongs (down, 5xx, a refused key).
    #[error("asking Stripe where a refund or dispute belongs failed")]
    Stripe(#[source] ClientError),
}

/// The Stripe account events are applied for: its mode and its API. Built once per process
/// (the webhook route's state), not per delivery.
#[derive(Debug)]
pub struct Account {
    /// `Some(true)` for a live key, `Some(false)` for a test key ([`key_livemode`]); `None`
    /// when the key says neither, and then events of both modes are applied.
    pub livemode: Option<bool>,
    /// For the look-ups of refunds and disputes; `None` when the client could not be built
    /// (a delivery that needs it then fails with [`ApplyError::Stripe`], and is retried).
    pub client: Option<Client>,
}

impl Account {
    /// The account of a secret key: its mode, and a client for `api_base`.
    pub fn new(secret_key: &SecretString, product_name: &str, api_base: &str) -> Self {
        let client = match Client::with_api_base(secret_key, product_name, api_base) {
            Ok(client) => Some(client),
            Err(e) => {
                tracing::error!(error = %e, "the Stripe client for webhooks could not be built");
                None
            }
        };
        let livemode = key_livemode(secret_key);
        if livemode.is_none() {
            tracing::warn!(
                "payments.stripe.secret_key starts with none of sk_live_, rk_live_, sk_test_, rk_test_: \
                 webhook events are applied whatever their livemode"
            );
        }
        Self { livemode, client }
    }

    /// Whether an event of this mode must not be applied here.
    fn other_mode(&self, event_livemode: bool) -> bool {
        self.livemode.is_some_and(|live| live != event_livemode)
    }

    fn client(&self) -> Result<&Client, ApplyError> {
        self.client.as_ref().ok_or_else(|| {
            ApplyError::Stripe(ClientError::Config("no Stripe client for webhooks".to_owned()))
        })
    }
}

/// The mode of a Stripe secret or restricted key: `sk_live_`/`rk_live_` live, `sk_test_`/
/// `rk_test_` test, anything else unknown. Only the prefix is read.
pub fn key_livemode(secret_key: &SecretString) -> Option<bool> {
    let key = secret_key.expose_secret();
    if key.starts_with("sk_live_") || key.starts_with("rk_live_") {
        Some(true)
    } else if key.starts_with("sk_test_") || key.starts_with("rk_test_") {
        Some(false)
    } else {
        None
    }
}

/// Whether the event was stored before (committed): a repeated delivery can be answered
/// without parsing it. [`apply`] checks again inside its transaction.
pub async fn seen(pool: &PgPool, event_id: &str) -> Result<bool, ApplyError> {
    Ok(stripe_sync::is_recorded(pool, PROVIDER, event_id).await?)
}

/// Stores and applies one event, exactly once however often it is delivered. `raw` is the body
/// as received (stored as it is, and read for the few fields [`Received`] does not carry).
/// A refund or dispute of a payment not known here is first looked up at Stripe (see the
/// module docs), before the transaction.
pub async fn apply(
    pool: &PgPool,
    account: &Account,
    received: &Received,
    raw: &str,
    writer: &dyn PaymentWriter,
) -> Result<Applied, ApplyError> {
    let other_mode = account.other_mode(received.livemode);
    if other_mode {
        tracing::warn!(
            event_id = %received.id,
            event_type = %received.event_type,
            event_livemode = received.livemode,
            key_livemode = account.livemode,
            "Stripe event of the other mode than payments.stripe.secret_key: stored, not applied"
        );
    }
    let found = if other_mode { Found::default() } else { find_payment(pool, account, received).await? };
    let mut attempt = 1;
    loop {
        match apply_once(pool, received, raw, writer, other_mode, &found).await {
            Err(e) if attempt < ATTEMPTS && is_retryable(&e) => {
                tracing::debug!(
                    attempt,
                    "Stripe event rolled back by PostgreSQL (deadlock or serialization); retrying"
                );
                // A little apart, so the transactions that collided do not collide again.
                tokio::time::sleep(Duration::from_millis(
                    u64::from(attempt) * 5 + jitter(&received.id, attempt),
                ))
                .await;
                attempt += 1;
            }
            other => return other.map_err(ApplyError::Domain),
        }
    }
}

/// Stores an authentic event this system cannot read into money (a currency it does not
/// know), flagged for staff: refusing it would make Stripe retry it for days. One of the other
/// mode than the key (`livemode`, read from the envelope) is only stored, `ignored`.
pub async fn flag_unreadable(
    pool: &PgPool,
    account: &Account,
    event_id: &str,
    event_type: &str,
    livemode: bool,
    raw: &str,
    reason: Reason,
) -> Result<Applied, ApplyError> {
    let mut tx = pool.begin().await.map_err(DomainError::from)?;
    let Some(event) = webhook_event::record(&mut tx, PROVIDER, event_id, event_type, raw).await? else {
        return Ok(Applied::Duplicate);
    };
    if account.other_mode(livemode) {
        tracing::warn!(
            event_id,
            event_type,
            livemode,
            "Stripe event of the other mode than the key: stored, not applied"
        );
        webhook_event::finish(&mut tx, event, Outcome::Ignored).await?;
        tx.commit().await.map_err(DomainError::from)?;
        return Ok(Applied::Ignored);
    }
    let subject = Subject { webhook_event: Some(event), ..Subject::default() };
    flag::raise(&mut tx, reason, PROVIDER, subject, json!({ "event": event_id, "type": event_type })).await?;
    webhook_event::finish(&mut tx, event, Outcome::Flagged).await?;
    tx.commit().await.map_err(DomainError::from)?;
    Ok(Applied::Flagged(reason))
}

fn is_retryable(error: &DomainError) -> bool {
    let DomainError::Database(e) = error else { return false };
    e.as_database_error().and_then(|d| d.code()).is_some_and(|code| code == "40P01" || code == "40001")
}

/// 0..10 ms, from the event id and the attempt (no random generator needed for this).
fn jitter(id: &str, attempt: u32) -> u64 {
    let hash = id.bytes().fold(u64::from(attempt), |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
    hash % 10
}

/// Where a refund or dispute's payment is, as Stripe said before the transaction (empty when
/// it was not asked: another event type, or the payment is known here).
#[derive(Debug, Default)]
struct Found {
    /// The PaymentIntent of the charge, when the event did not name it.
    payment_intent: Option<String>,
    /// The invoice that PaymentIntent paid (a subscription charge's payment key).
    invoice: Option<String>,
}

/// Asks Stripe where a refund or dispute belongs, unless its PaymentIntent or Charge is a
/// known payment key or alias. Outside any transaction: no lock is held while Stripe answers.
async fn find_payment(pool: &PgPool, account: &Account, received: &Received) -> Result<Found, ApplyError> {
    let (payment_intent, charge) = match &received.action {
        Action::ChargeRefunded(r) => (r.payment_intent_id.as_deref(), r.charge_id.as_str()),
        Action::DisputeCreated(d) => (d.payment_intent_id.as_deref(), d.charge_id.as_str()),
        _ => return Ok(Found::default()),
    };
    for known in payment_intent.into_iter().chain(std::iter::once(charge)) {
        if payment::key_to_payment(pool, PROVIDER, known).await?.is_some() {
            return Ok(Found::default());
        }
    }
    let client = account.client()?;
    let mut found = Found::default();
    let payment_intent = match payment_intent {
        Some(pi) => pi.to_owned(),
        None => match gone_is_none(client.retrieve_charge(charge).await)? {
            Some(c) => match c.payment_intent_id {
                Some(pi) => {
                    found.payment_intent = Some(pi.clone());
                    pi
                }
                None => return Ok(found),
            },
            None => return Ok(found),
        },
    };
    found.invoice = gone_is_none(client.invoice_for_payment_intent(&payment_intent).await)?.flatten();
    tracing::debug!(
        charge,
        payment_intent = %payment_intent,
        invoice = found.invoice.as_deref(),
        "Stripe said where a refund or dispute belongs"
    );
    Ok(found)
}

/// An object Stripe does not have (or an id that cannot be one) will not appear on a retry:
/// the adjustment is keyed by what the event names. Anything else is worth Stripe's retry.
fn gone_is_none<T>(answer: Result<T, ClientError>) -> Result<Option<T>, ApplyError> {
    match answer {
        Ok(value) => Ok(Some(value)),
        Err(e) if e.is_not_found() || matches!(e, ClientError::Invalid(_)) => {
            tracing::warn!(error = %e, "Stripe does not know the object a refund or dispute names");
            Ok(None)
        }
        Err(e) => Err(ApplyError::Stripe(e)),
    }
}

async fn apply_once(
    pool: &PgPool,
    received: &Received,
    raw: &str,
    writer: &dyn PaymentWriter,
    other_mode: bool,
    found: &Found,
) -> Result<Applied, DomainError> {
    let mut tx = pool.begin().await?;
    let Some(event) =
        webhook_event::record(&mut tx, PROVIDER, &received.id, &received.event_type, raw).await?
    else {
        // Stored before (or by a delivery that just committed): nothing to do, nothing to keep.
        tx.rollback().await?;
        return Ok(Applied::Duplicate);
    };
    let mut ctx = Ctx { tx, event, received, raw, writer, found };
    let applied = if other_mode { Applied::Ignored } else { ctx.effects().await? };
    let outcome = match applied {
        Applied::Applied => Outcome::Applied,
        Applied::Flagged(_) => Outcome::Flagged,
        Applied::Ignored | Applied::Duplicate => Outcome::Ignored,
    };
    let Ctx { mut tx, .. } = ctx;
    webhook_event::finish(&mut tx, event, outcome).await?;
    tx.commit().await?;
    Ok(applied)
}

/// One delivery being applied.
struct Ctx<'a, 'c> {
    tx: Transaction<'c, Postgres>,
    event: WebhookEventId,
    received: &'a Received,
    raw: &'a str,
    writer: &'a dyn PaymentWriter,
    found: &'a Found,
}

/// A payment to register, read from an event.
struct Incoming<'a> {
    key: &'a str,
    aliases: Vec<&'a str>,
    pledge_hint: Option<&'a str>,
    /// The subscription to tie to the pledge (invoices).
    subscription: Option<&'a str>,
    customer: Option<&'a str>,
    email: Option<&'a str>,
    amount: Money,
    booked_at: Option<i64>,
}

impl Ctx<'_, '_> {
    async fn effects(&mut self) -> Result<Applied, DomainError> {
        let received = self.received;
        match &received.action {
            Action::CheckoutCompleted(c) => match (&c.mode, &c.payment_status) {
                (CheckoutMode::Payment, CheckoutPaymentStatus::Paid) => self.checkout_paid(c).await,
                (CheckoutMode::Subscription, _) => self.checkout_subscription(c).await,
                // Unpaid: a delayed method; its outcome is one of the async events.
                _ => Ok(Applied::Ignored),
            },
            Action::CheckoutAsyncSucceeded(c) => match c.mode {
                CheckoutMode::Payment => self.checkout_paid(c).await,
                CheckoutMode::Subscription => self.checkout_subscription(c).await,
                _ => Ok(Applied::Ignored),
            },
            Action::CheckoutAsyncFailed(c) => {
                let key = c.payment_intent_id.as_deref().unwrap_or(&c.session_id);
                stripe_sync::lock_payment_keys(&mut self.tx, PROVIDER, &[key, &c.session_id]).await?;
                let failed = payment::mark_failed(&mut self.tx, PROVIDER, key).await?;
                Ok(if failed { Applied::Applied } else { Applied::Ignored })
            }
            Action::InvoicePaid(i) => self.invoice_paid(i).await,
            Action::SubscriptionUpdated(s) | Action::SubscriptionDeleted(s) => self.subscription(s).await,
            Action::ChargeRefunded(r) => self.refunded(r).await,
            Action::DisputeCreated(d) => self.disputed(d).await,
            Action::InvoicePaymentFailed(i) => self.invoice_failed(i).await,
            Action::Unhandled => Ok(Applied::Ignored),
        }
    }

    async fn checkout_paid(&mut self, c: &Checkout) -> Result<Applied, DomainError> {
        let Some(amount) = c.amount_total else { return Ok(Applied::Ignored) };
        let key = c.payment_intent_id.as_deref().unwrap_or(&c.session_id);
        let incoming = Incoming {
            key,
            aliases: vec![c.session_id.as_str()],
            pledge_hint: c.pledge.as_deref().or(c.client_reference_id.as_deref()),
            subscription: None,
            customer: c.customer_id.as_deref(),
            email: c.customer_email.as_deref(),
            amount,
            booked_at: None,
        };
        self.register(&incoming).await
    }

    async fn checkout_subscription(&mut self, c: &Checkout) -> Result<Applied, DomainError> {
        let Some(subscription) = c.subscription_id.as_deref() else { return Ok(Applied::Ignored) };
        let hint = c.pledge.as_deref().or(c.client_reference_id.as_deref());
        let pledge = match self.known_or_hinted(subscription, hint).await? {
            Ok(pledge) => pledge,
            Err(reason) => {
                return self
                    .flag(reason, None, json!({ "subscription": subscription, "pledge": hint }))
                    .await;
            }
        };
        if let Some(reason) =
            self.payer_mismatch(&pledge, c.customer_id.as_deref(), c.customer_email.as_deref()).await?
        {
            return self.flag(reason, Some(pledge.id), json!({ "subscription": subscription })).await;
        }
        stripe_sync::link_subscription(
            &mut self.tx,
            pledge.id,
            PROVIDER,
            subscription,
            c.customer_id.as_deref(),
        )
        .await?;
        // The new subscription collects the pledge now (a first one, or a renewal by card);
        // every other one is cancelled, so one pledge is never charged twice.
        renewal::adopt(&mut self.tx, ORIGIN, pledge.id, domain::payment::Method::Stripe, subscription)
            .await?;
        Ok(Applied::Applied)
    }

    /// A subscription's payment failed (Stripe retries it): the first failure of an episode
    /// mails the supporter a link to update the card or switch method.
    async fn invoice_failed(&mut self, i: &Invoice) -> Result<Applied, DomainError> {
        let Some(subscription) = i.subscription_id.as_deref() else { return Ok(Applied::Ignored) };
        let Some(pledge) =
            domain::payment::subscription::pledge_of(&mut *self.tx, PROVIDER, subscription).await?
        else {
            return Ok(Applied::Ignored);
        };
        renewal::payment_failed(&mut self.tx, ORIGIN, pledge, self.writer).await?;
        Ok(Applied::Applied)
    }

    async fn invoice_paid(&mut self, i: &Invoice) -> Result<Applied, DomainError> {
        if i.amount_paid.minor <= 0 {
            // A trial or fully credited invoice: no money arrived.
            return Ok(Applied::Ignored);
        }
        let aliases: Vec<&str> =
            [i.payment_intent_id.as_deref(), i.charge_id.as_deref()].into_iter().flatten().collect();
        let incoming = Incoming {
            key: &i.invoice_id,
            aliases,
            pledge_hint: i.pledge.as_deref(),
            subscription: i.subscription_id.as_deref(),
            customer: i.customer_id.as_deref(),
            email: i.customer_email.as_deref(),
            amount: i.amount_paid,
            booked_at: i.paid_at,
        };
        self.register(&incoming).await
    }

    /// The checks, then [`payment::register`].
    async fn register(&mut self, incoming: &Incoming<'_>) -> Result<Applied, DomainError> {
        // The payment's ids first, then the pledge (every path takes them in this order).
        let keys: Vec<&str> = std::iter::once(incoming.key).chain(incoming.aliases.iter().copied()).collect();
        stripe_sync::lock_payment_keys(&mut self.tx, PROVIDER, &keys).await?;
        let pledge = match incoming.subscription {
            Some(subscription) => self.known_or_hinted(subscription, incoming.pledge_hint).await?,
            None => self.hinted(incoming.pledge_hint).await?,
        };
        let details = || {
            json!({ "object": incoming.key, "amount_minor": incoming.amount.minor,
                    "currency": incoming.amount.currency, "pledge": incoming.pledge_hint })
        };
        let pledge = match pledge {
            Ok(pledge) => pledge,
            Err(reason) => return self.flag(reason, None, details()).await,
        };
        if let Some(reason) = self.payer_mismatch(&pledge, incoming.customer, incoming.email).await? {
            return self.flag(reason, Some(pledge.id), details()).await;
        }
        if let Some(reason) = payment::mismatch(&pledge, incoming.amount) {
            let mut details = details();
            details["promised_minor"] = json!(pledge.amount.minor);
            details["promised_currency"] = json!(pledge.amount.currency);
            return self.flag(reason, Some(pledge.id), details).await;
        }
        if let Some(subscription) = incoming.subscription {
            stripe_sync::link_subscription(
                &mut self.tx,
                pledge.id,
                PROVIDER,
                subscription,
                incoming.customer,
            )
            .await?;
        }
        let new = NewPayment {
            provider: PROVIDER,
            object_id: incoming.key,
            aliases: &incoming.aliases,
            pledge: Some(pledge.id),
            amount: incoming.amount,
            fee_minor: None,
            booked_on: self.date(incoming.booked_at),
        };
        payment::register(&mut self.tx, ORIGIN, &new, self.writer).await?;
        Ok(Applied::Applied)
    }

    async fn subscription(&mut self, s: &Subscription) -> Result<Applied, DomainError> {
        let pledge = match self.known_or_hinted(&s.subscription_id, s.pledge.as_deref()).await? {
            Ok(pledge) => pledge,
            Err(reason) => {
                let details = json!({ "subscription": s.subscription_id, "pledge": s.pledge });
                return self.flag(reason, None, details).await;
            }
        };
        let deleted = matches!(self.received.action, Action::SubscriptionDeleted(_));
        let status = if deleted { "canceled" } else { status_text(&s.status) };
        stripe_sync::set_subscription_status(
            &mut self.tx,
            pledge.id,
            PROVIDER,
            &s.subscription_id,
            status,
            Some(&s.customer_id),
        )
        .await?;
        let ended = deleted
            || matches!(
                s.status,
                SubscriptionStatus::Canceled
                    | SubscriptionStatus::Unpaid
                    | SubscriptionStatus::IncompleteExpired
            );
        if ended {
            if !renewal::collects(&mut self.tx, &pledge, PROVIDER, &s.subscription_id).await? {
                // We ended it (the pledge was renewed another way, or Stripe is being
                // dropped), or it is a late word about one the pledge lost: the pledge goes on.
            } else if s.cancel_at_period_end || self.cancellation_requested() {
                pledge::end(&mut self.tx, ORIGIN, pledge.id, EndedBy::Supporter).await?;
            } else {
                let reason = match (self.cancellation_reason().as_deref(), &s.status) {
                    (Some("payment_failed"), _) | (_, SubscriptionStatus::Unpaid) => {
                        RenewalReason::PaymentFailed
                    }
                    _ => RenewalReason::ProviderEnded,
                };
                renewal::lapse(&mut self.tx, ORIGIN, pledge.id, reason, self.writer).await?;
            }
        }
        Ok(Applied::Applied)
    }

    async fn refunded(&mut self, r: &Refunded) -> Result<Applied, DomainError> {
        let key = self.known_key(r.payment_intent_id.as_deref(), &r.charge_id).await?;
        let mut lines: Vec<(String, Money)> = r
            .refunds
            .iter()
            .filter(|line| !matches!(line.status.as_deref(), Some("failed" | "canceled")))
            .map(|line| (line.refund_id.clone(), line.amount))
            .collect();
        if lines.is_empty() && r.refunds.is_empty() {
            // This API version lists no refunds in the event: the refund is the step from the
            // amount refunded before (`previous_attributes`) to now, keyed by the charge and
            // the new total (each step of one charge has its own total, and a redelivery the same).
            let before = self.previous_amount_refunded().unwrap_or(0);
            let step = r.amount_refunded.minor - before;
            if step > 0 {
                let id = format!("{}:refunded:{}", r.charge_id, r.amount_refunded.minor);
                lines.push((id, Money::new(step, r.amount_refunded.currency)));
            }
        }
        let mut results = Vec::with_capacity(lines.len());
        for (id, amount) in &lines {
            let new = NewAdjustment {
                provider: PROVIDER,
                provider_id: id,
                kind: AdjustmentKind::Refund,
                payment_key: &key,
                amount: *amount,
            };
            results.push((id.as_str(), payment::adjust(&mut self.tx, ORIGIN, &new).await?));
        }
        self.adjusted(&results).await
    }

    async fn disputed(&mut self, d: &Dispute) -> Result<Applied, DomainError> {
        let key = self.known_key(d.payment_intent_id.as_deref(), &d.charge_id).await?;
        let new = NewAdjustment {
            provider: PROVIDER,
            provider_id: &d.dispute_id,
            kind: AdjustmentKind::Dispute,
            payment_key: &key,
            amount: d.amount,
        };
        let adjusted = payment::adjust(&mut self.tx, ORIGIN, &new).await?;
        self.adjusted(&[(d.dispute_id.as_str(), adjusted)]).await
    }

    /// The outcome of a refund or dispute event; the flags the domain raised point at the event.
    async fn adjusted(&mut self, results: &[(&str, Adjusted)]) -> Result<Applied, DomainError> {
        let mut outcome = Applied::Ignored;
        for (id, adjusted) in results {
            match adjusted {
                Adjusted::Flagged(reason) => {
                    stripe_sync::attach_adjustment_flags(&mut self.tx, self.event, id).await?;
                    outcome = Applied::Flagged(*reason);
                }
                Adjusted::Applied(_) | Adjusted::Waiting if outcome == Applied::Ignored => {
                    outcome = Applied::Applied
                }
                _ => {}
            }
        }
        Ok(outcome)
    }

    /// The key a refund or dispute names its payment by: the first of the invoice Stripe named
    /// ([`find_payment`]), the PaymentIntent and the Charge that is a registered key or alias,
    /// else the invoice, else the PaymentIntent (a one-off gift's key), to wait on. All are
    /// locked first, so the payment's registration cannot slip in between. When the payment is
    /// found by its invoice, its PaymentIntent and Charge become its aliases.
    async fn known_key(&mut self, payment_intent: Option<&str>, charge: &str) -> Result<String, DomainError> {
        let invoice = self.found.invoice.as_deref();
        let payment_intent = payment_intent.or(self.found.payment_intent.as_deref());
        let candidates: Vec<&str> =
            invoice.into_iter().chain(payment_intent).chain(std::iter::once(charge)).collect();
        stripe_sync::lock_payment_keys(&mut self.tx, PROVIDER, &candidates).await?;
        for candidate in &candidates {
            if let Some(id) = payment::key_to_payment(&mut *self.tx, PROVIDER, candidate).await? {
                if invoice == Some(*candidate) {
                    let aliases: Vec<&str> =
                        payment_intent.into_iter().chain(std::iter::once(charge)).collect();
                    stripe_sync::add_aliases(&mut self.tx, PROVIDER, id, &aliases).await?;
                }
                return Ok((*candidate).to_owned());
            }
        }
        Ok(candidates.first().copied().unwrap_or(charge).to_owned())
    }

    /// The pledge a subscription was tied to, else the one its metadata names; locked.
    async fn known_or_hinted(
        &mut self,
        subscription: &str,
        hint: Option<&str>,
    ) -> Result<Result<Pledge, Reason>, DomainError> {
        if let Some(id) =
            domain::payment::subscription::pledge_of(&mut *self.tx, PROVIDER, subscription).await?
        {
            return Ok(pledge::lock(&mut self.tx, id).await?.ok_or(Reason::UnknownPledge));
        }
        self.hinted(hint).await
    }

    /// The pledge metadata names, locked; `UnknownPledge` for none, garbage or an unknown id.
    async fn hinted(&mut self, hint: Option<&str>) -> Result<Result<Pledge, Reason>, DomainError> {
        let Some(id) = hint.and_then(|h| h.trim().parse::<PledgeId>().ok()) else {
            return Ok(Err(Reason::UnknownPledge));
        };
        Ok(pledge::lock(&mut self.tx, id).await?.ok_or(Reason::UnknownPledge))
    }

    /// `OtherPersonsPledge` when the payer is known to be someone else than the pledge's person:
    /// by the Stripe customer (its subscriptions' pledges) or else by a confirmed address.
    async fn payer_mismatch(
        &mut self,
        pledge: &Pledge,
        customer: Option<&str>,
        email: Option<&str>,
    ) -> Result<Option<Reason>, DomainError> {
        let Some(owner) = pledge.person else { return Ok(None) };
        let known = stripe_sync::payer_persons(&mut *self.tx, PROVIDER, customer, email).await?;
        let by_customer: Vec<_> = known.iter().filter(|(_, via)| *via).map(|(p, _)| *p).collect();
        let persons: Vec<_> =
            if by_customer.is_empty() { known.iter().map(|(p, _)| *p).collect() } else { by_customer };
        Ok((!persons.is_empty() && !persons.contains(&owner)).then_some(Reason::OtherPersonsPledge))
    }

    async fn flag(
        &mut self,
        reason: Reason,
        pledge: Option<PledgeId>,
        mut details: serde_json::Value,
    ) -> Result<Applied, DomainError> {
        details["event"] = json!(self.received.id);
        details["type"] = json!(self.received.event_type);
        let subject = Subject { webhook_event: Some(self.event), pledge, ..Subject::default() };
        flag::raise(&mut self.tx, reason, PROVIDER, subject, details).await?;
        Ok(Applied::Flagged(reason))
    }

    /// The booking date: when Stripe says it was paid, else when the event was created (UTC).
    fn date(&self, paid_at: Option<i64>) -> Date {
        paid_at
            .or(Some(self.received.created))
            .and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok())
            .unwrap_or_else(OffsetDateTime::now_utc)
            .date()
    }

    /// `data.previous_attributes.amount_refunded` of a `charge.refunded` event.
    fn previous_amount_refunded(&self) -> Option<i64> {
        #[derive(serde::Deserialize)]
        struct Body {
            data: Data,
        }
        #[derive(serde::Deserialize)]
        struct Data {
            previous_attributes: Option<Previous>,
        }
        #[derive(serde::Deserialize)]
        struct Previous {
            amount_refunded: Option<i64>,
        }
        serde_json::from_str::<Body>(self.raw).ok()?.data.previous_attributes?.amount_refunded
    }

    /// Whether a subscription event says the supporter asked for the cancellation
    /// (`cancellation_details.reason`, not in async-stripe's subscription summary).
    fn cancellation_requested(&self) -> bool {
        self.cancellation_reason().is_some_and(|r| r == "cancellation_requested")
    }

    /// `cancellation_details.reason` of the event's subscription: `cancellation_requested`,
    /// `payment_failed`, `payment_disputed`.
    fn cancellation_reason(&self) -> Option<String> {
        #[derive(serde::Deserialize)]
        struct Body {
            data: Data,
        }
        #[derive(serde::Deserialize)]
        struct Data {
            object: Object,
        }
        #[derive(serde::Deserialize)]
        struct Object {
            cancellation_details: Option<Details>,
        }
        #[derive(serde::Deserialize)]
        struct Details {
            reason: Option<String>,
        }
        serde_json::from_str::<Body>(self.raw)
            .ok()
            .and_then(|b| b.data.object.cancellation_details)
            .and_then(|d| d.reason)
    }
}

fn status_text(status: &SubscriptionStatus) -> &str {
    match status {
        SubscriptionStatus::Incomplete => "incomplete",
        SubscriptionStatus::IncompleteExpired => "incomplete_expired",
        SubscriptionStatus::Trialing => "trialing",
        SubscriptionStatus::Active => "active",
        SubscriptionStatus::PastDue => "past_due",
        SubscriptionStatus::Canceled => "canceled",
        SubscriptionStatus::Unpaid => "unpaid",
        SubscriptionStatus::Paused => "paused",
        SubscriptionStatus::Other(other) if (1..=64).contains(&other.len()) => other,
        SubscriptionStatus::Other(_) => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_small() {
        for attempt in 1..ATTEMPTS {
            assert!(jitter("evt_1", attempt) < 10);
        }
    }

    #[test]
    fn the_key_prefix_tells_the_mode() {
        let mode = |key: &str| key_livemode(&SecretString::from(key.to_owned()));
        assert_eq!(mode("sk_live_abc"), Some(true));
        assert_eq!(mode("rk_live_abc"), Some(true));
        assert_eq!(mode("sk_test_abc"), Some(false));
        assert_eq!(mode("rk_test_abc"), Some(false));
        assert_eq!(mode("pk_live_abc"), None);
        assert_eq!(mode("whatever"), None);
        let account = |livemode| Account { livemode, client: None };
        assert!(account(Some(false)).other_mode(true));
        assert!(account(Some(true)).other_mode(false));
        assert!(!account(Some(true)).other_mode(true));
        assert!(!account(None).other_mode(true));
    }

    #[test]
    fn only_a_missing_object_is_keyed_without_stripe() {
        let missing = ClientError::Refused {
            status: 404,
            kind: "invalid_request_error".into(),
            code: Some("resource_missing".into()),
            message: None,
        };
        assert!(matches!(gone_is_none::<()>(Err(missing)), Ok(None)));
        assert!(matches!(gone_is_none::<()>(Err(ClientError::Invalid("x".into()))), Ok(None)));
        let down = ClientError::Transport("refused".into());
        assert!(matches!(gone_is_none::<()>(Err(down)), Err(ApplyError::Stripe(_))));
        let failing =
            ClientError::Refused { status: 500, kind: "api_error".into(), code: None, message: None };
        assert!(matches!(gone_is_none::<()>(Err(failing)), Err(ApplyError::Stripe(_))));
    }

    #[test]
    fn subscription_states_fit_their_column() {
        assert_eq!(status_text(&SubscriptionStatus::PastDue), "past_due");
        assert_eq!(status_text(&SubscriptionStatus::Other("x".repeat(65))), "unknown");
    }
}
