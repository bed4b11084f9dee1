// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! PayPal's side of giving: where the donate form (`routes::donate`, the `paypal` method) and
//! the renewal pages send a donor, and where PayPal sends them back.
//!
//! - [`start`]: a one-off pledge gets an order (the same order for the same pledge), a monthly
//!   or yearly one a subscription on the plan of its period and currency with the donor's
//!   amount; the answer is PayPal's approve link.
//! - `GET /donate/paypal/return` ([`returned`]): back from PayPal. An approved order of the
//!   pledge named is captured (idempotent: the `CHECKOUT.ORDER.APPROVED` webhook may have done
//!   it, and does it anyway for a donor who closes the tab), then `/donate/thanks`. The money is
//!   booked by the capture's webhook, never by this page. A subscription needs nothing here:
//!   PayPal's `BILLING.SUBSCRIPTION.ACTIVATED` and `PAYMENT.SALE.COMPLETED` do it. This GET only
//!   finishes what the payer approved at PayPal; an order of another pledge, or one not
//!   approved, is left alone.
//! - [`renewal_checkout`], [`cancel_subscription`]: for the renewal pages and jobs.
//!
//! Tests: `cargo test -p server --test web donate_paypal`.

use app::ssr::AppState;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use domain::payment::pledge::Pledge;
use domain::types::PledgeId;
use providers::paypal::checkout;
use providers::paypal::client::Captured;

/// Where PayPal sends a donor back: the return and cancel URLs of a pledge.
fn urls(state: &AppState, pledge: &Pledge) -> (String, String) {
    let origin = &state.public_origin;
    (
        format!("{origin}/donate/paypal/return?pledge={}", pledge.id),
        format!("{origin}/donate/cancelled?pledge={}", pledge.id),
    )
}

/// The approve link of a new pledge's order or subscription, or `None` (logged) when PayPal is
/// not set up or cannot be reached; the pledge then stays pending and unpaid.
pub async fn start(state: &AppState, pledge: &Pledge) -> Option<String> {
    let Some(setup) = &state.paypal else {
        tracing::error!("payments.methods offers paypal, but PayPal is not set up");
        return None;
    };
    let (return_url, cancel_url) = urls(state, pledge);
    let created = if pledge.period.is_recurring() {
        // One pledge, one subscription: a retried request gets the same one back.
        let request_id = format!("cdb-subscription-{}", pledge.id);
        checkout::start_subscription(
            &state.pool,
            &setup.client,
            pledge,
            &return_url,
            &cancel_url,
            &request_id,
        )
        .await
    } else {
        let description = format!("{} ({})", state.site.organisation, pledge.reference.as_str());
        checkout::start_order(&setup.client, pledge, &description, &return_url, &cancel_url).await
    };
    match created {
        Ok(created) => {
            tracing::info!(pledge = %pledge.id, paypal = %created.id, "sent to PayPal");
            Some(created.approve_url)
        }
        Err(error) => {
            tracing::error!(%error, pledge = %pledge.id, "could not start a PayPal checkout");
            None
        }
    }
}

/// A new PayPal subscription for an existing recurring pledge (a renewal); its approve link,
/// or `None` (logged). Each call makes a new subscription; the pledge adopts it when PayPal
/// reports it active, and every other subscription of it is then cancelled.
pub async fn renewal_checkout(
    state: &AppState,
    pledge: &Pledge,
    return_url: &str,
    cancel_url: &str,
) -> Option<String> {
    let Some(setup) = &state.paypal else {
        tracing::error!("a PayPal renewal was asked for, but PayPal is not set up");
        return None;
    };
    if !pledge.period.is_recurring() {
        return None;
    }
    let request_id = format!("cdb-renewal-{}-{}", pledge.id, uuid::Uuid::new_v4());
    match checkout::start_subscription(
        &state.pool,
        &setup.client,
        pledge,
        return_url,
        cancel_url,
        &request_id,
    )
    .await
    {
        Ok(created) => {
            tracing::info!(pledge = %pledge.id, paypal = %created.id, "renewal sent to PayPal");
            Some(created.approve_url)
        }
        Err(error) => {
            tracing::error!(%error, pledge = %pledge.id, "could not start a PayPal renewal");
            None
        }
    }
}

/// Cancels a PayPal subscription (a superseded one, or the supporter ending the pledge). One
/// cancelled or expired already is no error. The error text names PayPal's status, no secret.
pub async fn cancel_subscription(state: &AppState, id: &str) -> Result<(), String> {
    let Some(setup) = &state.paypal else {
        return Err("PayPal is not set up (payments.methods without paypal)".into());
    };
    setup.client.cancel_subscription(id, "Cancelled by the organisation").await.map_err(|e| e.to_string())
}

#[derive(Debug, serde::Deserialize)]
pub struct ReturnQuery {
    pledge: Option<String>,
    /// The order id (PayPal appends it as `token`).
    token: Option<String>,
    subscription_id: Option<String>,
}

/// `GET /donate/paypal/return?pledge=…&token=…`: see the module docs. Always ends on a page:
/// `/donate/thanks` when the pledge is named, else `/donate`.
#[tracing::instrument(name = "donate.paypal_return", skip_all)]
pub async fn returned(State(state): State<AppState>, Query(query): Query<ReturnQuery>) -> Response {
    let Some(pledge) = query.pledge.as_deref().and_then(|p| p.parse::<PledgeId>().ok()) else {
        return Redirect::to("/donate").into_response();
    };
    let thanks = Redirect::to(&format!("/donate/thanks?pledge={pledge}")).into_response();
    if query.subscription_id.is_some() {
        return thanks;
    }
    let (Some(setup), Some(order)) = (&state.paypal, query.token.as_deref()) else {
        return thanks;
    };
    match setup.client.get_order(order).await {
        Ok(info) if info.reference_id.as_deref() == Some(pledge.to_string().as_str()) => {
            if info.status == "APPROVED" {
                match setup.client.capture_order(order).await {
                    Ok(Captured::Captured { status, .. }) => {
                        tracing::info!(%status, %pledge, "PayPal order captured")
                    }
                    Ok(other) => tracing::info!(?other, %pledge, "PayPal order not captured here"),
                    // The webhook captures it later.
                    Err(error) => tracing::warn!(%error, %pledge, "PayPal capture on return failed"),
                }
            }
        }
        Ok(_) => tracing::warn!(%pledge, "PayPal return names an order of another pledge; left alone"),
        Err(error) => tracing::warn!(%error, %pledge, "PayPal order look-up on return failed"),
    }
    thanks
}
