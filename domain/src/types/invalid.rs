// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Why a value was refused, as data rather than text, so each user interface can say it in the
//! reader's language.

/// The kind of value that was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Email,
    DisplayName,
    LoginName,
    GroupName,
    Language,
    Country,
    SupporterNumber,
    Street,
    AddressExtra,
    PostalCode,
    City,
    Region,
    Referrer,
    Password,
    ClientId,
    Scope,
    GrantType,
    RedirectUri,
    Amount,
    Currency,
    Period,
    PaymentMethod,
    PaymentReference,
    Iban,
    Bic,
}

/// What is wrong with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    Empty,
    TooShort {
        min: usize,
    },
    TooLong {
        max: usize,
    },
    /// Control, formatting (e.g. bidirectional overrides) or otherwise disallowed characters.
    ForbiddenCharacter,
    /// Not in the expected shape (e.g. an email address without a domain).
    Malformed,
    /// Well-formed but not a known value (e.g. country "QQ").
    Unknown,
    /// A part of a composite value is present without its partner (a street without a city).
    Incomplete,
    /// More decimals than the currency has (25.001 EUR).
    TooPrecise,
    /// Below the smallest amount allowed.
    TooSmall,
    /// Above the largest amount allowed.
    TooLarge,
    /// Well-formed, but its check digits do not match (a mistyped reference or IBAN).
    CheckDigits,
}

/// A value that does not meet the rules of its type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid {field:?}: {problem:?}")]
pub struct InvalidValue {
    pub field: Field,
    pub problem: Problem,
}

impl InvalidValue {
    pub(crate) fn new(field: Field, problem: Problem) -> Self {
        Self { field, problem }
    }
}
