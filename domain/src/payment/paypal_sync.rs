// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! PayPal's catalog objects we reuse: the one product and the plan of each (period, currency),
//! per PayPal account (its REST client id). Created at PayPal on first use by
//! `providers::paypal::checkout` and remembered here; two processes creating the same plan at
//! once send the same `PayPal-Request-Id` and get the same plan, and the first row stored wins.
//!
//! Tests: `cargo test -p providers --test paypal plan_`.

use super::kinds::Period;
use super::money::Currency;
use crate::Result;
use sqlx::PgExecutor;

/// The product id stored for this account and name.
pub async fn product<'e>(executor: impl PgExecutor<'e>, account: &str, name: &str) -> Result<Option<String>> {
    Ok(sqlx::query_scalar!(
        r#"SELECT product_id FROM paypal_product WHERE account = $1 AND name = $2"#,
        account,
        name,
    )
    .fetch_optional(executor)
    .await?)
}

/// Stores a product id; when one is stored already, that one is kept and returned.
pub async fn save_product<'e>(
    executor: impl PgExecutor<'e>,
    account: &str,
    name: &str,
    product_id: &str,
) -> Result<String> {
    Ok(sqlx::query_scalar!(
        r#"WITH inserted AS (
               INSERT INTO paypal_product (account, name, product_id) VALUES ($1, $2, $3)
               ON CONFLICT (account, name) DO NOTHING
               RETURNING product_id)
           SELECT product_id AS "product_id!" FROM inserted
           UNION ALL
           SELECT product_id FROM paypal_product WHERE account = $1 AND name = $2
           LIMIT 1"#,
        account,
        name,
        product_id,
    )
    .fetch_one(executor)
    .await?)
}

/// The plan id stored for this account, period and currency.
pub async fn plan<'e>(
    executor: impl PgExecutor<'e>,
    account: &str,
    period: Period,
    currency: Currency,
) -> Result<Option<String>> {
    Ok(sqlx::query_scalar!(
        r#"SELECT plan_id FROM paypal_plan WHERE account = $1 AND period = $2 AND currency = $3"#,
        account,
        period as Period,
        currency.as_str(),
    )
    .fetch_optional(executor)
    .await?)
}

/// Stores a plan id; when one is stored already for this period and currency, that one is
/// kept and returned.
pub async fn save_plan<'e>(
    executor: impl PgExecutor<'e>,
    account: &str,
    period: Period,
    currency: Currency,
    product_id: &str,
    plan_id: &str,
) -> Result<String> {
    Ok(sqlx::query_scalar!(
        r#"WITH inserted AS (
               INSERT INTO paypal_plan (account, period, currency, product_id, plan_id)
               VALUES ($1, $2, $3, $4, $5)
               ON CONFLICT DO NOTHING
               RETURNING plan_id)
           SELECT plan_id AS "plan_id!" FROM inserted
           UNION ALL
           SELECT plan_id FROM paypal_plan WHERE account = $1 AND period = $2 AND currency = $3
           LIMIT 1"#,
        account,
        period as Period,
        currency.as_str(),
        product_id,
        plan_id,
    )
    .fetch_one(executor)
    .await?)
}
