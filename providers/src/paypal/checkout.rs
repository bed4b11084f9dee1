// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Starting a PayPal gift for a pledge: an order for a one-off gift, a subscription for a
//! monthly or yearly one. The product and the plan of each (period, currency) are created at
//! PayPal on first use and remembered in the database (`domain::payment::paypal_sync`), with
//! deterministic `PayPal-Request-Id`s, so two processes doing it at once get the same ones.
//!
//! Tests: `cargo test -p providers --test paypal checkout_`.

use super::client::{Client, ClientError, Created, OrderRequest, SubscriptionRequest};
use domain::DomainError;
use domain::payment::pledge::Pledge;
use domain::payment::{Currency, Money, Period, paypal_sync};
use sqlx::PgPool;

/// The name of the one catalog product every PayPal subscription is of.
pub const PRODUCT_NAME: &str = "Donation";

#[derive(Debug, thiserror::Error)]
pub enum CheckoutError {
    #[error("PayPal refused or did not answer")]
    Paypal(#[from] ClientError),
    #[error("the PayPal plan could not be stored")]
    Domain(#[from] DomainError),
}

/// The approve link of a new order for a one-off pledge (the same order for the same pledge).
pub async fn start_order(
    client: &Client,
    pledge: &Pledge,
    description: &str,
    return_url: &str,
    cancel_url: &str,
) -> Result<Created, CheckoutError> {
    let pledge_id = pledge.id.to_string();
    let order = OrderRequest {
        pledge_id: &pledge_id,
        reference: pledge.reference.as_str(),
        amount: pledge.amount,
        description,
        return_url,
        cancel_url,
    };
    Ok(client.create_order(&order).await?)
}

/// The approve link of a new subscription for a recurring pledge. `request_id` makes it once:
/// the same id gets the same subscription back.
pub async fn start_subscription(
    pool: &PgPool,
    client: &Client,
    pledge: &Pledge,
    return_url: &str,
    cancel_url: &str,
    request_id: &str,
) -> Result<Created, CheckoutError> {
    let plan = plan_for(pool, client, pledge.period, pledge.amount.currency).await?;
    let request = SubscriptionRequest {
        plan_id: &plan,
        reference: pledge.reference.as_str(),
        amount: pledge.amount,
        return_url,
        cancel_url,
        request_id,
    };
    Ok(client.create_subscription(&request).await?)
}

/// The plan of a period and currency: stored, else created (with the product, if needed).
pub async fn plan_for(
    pool: &PgPool,
    client: &Client,
    period: Period,
    currency: Currency,
) -> Result<String, CheckoutError> {
    let account = client.account();
    if let Some(plan) = paypal_sync::plan(pool, account, period, currency).await? {
        return Ok(plan);
    }
    let product = match paypal_sync::product(pool, account, PRODUCT_NAME).await? {
        Some(product) => product,
        None => {
            let created = client.create_product(PRODUCT_NAME, "cdb-product-donation-v1").await?;
            paypal_sync::save_product(pool, account, PRODUCT_NAME, &created).await?
        }
    };
    // A nominal one-unit price; every subscription overrides it with the donor's amount.
    let nominal = Money::major(1, currency).unwrap_or(Money::new(1, currency));
    let request_id = format!("cdb-plan-{}-{}-{}-v1", product, period.as_str(), currency.as_str());
    let created = client.create_plan(&product, period, nominal, &request_id).await?;
    Ok(paypal_sync::save_plan(pool, account, period, currency, &product, &created).await?)
}
