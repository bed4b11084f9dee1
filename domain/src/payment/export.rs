// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The payments of a date range for the accountant (`cdb-admin payments export`), as a stream:
//! rows are read from PostgreSQL as they arrive and handed on one by one, so a year of
//! payments never sits in memory (the caller writes each row out before taking the next).

use super::kinds::{PaymentStatus, Provider};
use super::money::{Currency, Money};
use crate::Result;
use crate::types::PaymentId;
use futures_util::{Stream, StreamExt};
use sqlx::PgPool;
use time::Date;

/// One payment as the accountant sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportRow {
    pub booked_on: Date,
    pub provider: Provider,
    pub payment: PaymentId,
    /// The provider's key of the payment (PaymentIntent, invoice, bank reference, receipt).
    pub provider_object_id: String,
    pub amount: Money,
    /// Refunded so far, in the payment's currency.
    pub refunded: Money,
    /// The provider's fee, where it told us (Stripe); zero for cash; `None` when unknown.
    pub fee: Option<Money>,
    pub status: PaymentStatus,
    pub supporter_number: Option<i64>,
    pub name: Option<String>,
    pub pledge_reference: Option<String>,
    /// How it was paid: `cash`/`cheque`/`other` for payments recorded by hand, else the
    /// pledge's method (`bank_transfer`, `stripe`, `paypal`), else the provider's.
    pub method: Option<String>,
}

impl ExportRow {
    /// What the organisation kept of the donor's money: the amount less refunds; nothing for
    /// a failed payment. Fees are a separate column (they are an expense, not a refund).
    pub fn net(&self) -> Money {
        let minor =
            if self.status == PaymentStatus::Failed { 0 } else { self.amount.minor - self.refunded.minor };
        Money::new(minor, self.amount.currency)
    }
}

/// Every payment booked from `from` to `to` (both included), of one provider or all, in
/// booking order. The query's rows are decoded as PostgreSQL sends them; nothing is collected.
pub fn stream(
    pool: &PgPool,
    from: Date,
    to: Date,
    provider: Option<Provider>,
) -> impl Stream<Item = Result<ExportRow>> + Send + '_ {
    sqlx::query!(
        r#"SELECT p.booked_on, p.provider AS "provider: Provider", p.id AS "id: PaymentId", p.provider_object_id,
                  p.amount_minor, p.currency, p.refunded_minor, p.fee_minor, p.status AS "status: PaymentStatus",
                  pe.supporter_number AS "supporter_number?", pe.display_name AS "name?",
                  pl.reference AS "pledge_reference?", COALESCE(p.manual_method::text, pl.method::text) AS method
           FROM payment p
           LEFT JOIN person pe ON pe.id = p.person_id
           LEFT JOIN pledge pl ON pl.id = p.pledge_id
           WHERE p.booked_on BETWEEN $1 AND $2 AND ($3::payment_provider IS NULL OR p.provider = $3)
           ORDER BY p.booked_on, p.provider, p.created_at, p.id"#,
        from,
        to,
        provider as Option<Provider>,
    )
    .fetch(pool)
    .map(|row| {
        let row = row?;
        let currency = Currency::parse(&row.currency)?;
        let method = row.method.or_else(|| row.provider.method().map(|m| m.as_str().to_owned()));
        Ok(ExportRow {
            booked_on: row.booked_on,
            provider: row.provider,
            payment: row.id,
            provider_object_id: row.provider_object_id,
            amount: Money::new(row.amount_minor, currency),
            refunded: Money::new(row.refunded_minor, currency),
            fee: row.fee_minor.map(|fee| Money::new(fee, currency)),
            status: row.status,
            supporter_number: row.supporter_number,
            name: row.name,
            pledge_reference: row.pledge_reference,
            method,
        })
    })
}
