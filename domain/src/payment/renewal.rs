// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Pledges that outlive their collector. A processor ending a subscription the supporter did
//! not cancel (a card expired or replaced, repeated failures, the organisation dropping the
//! processor) does not end the promise: the pledge *needs renewal* ([`lapse`]), and its
//! supporter gets a mail with a `RenewPledge` command link to a page where they choose a way
//! to pay again ([`perform`], or [`adopt`] when a provider confirms a new subscription). The
//! pledge keeps its id, reference and payments throughout.
//!
//! Nobody is charged twice for one pledge: whenever a pledge gets a new way to pay, every other
//! provider subscription of it is due for cancellation today ([`due_cancellations`]; a
//! scheduled job calls the provider and records [`cancelled`]), and a subscription we cancel
//! ourselves never ends the pledge when its provider reports it ended ([`is_superseded`]).
//!
//! Bank transfers have no collector to tell us they stopped: a payment overdue by a grace
//! period sends one friendly reminder per due date ([`send_reminders`]). A failed payment
//! opens an episode with one mail ([`payment_failed`]); the next payment closes it.

use super::kinds::{Method, PledgeStatus, Provider, RenewalReason};
use super::notice::{PaymentFailedNotice, PaymentWriter, PledgeSummary, ReminderNotice, RenewalNotice};
use super::pledge::{self, Pledge};
use super::subscription::Subscription;
use crate::Result;
use crate::audit::{self, Action, Actor, Origin};
use crate::command_link::{self, Command, Refusal};
use crate::mail::{self, MailKind, OutgoingMail};
use crate::types::{Email, Language, PersonId, PledgeId};
use serde_json::json;
use sqlx::{PgExecutor, PgPool, Postgres, Transaction};
use time::{Date, OffsetDateTime};

/// A confirmed person's name, language and primary address: where the money half's mails go.
struct Recipient {
    name: String,
    language: Language,
    address: Email,
}

async fn recipient(tx: &mut Transaction<'_, Postgres>, person: PersonId) -> Result<Option<Recipient>> {
    let row = sqlx::query!(
        r#"SELECT p.display_name, p.preferred_language, e.address
           FROM person p JOIN email_address e ON e.person_id = p.id AND e.is_primary AND e.verified_at IS NOT NULL
           WHERE p.id = $1"#,
        person as PersonId,
    )
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(|r| Recipient {
        name: r.display_name,
        language: Language::try_from(r.preferred_language.as_str()).unwrap_or(Language::English),
        address: Email::from_db(r.address),
    }))
}

fn summary(pledge: &Pledge) -> PledgeSummary {
    PledgeSummary {
        amount: pledge.amount,
        period: pledge.period,
        method: pledge.method,
        reference: pledge.reference.clone(),
    }
}

async fn send(
    tx: &mut Transaction<'_, Postgres>,
    kind: MailKind,
    person: PersonId,
    to: Email,
    (subject, body): crate::registration::Written,
) -> Result<()> {
    mail::enqueue(tx, &OutgoingMail { kind, person: Some(person), to, subject, body }).await?;
    Ok(())
}

/// The collection of a recurring pledge stopped without its supporter asking: the pledge needs
/// renewal and its supporter (if they have a confirmed address) gets the renewal mail. A
/// cancelled pledge, a one-off gift and a pledge that needs renewal already stay as they are
/// (no second mail). Returns the pledge's status afterwards, `None` for an unknown pledge.
pub async fn lapse(
    tx: &mut Transaction<'_, Postgres>,
    origin: Origin<'_>,
    id: PledgeId,
    reason: RenewalReason,
    writer: &dyn PaymentWriter,
) -> Result<Option<PledgeStatus>> {
    let Some(pledge) = pledge::lock(tx, id).await? else { return Ok(None) };
    if pledge.status == PledgeStatus::Cancelled
        || pledge.status == PledgeStatus::NeedsRenewal
        || !pledge.period.is_recurring()
    {
        return Ok(Some(pledge.status));
    }
    let mailed = match pledge.person {
        Some(person) => match recipient(tx, person).await? {
            Some(to) => {
                let token = command_link::issue(tx, person, &Command::RenewPledge { pledge: id }).await?;
                let written = writer.renewal(
                    to.language,
                    &RenewalNotice { name: &to.name, pledge: &summary(&pledge), reason, token: &token },
                );
                send(tx, MailKind::RenewPledge, person, to.address, written).await?;
                true
            }
            None => false,
        },
        None => false,
    };
    sqlx::query!(
        r#"UPDATE pledge SET status = 'needs_renewal', renewal_reason = $2, failing_since = NULL,
                  renewal_requested_at = CASE WHEN $3 THEN now() ELSE NULL END, updated_at = now()
           WHERE id = $1"#,
        id as PledgeId,
        reason as RenewalReason,
        mailed,
    )
    .execute(&mut **tx)
    .await?;
    audit::record(
        tx,
        origin,
        pledge.person,
        Action::PledgeNeedsRenewal,
        json!({ "pledge": id, "reason": reason, "mailed": mailed }),
    )
    .await?;
    Ok(Some(PledgeStatus::NeedsRenewal))
}

/// A provider failed to collect a payment of an active pledge (it will retry): the first
/// failure of an episode mails the supporter a link to update their card or switch method;
/// later failures of the same episode mail nothing. The next payment ends the episode.
/// Returns whether a mail was queued.
pub async fn payment_failed(
    tx: &mut Transaction<'_, Postgres>,
    origin: Origin<'_>,
    id: PledgeId,
    writer: &dyn PaymentWriter,
) -> Result<bool> {
    let Some(pledge) = pledge::lock(tx, id).await? else { return Ok(false) };
    let opened = sqlx::query_scalar!(
        r#"UPDATE pledge SET failing_since = now(), updated_at = now()
           WHERE id = $1 AND failing_since IS NULL AND status = 'active' RETURNING id"#,
        id as PledgeId,
    )
    .fetch_optional(&mut **tx)
    .await?
    .is_some();
    if !opened {
        return Ok(false);
    }
    let mut mailed = false;
    if let Some(person) = pledge.person
        && let Some(to) = recipient(tx, person).await?
    {
        let token = command_link::issue(tx, person, &Command::RenewPledge { pledge: id }).await?;
        let written = writer.payment_failed(
            to.language,
            &PaymentFailedNotice { name: &to.name, pledge: &summary(&pledge), token: &token },
        );
        send(tx, MailKind::PaymentFailed, person, to.address, written).await?;
        mailed = true;
    }
    audit::record(
        tx,
        origin,
        pledge.person,
        Action::PaymentFailed,
        json!({ "pledge": id, "mailed": mailed }),
    )
    .await?;
    Ok(mailed)
}

/// Whether a pledge can be renewed, and why not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RenewRefused {
    #[error("not this person's pledge")]
    NotYours,
    #[error("the pledge was cancelled")]
    Cancelled,
    #[error("a one-off gift cannot be renewed")]
    NotRecurring,
}

/// The checks every way of renewing shares: the person's, recurring, not cancelled. A pledge
/// that is active may be renewed too (a failing card, a switch of method).
pub fn check(pledge: &Pledge, person: PersonId) -> std::result::Result<(), RenewRefused> {
    if pledge.person != Some(person) {
        Err(RenewRefused::NotYours)
    } else if pledge.status == PledgeStatus::Cancelled {
        Err(RenewRefused::Cancelled)
    } else if !pledge.period.is_recurring() {
        Err(RenewRefused::NotRecurring)
    } else {
        Ok(())
    }
}

/// Why following a renewal link did not renew.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkRefused {
    /// The link itself is unknown, expired or used.
    Link(Refusal),
    /// Not a renewal link.
    OtherCommand,
    /// The pledge cannot be renewed.
    Pledge(RenewRefused),
}

/// What a renewal link shows (GET): the pledge, checked, without using the link.
pub async fn show<'e>(
    executor: impl PgExecutor<'e> + Copy,
    token: &str,
) -> Result<std::result::Result<(PersonId, Pledge), LinkRefused>> {
    let link = match command_link::peek(executor, token).await? {
        Ok(link) => link,
        Err(refusal) => return Ok(Err(LinkRefused::Link(refusal))),
    };
    let Command::RenewPledge { pledge } = link.command else { return Ok(Err(LinkRefused::OtherCommand)) };
    let Some(pledge) = pledge::get(executor, pledge).await? else {
        return Ok(Err(LinkRefused::Pledge(RenewRefused::NotYours)));
    };
    match check(&pledge, link.person) {
        Ok(()) => Ok(Ok((link.person, pledge))),
        Err(refused) => Ok(Err(LinkRefused::Pledge(refused))),
    }
}

/// What a supporter chose on the renewal page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// Pay by bank transfer from now on: done at once (the link is used).
    BankTransfer,
    /// Pay through a provider (Stripe, PayPal): the caller starts its checkout for this pledge;
    /// the pledge changes when the provider confirms ([`adopt`]), which also spends the link.
    /// Until then the link stays usable, so an abandoned checkout can be tried again.
    Provider(Method),
}

/// What [`perform`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Renewed {
    /// The pledge is paid by bank transfer now (show its transfer details); `superseded` are the
    /// subscriptions due for cancellation today (the caller may cancel them at once; the
    /// scheduled job does otherwise).
    BankTransfer { person: PersonId, pledge: Pledge, superseded: Vec<Subscription> },
    /// Start the provider's checkout for this pledge.
    Checkout { person: PersonId, pledge: Pledge },
}

/// Follows a renewal link with the supporter's choice (POST).
pub async fn perform(
    pool: &PgPool,
    token: &str,
    choice: Choice,
) -> Result<std::result::Result<Renewed, LinkRefused>> {
    if let Choice::Provider(method) = choice
        && method != Method::BankTransfer
    {
        // Nothing changes yet: the provider's confirmation does it.
        return Ok(show(pool, token).await?.map(|(person, pledge)| Renewed::Checkout { person, pledge }));
    }
    let mut tx = pool.begin().await?;
    let link = match command_link::redeem(&mut tx, token).await? {
        Ok(link) => link,
        Err(refusal) => return Ok(Err(LinkRefused::Link(refusal))),
    };
    let Command::RenewPledge { pledge: id } = link.command else { return Ok(Err(LinkRefused::OtherCommand)) };
    let actor = Actor::Person(link.person);
    let origin = Origin { actor: &actor, source: "renewal link" };
    match switch_to_bank_transfer(&mut tx, origin, link.person, id).await? {
        Ok((pledge, superseded)) => {
            tx.commit().await?;
            Ok(Ok(Renewed::BankTransfer { person: link.person, pledge, superseded }))
        }
        // Dropping the transaction leaves the link unused.
        Err(refused) => Ok(Err(LinkRefused::Pledge(refused))),
    }
}

/// A logged-in supporter (or a renewal link) switches a pledge to bank transfer: it is active
/// again, due today if it was overdue, and every provider subscription of it is due for
/// cancellation today.
pub async fn switch_to_bank_transfer(
    tx: &mut Transaction<'_, Postgres>,
    origin: Origin<'_>,
    person: PersonId,
    id: PledgeId,
) -> Result<std::result::Result<(Pledge, Vec<Subscription>), RenewRefused>> {
    let Some(before) = pledge::lock(tx, id).await? else { return Ok(Err(RenewRefused::NotYours)) };
    if let Err(refused) = check(&before, person) {
        return Ok(Err(refused));
    }
    sqlx::query!(
        r#"UPDATE pledge SET method = 'bank_transfer', status = 'active', renewal_reason = NULL,
                  failing_since = NULL, reminded_for = NULL,
                  next_expected_on = GREATEST(COALESCE(next_expected_on, current_date), current_date),
                  updated_at = now()
           WHERE id = $1"#,
        id as PledgeId,
    )
    .execute(&mut **tx)
    .await?;
    let superseded = supersede(tx, id, None).await?;
    void_links(tx, person, id).await?;
    audit::record(
        tx,
        origin,
        Some(person),
        Action::PledgeRenewed,
        json!({ "pledge": id, "from": before.method, "to": Method::BankTransfer, "superseded": superseded.len() }),
    )
    .await?;
    let pledge = pledge::get(&mut **tx, id).await?.ok_or(crate::DomainError::NotFound("pledge"))?;
    Ok(Ok((pledge, superseded)))
}

/// A provider confirmed a new subscription (a finished checkout, an activated PayPal
/// subscription) for an existing pledge: the pledge is paid that way now and active again;
/// every other subscription of it is due for cancellation today, and the supporter's renewal
/// links for it are spent. Returns the superseded subscriptions.
pub async fn adopt(
    tx: &mut Transaction<'_, Postgres>,
    origin: Origin<'_>,
    id: PledgeId,
    method: Method,
    subscription: &str,
) -> Result<Vec<Subscription>> {
    let Some(before) = pledge::lock(tx, id).await? else { return Ok(Vec::new()) };
    if before.status == PledgeStatus::Cancelled {
        return Ok(Vec::new());
    }
    sqlx::query!(
        r#"UPDATE pledge SET method = $2,
                  status = CASE WHEN status = 'needs_renewal' THEN 'active'::pledge_status ELSE status END,
                  renewal_reason = NULL, failing_since = NULL, updated_at = now()
           WHERE id = $1"#,
        id as PledgeId,
        method as Method,
    )
    .execute(&mut **tx)
    .await?;
    let superseded = supersede(tx, id, Some((method.provider(), subscription))).await?;
    if let Some(person) = before.person {
        void_links(tx, person, id).await?;
    }
    if before.method != method || before.status == PledgeStatus::NeedsRenewal || !superseded.is_empty() {
        audit::record(
            tx,
            origin,
            before.person,
            Action::PledgeRenewed,
            json!({ "pledge": id, "from": before.method, "to": method, "subscription": subscription,
                    "superseded": superseded.len() }),
        )
        .await?;
    }
    Ok(superseded)
}

/// Marks every subscription of a pledge except `keep` that is not ended or cancelled by us for
/// cancellation today; returns them.
async fn supersede(
    tx: &mut Transaction<'_, Postgres>,
    pledge: PledgeId,
    keep: Option<(Provider, &str)>,
) -> Result<Vec<Subscription>> {
    let (keep_provider, keep_id) = keep.map_or((None, None), |(p, id)| (Some(p), Some(id)));
    let rows = sqlx::query_as!(
        Subscription,
        r#"UPDATE provider_subscription SET cancel_on = LEAST(COALESCE(cancel_on, current_date), current_date),
                  updated_at = now()
           WHERE pledge_id = $1 AND cancelled_at IS NULL
             AND status NOT IN ('canceled', 'cancelled', 'incomplete_expired', 'expired')
             AND NOT (provider IS NOT DISTINCT FROM $2 AND provider_id IS NOT DISTINCT FROM $3)
           RETURNING pledge_id AS "pledge: PledgeId", provider AS "provider: Provider", provider_id, status,
                     customer_id"#,
        pledge as PledgeId,
        keep_provider as Option<Provider>,
        keep_id,
    )
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows)
}

/// Spends the person's unused renewal links of this pledge (it is renewed).
async fn void_links(tx: &mut Transaction<'_, Postgres>, person: PersonId, pledge: PledgeId) -> Result<()> {
    sqlx::query!(
        r#"UPDATE command_link SET uses_left = 0
           WHERE person_id = $1 AND kind = 'renew_pledge' AND uses_left > 0 AND payload->>'pledge' = $2"#,
        person as PersonId,
        pledge.to_string(),
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Whether we asked for this subscription to end (superseded by a renewal, or a dropped
/// processor): its provider reporting it ended then changes nothing about the pledge.
pub async fn is_superseded<'e>(
    executor: impl PgExecutor<'e>,
    provider: Provider,
    provider_id: &str,
) -> Result<bool> {
    Ok(sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM provider_subscription
                          WHERE provider = $1 AND provider_id = $2 AND cancel_on IS NOT NULL) AS "superseded!""#,
        provider as Provider,
        provider_id,
    )
    .fetch_one(executor)
    .await?)
}

/// Subscriptions of `provider` due for cancellation by `today` and not yet cancelled, oldest
/// first, at most `limit`.
pub async fn due_cancellations<'e>(
    executor: impl PgExecutor<'e>,
    provider: Provider,
    today: Date,
    limit: i64,
) -> Result<Vec<Subscription>> {
    let rows = sqlx::query_as!(
        Subscription,
        r#"SELECT pledge_id AS "pledge: PledgeId", provider AS "provider: Provider", provider_id, status, customer_id
           FROM provider_subscription
           WHERE provider = $1 AND cancel_on <= $2 AND cancelled_at IS NULL
           ORDER BY cancel_on, created_at LIMIT $3"#,
        provider as Provider,
        today,
        limit,
    )
    .fetch_all(executor)
    .await?;
    Ok(rows)
}

/// Records that the provider confirmed cancelling a subscription we asked to end (also when
/// it had ended already). Returns whether anything changed.
pub async fn cancelled(pool: &PgPool, provider: Provider, provider_id: &str) -> Result<bool> {
    let mut tx = pool.begin().await?;
    let row = sqlx::query!(
        r#"UPDATE provider_subscription SET cancelled_at = now(), updated_at = now()
           WHERE provider = $1 AND provider_id = $2 AND cancel_on IS NOT NULL AND cancelled_at IS NULL
           RETURNING pledge_id AS "pledge: PledgeId""#,
        provider as Provider,
        provider_id,
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else { return Ok(false) };
    audit::record(
        &mut tx,
        Origin { actor: &Actor::System, source: "scheduler" },
        None,
        Action::SubscriptionCancelled,
        json!({ "pledge": row.pledge, "provider": provider, "subscription": provider_id }),
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Sends the one reminder of every bank-transfer pledge whose payment is overdue by `grace`
/// days on `today`, one per due date, in batches. Returns how many were mailed.
pub async fn send_reminders(
    pool: &PgPool,
    today: Date,
    grace: time::Duration,
    writer: &dyn PaymentWriter,
) -> Result<u64> {
    let due_by = today - grace;
    let mut mailed = 0;
    loop {
        let mut tx = pool.begin().await?;
        // SKIP LOCKED: a payment being registered for one of these is left for the next run.
        let due = sqlx::query!(
            r#"SELECT id AS "id: PledgeId", next_expected_on AS "due!" FROM pledge
               WHERE status = 'active' AND method = 'bank_transfer' AND period <> 'once'
                 AND next_expected_on <= $1 AND reminded_for IS DISTINCT FROM next_expected_on
               ORDER BY next_expected_on LIMIT 200 FOR UPDATE SKIP LOCKED"#,
            due_by,
        )
        .fetch_all(&mut *tx)
        .await?;
        if due.is_empty() {
            return Ok(mailed);
        }
        for row in due {
            let Some(pledge) = pledge::get(&mut *tx, row.id).await? else { continue };
            let mut sent = false;
            if let Some(person) = pledge.person
                && let Some(to) = recipient(&mut tx, person).await?
            {
                let written = writer.transfer_reminder(
                    to.language,
                    &ReminderNotice { name: &to.name, pledge: &summary(&pledge), due_on: row.due },
                );
                send(&mut tx, MailKind::TransferReminder, person, to.address, written).await?;
                sent = true;
                mailed += 1;
            }
            sqlx::query!(
                "UPDATE pledge SET reminded_for = next_expected_on, updated_at = now() WHERE id = $1",
                row.id as PledgeId,
            )
            .execute(&mut *tx)
            .await?;
            audit::record(
                &mut tx,
                Origin { actor: &Actor::System, source: "scheduler" },
                pledge.person,
                Action::TransferReminded,
                json!({ "pledge": row.id, "due_on": row.due, "mailed": sent }),
            )
            .await?;
        }
        tx.commit().await?;
    }
}

/// A pledge staff should look at: it needs renewal, or its transfer is overdue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lapsed {
    pub pledge: Pledge,
    /// Why it needs renewal; `None` for an overdue bank transfer.
    pub reason: Option<RenewalReason>,
    pub renewal_requested_at: Option<OffsetDateTime>,
    /// When a transfer reminder was sent for the current due date.
    pub reminded_for: Option<Date>,
}

/// Every pledge that needs renewal, and every bank-transfer pledge overdue by `grace` on
/// `today`, oldest first.
pub async fn lapsed<'e>(
    executor: impl PgExecutor<'e> + Copy,
    today: Date,
    grace: time::Duration,
) -> Result<Vec<Lapsed>> {
    let rows = sqlx::query!(
        r#"SELECT id AS "id: PledgeId", renewal_reason AS "reason: RenewalReason", renewal_requested_at, reminded_for
           FROM pledge
           WHERE status = 'needs_renewal'
              OR (status = 'active' AND method = 'bank_transfer' AND period <> 'once' AND next_expected_on <= $1)
           ORDER BY COALESCE(next_expected_on, created_at::date), id"#,
        today - grace,
    )
    .fetch_all(executor)
    .await?;
    let mut lapsed = Vec::with_capacity(rows.len());
    for row in rows {
        if let Some(pledge) = pledge::get(executor, row.id).await? {
            lapsed.push(Lapsed {
                pledge,
                reason: row.reason,
                renewal_requested_at: row.renewal_requested_at,
                reminded_for: row.reminded_for,
            });
        }
    }
    Ok(lapsed)
}

/// What [`migrate`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Migrated {
    /// Pledges marked as needing renewal in this run.
    pub marked: u64,
    /// Of those, how many got the renewal mail (the others have no confirmed address).
    pub mailed: u64,
    /// Pledges of that provider marked by an earlier run and not renewed yet.
    pub waiting: u64,
}

/// The organisation drops a processor: every active recurring pledge paid through `from`
/// needs renewal and its supporter gets the mail; its subscriptions are cancelled on
/// `cancel_on` (or, if `None`, when the supporter renews). Runs in batches, each committed:
/// stopping half-way and running again goes on where it stopped, and a second run marks
/// nothing twice.
pub async fn migrate(
    pool: &PgPool,
    origin: Origin<'_>,
    from: Method,
    cancel_on: Option<Date>,
    writer: &dyn PaymentWriter,
) -> Result<Migrated> {
    let mut report = Migrated::default();
    loop {
        let mut tx = pool.begin().await?;
        let batch = sqlx::query_scalar!(
            r#"SELECT id AS "id: PledgeId" FROM pledge
               WHERE method = $1 AND status = 'active' AND period <> 'once'
               ORDER BY created_at, id LIMIT 200 FOR UPDATE SKIP LOCKED"#,
            from as Method,
        )
        .fetch_all(&mut *tx)
        .await?;
        if batch.is_empty() {
            break;
        }
        for id in batch {
            lapse(&mut tx, origin, id, RenewalReason::ProviderDropped, writer).await?;
            report.marked += 1;
            if sqlx::query_scalar!(
                r#"SELECT renewal_requested_at IS NOT NULL AS "m!" FROM pledge WHERE id = $1"#,
                id as PledgeId
            )
            .fetch_one(&mut *tx)
            .await?
            {
                report.mailed += 1;
            }
            if let Some(date) = cancel_on {
                sqlx::query!(
                    r#"UPDATE provider_subscription SET cancel_on = $2, updated_at = now()
                       WHERE pledge_id = $1 AND provider = $3 AND cancelled_at IS NULL AND cancel_on IS NULL"#,
                    id as PledgeId,
                    date,
                    from.provider() as Provider,
                )
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
    }
    let waiting = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM pledge
           WHERE method = $1 AND status = 'needs_renewal' AND renewal_reason = 'provider_dropped'"#,
        from as Method,
    )
    .fetch_one(pool)
    .await?;
    report.waiting = u64::try_from(waiting).unwrap_or(0).saturating_sub(report.marked);
    Ok(report)
}

/// What the renewal page says about a pledge beyond [`Pledge`]: why it needs renewal, and
/// whether a payment of it is failing now (an open episode of [`payment_failed`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenewalState {
    /// Set while the pledge needs renewal.
    pub reason: Option<RenewalReason>,
    /// When the current failure episode began; `None` when payments go through.
    pub failing_since: Option<OffsetDateTime>,
}

/// The renewal state of a pledge; `None` for an unknown pledge.
pub async fn state<'e>(executor: impl PgExecutor<'e>, id: PledgeId) -> Result<Option<RenewalState>> {
    let row = sqlx::query!(
        r#"SELECT renewal_reason AS "reason: RenewalReason", failing_since FROM pledge WHERE id = $1"#,
        id as PledgeId,
    )
    .fetch_optional(executor)
    .await?;
    Ok(row.map(|r| RenewalState { reason: r.reason, failing_since: r.failing_since }))
}

/// Whether `provider_id` is what collects the pledge now: not superseded by us, of the
/// pledge's method, and its newest subscription. Only the current collector ending says
/// anything about the pledge; a late event about a subscription the pledge lost (renewed
/// another way, or by a newer subscription) changes nothing.
pub async fn collects(
    tx: &mut Transaction<'_, Postgres>,
    pledge: &Pledge,
    provider: Provider,
    provider_id: &str,
) -> Result<bool> {
    if provider.method() != Some(pledge.method) || is_superseded(&mut **tx, provider, provider_id).await? {
        return Ok(false);
    }
    let newest = super::subscription::for_pledge(&mut **tx, pledge.id).await?;
    Ok(newest.is_some_and(|s| s.provider == provider && s.provider_id == provider_id))
}
