// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The supporter app's periodic jobs, run by `hosting::scheduler` once per schedule however
//! many instances run: pruning expired command links and sessions, the one reminder of an
//! overdue transfer, and cancelling the provider subscriptions a renewal superseded.

use crate::routes::renew;
use app::mails::Writer;
use app::ssr::AppState;
use domain::payment::{Provider, renewal};
use hosting::config::Settings;
use hosting::scheduler::Job;
use std::time::Duration;
use tower_sessions::ExpiredDeletion;
use tower_sessions_sqlx_store::PostgresStore;

/// How often an instance looks for due jobs.
pub const LOOK_EVERY: Duration = Duration::from_secs(30);

/// Subscriptions cancelled per run and provider: a migration of thousands spreads over runs.
const CANCEL_BATCH: i64 = 100;

pub fn all(state: &AppState, settings: &Settings) -> Vec<Job> {
    let grace = time::Duration::days(i64::from(settings.payments.reminder_grace_days));
    let writer =
        Writer { organisation: state.site.organisation.clone(), origin: state.public_origin.clone() };
    let (pool, sessions, reminders, cancel) =
        (state.pool.clone(), state.pool.clone(), state.clone(), state.clone());
    vec![
        hosting::mail::prune_job(state.pool.clone()),
        Job::new("command_links_prune", Duration::from_secs(3600), move || {
            let pool = pool.clone();
            async move {
                let deleted = domain::command_link::prune(&pool).await.map_err(|e| e.to_string())?;
                Ok(format!("{deleted} expired command links deleted"))
            }
        }),
        Job::new("sessions_prune", Duration::from_secs(300), move || {
            let store = PostgresStore::new(sessions.clone());
            async move {
                store.delete_expired().await.map_err(|e| e.to_string())?;
                Ok("expired sessions deleted".to_owned())
            }
        }),
        Job::new("transfer_reminders", Duration::from_secs(3600), move || {
            let (state, writer) = (reminders.clone(), writer.clone());
            async move {
                let today = time::OffsetDateTime::now_utc().date();
                let mailed = renewal::send_reminders(&state.pool, today, grace, &writer)
                    .await
                    .map_err(|e| e.to_string())?;
                Ok(format!("{mailed} transfer reminders"))
            }
        }),
        Job::new("superseded_subscriptions", Duration::from_secs(300), move || {
            let state = cancel.clone();
            async move { cancel_superseded(&state).await }
        }),
    ]
}

/// Cancels, at each provider, the subscriptions due for cancellation (superseded by a renewal,
/// or of a processor being dropped), and records each confirmed one. A failure leaves the rest
/// for the next run.
async fn cancel_superseded(state: &AppState) -> Result<String, String> {
    let today = time::OffsetDateTime::now_utc().date();
    let (mut done, mut failed) = (0, 0);
    let offered = [(Provider::Stripe, state.stripe.is_some()), (Provider::Paypal, state.paypal.is_some())];
    for (provider, _) in offered.into_iter().filter(|(_, set_up)| *set_up) {
        let due = renewal::due_cancellations(&state.pool, provider, today, CANCEL_BATCH)
            .await
            .map_err(|e| e.to_string())?;
        for subscription in due {
            if let Err(error) = renew::cancel_at_provider(state, provider, &subscription.provider_id).await {
                tracing::warn!(%error, %provider, subscription = subscription.provider_id, "could not cancel a superseded subscription");
                failed += 1;
                continue;
            }
            renewal::cancelled(&state.pool, provider, &subscription.provider_id)
                .await
                .map_err(|e| e.to_string())?;
            done += 1;
        }
    }
    if failed > 0 {
        return Err(format!("{done} subscriptions cancelled, {failed} failed (retried next run)"));
    }
    Ok(format!("{done} subscriptions cancelled"))
}
