// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Flags: money that was stored but not applied, because it did not match what was promised.
//! Nothing flagged changes a pledge or a payment until staff resolve it (`cdb-admin payments
//! flagged`, `resolve`).

use super::kinds::Provider;
use crate::Result;
use crate::audit::{self, Action, Origin};
use crate::types::{EntryId, FlagId, PledgeId, WebhookEventId};
use serde_json::{Value, json};
use sqlx::{PgExecutor, Postgres, Transaction};
use time::OffsetDateTime;

/// Why something was not applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// The pledge named (metadata, reference) does not exist.
    UnknownPledge,
    /// The pledge named belongs to another person than the payer.
    OtherPersonsPledge,
    /// Paid in another currency than promised.
    CurrencyMismatch,
    /// Paid another amount than promised.
    AmountMismatch,
    /// A refund larger than what is left of its payment.
    RefundExceedsPayment,
    /// A refund or dispute in another currency than its payment.
    AdjustmentCurrencyMismatch,
    /// A payment on a pledge that was cancelled.
    PledgeCancelled,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::UnknownPledge => "unknown_pledge",
            Reason::OtherPersonsPledge => "other_persons_pledge",
            Reason::CurrencyMismatch => "currency_mismatch",
            Reason::AmountMismatch => "amount_mismatch",
            Reason::RefundExceedsPayment => "refund_exceeds_payment",
            Reason::AdjustmentCurrencyMismatch => "adjustment_currency_mismatch",
            Reason::PledgeCancelled => "pledge_cancelled",
        }
    }
}

/// What a flag points at.
#[derive(Debug, Clone, Copy, Default)]
pub struct Subject {
    pub webhook_event: Option<WebhookEventId>,
    pub entry: Option<EntryId>,
    pub pledge: Option<PledgeId>,
}

/// Raises a flag in the caller's transaction.
pub async fn raise(
    tx: &mut Transaction<'_, Postgres>,
    reason: Reason,
    provider: Provider,
    subject: Subject,
    details: Value,
) -> Result<FlagId> {
    tracing::warn!(reason = reason.as_str(), provider = provider.as_str(), "payment flagged for staff");
    Ok(sqlx::query_scalar!(
        r#"INSERT INTO payment_flag (reason, provider, webhook_event_id, entry_id, pledge_id, details)
           VALUES ($1, $2, $3, $4, $5, $6) RETURNING id AS "id: FlagId""#,
        reason.as_str(),
        provider as Provider,
        subject.webhook_event as Option<WebhookEventId>,
        subject.entry as Option<EntryId>,
        subject.pledge as Option<PledgeId>,
        details,
    )
    .fetch_one(&mut **tx)
    .await?)
}

/// A flag, as staff see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Flag {
    pub id: FlagId,
    pub reason: String,
    pub provider: Provider,
    pub webhook_event: Option<WebhookEventId>,
    pub entry: Option<EntryId>,
    pub pledge: Option<PledgeId>,
    pub details: Value,
    pub created_at: OffsetDateTime,
    pub resolved_at: Option<OffsetDateTime>,
    pub resolution: Option<String>,
}

/// Flags not yet resolved, oldest first.
pub async fn open<'e>(executor: impl PgExecutor<'e>) -> Result<Vec<Flag>> {
    let rows = sqlx::query!(
        r#"SELECT id AS "id: FlagId", reason, provider AS "provider: Provider",
                  webhook_event_id AS "webhook_event: WebhookEventId", entry_id AS "entry: EntryId",
                  pledge_id AS "pledge: PledgeId", details, created_at, resolved_at, resolution
           FROM payment_flag WHERE resolved_at IS NULL ORDER BY created_at, id"#
    )
    .fetch_all(executor)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Flag {
            id: r.id,
            reason: r.reason,
            provider: r.provider,
            webhook_event: r.webhook_event,
            entry: r.entry,
            pledge: r.pledge,
            details: r.details,
            created_at: r.created_at,
            resolved_at: r.resolved_at,
            resolution: r.resolution,
        })
        .collect())
}

/// Settles a flag with a note saying what staff did. `false` if it was unknown or settled.
pub async fn resolve(
    tx: &mut Transaction<'_, Postgres>,
    origin: Origin<'_>,
    id: FlagId,
    resolution: &str,
) -> Result<bool> {
    let resolver = match origin.actor {
        audit::Actor::Staff(name) | audit::Actor::Service(name) => name.clone(),
        audit::Actor::Person(id) => id.to_string(),
        audit::Actor::System => "system".into(),
    };
    let done = sqlx::query!(
        r#"UPDATE payment_flag SET resolved_at = now(), resolved_by = $2, resolution = $3
           WHERE id = $1 AND resolved_at IS NULL"#,
        id as FlagId,
        resolver,
        resolution,
    )
    .execute(&mut **tx)
    .await?
    .rows_affected()
        == 1;
    if done {
        audit::record(
            tx,
            origin,
            None,
            Action::FlagResolved,
            json!({ "flag": id, "resolution": resolution }),
        )
        .await?;
    }
    Ok(done)
}
