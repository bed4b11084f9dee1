// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The number a supporter quotes in letters and bank transfers.

use super::{Field, InvalidValue, Problem};

/// A supporter number: positive, handed out once by the database and never reused or changed.
/// Only the database creates new ones; parsing exists for numbers people type in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct SupporterNumber(i64);

impl SupporterNumber {
    /// The largest number accepted from input: twelve digits are far beyond any organisation.
    const MAX: i64 = 999_999_999_999;

    pub fn get(self) -> i64 {
        self.0
    }

    /// For values read from the database, where the column's CHECK already holds.
    pub(crate) fn from_db(value: i64) -> Self {
        Self(value)
    }
}

impl TryFrom<i64> for SupporterNumber {
    type Error = InvalidValue;
    fn try_from(value: i64) -> Result<Self, Self::Error> {
        if (1..=Self::MAX).contains(&value) {
            Ok(Self(value))
        } else {
            Err(InvalidValue::new(Field::SupporterNumber, Problem::Malformed))
        }
    }
}

impl TryFrom<&str> for SupporterNumber {
    type Error = InvalidValue;
    fn try_from(value: &str) -> Result<Self, Self::Error> {
        let digits = value.trim();
        if digits.is_empty() {
            return Err(InvalidValue::new(Field::SupporterNumber, Problem::Empty));
        }
        // Only ASCII digits: no sign, no spaces, no exponent, no Unicode digits.
        if digits.len() > 12 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(InvalidValue::new(Field::SupporterNumber, Problem::Malformed));
        }
        digits
            .parse::<i64>()
            .map_err(|_| InvalidValue::new(Field::SupporterNumber, Problem::Malformed))
            .and_then(Self::try_from)
    }
}

impl std::fmt::Display for SupporterNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_people_type_are_parsed() {
        assert_eq!(SupporterNumber::try_from(" 1042 ").map(SupporterNumber::get), Ok(1042));
    }

    #[test]
    fn hostile_values_are_refused() {
        for input in ["0", "-5", "+5", "1e3", "12 34", "１２３", "1; DROP TABLE person", "9999999999999", ""]
        {
            assert!(SupporterNumber::try_from(input).is_err(), "{input}");
        }
        assert!(SupporterNumber::try_from(i64::MAX).is_err());
        assert!(SupporterNumber::try_from(0_i64).is_err());
    }
}
