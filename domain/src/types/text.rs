// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Free text typed by people: names, address lines, campaign names.

use super::{Field, InvalidValue, Problem};
use unicode_normalization::UnicodeNormalization;

/// Trims, normalises to NFC and checks length and characters. Markup such as `<b>` is allowed
/// (it is text, escaped wherever it is shown); characters that hide or reorder text are not.
pub(crate) fn clean_line(field: Field, input: &str, max_chars: usize) -> Result<String, InvalidValue> {
    // Refuse absurd input before normalising it, so an attacker cannot make us work on megabytes.
    if input.len() > max_chars * 4 + 64 {
        return Err(InvalidValue::new(field, Problem::TooLong { max: max_chars }));
    }
    let value: String = input.trim().nfc().collect();
    if value.is_empty() {
        return Err(InvalidValue::new(field, Problem::Empty));
    }
    if value.chars().count() > max_chars {
        return Err(InvalidValue::new(field, Problem::TooLong { max: max_chars }));
    }
    if value.chars().any(is_forbidden) {
        return Err(InvalidValue::new(field, Problem::ForbiddenCharacter));
    }
    Ok(value)
}

/// Control characters (line breaks included: these are single-line values), bidirectional
/// controls that can make "Ada" display as something else, zero-width characters, and
/// private-use or non-characters.
fn is_forbidden(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{200B}'..='\u{200F}'   // zero-width space/joiners, LRM, RLM
            | '\u{202A}'..='\u{202E}' // bidi embeddings and overrides
            | '\u{2060}'..='\u{206F}' // word joiner, invisible operators, bidi isolates
            | '\u{FEFF}'              // byte order mark
            | '\u{FFF9}'..='\u{FFFB}' // interlinear annotations
            | '\u{E000}'..='\u{F8FF}' // private use
            | '\u{FDD0}'..='\u{FDEF}' | '\u{FFFE}' | '\u{FFFF}')
}

/// How a person wants to be addressed: 1 to 200 characters, one line.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct DisplayName(String);

impl DisplayName {
    pub const MAX_CHARS: usize = 200;

    pub(crate) fn from_db(value: String) -> Self {
        Self(value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<&str> for DisplayName {
    type Error = InvalidValue;
    fn try_from(value: &str) -> Result<Self, Self::Error> {
        clean_line(Field::DisplayName, value, Self::MAX_CHARS).map(Self)
    }
}

impl std::fmt::Display for DisplayName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The campaign or page that brought a person, from a registration link's `referrer`
/// parameter: letters, digits, `-`, `_`, `.` and `/`, at most 100 characters.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct Referrer(String);

impl Referrer {
    pub const MAX_CHARS: usize = 100;

    pub(crate) fn from_db(value: String) -> Self {
        Self(value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<&str> for Referrer {
    type Error = InvalidValue;
    fn try_from(value: &str) -> Result<Self, Self::Error> {
        let value = value.trim();
        if value.is_empty() {
            return Err(InvalidValue::new(Field::Referrer, Problem::Empty));
        }
        if value.len() > Self::MAX_CHARS {
            return Err(InvalidValue::new(Field::Referrer, Problem::TooLong { max: Self::MAX_CHARS }));
        }
        if !value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/')) {
            return Err(InvalidValue::new(Field::Referrer, Problem::ForbiddenCharacter));
        }
        Ok(Self(value.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_are_trimmed_and_normalised() {
        // "e" + combining acute accent becomes the single character "é".
        let name = DisplayName::try_from("  Rene\u{301} Dupont ").unwrap();
        assert_eq!(name.as_str(), "Ren\u{e9} Dupont");
    }

    #[test]
    fn markup_is_text_not_an_error() {
        let name = DisplayName::try_from("<script>alert(1)</script>").unwrap();
        assert_eq!(name.as_str(), "<script>alert(1)</script>");
    }

    #[test]
    fn sql_metacharacters_are_plain_text() {
        let name = DisplayName::try_from("Robert'); DROP TABLE person;--").unwrap();
        assert_eq!(name.as_str(), "Robert'); DROP TABLE person;--");
    }

    #[test]
    fn hostile_names_are_refused() {
        let cases = [
            ("", Problem::Empty),
            ("   \t ", Problem::Empty),
            ("Ada\nLovelace", Problem::ForbiddenCharacter),
            ("Ada\u{0}", Problem::ForbiddenCharacter),
            ("\u{202E}ecalevoL adA", Problem::ForbiddenCharacter),
            ("Ada\u{200B}Lovelace", Problem::ForbiddenCharacter),
            ("Ada\u{2067}x", Problem::ForbiddenCharacter),
        ];
        for (input, problem) in cases {
            assert_eq!(
                DisplayName::try_from(input),
                Err(InvalidValue::new(Field::DisplayName, problem)),
                "{input:?}"
            );
        }
    }

    #[test]
    fn length_is_counted_in_characters_not_bytes() {
        assert!(DisplayName::try_from("ä".repeat(200).as_str()).is_ok());
        assert_eq!(
            DisplayName::try_from("ä".repeat(201).as_str()),
            Err(InvalidValue::new(Field::DisplayName, Problem::TooLong { max: 200 }))
        );
        assert!(DisplayName::try_from("x".repeat(1_000_000).as_str()).is_err());
    }

    #[test]
    fn referrers_are_slugs() {
        assert_eq!(Referrer::try_from(" spring-2026/fosdem ").unwrap().as_str(), "spring-2026/fosdem");
        assert!(Referrer::try_from("<img src=x>").is_err());
        assert!(Referrer::try_from("a b").is_err());
        assert!(Referrer::try_from(&*"a".repeat(101)).is_err());
    }

    proptest! {
        #[test]
        fn accepted_names_never_hold_control_characters(s in "\\PC{0,300}") {
            if let Ok(name) = DisplayName::try_from(s.as_str()) {
                prop_assert!(!name.as_str().chars().any(char::is_control));
                prop_assert!(name.as_str().chars().count() <= DisplayName::MAX_CHARS);
                prop_assert_eq!(name.as_str().trim(), name.as_str());
            }
        }
    }
}
