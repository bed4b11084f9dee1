// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Money: integer minor units of an ISO 4217 currency. Never a float anywhere: amounts typed by
//! people and amounts read from statements are parsed from their decimal text straight into
//! minor units, and a text with more decimals than the currency has is refused, not rounded.

use crate::types::{Field, InvalidValue, Problem};

/// The currencies this system can hold, with their number of decimals (ISO 4217 "minor unit").
/// Which of them an organisation accepts is a setting (`payments.currencies`).
const KNOWN: [(&str, u8); 10] = [
    ("EUR", 2),
    ("CHF", 2),
    ("GBP", 2),
    ("USD", 2),
    ("SEK", 2),
    ("NOK", 2),
    ("DKK", 2),
    ("PLN", 2),
    ("CZK", 2),
    ("JPY", 0),
];

/// An ISO 4217 currency code this system knows (upper case, three letters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency([u8; 3]);

impl Currency {
    pub const EUR: Currency = Currency(*b"EUR");

    /// Parses `EUR`, `eur`, ` EUR `; refuses unknown codes.
    pub fn parse(code: &str) -> Result<Self, InvalidValue> {
        let code = code.trim().to_ascii_uppercase();
        KNOWN
            .iter()
            .find(|(known, _)| *known == code)
            .map(|(known, _)| {
                let b = known.as_bytes();
                Currency([b[0], b[1], b[2]])
            })
            .ok_or(InvalidValue::new(Field::Currency, Problem::Unknown))
    }

    pub fn as_str(&self) -> &str {
        // Only ever built from the ASCII table above.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }

    /// How many decimals the currency has (2 for EUR: 1 EUR = 100 minor units).
    pub fn exponent(self) -> u8 {
        KNOWN.iter().find(|(code, _)| code.as_bytes() == self.0).map_or(2, |(_, e)| *e)
    }

    /// Minor units in one major unit (100 for EUR).
    pub fn scale(self) -> i64 {
        10_i64.pow(u32::from(self.exponent()))
    }
}

impl std::fmt::Display for Currency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for Currency {
    type Error = InvalidValue;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Currency::parse(&value)
    }
}

impl From<Currency> for String {
    fn from(value: Currency) -> Self {
        value.as_str().to_owned()
    }
}

impl std::str::FromStr for Currency {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Currency::parse(s)
    }
}

/// An amount: integer minor units and a currency. May be zero or negative only where a caller
/// builds it so (a statement's debit); every stored pledge and payment amount is positive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Money {
    pub minor: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(minor: i64, currency: Currency) -> Self {
        Self { minor, currency }
    }

    /// Whole major units (`Money::major(25, EUR)` is 25.00 EUR); `None` on overflow.
    pub fn major(major: i64, currency: Currency) -> Option<Self> {
        major.checked_mul(currency.scale()).map(|minor| Self { minor, currency })
    }

    /// Parses a decimal amount as people and banks write it: `25`, `25.5`, `25.50`, `25,50`,
    /// `1234.56`, `1.234,56`? No: grouping separators are refused, so `1.234` cannot silently
    /// mean 1234 or 1.234. At most the currency's number of decimals; no sign, no exponent.
    pub fn parse_decimal(text: &str, currency: Currency) -> Result<Self, InvalidValue> {
        let invalid = |problem| InvalidValue::new(Field::Amount, problem);
        let text = text.trim();
        if text.is_empty() {
            return Err(invalid(Problem::Empty));
        }
        let (whole, fraction) = match text.find(['.', ',']) {
            Some(at) => (&text[..at], &text[at + 1..]),
            None => (text, ""),
        };
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty()
            || !digits(whole)
            || !digits(fraction)
            || (text.len() > whole.len() && fraction.is_empty())
        {
            return Err(invalid(Problem::Malformed));
        }
        let exponent = usize::from(currency.exponent());
        if fraction.len() > exponent {
            return Err(invalid(Problem::TooPrecise));
        }
        // 15 digits of whole units is far beyond any gift and keeps the arithmetic in i64.
        if whole.trim_start_matches('0').len() > 15 {
            return Err(invalid(Problem::TooLong { max: 15 }));
        }
        let whole: i64 = whole.parse().map_err(|_| invalid(Problem::Malformed))?;
        let mut minor_part: i64 = if fraction.is_empty() {
            0
        } else {
            fraction.parse().map_err(|_| invalid(Problem::Malformed))?
        };
        for _ in fraction.len()..exponent {
            minor_part *= 10;
        }
        let minor = whole
            .checked_mul(currency.scale())
            .and_then(|m| m.checked_add(minor_part))
            .ok_or(invalid(Problem::TooLong { max: 15 }))?;
        Ok(Self { minor, currency })
    }

    /// The amount as a plain decimal with the currency's decimals and a point: `25.00`, `0.05`,
    /// `1000` for JPY. For machines (EPC QR codes, APIs); pages format it for their language.
    pub fn decimal(&self) -> String {
        let exponent = usize::from(self.currency.exponent());
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        if exponent == 0 {
            return format!("{sign}{abs}");
        }
        let scale = self.currency.scale().unsigned_abs();
        format!("{sign}{}.{:0width$}", abs / scale, abs % scale, width = exponent)
    }
}

impl std::fmt::Display for Money {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.decimal(), self.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_parsed_exactly() {
        let eur = Currency::EUR;
        assert_eq!(Money::parse_decimal("25", eur).unwrap().minor, 2500);
        assert_eq!(Money::parse_decimal("25.5", eur).unwrap().minor, 2550);
        assert_eq!(Money::parse_decimal(" 25,05 ", eur).unwrap().minor, 2505);
        assert_eq!(Money::parse_decimal("0.10", eur).unwrap().minor, 10);
        assert_eq!(Money::parse_decimal("1000", Currency::parse("jpy").unwrap()).unwrap().minor, 1000);
        // 0.1 + 0.2 is not 0.30000000000000004 here.
        assert_eq!(Money::parse_decimal("0.3", eur).unwrap().minor, 30);
    }

    #[test]
    fn odd_amounts_are_refused() {
        let eur = Currency::EUR;
        for (text, problem) in [
            ("", Problem::Empty),
            ("-5", Problem::Malformed),
            ("+5", Problem::Malformed),
            ("1e3", Problem::Malformed),
            ("25.", Problem::Malformed),
            (".5", Problem::Malformed),
            ("1.234,56", Problem::Malformed),
            ("1 000", Problem::Malformed),
            ("abc", Problem::Malformed),
            ("25<script>", Problem::Malformed),
            ("٢٥", Problem::Malformed),
            ("25.001", Problem::TooPrecise),
            ("99999999999999999999", Problem::TooLong { max: 15 }),
        ] {
            assert_eq!(Money::parse_decimal(text, eur).unwrap_err().problem, problem, "{text}");
        }
        assert!(Money::parse_decimal("5.5", Currency::parse("JPY").unwrap()).is_err());
    }

    #[test]
    fn amounts_print_with_the_currencys_decimals() {
        assert_eq!(Money::new(2505, Currency::EUR).decimal(), "25.05");
        assert_eq!(Money::new(5, Currency::EUR).decimal(), "0.05");
        assert_eq!(Money::new(-150, Currency::EUR).to_string(), "-1.50 EUR");
        assert_eq!(Money::major(25, Currency::EUR).unwrap().minor, 2500);
    }

    #[test]
    fn only_known_currencies_parse() {
        assert_eq!(Currency::parse(" eur ").unwrap(), Currency::EUR);
        for bad in ["", "EU", "EURO", "XXX", "€", "usd\n"] {
            if bad == "usd\n" {
                assert!(Currency::parse(bad).is_ok(), "trimmed");
                continue;
            }
            assert!(Currency::parse(bad).is_err(), "{bad}");
        }
    }
}
