// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Provider subscriptions: how a provider collects a recurring pledge. Kept apart from the
//! pledge, so losing one (a cancelled card, a lost processor) leaves the promise standing.

use super::kinds::Provider;
use crate::Result;
use crate::types::PledgeId;
use sqlx::{PgExecutor, Postgres, Transaction};

/// A provider's subscription of a pledge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub pledge: PledgeId,
    pub provider: Provider,
    pub provider_id: String,
    pub status: String,
    pub customer_id: Option<String>,
}

/// Records or updates a subscription; the first pledge it was recorded for stays its pledge
/// (metadata of later events cannot move it to another pledge).
pub async fn upsert(
    tx: &mut Transaction<'_, Postgres>,
    pledge: PledgeId,
    provider: Provider,
    provider_id: &str,
    status: &str,
    customer_id: Option<&str>,
) -> Result<PledgeId> {
    let pledge = sqlx::query_scalar!(
        r#"INSERT INTO provider_subscription (pledge_id, provider, provider_id, status, customer_id)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (provider, provider_id) DO UPDATE
             SET status = EXCLUDED.status,
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
    .await?;
    Ok(pledge)
}

/// The pledge a provider's subscription collects.
pub async fn pledge_of<'e>(
    executor: impl PgExecutor<'e>,
    provider: Provider,
    provider_id: &str,
) -> Result<Option<PledgeId>> {
    Ok(sqlx::query_scalar!(
        r#"SELECT pledge_id AS "pledge: PledgeId" FROM provider_subscription WHERE provider = $1 AND provider_id = $2"#,
        provider as Provider,
        provider_id,
    )
    .fetch_optional(executor)
    .await?)
}

/// The newest subscription of a pledge, if any.
pub async fn for_pledge<'e>(executor: impl PgExecutor<'e>, pledge: PledgeId) -> Result<Option<Subscription>> {
    let row = sqlx::query!(
        r#"SELECT pledge_id AS "pledge: PledgeId", provider AS "provider: Provider", provider_id, status, customer_id
           FROM provider_subscription WHERE pledge_id = $1 ORDER BY created_at DESC LIMIT 1"#,
        pledge as PledgeId,
    )
    .fetch_optional(executor)
    .await?;
    Ok(row.map(|r| Subscription {
        pledge: r.pledge,
        provider: r.provider,
        provider_id: r.provider_id,
        status: r.status,
        customer_id: r.customer_id,
    }))
}
