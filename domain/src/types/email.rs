// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Email addresses as this organisation accepts them.
//!
//! Policy, chosen so that two addresses that look alike are the same address or visibly
//! different:
//! - the local part is ASCII "dot-atom" text (RFC 5322 §3.2.3); internationalised local parts
//!   (RFC 6531) are refused, because look-alike letters there (Cyrillic "а" for Latin "a") would
//!   let one person register an address that reads as another's;
//! - the domain is converted to its ASCII form by IDNA/UTS 46, so "exämple.org" is stored as
//!   "xn--exmple-cua.org", full-width letters fold to ASCII and the domain is lower-cased; a
//!   look-alike domain therefore never equals the real one;
//! - at most 64 characters before the "@" and 254 in all (RFC 5321 §4.5.3.1).
//!
//! Uniqueness is case-insensitive in the database; the local part keeps the case typed.

use super::{Field, InvalidValue, Problem};

/// A syntactically valid email address in the normalised form described above.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Email(String);

const MAX_LEN: usize = 254;
const MAX_LOCAL: usize = 64;

fn invalid(problem: Problem) -> InvalidValue {
    InvalidValue::new(Field::Email, problem)
}

impl Email {
    pub(crate) fn from_db(value: String) -> Self {
        Self(value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<&str> for Email {
    type Error = InvalidValue;

    fn try_from(input: &str) -> Result<Self, Self::Error> {
        let input = input.trim();
        if input.is_empty() {
            return Err(invalid(Problem::Empty));
        }
        // Checked before any Unicode processing, to bound the work an attacker can cause.
        if input.len() > MAX_LEN * 4 {
            return Err(invalid(Problem::TooLong { max: MAX_LEN }));
        }
        let (local, domain) = input.rsplit_once('@').ok_or(invalid(Problem::Malformed))?;
        check_local_part(local)?;
        let domain = ascii_domain(domain)?;
        let address = format!("{local}@{domain}");
        if address.len() > MAX_LEN {
            return Err(invalid(Problem::TooLong { max: MAX_LEN }));
        }
        Ok(Self(address))
    }
}

impl std::str::FromStr for Email {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::try_from(s)
    }
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// RFC 5322 dot-atom: atext runs separated by single dots, no dot at either end.
fn check_local_part(local: &str) -> Result<(), InvalidValue> {
    if local.is_empty() {
        return Err(invalid(Problem::Malformed));
    }
    if local.len() > MAX_LOCAL {
        return Err(invalid(Problem::TooLong { max: MAX_LEN }));
    }
    if !local.is_ascii() || local.bytes().any(|b| b.is_ascii_control() || b == b' ') {
        return Err(invalid(Problem::ForbiddenCharacter));
    }
    let is_atext = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~".contains(&b);
    if local.split('.').any(|atom| atom.is_empty() || !atom.bytes().all(is_atext)) {
        return Err(invalid(Problem::Malformed));
    }
    Ok(())
}

/// The domain in ASCII (A-label) form: at least two labels of letters, digits and inner hyphens.
fn ascii_domain(domain: &str) -> Result<String, InvalidValue> {
    if domain.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(invalid(Problem::ForbiddenCharacter));
    }
    let ascii = idna::domain_to_ascii_strict(domain).map_err(|_| invalid(Problem::Malformed))?;
    let labels: Vec<&str> = ascii.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    // A single label ("localhost") or an IP literal is no address a supporter has.
    let top_level_ok = labels.last().is_some_and(|tld| tld.bytes().any(|b| b.is_ascii_alphabetic()));
    if labels.len() < 2 || !labels.iter().all(label_ok) || !top_level_ok {
        return Err(invalid(Problem::Malformed));
    }
    Ok(ascii)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(s: &str) -> Result<String, Problem> {
        Email::try_from(s).map(|e| e.0).map_err(|e| e.problem)
    }

    #[test]
    fn ordinary_addresses_are_kept_with_domain_lowercased() {
        assert_eq!(parse("ada@example.org"), Ok("ada@example.org".into()));
        assert_eq!(parse("  Ada.Lovelace+fsfe@Example.ORG "), Ok("Ada.Lovelace+fsfe@example.org".into()));
        assert_eq!(parse("o'brien@sub.example.co.uk"), Ok("o'brien@sub.example.co.uk".into()));
    }

    #[test]
    fn international_domains_become_ascii() {
        assert_eq!(parse("max@bücher.de"), Ok("max@xn--bcher-kva.de".into()));
        // Full-width letters fold to ASCII, so they cannot imitate a domain.
        assert_eq!(parse("max@ｅｘａｍｐｌｅ.org"), Ok("max@example.org".into()));
    }

    #[test]
    fn look_alike_domains_stay_distinguishable() {
        // Cyrillic "а" (U+0430) in the domain: a different domain, stored visibly different.
        let fake = parse("ada@ex\u{430}mple.org").unwrap();
        assert_ne!(fake, "ada@example.org");
        assert!(fake.starts_with("ada@xn--"), "{fake}");
    }

    #[test]
    fn look_alike_local_parts_are_refused() {
        assert_eq!(parse("\u{430}da@example.org"), Err(Problem::ForbiddenCharacter));
        assert_eq!(parse("ａda@example.org"), Err(Problem::ForbiddenCharacter));
        assert_eq!(parse("ad\u{200B}a@example.org"), Err(Problem::ForbiddenCharacter));
    }

    #[test]
    fn malformed_addresses_are_refused() {
        for input in [
            "ada",
            "@example.org",
            "ada@",
            "ada@@example.org",
            "ada@localhost",
            "ada@127.0.0.1",
            ".ada@example.org",
            "ada.@example.org",
            "a..da@example.org",
            "ada@-example.org",
            "ada@example..org",
            "\"ada\"@example.org",
            "ada(comment)@example.org",
            "ada@exa_mple.org",
            "ada@[127.0.0.1]",
        ] {
            assert!(parse(input).is_err(), "{input} was accepted");
        }
        assert_eq!(parse(""), Err(Problem::Empty));
        assert_eq!(parse("ada lovelace@example.org"), Err(Problem::ForbiddenCharacter));
        assert_eq!(parse("ada@exam ple.org"), Err(Problem::ForbiddenCharacter));
        assert_eq!(parse("ada\r\nBcc: x@evil.org@example.org"), Err(Problem::ForbiddenCharacter));
    }

    #[test]
    fn sql_metacharacters_are_not_special() {
        // Quotes are legal in a local part; the database only ever sees bound parameters.
        assert_eq!(parse("x'--@example.org"), Ok("x'--@example.org".into()));
        assert!(parse("x';DROP TABLE person;--@example.org").is_err());
    }

    #[test]
    fn length_limits_hold() {
        let local = "a".repeat(64);
        assert!(parse(&format!("{local}@example.org")).is_ok());
        assert!(parse(&format!("a{local}@example.org")).is_err());
        let long_domain = format!("{}.org", vec!["a".repeat(63); 4].join("."));
        assert!(parse(&format!("ada@{long_domain}")).is_err());
        assert!(parse(&"a@b.".repeat(100_000)).is_err());
    }

    proptest! {
        #[test]
        fn parsing_is_idempotent(s in "[a-zA-Z0-9.+_-]{1,20}@[a-zA-Z0-9äöü-]{1,20}\\.[a-z]{2,6}") {
            if let Ok(email) = Email::try_from(s.as_str()) {
                let again = Email::try_from(email.as_str()).unwrap();
                prop_assert_eq!(again, email);
            }
        }

        #[test]
        fn never_panics_and_accepted_values_are_ascii(s in "\\PC{0,80}") {
            if let Ok(email) = Email::try_from(s.as_str()) {
                prop_assert!(email.as_str().is_ascii());
                prop_assert!(email.as_str().len() <= MAX_LEN);
            }
        }
    }
}
