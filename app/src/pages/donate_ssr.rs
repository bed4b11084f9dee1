// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Server-only glue of the donate pages: the session keys they use, what the transfer page and
//! "My donations" show (read from `domain`, drawn into page data before rendering, see
//! `page_data.rs` for why), and the Stripe client built from the settings. The routes that use
//! them are `server/src/routes/donate.rs` and `donations.rs`.
//!
//! The EPC QR code and the Stripe client come from the `providers` crate, which `app` needs
//! for the QR code anyway; the server reaches them through here.

use crate::forms::{AmountView, DonationsView, PaymentView, PledgeView, TransferView};
use crate::i18n::{Locale, td_string};
use crate::ssr::StripeSetup;
use domain::payment::{Method, Offer, PaymentStatus, Provider, pledge::Pledge};
use domain::types::PersonId;
use sqlx::PgPool;

pub use providers::stripe::{CheckoutRequest, ClientError};

/// How many pledges a session remembers (a visitor giving more often than this in one session
/// sees the transfer details of the newest ones only).
pub const REMEMBERED_PLEDGES: usize = 20;

/// The transfer page of a bank-transfer pledge. The QR label is in the reader's language.
pub fn transfer_view(offer: &Offer, pledge: &Pledge, visitor: bool, locale: Locale) -> Option<TransferView> {
    let bank = offer.bank.as_ref()?;
    let label = td_string!(locale, transfer_qr_label).to_string();
    let transfer = providers::bank::Transfer {
        beneficiary: &bank.holder,
        iban: bank.iban.as_str(),
        bic: bank.bic.as_deref(),
        amount: pledge.amount,
        reference: &pledge.reference,
    };
    let qr_svg = match providers::bank::epc_qr::svg_with_label(&transfer, &label) {
        Ok(svg) => Some(svg),
        Err(error) => {
            // A non-euro amount or a bank account the code cannot carry: the page still shows
            // every detail in words.
            tracing::warn!(%error, pledge = %pledge.id, "no EPC QR code for this transfer");
            None
        }
    };
    Some(TransferView {
        holder: bank.holder.clone(),
        iban: bank.iban.grouped(),
        bic: bank.bic.clone(),
        amount: pledge.amount.into(),
        period: pledge.period.as_str().to_owned(),
        reference: pledge.reference.grouped(),
        qr_svg,
        visitor,
    })
}

/// Everything "My donations" shows of a person.
pub async fn donations_view(pool: &PgPool, person: PersonId) -> domain::Result<DonationsView> {
    let pledges = domain::payment::pledge::for_person(pool, person).await?;
    let mut views = Vec::with_capacity(pledges.len());
    for pledge in pledges {
        views.push(pledge_view(pool, &pledge).await?);
    }
    let payments =
        domain::payment::payment::for_person(pool, person).await?.iter().map(payment_view).collect();
    Ok(DonationsView { pledges: views, payments })
}

/// One pledge as "My donations" and the renewal page show it.
pub async fn pledge_view(pool: &PgPool, pledge: &Pledge) -> domain::Result<PledgeView> {
    let has_card = if pledge.method == Method::Stripe {
        domain::payment::subscription::for_pledge(pool, pledge.id)
            .await?
            .is_some_and(|s| s.provider == Provider::Stripe && s.customer_id.is_some())
    } else {
        false
    };
    let failing =
        domain::payment::renewal::state(pool, pledge.id).await?.is_some_and(|s| s.failing_since.is_some());
    Ok(PledgeView {
        id: pledge.id.to_string(),
        amount: pledge.amount.into(),
        period: pledge.period.as_str().to_owned(),
        method: pledge.method.as_str().to_owned(),
        status: pledge.status.as_str().to_owned(),
        reference: (pledge.method == Method::BankTransfer).then(|| pledge.reference.grouped()),
        next_expected_on: pledge.next_expected_on.map(|d| d.to_string()),
        starts_on: pledge.starts_on.to_string(),
        has_card,
        failing,
    })
}

/// One payment as "My donations" and the renewal page show it.
pub fn payment_view(p: &domain::payment::payment::Payment) -> PaymentView {
    PaymentView {
        booked_on: p.booked_on.to_string(),
        amount: p.amount.into(),
        refunded: (p.refunded_minor > 0 && p.status != PaymentStatus::Refunded)
            .then(|| AmountView { minor: p.refunded_minor, ..AmountView::from(p.amount) }),
        status: p.status.as_str().to_owned(),
        provider: p.provider.as_str().to_owned(),
    }
}

/// A Stripe client for the configured API (`stripe.api_url`, a stand-in in tests).
///
/// Built per request: the client is cheap, and `ClientError` never carries the key. (Its
/// product look-up is then once per request too; keeping one client in `AppState` would save
/// that round trip.)
pub fn stripe_client(setup: &StripeSetup) -> Result<providers::stripe::Client, ClientError> {
    providers::stripe::Client::with_api_base(
        &setup.secrets.secret_key,
        setup.settings.product_name.clone(),
        &setup.settings.api_url,
    )
}

/// Checkout's language for a page locale.
pub fn checkout_locale(locale: Locale) -> String {
    match locale {
        Locale::en => "en".to_owned(),
        Locale::de => "de".to_owned(),
    }
}
