// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The mails of the money half, as data: domain decides which mail goes to whom, the `mails`
//! crate words it in the recipient's language.

use super::kinds::{Method, Period};
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

/// Writes the thank-you mail; implemented by `mails::Writer` (server and CLI alike).
pub trait ThankYouWriter: Sync {
    fn thank_you(&self, language: Language, thanks: &Thanks<'_>) -> Written;
}
