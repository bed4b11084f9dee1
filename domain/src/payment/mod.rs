// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The money half: pledges (what a supporter promised), the provider subscriptions that collect
//! them, payments (what arrived), refunds and disputes, webhook events, bank statements, and
//! flags for what was stored but not applied.
//!
//! The rules every caller (webhooks, statement import, pages, CLI) shares live here once:
//! - a payment is keyed by its provider's object and registered at most once
//!   ([`payment::register`]); a webhook event is stored in the same transaction as its effects
//!   ([`webhook_event::record`]), so a repeated delivery changes nothing;
//! - a payment that does not match what was promised (another currency, another amount, a
//!   pledge of someone else) is stored as a [`flag`] and never applied silently;
//! - a refund or dispute can arrive before its payment and is applied once both are there.
//!
//! Provider wire formats (Stripe events, camt.053 files) are read in the `providers` crate.

pub mod annual_statement;
pub mod donation;
pub mod export;
pub mod flag;
mod kinds;
pub mod manual;
mod money;
pub mod notice;
mod offer;
// `payment::payment` is the payment aggregate of the money half, beside `payment::pledge`.
#[allow(clippy::module_inception)]
pub mod payment;
pub mod paypal_sync;
pub mod pledge;
mod reference;
pub mod renewal;
pub mod statement;
pub mod stripe_sync;
pub mod subscription;
pub mod webhook_event;

pub use kinds::{
    EndedBy, ManualMethod, Method, PaymentStatus, Period, PledgeStatus, Provider, RenewalReason,
};
pub use money::{Currency, Money};
pub use notice::{
    DonationNotice, PaymentFailedNotice, PledgeSummary, ReminderNotice, RenewalNotice, StatementNotice,
    Thanks,
};
pub use offer::{BankAccount, Gift, GiftInput, Iban, Offer};
pub use reference::CreditorReference;
