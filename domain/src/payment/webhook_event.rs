// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Webhook events: every verified delivery is stored with its outcome, in the same transaction
//! as its effects. A second delivery of one event (providers retry, and may deliver one event
//! several times at once) meets the unique key and changes nothing: concurrent deliveries wait
//! for the first to commit or roll back, then either see it done or do it themselves.

use super::kinds::Provider;
use crate::Result;
use crate::types::WebhookEventId;
use sqlx::{PgExecutor, Postgres, Transaction};

/// What became of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Its effects were applied.
    Applied,
    /// Nothing to do (an event type we do not act on, or one that changes nothing).
    Ignored,
    /// Stored, not applied: staff look at it (`payment_flag`).
    Flagged,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Applied => "applied",
            Outcome::Ignored => "ignored",
            Outcome::Flagged => "flagged",
        }
    }
}

/// Stores an event; `None` when it was stored before (a repeated delivery: do nothing).
/// The caller applies the effects in `tx`, then calls [`finish`] and commits.
pub async fn record(
    tx: &mut Transaction<'_, Postgres>,
    provider: Provider,
    event_id: &str,
    event_type: &str,
    payload: &str,
) -> Result<Option<WebhookEventId>> {
    Ok(sqlx::query_scalar!(
        r#"INSERT INTO webhook_event (provider, event_id, event_type, payload, outcome)
           VALUES ($1, $2, $3, $4, 'received')
           ON CONFLICT (provider, event_id) DO NOTHING
           RETURNING id AS "id: WebhookEventId""#,
        provider as Provider,
        event_id,
        event_type,
        payload,
    )
    .fetch_optional(&mut **tx)
    .await?)
}

/// Records the outcome of a stored event.
pub async fn finish(tx: &mut Transaction<'_, Postgres>, id: WebhookEventId, outcome: Outcome) -> Result<()> {
    sqlx::query!(
        "UPDATE webhook_event SET outcome = $2, processed_at = now() WHERE id = $1",
        id as WebhookEventId,
        outcome.as_str(),
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// How many events of a provider are stored (metrics, tests).
pub async fn count<'e>(executor: impl PgExecutor<'e>, provider: Provider) -> Result<i64> {
    Ok(sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM webhook_event WHERE provider = $1"#,
        provider as Provider
    )
    .fetch_one(executor)
    .await?)
}
