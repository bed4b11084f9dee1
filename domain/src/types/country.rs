// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Countries, by ISO 3166-1 alpha-2 code.

use super::{Field, InvalidValue, Problem};

/// An assigned ISO 3166-1 alpha-2 country code, upper-case ("DE").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub struct CountryCode([u8; 2]);

impl CountryCode {
    pub fn as_str(&self) -> &str {
        // Only ASCII letters are ever stored (see try_from).
        std::str::from_utf8(&self.0).unwrap_or("")
    }
}

impl TryFrom<&str> for CountryCode {
    type Error = InvalidValue;
    fn try_from(value: &str) -> Result<Self, Self::Error> {
        let value = value.trim();
        if value.is_empty() {
            return Err(InvalidValue::new(Field::Country, Problem::Empty));
        }
        let bytes: [u8; 2] = value
            .as_bytes()
            .try_into()
            .ok()
            .filter(|b: &[u8; 2]| b.iter().all(u8::is_ascii_alphabetic))
            .ok_or(InvalidValue::new(Field::Country, Problem::Malformed))?;
        let upper = bytes.map(|b| b.to_ascii_uppercase());
        let code = std::str::from_utf8(&upper).unwrap_or_default();
        // Well-formed is not enough: "QQ" or "XX" name no country.
        celes::Country::from_alpha2(code).map_err(|_| InvalidValue::new(Field::Country, Problem::Unknown))?;
        Ok(Self(upper))
    }
}

impl std::fmt::Display for CountryCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes_are_accepted_in_any_case() {
        assert_eq!(CountryCode::try_from("de").unwrap().as_str(), "DE");
        assert_eq!(CountryCode::try_from(" NL ").unwrap().as_str(), "NL");
    }

    #[test]
    fn unknown_and_malformed_codes_are_refused() {
        assert_eq!(CountryCode::try_from("QQ"), Err(InvalidValue::new(Field::Country, Problem::Unknown)));
        for input in ["D", "DEU", "D1", "ДЕ", "'; --"] {
            assert_eq!(
                CountryCode::try_from(input),
                Err(InvalidValue::new(Field::Country, Problem::Malformed)),
                "{input}"
            );
        }
    }
}
