// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! What the organisation offers donors: currencies, preset amounts, the smallest and largest
//! gift, the methods, and its bank account. Read from the settings (`[payments]`) once at
//! start-up, handed to pages, and used to check every donate form here, so the page and the
//! rule can never disagree.

use super::kinds::{Method, Period};
use super::money::{Currency, Money};
use crate::types::{Field, InvalidValue, Problem};

/// An IBAN whose check digits and country format are right (ISO 13616), stored without spaces.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Iban(String);

impl Iban {
    pub fn parse(text: &str) -> Result<Self, InvalidValue> {
        let compact: String =
            text.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
        match compact.parse::<iban::Iban>() {
            Ok(_) => Ok(Self(compact)),
            Err(iban::ParseIbanError::InvalidBaseIban {
                source: iban::ParseBaseIbanError::InvalidChecksum,
            }) => Err(InvalidValue::new(Field::Iban, Problem::CheckDigits)),
            Err(_) => Err(InvalidValue::new(Field::Iban, Problem::Malformed)),
        }
    }

    /// Without spaces: `DE89370400440532013000` (for machines: the EPC QR code).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// In groups of four, as printed for people.
    pub fn grouped(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        chars.chunks(4).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join(" ")
    }
}

impl TryFrom<String> for Iban {
    type Error = InvalidValue;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Iban> for String {
    fn from(value: Iban) -> Self {
        value.0
    }
}

/// Where bank transfers go.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BankAccount {
    /// The account holder's name, as the bank knows it (EPC QR: at most 70 characters).
    pub holder: String,
    pub iban: Iban,
    /// Optional within the EEA (EPC069-12 version 002).
    pub bic: Option<String>,
}

/// What donors may give.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Offer {
    /// Accepted currencies; the first is the default.
    pub currencies: Vec<Currency>,
    /// Preset amounts on the page, in whole units of the default currency.
    pub presets: Vec<i64>,
    /// The preset chosen before the donor picks one (whole units).
    pub default_amount: i64,
    /// The smallest gift in minor units (of any accepted currency).
    pub minimum_minor: i64,
    /// The largest gift in minor units: larger gifts are welcome, but by arrangement.
    pub maximum_minor: i64,
    /// Offered methods, in the order shown; the first is the default.
    pub methods: Vec<Method>,
    pub bank: Option<BankAccount>,
}

impl Default for Offer {
    fn default() -> Self {
        Self {
            currencies: vec![Currency::EUR],
            presets: vec![5, 10, 25, 50],
            default_amount: 10,
            minimum_minor: 100,
            maximum_minor: 1_000_000,
            methods: vec![Method::BankTransfer],
            bank: None,
        }
    }
}

/// A donate form as typed (every field a string: nothing is trusted yet).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GiftInput {
    pub amount: String,
    /// Empty means the default currency.
    pub currency: String,
    pub period: String,
    /// Empty means the default method.
    pub method: String,
}

/// A checked gift: an amount within the limits, in an accepted currency, by an offered method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gift {
    pub amount: Money,
    pub period: Period,
    pub method: Method,
}

impl Offer {
    pub fn default_currency(&self) -> Currency {
        self.currencies.first().copied().unwrap_or(Currency::EUR)
    }

    pub fn default_method(&self) -> Method {
        self.methods.first().copied().unwrap_or(Method::BankTransfer)
    }

    /// Checks the offer itself (start-up): names the setting to fix.
    pub fn validate(&self) -> Result<(), String> {
        if self.currencies.is_empty() {
            return Err("payments.currencies must name at least one currency".into());
        }
        if self.methods.is_empty() {
            return Err("payments.methods must name at least one method".into());
        }
        if self.minimum_minor < 1 || self.maximum_minor < self.minimum_minor {
            return Err("payments.minimum_minor must be at least 1 and at most payments.maximum_minor".into());
        }
        let scale = self.default_currency().scale();
        for preset in self.presets.iter().chain([&self.default_amount]) {
            let minor = preset.checked_mul(scale).unwrap_or(i64::MAX);
            if minor < self.minimum_minor || minor > self.maximum_minor {
                return Err(format!(
                    "payments.presets and payments.default_amount must lie between the minimum and maximum; {preset} does not"
                ));
            }
        }
        if self.methods.contains(&Method::BankTransfer) && self.bank.is_none() {
            return Err(
                "payments.methods offers bank_transfer, so [payments.bank] needs holder and iban".into()
            );
        }
        if let Some(bank) = &self.bank
            && (bank.holder.trim().is_empty()
                || bank.holder.chars().count() > 70
                || bank.holder.chars().any(char::is_control))
        {
            return Err("payments.bank.holder must be 1 to 70 characters on one line".into());
        }
        Ok(())
    }

    /// Checks a donate form; every refused field is reported, so the form shows them all.
    pub fn check(&self, input: &GiftInput) -> Result<Gift, Vec<InvalidValue>> {
        let mut problems = Vec::new();
        let currency = if input.currency.trim().is_empty() {
            Some(self.default_currency())
        } else {
            match Currency::parse(&input.currency) {
                Ok(c) if self.currencies.contains(&c) => Some(c),
                _ => {
                    problems.push(InvalidValue::new(Field::Currency, Problem::Unknown));
                    None
                }
            }
        };
        let amount = currency.and_then(|currency| match Money::parse_decimal(&input.amount, currency) {
            Ok(money) if money.minor < self.minimum_minor => {
                problems.push(InvalidValue::new(Field::Amount, Problem::TooSmall));
                None
            }
            Ok(money) if money.minor > self.maximum_minor => {
                problems.push(InvalidValue::new(Field::Amount, Problem::TooLarge));
                None
            }
            Ok(money) => Some(money),
            Err(e) => {
                problems.push(e);
                None
            }
        });
        let period = Period::parse(&input.period).map_err(|e| problems.push(e)).ok();
        let method = if input.method.trim().is_empty() {
            Some(self.default_method())
        } else {
            match Method::parse(&input.method) {
                Ok(m) if self.methods.contains(&m) => Some(m),
                _ => {
                    problems.push(InvalidValue::new(Field::PaymentMethod, Problem::Unknown));
                    None
                }
            }
        };
        match (amount, period, method) {
            (Some(amount), Some(period), Some(method)) if problems.is_empty() => {
                Ok(Gift { amount, period, method })
            }
            _ => Err(problems),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(amount: &str, period: &str, method: &str) -> GiftInput {
        GiftInput {
            amount: amount.into(),
            currency: String::new(),
            period: period.into(),
            method: method.into(),
        }
    }

    #[test]
    fn a_good_gift_passes() {
        let offer = Offer::default();
        let gift = offer.check(&input("25", "monthly", "")).unwrap();
        assert_eq!(gift.amount, Money::new(2500, Currency::EUR));
        assert_eq!(gift.period, Period::Monthly);
        assert_eq!(gift.method, Method::BankTransfer);
    }

    #[test]
    fn every_bad_field_is_named() {
        let offer = Offer::default();
        let problems = |i: GiftInput| -> Vec<(Field, Problem)> {
            offer.check(&i).unwrap_err().into_iter().map(|e| (e.field, e.problem)).collect()
        };
        assert_eq!(problems(input("0", "once", "")), [(Field::Amount, Problem::TooSmall)]);
        assert_eq!(problems(input("-5", "once", "")), [(Field::Amount, Problem::Malformed)]);
        assert_eq!(problems(input("0.99", "once", "")), [(Field::Amount, Problem::TooSmall)]);
        assert_eq!(problems(input("10000.01", "once", "")), [(Field::Amount, Problem::TooLarge)]);
        assert_eq!(problems(input("ten", "once", "")), [(Field::Amount, Problem::Malformed)]);
        assert_eq!(problems(input("5.555", "once", "")), [(Field::Amount, Problem::TooPrecise)]);
        assert_eq!(problems(input("5", "weekly", "")), [(Field::Period, Problem::Unknown)]);
        // Stripe is not offered by default.
        assert_eq!(problems(input("5", "once", "stripe")), [(Field::PaymentMethod, Problem::Unknown)]);
        assert_eq!(problems(input("5", "once", "cash")), [(Field::PaymentMethod, Problem::Unknown)]);
        let mut usd = input("5", "once", "");
        usd.currency = "USD".into();
        assert_eq!(problems(usd), [(Field::Currency, Problem::Unknown)]);
        assert_eq!(problems(input("", "", "x")).len(), 3);
    }

    #[test]
    fn ibans_are_checked() {
        assert_eq!(Iban::parse("de89 3704 0044 0532 0130 00").unwrap().as_str(), "DE89370400440532013000");
        assert_eq!(Iban::parse("DE89370400440532013000").unwrap().grouped(), "DE89 3704 0044 0532 0130 00");
        assert_eq!(Iban::parse("DE88370400440532013000").unwrap_err().problem, Problem::CheckDigits);
        assert!(Iban::parse("not an iban").is_err());
    }

    #[test]
    fn the_offer_itself_is_checked() {
        let mut offer = Offer::default();
        assert!(offer.validate().unwrap_err().contains("[payments.bank]"));
        offer.bank = Some(BankAccount {
            holder: "Friends e.V.".into(),
            iban: Iban::parse("DE89370400440532013000").unwrap(),
            bic: None,
        });
        assert!(offer.validate().is_ok());
        offer.presets.push(100_000);
        assert!(offer.validate().is_err());
    }
}
