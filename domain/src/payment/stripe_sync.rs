// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The few queries applying a provider's webhook event needs beyond the rules of
//! [`super::payment`] and [`super::subscription`]: knowing a delivery was seen, serialising the
//! registrations and refunds that name one payment, remembering the ids a refund found its
//! payment by, the payer's person, and subscription states that tolerate events arriving out of
//! order. Used by `providers::stripe::apply`.
//!
//! Tests: `cargo test -p server --test web stripe` (through the webhook route).

use super::kinds::Provider;
use crate::Result;
use crate::types::{PaymentId, PersonId, PledgeId, WebhookEventId};
use sqlx::{PgExecutor, Postgres, Transaction};

/// Whether an event was stored (committed) before: a repeated delivery needs nothing else.
/// A cheap look before the transaction; [`super::webhook_event::record`] stays the real check.
pub async fn is_recorded<'e>(
    executor: impl PgExecutor<'e>,
    provider: Provider,
    event_id: &str,
) -> Result<bool> {
    Ok(sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM webhook_event WHERE provider = $1 AND event_id = $2) AS "seen!""#,
        provider as Provider,
        event_id,
    )
    .fetch_one(executor)
    .await?)
}

/// Takes a transaction-long lock on each id a payment may be known by (its key and aliases),
/// in sorted order. A registration and a refund of one payment then run one after the other:
/// without it, a refund could look for its payment while the registration is uncommitted, and
/// the registration look for waiting refunds while the refund is uncommitted, and neither
/// would apply it (READ COMMITTED sees neither side's rows).
pub async fn lock_payment_keys(
    tx: &mut Transaction<'_, Postgres>,
    provider: Provider,
    keys: &[&str],
) -> Result<()> {
    let mut keys: Vec<String> =
        keys.iter().filter(|k| !k.is_empty()).map(|k| format!("{}:{k}", provider.as_str())).collect();
    if keys.is_empty() {
        return Ok(());
    }
    keys.sort_unstable();
    keys.dedup();
    // One round trip; `unnest` keeps the array's (sorted) order, so two transactions never take
    // the same two locks in opposite order.
    sqlx::query!(
        r#"SELECT count(pg_advisory_xact_lock(hashtextextended(k, 7311))) AS "n!" FROM unnest($1::text[]) AS k"#,
        &keys,
    )
    .fetch_one(&mut **tx)
    .await?;
    Ok(())
}

/// Adds ids the provider also names a payment by (a Stripe invoice's PaymentIntent and Charge,
/// learnt from its API when a refund named them), so the next refund or dispute finds the
/// payment without asking. An id that is already a key or alias stays what it was. Returns
/// how many were added. Call it holding [`lock_payment_keys`] of these ids.
pub async fn add_aliases(
    tx: &mut Transaction<'_, Postgres>,
    provider: Provider,
    payment: PaymentId,
    aliases: &[&str],
) -> Result<u64> {
    let aliases: Vec<String> =
        aliases.iter().filter(|a| !a.is_empty() && a.len() <= 255).map(|a| (*a).to_owned()).collect();
    if aliases.is_empty() {
        return Ok(0);
    }
    Ok(sqlx::query!(
        r#"INSERT INTO payment_alias (provider, alias, payment_id)
           SELECT $1, a, $2 FROM unnest($3::text[]) AS a
           WHERE NOT EXISTS (SELECT 1 FROM payment p WHERE p.provider = $1 AND p.provider_object_id = a)
           ON CONFLICT DO NOTHING"#,
        provider as Provider,
        payment as PaymentId,
        &aliases,
    )
    .execute(&mut **tx)
    .await?
    .rows_affected())
}

/// The persons a provider's customer is known to be: through the pledges its subscriptions
/// collect (`via_customer`), and through a confirmed address equal to the payer's email.
pub async fn payer_persons<'e>(
    executor: impl PgExecutor<'e>,
    provider: Provider,
    customer_id: Option<&str>,
    email: Option<&str>,
) -> Result<Vec<(PersonId, bool)>> {
    if customer_id.is_none() && email.is_none() {
        return Ok(Vec::new());
    }
    let rows = sqlx::query!(
        r#"SELECT pl.person_id AS "person!: PersonId", true AS "via_customer!"
           FROM provider_subscription s JOIN pledge pl ON pl.id = s.pledge_id
           WHERE s.provider = $1 AND s.customer_id = $2 AND pl.person_id IS NOT NULL
           UNION
           SELECT person_id, false FROM email_address
           WHERE lower(address) = lower($3) AND verified_at IS NOT NULL"#,
        provider as Provider,
        customer_id,
        email,
    )
    .fetch_all(executor)
    .await?;
    Ok(rows.into_iter().map(|r| (r.person, r.via_customer)).collect())
}

/// Ties a provider's subscription to its pledge without touching its state (a payment or a
/// finished checkout says nothing about the subscription's state now). A new row starts
/// `active`; the first pledge stays its pledge. Returns the pledge the subscription collects.
pub async fn link_subscription(
    tx: &mut Transaction<'_, Postgres>,
    pledge: PledgeId,
    provider: Provider,
    provider_id: &str,
    customer_id: Option<&str>,
) -> Result<PledgeId> {
    Ok(sqlx::query_scalar!(
        r#"INSERT INTO provider_subscription (pledge_id, provider, provider_id, status, customer_id)
           VALUES ($1, $2, $3, 'active', $4)
           ON CONFLICT (provider, provider_id) DO UPDATE
             SET customer_id = COALESCE(provider_subscription.customer_id, EXCLUDED.customer_id)
           RETURNING pledge_id AS "pledge: PledgeId""#,
        pledge as PledgeId,
        provider as Provider,
        provider_id,
        customer_id,
    )
    .fetch_one(&mut **tx)
    .await?)
}

/// Records a subscription's state as the provider reported it. An ended subscription
/// (`canceled`, `incomplete_expired`: Stripe never revives those) keeps that state, so an
/// older update delivered after the deletion cannot bring it back. Returns the pledge.
pub async fn set_subscription_status(
    tx: &mut Transaction<'_, Postgres>,
    pledge: PledgeId,
    provider: Provider,
    provider_id: &str,
    status: &str,
    customer_id: Option<&str>,
) -> Result<PledgeId> {
    Ok(sqlx::query_scalar!(
        r#"INSERT INTO provider_subscription (pledge_id, provider, provider_id, status, customer_id)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (provider, provider_id) DO UPDATE
             SET status = CASE WHEN provider_subscription.status IN ('canceled', 'incomplete_expired')
                               THEN provider_subscription.status ELSE EXCLUDED.status END,
                 customer_id = COALESCE(EXCLUDED.customer_id, provider_subscription.customer_id),
                 updated_at = now()
           RETURNING pledge_id AS "pledge: PledgeId""#,
        pledge as PledgeId,
        provider as Provider,
        provider_id,
        status,
        customer_id,
    )
    .fetch_one(&mut **tx)
    .await?)
}

/// Points the flags a refund or dispute raised in this transaction (the domain raises them
/// without knowing the event) at the event that carried it.
pub async fn attach_adjustment_flags(
    tx: &mut Transaction<'_, Postgres>,
    event: WebhookEventId,
    adjustment_id: &str,
) -> Result<u64> {
    Ok(sqlx::query!(
        r#"UPDATE payment_flag SET webhook_event_id = $1
           WHERE webhook_event_id IS NULL AND entry_id IS NULL AND resolved_at IS NULL
             AND details->>'adjustment' = $2"#,
        event as WebhookEventId,
        adjustment_id,
    )
    .execute(&mut **tx)
    .await?
    .rows_affected())
}
