// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The languages the organisation writes in: the user interface and every email.

use super::{Field, InvalidValue, Problem};

/// A language the organisation writes in. Adding one means adding its locale file in `app` and
/// a variant here; the compiler then shows every place that must learn it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
pub enum Language {
    #[default]
    #[serde(rename = "en")]
    English,
    #[serde(rename = "de")]
    German,
}

impl Language {
    pub const ALL: [Language; 2] = [Language::English, Language::German];

    /// The ISO 639-1 code, as stored and as used in `lang` attributes.
    pub fn code(self) -> &'static str {
        match self {
            Language::English => "en",
            Language::German => "de",
        }
    }
}

impl TryFrom<&str> for Language {
    type Error = InvalidValue;

    /// Accepts a code or a BCP 47 tag whose primary subtag is a supported language
    /// ("de", "de-AT", "EN_gb").
    fn try_from(value: &str) -> Result<Self, Self::Error> {
        let primary = value.trim().split(['-', '_']).next().unwrap_or_default();
        if primary.is_empty() {
            return Err(InvalidValue::new(Field::Language, Problem::Empty));
        }
        match primary.to_ascii_lowercase().as_str() {
            "en" => Ok(Language::English),
            "de" => Ok(Language::German),
            _ => Err(InvalidValue::new(Field::Language, Problem::Unknown)),
        }
    }
}

impl std::str::FromStr for Language {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::try_from(s)
    }
}

impl std::fmt::Display for Language {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for language in Language::ALL {
            assert_eq!(Language::try_from(language.code()), Ok(language));
        }
    }

    #[test]
    fn regional_tags_map_to_their_language() {
        assert_eq!(Language::try_from("de-AT"), Ok(Language::German));
        assert_eq!(Language::try_from(" EN_gb "), Ok(Language::English));
    }

    #[test]
    fn unknown_or_hostile_values_are_refused() {
        for input in ["fr", "xx", "english", "de'; --", "d\u{0435}"] {
            assert_eq!(
                Language::try_from(input),
                Err(InvalidValue::new(Field::Language, Problem::Unknown)),
                "{input}"
            );
        }
        assert_eq!(Language::try_from(""), Err(InvalidValue::new(Field::Language, Problem::Empty)));
    }
}
