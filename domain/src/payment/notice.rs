// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The mails of the money half, as data: domain decides which mail goes to whom, the `mails`
//! crate words it in the recipient's language.

use super::kinds::{Method, Period, RenewalReason};
use super::money::Money;
use super::reference::CreditorReference;
use crate::registration::Written;
use crate::types::Language;
use secrecy::SecretString;

/// What a pledge is, for the mails that mention it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PledgeSummary {
    pub amount: Money,
    pub period: Period,
    pub method: Method,
    pub reference: CreditorReference,
}

/// The mail after a visitor's donate form (the giver was not logged in).
#[derive(Debug)]
pub enum DonationNotice<'a> {
    /// To an address nobody has confirmed: confirming it makes the giver a supporter and the
    /// pledge joins them. No name: whoever typed the address chose it.
    ConfirmNew { token: &'a SecretString, pledge: &'a PledgeSummary },
    /// To the confirmed owner of a known address: the link adds the pledge to their account.
    ConfirmKnown { name: &'a str, token: &'a SecretString, pledge: &'a PledgeSummary },
}

/// The thank-you mail for a registered payment (only ever to a confirmed supporter).
#[derive(Debug)]
pub struct Thanks<'a> {
    pub name: &'a str,
    pub amount: Money,
    pub booked_on: time::Date,
    pub period: Period,
    pub reference: Option<&'a CreditorReference>,
}

/// The mail asking a supporter to renew a pledge whose collection stopped without them asking.
/// The link (`Command::RenewPledge`) shows the pledge and lets them choose a way to pay again.
#[derive(Debug)]
pub struct RenewalNotice<'a> {
    pub name: &'a str,
    pub pledge: &'a PledgeSummary,
    pub reason: RenewalReason,
    pub token: &'a SecretString,
}

/// The one mail of a failed-payment episode: the processor will retry; the link lets the
/// supporter update their card or switch to another way to pay.
#[derive(Debug)]
pub struct PaymentFailedNotice<'a> {
    pub name: &'a str,
    pub pledge: &'a PledgeSummary,
    pub token: &'a SecretString,
}

/// The one friendly reminder of a bank transfer overdue by the grace period.
#[derive(Debug)]
pub struct ReminderNotice<'a> {
    pub name: &'a str,
    pub pledge: &'a PledgeSummary,
    pub due_on: time::Date,
}

/// The mail saying a supporter's annual statement is ready (or corrected), with its link.
#[derive(Debug)]
pub struct StatementNotice<'a> {
    pub name: &'a str,
    pub year: i32,
    /// A corrected statement replaces one sent before.
    pub corrected: bool,
    /// Path of the download on the supporter app, e.g. `/donations/statements/<id>`.
    pub path: &'a str,
}

/// Writes the mails of the money half; implemented by `mails::Writer` (server and CLI alike).
pub trait PaymentWriter: Sync {
    fn thank_you(&self, language: Language, thanks: &Thanks<'_>) -> Written;
    fn renewal(&self, language: Language, notice: &RenewalNotice<'_>) -> Written;
    fn payment_failed(&self, language: Language, notice: &PaymentFailedNotice<'_>) -> Written;
    fn transfer_reminder(&self, language: Language, notice: &ReminderNotice<'_>) -> Written;
    fn statement_ready(&self, language: Language, notice: &StatementNotice<'_>) -> Written;
}
