// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Payment references for bank transfers: ISO 11649 creditor references ("RF" + two check
//! digits + up to 21 letters and digits). Banking apps and the EPC QR code carry them as a
//! structured reference, and their check digits catch a mistyped digit before a transfer goes
//! astray.
//!
//! Every pledge has its own reference, so two pledges of one supporter are told apart. Our part
//! is twelve random digits (not the supporter number, which exists only after confirmation, and
//! which would tell a stranger who gave): digits are what people can type into any banking app.

use crate::types::{Field, InvalidValue, Problem};
use rand_core::{OsRng, RngCore};

/// A valid ISO 11649 creditor reference, stored without spaces in upper case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CreditorReference(String);

/// The remainder mod 97 of the number a string stands for, letters read as 10..35 (ISO 7064
/// MOD 97-10, as for IBANs). Computed digit by digit, so any length fits.
fn mod97(text: &str) -> Option<u32> {
    let mut rest = 0_u32;
    for c in text.chars() {
        let value = c.to_digit(36)?;
        rest = if value < 10 { (rest * 10 + value) % 97 } else { (rest * 100 + value) % 97 };
    }
    Some(rest)
}

impl CreditorReference {
    /// A fresh random reference (12 random digits of our own).
    pub fn generate() -> Self {
        // 10^12 values; a collision is refused by the UNIQUE constraint and retried by the caller.
        let ours = OsRng.next_u64() % 1_000_000_000_000;
        Self::from_our_part(&format!("{ours:012}")).unwrap_or_else(|_| Self("RF00".into()))
    }

    /// Adds the check digits to our part (1 to 21 letters or digits).
    pub fn from_our_part(ours: &str) -> Result<Self, InvalidValue> {
        let malformed = InvalidValue::new(Field::PaymentReference, Problem::Malformed);
        let ours = ours.to_ascii_uppercase();
        if ours.is_empty() || ours.len() > 21 || !ours.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(malformed);
        }
        let rest = mod97(&format!("{ours}RF00")).ok_or(malformed)?;
        Ok(Self(format!("RF{:02}{ours}", 98 - rest)))
    }

    /// Reads a reference as people and banks write it: any case, spaces and line breaks
    /// anywhere (`rf18 5390 0754\n7034`). Refuses other characters and wrong check digits.
    pub fn parse(text: &str) -> Result<Self, InvalidValue> {
        let compact: String =
            text.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
        let malformed = InvalidValue::new(Field::PaymentReference, Problem::Malformed);
        let body = compact.strip_prefix("RF").ok_or(malformed)?;
        if body.len() < 3
            || body.len() > 23
            || !body[..2].bytes().all(|b| b.is_ascii_digit())
            || !body[2..].bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err(malformed);
        }
        let rearranged = format!("{}RF{}", &body[2..], &body[..2]);
        if mod97(&rearranged) != Some(1) {
            return Err(InvalidValue::new(Field::PaymentReference, Problem::CheckDigits));
        }
        Ok(Self(compact))
    }

    /// Finds the first valid creditor reference in a free text (the remittance line of a
    /// transfer, where people also write "Donation" or their name). Tolerant to spaces, case
    /// and line breaks inside the reference.
    pub fn find_in(text: &str) -> Option<Self> {
        let upper = text.to_ascii_uppercase();
        let bytes = upper.as_bytes();
        let mut start = 0;
        while let Some(at) = upper[start..].find("RF") {
            let begin = start + at;
            // Take "RF" plus the letters, digits and spaces that follow, then try the longest
            // prefixes first: a reference may be followed by a word.
            let mut end = begin + 2;
            while end < bytes.len()
                && (bytes[end].is_ascii_alphanumeric() || bytes[end].is_ascii_whitespace())
            {
                end += 1;
            }
            let candidate = &upper[begin..end];
            let mut compact_len = 0;
            let mut cuts = Vec::new();
            for (i, c) in candidate.char_indices() {
                if !c.is_whitespace() {
                    compact_len += 1;
                    cuts.push((i + c.len_utf8(), compact_len));
                }
            }
            for &(cut, len) in cuts.iter().rev() {
                if !(5..=25).contains(&len) {
                    continue;
                }
                // Only cut at a word end, so "RF18 5390 0754 7034 THANKS" is not read as a longer reference.
                let next = candidate[cut..].chars().next();
                if next.is_some_and(|c| c.is_ascii_alphanumeric()) {
                    continue;
                }
                if let Ok(reference) = Self::parse(&candidate[..cut]) {
                    return Some(reference);
                }
            }
            start = begin + 2;
        }
        None
    }

    /// As stored and as put into machines (EPC QR code, APIs): `RF18539007547034`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Grouped in fours, as ISO 11649 prints it for people: `RF18 5390 0754 7034`.
    pub fn grouped(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        chars.chunks(4).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join(" ")
    }

    /// Wraps a value read from the database, where the CHECK constraint holds the shape.
    pub(crate) fn from_db(value: String) -> Self {
        Self(value)
    }
}

impl std::fmt::Display for CreditorReference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.grouped())
    }
}

impl TryFrom<String> for CreditorReference {
    type Error = InvalidValue;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<CreditorReference> for String {
    fn from(value: CreditorReference) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standards_example_is_valid() {
        // ISO 11649's own example.
        let reference = CreditorReference::parse("RF18 5390 0754 7034").unwrap();
        assert_eq!(reference.as_str(), "RF18539007547034");
        assert_eq!(reference.grouped(), "RF18 5390 0754 7034");
        assert_eq!(CreditorReference::from_our_part("539007547034").unwrap(), reference);
        assert_eq!(CreditorReference::parse("rf18\n5390 0754 7034").unwrap(), reference);
        assert!(CreditorReference::parse("RF712348231").is_ok());
    }

    #[test]
    fn wrong_check_digits_and_shapes_are_refused() {
        assert_eq!(
            CreditorReference::parse("RF19 5390 0754 7034").unwrap_err().problem,
            Problem::CheckDigits
        );
        assert_eq!(
            CreditorReference::parse("RF18 5390 0754 7043").unwrap_err().problem,
            Problem::CheckDigits
        );
        for bad in
            ["", "RF", "RF18", "XX18539007547034", "RF18-5390-0754-7034", "RFAB539007547034", "RF18<script>"]
        {
            assert!(CreditorReference::parse(bad).is_err(), "{bad}");
        }
        assert!(CreditorReference::parse(&format!("RF00{}", "1".repeat(22))).is_err());
    }

    #[test]
    fn generated_references_are_valid_and_differ() {
        let a = CreditorReference::generate();
        let b = CreditorReference::generate();
        assert_ne!(a, b);
        assert_eq!(CreditorReference::parse(a.as_str()).unwrap(), a);
        assert_eq!(a.as_str().len(), 16);
    }

    #[test]
    fn references_are_found_in_remittance_text() {
        let found = |t: &str| CreditorReference::find_in(t).map(|r| r.as_str().to_owned());
        assert_eq!(found("Spende RF18 5390 0754 7034 danke").as_deref(), Some("RF18539007547034"));
        assert_eq!(found("rf18539007\n547034").as_deref(), Some("RF18539007547034"));
        assert_eq!(found("SVWZ+RF18539007547034 EREF+NOTPROVIDED").as_deref(), Some("RF18539007547034"));
        assert_eq!(found("RF19 5390 0754 7034"), None);
        assert_eq!(found("Spende fuer die FSFE"), None);
    }
}
