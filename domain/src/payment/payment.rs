// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Payments: every received payment, registered exactly once however often and in whatever
//! order a provider reports it, and the refunds and disputes that change it.
//!
//! A payment is keyed by its provider's object (`provider_object_id`, unique per provider);
//! other ids the provider uses for it are aliases, so a refund naming a Charge finds the
//! payment of its invoice. A refund or dispute that arrives first waits, keyed by the id it
//! names, and is applied when its payment is registered.

use super::flag::{self, Reason, Subject};
use super::kinds::{PaymentStatus, Period, PledgeStatus, Provider};
use super::money::{Currency, Money};
use super::notice::{PaymentWriter, Thanks};
use super::pledge::{self, Pledge};
use crate::audit::{self, Action, Origin};
use crate::mail::{self, MailKind, OutgoingMail};
use crate::types::{Email, Language, PaymentId, PersonId, PledgeId};
use crate::{DomainError, Result};
use serde_json::json;
use sqlx::{PgExecutor, Postgres, Transaction};
use time::Date;

/// A payment to register.
#[derive(Debug, Clone)]
pub struct NewPayment<'a> {
    pub provider: Provider,
    /// The provider's object that stands for the payment (its key).
    pub object_id: &'a str,
    /// Other ids of the same payment (a Stripe invoice's PaymentIntent and Charge).
    pub aliases: &'a [&'a str],
    pub pledge: Option<PledgeId>,
    pub amount: Money,
    pub fee_minor: Option<i64>,
    pub booked_on: Date,
}

/// What [`register`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registered {
    /// A new payment.
    New(PaymentId),
    /// This payment was registered before: nothing changed (aliases may have been added).
    Known(PaymentId),
}

impl Registered {
    pub fn id(self) -> PaymentId {
        match self {
            Registered::New(id) | Registered::Known(id) => id,
        }
    }
}

/// Whether a payment matches what its pledge promised; `Some(reason)` means: do not register,
/// flag it for staff.
pub fn mismatch(pledge: &Pledge, amount: Money) -> Option<Reason> {
    if pledge.amount.currency != amount.currency {
        Some(Reason::CurrencyMismatch)
    } else if pledge.amount.minor != amount.minor {
        Some(Reason::AmountMismatch)
    } else if pledge.status == PledgeStatus::Cancelled {
        Some(Reason::PledgeCancelled)
    } else {
        None
    }
}

/// Registers a payment once: a second call with the same provider object changes nothing.
/// A new payment of a pledge marks the pledge paid, applies refunds and disputes that arrived
/// before it, and queues the thank-you mail (when the pledge has its person).
pub async fn register(
    tx: &mut Transaction<'_, Postgres>,
    origin: Origin<'_>,
    new: &NewPayment<'_>,
    writer: &dyn PaymentWriter,
) -> Result<Registered> {
    if new.amount.minor <= 0 {
        return Err(DomainError::Invalid(crate::types::InvalidValue::new(
            crate::types::Field::Amount,
            crate::types::Problem::TooSmall,
        )));
    }
    // The pledge is locked first, so concurrent payments of one pledge update it in turn.
    let pledge = match new.pledge {
        Some(id) => Some(pledge::lock(tx, id).await?.ok_or(DomainError::NotFound("pledge"))?),
        None => None,
    };
    let inserted = sqlx::query_scalar!(
        r#"INSERT INTO payment (provider, provider_object_id, pledge_id, person_id, amount_minor, currency,
                                fee_minor, booked_on)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (provider, provider_object_id) DO NOTHING
           RETURNING id AS "id: PaymentId""#,
        new.provider as Provider,
        new.object_id,
        new.pledge as Option<PledgeId>,
        pledge.as_ref().and_then(|p| p.person) as Option<PersonId>,
        new.amount.minor,
        new.amount.currency.as_str(),
        new.fee_minor,
        new.booked_on,
    )
    .fetch_optional(&mut **tx)
    .await?;
    let (registered, id) = match inserted {
        Some(id) => (Registered::New(id), id),
        None => {
            let id = key_to_payment(&mut **tx, new.provider, new.object_id)
                .await?
                .ok_or(DomainError::NotFound("payment"))?;
            (Registered::Known(id), id)
        }
    };
    for alias in new.aliases.iter().filter(|a| !a.is_empty() && **a != new.object_id) {
        sqlx::query!(
            "INSERT INTO payment_alias (provider, alias, payment_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            new.provider as Provider,
            alias,
            id as PaymentId,
        )
        .execute(&mut **tx)
        .await?;
    }
    // Adjustments waiting for this payment, by its key or any alias (also for a known payment:
    // an alias added now may be the one a waiting refund named).
    let keys: Vec<String> =
        std::iter::once(new.object_id).chain(new.aliases.iter().copied()).map(str::to_owned).collect();
    apply_waiting(tx, new.provider, id, &keys).await?;
    if let Registered::Known(_) = registered {
        return Ok(registered);
    }
    let subject = pledge.as_ref().and_then(|p| p.person);
    audit::record(
        tx,
        origin,
        subject,
        Action::PaymentRegistered,
        json!({ "payment": id, "provider": new.provider, "object": new.object_id, "pledge": new.pledge,
                "amount_minor": new.amount.minor, "currency": new.amount.currency }),
    )
    .await?;
    if let Some(pledge) = &pledge {
        pledge::record_paid(tx, pledge, new.provider, new.booked_on).await?;
        if let Some(person) = pledge.person {
            queue_thanks(tx, person, pledge.period, Some(pledge), new.amount, new.booked_on, writer).await?;
        }
    }
    Ok(registered)
}

/// Queues the thank-you mail to a confirmed person's primary address (none if they have no
/// confirmed address: nothing goes to an unconfirmed one).
pub(crate) async fn queue_thanks(
    tx: &mut Transaction<'_, Postgres>,
    person: PersonId,
    period: Period,
    pledge: Option<&Pledge>,
    amount: Money,
    booked_on: Date,
    writer: &dyn PaymentWriter,
) -> Result<()> {
    let row = sqlx::query!(
        r#"SELECT p.display_name, p.preferred_language, e.address
           FROM person p JOIN email_address e ON e.person_id = p.id AND e.is_primary AND e.verified_at IS NOT NULL
           WHERE p.id = $1"#,
        person as PersonId,
    )
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else { return Ok(()) };
    let language = Language::try_from(row.preferred_language.as_str()).unwrap_or(Language::English);
    let thanks = Thanks {
        name: &row.display_name,
        amount,
        booked_on,
        period,
        reference: pledge.map(|p| &p.reference),
    };
    let (subject, body) = writer.thank_you(language, &thanks);
    mail::enqueue(
        tx,
        &OutgoingMail {
            kind: MailKind::ThankYou,
            person: Some(person),
            to: Email::from_db(row.address),
            subject,
            body,
        },
    )
    .await?;
    Ok(())
}

/// The payment a provider id names: its key or one of its aliases.
pub async fn key_to_payment<'e>(
    executor: impl PgExecutor<'e>,
    provider: Provider,
    key: &str,
) -> Result<Option<PaymentId>> {
    Ok(sqlx::query_scalar!(
        r#"SELECT id AS "id!: PaymentId" FROM payment WHERE provider = $1 AND provider_object_id = $2
           UNION ALL
           SELECT payment_id FROM payment_alias WHERE provider = $1 AND alias = $2
           LIMIT 1"#,
        provider as Provider,
        key,
    )
    .fetch_optional(executor)
    .await?)
}

/// A refund or a dispute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "adjustment_kind", rename_all = "snake_case")]
pub enum AdjustmentKind {
    Refund,
    Dispute,
}

/// A refund or dispute to record.
#[derive(Debug, Clone)]
pub struct NewAdjustment<'a> {
    pub provider: Provider,
    /// The provider's id of the refund or dispute (its key: recorded once).
    pub provider_id: &'a str,
    pub kind: AdjustmentKind,
    /// The id it names its payment by (a PaymentIntent, Charge or invoice).
    pub payment_key: &'a str,
    pub amount: Money,
}

/// What [`adjust`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Adjusted {
    /// Applied to its payment.
    Applied(PaymentId),
    /// Its payment is not registered yet: applied when it is.
    Waiting,
    /// Recorded before: nothing changed.
    Repeated,
    /// Recorded, not applied, flagged for staff.
    Flagged(Reason),
}

/// Records a refund or dispute once, and applies it if its payment is there.
pub async fn adjust(
    tx: &mut Transaction<'_, Postgres>,
    origin: Origin<'_>,
    new: &NewAdjustment<'_>,
) -> Result<Adjusted> {
    let inserted = sqlx::query_scalar!(
        r#"INSERT INTO payment_adjustment (provider, provider_id, kind, payment_key, amount_minor, currency)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (provider, provider_id) DO NOTHING
           RETURNING id"#,
        new.provider as Provider,
        new.provider_id,
        new.kind as AdjustmentKind,
        new.payment_key,
        new.amount.minor,
        new.amount.currency.as_str(),
    )
    .fetch_optional(&mut **tx)
    .await?;
    let Some(adjustment) = inserted else { return Ok(Adjusted::Repeated) };
    let Some(payment) = key_to_payment(&mut **tx, new.provider, new.payment_key).await? else {
        return Ok(Adjusted::Waiting);
    };
    let outcome = apply(tx, adjustment, payment).await?;
    audit::record(
        tx,
        origin,
        None,
        Action::PaymentAdjusted,
        json!({ "payment": payment, "kind": format!("{:?}", new.kind), "id": new.provider_id,
                "amount_minor": new.amount.minor, "outcome": format!("{outcome:?}") }),
    )
    .await?;
    Ok(outcome)
}

async fn apply_waiting(
    tx: &mut Transaction<'_, Postgres>,
    provider: Provider,
    payment: PaymentId,
    keys: &[String],
) -> Result<()> {
    let waiting = sqlx::query_scalar!(
        r#"SELECT id FROM payment_adjustment
           WHERE provider = $1 AND payment_key = ANY($2) AND applied_at IS NULL AND payment_id IS NULL
           ORDER BY created_at, id FOR UPDATE"#,
        provider as Provider,
        keys,
    )
    .fetch_all(&mut **tx)
    .await?;
    for adjustment in waiting {
        apply(tx, adjustment, payment).await?;
    }
    Ok(())
}

/// Applies one recorded adjustment to its payment (locked), or flags it.
async fn apply(
    tx: &mut Transaction<'_, Postgres>,
    adjustment: uuid::Uuid,
    payment: PaymentId,
) -> Result<Adjusted> {
    let row = sqlx::query!(
        r#"SELECT a.kind AS "kind: AdjustmentKind", a.amount_minor, a.currency, a.provider AS "provider: Provider",
                  a.provider_id, p.amount_minor AS payment_minor, p.currency AS payment_currency, p.refunded_minor,
                  p.pledge_id AS "pledge: PledgeId"
           FROM payment_adjustment a, payment p
           WHERE a.id = $1 AND p.id = $2
           FOR UPDATE OF p"#,
        adjustment,
        payment as PaymentId,
    )
    .fetch_one(&mut **tx)
    .await?;
    // Linked either way: a flagged adjustment is not retried by the next registration.
    sqlx::query!(
        "UPDATE payment_adjustment SET payment_id = $2 WHERE id = $1",
        adjustment,
        payment as PaymentId
    )
    .execute(&mut **tx)
    .await?;
    let flagged = |reason| {
        (
            reason,
            json!({ "adjustment": row.provider_id, "payment": payment,
        "amount_minor": row.amount_minor, "currency": row.currency, "payment_amount_minor": row.payment_minor,
        "already_refunded_minor": row.refunded_minor }),
        )
    };
    let problem = if row.currency != row.payment_currency {
        Some(flagged(Reason::AdjustmentCurrencyMismatch))
    } else if row.kind == AdjustmentKind::Refund && row.refunded_minor + row.amount_minor > row.payment_minor
    {
        Some(flagged(Reason::RefundExceedsPayment))
    } else {
        None
    };
    if let Some((reason, details)) = problem {
        let subject = Subject { pledge: row.pledge, ..Subject::default() };
        flag::raise(tx, reason, row.provider, subject, details).await?;
        return Ok(Adjusted::Flagged(reason));
    }
    match row.kind {
        AdjustmentKind::Refund => {
            sqlx::query!(
                r#"UPDATE payment SET refunded_minor = refunded_minor + $2,
                     status = CASE WHEN status = 'disputed' THEN status
                                   WHEN refunded_minor + $2 >= amount_minor THEN 'refunded'::payment_status
                                   ELSE 'partially_refunded'::payment_status END,
                     updated_at = now()
                   WHERE id = $1"#,
                payment as PaymentId,
                row.amount_minor,
            )
            .execute(&mut **tx)
            .await?;
        }
        AdjustmentKind::Dispute => {
            sqlx::query!(
                "UPDATE payment SET status = 'disputed', updated_at = now() WHERE id = $1",
                payment as PaymentId
            )
            .execute(&mut **tx)
            .await?;
        }
    }
    sqlx::query!("UPDATE payment_adjustment SET applied_at = now() WHERE id = $1", adjustment)
        .execute(&mut **tx)
        .await?;
    Ok(Adjusted::Applied(payment))
}

/// A registered payment, as pages and staff see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    pub id: PaymentId,
    pub provider: Provider,
    pub provider_object_id: String,
    pub pledge: Option<PledgeId>,
    pub person: Option<PersonId>,
    pub amount: Money,
    pub refunded_minor: i64,
    pub fee_minor: Option<i64>,
    pub status: PaymentStatus,
    pub booked_on: Date,
}

struct PaymentRow {
    id: PaymentId,
    provider: Provider,
    provider_object_id: String,
    pledge: Option<PledgeId>,
    person: Option<PersonId>,
    amount_minor: i64,
    currency: String,
    refunded_minor: i64,
    fee_minor: Option<i64>,
    status: PaymentStatus,
    booked_on: Date,
}

impl PaymentRow {
    fn into_payment(self) -> Result<Payment> {
        Ok(Payment {
            id: self.id,
            provider: self.provider,
            provider_object_id: self.provider_object_id,
            pledge: self.pledge,
            person: self.person,
            amount: Money::new(self.amount_minor, Currency::parse(&self.currency)?),
            refunded_minor: self.refunded_minor,
            fee_minor: self.fee_minor,
            status: self.status,
            booked_on: self.booked_on,
        })
    }
}

/// A person's payments, newest first.
pub async fn for_person<'e>(executor: impl PgExecutor<'e>, person: PersonId) -> Result<Vec<Payment>> {
    let rows = sqlx::query_as!(
        PaymentRow,
        r#"SELECT id AS "id: PaymentId", provider AS "provider: Provider", provider_object_id,
                  pledge_id AS "pledge: PledgeId", person_id AS "person: PersonId", amount_minor, currency,
                  refunded_minor, fee_minor, status AS "status: PaymentStatus", booked_on
           FROM payment WHERE person_id = $1 ORDER BY booked_on DESC, created_at DESC"#,
        person as PersonId,
    )
    .fetch_all(executor)
    .await?;
    rows.into_iter().map(PaymentRow::into_payment).collect()
}

/// A pledge's payments, newest first (also before the pledge joins its person).
pub async fn for_pledge<'e>(executor: impl PgExecutor<'e>, pledge: PledgeId) -> Result<Vec<Payment>> {
    let rows = sqlx::query_as!(
        PaymentRow,
        r#"SELECT id AS "id: PaymentId", provider AS "provider: Provider", provider_object_id,
                  pledge_id AS "pledge: PledgeId", person_id AS "person: PersonId", amount_minor, currency,
                  refunded_minor, fee_minor, status AS "status: PaymentStatus", booked_on
           FROM payment WHERE pledge_id = $1 ORDER BY booked_on DESC, created_at DESC"#,
        pledge as PledgeId,
    )
    .fetch_all(executor)
    .await?;
    rows.into_iter().map(PaymentRow::into_payment).collect()
}

/// Marks a payment failed (a one-off checkout whose asynchronous payment failed after it was
/// recorded). Unknown keys change nothing.
pub async fn mark_failed(tx: &mut Transaction<'_, Postgres>, provider: Provider, key: &str) -> Result<bool> {
    let Some(id) = key_to_payment(&mut **tx, provider, key).await? else { return Ok(false) };
    let changed = sqlx::query!(
        "UPDATE payment SET status = 'failed', updated_at = now() WHERE id = $1 AND status = 'received'",
        id as PaymentId
    )
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(changed == 1)
}
