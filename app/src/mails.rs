// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The mails my.* sends now live in the `mails` crate, so `cdb-admin` writes the same texts
//! without Leptos; this module re-exports them for the server and the pages, and keeps the
//! mapping from a `Language` to this app's page locale.

use crate::i18n::Locale;
use domain::types::Language;

pub use ::mails::*;

/// The page locale of a language (for texts outside the locale-aware components).
pub fn locale(language: Language) -> Locale {
    match language {
        Language::English => Locale::en,
        Language::German => Locale::de,
    }
}
