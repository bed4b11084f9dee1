// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Amounts and dates as each language writes them in running text: `€1,234.50` and
//! `2026-12-02` in English, `1.234,50 €` and `02.12.2026` in German. Built on
//! [`Money::decimal`], so the number of decimals is the currency's and no float is involved.
//! Public, so pages can show an amount exactly as the mails do.

use domain::payment::Money;
use domain::types::Language;

/// Currencies English writes with a symbol in front; every other one is written as its code.
const SYMBOLS: [(&str, &str); 2] = [("EUR", "€"), ("GBP", "£")];

/// `€25.00`, `CHF 25.00`, `£1,000.00` (English); `25,00 €`, `25,00 CHF`, `1.000,00 £` (German).
pub fn amount(language: Language, money: Money) -> String {
    let decimal = money.decimal();
    let (sign, digits) = match decimal.strip_prefix('-') {
        Some(digits) => ("-", digits),
        None => ("", decimal.as_str()),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let (separator, point) = match language {
        Language::English => (',', '.'),
        Language::German => ('.', ','),
    };
    let mut number = grouped(whole, separator);
    if !fraction.is_empty() {
        number.push(point);
        number.push_str(fraction);
    }
    let code = money.currency.as_str();
    let symbol = SYMBOLS.iter().find(|(c, _)| *c == code).map(|(_, s)| *s);
    match (language, symbol) {
        (Language::English, Some(symbol)) => format!("{sign}{symbol}{number}"),
        (Language::English, None) => format!("{sign}{code} {number}"),
        (Language::German, symbol) => format!("{sign}{number} {}", symbol.unwrap_or(code)),
    }
}

/// `2026-12-02` (English: unambiguous, unlike 12/02), `02.12.2026` (German).
pub fn date(language: Language, date: time::Date) -> String {
    let (year, month, day) = (date.year(), u8::from(date.month()), date.day());
    match language {
        Language::English => format!("{year:04}-{month:02}-{day:02}"),
        Language::German => format!("{day:02}.{month:02}.{year:04}"),
    }
}

/// `1234567` → `1,234,567`.
fn grouped(digits: &str, separator: char) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(separator);
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::payment::Currency;

    fn money(minor: i64, code: &str) -> Money {
        Money::new(minor, Currency::parse(code).unwrap())
    }

    #[test]
    fn amounts_as_each_language_writes_them() {
        let cases = [
            (2500, "EUR", "€25.00", "25,00 €"),
            (2500, "CHF", "CHF 25.00", "25,00 CHF"),
            (5, "EUR", "€0.05", "0,05 €"),
            (123_456, "GBP", "£1,234.56", "1.234,56 £"),
            (100_000_000, "EUR", "€1,000,000.00", "1.000.000,00 €"),
            (2500, "JPY", "JPY 2,500", "2.500 JPY"),
            (-2500, "EUR", "-€25.00", "-25,00 €"),
        ];
        for (minor, code, english, german) in cases {
            assert_eq!(amount(Language::English, money(minor, code)), english);
            assert_eq!(amount(Language::German, money(minor, code)), german);
        }
    }

    #[test]
    fn dates_as_each_language_writes_them() {
        let day = time::Date::from_calendar_date(2026, time::Month::December, 2).unwrap();
        assert_eq!(date(Language::English, day), "2026-12-02");
        assert_eq!(date(Language::German, day), "02.12.2026");
    }
}
