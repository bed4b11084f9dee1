// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Pledges: what a supporter promised (amount, currency, period, method), apart from the
//! provider subscription that collects it (`subscription`), so a pledge outlives a cancelled
//! card or a lost processor.
//!
//! A visitor's pledge has no person until the giver confirms their address; payments that
//! arrive before wait with the pledge and join the person with it ([`join`]).

use super::kinds::{EndedBy, Method, Period, PledgeStatus, Provider};
use super::money::{Currency, Money};
use super::notice::PaymentWriter;
use super::reference::CreditorReference;
use crate::audit::{self, Action, Origin};
use crate::types::{PersonId, PledgeId, Referrer};
use crate::{DomainError, Result};
use serde_json::json;
use sqlx::{PgExecutor, Postgres, Transaction};
use time::{Date, OffsetDateTime};

/// A stored pledge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pledge {
    pub id: PledgeId,
    pub person: Option<PersonId>,
    pub amount: Money,
    pub period: Period,
    pub method: Method,
    pub status: PledgeStatus,
    pub reference: CreditorReference,
    pub starts_on: Date,
    pub next_expected_on: Option<Date>,
    pub ended_by: Option<EndedBy>,
    pub created_at: OffsetDateTime,
}

/// A pledge to create.
#[derive(Debug, Clone)]
pub struct NewPledge {
    pub person: Option<PersonId>,
    pub amount: Money,
    pub period: Period,
    pub method: Method,
    pub referrer: Option<Referrer>,
}

struct Row {
    id: PledgeId,
    person_id: Option<PersonId>,
    amount_minor: i64,
    currency: String,
    period: Period,
    method: Method,
    status: PledgeStatus,
    reference: String,
    starts_on: Date,
    next_expected_on: Option<Date>,
    ended_by: Option<EndedBy>,
    created_at: OffsetDateTime,
}

impl Row {
    fn into_pledge(self) -> Result<Pledge> {
        Ok(Pledge {
            id: self.id,
            person: self.person_id,
            amount: Money::new(self.amount_minor, Currency::parse(&self.currency)?),
            period: self.period,
            method: self.method,
            status: self.status,
            reference: CreditorReference::from_db(self.reference),
            starts_on: self.starts_on,
            next_expected_on: self.next_expected_on,
            ended_by: self.ended_by,
            created_at: self.created_at,
        })
    }
}

/// Creates a pending pledge with a fresh creditor reference.
pub async fn create(
    tx: &mut Transaction<'_, Postgres>,
    origin: Origin<'_>,
    new: &NewPledge,
) -> Result<Pledge> {
    // A random reference can collide (1 in 10^12 per pledge); try again rather than fail.
    for _ in 0..5 {
        let reference = CreditorReference::generate();
        let row = sqlx::query_as!(
            Row,
            r#"INSERT INTO pledge (person_id, amount_minor, currency, period, method, reference, referrer)
               VALUES ($1, $2, $3, $4, $5, $6, $7)
               ON CONFLICT (reference) DO NOTHING
               RETURNING id AS "id: PledgeId", person_id AS "person_id: PersonId", amount_minor,
                         currency, period AS "period: Period", method AS "method: Method",
                         status AS "status: PledgeStatus", reference, starts_on, next_expected_on,
                         ended_by AS "ended_by: EndedBy", created_at"#,
            new.person as Option<PersonId>,
            new.amount.minor,
            new.amount.currency.as_str(),
            new.period as Period,
            new.method as Method,
            reference.as_str(),
            new.referrer.as_ref().map(|r| r.as_str()),
        )
        .fetch_optional(&mut **tx)
        .await?;
        if let Some(row) = row {
            let pledge = row.into_pledge()?;
            audit::record(
                tx,
                origin,
                pledge.person,
                Action::PledgeCreated,
                json!({ "pledge": pledge.id, "amount_minor": pledge.amount.minor,
                        "currency": pledge.amount.currency, "period": pledge.period, "method": pledge.method }),
            )
            .await?;
            return Ok(pledge);
        }
    }
    Err(DomainError::Conflict("payment reference"))
}

/// One pledge.
pub async fn get<'e>(executor: impl PgExecutor<'e>, id: PledgeId) -> Result<Option<Pledge>> {
    let row = sqlx::query_as!(
        Row,
        r#"SELECT id AS "id: PledgeId", person_id AS "person_id: PersonId", amount_minor, currency,
                  period AS "period: Period", method AS "method: Method", status AS "status: PledgeStatus",
                  reference, starts_on, next_expected_on, ended_by AS "ended_by: EndedBy", created_at
           FROM pledge WHERE id = $1"#,
        id as PledgeId,
    )
    .fetch_optional(executor)
    .await?;
    row.map(Row::into_pledge).transpose()
}

/// One pledge, locked for the rest of the transaction (concurrent payments of one pledge then
/// update it one after the other).
pub async fn lock(tx: &mut Transaction<'_, Postgres>, id: PledgeId) -> Result<Option<Pledge>> {
    let row = sqlx::query_as!(
        Row,
        r#"SELECT id AS "id: PledgeId", person_id AS "person_id: PersonId", amount_minor, currency,
                  period AS "period: Period", method AS "method: Method", status AS "status: PledgeStatus",
                  reference, starts_on, next_expected_on, ended_by AS "ended_by: EndedBy", created_at
           FROM pledge WHERE id = $1 FOR UPDATE"#,
        id as PledgeId,
    )
    .fetch_optional(&mut **tx)
    .await?;
    row.map(Row::into_pledge).transpose()
}

/// The pledge a bank transfer's reference names.
pub async fn by_reference<'e>(
    executor: impl PgExecutor<'e>,
    reference: &CreditorReference,
) -> Result<Option<Pledge>> {
    let row = sqlx::query_as!(
        Row,
        r#"SELECT id AS "id: PledgeId", person_id AS "person_id: PersonId", amount_minor, currency,
                  period AS "period: Period", method AS "method: Method", status AS "status: PledgeStatus",
                  reference, starts_on, next_expected_on, ended_by AS "ended_by: EndedBy", created_at
           FROM pledge WHERE reference = $1"#,
        reference.as_str(),
    )
    .fetch_optional(executor)
    .await?;
    row.map(Row::into_pledge).transpose()
}

/// A person's pledges, newest first.
pub async fn for_person<'e>(executor: impl PgExecutor<'e>, person: PersonId) -> Result<Vec<Pledge>> {
    let rows = sqlx::query_as!(
        Row,
        r#"SELECT id AS "id: PledgeId", person_id AS "person_id: PersonId", amount_minor, currency,
                  period AS "period: Period", method AS "method: Method", status AS "status: PledgeStatus",
                  reference, starts_on, next_expected_on, ended_by AS "ended_by: EndedBy", created_at
           FROM pledge WHERE person_id = $1 ORDER BY created_at DESC, id"#,
        person as PersonId,
    )
    .fetch_all(executor)
    .await?;
    rows.into_iter().map(Row::into_pledge).collect()
}

/// Gives a pledge to its person (their address is now confirmed); the payments that arrived
/// before join too. `false` when the pledge belongs to someone already (nothing changes).
/// Queues no mail: [`join_and_thank`] is what a confirmation does.
pub async fn join(
    tx: &mut Transaction<'_, Postgres>,
    origin: Origin<'_>,
    pledge: PledgeId,
    person: PersonId,
) -> Result<bool> {
    Ok(join_payments(tx, origin, pledge, person).await?.is_some())
}

/// Like [`join`], and thanks the person for each payment that arrived before: they were not
/// thanked then, because nobody had confirmed the address.
pub async fn join_and_thank(
    tx: &mut Transaction<'_, Postgres>,
    origin: Origin<'_>,
    pledge: PledgeId,
    person: PersonId,
    writer: &dyn PaymentWriter,
) -> Result<bool> {
    let Some(early) = join_payments(tx, origin, pledge, person).await? else { return Ok(false) };
    if early.is_empty() {
        return Ok(true);
    }
    let Some(joined) = get(&mut **tx, pledge).await? else { return Ok(true) };
    for (amount, booked_on) in early {
        super::payment::queue_thanks(tx, person, joined.period, Some(&joined), amount, booked_on, writer)
            .await?;
    }
    Ok(true)
}

/// Joins the pledge and its early payments; `None` when it had a person already. Returns the
/// early payments (amount, booking date), oldest first.
async fn join_payments(
    tx: &mut Transaction<'_, Postgres>,
    origin: Origin<'_>,
    pledge: PledgeId,
    person: PersonId,
) -> Result<Option<Vec<(Money, Date)>>> {
    let joined = sqlx::query!(
        "UPDATE pledge SET person_id = $2, updated_at = now() WHERE id = $1 AND person_id IS NULL",
        pledge as PledgeId,
        person as PersonId,
    )
    .execute(&mut **tx)
    .await?
    .rows_affected()
        == 1;
    if !joined {
        return Ok(None);
    }
    let rows = sqlx::query!(
        r#"UPDATE payment SET person_id = $2, updated_at = now()
           WHERE pledge_id = $1 AND person_id IS NULL AND status = 'received'
           RETURNING amount_minor, currency, booked_on"#,
        pledge as PledgeId,
        person as PersonId,
    )
    .fetch_all(&mut **tx)
    .await?;
    // Refunded or failed early payments join too, but are not thanked for.
    sqlx::query!(
        "UPDATE payment SET person_id = $2, updated_at = now() WHERE pledge_id = $1 AND person_id IS NULL",
        pledge as PledgeId,
        person as PersonId,
    )
    .execute(&mut **tx)
    .await?;
    let mut early = rows
        .into_iter()
        .map(|r| Ok((Money::new(r.amount_minor, Currency::parse(&r.currency)?), r.booked_on)))
        .collect::<Result<Vec<_>>>()?;
    early.sort_by_key(|(_, date)| *date);
    audit::record(
        tx,
        origin,
        Some(person),
        Action::PledgeJoined,
        json!({ "pledge": pledge, "payments": early.len() }),
    )
    .await?;
    Ok(Some(early))
}

/// Marks a pledge paid on `paid_on` through `provider`: a pending pledge becomes active (a
/// one-off gift is then complete), a recurring one expects its next payment a period later,
/// and an open failed-payment episode ends. A pledge that needs renewal is active again when
/// the payment came the pledge's own way (a retried card that went through), but not when the
/// organisation is dropping that processor: the supporter still has to choose a new way.
pub(crate) async fn record_paid(
    tx: &mut Transaction<'_, Postgres>,
    pledge: &Pledge,
    provider: Provider,
    paid_on: Date,
) -> Result<()> {
    let next = pledge.period.next_after(paid_on);
    let revives = pledge.status == PledgeStatus::NeedsRenewal && provider.method() == Some(pledge.method);
    sqlx::query!(
        r#"UPDATE pledge SET
             status = CASE WHEN status = 'pending' THEN 'active'::pledge_status
                           WHEN status = 'needs_renewal' AND $3 AND renewal_reason <> 'provider_dropped'
                             THEN 'active'::pledge_status
                           ELSE status END,
             renewal_reason = CASE WHEN status = 'needs_renewal' AND $3 AND renewal_reason <> 'provider_dropped'
                                   THEN NULL ELSE renewal_reason END,
             failing_since = NULL,
             next_expected_on = CASE WHEN $2::date IS NULL THEN NULL
                                     ELSE GREATEST(COALESCE(next_expected_on, $2::date), $2::date) END,
             updated_at = now()
           WHERE id = $1"#,
        pledge.id as PledgeId,
        next,
        revives,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Why a change of a pledge was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ChangeRefused {
    #[error("not this person's pledge")]
    NotYours,
    #[error("only recurring pledges can be changed")]
    NotRecurring,
    #[error("the pledge has ended")]
    Ended,
}

/// Changes the amount or period of a person's recurring pledge (the caller updates the
/// provider's subscription first, in the same request).
pub async fn change(
    tx: &mut Transaction<'_, Postgres>,
    origin: Origin<'_>,
    person: PersonId,
    id: PledgeId,
    amount: Money,
    period: Period,
) -> Result<std::result::Result<Pledge, ChangeRefused>> {
    let Some(pledge) = lock(tx, id).await? else { return Ok(Err(ChangeRefused::NotYours)) };
    if pledge.person != Some(person) {
        return Ok(Err(ChangeRefused::NotYours));
    }
    if !pledge.period.is_recurring() || !period.is_recurring() {
        return Ok(Err(ChangeRefused::NotRecurring));
    }
    if pledge.status == PledgeStatus::Cancelled {
        return Ok(Err(ChangeRefused::Ended));
    }
    sqlx::query!(
        "UPDATE pledge SET amount_minor = $2, currency = $3, period = $4, updated_at = now() WHERE id = $1",
        id as PledgeId,
        amount.minor,
        amount.currency.as_str(),
        period as Period,
    )
    .execute(&mut **tx)
    .await?;
    audit::record(
        tx,
        origin,
        Some(person),
        Action::PledgeChanged,
        json!({ "pledge": id, "from": { "amount_minor": pledge.amount.minor, "period": pledge.period },
                "to": { "amount_minor": amount.minor, "currency": amount.currency, "period": period } }),
    )
    .await?;
    Ok(get(&mut **tx, id).await?.ok_or(ChangeRefused::NotYours))
}

/// Ends a pledge. `EndedBy::Provider` does not cancel: the promise stands and the pledge
/// needs renewal (a new card, another method) unless the supporter had cancelled it already;
/// `renewal::lapse` does that and mails the supporter, which is what a provider's report
/// should use.
/// Returns the new status, or `None` for an unknown pledge.
pub async fn end(
    tx: &mut Transaction<'_, Postgres>,
    origin: Origin<'_>,
    id: PledgeId,
    by: EndedBy,
) -> Result<Option<PledgeStatus>> {
    let Some(pledge) = lock(tx, id).await? else { return Ok(None) };
    if pledge.status == PledgeStatus::Cancelled {
        return Ok(Some(PledgeStatus::Cancelled));
    }
    let status = match by {
        EndedBy::Provider if pledge.period.is_recurring() => PledgeStatus::NeedsRenewal,
        // A one-off gift's collection ending (a checkout expired) leaves it as it was.
        EndedBy::Provider => return Ok(Some(pledge.status)),
        EndedBy::Supporter | EndedBy::Staff => PledgeStatus::Cancelled,
    };
    sqlx::query!(
        r#"UPDATE pledge SET status = $2, ended_by = $3,
                  ended_at = CASE WHEN $2 = 'cancelled'::pledge_status THEN now() ELSE NULL END,
                  renewal_reason = CASE WHEN $2 = 'needs_renewal'::pledge_status
                                        THEN COALESCE(renewal_reason, 'provider_ended') ELSE NULL END,
                  updated_at = now()
           WHERE id = $1"#,
        id as PledgeId,
        status as PledgeStatus,
        by as EndedBy,
    )
    .execute(&mut **tx)
    .await?;
    audit::record(
        tx,
        origin,
        pledge.person,
        Action::PledgeEnded,
        json!({ "pledge": id, "by": by, "status": status }),
    )
    .await?;
    Ok(Some(status))
}
