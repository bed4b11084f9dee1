// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Applying one verified, parsed PayPal event to the database: in ONE transaction the event is
//! stored ([`webhook_event::record`]), its effects are applied, and its outcome is written
//! ([`webhook_event::finish`]). A repeated delivery meets the stored event and changes nothing;
//! a failure anywhere rolls the whole delivery back, so PayPal's retry finds nothing half done.
//!
//! What each event does:
//! - `CHECKOUT.ORDER.APPROVED`: the order is captured through the API (before the transaction,
//!   so no lock is held while PayPal answers), so a donor who closes the tab after approving
//!   still gives. Only an order whose pledge exists and matches is captured; one that does not
//!   is flagged and left uncaptured (no money is taken we could not book). Capturing an order
//!   captured before (by the return page) is fine. Nothing is registered here: the capture's
//!   own `PAYMENT.CAPTURE.COMPLETED` does that.
//! - `PAYMENT.CAPTURE.COMPLETED`: the payment is registered keyed by the capture id (the order
//!   id is an alias); its pledge is the one `custom_id` (our creditor reference) names.
//! - `PAYMENT.SALE.COMPLETED` (a subscription's charge): registered keyed by the sale id, for
//!   the pledge the subscription (`billing_agreement_id`) was tied to, else the one `custom`
//!   names; the subscription is tied to the pledge too, so a sale arriving before the
//!   subscription's activation still lands on the right pledge.
//! - `PAYMENT.CAPTURE.REFUNDED`, `.REVERSED`, `PAYMENT.SALE.REFUNDED`: [`payment::adjust`] keyed
//!   by the refund id, naming the capture or sale; one that arrives before its payment waits.
//!   A reversal (PayPal took the money back: a chargeback, a dispute lost) is a dispute here.
//! - `CUSTOMER.DISPUTE.CREATED`: [`payment::adjust`] as a dispute of the capture or sale.
//! - `BILLING.SUBSCRIPTION.ACTIVATED`: the subscription is tied to its pledge; when the pledge
//!   was paid another way or needs renewal, PayPal collects it now ([`renewal::adopt`]: every
//!   other subscription of it is due for cancellation).
//! - `.CANCELLED`, `.SUSPENDED`, `.EXPIRED`: the state is recorded; unless we asked for it
//!   ([`renewal::is_superseded`]), the pledge needs renewal ([`renewal::lapse`], a mail with a
//!   renewal link). A supporter who cancels on our donations page has ended the pledge before
//!   the event arrives, and a cancelled pledge stays cancelled. PayPal does not tell a
//!   supporter cancelling in their PayPal account apart from PayPal ending it: both lapse, and
//!   the renewal mail lets the supporter choose (ignoring it changes nothing).
//! - `BILLING.SUBSCRIPTION.PAYMENT.FAILED`: the first failure of an episode mails the supporter
//!   ([`renewal::payment_failed`]).
//! - Every other type: stored, outcome `ignored`.
//!
//! A pledge that does not exist, another currency or amount, a cancelled pledge: stored with
//! outcome `flagged` and a [`flag`] for staff, 2xx (PayPal would otherwise retry for days).
//! Deliveries of one event wait on its unique key; registrations and refunds of one payment on
//! its ids ([`stripe_sync::lock_payment_keys`], provider-generic), taken before any pledge lock;
//! deadlocks and serialization failures are retried a few times as a whole.
//!
//! Tests: `cargo test -p providers --test paypal apply_` and `cargo test -p server --test web
//! paypal` (through the webhook route).

use super::client::{Captured, Client, ClientError};
use super::event::{Action, Capture, Dispute, EndedStatus, Order, Received, Refund, Sale, Subscription};
use domain::DomainError;
use domain::audit::{Actor, Origin};
use domain::payment::flag::{self, Reason, Subject};
use domain::payment::notice::PaymentWriter;
use domain::payment::payment::{self, Adjusted, AdjustmentKind, NewAdjustment, NewPayment};
use domain::payment::pledge::{self, Pledge};
use domain::payment::webhook_event::{self, Outcome};
use domain::payment::{
    CreditorReference, Method, Money, PledgeStatus, Provider, RenewalReason, renewal, stripe_sync,
};
use domain::types::{PledgeId, WebhookEventId};
use serde_json::json;
use sqlx::{PgPool, Postgres, Transaction};
use std::time::Duration;
use time::{Date, OffsetDateTime};

const PROVIDER: Provider = Provider::Paypal;
const ORIGIN: Origin<'static> = Origin { actor: &Actor::System, source: "paypal webhook" };
const ATTEMPTS: u32 = 5;

/// What became of a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// Stored before: nothing changed.
    Duplicate,
    Applied,
    /// Stored; nothing to do.
    Ignored,
    /// Stored, not applied: a flag for staff says why.
    Flagged(Reason),
}

/// Why a delivery could not be applied. Nothing was stored: the route answers 5xx and PayPal
/// delivers it again.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("applying the PayPal event failed")]
    Domain(#[from] DomainError),
    /// Capturing an approved order failed (PayPal down, 5xx, refused credentials).
    #[error("capturing the approved PayPal order failed")]
    Paypal(#[source] ClientError),
}

/// Whether the event was stored before (committed).
pub async fn seen(pool: &PgPool, event_id: &str) -> Result<bool, ApplyError> {
    Ok(stripe_sync::is_recorded(pool, PROVIDER, event_id).await?)
}

/// Stores and applies one event, exactly once however often it is delivered. `client` is
/// needed for `CHECKOUT.ORDER.APPROVED` (the capture) only.
pub async fn apply(
    pool: &PgPool,
    client: &Client,
    received: &Received,
    raw: &str,
    writer: &dyn PaymentWriter,
) -> Result<Applied, ApplyError> {
    if let Action::OrderApproved(order) = &received.action {
        if seen(pool, &received.id).await? {
            return Ok(Applied::Duplicate);
        }
        if order_matches(pool, order).await? {
            match client.capture_order(&order.order_id).await {
                Ok(Captured::Captured { status, .. }) => {
                    tracing::info!(%status, "approved PayPal order captured by the webhook");
                }
                Ok(Captured::AlreadyCaptured) => {}
                Ok(Captured::NotApproved) => {
                    tracing::warn!("PayPal says the approved order is not approved; nothing captured");
                }
                Err(e) => return Err(ApplyError::Paypal(e)),
            }
        }
    }
    let mut attempt = 1;
    loop {
        match apply_once(pool, received, raw, writer).await {
            Err(e) if attempt < ATTEMPTS && is_retryable(&e) => {
                tokio::time::sleep(Duration::from_millis(u64::from(attempt) * 7)).await;
                attempt += 1;
            }
            other => return other.map_err(ApplyError::Domain),
        }
    }
}

/// Stores an authentic event we cannot read into money (an unknown currency), flagged.
pub async fn flag_unreadable(
    pool: &PgPool,
    event_id: &str,
    event_type: &str,
    raw: &str,
    reason: Reason,
) -> Result<Applied, ApplyError> {
    let mut tx = pool.begin().await.map_err(DomainError::from)?;
    let Some(event) = webhook_event::record(&mut tx, PROVIDER, event_id, event_type, raw).await? else {
        return Ok(Applied::Duplicate);
    };
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

/// Whether an approved order names a pledge it pays as promised (read without locks; the
/// transaction checks again and flags).
async fn order_matches(pool: &PgPool, order: &Order) -> Result<bool, DomainError> {
    for hint in [order.custom_id.as_deref(), order.reference_id.as_deref()].into_iter().flatten() {
        if let Some(pledge) = find_pledge(pool, hint).await? {
            return Ok(payment::mismatch(&pledge, order.amount).is_none());
        }
    }
    Ok(false)
}

/// The pledge a hint names: a pledge id, or a creditor reference.
async fn find_pledge(pool: &PgPool, hint: &str) -> Result<Option<Pledge>, DomainError> {
    if let Ok(id) = hint.trim().parse::<PledgeId>() {
        return pledge::get(pool, id).await;
    }
    match CreditorReference::parse(hint) {
        Ok(reference) => pledge::by_reference(pool, &reference).await,
        Err(_) => Ok(None),
    }
}

async fn apply_once(
    pool: &PgPool,
    received: &Received,
    raw: &str,
    writer: &dyn PaymentWriter,
) -> Result<Applied, DomainError> {
    let mut tx = pool.begin().await?;
    let Some(event) =
        webhook_event::record(&mut tx, PROVIDER, &received.id, &received.event_type, raw).await?
    else {
        tx.rollback().await?;
        return Ok(Applied::Duplicate);
    };
    let mut ctx = Ctx { tx, event, received, writer };
    let applied = ctx.effects().await?;
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

struct Ctx<'a, 'c> {
    tx: Transaction<'c, Postgres>,
    event: WebhookEventId,
    received: &'a Received,
    writer: &'a dyn PaymentWriter,
}

/// A payment to register, read from an event.
struct Incoming<'a> {
    key: &'a str,
    aliases: Vec<&'a str>,
    hints: Vec<&'a str>,
    subscription: Option<&'a str>,
    amount: Money,
    fee_minor: Option<i64>,
}

impl Ctx<'_, '_> {
    async fn effects(&mut self) -> Result<Applied, DomainError> {
        match &self.received.action {
            Action::OrderApproved(o) => self.order_approved(o).await,
            Action::CaptureCompleted(c) => self.capture_completed(c).await,
            Action::CaptureRefunded { refund, reversed } => {
                let kind = if *reversed { AdjustmentKind::Dispute } else { AdjustmentKind::Refund };
                self.adjust(&refund.refund_id, refund.payment_id.as_deref(), kind, refund.amount).await
            }
            Action::SaleRefunded(r) => self.refunded(r).await,
            Action::SaleCompleted(s) => self.sale_completed(s).await,
            Action::DisputeCreated(d) => self.disputed(d).await,
            Action::SubscriptionActivated(s) => self.activated(s).await,
            Action::SubscriptionEnded { subscription, status } => self.ended(subscription, *status).await,
            Action::SubscriptionPaymentFailed(s) => self.payment_failed(s).await,
            Action::Unhandled => Ok(Applied::Ignored),
        }
    }

    /// Captured (or not) before the transaction; here only the check that flags a mismatch.
    async fn order_approved(&mut self, o: &Order) -> Result<Applied, DomainError> {
        let hints: Vec<&str> =
            [o.custom_id.as_deref(), o.reference_id.as_deref()].into_iter().flatten().collect();
        let details =
            || json!({ "order": o.order_id, "amount_minor": o.amount.minor, "currency": o.amount.currency });
        let pledge = match self.hinted(&hints).await? {
            Ok(p) => p,
            Err(reason) => return self.flag(reason, None, details()).await,
        };
        if let Some(reason) = payment::mismatch(&pledge, o.amount) {
            return self.flag(reason, Some(pledge.id), details()).await;
        }
        Ok(Applied::Applied)
    }

    async fn capture_completed(&mut self, c: &Capture) -> Result<Applied, DomainError> {
        if c.status != "COMPLETED" {
            return Ok(Applied::Ignored);
        }
        let incoming = Incoming {
            key: &c.capture_id,
            aliases: c.order_id.as_deref().into_iter().collect(),
            hints: c.custom_id.as_deref().into_iter().collect(),
            subscription: None,
            amount: c.amount,
            fee_minor: c.fee_minor,
        };
        self.register(&incoming).await
    }

    async fn sale_completed(&mut self, s: &Sale) -> Result<Applied, DomainError> {
        if !s.state.eq_ignore_ascii_case("completed") {
            return Ok(Applied::Ignored);
        }
        let incoming = Incoming {
            key: &s.sale_id,
            aliases: Vec::new(),
            hints: s.custom.as_deref().into_iter().collect(),
            subscription: s.subscription_id.as_deref(),
            amount: s.amount,
            fee_minor: s.fee_minor,
        };
        self.register(&incoming).await
    }

    async fn register(&mut self, incoming: &Incoming<'_>) -> Result<Applied, DomainError> {
        let keys: Vec<&str> = std::iter::once(incoming.key).chain(incoming.aliases.iter().copied()).collect();
        stripe_sync::lock_payment_keys(&mut self.tx, PROVIDER, &keys).await?;
        let pledge = match incoming.subscription {
            Some(subscription) => self.known_or_hinted(subscription, &incoming.hints).await?,
            None => self.hinted(&incoming.hints).await?,
        };
        let details = || {
            json!({ "object": incoming.key, "amount_minor": incoming.amount.minor,
                    "currency": incoming.amount.currency, "hint": incoming.hints })
        };
        let pledge = match pledge {
            Ok(pledge) => pledge,
            Err(reason) => return self.flag(reason, None, details()).await,
        };
        if let Some(reason) = payment::mismatch(&pledge, incoming.amount) {
            let mut details = details();
            details["promised_minor"] = json!(pledge.amount.minor);
            details["promised_currency"] = json!(pledge.amount.currency);
            return self.flag(reason, Some(pledge.id), details).await;
        }
        if let Some(subscription) = incoming.subscription {
            stripe_sync::link_subscription(&mut self.tx, pledge.id, PROVIDER, subscription, None).await?;
        }
        let new = NewPayment {
            provider: PROVIDER,
            object_id: incoming.key,
            aliases: &incoming.aliases,
            pledge: Some(pledge.id),
            amount: incoming.amount,
            fee_minor: incoming.fee_minor,
            booked_on: self.date(),
        };
        payment::register(&mut self.tx, ORIGIN, &new, self.writer).await?;
        Ok(Applied::Applied)
    }

    async fn refunded(&mut self, r: &Refund) -> Result<Applied, DomainError> {
        self.adjust(&r.refund_id, r.payment_id.as_deref(), AdjustmentKind::Refund, r.amount).await
    }

    async fn disputed(&mut self, d: &Dispute) -> Result<Applied, DomainError> {
        self.adjust(&d.dispute_id, d.payment_id.as_deref(), AdjustmentKind::Dispute, d.amount).await
    }

    async fn adjust(
        &mut self,
        id: &str,
        payment_key: Option<&str>,
        kind: AdjustmentKind,
        amount: Money,
    ) -> Result<Applied, DomainError> {
        let Some(key) = payment_key else {
            // Nothing names the payment: staff must find it.
            return self.flag(Reason::UnknownPledge, None, json!({ "adjustment": id })).await;
        };
        stripe_sync::lock_payment_keys(&mut self.tx, PROVIDER, &[key]).await?;
        let new = NewAdjustment { provider: PROVIDER, provider_id: id, kind, payment_key: key, amount };
        match payment::adjust(&mut self.tx, ORIGIN, &new).await? {
            Adjusted::Flagged(reason) => {
                stripe_sync::attach_adjustment_flags(&mut self.tx, self.event, id).await?;
                Ok(Applied::Flagged(reason))
            }
            Adjusted::Applied(_) | Adjusted::Waiting => Ok(Applied::Applied),
            Adjusted::Repeated => Ok(Applied::Ignored),
        }
    }

    async fn activated(&mut self, s: &Subscription) -> Result<Applied, DomainError> {
        let hints: Vec<&str> = s.custom_id.as_deref().into_iter().collect();
        let pledge = match self.known_or_hinted(&s.subscription_id, &hints).await? {
            Ok(p) => p,
            Err(reason) => {
                return self.flag(reason, None, json!({ "subscription": s.subscription_id })).await;
            }
        };
        if pledge.status == PledgeStatus::Cancelled {
            return self
                .flag(Reason::PledgeCancelled, Some(pledge.id), json!({ "subscription": s.subscription_id }))
                .await;
        }
        stripe_sync::link_subscription(&mut self.tx, pledge.id, PROVIDER, &s.subscription_id, None).await?;
        stripe_sync::set_subscription_status(
            &mut self.tx,
            pledge.id,
            PROVIDER,
            &s.subscription_id,
            "active",
            None,
        )
        .await?;
        // The new subscription collects the pledge now; every other one is cancelled.
        renewal::adopt(&mut self.tx, ORIGIN, pledge.id, Method::Paypal, &s.subscription_id).await?;
        Ok(Applied::Applied)
    }

    async fn ended(&mut self, s: &Subscription, status: EndedStatus) -> Result<Applied, DomainError> {
        let hints: Vec<&str> = s.custom_id.as_deref().into_iter().collect();
        let pledge = match self.known_or_hinted(&s.subscription_id, &hints).await? {
            Ok(p) => p,
            Err(reason) => {
                return self.flag(reason, None, json!({ "subscription": s.subscription_id })).await;
            }
        };
        stripe_sync::set_subscription_status(
            &mut self.tx,
            pledge.id,
            PROVIDER,
            &s.subscription_id,
            status.as_str(),
            None,
        )
        .await?;
        if !renewal::collects(&mut self.tx, &pledge, PROVIDER, &s.subscription_id).await? {
            // We ended it (renewed another way, or PayPal is being dropped), or it is a late
            // word about one the pledge lost: the pledge goes on.
            return Ok(Applied::Applied);
        }
        let reason = if status == EndedStatus::Suspended && s.failed_payments > 0 {
            RenewalReason::PaymentFailed
        } else {
            RenewalReason::ProviderEnded
        };
        renewal::lapse(&mut self.tx, ORIGIN, pledge.id, reason, self.writer).await?;
        Ok(Applied::Applied)
    }

    async fn payment_failed(&mut self, s: &Subscription) -> Result<Applied, DomainError> {
        let Some(pledge) =
            domain::payment::subscription::pledge_of(&mut *self.tx, PROVIDER, &s.subscription_id).await?
        else {
            return Ok(Applied::Ignored);
        };
        renewal::payment_failed(&mut self.tx, ORIGIN, pledge, self.writer).await?;
        Ok(Applied::Applied)
    }

    /// The pledge a subscription was tied to, else the one a hint names; locked.
    async fn known_or_hinted(
        &mut self,
        subscription: &str,
        hints: &[&str],
    ) -> Result<Result<Pledge, Reason>, DomainError> {
        if let Some(id) =
            domain::payment::subscription::pledge_of(&mut *self.tx, PROVIDER, subscription).await?
        {
            return Ok(pledge::lock(&mut self.tx, id).await?.ok_or(Reason::UnknownPledge));
        }
        self.hinted(hints).await
    }

    /// The first pledge a hint names (a pledge id or a creditor reference), locked.
    async fn hinted(&mut self, hints: &[&str]) -> Result<Result<Pledge, Reason>, DomainError> {
        for hint in hints {
            let id = if let Ok(id) = hint.trim().parse::<PledgeId>() {
                Some(id)
            } else if let Ok(reference) = CreditorReference::parse(hint) {
                pledge::by_reference(&mut *self.tx, &reference).await?.map(|p| p.id)
            } else {
                None
            };
            if let Some(id) = id
                && let Some(pledge) = pledge::lock(&mut self.tx, id).await?
            {
                return Ok(Ok(pledge));
            }
        }
        Ok(Err(Reason::UnknownPledge))
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

    /// The booking date: when PayPal created the event (UTC), else today.
    fn date(&self) -> Date {
        self.received.created.unwrap_or_else(OffsetDateTime::now_utc).to_offset(time::UtcOffset::UTC).date()
    }
}
