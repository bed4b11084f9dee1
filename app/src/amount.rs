// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Amounts on pages: which presets the organisation offers (from `[payments]`, via
//! `forms::OfferView`, so the pages and `domain::payment::Offer::check` can never disagree), and
//! how an amount is written for a reader (`€25`, `25,50 €`). Arithmetic on money happens in
//! `domain` only; here amounts are integers of minor units that are merely printed.
//!
//! The monthly amount a visitor picked on the landing page used to be kept in the session for
//! the registration page (`POST /amount`); that still works, and the landing page now leads to
//! `/donate` with the amount in the address.

use crate::forms::{AmountView, OfferView};
use crate::i18n::Locale;

/// The amount, if it is one of the offer's presets. Anything else is dropped rather than echoed.
pub fn offered(offer: &OfferView, amount: Option<u32>) -> Option<u32> {
    amount.filter(|amount| offer.presets.contains(&i64::from(*amount)))
}

/// The amount from a form field, if it is one of the offer's presets.
pub fn from_form(offer: &OfferView, raw: &str) -> Option<u32> {
    offered(offer, raw.trim().parse().ok())
}

/// A query value that may prefill the own-amount field: digits with at most the currency's
/// decimals, nothing else (the page never echoes odd input from an address).
pub fn prefill(offer: &OfferView, raw: &str) -> Option<String> {
    let raw = raw.trim();
    let (whole, fraction) = raw.split_once(['.', ',']).unwrap_or((raw, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let ok = !whole.is_empty()
        && whole.len() <= 9
        && digits(whole)
        && digits(fraction)
        && fraction.len() <= usize::from(offer.exponent)
        && (raw.len() == whole.len() || !fraction.is_empty());
    ok.then(|| raw.replace(',', "."))
}

/// An amount as a reader of `locale` writes it: `€25`, `€25.50` in English, `25 €`, `25,50 €`
/// in German; other currencies by their code (`25.50 CHF`). Whole amounts drop the decimals.
pub fn format(amount: AmountView, locale: Locale) -> String {
    let code = std::str::from_utf8(&amount.currency).unwrap_or("XXX");
    let exponent = u32::from(amount.exponent);
    let scale = 10_i64.pow(exponent).unsigned_abs();
    let abs = amount.minor.unsigned_abs();
    let sign = if amount.minor < 0 { "-" } else { "" };
    let (whole, fraction) = (abs / scale, abs % scale);
    let separator = match locale {
        Locale::en => '.',
        Locale::de => ',',
    };
    let number = if fraction == 0 {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}{separator}{fraction:0width$}", width = exponent as usize)
    };
    match (code, locale) {
        ("EUR", Locale::en) => format!("€{number}"),
        ("EUR", Locale::de) => format!("{number} €"),
        (code, _) => format!("{number} {code}"),
    }
}

/// An amount as a form field holds it: `25.50`, `25` (a point, no currency).
pub fn plain(amount: AmountView) -> String {
    let exponent = u32::from(amount.exponent);
    let scale = 10_i64.pow(exponent).unsigned_abs();
    let abs = amount.minor.unsigned_abs();
    let sign = if amount.minor < 0 { "-" } else { "" };
    match abs % scale {
        0 => format!("{sign}{}", abs / scale),
        fraction => format!("{sign}{}.{fraction:0width$}", abs / scale, width = exponent as usize),
    }
}

/// Whole units of the offer's currency as an amount (a preset).
pub fn whole(offer: &OfferView, units: i64) -> AmountView {
    let scale = 10_i64.pow(u32::from(offer.exponent));
    let code = offer.currency.as_bytes();
    let currency = match code {
        [a, b, c] => [*a, *b, *c],
        _ => *b"XXX",
    };
    AmountView { minor: units.saturating_mul(scale), currency, exponent: offer.exponent }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_offered_amounts_are_taken_from_a_form() {
        let offer = OfferView::default();
        assert_eq!(from_form(&offer, "25"), Some(25));
        assert_eq!(from_form(&offer, " 5 "), Some(5));
        for hostile in ["7", "-10", "1e9", "25<script>", "", "99999999999999999999"] {
            assert_eq!(from_form(&offer, hostile), None, "{hostile}");
        }
        let custom = OfferView { presets: vec![7, 70], ..OfferView::default() };
        assert_eq!(from_form(&custom, "7"), Some(7));
        assert_eq!(from_form(&custom, "25"), None);
    }

    #[test]
    fn only_plain_amounts_prefill_the_form() {
        let offer = OfferView::default();
        assert_eq!(prefill(&offer, "25").as_deref(), Some("25"));
        assert_eq!(prefill(&offer, "12,50").as_deref(), Some("12.50"));
        for odd in ["", "-5", "1e3", "25.", "5.555", "<script>", "\"><b>", "1234567890", "٢٥"] {
            assert_eq!(prefill(&offer, odd), None, "{odd}");
        }
    }

    #[test]
    fn amounts_are_written_as_readers_write_them() {
        let eur = |minor| AmountView { minor, currency: *b"EUR", exponent: 2 };
        assert_eq!(format(eur(2500), Locale::en), "€25");
        assert_eq!(format(eur(2550), Locale::en), "€25.50");
        assert_eq!(format(eur(2505), Locale::de), "25,05 €");
        assert_eq!(format(AmountView { minor: 1000, currency: *b"CHF", exponent: 2 }, Locale::de), "10 CHF");
        assert_eq!(format(whole(&OfferView::default(), 10), Locale::de), "10 €");
        assert_eq!(plain(eur(2550)), "25.50");
        assert_eq!(plain(eur(2500)), "25");
    }
}
