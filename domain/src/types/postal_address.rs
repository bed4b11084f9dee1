// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! A postal address for letters and receipts.

use super::text::clean_line;
use super::{Field, InvalidValue, Problem};

/// Street and city are required together; the other lines are optional. The country is the
/// person's country and lives beside the address.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PostalAddress {
    street: String,
    extra: Option<String>,
    postal_code: Option<String>,
    city: String,
    region: Option<String>,
}

/// What a form hands in: every line as typed, empty lines allowed.
#[derive(Debug, Clone, Default)]
pub struct PostalAddressInput<'a> {
    pub street: &'a str,
    pub extra: &'a str,
    pub postal_code: &'a str,
    pub city: &'a str,
    pub region: &'a str,
}

fn optional(field: Field, value: &str, max: usize) -> Result<Option<String>, InvalidValue> {
    if value.trim().is_empty() { Ok(None) } else { clean_line(field, value, max).map(Some) }
}

impl PostalAddress {
    /// `Ok(None)` when every line is empty: no address is a valid choice.
    pub fn parse(input: &PostalAddressInput<'_>) -> Result<Option<Self>, InvalidValue> {
        let street = optional(Field::Street, input.street, 200)?;
        let extra = optional(Field::AddressExtra, input.extra, 200)?;
        let postal_code = optional(Field::PostalCode, input.postal_code, 20)?;
        let city = optional(Field::City, input.city, 100)?;
        let region = optional(Field::Region, input.region, 100)?;
        match (street, city) {
            (Some(street), Some(city)) => Ok(Some(Self { street, extra, postal_code, city, region })),
            (None, None) if extra.is_none() && postal_code.is_none() && region.is_none() => Ok(None),
            (None, _) => Err(InvalidValue::new(Field::Street, Problem::Incomplete)),
            (_, None) => Err(InvalidValue::new(Field::City, Problem::Incomplete)),
        }
    }

    /// Rebuilds an address read from the database (whose CHECKs mirror these rules).
    pub(crate) fn from_db(
        street: Option<String>,
        extra: Option<String>,
        postal_code: Option<String>,
        city: Option<String>,
        region: Option<String>,
    ) -> Option<Self> {
        Some(Self { street: street?, extra, postal_code, city: city?, region })
    }

    pub fn street(&self) -> &str {
        &self.street
    }
    pub fn extra(&self) -> Option<&str> {
        self.extra.as_deref()
    }
    pub fn postal_code(&self) -> Option<&str> {
        self.postal_code.as_deref()
    }
    pub fn city(&self) -> &str {
        &self.city
    }
    pub fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_form_means_no_address() {
        assert_eq!(PostalAddress::parse(&PostalAddressInput::default()), Ok(None));
    }

    #[test]
    fn street_needs_a_city_and_the_other_way_round() {
        let only_street = PostalAddressInput { street: "Main St 1", ..Default::default() };
        assert_eq!(
            PostalAddress::parse(&only_street),
            Err(InvalidValue::new(Field::City, Problem::Incomplete))
        );
        let only_code = PostalAddressInput { postal_code: "10115", ..Default::default() };
        assert_eq!(
            PostalAddress::parse(&only_code),
            Err(InvalidValue::new(Field::Street, Problem::Incomplete))
        );
    }

    #[test]
    fn lines_are_cleaned() {
        let input = PostalAddressInput {
            street: " Hauptstraße 1 ",
            city: "Berlin",
            postal_code: "10115",
            ..Default::default()
        };
        let address = PostalAddress::parse(&input).unwrap().unwrap();
        assert_eq!(address.street(), "Hauptstraße 1");
        assert_eq!(address.postal_code(), Some("10115"));
        let hostile = PostalAddressInput { street: "Main\nSt", city: "X", ..Default::default() };
        assert!(PostalAddress::parse(&hostile).is_err());
    }
}
